"""First-response metrics: what counts as an answer, per channel/platform/person, both clocks."""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from webcare.business_hours import BusinessHours
from webcare.commands_metrics import StoreRows, read_compact_rows
from webcare.metrics import (
    MetricsConfig, ResponseTarget, compute_metrics, first_responses, format_report,
    looks_like_auto_reply, mark_auto_reply, metrics_from_rows, thread_keys,
)
from webcare.models import Author, Message

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2025, 3, 17, 9, 0, tzinfo=AMS)


def msg(mid: str, minutes: float, *, platform: str = "facebook", kind: str = "dm",
        public: bool = False, author: str = "cust", text: str = "hoi, ik heb een vraag",
        conv: str | None = None, reply_to: str | None = None, brand: bool = False,
        automated: bool = False, name: str = "", start: datetime = MONDAY) -> Message:
    return Message(
        platform=platform, id=mid, kind=kind, public=public, author=Author(author, name),
        text=text, created_at=start + timedelta(minutes=minutes), conversation_id=conv,
        in_reply_to=reply_to, from_brand=brand, automated=automated,
    )


def by_id(messages: list[Message]) -> dict[str, object]:
    return {r.message.id: r for r in first_responses(messages)}


# -- auto-replies ------------------------------------------------------------------------------

AUTO_REPLIES = [
    "Je krijgt z.s.m. antwoord.",
    "Bedankt voor je bericht! We reageren zo snel mogelijk.",
    "bedankt voor je bericht ... we nemen zo snel mogelijk contact met je op",
    "Thanks for reaching out, we'll get back to you",
    "Thank you for your message. We will respond within 2 business days.",
    "Dank u wel voor uw e-mail. U hoort binnen 3 werkdagen van ons.",
    "Dit is een automatisch antwoord: wij zijn gesloten tot maandag.",
    "Out of office until Monday 24 March",
    "We komen zo spoedig mogelijk bij je terug!",
]
REAL_ANSWERS = [
    "Bedankt voor je bericht! Je pakket is vandaag verstuurd.",
    "Je krijgt je geld zo snel mogelijk terug, de terugbetaling staat klaar.",
    "We sturen zo snel mogelijk een nieuw exemplaar.",
    "Thanks for your message, I've refunded the double charge.",
    "Sorry to hear that! Can you DM us your order number?",
    "Nee, daar kunnen we niets meer aan doen.",
    "",
]


@pytest.mark.parametrize("text", AUTO_REPLIES)
def test_holding_replies_are_recognised(text):
    assert looks_like_auto_reply(text)


@pytest.mark.parametrize("text", REAL_ANSWERS)
def test_real_answers_are_not_mistaken_for_holding_replies(text):
    assert not looks_like_auto_reply(text)


# -- what answers what ------------------------------------------------------------------------


def test_acknowledgement_then_answer_is_measured_to_both():
    pairs = by_id([
        msg("c1", 0, conv="t1"),
        msg("a1", 0.1, conv="t1", author="page", brand=True, automated=True, text="Dank! We reageren snel."),
        msg("r1", 45, conv="t1", author="anna", brand=True, text="Je pakket is onderweg."),
    ])
    assert pairs["c1"].seconds_to_ack == pytest.approx(6)
    assert pairs["c1"].seconds_to_answer == pytest.approx(45 * 60)
    assert pairs["c1"].responder == "anna"


def test_template_text_without_the_automated_flag_is_not_an_answer():
    pairs = by_id([
        msg("c1", 0, conv="t1"),
        msg("a1", 1, conv="t1", author="page", brand=True,
            text="Bedankt voor je bericht, we reageren zo snel mogelijk."),
        msg("r1", 120, conv="t1", author="bram", brand=True, text="Opgelost: je factuur is aangepast."),
    ])
    assert pairs["c1"].seconds_to_ack == pytest.approx(60)
    assert pairs["c1"].seconds_to_answer == pytest.approx(120 * 60)
    assert pairs["c1"].responder == "bram"


