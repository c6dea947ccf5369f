"""Fault drill: Telegram unreachable for a while, then answering with 502s and 429 storms.

The real sink and python-telegram-bot talk to the fake Bot API over a socket; time is a SimClock,
so ten minutes of outage and every `retry_after` cost no wall-clock time. Alerts keep coming the
whole time (new incidents, growth, escalations). What a user would notice is checked: every alert
ends up on the phone, incidents arrive in the order they opened, each escalation rings once, no
chat message is sent twice, every message shows its incident's latest state, and the outage is
logged once rather than once per attempt.

`run_telegram_storm(tmp_path)` is also used by `bench/drills.py`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import T0
from fakes.telegram_api import FakeBotApi
from webcare import config
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.models import Alert
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.store import Store
from webcare.telegram.service import start_telegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ALICE = 11


def alert(incident: str, seq: int, minute: float, kind: str, note: str) -> Alert:
    return Alert(at=T0 + timedelta(minutes=minute), playbook="complaint-storm", severity="high",
                 incident=incident, seq=seq, kind=kind, title=f"Storm {incident}", text=note,
                 recipients=("team",), reasons=(note,))


@dataclass
class StormReport:
    alerts: int = 0
    faults: int = 0  # failed Telegram answers: refused connections, 502s and 429s
    flushes: int = 0
    pending_peak: int = 0
    sends: list[str] = field(default_factory=list)  # incident of each chat message, in send order
    opened: list[str] = field(default_factory=list)  # incidents in the order they opened
    expected_sends: dict[str, int] = field(default_factory=dict)  # open + escalations per incident
    latest_note: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)  # incident -> text of its current message
    orphans: int = 0  # chat messages the store does not know about (sent twice after a failure)
    pending: int = -1
    outage_warnings: int = 0
    recovered_logs: int = 0


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def _storm(workdir: Path, seed: int) -> StormReport:
    rng = random.Random(seed)
    report = StormReport()
    fake = await FakeBotApi().start()
    fake.add_chat(ALICE)
    cfg = config.from_dict({"telegram": {"api_base_url": fake.base_url, "people": {"alice": ALICE},
                                         "chats": {"team": ALICE}}})
    clock = SimClock(T0)
    store = Store(workdir / "telegram-drill.db")
    pipeline = Pipeline(store, Engine(load_dir(None)), [], simulated=True)
    handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": fake.token},
                                  poll_timeout=1, release_every=3600, retry_initial=0.05, retry_max=0.2)
    counter = _Count()
    pipeline_log = logging.getLogger("webcare.pipeline")
    old_level = pipeline_log.level
    pipeline_log.setLevel(logging.INFO)
    pipeline_log.addHandler(counter)
    seqs: dict[str, int] = {}

    def record(minute: float) -> None:
        batch = []
        for _ in range(2):  # two new incidents a minute
            incident = f"storm-{len(report.opened):02d}"
            report.opened.append(incident)
            seqs[incident] = 0
            report.expected_sends[incident] = 1
            batch.append(alert(incident, 0, minute, "open", f"opened at minute {minute:g}"))
        for incident in rng.sample(report.opened, k=min(2, len(report.opened))):
            seqs[incident] += 1
            escalate = rng.random() < 0.3
            kind, note = ("escalate", f"escalated at minute {minute:g}") if escalate else \
                ("update", f"grew at minute {minute:g}")
            report.expected_sends[incident] += escalate
            batch.append(alert(incident, seqs[incident], minute, kind, note))
        for a in batch:
            report.latest_note[a.incident] = a.text
        with store.transaction():
            store.record_alerts(batch, [s.name for s in pipeline.sinks])
        report.alerts += len(batch)

    async def flush() -> int:
        report.flushes += 1
        sent = await pipeline.flush(clock.now())
        report.pending_peak = max(report.pending_peak, store.pending_count("telegram"))
        return sent

    try:
        await asyncio.wait_for(handle.ready.wait(), 10)
        await fake.stop()  # minutes 0-9: connection refused
        for minute in range(10):
            clock.set(T0 + timedelta(minutes=minute))
            record(minute)
            assert await flush() == 0
            report.faults += 1
        await fake.start()  # minutes 10-14: a proxy answers 502 Bad Gateway
        fake.down = True
        for minute in range(10, 15):
            clock.set(T0 + timedelta(minutes=minute))
            record(minute)
            assert await flush() == 0
            report.faults += 1
        fake.down = False
        minute = 15.0  # from minute 15: flood control, again and again, while alerts keep coming
        for _ in range(400):
            if store.pending_count("telegram") == 0 and minute >= 20:
                break
            if rng.random() < 0.5:
                fake.fail_next(rng.choice(["sendMessage", "editMessageText"]), 429,
                               retry_after=rng.randint(1, 40), after=rng.randint(0, 2))
                report.faults += 1
            clock.set(T0 + timedelta(minutes=minute))
            if minute < 20 and minute == int(minute):
                record(minute)
            await flush()
            wait = handle.sink.blocked_until
            minute += max(0.25, ((wait - clock.now()).total_seconds() / 60) if wait else 0)
        report.pending = store.pending_count("telegram")
        known = {(r[0], r[1]) for r in store.conn.execute("SELECT chat_id, message_id FROM telegram_messages")}
        for (chat, message_id), message in sorted(fake.messages.items(), key=lambda kv: kv[0][1]):
            incident = _incident_of(message["text"])
            report.sends.append(incident)
            if (chat, message_id) not in known:
                report.orphans += 1
        for incident in report.opened:
            current = store.telegram_current(incident).get(ALICE)
            if current is not None:
                report.shown[incident] = fake.messages[(ALICE, current["message_id"])]["text"]
    finally:
        pipeline_log.removeHandler(counter)
        pipeline_log.setLevel(old_level)
        await handle.stop()
        store.close()
        await fake.stop()
    report.outage_warnings = sum("alert sink telegram unavailable" in line for line in counter.lines)
    report.recovered_logs = sum("alert sink telegram recovered" in line for line in counter.lines)
    return report


def _incident_of(text: str) -> str:
    match = re.search(r"storm-\d\d", text)
    return match.group(0) if match else "?"


def run_telegram_storm(workdir: Path, seed: int = 1) -> StormReport:
    return asyncio.run(_storm(workdir, seed))


@pytest.mark.parametrize("seed", [1, 2])
def test_alerts_queue_through_an_outage_and_429_storms_and_arrive_in_order_once(tmp_path, seed):
    r = run_telegram_storm(tmp_path, seed)
    assert r.pending_peak >= 30 and r.faults > 20  # they really queued, and Telegram really failed
    assert r.pending == 0, "every alert reached the phone"
    first_sends = list(dict.fromkeys(r.sends))
    assert first_sends == r.opened, "incidents arrive in the order they opened"
    assert {i: r.sends.count(i) for i in r.opened} == r.expected_sends  # each escalation rang once
    assert r.orphans == 0
    for incident in r.opened:
        assert r.latest_note[incident] in r.shown[incident], "each message shows the latest state"
    assert 1 <= r.outage_warnings < r.faults / 4, "an outage is logged once, not once per attempt"
    assert r.recovered_logs == r.outage_warnings  # ... and so is each recovery
