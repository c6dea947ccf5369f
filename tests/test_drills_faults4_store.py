"""Fault drill, fourth round: the store, the input files and the pipeline.

Real JSONL files, real SQLite databases in tmp_path, the real CLI and, for stops, a real
`webcare run` subprocess; time is injected. Each test is a fault and what a user would notice:
every message stored exactly once or quarantined with where it came from, no batch that fails
on every poll, no alert sent twice, and a clear word when the database cannot be used.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connector_kit import coordinator, stored
from conftest import T0, msg
from fakes.telegram_api import FakeBotApi
from test_drills_kill import ALERT_MARK, ALICE, PLAYBOOK, ROOT, Db, LoopThread, _start as kill_start
from test_drills_faults import replay
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.jsonl import parse_line, read_messages
from webcare.models import Batch, Message
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.store import SCHEMA_VERSION, Store, StoreError

COMPLAINT = "Dit is echt waardeloos, ik wil mijn geld terug!"


def line_of(mid: str, text: str = "hoi", **fields) -> dict:
    data = msg(mid, text, author=f"a-{mid}", at=T0).to_dict()
    data.update(fields)
    return data


def inbox(tmp_path: Path, *lines) -> Path:
    """A JSONL file of `lines` (dicts are written as JSON, bytes as they are)."""
    path = tmp_path / "inbox.jsonl"
    path.write_bytes(b"".join((json.dumps(x).encode() if isinstance(x, dict) else x) + b"\n" for x in lines))
    return path


def poll_all(store: Store, path: Path, **options):
    """Poll the file as `webcare run` does until caught up; return the coordinator."""
    coord = coordinator(store, replay(path, **options), SimClock(T0))
    asyncio.run(coord.poll())
    return coord


def quarantined(store: Store) -> dict[str, str]:
    return {r["source"]: r["error"] for r in store.quarantined()}


# --- lines the JSON parser itself refuses ---------------------------------------------------

def test_a_number_of_5000_digits_or_json_nested_100000_deep_is_quarantined_not_fatal(tmp_path, store):
    """Python refuses to convert an integer of more than 4,300 digits (ValueError, not a
    JSONDecodeError) and runs out of stack on deep nesting (RecursionError): both escaped
    `parse_line`, so the poll failed before its cursor moved, on every retry, and no line
    after them was ever read."""
    path = inbox(tmp_path, line_of("m1"), b'{"id": ' + b"7" * 5000 + b"}", b"[" * 100_000, line_of("m2"))
    coord = poll_all(store, path)
    assert coord.status == "ok" and set(stored(store)) == {"m1", "m2"}
    errors = quarantined(store)
    assert set(errors) == {"inbox.jsonl:2", "inbox.jsonl:3"}
    assert "4300 digits" in errors["inbox.jsonl:2"] and "nested too deeply" in errors["inbox.jsonl:3"]


# --- fields no platform writes ---------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("platform", "face\ud800book"), ("conversation_id", "c\ud800"), ("in_reply_to", "p\ud800"),
    ("url", "https://example.org/\ud800"), ("lang", "n\ud800"), ("kind_extra", "x\ud800"),
])
def test_a_lone_surrogate_in_any_field_is_repaired_and_the_batch_stored(tmp_path, store, field, value):
    """The first round repaired lone surrogates (an emoji cut in half) in the text, name and
    ids; in the platform, thread fields, url or language SQLite's UTF-8 encoding raised
    UnicodeEncodeError, which is no StoreError: the batch failed on every poll, for ever."""
    path = inbox(tmp_path, line_of("m1"), line_of("m2", **{field: value}), line_of("m3"))
    coord = poll_all(store, path)
    assert coord.status == "ok" and store.count_messages() == 3 and not store.quarantined()


@pytest.mark.parametrize("followers", [10**30, -1])
def test_a_follower_count_sqlite_cannot_hold_is_quarantined_with_its_line(tmp_path, store, followers):
    """10**30 passed as a whole number, then SQLite raised OverflowError: the batch failed on
    every poll. A negative count is no count either."""
    path = inbox(tmp_path, line_of("m1"), line_of("m2", author={"id": "u2", "followers": followers}),
                 line_of("m3"))
    coord = poll_all(store, path)
    assert coord.status == "ok" and set(stored(store)) == {"m1", "m3"}
    assert quarantined(store) == {"inbox.jsonl:2": "author.followers: expected a whole number from 0 to 2^63 - 1"}


@pytest.mark.parametrize("fields, error", [
    ({"id": "   "}, "id: expected a non-empty string"),
    ({"id": "\t\n"}, "id: expected a non-empty string"),
    ({"author": {"id": "  ", "name": "x"}}, "author.id: expected a non-empty string"),
    ({"platform": " "}, "platform: expected a non-empty string"),
    ({"platform": "face:book"}, "platform: expected a name without ':' (a message is known as platform:id)"),
])
def test_a_blank_id_or_a_platform_with_a_colon_is_quarantined(tmp_path, store, fields, error):
    """Only "" was refused: an id of spaces was stored (and every other blank one after it was
    taken for the same message), and a platform holding ':' made the message's `platform:id`
    unreadable, so it was never found again as an alert's example or on replaying the log."""
    path = inbox(tmp_path, line_of("m1"), line_of("m2", **fields))
    poll_all(store, path)
    assert set(stored(store)) == {"m1"} and quarantined(store) == {"inbox.jsonl:2": error}


