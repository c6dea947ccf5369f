"""First-response metrics: what counts as an answer, per channel/platform/person, both clocks."""

from __future__ import annotations

import json
import math
import random
import sqlite3
import statistics
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from webcare.business_hours import BusinessHours
from webcare.store import read_columns
from webcare.metrics import (
    MetricsConfig, ResponseTarget, compute_metrics, first_responses, first_responses_from_columns,
    format_report, looks_like_auto_reply, mark_auto_reply, metrics_from_columns, report_from_pairs,
    thread_keys,
)
from webcare.models import Author, Message
from webcare.store import Store

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

def store(messages: list[Message], *, mark: bool = True, fill_threads: bool = True) -> sqlite3.Connection:
    """An in-memory store (the store's schema and insert path), filled the way the pipeline
    fills it (`mark`) and the way `thread_key` asks a store to fill reply chains."""
    keys = thread_keys(messages)
    filled = Store(":memory:")
    filled.save_messages([replace(
        mark_auto_reply(m) if mark else m,
        conversation_id=m.conversation_id or (key if fill_threads and m.in_reply_to else None))
        for m, key in zip(messages, keys)], "test", MONDAY)
    return filled.conn


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
    rows = read_columns(store(messages, mark=not recheck), recheck_text=recheck)
    names = {m.author.id: m.author.name for m in messages if m.from_brand and m.author.name}
    from_sql = metrics_from_columns(rows, now, responder_names=names)
    assert from_sql.to_dict() == compute_metrics(messages, now).to_dict()
    assert from_sql.by_channel["review"].messages == 1


def test_fast_sql_trusts_the_stored_flag():
    messages = [msg("c1", 0, conv="t"),
                msg("a1", 1, conv="t", author="page", brand=True, text="Je krijgt z.s.m. antwoord.")]
    now = MONDAY + timedelta(days=1)
    unmarked = store(messages, mark=False)
    assert metrics_from_columns(read_columns(unmarked), now).total.answered == 1
    assert metrics_from_columns(read_columns(unmarked, recheck_text=True), now).total.answered == 0


def test_timestamps_the_bulk_read_cannot_carry_are_read_row_by_row(tmp_path):
    start = datetime(1970, 1, 2, 9, 0, 0, 123457, tzinfo=timezone.utc)  # before 1972
    messages = [msg("c1", 0, conv="t", start=start),
                msg("b1", 30.5, conv="t", author="anna", brand=True, text="Ok", start=start)]
    path = tmp_path / "old.db"
    disk = sqlite3.connect(path)
    store(messages).backup(disk)
    disk.close()
    columns = read_columns(sqlite3.connect(path))
    assert columns.ts.tolist() == [m.created_at.timestamp() for m in messages]
    now = start + timedelta(days=3)
    assert metrics_from_columns(columns, now).to_dict() == compute_metrics(messages, now).to_dict()


def test_a_reply_answers_the_message_of_that_id_on_its_own_platform(tmp_path):
    messages = [
        msg("7", 0, kind="comment", public=True, author="alice", conv="p"),
        msg("8", 1, kind="comment", public=True, author="carol", conv="p"),
        msg("7", 2, platform="x", kind="mention", public=True, author="bob", conv="p"),
        msg("r", 10, kind="comment", public=True, author="anna", conv="p", reply_to="7", brand=True,
            text="Hoi Alice, stuur ons een DM."),
    ]
    waiting = {(r.message.platform, r.message.author.id) for r in first_responses(messages) if not r.answered_at}
    assert waiting == {("facebook", "carol"), ("x", "bob")}
    path = tmp_path / "webcare.db"
    disk = sqlite3.connect(path)
    store(messages).backup(disk)
    disk.close()
    report = metrics_from_columns(read_columns(sqlite3.connect(path)), MONDAY + timedelta(hours=2))
    assert (report.by_platform["facebook"].answered, report.by_platform["facebook"].overdue) == (1, 1)


