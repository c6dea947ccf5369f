"""Telegram alert delivery with the real python-telegram-bot client against a local fake Bot API.

Alerts go through the real outbox (`Pipeline.flush`); time is a SimClock, so "several minutes"
of outage or a 30-second flood wait take no wall-clock time. Nothing sleeps: tests wait on
the fake's conditions with timeouts.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from conftest import T0
from fakes.telegram_api import FakeBotApi

from webcare import config
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.models import Alert, Author, Message, Score
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.store import Store
from webcare.telegram.service import start_telegram

# PTB 22 itself warns whenever it builds a RetryAfter; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
PEOPLE = {"alice": 11, "bob": 22, "carol": 33}
TEAM = -1001
LEAD = 33
HOSTILE = '<script>x</script> & <b>not bold</b> &amp; &lt;3 </blockquote> @alice /resolve *star*'


class World:
    """One running webcare + Telegram bot + fake Bot API, on a simulated clock."""

    def __init__(self, fake: FakeBotApi, pipeline: Pipeline, clock: SimClock, handle):
        self.fake, self.pipeline, self.clock, self.handle = fake, pipeline, clock, handle
        self.store = pipeline.store
        self.sink = handle.sink

    def record(self, *alerts: Alert) -> None:
        with self.store.transaction():
            self.store.record_alerts(alerts, [s.name for s in self.pipeline.sinks])

    async def flush(self) -> int:
        return await self.pipeline.flush(self.clock.now())

    def at(self, minutes: float):
        return self.clock.set(T0 + timedelta(minutes=minutes))

    def save_examples(self, *messages: Message, score: Score | None = None) -> None:
        with self.store.transaction():
            self.store.save_messages(messages, "test", T0)
            if score is not None:
                self.store.save_scores([(m, score) for m in messages])


def scenario(tmp_path, body, *, telegram: dict | None = None, digest_provider=None, start=T0) -> None:
    """Run `body(world)` against a fresh fake Bot API, store and bot; stop everything after."""
    async def main() -> None:
        fake = await FakeBotApi().start()
        for chat in (TEAM, *PEOPLE.values()):
            fake.add_chat(chat)
        settings = {"api_base_url": fake.base_url, "people": PEOPLE, "chats": {"team": TEAM, "lead": LEAD},
                    "rota": ["daily 00:00-24:00 alice"]}
        settings.update(telegram or {})
        cfg = config.from_dict({"brand": {"timezone": "Europe/Amsterdam"}, "telegram": settings})
        clock = SimClock(start)
        pipeline = Pipeline(Store(tmp_path / "w.db"), Engine(load_dir(None)), [], simulated=True)
        handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": fake.token},
                                      digest_provider=digest_provider, poll_timeout=5, release_every=3600)
        try:
            await asyncio.wait_for(handle.ready.wait(), 10)
            await asyncio.wait_for(body(World(fake, pipeline, clock, handle)), 60)
        finally:
            await handle.stop()
            pipeline.store.close()
            await fake.stop()

    asyncio.run(main())


def alert(incident="storm-1", seq=0, kind="open", severity="high", recipients=("team",), minutes=0,
          title="Complaint storm on facebook", message_ids=(), reasons=("8 complaints in 30 min",)) -> Alert:
    return Alert(at=T0 + timedelta(minutes=minutes), playbook="complaint-storm", severity=severity,
                 incident=incident, seq=seq, kind=kind, title=title, text="\n".join(reasons),
                 message_ids=tuple(message_ids), recipients=tuple(recipients), reasons=tuple(reasons))


def post(mid: str, text: str, url: str | None = None) -> Message:
    return Message("facebook", mid, "comment", True, Author(f"u{mid}", f"Klant {mid}"), text, T0,
                   url=url or f"https://facebook.example/zuiderloop/posts/1?comment={mid}")


NEG = Score("nl", -0.7, "neg", "complaint", True, 0.8, 0.7)


def buttons(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b.get("callback_data") or "url" for row in rows for b in row]


def test_an_incident_arrives_as_one_html_message_with_buttons_and_literal_text(tmp_path):
    async def body(w: World):
        w.save_examples(post("1", HOSTILE), post("2", "Waar blijft mijn startnummer?"), score=NEG)
        w.record(alert(message_ids=("facebook:1", "facebook:2")))
        assert await w.flush() == 1
        (msg,) = w.fake.sent(TEAM)
        assert w.fake.rang[(TEAM, msg["message_id"])]
        assert "Complaint storm on facebook" in msg["text"] and "8 complaints in 30 min" in msg["text"]
        assert HOSTILE in msg["text"] and "Waar blijft mijn startnummer?" in msg["text"]
        assert buttons(msg) == ["act:acknowledge", "act:claim", "act:snooze:30", "act:snooze:120",
                                "act:resolve", "url"]
        links = [e["url"] for e in msg["entities"] if e["type"] == "text_link"]
        assert "https://facebook.example/zuiderloop/posts/1?comment=2" in links
        assert w.store.pending_count("telegram") == 0
    scenario(tmp_path, body)


def test_a_growing_incident_edits_its_message_until_severity_rises(tmp_path):
    async def body(w: World):
        w.record(alert(severity="high"))
        await w.flush()
        w.record(alert(seq=1, kind="update", minutes=15, title="Complaint storm on facebook: 14 in 30 min",
                       reasons=("grew from 8 to 14",)))
        await w.flush()
        (msg,) = w.fake.sent(TEAM)  # still the one message, edited
        assert "grew from 8 to 14" in msg["text"] and "edit_date" in msg
        w.record(alert(seq=2, kind="update", severity="critical", minutes=20, reasons=("severity rose to critical",)))
        await w.flush()
        old, new = w.fake.sent(TEAM)
        assert w.fake.rang[(TEAM, new["message_id"])] and "CRITICAL" in new["text"]
        assert "Continued in a newer message" in old["text"] and "reply_markup" not in old
        assert w.store.telegram_current("storm-1")[TEAM]["message_id"] == new["message_id"]
    scenario(tmp_path, body)


def test_an_escalation_rings_the_person_on_call_and_updates_the_team_message(tmp_path):
    async def body(w: World):
        w.record(alert())
        await w.flush()
        w.record(alert(seq=1, kind="escalate", minutes=15, recipients=("oncall",),
                       reasons=("not acknowledged after 15 minutes",)))
        await w.flush()
        (to_alice,) = w.fake.sent(PEOPLE["alice"])
        assert w.fake.rang[(PEOPLE["alice"], to_alice["message_id"])]
        assert "not acknowledged after 15 minutes" in to_alice["text"]
        (team,) = w.fake.sent(TEAM)
        assert "oncall (alice)" in team["text"] and "edit_date" in team
    scenario(tmp_path, body)


def test_flood_control_is_honoured_and_nothing_is_lost(tmp_path):
    async def body(w: World):
        w.fake.fail_next("sendMessage", 429, retry_after=30)
        w.record(alert("a"), alert("b", title="Second storm"))
        assert await w.flush() == 0
        assert len(w.fake.method_calls("sendMessage")) == 1
        w.clock.advance(20)  # still inside retry_after: the sink does not even ask Telegram
        assert await w.flush() == 0
        assert len(w.fake.method_calls("sendMessage")) == 1
        assert w.store.pending_count("telegram") == 2
        w.clock.advance(11)
        assert await w.flush() == 2
        first, second = w.fake.sent(TEAM)
        assert "Complaint storm" in first["text"] and "Second storm" in second["text"]
    scenario(tmp_path, body)


def test_a_telegram_outage_of_minutes_loses_no_alert_and_duplicates_none(tmp_path, caplog):
    async def body(w: World):
        w.record(alert("a"))
        assert await w.flush() == 1
        w.fake.down = True
        for minute in range(1, 6):  # five minutes of 502 Bad Gateway, a flush every minute
            w.at(minute)
            w.record(alert(f"new{minute}", title=f"Storm {minute}", minutes=minute))
            if minute in (2, 3):  # the first incident grows twice meanwhile
                w.record(alert("a", seq=minute - 1, kind="update", minutes=minute,
                               reasons=(f"grew to {10 * minute}",)))
            assert await w.flush() == 0
        assert w.store.pending_count("telegram") == 7
        w.fake.down = False
        w.at(6)
        assert await w.flush() == 7
        texts = [m["text"] for m in w.fake.sent(TEAM)]
        assert len(texts) == 6  # one message per incident, none twice
        assert [t.split("\n")[1] for t in texts] == ["Complaint storm on facebook"] + [f"Storm {i}" for i in range(1, 6)]
        assert "grew to 30" in texts[0]
        assert len(w.fake.method_calls("editMessageText")) == 1  # the burst became one edit
        assert w.store.pending_count("telegram") == 0
    with caplog.at_level(logging.WARNING, logger="webcare.pipeline"):
        scenario(tmp_path, body)
    assert sum("alert sink telegram unavailable" in r.getMessage() for r in caplog.records) == 1


def test_a_server_that_refuses_connections_then_returns_gets_each_alert_once(tmp_path):
    async def body(w: World):
        await w.fake.stop()  # connection refused
        w.record(alert("a"), alert("b", title="Second storm"))
        assert await w.flush() == 0
        await w.fake.start()  # back on the same port
        assert await w.flush() == 2
        assert len(w.fake.sent(TEAM)) == 2
        assert await w.flush() == 0
        assert len(w.fake.sent(TEAM)) == 2
    scenario(tmp_path, body)


def test_a_delivery_cut_short_resumes_without_repeating_the_chats_that_have_it(tmp_path):
    async def body(w: World):
        w.fake.fail_next("sendMessage", 502, after=1)  # the team gets it, then Telegram fails
        w.record(alert(recipients=("team", "lead")))
        assert await w.flush() == 0
        assert len(w.fake.sent(TEAM)) == 1 and not w.fake.sent(LEAD)
        assert await w.flush() == 1
        assert len(w.fake.sent(TEAM)) == 1 and len(w.fake.sent(LEAD)) == 1
    scenario(tmp_path, body)


def test_a_chat_that_blocked_the_bot_does_not_stall_the_others(tmp_path, caplog):
    async def body(w: World):
        w.fake.blocked.add(LEAD)
        w.record(alert(recipients=("team", "lead")), alert("b", recipients=("lead",)))
        assert await w.flush() == 2
        a, b = w.fake.sent(TEAM)  # "b" was for the lead only: it falls back to the team
        assert not w.fake.sent(LEAD) and w.store.pending_count("telegram") == 0
    with caplog.at_level(logging.WARNING, logger="webcare.telegram.sink"):
        scenario(tmp_path, body)
    warnings = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(warnings) == 1 and "lead" in warnings[0]


def test_quiet_hours_hold_medium_alerts_until_they_end_and_high_ones_break_through(tmp_path):
    night = T0.replace(hour=23)

    async def body(w: World):
        w.record(alert("calm", severity="medium"))
        assert await w.flush() == 1  # taken from the outbox ...
        assert not w.fake.sent(TEAM)  # ... but held, not sent
        w.record(alert("fire", severity="high", title="Fire"))
        await w.flush()
        (fire,) = w.fake.sent(TEAM)
        assert "Fire" in fire["text"]
        w.clock.set(night + timedelta(hours=7, minutes=59))
        assert await w.sink.release_held() == 0
        w.clock.set(night + timedelta(hours=8))  # 07:00 local: quiet hours are over
        assert await w.sink.release_held() == 1
        fire, calm = w.fake.sent(TEAM)
        assert "Complaint storm" in calm["text"] and w.fake.rang[(TEAM, calm["message_id"])]
        assert await w.sink.release_held() == 0
    scenario(tmp_path, body, telegram={"quiet_hours": {"team": "22:00-07:00"}}, start=night)


def test_the_bot_token_is_never_logged(tmp_path, caplog):
    token = FakeBotApi().token

    async def body(w: World):
        w.fake.fail_next("sendMessage", 429, retry_after=5)
        w.record(alert())
        await w.flush()
        w.fake.down = True
        w.clock.advance(10)
        await w.flush()
        w.fake.down = False
        await w.flush()
    caplog.set_level(logging.DEBUG)
    scenario(tmp_path, body)
    assert caplog.records and token not in caplog.text
    assert "<token>" in caplog.text  # the client did try to log it, and it was scrubbed


def test_without_a_token_telegram_stays_off_and_adds_no_sink(tmp_path):
    pipeline = Pipeline(Store(tmp_path / "w.db"), Engine(load_dir(None)), [], simulated=True)
    handle = asyncio.run(start_telegram(config.default(), pipeline, SimClock(T0).now, environ={}))
    assert handle is None and pipeline.sinks == []
    pipeline.store.close()


def test_names_that_refer_to_nobody_stop_the_start_with_an_explanation(tmp_path):
    from webcare.settings import SettingsError

    cfg = config.from_dict({"telegram": {"people": {"alice": 11}, "rota": ["daily 08:00-18:00 dave"]}})
    pipeline = Pipeline(Store(tmp_path / "w.db"), Engine(load_dir(None)), [], simulated=True)
    with pytest.raises(SettingsError, match="'dave'"):
        asyncio.run(start_telegram(cfg, pipeline, SimClock(T0).now, environ={"WEBCARE_TELEGRAM_TOKEN": "1:x"}))
    pipeline.store.close()


def test_webcare_starts_while_telegram_is_unreachable_and_catches_up_when_it_returns(tmp_path):
    async def main():
        fake = await FakeBotApi().start()
        fake.add_chat(TEAM)
        await fake.stop()  # Telegram is unreachable when webcare starts
        cfg = config.from_dict({"telegram": {"api_base_url": fake.base_url, "people": PEOPLE,
                                             "chats": {"team": TEAM}}})
        clock = SimClock(T0)
        pipeline = Pipeline(Store(tmp_path / "w.db"), Engine(load_dir(None)), [], simulated=True)
        handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": fake.token},
                                      retry_initial=0.01, retry_max=0.05, poll_timeout=5)
        try:
            assert not handle.ready.is_set()
            w = World(fake, pipeline, clock, handle)
            w.record(alert())
            assert await w.flush() == 0 and w.store.pending_count("telegram") == 1
            await fake.start()
            await asyncio.wait_for(handle.ready.wait(), 10)
            assert await w.flush() == 1
            assert len(fake.sent(TEAM)) == 1
        finally:
            await handle.stop()
            pipeline.store.close()
            await fake.stop()
    asyncio.run(main())