def test_customer_nobody_answers_gets_no_credit_for_auto_replies():
    day = 24 * 60
    ack = "Thanks, you'll hear from us asap."
    messages = [
        msg("e1", 0, platform="email", kind="email", conv="m1", text="Mijn pakket is kwijt."),
        msg("e1a", 1, platform="email", kind="email", conv="m1", author="care", brand=True, text=ack),
        msg("f1", 5 * day, conv="fb1", text="Hallo??"),
        msg("f1a", 5 * day + 0.1, conv="fb1", author="page", brand=True, automated=True,
            text="We zijn nu afwezig."),
        msg("e2", 12 * day, platform="email", kind="email", conv="m2", text="Nog steeds niks."),
        msg("e2a", 12 * day + 1, platform="email", kind="email", conv="m2", author="care", brand=True, text=ack),
        msg("e3", 24 * day, platform="email", kind="email", conv="m2", text="Laatste poging."),  # Thu
        msg("e3a", 24 * day + 1, platform="email", kind="email", conv="m2", author="care", brand=True, text=ack),
        msg("e3r", 27 * day, platform="email", kind="email", conv="m2", author="kees", brand=True,
            text="Daar kunnen wij helaas niets mee."),  # Sunday: two working days later
    ]
    pairs = by_id(messages)
    assert [pairs[i].answered_at is None for i in ("e1", "f1", "e2", "e3")] == [True, True, False, False]
    assert all(pairs[i].acknowledged_at is not None for i in ("e1", "f1", "e2", "e3"))
    report = compute_metrics(messages, now=MONDAY + timedelta(days=28))
    assert (report.total.messages, report.total.answered, report.total.overdue) == (4, 2, 2)
    assert report.total.acknowledged == 4
    assert report.total.within_target == 0.0


def test_public_reply_answers_only_the_customer_it_replies_to():
    post = msg("p1", 0, kind="post", public=True, author="page", brand=True, text="Nieuwe actie!")
    messages = [
        post,
        msg("ca", 10, kind="comment", public=True, author="alice", conv="p1", reply_to="p1"),
        msg("cb", 12, kind="comment", public=True, author="bob", conv="p1", reply_to="p1"),
        msg("ca2", 13, kind="comment", public=True, author="alice", conv="p1", reply_to="ca"),
        msg("ra", 20, kind="comment", public=True, author="anna", conv="p1", reply_to="ca", brand=True,
            text="Hoi Alice, stuur ons een DM."),
        msg("all", 50, kind="comment", public=True, author="anna", conv="p1", reply_to="p1", brand=True,
            text="Update: de storing is opgelost."),
        msg("cc", 60, kind="comment", public=True, author="carol", conv="p1", reply_to="p1"),
    ]
    pairs = by_id(messages)
    assert pairs["ca"].seconds_to_answer == pytest.approx(10 * 60)
    assert pairs["ca2"].seconds_to_answer == pytest.approx(7 * 60)
    assert pairs["cb"].seconds_to_answer == pytest.approx(38 * 60)  # by the thread-wide update
    assert pairs["cc"].answered_at is None
    assert pairs["cc"].opens_conversation  # carol's first comment, though the thread was busy


def test_reply_chains_without_conversation_ids_are_one_thread():
    messages = [
        msg("e1", 0, platform="email", kind="email", author="klant@example.nl", text="Vraag"),
        msg("b1", 30, platform="email", kind="email", author="care", brand=True, reply_to="e1", text="Antwoord"),
        msg("e2", 60, platform="email", kind="email", author="klant@example.nl", reply_to="b1", text="Nog een"),
        msg("b2", 100, platform="email", kind="email", author="care", brand=True, reply_to="e2", text="Dit"),
    ]
    keys = thread_keys(messages)
    assert len(set(keys)) == 1
    pairs = by_id(messages)
    assert pairs["e1"].seconds_to_answer == pytest.approx(30 * 60)
    assert pairs["e2"].seconds_to_answer == pytest.approx(40 * 60)


def test_private_messages_without_thread_ids_group_by_customer():
    messages = [
        msg("d1", 0, author="klant", conv=None),
        msg("b1", 15, author="anna", brand=True, reply_to="d1", text="Hoi!"),
    ]
    assert by_id(messages)["d1"].seconds_to_answer == pytest.approx(15 * 60)