def test_odd_ids_pair_the_same_from_the_store(tmp_path):
    odd = ['a"b', "back\\slash", "new\nline", "us\x1fsep", "😡 émoji", "\u202eRTL", "", "null", "[1,2]"]
    messages = []
    for i, key in enumerate(odd):
        messages += [
            msg(f"c{i}", i, kind="comment", public=True, conv=key, author=key or "x"),
            msg(f"r{i}", i + 5, kind="comment", public=True, conv=key, author="anna" + key,
                brand=True, reply_to=f"c{i}", text="Ok"),
            msg(f"d{i}", i, conv=key + "dm", author=key or "y"),
            msg(f"e{i}", i + 7, conv=key + "dm", author="bram" + key, brand=True, text="Ok"),
        ]
    path = tmp_path / "webcare.db"
    store_ = Store(path)
    store_.save_messages(messages, "test", MONDAY)
    store_.close()
    now = MONDAY + timedelta(days=1)
    report = metrics_from_columns(read_columns(sqlite3.connect(path)), now)
    assert report.to_dict() == compute_metrics(messages, now).to_dict()
    assert report.total.answered == 2 * len(odd)


def test_query_for_a_period_reads_back_one_silence_gap():
    messages = [msg("c1", 0, conv="t"), msg("c2", 23 * 60, conv="t"),
                msg("b", 23 * 60 + 5, conv="t", author="anna", brand=True, text="Ok")]
    since = MONDAY + timedelta(hours=22)
    rows = read_columns(store(messages), since)
    assert len(rows) == 3
    report = metrics_from_columns(rows, MONDAY + timedelta(days=2), since=since)
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
    assert data["metrics"] == expected
    assert data["metrics"]["by_responder"]["anna"]["name"] == "Anna"
    assert data["facebook"]["responsiveness"]["inbox"]["counted"] >= 1
    assert "text" in data["facebook"]["forecast"]


def test_command_on_a_store_without_messages_reports_nothing(tmp_path):
    Store(tmp_path / "webcare.db").close()
    code, out, _ = run_cli(["--db", str(tmp_path / "webcare.db"), "--json", "--now", "2025-04-01T00:00:00Z"])
    assert code == 0 and json.loads(out)["metrics"]["total"]["messages"] == 0


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


# -- the bulk store read against a straightforward reference ----------------------------------


def reference_pairs(messages: list[Message], gap: float = 24 * 3600.0) -> dict[int, tuple]:
    """Per customer message: (opens a conversation, ack epoch, answer epoch, responder), found
    message by message as the metrics module docstring states the rules."""
    at = {i: m.created_at.timestamp() for i, m in enumerate(messages)}
    order = sorted(at, key=lambda i: (at[i], i))  # ties keep the given order
    rank = {i: r for r, i in enumerate(order)}
    index = {(m.platform, m.id): i for i, m in enumerate(messages)}
    threads: dict[int, str] = {}

    def thread(i: int) -> str:
        if i not in threads:
            m = messages[i]
            parent = index.get((m.platform, m.in_reply_to)) if m.in_reply_to else None
            threads[i] = (m.conversation_id or (thread(parent) if parent is not None else m.in_reply_to)
                          or (m.id if m.public else "@" + m.author.id))
        return threads[i]

    def place(i: int) -> tuple:  # a thread's public and private messages are apart
        return messages[i].platform, thread(i), messages[i].public

    def bucket_of(c: int) -> list[int]:
        """The messages that can answer customer message `c`, or break its silence."""
        m = messages[c]
        same = [i for i in order if place(i) == place(c)]
        if not m.public:
            return same
        mine = [i for i in same if not messages[i].from_brand and messages[i].author.id == m.author.id]
        opened = rank[mine[0]]
        found = []
        for i in same:
            b = messages[i]
            if not b.from_brand:
                if i in mine:
                    found.append(i)
                continue
            target = index.get((b.platform, b.in_reply_to)) if b.in_reply_to else None
            if target is not None and not messages[target].from_brand and place(target) == place(i):
                if target in mine:
                    found.append(i)  # a reply to this customer
            elif rank[i] > opened:
                found.append(i)  # to everyone already there
        return found

    result = {}
    for c, m in enumerate(messages):
        if m.from_brand:
            continue
        events = bucket_of(c)
        auto = {i for i in events if messages[i].from_brand and (messages[i].automated
                                                                  or looks_like_auto_reply(messages[i].text))}
        later = [i for i in events if rank[i] > rank[c] and messages[i].from_brand]
        answers = [i for i in later if i not in auto]
        answer = answers[0] if answers else None
        acks = [i for i in later if i in auto and (answer is None or rank[i] < rank[answer])]
        before = [i for i in events if rank[i] < rank[c] and i not in auto]
        result[c] = (
            not before or at[c] - at[before[-1]] >= gap,
            at[acks[0]] if acks else None,
            at[answer] if answer is not None else None,
            messages[answer].author.id if answer is not None else None,
        )
    return result


