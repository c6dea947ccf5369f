"""Fault drill, fourth round: what the Telegram Bot API really answers when things go wrong.

The real python-telegram-bot client talks to the fake Bot API over a socket; time is a
SimClock. Each test is a fault and what a user would notice: every alert reaches the chats
that can take it, once; buttons and commands keep working; the problem is logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from datetime import timedelta

import pytest

import test_telegram_sink as t_sink
from conftest import T0
from fakes.telegram_api import FakeBotApi
from test_telegram_sink import LEAD, PEOPLE, TEAM, alert
from webcare import config
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.store import Store
from webcare.telegram.service import start_telegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ALICE = PEOPLE["alice"]
SOON = 10  # seconds a test waits for what should happen at once


def said(caplog, level: int = logging.WARNING) -> list[str]:
    """webcare's log lines at `level` or above (not the fakes' access logs), with tracebacks."""
    return [caplog.handler.format(r) for r in caplog.records
            if r.levelno >= level and not r.name.startswith("aiohttp.access")]


async def press(w: t_sink.World, chat: int, message_id: int, data: str) -> str:
    """Alice taps a button; the answer shown on her phone."""
    qid = w.fake.press(chat, message_id, w.fake.user(ALICE, "Alice"), data)
    await w.fake.wait_for(lambda: qid in w.fake.answers, SOON)
    return w.fake.answers[qid].get("text", "")


async def until(predicate, seconds: float = SOON) -> None:
    """Wait for what no request of the fake marks (a log line); bounded, not timed."""
    for _ in range(int(seconds * 100)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached")


@contextlib.contextmanager
def locked(store: Store):
    """Another writer (a backup, a second tool) holds the database; writes fail at once."""
    store.conn.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.rollback()
        other.close()


# --- flood control --------------------------------------------------------------------------------

def test_a_command_reply_told_to_wait_a_day_does_not_freeze_alerts_and_buttons(tmp_path, caplog):
    """Command replies waited out flood control inside the rate limiter, which holds back
    every other request meanwhile: a 429 with retry_after=86400 on a /help reply stopped all
    alerts, button answers and polling for a day."""
    async def body(w: t_sink.World):
        w.record(alert())
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        w.fake.fail_next("sendMessage", 429, retry_after=1)  # a short wait is waited out: one reply
        w.fake.command(TEAM, w.fake.user(ALICE, "Alice"), "/help")
        await w.fake.wait_for(lambda: len(w.fake.sent(TEAM)) == 2, SOON)
        w.fake.fail_next("sendMessage", 429, retry_after=86400)
        w.fake.command(TEAM, w.fake.user(ALICE, "Alice"), "/help")
        await w.fake.wait_for(lambda: len(w.fake.method_calls("sendMessage")) == 4, SOON)
        w.record(alert("b", title="Second storm"))
        assert await asyncio.wait_for(w.flush(), SOON) == 1
        assert "Second storm" in w.fake.sent(TEAM)[-1]["text"]
        assert (await asyncio.wait_for(press(w, TEAM, shown["message_id"], "act:acknowledge"), SOON)
                ).startswith("Acknowledged")

    with caplog.at_level(logging.INFO):
        t_sink.scenario(tmp_path, body)
    refused = [m for m in said(caplog) if "86400" in m]
    assert len(refused) == 1 and "reply" in refused[0] and "Traceback" not in refused[0]


@pytest.mark.parametrize("retry_after", [86400, 10**12])
def test_flood_control_of_a_day_holds_alerts_minutes_not_a_day(tmp_path, caplog, retry_after):
    """A retry_after of a day held every alert and escalation for a day; 10^12 s (a broken
    proxy) overflowed the sink's datetime and escaped it."""
    async def body(w: t_sink.World):
        for n in range(2):  # the warning comes once an episode, not once a 429
            w.fake.fail_next("sendMessage", 429, retry_after=retry_after)
            w.record(alert(f"s{n}", title=f"Storm {n}"))
            assert await w.flush() == 0 and w.store.pending_count("telegram") == 1
            w.clock.advance(299)
            assert await w.flush() == 0
            w.clock.advance(2)  # five minutes at most
            assert await w.flush() == 1
            assert f"Storm {n}" in w.fake.sent(TEAM)[-1]["text"]
        assert len(w.fake.sent(TEAM)) == 2 and len(w.fake.method_calls("sendMessage")) == 4

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert sum(f"{retry_after:g} s" in m for m in told) == 2, told  # once an episode: two
    assert not [m for m in told if "Traceback" in m]