def test_a_conversation_opens_after_24_hours_of_silence_either_way():
    hours = 60
    messages = [
        msg("c1", 0, conv="t"),
        msg("c2", 5, conv="t"),
        msg("b1", 30, conv="t", author="anna", brand=True, text="Geregeld."),
        msg("c3", 30 + 23 * hours, conv="t"),  # 23 h after the brand's answer: same conversation
        msg("b2", 31 + 23 * hours, conv="t", author="anna", brand=True, text="Graag gedaan."),
        msg("c4", 31 + 48 * hours, conv="t"),  # 25 h of silence
        msg("a4", 32 + 48 * hours, conv="t", author="page", brand=True, automated=True, text="Afwezig"),
        msg("c5", 33 + 72 * hours, conv="t"),  # the auto-reply does not break the silence
    ]
    pairs = by_id(messages)
    assert [pairs[i].opens_conversation for i in ("c1", "c2", "c3", "c4", "c5")] == [True, False, False, True, True]
    report = compute_metrics(messages, now=MONDAY + timedelta(days=5))
    assert report.conversations["private"].messages == 3


def test_answer_at_the_same_second_comes_after_the_question_in_given_order():
    messages = [msg("c1", 0, conv="t"), msg("b1", 0, conv="t", author="anna", brand=True, text="Ja")]
    assert by_id(messages)["c1"].seconds_to_answer == 0
    assert by_id(messages[::-1])["c1"].answered_at is None


# -- clocks and targets ------------------------------------------------------------------------


def test_weekend_wait_counts_one_business_hour():
    friday = datetime(2025, 3, 14, 16, 30, tzinfo=AMS)
    messages = [
        msg("c1", 0, conv="t", start=friday),
        msg("b1", (65 * 60), conv="t", author="anna", brand=True, text="Goedemorgen!", start=friday),
    ]
    report = compute_metrics(messages, now=friday + timedelta(days=4))
    dm = report.by_channel["dm"]
    assert dm.median_minutes == pytest.approx(65 * 60)
    assert dm.business_median_minutes == pytest.approx(60)
    assert dm.within_target == 1.0  # target: 8 business hours


def test_koningsdag_and_christmas_do_not_count_as_business_time():
    koningsdag = datetime(2026, 4, 27, 10, 0, tzinfo=AMS)  # Monday, holiday
    christmas_eve = datetime(2025, 12, 24, 16, 0, tzinfo=AMS)
    messages = [
        msg("k", 0, platform="email", kind="email", conv="k", start=koningsdag),
        msg("kb", 23 * 60 + 30, platform="email", kind="email", conv="k", author="care", brand=True,
            text="Opgelost", start=koningsdag),  # Tuesday 09:30
        msg("x", 0, platform="email", kind="email", conv="x", start=christmas_eve),
        msg("xb", (5 * 24 - 6) * 60 + 30, platform="email", kind="email", conv="x", author="care",
            brand=True, text="Opgelost", start=christmas_eve),  # Monday 29 Dec 10:30
    ]
    pairs = by_id(messages)
    office = BusinessHours()
    assert office.business_seconds_between(pairs["k"].message.created_at, pairs["k"].answered_at) == 30 * 60
    assert office.business_seconds_between(pairs["x"].message.created_at, pairs["x"].answered_at) == 150 * 60
    report = compute_metrics(messages, now=koningsdag + timedelta(days=2))
    assert report.by_channel["email"].business_median_minutes == pytest.approx((30 + 150) / 2)


def test_business_hours_and_targets_are_per_channel():
    friday = datetime(2025, 3, 14, 16, 30, tzinfo=AMS)
    messages = [
        msg("c1", 0, conv="t", start=friday),
        msg("b1", 65 * 60, conv="t", author="anna", brand=True, text="Hoi", start=friday),
    ]
    config = MetricsConfig(hours={"dm": BusinessHours.always_open()},
                           targets={"dm": ResponseTarget.parse("1h")})
    report = compute_metrics(messages, now=friday + timedelta(days=4), config=config)
    assert report.by_channel["dm"].business_median_minutes == pytest.approx(65 * 60)
    assert report.by_channel["dm"].within_target == 0.0
    assert report.targets["dm"] == "1 h"


def test_unanswered_messages_wait_until_their_target_passes():
    now = MONDAY + timedelta(hours=3)
    messages = [
        msg("fresh", 150, kind="comment", public=True, conv="p", author="a"),   # 30 min old
        msg("old", 60, kind="comment", public=True, conv="p", author="b"),      # 2 h old
        msg("fast", 0, kind="comment", public=True, conv="q", author="c"),
        msg("rf", 20, kind="comment", public=True, conv="q", reply_to="fast", author="anna", brand=True, text="Ja"),
    ]
    public = compute_metrics(messages, now=now).public
    assert (public.messages, public.answered, public.waiting, public.overdue) == (3, 1, 1, 1)
    assert public.within_target == 0.5


