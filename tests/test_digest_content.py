"""The digest's figures, read from a fixed store on a fixed clock, and how they are written.

`fill_store` builds one known week (other digest tests import it): the digest of Wednesday
14 October 2026 (Europe/Amsterdam) is rendered as of Thursday 08:00, when it would go out.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fakes.telegram_api import parse_html

from webcare import config
from webcare.digest.build import build_digest, digest_provider
from webcare.digest.content import VolumeRow, chart_data, incident_summary
from webcare.digest.render import render_html_page, render_telegram, render_text
from webcare.digest.schedule import day_period, today_so_far, week_period
from webcare.digest.topics import complaint_topics
from webcare.models import Alert, Author, Message, Score
from webcare.store import Store
from webcare.telegram.format import shown_length

AMS = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 10, 14)  # a Wednesday
NOW = datetime(2026, 10, 15, 8, 0, tzinfo=AMS)  # when its digest goes out
HOSTILE = "<b>geen medaille</b> & boos </blockquote> &amp;"
MEDALS = ("Geen medaille bij de finish gekregen", "Waar blijft mijn medaille?", "Medailles waren op!!",
          "Ik wil alsnog een medaille", "Schandalig, geen medaille", HOSTILE)
PARKING = ("Parkeren was een ramp", "Nergens parkeren bij de start", "Parkeren kostte 20 euro")

NEG = Score("nl", -0.6, "neg", "complaint", True, 0.8, 0.5)
URGENT = Score("nl", -0.9, "neg", "complaint", True, 0.9, 0.9)
POS = Score("nl", 0.7, "pos", "praise", False, 0.0, 0.1)
NEU = Score("nl", 0.0, "neu", "other", False, 0.0, 0.1)
QUESTION = Score("nl", 0.0, "neu", "question", False, 0.1, 0.3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)


def message(platform: str, mid: str, when: datetime, text: str = "ok", *, kind: str = "comment",
            public: bool = True, author: str = "", brand: bool = False, **kw) -> Message:
    who = author or f"u-{mid}"
    return Message(platform=platform, id=mid, kind=kind, public=public, author=Author(who, who.title()),
                   text=text, created_at=when, from_brand=brand, **kw)


def save(store: Store, source: str, scored: list[tuple[Message, Score | None]]) -> None:
    with store.transaction():
        store.save_messages([m for m, _ in scored], source, NOW)
        store.save_scores([(m, s) for m, s in scored if s is not None])


def fill_store(store: Store) -> None:
    """One week of known traffic around Wednesday 14 October 2026."""
    # x: a mention every hour from 08:00 to 20:00 for a week; on the 14th silent 10:00-18:00
    for offset in range(7, 0, -1):
        day = DAY - timedelta(days=offset)
        save(store, "x-conn", [(message("x", f"x{day:%d}{h}", at(day, h), "Zondag weer mee!", kind="mention"), NEU)
                               for h in range(8, 21)])
    save(store, "x-conn", [(message("x", f"x14{h}", at(DAY, h), "Zondag weer mee!", kind="mention"), NEU)
                           for h in (8, 9, 18, 19, 20)])
    # facebook on the 13th: two complaints nobody answers
    save(store, "fb", [(message("facebook", f"w{i}", at(DAY - timedelta(days=1), 15 + i), "Geen water bij km 10",
                                url=f"https://facebook.example/p/1?c=w{i}"), NEG) for i in range(2)])
    # facebook on the 14th: six complaints about medals, three about parking, one praise
    complaints = [(message("facebook", f"m{i}", at(DAY, 11, 5 * i), text, url=f"https://facebook.example/p/2?c=m{i}"),
                   URGENT if text == HOSTILE else NEG) for i, text in enumerate(MEDALS)]
    complaints += [(message("facebook", f"p{i}", at(DAY, 13, 10 * i), text), NEG) for i, text in enumerate(PARKING)]
    praise = [(message("facebook", "good", at(DAY, 12), "Wat een mooie dag!"), POS)]
    replies = [  # the brand answers two medal complaints, after 30 and 90 minutes
        (message("facebook", "r0", at(DAY, 11, 30), "Sorry, we sturen hem na!", author="brand", brand=True,
                 in_reply_to="m0"), NEU),
        (message("facebook", "r1", at(DAY, 12, 35), "De medailles worden nagestuurd.", author="brand", brand=True,
                 in_reply_to="m1"), NEU)]
    save(store, "fb", complaints + praise + replies)
    # messenger: three DMs answered within 10 minutes earlier in the week, one on the 14th
    # acknowledged only by an auto-reply
    for i, day in enumerate((DAY - timedelta(days=6), DAY - timedelta(days=5), DAY - timedelta(days=4))):
        save(store, "fb", [
            (message("messenger", f"d{i}", at(day, 10), "Hoe laat start de 5 km?", kind="dm", public=False,
                     author=f"c{i}", conversation_id=f"t{i}"), QUESTION),
            (message("messenger", f"d{i}r", at(day, 10, 10), "Om 12:30!", kind="dm", public=False, author="brand",
                     brand=True, conversation_id=f"t{i}"), NEU)])
    save(store, "fb", [
        (message("messenger", "dm14", at(DAY, 9), "Waar is mijn startbewijs?", kind="dm", public=False,
                 author="c9", conversation_id="t9"), QUESTION),
        (message("messenger", "dm14r", at(DAY, 9, 1), "Bedankt voor je bericht! Je hoort zo snel mogelijk van ons.",
                 kind="dm", public=False, author="brand", brand=True, automated=True, conversation_id="t9"), NEU)])
    # incidents: one on the 13th (closed), two on the 14th (one acknowledged and resolved)
    alerts = [
        Alert(at(DAY - timedelta(days=1), 16), "complaint-storm", "high", "inc-0", 0, "open", "Water storm", "t"),
        Alert(at(DAY - timedelta(days=1), 19), "complaint-storm", "high", "inc-0", 1, "close", "Water storm", "t"),
        Alert(at(DAY, 10, 30), "complaint-storm", "high", "inc-1", 0, "open", "Medal storm on facebook", "t"),
        Alert(at(DAY, 15), "unanswered-pile-up", "medium", "inc-2", 0, "open", "Parking <pile-up> & more", "t"),
    ]
    with store.transaction():
        store.record_alerts(alerts, [])
        store.record_human_action("inc-1", "acknowledge", "alice", at(DAY, 10, 45))
        store.record_human_action("inc-1", "resolve", "alice", at(DAY, 12, 30))
        store.set_connector_status("fb", "ok", at(DAY + timedelta(days=1), 7, 55), success=True)
        store.set_connector_status("mail", "ok", at(DAY, 6), success=True)
        store.set_connector_status("mail", "backoff", at(DAY + timedelta(days=1), 7, 50),
                                   error="IMAP login timed out")


@pytest.fixture
def filled(tmp_path):
    store = Store(tmp_path / "digest.db")
    fill_store(store)
    yield store
    store.close()


CONFIG = config.default()


def day_digest(store: Store, now: datetime = NOW):
    return build_digest(store, CONFIG, day_period(DAY, AMS), now)


def test_volume_and_sentiment_per_channel_against_the_day_before(filled):
    d = day_digest(filled)
    assert (d.total.messages, d.total.neg, d.total.neu, d.total.pos) == (16, 9, 6, 1)
    assert (d.total.complaints, d.total.brand) == (9, 3)
    assert d.total_before.messages == 13 + 2
    lines = {c.platform: c for c in d.channels}
    assert [c.platform for c in d.channels] == ["facebook", "x", "messenger"]
    assert (lines["facebook"].now.messages, lines["facebook"].now.neg, lines["facebook"].before.messages) == (10, 9, 2)
    assert (lines["x"].now.messages, lines["x"].before.messages) == (5, 13)
    assert (lines["messenger"].now.messages, lines["messenger"].now.brand) == (1, 1)


def test_complaint_topics_group_word_forms_and_keep_examples_with_links(filled):
    d = day_digest(filled)
    assert [(t.term, t.count) for t in d.topics] == [("medaille", 6), ("parkeren", 3)]
    assert d.complaints == 9
    medal = d.topics[0]
    assert medal.share == pytest.approx(6 / 9)
    assert len(medal.examples) == 2 and all(m.url for m, _ in medal.examples)


def test_topics_do_not_repeat_each_other_and_need_two_messages():
    def ex(text):
        return (message("x", text, NOW, text), NEG)
    topics = complaint_topics([ex("water op bij km 10"), ex("geen water bij de finish"), ex("finish te druk"),
                               ex("water water water"), ex("losse klacht over bussen")], frozenset({"bij", "geen", "op", "de", "te"}))
    assert [(t.term, t.count) for t in topics] == [("water", 3)]  # 'finish' has one message left


def test_a_text_sent_again_counts_as_often_as_it_was_sent():
    """Topics count complaints, not distinct texts (each text's words are found once), and
    later topics count only the complaints earlier ones left, copies included."""
    def ex(text, i):
        return (message("x", str(i), NOW, text, url=f"https://x.com/{i}" if i % 2 else None), NEG)
    texts = ["geen water bij km 10"] * 3 + ["water op", "finish te druk", "finish te druk", "druk bij de bus"]
    topics = complaint_topics([ex(text, i) for i, text in enumerate(texts)], frozenset({"bij", "geen", "op", "de", "te"}))
    assert [(t.term, t.count) for t in topics] == [("water", 4), ("druk", 3)]
    assert [m.id for m, _ in topics[0].examples] == ["1", "3"]  # with a link first; each text once


def test_incidents_with_time_to_acknowledge_and_resolve(filled):
    inc = day_digest(filled).incidents
    assert [(i.number, i.id, i.status) for i in inc.lines] == [(1, "inc-1", "resolved"), (2, "inc-2", "open")]
    first = inc.lines[0]
    assert (first.ack_seconds, first.acked_by, first.done_seconds) == (15 * 60, "alice", 2 * 3600)
    assert (inc.opened, inc.opened_before, inc.still_open) == (2, 1, 1)
    assert (inc.acknowledged, inc.median_ack_seconds, inc.done) == (1, 15 * 60, 1)


def test_incidents_are_shown_as_they_stood_at_the_time_of_the_digest(filled):
    inc = day_digest(filled, now=at(DAY, 11)).incidents
    assert [(i.id, i.status, i.done_seconds) for i in inc.lines] == [("inc-1", "acknowledged", None)]


def test_response_times_waiting_messages_and_the_facebook_label(filled):
    d = day_digest(filled)
    r = d.response
    assert (r.now.messages, r.now.answered) == (16, 2)
    assert r.now.median_minutes == pytest.approx(60)  # 30 and 90 minutes
    assert r.by_platform["facebook"].answered == 2
    waiting = d.waiting
    # the two unanswered complaints of the 13th come first; praise and chatter wait for nobody
    assert waiting.total == 2 + 7 + 1
    assert waiting.by_platform == {"facebook": 9, "messenger": 1}
    assert [item.message.id for item in waiting.oldest[:3]] == ["w0", "w1", "dm14"]
    assert waiting.oldest[2].acknowledged and not waiting.oldest[0].acknowledged
    assert waiting.oldest[0].waited_seconds == (NOW - at(DAY - timedelta(days=1), 15)).total_seconds()
    fb = r.facebook
    assert fb is not None and fb.label == "within minutes" and fb.counted == 4
    assert fb.at_risk and fb.waiting == 1  # the DM of the 14th is 23 h old


def test_a_connector_silent_in_its_usual_hours_is_reported_and_a_failing_one_too(filled):
    d = day_digest(filled)
    (gap,) = d.gaps
    assert (gap.connector, gap.start, gap.end, gap.expected) == ("x-conn", at(DAY, 10), at(DAY, 18), 8.0)
    assert [(t.connector, t.status, t.error, t.last_success) for t in d.troubles] == [
        ("mail", "backoff", "IMAP login timed out", at(DAY, 6))]


def test_quiet_nights_are_not_gaps(filled):
    # x is silent every night from 21:00 to 08:00: usual, so not reported
    assert all(g.start.hour >= 8 for g in day_digest(filled).gaps)


def test_the_chart_series_hold_the_same_figures(filled):
    chart = day_digest(filled).chart
    assert len(chart.bins) == 24 and chart.bins[0] == at(DAY, 0) and chart.upto == 24
    assert (sum(chart.neg), sum(chart.neu), sum(chart.pos)) == (9, 6, 1)
    assert chart.neg[11] == 6 and chart.neg[13] == 3 and chart.pos[12] == 1
    assert sum(chart.previous) == 15 and chart.previous[15] == 1 + 1  # x mention and a complaint
    assert [(n, when.hour, sev) for n, when, sev in chart.incidents] == [(1, 10, "high"), (2, 15, "medium")]


def test_a_day_with_25_hours_has_25_bins_and_lines_up_with_the_day_before():
    day = date(2026, 10, 25)  # clocks go back at 03:00
    period = day_period(day, AMS)
    assert period.full_end - period.start == timedelta(hours=24)  # wall clock ...
    assert period.full_end.timestamp() - period.start.timestamp() == 25 * 3600  # ... but 25 real hours
    origin = datetime(2026, 10, 18, tzinfo=AMS)
    summer_two = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)  # 02:30 CEST
    winter_two = datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)  # 02:30 CET

    def row(when, n):
        return VolumeRow(int((when.timestamp() - origin.timestamp()) // 3600), "s", "x", 0, "neg", 0, n)
    rows = [row(summer_two, 1), row(winter_two, 2), row(datetime(2026, 10, 24, 5, tzinfo=AMS), 7)]
    empty = incident_summary([], period, period.previous(), NOW)
    chart = chart_data(rows, origin, period, period.previous(), empty)
    assert len(chart.bins) == 25
    assert [b.hour for b in chart.bins[:5]] == [0, 1, 2, 2, 3]
    assert chart.neg[2:4] == (1, 2)
    assert chart.bins[6].hour == 5 and chart.previous[6] == 7  # 05:00 the day before sits under 05:00


def test_a_week_compares_with_the_week_before(filled):
    d = build_digest(filled, CONFIG, week_period(DAY, AMS), NOW + timedelta(days=5))
    assert d.period.start == at(date(2026, 10, 12), 0) and d.previous.start == at(date(2026, 10, 5), 0)
    assert len(d.chart.bins) == 7 and d.chart.bins[2].date() == DAY
    assert d.chart.totals[2] == 16 and d.chart.totals[1] == 15
    assert d.total.messages == 13 + 15 + 16  # Mon 12, Tue 13, Wed 14
    assert d.total_before.messages == 13 * 5 + 3  # Mon 5 - Sun 11: x from the 7th, three DMs


def test_today_so_far_is_compared_with_yesterday_up_to_the_same_time(filled):
    now = at(DAY, 12, 0)
    d = build_digest(filled, CONFIG, today_so_far(now, AMS), now)
    assert d.period.partial and d.period.end == now and d.previous.end == at(DAY - timedelta(days=1), 12)
    assert d.total.messages == 2 + 1 + 6  # x at 8 and 9, the DM, six medal complaints
    assert d.total_before.messages == 4  # x at 8, 9, 10, 11 on the 13th
    assert d.chart.upto == 12


def test_text_in_dutch_and_english(filled):
    d = day_digest(filled)
    nl = render_text(d, "nl")
    assert "Dagoverzicht wo 14 okt 2026" in nl and "vergeleken met di 13 okt 2026" in nl
    assert "16 van klanten (gisteren 15, +6,7%)" in nl and "56% negatief" in nl
    assert "medaille: 6 klachten (67%)" in nl
    assert "[1] 🟠 10:30 Medal storm on facebook — erkend na 15 min (alice), opgelost na 2 u 00" in nl
    assert "x-conn gaf niets van 10:00 tot 18:00 (8 uur; normaal ~8 berichten)" in nl
    assert "mail: storing, probeert opnieuw" in nl and "IMAP login timed out" in nl
    assert "“reageert doorgaans binnen enkele minuten”" in nl
    assert "alleen automatisch antwoord" in nl
    en = render_text(d, "en")
    assert "Daily digest Wed 14 Oct 2026" in en and "16 from customers (day before 15, +6.7%)" in en
    assert "acknowledged after 15 min (alice), resolved after 2 h 00" in en
    assert "“typically replies within minutes”" in en
    with pytest.raises(ValueError):
        render_text(d, "de")


def test_telegram_html_escapes_what_customers_wrote_and_parses(filled):
    d = day_digest(filled)
    markup = render_telegram(d, "nl")
    assert "&lt;b&gt;geen medaille&lt;/b&gt; &amp; boos &lt;/blockquote&gt; &amp;amp;" in markup
    assert "Parking &lt;pile-up&gt; &amp; more" in markup
    shown, entities = parse_html(markup)  # Telegram's own rules: it would accept this message
    assert HOSTILE in shown and "Parking <pile-up> & more" in shown
    assert any(e["type"] == "text_link" and e["url"].startswith("https://facebook.example/") for e in entities)
    page = render_html_page(d, "nl")
    assert page.startswith("<!doctype html>") and '<img src="chart.png"' in page
    assert "&lt;b&gt;geen medaille&lt;/b&gt;" in page and "<b>geen medaille</b>" not in page


def test_plain_text_shows_customer_text_literally(filled):
    text = render_text(day_digest(filled), "nl")
    assert HOSTILE.strip() in text


def test_a_huge_day_still_fits_one_telegram_message(tmp_path):
    store = Store(tmp_path / "big.db")
    long = "Ontzettend lang verhaal over de medaille en de finish en het water " * 6
    save(store, "fb", [(message("facebook", f"b{i}", at(DAY, i % 24, i % 60), f"{long} {i}",
                                url=f"https://facebook.example/p/{i}"), NEG) for i in range(600)])
    with store.transaction():
        store.record_alerts([Alert(at(DAY, i % 24, i % 60), "complaint-storm", "high", f"big-{i}", 0, "open",
                                   "Complaint storm " + "with a very long title " * 10, "t") for i in range(60)], [])
    d = day_digest(store)
    markup = render_telegram(d, "en")
    assert shown_length(markup) <= 4096
    parse_html(markup)
    assert "… and " in markup  # incidents left out, and it says so
    store.close()


def test_digest_provider_answers_digest_command_with_today_so_far(filled):
    text = asyncio.run(digest_provider(CONFIG, filled)(at(DAY, 14, 5)))
    assert text.startswith("📊 Zuiderloop — Vandaag tot 14:05 (wo 14 okt 2026)")
    assert "vergeleken met gisteren tot 14:05" in text and "medaille: 6 klachten" in text
