"""The SQLite store: every message exactly once, cursors, scores, incidents and the alert outbox.

Writes happen inside `transaction()`, so one poll's messages, its cursor, their scores, the
alerts they caused and the engine's state land together or not at all: a crash (even
`kill -9`) between two transactions loses nothing and repeats nothing. Alerts are an outbox:
each configured sink has a delivery row that is ticked off once that sink has it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import pickle
import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import replace
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, Iterator, NamedTuple, Sequence, TypeVar

import numpy as np
import sqlite_utils

from webcare.metrics import (
    AUTHOR_NAMES_SQL, BRAND, BULK_CHECK_SQL, DEFAULT_GAP, OTHER_PLATFORM, TS_SCALE, CompactRows,
    THREAD_IDS_SQL, MessageColumns, brand_author_keys, columns_fit, columns_from_rows, columns_from_sql,
    columns_query, compact_rows_query, gc_paused, looks_like_auto_reply, parse_integers,
    register_sql_functions, thread_sql,
)
from webcare.models import Alert, Author, Message, Rejected, Score

SCHEMA_VERSION = 7
log = logging.getLogger(__name__)

_MESSAGE_COLUMNS = (
    "platform", "id", "kind", "public", "author_id", "author_name", "author_followers", "text",
    "created_at", "ts", "conversation_id", "in_reply_to", "from_brand", "automated", "url", "lang",
    "extra", "source", "ingested_at",
)

# --- schemas 3 and 4: each message's thread key (`metrics.thread_sql`) is interned per
# platform in `threads`, and its author id in `authors` (across platforms, as responders are
# told apart); the message keeps the integers as `thread` and `author_key`. `webcare metrics`
# then reads a million integers instead of coding a million strings in Python.
_THREAD_KEY_COLUMNS = ("platform", "conversation_id", "in_reply_to", "public", "author_id", "id")
_thread_key_of_row = itemgetter(*map(_MESSAGE_COLUMNS.index, _THREAD_KEY_COLUMNS))  # of a `_message_row`
_INSERT_THREAD = (f"INSERT OR IGNORE INTO threads (platform, key) VALUES "
                  f"(?1, {thread_sql(lambda column: f'?{_THREAD_KEY_COLUMNS.index(column) + 1}')})")
_INSERT_AUTHOR = "INSERT OR IGNORE INTO authors (author_id) VALUES (?)"
_INBOX_INDEX = ("(platform, ts, id, from_brand, automated, kind, thread, author_key, conversation_id, "
                "in_reply_to) WHERE public = 0")


def _parameter(column: str) -> str:
    """The numbered statement parameter of a `_message_row` column."""
    return f"?{_MESSAGE_COLUMNS.index(column) + 1}"


_INSERT_MESSAGE = (
    f"INSERT OR IGNORE INTO messages ({', '.join(_MESSAGE_COLUMNS)}, thread, author_key) VALUES "
    f"({', '.join(map(_parameter, _MESSAGE_COLUMNS))}, "
    f"(SELECT t.id FROM threads t WHERE t.platform = ?1 AND t.key = {thread_sql(_parameter)}), "
    f"(SELECT a.id FROM authors a WHERE a.author_id = {_parameter('author_id')}))")
_THREAD_OF_MESSAGE = thread_sql(lambda column: f"m.{column}")
_BACKFILL_THREADS = (
    f"INSERT OR IGNORE INTO threads (platform, key) SELECT m.platform, {_THREAD_OF_MESSAGE} "
    f"FROM messages m ORDER BY m.rowid",
    f"UPDATE messages AS m SET thread = (SELECT t.id FROM threads t WHERE t.platform = m.platform "
    f"AND t.key = {_THREAD_OF_MESSAGE})",
)
_BACKFILL_AUTHORS = (
    "INSERT OR IGNORE INTO authors (author_id) SELECT author_id FROM messages ORDER BY rowid",
    "UPDATE messages AS m SET author_key = (SELECT a.id FROM authors a WHERE a.author_id = m.author_id)",
)

# --- schema 5: the digest's volume is kept up to date by triggers, in the same transaction as
# every write to `messages` or `scores` (whoever writes), so a week is read from a few
# thousand rows instead of grouping 200,000 messages and looking up each one's score. Per
# quarter hour (every time zone's midnight falls on one, so an hour counted from any local
# midnight is whole slots), connector, platform and brand flag: every message once
# (`scored` 0, label ''), and the scored ones again by label (`scored` 1), so that a message
# and its score each cost one update; the unscored ('neu') are the difference.
VOLUME_SLOT = 900
_VOLUME_TABLE = (
    "CREATE TABLE volume (slot INTEGER, source TEXT, platform TEXT, from_brand INTEGER, "
    "scored INTEGER, label TEXT, complaints INTEGER, count INTEGER)",
    "CREATE UNIQUE INDEX idx_volume ON volume (slot, source, platform, from_brand, scored, label)",
)


def _volume_add(sign: int, m: str, score: str | None, source: str | None = None, where: str = "") -> str:
    """SQL adding `sign` times message `m` (a trigger's NEW or OLD, or each row of `source`
    matching `where`) to the volume: to its bucket of all messages (`score` None), or to the
    bucket of its score's label."""
    scored, label, complaint = ((1, f"coalesce({score}.label, 'neu')", f"coalesce({score}.complaint, 0)")
                                if score else (0, "''", "0"))
    values = (f"CAST({m}.ts AS INTEGER) / {VOLUME_SLOT}, {m}.source, {m}.platform, {m}.from_brand, "
              f"{scored}, {label}, {sign} * {complaint}, {sign}")
    rows = f"SELECT {values} FROM {source} WHERE {where}" if source else f"VALUES ({values})"
    return (f"INSERT INTO volume (slot, source, platform, from_brand, scored, label, complaints, count) "
            f"{rows} ON CONFLICT (slot, source, platform, from_brand, scored, label) DO UPDATE SET "
            f"complaints = complaints + excluded.complaints, count = count + excluded.count;")


def _score_of(m: str) -> str:
    return f"EXISTS (SELECT 1 FROM scores s WHERE s.platform = {m}.platform AND s.id = {m}.id)"


def _message_scored(m: str, sign: int) -> str:
    """SQL counting the stored score of trigger row `m` of `messages` (a score may be
    written before its message); a trigger runs it only `WHEN {_score_of(m)}`."""
    return _volume_add(sign, m, "s", "scores s", f"s.platform = {m}.platform AND s.id = {m}.id")


def _score_counted(score: str, sign: int) -> str:
    """SQL counting trigger row `score` of `scores` in or out of the volume, if its message is stored."""
    return _volume_add(sign, "m", score, "messages m", f"m.platform = {score}.platform AND m.id = {score}.id")


_VOLUME_TRIGGERS = (
    f"CREATE TRIGGER volume_message_in AFTER INSERT ON messages BEGIN {_volume_add(1, 'NEW', None)} END",
    f"CREATE TRIGGER volume_message_in_scored AFTER INSERT ON messages WHEN {_score_of('NEW')} "
    f"BEGIN {_message_scored('NEW', 1)} END",
    f"CREATE TRIGGER volume_message_out AFTER DELETE ON messages "
    f"BEGIN {_volume_add(-1, 'OLD', None)} {_message_scored('OLD', -1)} END",
    f"CREATE TRIGGER volume_message_moved AFTER UPDATE OF platform, id, ts, source, from_brand ON messages "
    f"BEGIN {_volume_add(-1, 'OLD', None)} {_message_scored('OLD', -1)} "
    f"{_volume_add(1, 'NEW', None)} {_message_scored('NEW', 1)} END",
    f"CREATE TRIGGER volume_score_in AFTER INSERT ON scores BEGIN {_score_counted('NEW', 1)} END",
    f"CREATE TRIGGER volume_score_out AFTER DELETE ON scores BEGIN {_score_counted('OLD', -1)} END",
    f"CREATE TRIGGER volume_score_changed AFTER UPDATE OF platform, id, label, complaint ON scores "
    f"BEGIN {_score_counted('OLD', -1)} {_score_counted('NEW', 1)} END",
)
_BACKFILL_VOLUME = (
    f"INSERT INTO volume (slot, source, platform, from_brand, scored, label, complaints, count) "
    f"SELECT CAST(ts AS INTEGER) / {VOLUME_SLOT}, source, platform, from_brand, 0, '', 0, count(*) "
    f"FROM messages GROUP BY 1, 2, 3, 4",
    f"INSERT INTO volume (slot, source, platform, from_brand, scored, label, complaints, count) "
    f"SELECT CAST(m.ts AS INTEGER) / {VOLUME_SLOT}, m.source, m.platform, m.from_brand, 1, "
    f"coalesce(s.label, 'neu'), sum(coalesce(s.complaint, 0)), count(*) FROM messages m "
    f"JOIN scores s ON s.platform = m.platform AND s.id = m.id GROUP BY 1, 2, 3, 4, 6",
)
# --- schema 6: a counter of changes to what the digest's week of pairing columns holds. The
# store only ever adds messages (and edits their texts, which those columns do not hold), so
# the week read once can be kept and only what came after it read (`_KeptWeek`); the triggers
# count any update of those columns and any delete, whoever writes, so that what is kept is
# thrown away then. Inserts fire neither.
_KEPT_COLUMNS = ("ts, platform, id, kind, public, from_brand, automated, in_reply_to, conversation_id, "
                 "author_id, thread, author_key")
_CHANGES = (
    "CREATE TABLE message_changes (id INTEGER PRIMARY KEY, count INTEGER NOT NULL)",
    "INSERT INTO message_changes (id, count) VALUES (1, 0)",
    f"CREATE TRIGGER messages_changed AFTER UPDATE OF {_KEPT_COLUMNS} ON messages "
    f"BEGIN UPDATE message_changes SET count = count + 1 WHERE id = 1; END",
    "CREATE TRIGGER messages_removed AFTER DELETE ON messages "
    "BEGIN UPDATE message_changes SET count = count + 1 WHERE id = 1; END",
)
# The rows both volume reads group: per message, or per slot of the roll-up, by its hour;
# a scored slot row counts its messages under their label and takes them out of 'neu'.
_VOLUME_OF_MESSAGES = (
    "SELECT CAST((m.ts - :origin) / 3600 AS INTEGER) AS hour, m.source AS source, m.platform AS platform, "
    "m.from_brand AS brand, coalesce(s.label, 'neu') AS label, s.complaint AS complaints, 1 AS count "
    "FROM messages m LEFT JOIN scores s ON s.platform = m.platform AND s.id = m.id")