def reference_report(messages: list[Message], now: datetime, config: MetricsConfig,
                     since: datetime | None, until: datetime | None) -> dict[tuple[str, str], object]:
    """The report's figures, message by message, with the scalar business clock."""
    pairs = reference_pairs(messages, config.gap)
    now_ts = now.timestamp()
    items = []
    for c, (opener, ack, answer, responder) in pairs.items():
        m = messages[c]
        ts = m.created_at.timestamp()
        if ts > now_ts or (since and m.created_at < since) or (until and m.created_at >= until):
            continue
        channel = {"dm": "dm", "email": "email", "review": "review"}.get(m.kind, "public" if m.public else "dm")
        hours, goal = config.hours_for(channel), config.target_for(channel)
        answer = answer if answer is not None and answer <= now_ts else None
        ack = ack if ack is not None and ack <= now_ts else None
        if answer is not None:
            judged = hours.business_seconds_between_ts(ts, answer) if goal.business else answer - ts
        else:
            judged = hours.business_seconds_between_ts(ts, now_ts) if goal.business else now_ts - ts
        items.append({
            "public": m.public, "opener": opener, "channel": channel, "platform": m.platform,
            "responder": responder if answer is not None else None, "late": judged > goal.seconds,
            "wall": None if answer is None else answer - ts, "ack": None if ack is None else ack - ts,
            "business": None if answer is None else hours.business_seconds_between_ts(ts, answer),
        })

    def percentile(values: list[float], q: float) -> float:
        values = sorted(values)
        pos = q * (len(values) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(values) - 1)
        return (values[lo] + (values[hi] - values[lo]) * (pos - lo)) / 60

    def stats(group: list[dict]) -> dict:
        done = [x for x in group if x["wall"] is not None]
        overdue = sum(1 for x in group if x["wall"] is None and x["late"])
        in_time = sum(1 for x in done if not x["late"])
        out: dict = {"messages": len(group), "answered": len(done), "overdue": overdue,
                     "acknowledged": sum(1 for x in group if x["ack"] is not None),
                     "waiting": len(group) - len(done) - overdue,
                     "within_target": in_time / (len(done) + overdue) if done or overdue else None}
        for name, key in (("", "wall"), ("business_", "business"), ("ack_", "ack")):
            values = [x[key] for x in group if x[key] is not None]
            out[f"{name}median_minutes"] = percentile(values, 0.5) if values else None
            out[f"{name}p90_minutes"] = percentile(values, 0.9) if values else None
        return out

    def by(key: str, group: list[dict]) -> dict:
        names = sorted({x[key] for x in group if x[key] is not None})
        return {name: stats([x for x in group if x[key] == name]) for name in names}

    groups = {
        "total": stats(items),
        "private": stats([x for x in items if not x["public"]]),
        "public": stats([x for x in items if x["public"]]),
        "private conversations": stats([x for x in items if x["opener"] and not x["public"]]),
        "public conversations": stats([x for x in items if x["opener"] and x["public"]]),
        **{f"channel {k}": v for k, v in by("channel", items).items()},
        **{f"platform {k}": v for k, v in by("platform", items).items()},
        **{f"responder {k}": v for k, v in by("responder", items).items()},
    }
    return {(name, f): value for name, group in groups.items() if group["messages"]
            for f, value in group.items()}


