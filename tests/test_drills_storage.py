"""Fault drill: the disk fills up, or another process holds the database's write lock.

Disk full is simulated with SQLite's `PRAGMA max_page_count` on the bot's own connection; a lock
with a second connection holding a write transaction (and a short busy timeout, so the drill
does not wait the store's 30 s). The real runner polls a replay connector into a real SQLite file.
What must hold: nothing is lost or half-written (the cursor does not move past unstored messages,
`PRAGMA integrity_check` stays `ok`), the error says what is wrong with which file, and once space
returns or the lock is released the bot catches up with every message and alert, once.

`run_storage_drill(workdir)` is also used by `bench/drills.py`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import T0, storm_stream, write_jsonl
from connectors import ConnectorContext
from connectors.replay import Options, ReplayConnector
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.runner import Coordinator, RetryPolicy
from webcare.store import Store

MESSAGES = 400
FAILED_POLLS = 3
NO_LIMIT = 1_073_741_823  # SQLite's default max_page_count


@dataclass
class StorageReport:
    fault: str
    faults: int = 0
    errors: list[str] = field(default_factory=list)  # what each failed poll raised, if anything
    statuses: list[str] = field(default_factory=list)  # the connector's status after each poll
    explained: list[str] = field(default_factory=list)  # what the bot said: the error raised, or its status
    warnings: int = 0  # runner log lines while the store failed
    stored_during: list[int] = field(default_factory=list)
    cursor_during: list[str | None] = field(default_factory=list)
    integrity: str = ""
    stored_after: int = 0
    alerts_after: int = 0
    alert_keys_unique: bool = True
    expected_alerts: int = 0

    @property
    def lost(self) -> int:
        return MESSAGES - self.stored_after


class Bot:
    """A store, pipeline, replay connector and coordinator on a simulated clock."""

    def __init__(self, workdir: Path, name: str):
        self.feed = write_jsonl(workdir / f"{name}.jsonl", storm_stream(MESSAGES, every_minutes=0.5))
        self.path = workdir / f"{name}.db"
        self.store = Store(self.path)
        self.clock = SimClock(T0)
        self.pipeline = Pipeline(self.store, Engine(load_dir(None)), [])
        connector = ReplayConnector.create("replay", Options(path=str(self.feed), batch_size=100),
                                           ConnectorContext(now=self.clock.now))
        self.coord = Coordinator(connector, self.pipeline, RetryPolicy(60, 0, 10, 80), self.clock.now,
                                 random.Random(1))

    async def poll(self):
        self.clock.advance(60)
        return await self.coord.poll()

    def close(self) -> None:
        self.store.close()


def _fill_disk(bot: Bot) -> None:
    pages = bot.store.conn.execute("PRAGMA page_count").fetchone()[0]
    bot.store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")


def _lock(bot: Bot) -> sqlite3.Connection:
    bot.store.conn.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(bot.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. a backup or another tool writing
    return other


def _expected_alerts(workdir: Path) -> int:
    """Alerts an undisturbed run records for the same stream."""
    bot = Bot(workdir, "undisturbed")
    try:
        asyncio.run(bot.poll())
        return len(bot.store.alerts())
    finally:
        bot.close()


def run_storage_drill(workdir: Path, fault: str) -> StorageReport:
    """Fail `FAILED_POLLS` polls with a full disk or a locked database, then let the bot recover."""
    report = StorageReport(fault, expected_alerts=_expected_alerts(workdir))
    bot = Bot(workdir, fault)
    other = None
    lines: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lines.append
    runner_log = logging.getLogger("webcare.runner")
    runner_log.addHandler(handler)
    try:
        if fault == "disk-full":
            _fill_disk(bot)
        else:
            other = _lock(bot)
        for _ in range(FAILED_POLLS):
            report.faults += 1
            try:
                asyncio.run(bot.poll())
                report.errors.append("")
            except Exception as exc:  # noqa: BLE001 - the live loop catches it the same way
                report.errors.append(f"{type(exc).__name__}: {exc}")
            report.statuses.append(bot.coord.status)
            report.explained.append(report.errors[-1] or bot.coord.error)
            report.stored_during.append(bot.store.count_messages())  # readers are never blocked (WAL)
            report.cursor_during.append(bot.store.get_cursor("replay"))
        report.warnings = len(lines)
        report.integrity = bot.store.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if other is not None:
            other.execute("ROLLBACK")
            other.close()
            other = None
        bot.store.conn.execute(f"PRAGMA max_page_count = {NO_LIMIT}")
        asyncio.run(bot.poll())
        report.stored_after = bot.store.count_messages()
        keys = [a.key for a in bot.store.alerts()]
        report.alerts_after = len(keys)
        report.alert_keys_unique = len(keys) == len(set(keys))
    finally:
        runner_log.removeHandler(handler)
        if other is not None:
            other.close()
        bot.close()
    return report


@pytest.mark.parametrize("fault", ["disk-full", "locked"])
def test_nothing_is_lost_or_corrupted_and_everything_arrives_once_the_store_works_again(tmp_path, fault):
    r = run_storage_drill(tmp_path, fault)
    assert all(e or s != "ok" for e, s in zip(r.errors, r.statuses)), "no poll pretends it worked"
    assert r.stored_during == [0] * FAILED_POLLS and r.cursor_during == [None] * FAILED_POLLS
    assert r.integrity == "ok"
    assert r.stored_after == MESSAGES and r.lost == 0
    assert r.alerts_after == r.expected_alerts > 0 and r.alert_keys_unique


@pytest.mark.parametrize("fault, says", [("disk-full", "database or disk is full"),
                                         ("locked", "database is locked")])
def test_the_error_says_what_is_wrong_with_which_file(tmp_path, fault, says):
    r = run_storage_drill(tmp_path, fault)
    assert all(f"{fault}.db" in text and says in text for text in r.explained), r.explained
    assert not any("cannot rollback" in text for text in r.explained)


@pytest.mark.parametrize("fault", ["disk-full", "locked"])
def test_the_runner_backs_off_and_says_so_once_instead_of_raising(tmp_path, fault):
    r = run_storage_drill(tmp_path, fault)
    assert r.errors == [""] * FAILED_POLLS, "no exception escapes the runner (the live loop would log tracebacks)"
    assert "ok" not in r.statuses and r.warnings == 1