def test_a_10_kb_id_is_stored_once_and_found_again(tmp_path, store):
    """Ids are opaque: a 10 kB one is a message like any other (already right)."""
    long_id = "9" * 10_000
    path = inbox(tmp_path, line_of(long_id, COMPLAINT), line_of(long_id, COMPLAINT))
    poll_all(store, path)
    assert set(stored(store)) == {long_id}
    assert [m.id for m, _ in store.get_messages([f"facebook:{long_id}"])] == [long_id]


@pytest.mark.parametrize("when, stored_as", [
    ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999+00:00"),
    ("2016-12-31T23:59:60.5+01:00", "2016-12-31T23:59:59.999999+01:00"),
])
def test_a_leap_second_is_a_real_time_and_stored(when, stored_as):
    """`23:59:60` (a leap second, as a platform's clock may write it) was quarantined as "expected
    an ISO 8601 time", losing a real message; it is kept as the last microsecond of that minute."""
    item = parse_line(json.dumps(line_of("m1", created_at=when)), "f:1")
    assert isinstance(item, Message) and item.created_at.isoformat() == stored_as


def test_a_time_without_offset_or_wrong_types_in_author_are_quarantined(tmp_path, store):
    """Already right (second round and the format checks): each is quarantined with its line."""
    path = inbox(tmp_path, line_of("m1", created_at="2026-10-04T10:00:00"),
                 line_of("m2", author={"id": "u2", "name": 5}), line_of("m3", author=["u3"]),
                 line_of("m4", author={"name": "x"}), line_of("m5"))
    poll_all(store, path)
    assert set(stored(store)) == {"m5"}
    assert list(quarantined(store).values()) == [
        "created_at: time '2026-10-04T10:00:00' has no UTC offset", "author.name: expected a string",
        "author: expected an object with id and name", "author.id: expected a non-empty string"]


# --- a newer database ----------------------------------------------------------------------