def test_since_until_select_by_arrival_and_future_messages_are_ignored():
    messages = [
        msg("c1", 0, conv="t1"), msg("b1", 30, conv="t1", author="anna", brand=True, text="Ok"),
        msg("c2", 120, conv="t2"), msg("b2", 200, conv="t2", author="anna", brand=True, text="Ok"),
        msg("c3", 500, conv="t3"),
    ]
    report = compute_metrics(messages, now=MONDAY + timedelta(minutes=150),
                             since=MONDAY + timedelta(minutes=60))
    assert report.total.messages == 1  # c2; c1 is before `since`, c3 after `now`
    assert report.total.answered == 0  # b2 has not happened yet at `now`
    assert report.total.waiting == 1


def test_target_parsing():
    assert ResponseTarget.parse("1h") == ResponseTarget(3600)
    assert ResponseTarget.parse("90m") == ResponseTarget(5400)
    assert ResponseTarget.parse("8 business hours") == ResponseTarget(8 * 3600, business=True)
    assert ResponseTarget.parse(600) == ResponseTarget(600)
    with pytest.raises(ValueError, match="response target"):
        ResponseTarget.parse("soon")


# -- per person, checked against an independent calculation --------------------------------------


def synthetic(seed: int = 11, conversations: int = 300):
    """Random DM/e-mail/public conversations plus what the generator knows it did."""
    rnd = random.Random(seed)
    messages: list[Message] = []
    expected: dict[str, list[tuple[datetime, datetime]]] = {}
    start = datetime(2025, 3, 3, tzinfo=timezone.utc)
    for n in range(conversations):
        platform, kind, public = rnd.choice(
            [("facebook", "dm", False), ("email", "email", False), ("x", "mention", True)])
        asked = start + timedelta(minutes=rnd.uniform(0, 20 * 24 * 60))
        customer = f"cust{n}"
        conv = f"conv{n}"
        messages.append(Message(platform, f"q{n}", kind, public, Author(customer), "Help!", asked,
                                conversation_id=conv))
        if rnd.random() < 0.5:
            messages.append(Message(platform, f"ack{n}", kind, public, Author("page"),
                                    "Thanks for reaching out, we'll get back to you.",
                                    asked + timedelta(seconds=5), conversation_id=conv,
                                    in_reply_to=f"q{n}", from_brand=True))
        if rnd.random() < 0.1:
            continue  # never answered
        agent = rnd.choice(["anna", "bram", "chris"])
        answered = asked + timedelta(minutes=rnd.lognormvariate(3.5, 1.2))
        messages.append(Message(platform, f"r{n}", kind, public, Author(agent, agent.title()),
                                "Opgelost, fijne dag!", answered, conversation_id=conv,
                                in_reply_to=f"q{n}", from_brand=True))
        expected.setdefault(agent, []).append((asked, answered))
    rnd.shuffle(messages)
    return messages, expected


def test_per_agent_median_and_p90_match_an_independent_calculation():
    messages, expected = synthetic()
    report = compute_metrics(messages, now=datetime(2025, 4, 1, tzinfo=timezone.utc))
    office = BusinessHours()
    assert set(report.by_responder) == set(expected)
    for agent, pairs in expected.items():
        minutes = [(b - a).total_seconds() / 60 for a, b in pairs]
        business = [office.business_seconds_between(a, b) / 60 for a, b in pairs]
        stats = report.by_responder[agent]
        assert stats.answered == len(pairs)
        assert stats.median_minutes == pytest.approx(statistics.median(minutes))
        assert stats.p90_minutes == pytest.approx(statistics.quantiles(minutes, n=10, method="inclusive")[-1])
        # public mentions use the same default business hours as DMs and e-mail
        assert stats.business_median_minutes == pytest.approx(statistics.median(business))
        assert stats.business_p90_minutes == pytest.approx(
            statistics.quantiles(business, n=10, method="inclusive")[-1])
    assert report.responder_names["anna"] == "Anna"
    assert report.total.answered == sum(len(p) for p in expected.values())


def test_row_order_does_not_change_the_figures():
    messages, _ = synthetic(seed=5, conversations=80)
    now = datetime(2025, 4, 1, tzinfo=timezone.utc)
    ordered = sorted(messages, key=lambda m: m.created_at)
    assert compute_metrics(messages, now).to_dict() == compute_metrics(ordered, now).to_dict()