def report_figures(report) -> dict[tuple[str, str], object]:
    groups = {"total": report.total, "private": report.private, "public": report.public,
              "private conversations": report.conversations["private"],
              "public conversations": report.conversations["public"]}
    for prefix, table in (("channel", report.by_channel), ("platform", report.by_platform),
                          ("responder", report.by_responder)):
        groups.update({f"{prefix} {k}": v for k, v in table.items()})
    fields = ("messages", "answered", "overdue", "acknowledged", "waiting", "within_target",
              "median_minutes", "p90_minutes", "business_median_minutes", "business_p90_minutes",
              "ack_median_minutes", "ack_p90_minutes")
    return {(name, f): getattr(s, f) for name, s in groups.items() if s.messages for f in fields}


FRIDAY = datetime(2025, 3, 14, 15, 0, tzinfo=AMS)  # the weekend and office hours both matter


@st.composite
def stores(draw) -> list[Message]:
    """Messages on three platforms (the same ids on each), out of time order, with ties,
    silences of exactly and more than a day, reply chains, thread-wide updates and
    auto-replies."""
    messages: list[Message] = []
    for n in range(draw(st.integers(1, 30))):
        platform = draw(st.sampled_from(["facebook", "x", "email"]))
        public = draw(st.booleans())
        brand = draw(st.booleans())
        earlier = [m.id for m in messages if m.platform == platform]
        messages.append(Message(
            platform=platform, id=str(sum(m.platform == platform for m in messages)),
            kind=draw(st.sampled_from(["comment", "mention", "post", "review"] if public else ["dm", "email"])),
            public=public,
            author=Author(draw(st.sampled_from(["anna", "bram"] if brand else ["c1", "c2", "c3"]))),
            text=draw(st.sampled_from(["Help?", "Opgelost!", "Bedankt voor je bericht, we reageren zo snel mogelijk."])),
            created_at=FRIDAY + timedelta(days=draw(st.integers(0, 3)), minutes=45 * draw(st.integers(0, 30)),
                                          seconds=draw(st.sampled_from([0, 0, 0.5, 17.123456]))),
            conversation_id=draw(st.sampled_from([None, None, "t1", "t2"])),
            in_reply_to=draw(st.sampled_from([None, "gone", *earlier])),
            from_brand=brand, automated=brand and draw(st.booleans()),
        ))
    return messages


@settings(max_examples=120, deadline=None)
@given(messages=stores(), now_steps=st.integers(0, 110), window=st.booleans())
def test_store_read_gives_what_a_message_by_message_reference_gives(messages, now_steps, window):
    now = FRIDAY + timedelta(minutes=45 * now_steps)
    since, until = (FRIDAY + timedelta(hours=20), FRIDAY + timedelta(hours=60)) if window else (None, None)
    config = MetricsConfig()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "webcare.db"
        store_ = Store(path)  # filled as `thread_key` asks a store to fill reply chains
        store_.save_messages([replace(mark_auto_reply(m), conversation_id=m.conversation_id or (
            key if m.in_reply_to else None)) for m, key in zip(messages, thread_keys(messages))],
            "test", now)
        store_.close()
        connection = sqlite3.connect(path)
        pairs = first_responses_from_columns(read_columns(connection), config.gap)
        connection.close()
    expected = reference_pairs(messages)
    got = {row: (opener, None if math.isnan(ack) else ack, None if math.isnan(answer) else answer,
                 pairs.responders[who] if who >= 0 else None)
           for row, opener, ack, answer, who in zip(pairs.row.tolist(), pairs.opener.tolist(),
                                                    pairs.ack.tolist(), pairs.answer.tolist(),
                                                    pairs.responder.tolist())}
    assert got == expected
    want = reference_report(messages, now, config, since, until)
    for report in (report_from_pairs(pairs, now, config, since=since, until=until),
                   compute_metrics(messages, now, config, since=since, until=until)):
        figures = report_figures(report)
        assert figures.keys() == want.keys()
        for key, value in want.items():
            assert figures[key] == (value if value is None else pytest.approx(value, rel=1e-12)), key