def test_a_database_of_a_newer_webcare_is_refused_naming_the_file_and_both_versions(tmp_path, capsys):
    path = tmp_path / "webcare.db"
    Store(path).close()
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION + 5,))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store(path)
    said = str(caught.value)
    assert str(path) in said and f"schema {SCHEMA_VERSION + 5}" in said and f"schema {SCHEMA_VERSION}" in said
    from webcare.cli import main
    config = tmp_path / "c.toml"
    config.write_text('[store]\npath = "webcare.db"\n[alerts]\nconsole = false\n', encoding="utf-8")
    assert main(["status", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("webcare: ") and "Traceback" not in err and f"schema {SCHEMA_VERSION}" in err
    assert path.read_bytes() == before  # not downgraded


# --- a runaway exporter: one line of hundreds of MB ---------------------------------------------

def runaway(tmp_path: Path, size: int, *, ended: bool = True) -> Path:
    """m1, then a line of `size` bytes (a sparse file: no disk is written), then m3."""
    path = tmp_path / "inbox.jsonl"
    with open(path, "wb") as fh:
        fh.write(json.dumps(line_of("m1")).encode() + b"\n" + b'{"text": "')
        fh.seek(size - 10, 1)
        if ended:
            fh.write(b"\n" + json.dumps(line_of("m3")).encode() + b"\n")
        else:
            fh.write(b"x")
    return path


def peak_memory(work) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_line_of_300_mb_is_quarantined_with_its_line_number_in_bounded_memory(tmp_path, store):
    """`readline()` without a limit read the whole line (300 MB, twice over once decoded) for one
    message: a runaway exporter's file took the bot's memory, or it was parsed as one message."""
    path = runaway(tmp_path, 300 * 2**20)
    conn = replay(path)
    batch = None

    def poll():
        nonlocal batch
        batch = asyncio.run(conn.poll(None))
    assert peak_memory(poll) < 40 * 2**20
    assert [m.id for m in batch.messages] == ["m1", "m3"]
    (bad,) = batch.rejected
    assert bad.source == "inbox.jsonl:2" and bad.error.startswith("line too long (314,572,801 bytes; at most")
    assert len(bad.raw) <= 1001
    Pipeline(store, Engine(load_dir(None)), []).ingest("inbox", batch, T0)
    assert set(stored(store)) == {"m1", "m3"} and list(quarantined(store)) == ["inbox.jsonl:2"]


def test_a_followed_line_that_keeps_growing_is_quarantined_once_and_the_next_line_read(tmp_path, store):
    """While following, an unended line is left for the next poll: a runaway one was read again,
    whole, at every poll, and never ended."""
    path = runaway(tmp_path, 40 * 2**20, ended=False)
    conn = replay(path, follow=True)
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    pipeline.ingest("inbox", asyncio.run(conn.poll(None)), T0)
    assert set(stored(store)) == {"m1"} and list(quarantined(store)) == ["inbox.jsonl:2"]
    with open(path, "ab") as fh:  # the exporter writes on, then ends the line
        fh.write(b"y" * 2**20 + b'"}\n' + json.dumps(line_of("m3")).encode() + b"\n")
    for _ in range(2):
        pipeline.ingest("inbox", asyncio.run(conn.poll(store.get_cursor("inbox"))), T0)
    assert set(stored(store)) == {"m1", "m3"} and list(quarantined(store)) == ["inbox.jsonl:2"]
    assert json.loads(store.get_cursor("inbox"))["line"] == 3


def test_webcare_metrics_reading_a_runaway_file_stays_in_bounded_memory(tmp_path):
    """`read_messages` on a file object (the `webcare metrics` input) reads bounded lines too."""
    path = runaway(tmp_path, 100 * 2**20)
    rejected, got = [], []

    def read():
        with open(path, encoding="utf-8", errors="replace") as fh:
            got.extend(m.id for m in read_messages(fh, path.name, rejected=rejected))
    assert peak_memory(read) < 40 * 2**20
    assert got == ["m1", "m3"] and [r.source for r in rejected] == ["inbox.jsonl:2"]


# --- the platform's edit: the same message again, with other text -----------------------------

def scores(store: Store) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in store.conn.execute("SELECT id, label, complaint FROM scores")}


def test_an_edited_message_is_stored_once_with_the_edit_scored_and_alerted_once(store):
    """An edit refreshed the stored text but kept the score of the first version, so the team
    saw a complaint filed as praise in /queue and the digest (and within one batch the first
    version was scored and fed to the engine while the second was stored). Now the edit is
    kept and scored again; the engine is not fed it again (an edit is no new contact), so
    nothing is counted or alerted twice."""
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    fed, on_message = [], pipeline.engine.on_message
    pipeline.engine.on_message = lambda state, m, s, at: fed.append((m.id, m.text, s.complaint)) or on_message(
        state, m, s, at)
    praise = "Bedankt, alles is top geregeld!"
    pipeline.ingest("fb", Batch((msg("m1", praise),), "1"), T0)
    assert scores(store)["m1"][1] == 0
    pipeline.ingest("fb", Batch((msg("m1", COMPLAINT),), "2"), T0 + timedelta(minutes=1))
    pipeline.ingest("fb", Batch((msg("m2", praise, author="u2"), msg("m2", COMPLAINT, author="u2")), "3"),
                    T0 + timedelta(minutes=2))
    rows = stored(store)
    assert store.count_messages() == 2 and rows["m1"]["text"] == rows["m2"]["text"] == COMPLAINT
    assert scores(store)["m1"] == scores(store)["m2"] == ("neg", 1)
    assert store.day_counts(T0 - timedelta(hours=1), T0 + timedelta(hours=1))["complaints"] == 2
    assert fed == [("m1", praise, False), ("m2", COMPLAINT, True)]
    pipeline.ingest("fb", Batch((msg("m1", COMPLAINT), msg("m2", COMPLAINT, author="u2")), "4"),
                    T0 + timedelta(minutes=3))
    assert scores(store)["m1"] == ("neg", 1) and store.count_messages() == 2 and len(fed) == 2


# --- SIGTERM (a clean stop: systemd, docker stop) while an alert is on its way ------------------

class AnswerHeldBotApi(FakeBotApi):
    """The fake Bot API; the first alert it accepts is answered only once `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted = threading.Event()
        self.release: asyncio.Event | None = None

    async def api_sendmessage(self, p: dict) -> dict:
        result = await super().api_sendmessage(p)
        if ALERT_MARK in str(p.get("text")) and not self.accepted.is_set():
            self.release = asyncio.Event()
            self.accepted.set()
            await asyncio.wait_for(self.release.wait(), 30)
        return result


def test_sigterm_while_an_alert_is_in_flight_lets_it_land_so_it_is_not_sent_again(tmp_path):
    """A clean stop cancelled the delivery that was waiting for Telegram's answer: Telegram had
    the message, the store did not know, and the next start sent the alert again (kill -9 may
    do that, a SIGTERM should not). The stop now waits for the alert in flight (15 s at most),
    and says so."""
    threads = LoopThread()
    telegram = AnswerHeldBotApi()
    threads.run(telegram.start())
    telegram.add_chat(ALICE)
    now = datetime.now(timezone.utc)
    inbox(tmp_path, *(line_of(f"m{i}", "waar blijft mijn startnummer? Al drie keer gevraagd!", kind="mention",
                              platform="mastodon", author={"id": "c1", "name": "Klant"},
                              created_at=(now - timedelta(minutes=5 - i)).isoformat()) for i in range(3)))
    config = run_config(tmp_path, f"""[telegram]
token_env = "DRILL_TELEGRAM_TOKEN"
api_base_url = "{telegram.base_url}"
people = {{ alice = {ALICE} }}
chats = {{ team = {ALICE} }}""")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path]),
           "DRILL_TELEGRAM_TOKEN": telegram.token}
    db = Db(tmp_path / "run.db")
    try:
        first = kill_start(config, tmp_path, 1, env)
        assert telegram.accepted.wait(60), (tmp_path / "run-1.log").read_text()
        first.send_signal(signal.SIGTERM)
        log = tmp_path / "run-1.log"
        deadline = time.monotonic() + 30  # it waits for the answer; before, it stopped at once
        while (first.poll() is None and "waiting for the alert" not in log.read_text()
               and time.monotonic() < deadline):
            time.sleep(0.02)
        threads.loop.call_soon_threadsafe(telegram.release.set)
        assert first.wait(30) == 0
        second = kill_start(config, tmp_path, 2, env)
        deadline = time.monotonic() + 60
        while (db.pending() or not db.stored()) and time.monotonic() < deadline and second.poll() is None:
            time.sleep(0.05)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        threads.run(telegram.stop())
        threads.close()
    sent = [m for m in telegram.messages.values() if ALERT_MARK in m["text"]]
    assert db.pending() == 0 and len(sent) == 1, (tmp_path / "run-1.log").read_text()


# --- the database file deleted or replaced while `webcare run` runs ---------------------------

def test_a_store_refuses_to_write_to_a_file_deleted_or_replaced_under_it(tmp_path, store):
    """SQLite's open connection went on writing to the file it had: after a restore over it, to
    a file no one would read again; after a delete, to one that vanished at the stop."""
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    pipeline.ingest("fb", Batch((msg("m1"),), "1"), T0)
    backup = tmp_path / "backup.db"
    Store(backup).close()
    (tmp_path / "test.db").rename(tmp_path / "old.db")
    backup.rename(tmp_path / "test.db")  # restored: another file at the path
    with pytest.raises(StoreError, match=r"test\.db: .*was replaced while webcare was running"):
        pipeline.ingest("fb", Batch((msg("m2"),), "2"), T0)
    (tmp_path / "test.db").unlink()
    with pytest.raises(StoreError, match="was deleted while webcare was running"):
        pipeline.ingest("fb", Batch((msg("m2"),), "2"), T0)
    assert not (tmp_path / "test.db").exists()  # and no reader made an empty one there
    assert store.write_back() and Store(tmp_path / "test.db").count_messages() == 1


def mentions(n: int, first: int = 0) -> list[dict]:
    now = datetime.now(timezone.utc)
    return [line_of(f"m{i}", "waar blijft mijn startnummer? Al drie keer gevraagd!", kind="mention",
                    platform="mastodon", author={"id": "c1", "name": "Klant"},
                    created_at=(now - timedelta(minutes=30 - i)).isoformat()) for i in range(first, first + n)]


def run_config(tmp_path: Path, extra: str = "") -> Path:
    books = tmp_path / "playbooks"
    books.mkdir(exist_ok=True)
    (books / "drill.toml").write_text(PLAYBOOK, encoding="utf-8")
    config = tmp_path / "run.toml"
    config.write_text(f"""
[store]
path = "run.db"
[runner]
jitter_seconds = 0.0
[engine]
playbooks_dir = "playbooks"
[alerts]
console = false
jsonl_path = "alerts.jsonl"
[digest]
enabled = false
{extra}
[[connectors]]
type = "replay"
name = "inbox"
path = "inbox.jsonl"
follow = true
poll_seconds = 0.5
""", encoding="utf-8")
    return config


def wait_for(what, proc: subprocess.Popen, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not what() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(what())


def append(path: Path, lines: list[dict]) -> None:
    with open(path, "ab") as fh:
        fh.write(b"".join(json.dumps(x).encode() + b"\n" for x in lines))


def test_webcare_run_stops_when_its_database_is_replaced_or_deleted_and_loses_nothing(tmp_path):
    """Before: the bot ran on without a word, writing to the file it had open. A restored
    backup never saw what came after it, and a deleted database vanished at the next stop
    (the restart began a new one from scratch and alerted again). Now `webcare run` stops
    within a second, exit 1, saying which file and what happened; a deleted one is written
    back first. The next start carries on from the file at the path, and every message is
    stored once; after the write-back no alert is written twice (after a restore, what the
    backup did not know is alerted again: it cannot know)."""
    config = run_config(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    db, path = Db(tmp_path / "run.db"), inbox(tmp_path, *mentions(1))
    proc = kill_start(config, tmp_path, 1, env)
    try:
        assert wait_for(lambda: db.stored() == 1, proc), (tmp_path / "run-1.log").read_text()
        import sqlite3
        source, backup = sqlite3.connect(tmp_path / "run.db"), sqlite3.connect(tmp_path / "backup.db")
        source.backup(backup)
        source.close(), backup.close()
        append(path, mentions(2, first=1))
        assert wait_for(lambda: db.stored() == 3, proc)
        (tmp_path / "backup.db").replace(tmp_path / "run.db")  # a backup restored over it
        assert proc.wait(20) == 1
        log = (tmp_path / "run-1.log").read_text()
        assert f"webcare: {tmp_path / 'run.db'} was replaced while webcare was running" in log
        assert db.stored() == 1  # the restored file as it was: nothing written into it, or elsewhere

        alerted = len((tmp_path / "alerts.jsonl").read_text().splitlines())
        proc = kill_start(config, tmp_path, 2, env)  # on from the backup's cursor
        assert wait_for(lambda: db.stored() == 3, proc)
        (tmp_path / "run.db").unlink()  # deleted (the -wal and -shm stay, held open)
        assert proc.wait(20) == 1
        assert "was deleted while webcare was running" in (tmp_path / "run-2.log").read_text()
        assert "written back from the open database" in (tmp_path / "run-2.log").read_text()
        assert db.stored() == 3

        append(path, mentions(1, first=3))
        proc = kill_start(config, tmp_path, 3, env)
        assert wait_for(lambda: db.stored() == 4, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert sorted(r[0] for r in db.query("SELECT id FROM messages")) == ["m0", "m1", "m2", "m3"]
    written = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    keys = [(a["incident"], a["seq"]) for a in written[alerted:]]
    assert keys and len(keys) == len(set(keys)), keys
    assert db.query("PRAGMA integrity_check") == [("ok",)]


# --- a kill leaves -wal and -shm behind ---------------------------------------------------------

KILLED_WRITER = """
import os, signal, sys
from datetime import datetime, timezone
from webcare.models import Author, Batch, Message
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.store import Store
pipeline = Pipeline(Store(sys.argv[1]), Engine(load_dir(None)), [])
at = datetime(2026, 10, 4, 10, tzinfo=timezone.utc)
for n in range(5):
    batch = tuple(Message("facebook", f"m{n}-{i}", "comment", True, Author(f"u{i}"), "hoi", at) for i in range(100))
    pipeline.ingest("fb", Batch(batch, str(n)), at)
pipeline.store.conn.execute("BEGIN IMMEDIATE")
pipeline.store.conn.execute("DELETE FROM messages")  # in flight at the kill: never committed
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_start_after_a_kill_that_left_wal_and_shm_recovers_every_committed_batch(tmp_path):
    """Already right (SQLite replays its log; the kill drill relies on it): checked here on
    the files a kill leaves, with a transaction in flight at the kill."""
    path = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], env=env, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert Path(f"{path}-wal").stat().st_size > 0 and Path(f"{path}-shm").exists()
    store = Store(path)
    try:
        assert store.count_messages() == 500 and json.loads(json.dumps(store.get_cursor("fb"))) == "4"
        assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        Pipeline(store, Engine(load_dir(None)), []).ingest("fb", Batch((msg("after"),), "5"), T0)
        assert store.count_messages() == 501
    finally:
        store.close()