# -- the store's fast path -------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE messages (platform TEXT, id TEXT, kind TEXT, public INTEGER, author_id TEXT,
  author_name TEXT, author_followers INTEGER, text TEXT, created_at TEXT, ts REAL,
  conversation_id TEXT, in_reply_to TEXT, from_brand INTEGER, automated INTEGER, url TEXT,
  lang TEXT, extra TEXT, PRIMARY KEY (platform, id));
CREATE INDEX messages_ts ON messages (ts);
CREATE INDEX messages_conversation ON messages (platform, conversation_id);
"""


def store(messages: list[Message], *, mark: bool = True, fill_threads: bool = True) -> sqlite3.Connection:
    """An in-memory store with the store's schema, filled the way the store is asked to."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    keys = thread_keys(messages)
    for m, key in zip(messages, keys):
        if mark:
            m = mark_auto_reply(m)
        conv = m.conversation_id or (key if fill_threads and m.in_reply_to else None)
        db.execute("INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
            m.platform, m.id, m.kind, int(m.public), m.author.id, m.author.name, None, m.text,
            m.created_at.isoformat(), m.created_at.timestamp(), conv, m.in_reply_to,
            int(m.from_brand), int(m.automated), None, None, "{}"))
    db.commit()
    return db


def mixed_messages() -> list[Message]:
    messages, _ = synthetic(seed=2, conversations=120)
    messages += [
        msg("p1", 0, kind="post", public=True, author="page", brand=True, text="Nieuw!"),
        msg("ca", 10, kind="comment", public=True, author="alice", conv="p1", reply_to="p1"),
        msg("cb", 12, kind="comment", public=True, author="bob", conv="p1", reply_to="p1"),
        msg("ra", 20, kind="comment", public=True, author="anna", conv="p1", reply_to="ca", brand=True, text="Hoi"),
        msg("e1", 0, platform="email", kind="email", author="k@example.nl"),
        msg("b1", 30, platform="email", kind="email", author="care", brand=True, reply_to="e1",
            text="Bedankt voor je mail, we reageren zo snel mogelijk."),
        msg("e2", 60, platform="email", kind="email", author="k@example.nl", reply_to="b1"),
        msg("b2", 100, platform="email", kind="email", author="care", brand=True, reply_to="e2", text="Klaar"),
        msg("rv", 5, platform="google", kind="review", public=True, author="dave", text="Slecht"),
    ]
    return messages


@pytest.mark.parametrize("recheck", [False, True])
def test_sql_rows_give_the_same_report_as_messages(recheck):
    messages = mixed_messages()
    now = datetime(2025, 4, 1, tzinfo=timezone.utc)
    rows = read_compact_rows(store(messages, mark=not recheck), recheck_text=recheck)
    names = {m.author.id: m.author.name for m in messages if m.from_brand and m.author.name}
    from_sql = metrics_from_rows(rows, now, responder_names=names)
    assert from_sql.to_dict() == compute_metrics(messages, now).to_dict()
    assert from_sql.by_channel["review"].messages == 1


def test_fast_sql_trusts_the_stored_flag():
    messages = [msg("c1", 0, conv="t"),
                msg("a1", 1, conv="t", author="page", brand=True, text="Je krijgt z.s.m. antwoord.")]
    now = MONDAY + timedelta(days=1)
    unmarked = store(messages, mark=False)
    assert metrics_from_rows(read_compact_rows(unmarked), now).total.answered == 1
    assert metrics_from_rows(read_compact_rows(unmarked, recheck_text=True), now).total.answered == 0


def test_query_for_a_period_reads_back_one_silence_gap():
    messages = [msg("c1", 0, conv="t"), msg("c2", 23 * 60, conv="t"),
                msg("b", 23 * 60 + 5, conv="t", author="anna", brand=True, text="Ok")]
    since = MONDAY + timedelta(hours=22)
    rows = read_compact_rows(store(messages), since)
    assert len(rows) == 3
    report = metrics_from_rows(rows, MONDAY + timedelta(days=2), since=since)
    assert report.total.messages == 1
    assert report.conversations["private"].messages == 0  # c1, 23 h earlier, was read too


# -- output ------------------------------------------------------------------------------------------