def test_flood_control_of_a_day_on_polling_does_not_leave_the_buttons_dead_for_a_day(tmp_path, caplog):
    """python-telegram-bot's polling sleeps through any flood wait: a 429 on getUpdates with
    retry_after=86400 left every button press and command unanswered for a day."""
    async def body(w: t_sink.World):
        w.record(alert())
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        w.fake.fail_next("getUpdates", 429, retry_after=86400)
        w.fake.command(TEAM, w.fake.user(ALICE, "Alice"), "/help")  # ends the long poll under way
        await w.fake.wait_for(lambda: len(w.fake.sent(TEAM)) == 2, SOON)
        assert (await press(w, TEAM, shown["message_id"], "act:claim")).startswith("Claimed")

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and "86400" in told[0] and "Traceback" not in told[0], told


# --- the token ------------------------------------------------------------------------------------

def test_a_token_revoked_while_running_keeps_the_alerts_and_buttons_work_again_when_it_is_back(tmp_path, caplog):
    """One 401 on getUpdates ended python-telegram-bot's polling loop for good: once the token
    worked again alerts went out, but no button press or command was ever answered."""
    other = "123456789:AAsomeoneElsesTokenForTests-987654"

    async def body(w: t_sink.World):
        good = w.fake.token
        polls = len(w.fake.method_calls("getUpdates"))
        await w.fake.revoke(other)
        await w.fake.wait_for(lambda: len(w.fake.method_calls("getUpdates")) > polls + 1, SOON)
        w.record(alert())
        for _ in range(3):
            assert await w.flush() == 0
        assert w.store.pending_count("telegram") == 1  # kept, not marked sent
        assert len(w.fake.method_calls("sendMessage")) == 3  # one try a flush: no loop
        await w.fake.revoke(good)
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        assert (await press(w, TEAM, shown["message_id"], "act:claim")).startswith("Claimed")

    with caplog.at_level(logging.INFO):
        t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert not [m for m in told if "Traceback" in m]
    assert sum("token" in m for m in told) == 2, told  # the sink's alerts and the polling, once each
    assert other not in caplog.text and FakeBotApi().token not in caplog.text


# --- answers that are not what they claim ---------------------------------------------------------

@pytest.mark.parametrize("status, answer", [
    (200, "<html><body>Welcome to the hotel wifi</body></html>"),
    (200, {"ok": False}),
    (200, {"ok": True, "result": True}),
    (200, {"ok": True, "result": "sent"}),
    (429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
           "parameters": {"retry_after": 10**15}}),
], ids=["html-200", "ok-false-no-description", "result-true", "result-str", "retry-after-1e15"])
def test_an_answer_that_is_not_a_message_keeps_the_alert_queued_and_is_said_once(tmp_path, caplog, status, answer):
    """The client raised a bare TelegramError (not JSON), a KeyError (no result), an
    OverflowError (a retry_after no timedelta holds) or the sink an AttributeError (a result
    that is no message) out of the sink: the delivery loop logged a traceback on every
    flush, and at start-up it ended webcare run."""
    async def body(w: t_sink.World):
        w.fake.fail_next("sendMessage", status, body=answer, times=2)
        w.record(alert())
        assert await w.flush() == 0
        assert await w.flush() == 0
        assert w.store.pending_count("telegram") == 1
        assert await w.flush() == 1
        assert len(w.fake.sent(TEAM)) == 1 and w.store.pending_count("telegram") == 0

    with caplog.at_level(logging.INFO):
        t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert not [m for m in told if "Traceback" in m], told
    assert sum("unavailable" in m for m in told) == 1