_VOLUME_OF_SLOTS = (
    f"SELECT (slot * {VOLUME_SLOT} - :origin) / 3600 AS hour, source, platform, from_brand AS brand, "
    f"CASE WHEN scored THEN label ELSE 'neu' END AS label, complaints, count "
    f"FROM volume WHERE slot >= :first AND slot < :last UNION ALL "
    f"SELECT (slot * {VOLUME_SLOT} - :origin) / 3600, source, platform, from_brand, 'neu', 0, -count "
    f"FROM volume WHERE slot >= :first AND slot < :last AND scored")
_VOLUME_DETAIL = "hour, source, platform, brand, label, coalesce(sum(complaints), 0), sum(count)"
_VOLUME_BY_SOURCE = "hour, source, NULL, NULL, NULL, 0, sum(count)"


def _whole_slots(start: float, end: float) -> tuple[int, int]:
    """The roll-up slots that lie wholly in [start, end): from `first` up to `last`."""
    first, last = int(start // VOLUME_SLOT), int(end // VOLUME_SLOT)
    if first * VOLUME_SLOT < start:
        first += 1
    return first, last


class EngineSnapshot(NamedTuple):
    """The engine state as last snapshotted, and the events fed to it since (`Pipeline`)."""

    state: Any
    token: str | None  # None: written by a webcare that logged no events
    at: float  # when it was taken, epoch seconds
    events: list[list[Any]]


# Stores open in this process per database path: another connection to the path of a file
# deleted under them must not create an empty database there.
_OPEN: dict[str, int] = {}
_OPEN_LOCK = threading.Lock()  # readers open and close stores on worker threads


class StoreError(RuntimeError):
    """The database cannot be used (locked, full, corrupt); says which file and why."""


class Store:
    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        conn = None
        if _OPEN.get(os.path.abspath(self.path)) and _identity(self.path) is None:
            raise StoreError(f"cannot open database {self.path}: the file was deleted while webcare "
                             f"had it open (a new connection would create an empty one there)")
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA recursive_triggers = ON")  # a REPLACE tells the volume what it removed
            self.conn = conn
            self.db = sqlite_utils.Database(conn)
            self._file: tuple[int, int] | None = None
            self._migrate()
            self._file = _identity(self.path)
            if self._file is not None:
                with _OPEN_LOCK:
                    _OPEN[os.path.abspath(self.path)] = _OPEN.get(os.path.abspath(self.path), 0) + 1
        except (sqlite3.Error, StoreError) as exc:
            if conn is not None:  # the file is left as it was, and not held open
                conn.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc

    def close(self) -> None:
        if self._file is not None:
            self.moved()  # its log emptied if the file is gone: SQLite keeps it when a file moved
            with _OPEN_LOCK:
                if _OPEN.get(key := os.path.abspath(self.path)):
                    _OPEN[key] -= 1
        self._file = None
        self.conn.close()

    def moved(self) -> str | None:
        """What happened to the database file since it was opened, if it was deleted or
        replaced (a backup restored over it): the open connection then writes to a file no
        one will read again, so every write is refused."""
        if self._file is None:
            return None
        now = _identity(self.path)
        if now == self._file:
            return None
        try:  # the -wal at the path is this file's: SQLite would lay it over the one there now
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.error("%s: could not empty the write-ahead log of the file it had open: %s", self.path, exc)
        return (f"{self.path} was {'deleted' if now is None else 'replaced'} while webcare was running; "
                f"nothing more is written to the file it had open")

    def write_back(self) -> bool:
        """Write the open database to its path if its file was deleted, so no stored message is
        lost; True if it was. Only at a stop: the connection is of no use afterwards."""
        if self._file is None or _identity(self.path) is not None:
            return False
        rescue = f"{self.path}.rescued"
        try:
            self.conn.execute("VACUUM INTO ?", (rescue,))
            self.close()
            os.replace(rescue, self.path)
        except (sqlite3.Error, OSError) as exc:
            log.error("could not write %s back from the open database: %s", self.path, exc)
            return False
        return True

    # --- schema -------------------------------------------------------------------------
    def _migrate(self) -> None:
        db = self.db
        db["schema_version"].create({"version": int}, pk="version", if_not_exists=True)
        found = [r["version"] for r in db["schema_version"].rows]
        if found and max(found) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer webcare (schema {max(found)}); this "
                             f"one knows up to schema {SCHEMA_VERSION}: upgrade webcare, or point it at "
                             f"another database (nothing was changed)")
        db["messages"].create({
            "platform": str, "id": str, "kind": str, "public": int, "author_id": str,
            "author_name": str, "author_followers": int, "text": str, "created_at": str,
            "ts": float, "conversation_id": str, "in_reply_to": str, "from_brand": int,
            "automated": int, "url": str, "lang": str, "extra": str, "source": str,
            "ingested_at": float, "thread": int, "author_key": int,
        }, pk=("platform", "id"), if_not_exists=True)
        db["threads"].create({"id": int, "platform": str, "key": str}, pk="id", if_not_exists=True)
        db["threads"].create_index(["platform", "key"], unique=True, if_not_exists=True)
        db["authors"].create({"id": int, "author_id": str}, pk="id", if_not_exists=True)
        db["authors"].create_index(["author_id"], unique=True, if_not_exists=True)
        for column, backfill in (("thread", _BACKFILL_THREADS), ("author_key", _BACKFILL_AUTHORS)):
            if column not in db["messages"].columns_dict:
                self._add_column(column, backfill)
        db["scores"].create({
            "platform": str, "id": str, "lang": str, "compound": float, "label": str,
            "intent": str, "complaint": int, "complaint_score": float, "urgency": float,
            "reasons": str, "confidence": float,
        }, pk=("platform", "id"), if_not_exists=True)
        if not db["volume"].exists():
            self._add_volume()
        if not db["message_changes"].exists():
            self._add_changes()
        db["cursors"].create({"connector": str, "cursor": str, "updated_at": float},
                             pk="connector", if_not_exists=True)
        db["quarantine"].create({"id": int, "connector": str, "source": str, "error": str,
                                 "raw": str, "at": float}, pk="id", if_not_exists=True)
        db["alerts"].create({
            "key": str, "incident": str, "seq": int, "at": str, "playbook": str,
            "severity": str, "kind": str, "payload": str,
        }, pk="key", if_not_exists=True)
        db["deliveries"].create({"alert_key": str, "sink": str, "delivered_at": float,
                                 "ref": str}, pk=("alert_key", "sink"), if_not_exists=True)
        db["incidents"].create({
            "id": str, "playbook": str, "severity": str, "status": str, "title": str,
            "opened_at": str, "updated_at": str, "seq": int, "message_ids": str,
            "assignee": str, "acked_by": str, "acked_at": str, "snoozed_until": str,
            "resolved_by": str, "resolved_at": str,
        }, pk="id", if_not_exists=True)
        db["incident_actions"].create({"id": int, "incident": str, "action": str, "user": str,
                                       "at": str}, pk="id", if_not_exists=True)
        db["engine_state"].create({"id": int, "version": str, "state": bytes, "updated_at": float,
                                   "log_token": str}, pk="id", if_not_exists=True)
        # --- schema 7: the events the engine was fed since its last snapshot, so a commit
        # writes a few rows instead of the whole state (`Pipeline`); the token ties them to
        # their snapshot, and a snapshot written without one (an older webcare) disowns them
        if "log_token" not in db["engine_state"].columns_dict:
            self.conn.execute("ALTER TABLE engine_state ADD COLUMN log_token TEXT")
        db["engine_log"].create({"seq": int, "token": str, "event": str}, pk="seq", if_not_exists=True)
        db["connector_status"].create({
            "connector": str, "status": str, "last_success": float, "last_error": str,
            "fetched": int, "rate_limit_reset": float, "updated_at": float,
        }, pk="connector", if_not_exists=True)
        for table, cols in (("messages", ["ts"]), ("messages", ["platform", "conversation_id"]),
                            ("messages", ["in_reply_to"]), ("messages", ["author_id"]),
                            ("deliveries", ["sink", "delivered_at"]), ("incidents", ["status"])):
            db[table].create_index(cols, if_not_exists=True)
        db["quarantine"].create_index(["connector", "source", "raw"], unique=True, if_not_exists=True)
        if not found:
            db["schema_version"].insert({"version": SCHEMA_VERSION})
        # --- telegram (issue 5): chat messages per incident, held alerts, on-call, mutes ---
        db["telegram_messages"].create({
            "chat_id": int, "message_id": int, "incident": str, "seq": int, "severity": str,
            "kind": str, "current": int, "updated_at": float,
        }, pk=("chat_id", "message_id"), if_not_exists=True)
        db["telegram_messages"].create_index(["incident", "current"], if_not_exists=True)
        db["telegram_held"].create({"incident": str, "chat_id": int, "alert_key": str,
                                    "release_at": float}, pk=("incident", "chat_id"),
                                   if_not_exists=True)
        db["telegram_chats"].create({"chat_id": int, "muted_until": float}, pk="chat_id",
                                    if_not_exists=True)
        db["oncall_override"].create({"id": int, "person": str, "since": float, "until": float},
                                     pk="id", if_not_exists=True)
        # --- digest (issue 8): one row per recipient and period, with per-chat progress ---
        db["digest_runs"].create({
            "recipient": str, "period": str, "kind": str, "due_at": float, "queued_at": float,
            "sent_at": float, "chats": str,
        }, pk=("recipient", "period"), if_not_exists=True)
        # --- schema 2: Facebook's label reads a month of private messages on two platforms;
        # only private rows are indexed, so the index costs little on insert. Schema 5: the
        # index holds every column that read needs but brand texts (`digest_inbox_columns`),
        # so a month of the inbox is read from it instead of from 75,000 scattered rows
        self._replace_index("idx_messages_private", "idx_messages_inbox", _INBOX_INDEX)
        # --- schema 4: finds a row without its thread id or author key (written around the
        # store) in one probe, so `webcare metrics` knows whether its bulk read applies; holds
        # no row else (schema 3 had it for the thread alone)
        self.conn.execute("DROP INDEX IF EXISTS idx_messages_threadless")
        self.conn.execute("CREATE INDEX IF NOT EXISTS idx_messages_unkeyed ON messages (thread) "
                          "WHERE thread IS NULL OR author_key IS NULL")
        # --- schema 6: /queue's answers are the brand's messages of the week, found over an
        # index of those alone instead of by looking up every message of the week (a brand
        # message costs one more index entry at insert, a customer's none); one statement
        self.conn.execute("CREATE INDEX IF NOT EXISTS idx_messages_brand ON messages (ts) WHERE from_brand = 1")
        if found and max(found) < SCHEMA_VERSION:
            db["schema_version"].insert({"version": SCHEMA_VERSION})

    def _replace_index(self, old: str, new: str, columns: str) -> None:
        """Index `new` (`columns`, with its WHERE clause) instead of `old`, in one transaction."""
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                             (new,)).fetchone():
            return
        with self.transaction():
            self.conn.execute(f"CREATE INDEX IF NOT EXISTS {new} ON messages {columns}")
            self.conn.execute(f"DROP INDEX IF EXISTS {old}")

    def _add_volume(self) -> None:
        """Schema 5: the volume roll-up, its triggers and its rows for every stored message,
        in one transaction (killed half-way, the next start does it again)."""
        with self.transaction():
            if self.db["volume"].exists():  # another process just did it
                return
            for statement in (*_VOLUME_TABLE, *_VOLUME_TRIGGERS, *_BACKFILL_VOLUME):
                self.conn.execute(statement)

    def _add_changes(self) -> None:
        """Schema 6: the change counter and its triggers, in one transaction (killed half-way,
        the next start does it again)."""
        with self.transaction():
            if self.db["message_changes"].exists():  # another process just did it
                return
            for statement in _CHANGES:
                self.conn.execute(statement)

    def _add_column(self, column: str, backfill: Sequence[str]) -> None:
        """Schema 3 or 4 for a database written before it: the integer `column` of messages,
        filled for every stored message by `backfill`, in one transaction (killed half-way,
        the next start does it again)."""
        with self.transaction():
            if column in self.db["messages"].columns_dict:  # another process just did it
                return
            self.conn.execute(f"ALTER TABLE messages ADD COLUMN {column} INTEGER")
            for statement in backfill:
                self.conn.execute(statement)

    # --- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        moved = self.moved()
        if moved:
            raise StoreError(f"cannot write to {self.path}: {moved.removeprefix(self.path + ' ')}")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc
        try:
            yield
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"cannot commit to {self.path}: {exc}") from exc

    def _rollback(self) -> None:
        if self.conn.in_transaction:  # SQLite has already rolled back after e.g. a full disk
            self.conn.execute("ROLLBACK")

    # --- messages -----------------------------------------------------------------------
    def save_messages(self, messages: Iterable[Message], source: str, now: datetime,
                      edited: list[Message] | None = None) -> list[Message]:
        """Insert messages not seen before (by platform and id); return just those.

        A message seen again keeps its row; its text, url and extra fields are refreshed, since
        platforms allow edits, and it is added to `edited` when one changed (so it can be
        scored again). The same id twice in `messages` counts as its last version.
        """
        new = []
        ingested = now.timestamp()
        latest = {m.key: m for m in messages}  # in the order first seen, as last written
        messages = list(latest.values())
        rows = [_message_row(m, source, ingested) for m in messages]
        self.conn.executemany(_INSERT_THREAD, map(_thread_key_of_row, rows))  # first, in one go
        self.conn.executemany(_INSERT_AUTHOR, ((m.author.id,) for m in messages))
        for m, row in zip(messages, rows):
            if self.conn.execute(_INSERT_MESSAGE, row).rowcount:
                new.append(m)
            elif self.conn.execute(
                    "UPDATE messages SET text = ?, url = ?, extra = ? WHERE platform = ? AND id = ? "
                    "AND (text IS NOT ? OR url IS NOT ? OR extra IS NOT ?)",
                    (row[7], row[14], row[16], m.platform, m.id, row[7], row[14], row[16])).rowcount:
                if edited is not None:
                    edited.append(m)
        return new

    def count_messages(self) -> int:
        return self.conn.execute("SELECT count(*) FROM messages").fetchone()[0]

    def get_messages(self, uids: Sequence[str]) -> list[tuple[Message, Score | None]]:
        """Messages by `platform:id`, in the order asked, with their scores."""
        out = []
        for uid in uids:
            platform, _, mid = uid.partition(":")
            row = self.conn.execute(
                f"SELECT {', '.join('m.' + c for c in _MESSAGE_COLUMNS)}, s.lang, s.compound, "
                "s.label, s.intent, s.complaint, s.complaint_score, s.urgency, s.reasons, "
                "s.confidence FROM messages m LEFT JOIN scores s USING (platform, id) "
                "WHERE m.platform = ? AND m.id = ?", (platform, mid)).fetchone()
            if row:
                n = len(_MESSAGE_COLUMNS)
                out.append((_row_message(row[:n]), _row_score(row[n:])))
        return out

    def iter_messages(self, since: datetime | None = None) -> Iterator[Message]:
        sql = f"SELECT {', '.join(_MESSAGE_COLUMNS)} FROM messages"
        params: tuple = ()
        if since is not None:
            sql += " WHERE ts >= ?"
            params = (since.timestamp(),)
        for row in self.conn.execute(sql + " ORDER BY ts, platform, id", params):
            yield _row_message(row)

    def save_scores(self, scored: Iterable[tuple[Message, Score]]) -> None:
        self.conn.executemany(
            "INSERT INTO scores (platform, id, lang, compound, label, intent, complaint, "
            "complaint_score, urgency, reasons, confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (platform, id) DO UPDATE SET lang = excluded.lang, compound = excluded.compound, "
            "label = excluded.label, intent = excluded.intent, complaint = excluded.complaint, "
            "complaint_score = excluded.complaint_score, urgency = excluded.urgency, "
            "reasons = excluded.reasons, confidence = excluded.confidence",
            [(m.platform, m.id, s.lang, s.compound, s.label, s.intent, int(s.complaint),
              s.complaint_score, s.urgency, json.dumps(list(s.reasons), ensure_ascii=False),
              s.confidence) for m, s in scored])

    def quarantine(self, connector: str, rejected: Iterable[Rejected], now: datetime) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO quarantine (connector, source, error, raw, at) VALUES (?,?,?,?,?)",
            [(connector, r.source, r.error, r.raw, now.timestamp()) for r in rejected])

    def quarantined(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT connector, source, error, raw FROM quarantine ORDER BY id"))

    # --- cursors and connector status ---------------------------------------------------
    def get_cursor(self, connector: str) -> str | None:
        row = self.conn.execute("SELECT cursor FROM cursors WHERE connector = ?", (connector,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, connector: str, cursor: str | None, now: datetime) -> None:
        self.conn.execute("INSERT OR REPLACE INTO cursors (connector, cursor, updated_at) VALUES (?,?,?)",
                          (connector, cursor, now.timestamp()))

    def set_connector_status(self, connector: str, status: str, now: datetime, *,
                             error: str = "", fetched: int = 0, success: bool = False,
                             rate_limit_reset: datetime | None = None) -> None:
        old = self.conn.execute("SELECT last_success, fetched FROM connector_status WHERE connector = ?",
                                (connector,)).fetchone() or (None, 0)
        self.conn.execute(
            "INSERT OR REPLACE INTO connector_status (connector, status, last_success, last_error, "
            "fetched, rate_limit_reset, updated_at) VALUES (?,?,?,?,?,?,?)",
            (connector, status, now.timestamp() if success else old[0], error, (old[1] or 0) + fetched,
             rate_limit_reset.timestamp() if rate_limit_reset else None, now.timestamp()))

    def connector_status(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM connector_status ORDER BY connector"))

    # --- alerts: the outbox -------------------------------------------------------------
    def record_alerts(self, alerts: Iterable[Alert], sinks: Sequence[str]) -> list[Alert]:
        """Queue alerts for each sink; an alert whose key is already known is not queued again."""
        fresh = []
        for a in alerts:
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO alerts (key, incident, seq, at, playbook, severity, kind, payload) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (a.key, a.incident, a.seq, a.at.isoformat(), a.playbook, a.severity, a.kind,
                 json.dumps(a.to_dict(), ensure_ascii=False)))
            if not cur.rowcount:
                continue
            fresh.append(a)
            self.conn.executemany("INSERT OR IGNORE INTO deliveries (alert_key, sink) VALUES (?, ?)",
                                  [(a.key, s) for s in sinks])
            self._track_incident(a)
        return fresh

    def _track_incident(self, a: Alert) -> None:
        status = {"resolve": "resolved", "close": "closed"}.get(a.kind)
        if a.seq == 0:
            self.conn.execute(
                "INSERT OR IGNORE INTO incidents (id, playbook, severity, status, title, opened_at, "
                "updated_at, seq, message_ids) VALUES (?,?,?,?,?,?,?,?,?)",
                (a.incident, a.playbook, a.severity, status or "open", a.title, a.at.isoformat(),
                 a.at.isoformat(), a.seq, json.dumps(list(a.message_ids))))
        else:
            self.conn.execute(
                "UPDATE incidents SET severity = ?, title = ?, updated_at = ?, seq = max(seq, ?), "
                "message_ids = ?, status = coalesce(?, status) WHERE id = ?",
                (a.severity, a.title, a.at.isoformat(), a.seq, json.dumps(list(a.message_ids)),
                 status, a.incident))

    def pending(self, sink: str, limit: int = 1000) -> list[Alert]:
        rows = self.conn.execute(
            "SELECT a.payload FROM deliveries d JOIN alerts a ON a.key = d.alert_key "
            "WHERE d.sink = ? AND d.delivered_at IS NULL ORDER BY a.rowid LIMIT ?", (sink, limit))
        return [Alert.from_dict(json.loads(r[0])) for r in rows]

    def queued_counts(self) -> dict[str, int]:
        """Alerts waiting in the outbox, per sink."""
        rows = self.conn.execute("SELECT sink, count(*) FROM deliveries WHERE delivered_at IS NULL GROUP BY sink")
        return dict(rows.fetchall())

    def mark_delivered(self, key: str, sink: str, now: datetime, ref: str | None = None) -> None:
        self.conn.execute("UPDATE deliveries SET delivered_at = ?, ref = ? WHERE alert_key = ? AND sink = ?",
                          (now.timestamp(), ref, key, sink))

    def alerts(self) -> list[Alert]:
        return [Alert.from_dict(json.loads(r[0]))
                for r in self.conn.execute("SELECT payload FROM alerts ORDER BY rowid")]

    def record_human_action(self, incident_id: str, action: str, user: str, now: datetime,
                            snoozed_until: datetime | None = None) -> None:
        """Log who did what to an incident, and reflect it in the incident's row."""
        at = now.isoformat()
        self.conn.execute("INSERT INTO incident_actions (incident, action, user, at) VALUES (?,?,?,?)",
                          (incident_id, action, user, at))
        updates = {
            "acknowledge": ("status = CASE WHEN status IN ('open', 'snoozed') THEN 'acknowledged' "
                            "ELSE status END, acked_by = coalesce(acked_by, ?), acked_at = coalesce(acked_at, ?)",
                            (user, at)),
            "claim": ("status = 'acknowledged', assignee = ?, acked_by = coalesce(acked_by, ?), "
                      "acked_at = coalesce(acked_at, ?)", (user, user, at)),
            "snooze": ("status = 'snoozed', snoozed_until = ?",
                       (snoozed_until.isoformat() if snoozed_until else None,)),
            "resolve": ("status = 'resolved', resolved_by = ?, resolved_at = ?", (user, at)),
            "reopen": ("status = 'open', snoozed_until = NULL, resolved_by = NULL, resolved_at = NULL", ()),
        }
        if action in updates:
            sql, params = updates[action]
            self.conn.execute(f"UPDATE incidents SET {sql} WHERE id = ?", (*params, incident_id))

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM incidents WHERE id = ?", (incident_id,)))
        return rows[0] if rows else None

    def delivery_ref(self, incident_id: str, sink: str) -> str | None:
        """The reference (e.g. chat message id) a sink gave the incident's first delivered alert."""
        row = self.conn.execute(
            "SELECT d.ref FROM deliveries d JOIN alerts a ON a.key = d.alert_key WHERE a.incident = ? "
            "AND d.sink = ? AND d.ref IS NOT NULL ORDER BY a.seq LIMIT 1", (incident_id, sink)).fetchone()
        return row[0] if row else None

    def incidents(self, status: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        return list(self.db.query(f"SELECT * FROM incidents {where} ORDER BY opened_at", params))

    # --- engine state -------------------------------------------------------------------
    def save_engine_state(self, version: str, state: Any, now: datetime) -> str:
        """Snapshot the whole engine state, which makes the logged events redundant; returns
        the token that events logged after it carry."""
        token = uuid.uuid4().hex
        self.conn.execute("DELETE FROM engine_log")
        self.conn.execute("INSERT OR REPLACE INTO engine_state (id, version, state, updated_at, log_token) "
                          "VALUES (1, ?, ?, ?, ?)", (version, pickle.dumps(state), now.timestamp(), token))
        return token

    def log_engine_events(self, token: str, events: Iterable[Sequence[Any]]) -> None:
        """Events fed to the engine since the snapshot `token`, in order (JSON arrays)."""
        self.conn.executemany("INSERT INTO engine_log (token, event) VALUES (?, ?)",
                              [(token, json.dumps(list(e))) for e in events])

    def load_engine_state(self, version: str) -> EngineSnapshot | None:
        """The last engine snapshot with the events logged after it, or None when there is
        none, it was written by another version or it cannot be read."""
        row = self.conn.execute("SELECT version, state, updated_at, log_token FROM engine_state "
                                "WHERE id = 1").fetchone()
        if not row or row[0] != version:
            return None
        try:
            state = pickle.loads(row[1])
        except Exception:  # noqa: BLE001 - an unreadable snapshot means: start afresh
            return None
        events = []
        for seq, event in self.conn.execute("SELECT seq, event FROM engine_log WHERE token = ? "
                                            "ORDER BY seq", (row[3],)):
            try:
                value = json.loads(event)
            except ValueError:
                value = None
            if isinstance(value, list) and value:
                events.append(value)
            else:
                log.warning("engine log: entry %s is not a JSON array; skipped", seq)
        return EngineSnapshot(state, row[3], row[2] or 0.0, events)

    # --- telegram (issue 5): appended methods ---------------------------------------------
    def latest_alert(self, incident_id: str) -> Alert | None:
        """The newest alert of an incident: what a chat message about it should show now."""
        row = self.conn.execute("SELECT payload FROM alerts WHERE incident = ? ORDER BY seq DESC "
                                "LIMIT 1", (incident_id,)).fetchone()
        return Alert.from_dict(json.loads(row[0])) if row else None

    def incident_actions(self, incident_id: str) -> list[dict[str, Any]]:
        """Who did what to an incident, oldest first."""
        return list(self.db.query("SELECT action, user, at FROM incident_actions WHERE incident = ? "
                                  "ORDER BY id", (incident_id,)))

    def pending_count(self, sink: str) -> int:
        return self.conn.execute("SELECT count(*) FROM deliveries WHERE sink = ? AND delivered_at "
                                 "IS NULL", (sink,)).fetchone()[0]

    def pending_later(self, incident_id: str, seq: int, sink: str) -> bool:
        """Whether a newer alert of the same incident still waits for this sink."""
        return self.conn.execute(
            "SELECT 1 FROM deliveries d JOIN alerts a ON a.key = d.alert_key WHERE d.sink = ? "
            "AND d.delivered_at IS NULL AND a.incident = ? AND a.seq > ? LIMIT 1",
            (sink, incident_id, seq)).fetchone() is not None

    def telegram_current(self, incident_id: str) -> dict[int, dict[str, Any]]:
        """Per chat id, the chat message that currently shows the incident."""
        rows = self.db.query("SELECT chat_id, message_id, seq, severity, kind FROM telegram_messages "
                             "WHERE incident = ? AND current = 1", (incident_id,))
        return {r["chat_id"]: r for r in rows}

    def save_telegram_message(self, incident_id: str, chat_id: int, message_id: int, seq: int,
                              severity: str, kind: str, now: datetime) -> None:
        """Record a chat message that now shows the incident (older ones in the chat retire)."""
        self.conn.execute("UPDATE telegram_messages SET current = 0 WHERE incident = ? AND chat_id = ? "
                          "AND message_id != ?", (incident_id, chat_id, message_id))
        self.conn.execute(
            "INSERT OR REPLACE INTO telegram_messages (chat_id, message_id, incident, seq, severity, "
            "kind, current, updated_at) VALUES (?,?,?,?,?,?,1,?)",
            (chat_id, message_id, incident_id, seq, severity, kind, now.timestamp()))

    def telegram_incident_of(self, chat_id: int, message_id: int) -> str | None:
        row = self.conn.execute("SELECT incident FROM telegram_messages WHERE chat_id = ? AND "
                                "message_id = ?", (chat_id, message_id)).fetchone()
        return row[0] if row else None

    def hold_telegram(self, incident_id: str, chat_id: int, alert_key: str, release_at: datetime) -> None:
        """Hold a chat's notification about an incident until `release_at` (quiet hours).

        A newer alert replaces the held one but keeps the earliest release time.
        """
        self.conn.execute(
            "INSERT INTO telegram_held (incident, chat_id, alert_key, release_at) VALUES (?,?,?,?) "
            "ON CONFLICT (incident, chat_id) DO UPDATE SET alert_key = excluded.alert_key, "
            "release_at = min(release_at, excluded.release_at)",
            (incident_id, chat_id, alert_key, release_at.timestamp()))

    def telegram_held(self, due: datetime | None = None) -> list[dict[str, Any]]:
        """Held notifications (those due by `due` when given), oldest release first."""
        where, params = ("WHERE release_at <= ?", (due.timestamp(),)) if due else ("", ())
        return list(self.db.query(f"SELECT incident, chat_id, alert_key, release_at FROM telegram_held "
                                  f"{where} ORDER BY release_at, rowid", params))

    def drop_telegram_hold(self, incident_id: str, chat_id: int) -> None:
        self.conn.execute("DELETE FROM telegram_held WHERE incident = ? AND chat_id = ?",
                          (incident_id, chat_id))

    def set_muted_until(self, chat_id: int, until: datetime | None) -> None:
        self.conn.execute("INSERT OR REPLACE INTO telegram_chats (chat_id, muted_until) VALUES (?, ?)",
                          (chat_id, until.timestamp() if until else None))

    def muted_until(self, chat_id: int) -> float | None:
        """Epoch seconds until which the chat gets alerts without a notification sound."""
        row = self.conn.execute("SELECT muted_until FROM telegram_chats WHERE chat_id = ?",
                                (chat_id,)).fetchone()
        return row[0] if row else None

    def set_oncall_override(self, person: str, until: datetime, now: datetime) -> None:
        self.conn.execute("INSERT OR REPLACE INTO oncall_override (id, person, since, until) "
                          "VALUES (1, ?, ?, ?)", (person, now.timestamp(), until.timestamp()))

    def clear_oncall_override(self) -> None:
        self.conn.execute("DELETE FROM oncall_override")

    def oncall_override(self) -> dict[str, Any] | None:
        """The stored on-call take-over: person, since and until (epoch seconds), or None."""
        rows = list(self.db.query("SELECT person, since, until FROM oncall_override WHERE id = 1"))
        return rows[0] if rows else None

    def day_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Counts for a short summary of [start, end): messages, negative, complaints, incidents."""
        a, b = start.timestamp(), end.timestamp()
        msgs, neg, complaints = self.conn.execute(
            "SELECT count(*), coalesce(sum(s.label = 'neg'), 0), coalesce(sum(s.complaint), 0) "
            "FROM messages m LEFT JOIN scores s USING (platform, id) "
            "WHERE m.ts >= ? AND m.ts < ? AND m.from_brand = 0", (a, b)).fetchone()
        brand = self.conn.execute("SELECT count(*) FROM messages WHERE ts >= ? AND ts < ? AND "
                                  "from_brand = 1", (a, b)).fetchone()[0]
        opened = sum(1 for r in self.db.query("SELECT opened_at FROM incidents")
                     if a <= datetime.fromisoformat(r["opened_at"]).timestamp() < b)
        still_open = self.conn.execute("SELECT count(*) FROM incidents WHERE status IN "
                                       "('open', 'acknowledged', 'snoozed')").fetchone()[0]
        return {"messages": msgs, "negative": neg, "complaints": complaints, "brand_replies": brand,
                "incidents_opened": opened, "incidents_open": still_open}

    # --- digest (issue 8): appended methods ------------------------------------------------
    def digest_volume(self, origin: datetime, start: datetime, end: datetime,
                      detail_from: datetime | None = None) -> list[tuple]:
        """Message counts per hour since `origin`, connector, platform, brand flag and label.

        Rows `(hour, source, platform, from_brand, label, complaints, count)` for messages in
        [start, end); unscored messages count as 'neu'. Before `detail_from` only per hour and
        connector (platform, brand flag and label None, no complaints): all that connector gaps
        need of the week before. The whole quarter hours come from the `volume` roll-up, the
        minutes at either end from the messages; an origin off the quarter hours (no time
        zone has one), or a start before it, counts every message.
        """
        split = min(max(detail_from or start, start), end)
        o = origin.timestamp()
        if o % VOLUME_SLOT or o < VOLUME_SLOT or start < origin:
            return (self._volume_counted(_VOLUME_BY_SOURCE, o, start.timestamp(), split.timestamp())
                    + self._volume_counted(_VOLUME_DETAIL, o, split.timestamp(), end.timestamp()))
        return (self._volume_rolled(_VOLUME_BY_SOURCE, int(o), start.timestamp(), split.timestamp())
                + self._volume_rolled(_VOLUME_DETAIL, int(o), split.timestamp(), end.timestamp()))

    def _volume_counted(self, grouping: str, origin: float, start: float, end: float) -> list[tuple]:
        """Volume rows of [start, end) counted from the messages themselves."""
        return self.conn.execute(
            f"SELECT {grouping} FROM ({_VOLUME_OF_MESSAGES} WHERE m.ts >= :start AND m.ts < :end) "
            f"GROUP BY 1, 2, 3, 4, 5",
            {"origin": origin, "start": start, "end": end}).fetchall()

    def _volume_rolled(self, grouping: str, origin: int, start: float, end: float) -> list[tuple]:
        """Volume rows of [start, end): the quarter hours wholly inside from the roll-up, the
        rest from the messages. Exact because `origin` is on a quarter hour, so every slot
        lies within one of its hours."""
        first, last = _whole_slots(start, end)
        if first >= last:
            return self._volume_counted(grouping, origin, start, end)
        return self.conn.execute(
            f"SELECT {grouping} FROM ({_VOLUME_OF_SLOTS} UNION ALL {_VOLUME_OF_MESSAGES} "
            f"WHERE (m.ts >= :start AND m.ts < :first * {VOLUME_SLOT}) "
            f"OR (m.ts >= :last * {VOLUME_SLOT} AND m.ts < :end)) "
            f"GROUP BY 1, 2, 3, 4, 5 HAVING sum(count) > 0",
            {"origin": origin, "start": start, "end": end, "first": first, "last": last}).fetchall()

    def digest_response_columns(self, since: datetime, gap: float, until: datetime) -> MessageColumns:
        """`metrics` pairing columns from `gap` before `since` up to `until`, with each
        message's row id (so waiting messages can be looked up with `digest_examples`)."""
        if self.conn.in_transaction or not self.db["message_changes"].exists():
            return read_columns(self.conn, since, gap=gap, until=until, row_ids=True)
        self.conn.execute("SAVEPOINT week")  # one snapshot for the checks and the reads
        try:
            return _KEPT_WEEK.read(self.conn, since.timestamp() - gap, until.timestamp(),
                                   lambda: read_columns(self.conn, since, gap=gap, until=until, row_ids=True))
        finally:
            self.conn.execute("RELEASE week")

    def digest_examples(self, rowids: Sequence[int]) -> dict[int, tuple[Message, Score | None]]:
        """Messages with their scores, by row id."""
        found = {}
        cols = ", ".join("m." + c for c in _MESSAGE_COLUMNS)
        for i in range(0, len(rowids), 500):
            chunk = list(rowids[i:i + 500])
            rows = self.conn.execute(
                f"SELECT m.rowid, {cols}, s.lang, s.compound, s.label, s.intent, s.complaint, "
                "s.complaint_score, s.urgency, s.reasons, s.confidence FROM messages m LEFT JOIN "
                "scores s ON s.platform = m.platform AND s.id = m.id "
                f"WHERE m.rowid IN ({', '.join('?' * len(chunk))})", chunk)
            n = len(_MESSAGE_COLUMNS)
            for row in rows:
                found[row[0]] = (_row_message(row[1:n + 1]), _row_score(row[n + 1:]))
        return found

    def digest_waiting(self, rowids: Sequence[int], limit: int
                       ) -> tuple[list[tuple[str, int]], dict[int, tuple[Message, Score | None]]]:
        """Of the waiting messages `rowids` (oldest first), those that wait for an answer:
        private ones always, public ones when they complain, ask or are negative (praise and
        chatter under a post wait for nobody). Their count per platform, most first (ties:
        the platform seen first), and the first `limit` of them with their scores: only
        those are built as messages, however many wait.
        """
        rows = self.conn.execute(
            "WITH w(pos, rid) AS (SELECT key, value FROM json_each(?)) "
            "SELECT w.pos, w.rid, m.platform FROM w JOIN messages m ON m.rowid = w.rid "
            "LEFT JOIN scores s ON s.platform = m.platform AND s.id = m.id WHERE m.public = 0 "
            "OR s.label IS NULL OR s.complaint OR s.intent IN ('complaint', 'question') OR s.label = 'neg' "
            "ORDER BY w.pos", (json.dumps(list(rowids)),)).fetchall()
        first: dict[str, int] = {}
        counts: dict[str, int] = {}
        for pos, _, platform in rows:
            first.setdefault(platform, pos)
            counts[platform] = counts.get(platform, 0) + 1
        per_platform = sorted(counts.items(), key=lambda kv: (-kv[1], first[kv[0]]))
        return per_platform, self.digest_examples([rid for _, rid, _ in rows[:limit]])

    def digest_complaints(self, start: datetime, end: datetime, limit: int = 20000
                          ) -> list[tuple[Message, Score | None]]:
        """Customer messages in [start, end) scored as complaint or negative, most urgent first."""
        cols = ", ".join("m." + c for c in _MESSAGE_COLUMNS)
        rows = self.conn.execute(
            f"SELECT {cols}, s.lang, s.compound, s.label, s.intent, s.complaint, s.complaint_score, "
            f"s.urgency, s.reasons, s.confidence {_COMPLAINTS}", (start.timestamp(), end.timestamp(), limit))
        n = len(_MESSAGE_COLUMNS)
        return [(_row_message(r[:n]), _row_score(r[n:])) for r in rows]

    def digest_complaint_texts(self, start: datetime, end: datetime, limit: int = 20000
                               ) -> list[tuple[int, str, str | None]]:
        """`digest_complaints` as (row id, text, url): all the topics read of each, so that
        only the few shown as examples are built as messages (`digest_examples`)."""
        return self.conn.execute(f"SELECT m.rowid, m.text, m.url {_COMPLAINTS}",
                                 (start.timestamp(), end.timestamp(), limit)).fetchall()

    def digest_run(self, recipient: str, period: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM digest_runs WHERE recipient = ? AND period = ?",
                                  (recipient, period)))
        if not rows:
            return None
        row = rows[0]
        row["chats"] = json.loads(row["chats"] or "{}")
        return row

    def digest_runs_sent(self, periods: Sequence[str]) -> set[tuple[str, str]]:
        """(recipient, period) pairs among `periods` whose digest went out completely."""
        if not periods:
            return set()
        rows = self.conn.execute(
            f"SELECT recipient, period FROM digest_runs WHERE sent_at IS NOT NULL AND period IN "
            f"({', '.join('?' * len(periods))})", tuple(periods))
        return {(r[0], r[1]) for r in rows}

    def queue_digest_run(self, recipient: str, period: str, kind: str, due_at: datetime,
                         now: datetime) -> bool:
        """Claim a digest for sending; False when it was already queued (or sent)."""
        return bool(self.conn.execute(
            "INSERT OR IGNORE INTO digest_runs (recipient, period, kind, due_at, queued_at, chats) "
            "VALUES (?, ?, ?, ?, ?, '{}')",
            (recipient, period, kind, due_at.timestamp(), now.timestamp())).rowcount)

    def record_digest_chat(self, recipient: str, period: str, chat_id: int, state: dict[str, Any],
                           now: datetime, complete: bool = False) -> None:
        """Note what one chat has received of a digest; `complete` marks the whole run sent."""
        row = self.conn.execute("SELECT chats FROM digest_runs WHERE recipient = ? AND period = ?",
                                (recipient, period)).fetchone()
        chats = json.loads(row[0] or "{}") if row else {}
        chats[str(chat_id)] = state
        self.conn.execute(
            "UPDATE digest_runs SET chats = ?, sent_at = CASE WHEN ? THEN ? ELSE sent_at END "
            "WHERE recipient = ? AND period = ?",
            (json.dumps(chats), int(complete), now.timestamp(), recipient, period))

    def finish_digest_run(self, recipient: str, period: str, now: datetime) -> None:
        self.conn.execute("UPDATE digest_runs SET sent_at = ? WHERE recipient = ? AND period = ? "
                          "AND sent_at IS NULL", (now.timestamp(), recipient, period))

    def digest_inbox_rows(self, platforms: Sequence[str], since: datetime, until: datetime):
        """The private messages on `platforms` in [since, until] as `metrics` compact rows,
        exactly as `first_responses` would see those messages (threads followed among them,
        auto-replies also recognised by their text), in time order, each with its row id appended.

        A month of a busy inbox pairs this way in a fraction of the seconds it took to build
        it as messages, which is what Facebook's label is computed from.
        """
        register_sql_functions(self.conn)
        among = "p.public = 0 AND p.ts >= :since AND p.ts <= :until"
        cases = " ".join(f"WHEN :p{i} THEN {i}" for i in range(len(platforms)))
        params: dict[str, Any] = {"since": since.timestamp(), "until": until.timestamp()}
        params.update((f"p{i}", name) for i, name in enumerate(platforms))
        rows = self.conn.execute(
            f"SELECT m.ts, CASE WHEN m.from_brand = 1 THEN 1 + 2 * CASE WHEN m.automated THEN 1 ELSE "
            f"webcare_auto_reply(m.text) END ELSE 0 END + 8 * (length(m.kind) & 7) + 64 * CASE m.platform "
            f"{cases} END, {_queue_thread('m', among)}, CASE WHEN m.from_brand = 1 THEN m.author_id END, "
            f"m.rowid FROM messages m WHERE m.ts >= :since AND m.ts <= :until "
            f"AND m.public = 0 AND m.platform IN ({', '.join(f':p{i}' for i in range(len(platforms)))}) "
            f"ORDER BY m.ts, m.platform, m.id", params).fetchall()
        return CompactRows(tuple(platforms), rows)

    def digest_inbox_columns(self, platforms: Sequence[str], since: datetime, until: datetime
                             ) -> MessageColumns | CompactRows:
        """`digest_inbox_rows` as integer columns (with row ids), the way `read_columns` reads
        the week: a month of a busy inbox in one aggregated row instead of 75,000 tuples, from
        the inbox index alone but for the texts of brand replies not flagged as automated.

        The stored thread id is the walked thread of every message that has a conversation
        id, or neither a conversation id nor a parent; the others (replies without a
        conversation id, rare) are walked as `digest_inbox_rows` does, their threads coded
        after the stored ones. A store with rows lacking their ids (written around it), or
        timestamps the aggregated read cannot carry, gets `digest_inbox_rows` instead.
        """
        if not columns_fit(self.conn.execute(BULK_CHECK_SQL).fetchone()):
            return self.digest_inbox_rows(platforms, since, until)
        register_sql_functions(self.conn, _auto_reply_memo)
        params: dict[str, Any] = {"since": since.timestamp(), "until": until.timestamp()}
        params.update((f"p{i}", name) for i, name in enumerate(platforms))
        cases = " ".join(f"WHEN :p{i} THEN {i}" for i in range(len(platforms)))
        sql = _INBOX_COLUMNS.format(
            cases=cases, platforms=", ".join(f":p{i}" for i in range(len(platforms))),
            walk=_queue_thread("m", "p.public = 0 AND p.ts >= :since AND p.ts <= :until"))
        ts, flags, thread, author, rowids, walked = self.conn.execute(sql, params).fetchone()
        ts, flags, thread, author, rowids = map(parse_integers, (ts, flags, thread, author, rowids))
        if not ts.size == flags.size == thread.size == author.size == rowids.size:
            return self.digest_inbox_rows(platforms, since, until)  # NULL ids: written around the store
        thread[thread < 0] = self._walked_thread_ids(json.loads(walked))
        names = self.conn.execute(AUTHOR_NAMES_SQL, (json.dumps(np.unique(author[flags & BRAND != 0]).tolist()),))
        return MessageColumns(tuple(platforms), ts / TS_SCALE, flags, thread, author, [None] * ts.size,
                              author_names=dict(names), store_rows=rowids)

    def _walked_thread_ids(self, walked: Sequence[tuple[str, str | None]]) -> list[int]:
        """Thread ids for walked (platform, key) threads: the stored id of that key when
        there is one (so the walk joins the stored threads), else a code after every stored
        id, one per distinct key."""
        found = dict(((platform, key), tid) for platform, key, tid in self.conn.execute(
            "SELECT w.platform, w.key, t.id FROM (SELECT json_extract(value, '$[0]') AS platform, "
            "json_extract(value, '$[1]') AS key FROM json_each(?)) w "
            "JOIN threads t ON t.platform = w.platform AND t.key = w.key", (json.dumps(walked),)))
        (top,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM threads").fetchone()
        fresh: dict[tuple[str, str | None], int] = {}
        return [found[key] if key in found else fresh.setdefault(key, top + 1 + len(fresh))
                for key in map(tuple, walked)]

    # --- /queue: appended methods ---------------------------------------------------------
    def waiting_customers(self, since: datetime, limit: int, bands: Sequence[float]
                          ) -> tuple[int, list[tuple[Message, Score | None]]]:
        """Customer messages since `since` without a real answer, as `metrics.first_responses`
        pairs the messages of that window: how many, and the first `limit` by urgency band
        (`bands` are the bands' lower bounds, most urgent first), oldest first within a band.

        In SQL, so that a busy week never has to fit in memory (`_waiting_in`). Whether a
        message waits depends on it and the week's answers alone, so the week's customer
        messages are looked at in two halves, the later one read beside (`beside`) on the
        other core, and the two tops merged.
        """
        start = since.timestamp()
        middle = self._volume_middle(start)
        # the week's auto-replies by their texts, recognised here once: a recogniser called
        # from SQL in both halves would make them take turns at Python's lock
        auto_replies = json.dumps(sorted({text for (text,) in self.conn.execute(
            "SELECT text FROM messages WHERE ts >= ? AND from_brand = 1 AND NOT coalesce(automated, 0)",
            (start,)) if _auto_reply_memo(text or "")}))
        later = beside(self, lambda reader: reader._waiting_in(start, middle, math.inf, auto_replies, limit, bands))
        total, top = self._waiting_in(start, start, middle, auto_replies, limit, bands)
        more, more_top = later()
        top = sorted(top + more_top, key=lambda row: row[1:])[:limit]
        found = self.digest_examples([row[0] for row in top])
        return total + more, [found[row[0]] for row in top]

    def _volume_middle(self, start: float) -> float:
        """A time after `start` with about half of the customer messages since then before it
        (from the roll-up, to the quarter hour); `start` itself when there is no roll-up."""
        if not self.db["volume"].exists():
            return start
        slots = self.conn.execute("SELECT slot, sum(count) FROM volume WHERE slot >= ? AND NOT scored "
                                  "AND NOT from_brand GROUP BY slot ORDER BY slot",
                                  (int(start) // VOLUME_SLOT,)).fetchall()
        half, seen = sum(n for _, n in slots) / 2, 0
        for slot, n in slots:
            seen += n
            if seen >= half:
                return max(start, float((slot + 1) * VOLUME_SLOT))
        return start

    def _waiting_in(self, since: float, start: float, end: float, auto_replies: str, limit: int,
                    bands: Sequence[float]) -> tuple[int, list[tuple]]:
        """Of the customer messages in [start, end), those waiting for an answer given the
        answers since `since` (brand messages with the texts in the JSON list `auto_replies`
        answer nothing): how many, and the top `limit` as (row id, band, ts, platform, id).

        The last real answer of each thread (or, in a public thread, of each customer) goes
        into a temporary table, then every customer message is looked up there once, by integer
        thread and author keys when every row has them (by their strings else). Everything
        reads one snapshot, and rolling back to the savepoint leaves no trace of the table.
        """
        params: dict[str, Any] = {"since": since, "start": start, "end": end, "limit": limit,
                                  "auto_replies": auto_replies}
        params.update((f"band{i}", low) for i, low in enumerate(bands))
        band = ("CASE " + " ".join(f"WHEN iif(s.label IS NULL, 0.0, s.urgency) >= :band{i} THEN {i}"
                                   for i in range(len(bands))) + f" ELSE {len(bands)} END")
        self.conn.execute("SAVEPOINT queue")
        try:
            keyed = columns_fit(self.conn.execute(BULK_CHECK_SQL).fetchone())
            table, answers, waiting = ((_QUEUE_KEYED_ANSWERS_TABLE, _QUEUE_KEYED_ANSWERS, _QUEUE_KEYED_WAITING)
                                       if keyed else (_QUEUE_ANSWERS_TABLE, _QUEUE_ANSWERS, _QUEUE_WAITING))
            self.conn.execute(table)
            self.conn.execute(answers, params)
            (_, total, *_), *top = self.conn.execute(waiting.format(band=band), params).fetchall()
        finally:
            self.conn.execute("ROLLBACK TO queue")
            self.conn.execute("RELEASE queue")
        return total, top


def _identity(path: str) -> tuple[int, int] | None:
    """The file at `path` as (device, inode); None when there is none (or it is in memory)."""
    if path == ":memory:" or path.startswith("file:"):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _message_row(m: Message, source: str, ingested: float) -> tuple:
    return (
        m.platform, m.id, m.kind, int(m.public), m.author.id, m.author.name, m.author.followers,
        m.text, m.created_at.isoformat(), m.created_at.timestamp(), m.conversation_id,
        m.in_reply_to, int(m.from_brand), int(m.automated), m.url, m.lang,
        json.dumps(dict(m.extra)) if m.extra else None, source, ingested,
    )


def _row_message(row: Sequence[Any]) -> Message:
    (platform, mid, kind, public, author_id, author_name, followers, text, created_at, _ts,
     conversation_id, in_reply_to, from_brand, automated, url, lang, extra, _source, _ing) = row
    return Message(
        platform=platform, id=mid, kind=kind, public=bool(public),
        author=Author(author_id, author_name or "", followers), text=text,
        created_at=datetime.fromisoformat(created_at), conversation_id=conversation_id,
        in_reply_to=in_reply_to, from_brand=bool(from_brand), automated=bool(automated),
        url=url, lang=lang, extra=json.loads(extra) if extra else {},
    )


def _row_score(row: Sequence[Any]) -> Score | None:
    lang, compound, label, intent, complaint, complaint_score, urgency, reasons, confidence = row
    if label is None:
        return None
    return Score(lang, compound, label, intent, bool(complaint), complaint_score, urgency,
                 tuple(json.loads(reasons or "[]")), confidence if confidence is not None else 1.0)


# Brand replies are mostly a handful of canned texts: each is recognised (or not) once.
_auto_reply_memo = lru_cache(maxsize=1 << 14)(looks_like_auto_reply)

# The inbox of `Store.digest_inbox_columns`, in the order `digest_inbox_rows` gives (time,
# platform, id: ties in time are paired in that order); `walked` is the thread key of the rows
# whose stored thread id is not their walked thread (their `thread` is -1).
def _thread_is_stored(m: str) -> str:
    """SQL: whether row `m`'s stored thread id is its thread as `_queue_thread` walks it (a
    conversation id, or neither a conversation id nor a parent; replies without a
    conversation id, rare, are walked)."""
    return f"({m}.conversation_id > '' OR ({m}.conversation_id IS NULL AND {m}.in_reply_to IS NULL))"


_INBOX_COMMON = _thread_is_stored("m")
_INBOX_COLUMNS = f"""
SELECT group_concat(CAST(ts * {TS_SCALE} AS INTEGER)), group_concat(flags), group_concat(thread),
  group_concat(author), group_concat(rid), json_group_array(json_array(platform, walked)) FILTER (WHERE thread < 0)
FROM (
  SELECT m.ts AS ts, m.platform AS platform, m.author_key AS author, m.rowid AS rid,
    CASE WHEN m.from_brand = 1 THEN 1 + 2 * CASE WHEN m.automated THEN 1 ELSE webcare_auto_reply(m.text) END
      ELSE 0 END + 8 * (length(m.kind) & 7) + 64 * CASE m.platform {{cases}} END AS flags,
    CASE WHEN {_INBOX_COMMON} THEN m.thread ELSE -1 END AS thread,
    CASE WHEN {_INBOX_COMMON} THEN NULL ELSE {{walk}} END AS walked
  FROM messages m WHERE m.ts >= :since AND m.ts <= :until AND m.public = 0
    AND m.platform IN ({{platforms}})
  ORDER BY m.ts, m.platform, m.id)"""


# The complaints of a digest's period, most urgent first (`Store.digest_complaints`).
_COMPLAINTS = (
    "FROM messages m JOIN scores s ON s.platform = m.platform AND s.id = m.id WHERE m.ts >= ? AND m.ts < ? "
    "AND m.from_brand = 0 AND (s.complaint = 1 OR s.label = 'neg') ORDER BY s.urgency DESC, m.ts LIMIT ?")


# --- /queue: the SQL behind `Store.waiting_customers` -----------------------------------------

def _queue_thread(m: str, among: str = "p.ts >= :since") -> str:
    """SQL for the thread of message `m` as `metrics.thread_keys` sees it among the messages
    `p` that satisfy `among`: its conversation, else (a reply) its parent's thread, followed
    up while the parents are among them, else '@author' in private, else itself. The walk only
    runs for replies without a conversation id, which are rare; a reply cycle is cut off."""
    own = ("CASE WHEN {p}.conversation_id > '' THEN {p}.conversation_id "
           "WHEN {p}.in_reply_to > '' THEN {p}.in_reply_to "
           "WHEN {p}.public = 0 THEN '@' || {p}.author_id ELSE {p}.id END")
    walk = (f"WITH RECURSIVE up(reply_to, thread, depth) AS ("
            f"SELECT {m}.in_reply_to, {m}.in_reply_to, 0 UNION ALL "
            f"SELECT CASE WHEN NOT coalesce(p.conversation_id > '', 0) THEN p.in_reply_to END, "
            f"{own.format(p='p')}, depth + 1 FROM up JOIN messages p ON p.platform = {m}.platform "
            f"AND p.id = up.reply_to WHERE up.reply_to > '' AND {among} AND depth < 100) "
            f"SELECT thread FROM up ORDER BY depth DESC LIMIT 1")
    return (f"CASE WHEN {m}.conversation_id > '' THEN {m}.conversation_id "
            f"WHEN {m}.in_reply_to > '' THEN ({walk}) "
            f"WHEN {m}.public = 0 THEN '@' || {m}.author_id ELSE {m}.id END")


# The last real answer per thread; in a public thread a reply to a customer's message answers
# that customer (`targeted`), any other brand message there answers everyone before it.
_QUEUE_ANSWERS_TABLE = """
CREATE TEMP TABLE queue_answers (
  platform TEXT, public INTEGER, thread TEXT, targeted INTEGER, author TEXT, ts REAL, id TEXT,
  PRIMARY KEY (platform, public, thread, targeted, author)) WITHOUT ROWID"""


def _queue_answers(thread: Callable[[str], str], author: str) -> str:
    """SQL keeping each thread's (and, in public, each customer's) last real brand answer of
    the week in `queue_answers`: `thread` gives a message's thread, `author` the customer
    columns from the replied-to message `t`."""
    return f"""
INSERT INTO temp.queue_answers
SELECT a.platform, a.public, {thread('a')}, {author}, a.ts, a.id
FROM messages a
LEFT JOIN messages t ON a.public = 1 AND t.platform = a.platform AND t.id = a.in_reply_to
  AND t.ts >= :since AND t.from_brand = 0 AND t.public = 1 AND {thread('t')} = {thread('a')}
WHERE a.ts >= :since AND a.from_brand = 1
  AND NOT (coalesce(a.automated, 0) OR coalesce(a.text, '') IN (SELECT value FROM json_each(:auto_replies)))
ON CONFLICT DO UPDATE SET ts = excluded.ts, id = excluded.id WHERE (excluded.ts, excluded.id) > (ts, id)"""


_QUEUE_ANSWERS = _queue_answers(_queue_thread, "t.author_id IS NOT NULL, coalesce(t.author_id, '')")

# Waiting: no answer to the whole thread later (by time, then id: how the pairing orders ties)
# and, in public, none to the author either. The first row holds the count, then the top.
_QUEUE_WAITING = f"""
WITH waiting AS MATERIALIZED (
  SELECT c.rowid AS rid, c.ts, c.platform, c.id, {{band}} AS band
  FROM messages c
  LEFT JOIN temp.queue_answers l1 ON l1.platform = c.platform AND l1.public = c.public
    AND l1.thread = {_queue_thread('c')} AND l1.targeted = 0 AND l1.author = ''
  LEFT JOIN temp.queue_answers l2 ON c.public = 1 AND l2.platform = c.platform AND l2.public = 1
    AND l2.thread = {_queue_thread('c')} AND l2.targeted = 1 AND l2.author = c.author_id
  LEFT JOIN scores s ON s.platform = c.platform AND s.id = c.id
  WHERE c.ts >= :start AND c.ts < :end AND c.from_brand = 0
    AND (l1.ts IS NULL OR (c.ts, c.id) > (l1.ts, l1.id))
    AND (l2.ts IS NULL OR (c.ts, c.id) > (l2.ts, l2.id)))
SELECT NULL, count(*), NULL, NULL, NULL FROM waiting
UNION ALL
SELECT * FROM (SELECT rid, band, ts, platform, id FROM waiting ORDER BY band, ts, platform, id LIMIT :limit)"""


# The same with integers for the thread and the customer, when every row has its thread id
# and author key (`columns_fit`): the stored thread id where it is the walked thread, else the
# walked key's id in `threads` (or the key itself when no thread has it: a text never equals
# an id, and ids and keys are one to one), so that equal threads give equal keys as before.
def _queue_key(m: str) -> str:
    """SQL for the thread of message `m` as `_queue_thread` finds it, as an id where one is stored."""
    return (f"CASE WHEN {_thread_is_stored(m)} THEN {m}.thread ELSE (SELECT coalesce(t.id, w.key) FROM "
            f"(SELECT {_queue_thread(m)} AS key) w LEFT JOIN threads t ON t.platform = {m}.platform "
            f"AND t.key = w.key) END")


_QUEUE_KEYED_ANSWERS_TABLE = """
CREATE TEMP TABLE queue_answers (
  platform TEXT, public INTEGER, thread, author INTEGER, ts REAL, id TEXT,
  PRIMARY KEY (platform, public, thread, author)) WITHOUT ROWID"""

_QUEUE_KEYED_ANSWERS = _queue_answers(_queue_key, "coalesce(t.author_key, 0)")

_QUEUE_KEYED_WAITING = f"""
WITH waiting AS MATERIALIZED (
  SELECT c.rid, c.ts, c.platform, c.id, {{band}} AS band
  FROM (SELECT c.rowid AS rid, c.ts, c.platform, c.id, c.public, c.author_key, {_queue_key('c')} AS key
        FROM messages c WHERE c.ts >= :start AND c.ts < :end AND c.from_brand = 0) c
  LEFT JOIN temp.queue_answers l1 ON l1.platform = c.platform AND l1.public = c.public
    AND l1.thread = c.key AND l1.author = 0
  LEFT JOIN temp.queue_answers l2 ON c.public = 1 AND l2.platform = c.platform AND l2.public = 1
    AND l2.thread = c.key AND l2.author = c.author_key
  LEFT JOIN scores s ON s.platform = c.platform AND s.id = c.id
  WHERE (l1.ts IS NULL OR (c.ts, c.id) > (l1.ts, l1.id))
    AND (l2.ts IS NULL OR (c.ts, c.id) > (l2.ts, l2.id)))
SELECT NULL, count(*), NULL, NULL, NULL FROM waiting
UNION ALL
SELECT * FROM (SELECT rid, band, ts, platform, id FROM waiting ORDER BY band, ts, platform, id LIMIT :limit)"""


# --- the pairing columns `webcare metrics` and the digest read ------------------------------

def read_columns(connection: sqlite3.Connection, since: datetime | None = None, *,
                 gap: float = DEFAULT_GAP, recheck_text: bool = False, until: datetime | None = None,
                 row_ids: bool = False) -> MessageColumns:
    """The pairing columns of a store database (from `gap` before `since` and up to `until`,
    when given; with each message's row id when `row_ids`).

    In bulk when the store has thread ids and author keys for every row (schema 4); a
    database the bot has not migrated yet is read one row at a time, which is slower but
    gives the same figures.
    """
    platforms = platforms_in(connection)
    if recheck_text:
        register_sql_functions(connection)
    if not (_has_keys(connection) and columns_fit(connection.execute(BULK_CHECK_SQL).fetchone())):
        sql, params = compact_rows_query(platforms, since, gap=gap, recheck_text=recheck_text,
                                         until=until, row_ids=row_ids)
        with gc_paused():
            rows = CompactRows((*platforms, OTHER_PLATFORM), connection.execute(sql, params).fetchall())
        return columns_from_rows(rows, row_ids=row_ids)
    sql, params = columns_query(platforms, since, gap=gap, recheck_text=recheck_text, until=until,
                                row_ids=row_ids)
    result = connection.execute(sql, params).fetchone()
    columns = columns_from_sql(result, (*platforms, OTHER_PLATFORM), thread_ids(connection))
    names = connection.execute(AUTHOR_NAMES_SQL, (json.dumps(brand_author_keys(columns)),))
    return replace(columns, author_names=dict(names))


# Per database file: what `thread_ids` read of its `threads` table, and how to tell it still holds.
_THREAD_IDS: dict[tuple, tuple[int, int, dict[int, str], dict[str, np.ndarray]]] = {}
_THREAD_IDS_LOCK = threading.Lock()
_THREAD_KEY_AT = "SELECT id, platform || char(31) || key FROM threads WHERE id IN (SELECT value FROM json_each(?))"


def thread_ids(connection: sqlite3.Connection) -> dict[str, np.ndarray]:
    """The ids of each platform's threads (`metrics.THREAD_IDS_SQL`), for the bulk read.

    A store at 1M messages holds some 370,000 threads, and reading them all took a third
    of the digest's week of pairing columns; threads are only ever added, ids counting up, so
    what was read of a database file is kept, and then only the threads added since are read.
    What was kept is used only while the keys of a few of its ids (the highest among them) are
    still the same and the row count adds up: a file replaced, threads deleted (the store
    never does) or a rolled-back insert whose ids went to other threads read all again (an id
    kept from a rolled-back insert is harmless: it is looked up only for a message that has
    it). In-memory databases are always read whole.
    """
    file = _database_file(connection)
    top, rows = connection.execute("SELECT coalesce(max(id), 0), count(*) FROM threads").fetchone()
    with _THREAD_IDS_LOCK:
        kept = _THREAD_IDS.get(file) if file else None
    start, ids = 0, {}
    if kept:
        kept_top, kept_rows, kept_keys, kept_ids = kept
        same = dict(connection.execute(_THREAD_KEY_AT, (json.dumps(list(kept_keys)),)))
        if same == kept_keys and kept_top <= top:
            if (kept_top, kept_rows) == (top, rows):
                return kept_ids
            start, ids = kept_top, kept_ids
    merged = _merge_ids(ids, connection.execute(THREAD_IDS_SQL, (start,)))
    if start and sum(map(len, merged.values())) != rows:  # some deleted in between
        start, merged = 0, _merge_ids({}, connection.execute(THREAD_IDS_SQL, (0,)))
    if file:
        samples = sorted({top * k // 8 for k in range(1, 9)} - {0})
        keys = dict(connection.execute(_THREAD_KEY_AT, (json.dumps(samples),)))
        with _THREAD_IDS_LOCK:
            _THREAD_IDS[file] = (top, rows, keys, merged)
    return merged


def _merge_ids(ids: dict[str, np.ndarray], added: Iterable[tuple[str, str]]) -> dict[str, np.ndarray]:
    """`ids` with the ids of `THREAD_IDS_SQL` rows appended, per platform."""
    merged = dict(ids)
    for name, concatenated in added:
        merged[name] = np.concatenate([ids.get(name, _NO_IDS), parse_integers(concatenated)])
    return merged


_NO_IDS = np.zeros(0, dtype=np.int64)


def _database_file(connection: sqlite3.Connection) -> tuple | None:
    """The main database's file as (path, device, inode), or None when in memory."""
    path = next((row[2] for row in connection.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not path:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (path, info.st_dev, info.st_ino)


class _Kept(NamedTuple):
    """The pairing columns of every message with a row id up to `top` and a time in [low, high],
    in time and row id order, as `message_changes` stood at `changes`."""

    low: float
    high: float
    top: int
    changes: int
    columns: MessageColumns


class _KeptWeek:
    """The digest's week of pairing columns, kept per database file between digests.

    Each `/digest` paired eight days (200,000 messages at 1M), and reading them cost as much as
    a scan of every timestamp; since then only new messages came. So what was read is kept and
    then only the rows added since (row ids above the kept `top`) or dated after the kept
    window are read and merged in by time and row id, the order a read gives. What is kept is
    used only when the change counter (schema 6) has not moved, the platforms are the same and
    the rows it holds are all still there (a count over the `ts` index: a REPLACE written
    around the store, which no trigger may see); else everything is read again.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple, _Kept] = {}
        self._lock = threading.Lock()

    def read(self, connection: sqlite3.Connection, low: float, high: float,
             read_all: Callable[[], MessageColumns]) -> MessageColumns:
        """The columns of [low, high] (`read_all` reads them whole), from what is kept where it still holds."""
        file = _database_file(connection)
        if not file or not columns_fit(connection.execute(BULK_CHECK_SQL).fetchone()):
            return read_all()
        (changes,) = connection.execute("SELECT count FROM message_changes WHERE id = 1").fetchone()
        (top,) = connection.execute("SELECT coalesce(max(rowid), 0) FROM messages").fetchone()
        with self._lock:
            kept = self._kept.get(file)
        platforms = (*platforms_in(connection), OTHER_PLATFORM)
        if kept and self._holds(connection, kept, low, high, changes, top, platforms):
            columns = _merged(kept.columns, self._added(connection, kept, low, high, platforms), low, high)
        else:
            columns = read_all()
            if not isinstance(columns.thread, np.ndarray):  # read row by row after all: not kept
                return columns
            columns = _in_order(columns)
        columns = _read_only(columns)
        with self._lock:
            self._kept[file] = _Kept(low, high, top, changes, columns)
        return columns

    @staticmethod
    def _holds(connection: sqlite3.Connection, kept: _Kept, low: float, high: float, changes: int,
               top: int, platforms: tuple[str, ...]) -> bool:
        if (kept.changes, kept.columns.platforms) != (changes, platforms) or not kept.low <= low or kept.top > top:
            return False
        upto = min(high, kept.high)
        (still,) = connection.execute("SELECT count(*) FROM messages WHERE ts >= ? AND ts <= ? AND rowid <= ?",
                                      (low, upto, kept.top)).fetchone()
        ts = kept.columns.ts
        return still == int(np.count_nonzero((ts >= low) & (ts <= upto)))

    @staticmethod
    def _added(connection: sqlite3.Connection, kept: _Kept, low: float, high: float,
               platforms: tuple[str, ...]) -> MessageColumns:
        """The columns of the rows in [low, high] that `kept` lacks: added since, or dated after it."""
        since, until = datetime.fromtimestamp(low, timezone.utc), datetime.fromtimestamp(high, timezone.utc)
        sql, params = columns_query(platforms[:-1], since, gap=0, until=until, row_ids=True)
        sql += ("\n  AND rowid IN (SELECT rowid FROM messages WHERE rowid > ? "
                "UNION ALL SELECT rowid FROM messages WHERE ts > ? AND rowid <= ?)")  # two index ranges
        result = connection.execute(sql, (*params, kept.top, kept.high, kept.top)).fetchone()
        added = columns_from_sql(result, platforms, thread_ids(connection))
        names = connection.execute(AUTHOR_NAMES_SQL, (json.dumps(brand_author_keys(added)),))
        return replace(added, author_names=dict(names))


_KEPT_WEEK = _KeptWeek()


def _merged(kept: MessageColumns, added: MessageColumns, low: float, high: float) -> MessageColumns:
    """The kept columns within [low, high] and the added ones, in time and row id order."""
    inside = np.flatnonzero((kept.ts >= low) & (kept.ts <= high))
    if not len(added) and inside.size == len(kept):
        return kept
    ts = np.concatenate([kept.ts[inside], added.ts])
    rows = np.concatenate([kept.store_rows[inside], added.store_rows])
    order = np.lexsort((rows, ts))
    refs = [kept.ref[i] for i in inside.tolist()] + list(added.ref)

    def pick(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a[inside], b])[order]

    merged = MessageColumns(kept.platforms, ts[order], pick(kept.flags, added.flags), pick(kept.thread, added.thread),
                            pick(kept.author, added.author), [refs[i] for i in order.tolist()],
                            store_rows=rows[order])
    return replace(merged, author_names={**kept.author_names, **added.author_names})


def _in_order(columns: MessageColumns) -> MessageColumns:
    """`columns` in time and row id order (a read over the `ts` index gives that already)."""
    order = np.lexsort((columns.store_rows, columns.ts))
    if np.array_equal(order, np.arange(order.size)):
        return columns
    return replace(columns, ts=columns.ts[order], flags=columns.flags[order], thread=columns.thread[order],
                   author=columns.author[order], ref=[columns.ref[i] for i in order.tolist()],
                   store_rows=columns.store_rows[order])


def _read_only(columns: MessageColumns) -> MessageColumns:
    """`columns` with their arrays locked: what is kept is shared by later digests."""
    for array in (columns.ts, columns.flags, columns.thread, columns.author, columns.store_rows):
        array.flags.writeable = False
    return replace(columns, ref=tuple(columns.ref))


def _has_keys(connection: sqlite3.Connection) -> bool:
    columns = {column[1] for column in connection.execute("PRAGMA table_info(messages)")}
    return {"thread", "author_key"} <= columns


def platforms_in(connection: sqlite3.Connection) -> list[str]:
    """The platforms in the store, sorted: one index probe per platform (the store indexes
    `platform` first) instead of a scan over every message."""
    found: list[str] = []
    (name,) = connection.execute("SELECT min(platform) FROM messages").fetchone()
    while name is not None:
        found.append(name)
        (name,) = connection.execute("SELECT min(platform) FROM messages WHERE platform > ?",
                                     (name,)).fetchone()
    return found


T = TypeVar("T")


def beside(store: Store, work: Callable[[Store], T]) -> Callable[[], T]:
    """Start `work(store)` in a thread with its own connection to the same database; return
    what waits for its result (raising what it raised). SQLite reads without holding Python's
    lock, so a long read goes on beside the caller's own, on the other core. An in-memory store
    has no second connection, and a second connection would not see what the caller's open
    transaction wrote: there `work` runs on `store` when its result is asked for."""
    if store.path == ":memory:" or store.conn.in_transaction or store.moved():  # a new connection
        return lambda: work(store)  # to a deleted file's path would create an empty database there
    return _BESIDE.submit(_on_reader, store.path, work).result


_BESIDE = ThreadPoolExecutor(max_workers=2, thread_name_prefix="store-beside")


def in_worker(store: Store, work: Callable[[Store], T]) -> Awaitable[T]:
    """Run `work(store)` in a worker thread with its own connection to the same database, so
    a long read (a digest, the queue) never stalls the event loop: polls, alerts and button
    presses go on, and WAL lets it read beside the writer. An in-memory store has no second
    connection: there it runs on the loop's thread, as it does when the file was deleted or
    replaced (a new connection would read, or create, another database)."""
    if store.path == ":memory:" or store.moved():
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        future.set_result(work(store))
        return future
    return asyncio.to_thread(_on_reader, store.path, work)


def _on_reader(path: str, work: Callable[[Store], T]) -> T:
    """`work` on a connection of its own to the database at `path`, closed afterwards."""
    reader = Store(path)
    try:
        return work(reader)
    finally:
        reader.close()