def test_report_as_text_and_json():
    messages, _ = synthetic(seed=3, conversations=60)
    report = compute_metrics(messages, now=datetime(2025, 4, 1, tzinfo=timezone.utc))
    text = format_report(report)
    assert "per responder" in text and "Anna" in text and "private conversations" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["total"]["messages"] == report.total.messages
    assert data["by_responder"]["anna"]["name"] == "Anna"
    assert data["targets"]["email"] == "8 h business time"


def test_no_messages_gives_an_empty_report():
    report = compute_metrics([], now=MONDAY)
    assert report.total.messages == 0 and report.total.median_minutes is None
    assert "all messages" in format_report(report)


# -- the command -------------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    import argparse
    import io

    from webcare.commands_metrics import register

    parser = argparse.ArgumentParser(prog="webcare")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["metrics", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = args.handler(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_command_reports_bad_lines_by_number_and_keeps_going(tmp_path):
    good = [msg("c1", 0, conv="t"), msg("b1", 30, conv="t", author="anna", brand=True, text="Ok", name="Anna")]
    lines = [json.dumps(good[0].to_dict()), "{not json", json.dumps({"platform": "x"}),
             json.dumps(good[1].to_dict())]
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run_cli(["--from", str(path), "--now", "2025-03-18T12:00:00+01:00"])
    assert code == 0
    assert "messages.jsonl:2" in err and "messages.jsonl:3" in err
    assert "Anna" in out and "all messages" in out


def test_command_json_from_the_store_with_facebook_outlook(tmp_path):
    messages = mixed_messages() + [msg("fb1", 0, conv="fbq"), msg("fb1r", 5, conv="fbq", author="anna", brand=True, text="Hoi")]
    db_path = tmp_path / "webcare.db"
    disk = sqlite3.connect(db_path)
    store(messages).backup(disk)
    disk.close()
    code, out, _ = run_cli(["--db", str(db_path), "--json", "--facebook", "--now", "2025-04-01T00:00:00Z"])
    assert code == 0
    data = json.loads(out)
    expected = compute_metrics(messages, datetime(2025, 4, 1, tzinfo=timezone.utc)).to_dict()
    assert data["metrics"]["total"] == expected["total"]
    assert data["facebook"]["responsiveness"]["inbox"]["counted"] >= 1
    assert "text" in data["facebook"]["forecast"]


def test_command_refuses_a_missing_database(tmp_path):
    code, _, err = run_cli(["--db", str(tmp_path / "nope.db")])
    assert code == 2 and "no such database" in err


def test_metrics_config_table():
    config = MetricsConfig.from_config({
        "gap_hours": 12, "targets": {"dm": "2h"},
        "business_hours": {"hours": {"mon": "08:00-18:00"}, "country": ""},
        "channel_hours": {"public": {"hours": {"sat": "10:00-14:00"}}},
    })
    assert config.gap == 12 * 3600
    assert config.target_for("dm") == ResponseTarget(7200)
    assert config.target_for("email") == ResponseTarget(8 * 3600, business=True)
    assert config.hours_for("public").weekly[5] == ((600, 840),)
    assert config.hours_for("dm").weekly[0] == ((480, 1080),)
    with pytest.raises(ValueError, match="unknown channel"):
        MetricsConfig.from_config({"targets": {"sms": "1h"}})


def test_store_rows_read_only_what_was_added():
    messages = mixed_messages()
    now = datetime(2025, 4, 1, tzinfo=timezone.utc)
    first, later = messages[:150], messages[150:]
    db = store(first)
    cache = StoreRows()
    assert len(cache.refresh(db)) == len(first)
    db.execute("INSERT INTO messages SELECT * FROM messages WHERE 0")  # nothing new
    assert len(cache.refresh(db)) == len(first)
    full = store(messages)
    for m in later:  # the rest arrives, including platforms not seen before
        row = full.execute("SELECT * FROM messages WHERE platform = ? AND id = ?", (m.platform, m.id)).fetchone()
        db.execute(f"INSERT INTO messages VALUES ({', '.join('?' * len(row))})", row)
    rows = cache.refresh(db)
    assert len(rows) == len(messages)
    names = {m.author.id: m.author.name for m in messages if m.from_brand and m.author.name}
    assert metrics_from_rows(rows, now, responder_names=names).to_dict() == compute_metrics(messages, now).to_dict()