# --- chats that will not take the alert -----------------------------------------------------------

def test_a_command_in_a_group_where_the_bot_may_not_write_is_said_once_not_a_traceback_each(tmp_path, caplog):
    """A reply Telegram refused (here: the group lets no member write) ended the handler with a
    traceback, once for every command typed there."""
    async def body(w: t_sink.World):
        w.fake.read_only.add(TEAM)
        for n in range(2):
            w.fake.command(TEAM, w.fake.user(ALICE, "Alice"), "/help")
            await w.fake.wait_for(lambda: len(w.fake.method_calls("sendMessage")) == n + 1, SOON)
        w.fake.command(ALICE, w.fake.user(ALICE, "Alice"), "/help")  # her own chat still works
        await w.fake.wait_for(lambda: w.fake.sent(ALICE), SOON)

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and "team" in told[0] and "Traceback" not in told[0], told


def test_a_group_where_the_bot_may_not_write_is_said_once_and_the_others_get_every_alert(tmp_path, caplog):
    """"not enough rights to send text messages" was taken for refused HTML: each alert was
    sent twice more to that group (as plain text) and logged twice as an error."""
    async def body(w: t_sink.World):
        w.fake.read_only.add(TEAM)
        w.record(*(alert(f"s{n}", recipients=("team", "lead"), title=f"Storm {n}") for n in range(3)))
        assert await w.flush() == 3
        assert [m["text"].split("\n")[1] for m in w.fake.sent(LEAD)] == [f"Storm {n}" for n in range(3)]
        assert len([p for p in w.fake.method_calls("sendMessage") if p["chat_id"] == TEAM]) == 3
        assert w.store.pending_count("telegram") == 0

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and "team" in told[0] and "not enough rights" in told[0].lower(), told


def test_an_example_on_an_intranet_host_does_not_cost_the_alert(tmp_path, caplog):
    """Telegram refuses a URL button whose host has no dot (a self-hosted forum at
    http://forum/...): the HTML send and the plain-text one both carried it, so every chat
    refused the alert, two errors were logged, and it was marked sent without reaching anyone."""
    async def body(w: t_sink.World):
        w.save_examples(t_sink.post("1", "Jullie site ligt plat", url="http://forum/t/42"), score=t_sink.NEG)
        w.record(alert(message_ids=("facebook:1",)))
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        assert "Jullie site ligt plat" in shown["text"] and "act:acknowledge" in t_sink.buttons(shown)
        assert len(w.fake.method_calls("sendMessage")) == 1

    t_sink.scenario(tmp_path, body)
    assert not said(caplog)


def test_an_alert_whose_link_button_telegram_refuses_still_arrives_with_its_action_buttons(tmp_path, caplog):
    """A URL button Telegram refuses for a reason of its own: the plain-text retry carried the
    same button, so the alert was refused twice and marked sent without reaching the chat."""
    async def body(w: t_sink.World):
        w.save_examples(t_sink.post("1", "Waar blijft mijn pakket?"), score=t_sink.NEG)
        w.fake.fail_next("sendMessage", 400, description="Bad Request: BUTTON_URL_INVALID", times=2)
        w.record(alert(message_ids=("facebook:1",)))
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        assert "Waar blijft mijn pakket?" in shown["text"] and "url" not in t_sink.buttons(shown)
        assert "act:acknowledge" in t_sink.buttons(shown) and len(w.fake.method_calls("sendMessage")) == 3

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and "Button_url_invalid".lower() in told[0].lower(), told