# --- the system clock jumps while running -------------------------------------------------------

def storm_alerts(path: Path, jump: timedelta) -> list[tuple]:
    """A complaint storm polled live and ticking every minute; for two polls the clock is off by `jump`."""
    from conftest import storm_stream

    store = Store(path)
    try:
        pipeline = Pipeline(store, Engine(load_dir(None)), [])
        stream = storm_stream(40)
        for n, first in enumerate(range(0, 40, 5)):
            now = stream[first + 4].created_at + (jump if n in (3, 4) else timedelta(0))
            pipeline.ingest("feed", Batch(tuple(stream[first:first + 5]), str(first)), now)
            for minute in range(5):
                pipeline.on_tick(now + timedelta(minutes=minute))
        for minute in range(240):
            pipeline.on_tick(stream[-1].created_at + timedelta(minutes=minute))
        return [(a.seq, a.kind) for a in store.alerts()]
    finally:
        store.close()


@pytest.mark.xfail(strict=True, reason=(
    "LEFT (webcare/engine.py): the engine runs on the time it is given; six hours ahead it closes "
    "the ongoing storm, and when the time is back the closed incident is updated and escalated "
    "twice (seq 4-7). `webcare run` no longer gives it such a jump (its SystemClock follows the "
    "boot clock through a short one, tests/test_clock.py); this pins the engine alone"))