def test_a_wrong_chat_id_in_the_config_is_said_once_naming_the_chat(tmp_path, caplog):
    """Already right: "chat not found" is a refusal, warned once with the configured name."""
    async def body(w: t_sink.World):
        del w.fake.chats[LEAD]  # no such chat: a typo in [telegram] chats
        w.record(*(alert(f"s{n}", recipients=("team", "lead")) for n in range(3)))
        assert await w.flush() == 3
        assert len(w.fake.sent(TEAM)) == 3 and w.store.pending_count("telegram") == 0

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and f"{LEAD} (lead)" in told[0] and "Chat not found" in told[0], told


def test_a_deleted_alert_message_gets_the_update_as_one_new_message(tmp_path, caplog):
    """Already right: "message to edit not found" sends the update anew, once; "message is not
    modified" counts as done."""
    async def body(w: t_sink.World):
        w.record(alert())
        assert await w.flush() == 1
        (first,) = w.fake.sent(TEAM)
        del w.fake.messages[(TEAM, first["message_id"])]  # someone deleted it in the chat
        w.record(alert(seq=1, kind="update", minutes=5, reasons=("grew to 14",)))
        assert await w.flush() == 1
        (again,) = w.fake.sent(TEAM)
        assert "grew to 14" in again["text"] and w.store.telegram_current("storm-1")[TEAM]["message_id"] == \
            again["message_id"]
        w.fake.fail_next("editMessageText", 400, description="Bad Request: message is not modified: "
                         "specified new message content and reply markup are exactly the same")
        w.record(alert(seq=2, kind="update", minutes=6, reasons=("grew to 14",)))
        assert await w.flush() == 1 and len(w.fake.sent(TEAM)) == 1
        assert await w.flush() == 0 and len(w.fake.method_calls("editMessageText")) == 2

    t_sink.scenario(tmp_path, body)
    assert not said(caplog)


# --- button presses -------------------------------------------------------------------------------

def test_a_press_whose_answer_is_refused_still_updates_the_messages(tmp_path, caplog):
    """A press handled late (after a restart or an outage) cannot be answered any more ("query
    is too old"): the error ended the handler before the messages were refreshed, so the
    chat never showed who acknowledged, and a traceback was logged."""
    async def body(w: t_sink.World):
        w.record(alert(recipients=("team", "lead")))
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        w.fake.fail_next("answerCallbackQuery", 400, description="Bad Request: query is too old and "
                         "response timeout expired or query ID is invalid")
        w.fake.press(TEAM, shown["message_id"], w.fake.user(ALICE, "Alice"), "act:acknowledge")
        await w.fake.wait_for(lambda: all("Acknowledged by alice" in m["text"] for m in w.fake.sent()), SOON)
        assert len(w.fake.sent(TEAM)) == len(w.fake.sent(LEAD)) == 1  # edited, not sent again
        assert w.store.incident("storm-1")["status"] == "acknowledged"

    t_sink.scenario(tmp_path, body)
    assert not [m for m in said(caplog) if "Traceback" in m]


def test_a_press_on_an_incident_from_before_a_database_reset_is_answered(tmp_path, caplog):
    """Already right: a message the store does not know gets "I do not know…", nothing else."""
    async def body(w: t_sink.World):
        w.record(alert())
        assert await w.flush() == 1
        old = w.fake.add_chat(TEAM)  # the same chat; message 777 was sent by an earlier database
        w.fake.messages[(TEAM, 777)] = {"message_id": 777, "date": 1, "chat": old, "text": "old alert"}
        assert await press(w, TEAM, 777, "act:resolve") == "I do not know this message's incident."
        assert w.store.incident("storm-1")["status"] == "open"

    t_sink.scenario(tmp_path, body)
    assert not said(caplog)


def test_a_press_during_flood_control_shows_in_the_chat_once_the_wait_is_over(tmp_path, caplog):
    """A press while flood control lasted changed the incident, but its messages were never
    re-rendered: the group kept showing the Acknowledge button and nobody's name."""
    async def body(w: t_sink.World):
        w.record(alert())
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        w.fake.fail_next("sendMessage", 429, retry_after=30)
        w.record(alert("b", title="Second storm"))
        assert await w.flush() == 0
        assert (await press(w, TEAM, shown["message_id"], "act:acknowledge")).startswith("Acknowledged")
        await until(lambda: any("could not be updated" in r.getMessage() for r in caplog.records))
        assert "Acknowledged by alice" not in w.fake.messages[(TEAM, shown["message_id"])]["text"]
        w.clock.advance(31)
        await w.sink.release_held()  # the bot's round every 30 s
        assert "Acknowledged by alice" in w.fake.messages[(TEAM, shown["message_id"])]["text"]
        edits = len(w.fake.method_calls("editMessageText"))
        await w.sink.release_held()
        assert len(w.fake.method_calls("editMessageText")) == edits  # once
        assert await w.flush() == 1 and len(w.fake.sent(TEAM)) == 2

    with caplog.at_level(logging.WARNING):
        t_sink.scenario(tmp_path, body)


# --- the database ---------------------------------------------------------------------------------

def test_a_database_locked_right_after_a_send_does_not_send_the_alert_twice(tmp_path, caplog):
    """The message went out, but recording it failed ("database is locked": a backup, another
    tool): the error escaped the sink and the next flush sent the alert to the chat again."""
    async def body(w: t_sink.World):
        w.record(alert())
        with locked(w.store):
            assert await w.flush() == 0
            assert await w.flush() == 0
        assert await w.flush() == 1
        assert await w.flush() == 0
        assert len(w.fake.sent(TEAM)) == 1 and w.store.pending_count("telegram") == 0
        assert w.store.telegram_current("storm-1")[TEAM]["message_id"] == w.fake.sent(TEAM)[0]["message_id"]

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and "database is locked" in told[0] and "Traceback" not in told[0], told


def test_a_database_locked_while_held_alerts_go_out_does_not_send_one_twice(tmp_path, caplog):
    """The same for a notification held for quiet hours: sent, not recorded, and sent again
    by the next release round."""
    night = T0.replace(hour=23)

    async def body(w: t_sink.World):
        w.record(alert(severity="medium"))
        assert await w.flush() == 1 and not w.fake.sent(TEAM)  # held
        w.clock.set(night + timedelta(hours=8))  # 07:00 local: quiet hours are over
        with locked(w.store):
            assert await w.sink.release_held() == 0
            assert await w.sink.release_held() == 0
        assert await w.sink.release_held() == 0  # it went out above: stored now, not sent again
        assert len(w.fake.sent(TEAM)) == 1 and not w.store.telegram_held()

    t_sink.scenario(tmp_path, body, telegram={"quiet_hours": {"team": "22:00-07:00"}}, start=night)


def test_the_round_that_releases_held_alerts_outlives_a_locked_database(tmp_path, caplog):
    """Only Telegram's errors were caught in the round that sends held notifications: a
    locked database ended it for the rest of the run (no held alert went out again) and made
    the stop fail with the same error."""
    night = T0.replace(hour=23)

    async def main():
        fake = await FakeBotApi().start()
        for chat in (TEAM, LEAD):
            fake.add_chat(chat)
        cfg = config.from_dict({"brand": {"timezone": "Europe/Amsterdam"}, "telegram": {
            "api_base_url": fake.base_url, "people": PEOPLE, "chats": {"team": TEAM, "lead": LEAD},
            "quiet_hours": {"team": "22:00-07:00", "lead": "22:00-07:00"}}})
        clock = SimClock(night)
        store = Store(tmp_path / "w.db")
        pipeline = Pipeline(store, Engine(load_dir(None)), [], simulated=True)
        handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": fake.token},
                                      poll_timeout=5, release_every=0.01)
        try:
            await asyncio.wait_for(handle.ready.wait(), SOON)
            w = t_sink.World(fake, pipeline, clock, handle)
            w.record(alert("a", severity="medium"), alert("b", severity="medium", recipients=("lead",)))
            assert await w.flush() == 2 and not fake.sent()  # both held
            fake.blocked.add(TEAM)  # the team's hold will be dropped: a write
            with locked(store):
                clock.set(night + timedelta(hours=8))  # quiet hours are over
                await until(lambda: any("releasing held alerts failed" in r.getMessage() for r in caplog.records))
            await fake.wait_for(lambda: fake.sent(LEAD), SOON)
        finally:
            await handle.stop()
            store.close()
            await fake.stop()

    asyncio.run(main())
    told = [m for m in said(caplog) if "releasing" in m]
    assert len(told) == 1 and "database is locked" in told[0] and "Traceback" not in told[0], told