def test_the_clock_six_hours_ahead_for_ten_minutes_mid_storm_changes_no_alert(tmp_path):
    assert storm_alerts(tmp_path / "b.db", timedelta(hours=6)) == storm_alerts(tmp_path / "a.db", timedelta(0))


def test_the_clock_six_hours_behind_for_ten_minutes_mid_storm_neither_repeats_nor_loses_an_alert(tmp_path):
    """Already right (the third round tried an hour; alerts are keyed by incident and sequence)."""
    assert storm_alerts(tmp_path / "b.db", -timedelta(hours=6)) == storm_alerts(tmp_path / "a.db", timedelta(0))


# --- a cursor the replay connector cannot read; a file it cannot read ---------------------------

@pytest.mark.parametrize("cursor", ['{"streams": {"mentions": {"since": "1"}}}', "not json", "[1]",
                                    '{"offset": "abc", "line": 0}', '{"offset": -5, "line": 0}'])
def test_a_cursor_the_replay_connector_cannot_read_starts_the_file_again_with_one_warning(
        tmp_path, store, caplog, cursor):
    """A connector retyped in the config under the same name (mastodon -> replay) inherits the
    other's cursor: KeyError, JSONDecodeError or TypeError on every poll, logged as a failure
    with a traceback each time, and the file never read. Messages are stored by id, so reading
    from the start stores none twice."""
    path = inbox(tmp_path, line_of("m1"), line_of("m2"))
    store.set_cursor("inbox", cursor, T0)
    caplog.set_level(logging.WARNING)
    coord = coordinator(store, replay(path), SimClock(T0))
    asyncio.run(coord.poll())
    assert coord.status == "ok" and set(stored(store)) == {"m1", "m2"}
    assert json.loads(store.get_cursor("inbox"))["line"] == 2
    (warned,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "inbox: cannot read the stored cursor" in warned and "from the start" in warned


def test_webcare_replay_of_a_directory_says_so_without_a_traceback(tmp_path, capsys):
    from webcare.cli import main

    config = tmp_path / "c.toml"
    config.write_text('[store]\npath = "r.db"\n[alerts]\nconsole = false\n', encoding="utf-8")
    assert main(["replay", str(tmp_path), "--config", str(config), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"webcare: cannot read {tmp_path}: [Errno 21] Is a directory" in err


def test_check_config_names_a_database_webcare_run_would_refuse(tmp_path, capsys):
    """check-config said OK for a database of a newer webcare or one that is no database, and
    `webcare run` then refused it at start."""
    from webcare.cli import main

    config = tmp_path / "c.toml"
    config.write_text('[store]\npath = "webcare.db"\n[alerts]\nconsole = false\n', encoding="utf-8")
    assert main(["check-config", str(config)]) == 0  # no database yet: made at the first start
    path = tmp_path / "webcare.db"
    Store(path).close()
    assert main(["check-config", str(config)]) == 0
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert main(["check-config", str(config)]) == 1
    assert f"store.path: {path} was written by a newer webcare (schema {SCHEMA_VERSION + 1})" in capsys.readouterr().err
    path.write_bytes(b"not a database, just text " * 200)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert main(["check-config", str(config)]) == 1
    assert "file is not a database" in capsys.readouterr().err
    assert path.read_bytes().startswith(b"not a database")  # read only