def test_a_press_while_the_database_is_locked_is_answered_and_can_be_made_again(tmp_path, caplog):
    """The store's error ended the handler: the phone kept spinning with no answer, a
    traceback was logged, and nothing said the press had not counted."""
    async def body(w: t_sink.World):
        w.record(alert())
        assert await w.flush() == 1
        (shown,) = w.fake.sent(TEAM)
        with locked(w.store):
            assert "try again" in await press(w, TEAM, shown["message_id"], "act:acknowledge")
        assert w.store.incident("storm-1")["status"] == "open"
        assert (await press(w, TEAM, shown["message_id"], "act:acknowledge")).startswith("Acknowledged")

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and "database is locked" in told[0] and "Traceback" not in told[0], told


def test_a_command_while_the_database_is_locked_says_so_in_the_chat(tmp_path, caplog):
    """/mute, /oncall take: the store's error ended the handler with a traceback and no reply,
    so the sender could not tell the chat was not muted."""
    async def body(w: t_sink.World):
        with locked(w.store):
            w.fake.command(TEAM, w.fake.user(ALICE, "Alice"), "/mute 2h")
            await w.fake.wait_for(lambda: w.fake.sent(TEAM), SOON)
        assert "try again" in w.fake.sent(TEAM)[0]["text"] and w.store.muted_until(TEAM) is None
        w.fake.command(TEAM, w.fake.user(ALICE, "Alice"), "/mute 2h")
        await w.fake.wait_for(lambda: len(w.fake.sent(TEAM)) == 2, SOON)
        assert w.store.muted_until(TEAM) is not None

    t_sink.scenario(tmp_path, body)
    told = said(caplog)
    assert len(told) == 1 and "database is locked" in told[0] and "Traceback" not in told[0], told


# --- start-up -------------------------------------------------------------------------------------

def test_a_portal_page_instead_of_the_bot_api_at_start_up_does_not_stop_webcare(tmp_path, caplog):
    """An HTML page with 200 (a captive portal, a proxy) for getMe raised TelegramError out
    of start_telegram, which ended webcare run; now it is retried like an outage."""
    async def main():
        fake = await FakeBotApi().start()
        fake.add_chat(TEAM)
        fake.fail_next("getMe", 200, body="<html><body>Please log in to the hotel wifi</body></html>")
        cfg = config.from_dict({"telegram": {"api_base_url": fake.base_url, "people": PEOPLE,
                                             "chats": {"team": TEAM}}})
        clock = SimClock(T0)
        pipeline = Pipeline(Store(tmp_path / "w.db"), Engine(load_dir(None)), [], simulated=True)
        handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": fake.token},
                                      retry_initial=0.01, retry_max=0.05, poll_timeout=5)
        try:
            await asyncio.wait_for(handle.ready.wait(), SOON)
            w = t_sink.World(fake, pipeline, clock, handle)
            w.record(alert())
            assert await w.flush() == 1 and len(fake.sent(TEAM)) == 1
        finally:
            await handle.stop()
            pipeline.store.close()
            await fake.stop()

    asyncio.run(main())
    told = said(caplog)
    assert len(told) == 1 and "unexpected answer" in told[0] and "Traceback" not in told[0], told
