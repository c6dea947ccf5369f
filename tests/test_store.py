"""The store keeps every message exactly once and every alert queued until delivered."""

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import webcare.store as store_module
from webcare.store import read_columns
from webcare.metrics import compute_metrics, first_responses, metrics_from_columns
from webcare.models import Alert, Rejected, Score
from webcare.store import SCHEMA_VERSION, Store, StoreError

from conftest import T0, msg


def alert(incident="inc-1", seq=0, kind="open"):
    return Alert(at=T0, playbook="p", severity="high", incident=incident, seq=seq, kind=kind,
                 title="t", text="x", message_ids=("facebook:1",))


def test_a_message_is_stored_once_and_edits_refresh_it(store):
    with store.transaction():
        assert len(store.save_messages([msg("1", "hallo"), msg("2")], "c", T0)) == 2
    with store.transaction():
        new = store.save_messages([msg("1", "hallo (bewerkt)"), msg("3")], "c", T0)
    assert [m.id for m in new] == ["3"]
    assert store.count_messages() == 3
    (m, _), = store.get_messages(["facebook:1"])
    assert m.text == "hallo (bewerkt)"


def test_a_read_beside_sees_the_committed_data_over_its_own_connection_and_passes_errors_on(store):
    with store.transaction():
        store.save_messages([msg("1"), msg("2")], "c", T0)
    read = store_module.beside(store, lambda reader: (reader is not store, reader.count_messages()))
    failing = store_module.beside(store, lambda reader: reader.conn.execute("SELECT * FROM gone"))
    assert read() == (True, 2)
    with pytest.raises(sqlite3.OperationalError, match="gone"):
        failing()
    memory = Store()
    assert store_module.beside(memory, lambda reader: reader is memory)()  # no second connection there
    with store.transaction():  # what an open transaction wrote is seen: read on its connection
        store.save_messages([msg("3")], "c", T0)
        assert store_module.beside(store, lambda reader: (reader is store, reader.count_messages()))() == (True, 3)


def test_same_id_on_another_platform_is_another_message(store):
    with store.transaction():
        store.save_messages([msg("1"), msg("1", platform="x")], "c", T0)
    assert store.count_messages() == 2


def test_round_trip_keeps_offsets_and_extra_fields(store):
    original = msg("1", extra={"campaign": "race"}, url="https://example.org/1", lang="nl")
    with store.transaction():
        store.save_messages([original], "c", T0)
        store.save_scores([(original, Score("nl", -0.5, "neg", "complaint", True, 0.8, 0.6, ("r",)))])
    (m, s), = store.get_messages(["facebook:1"])
    assert m == original and m.created_at.utcoffset() == timedelta(hours=2)
    assert m.extra == {"campaign": "race"}
    assert s.label == "neg" and s.reasons == ("r",)


def test_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.save_messages([msg("1")], "c", T0)
            store.set_cursor("c", "42", T0)
            raise RuntimeError("crash mid-batch")
    assert store.count_messages() == 0
    assert store.get_cursor("c") is None


def test_alerts_are_queued_per_sink_and_never_twice(store):
    with store.transaction():
        assert len(store.record_alerts([alert(), alert(seq=1, kind="update")], ["console", "jsonl"])) == 2
    with store.transaction():
        assert store.record_alerts([alert()], ["console", "jsonl"]) == []
    assert [a.key for a in store.pending("console")] == ["inc-1#0", "inc-1#1"]
    store.mark_delivered("inc-1#0", "console", T0)
    assert [a.key for a in store.pending("console")] == ["inc-1#1"]
    assert len(store.pending("jsonl")) == 2
    assert store.incidents()[0]["seq"] == 1


def test_quarantine_keeps_bad_payloads_once(store):
    bad = Rejected("feed.jsonl:3", "not valid JSON", "{oops")
    with store.transaction():
        store.quarantine("feed", [bad], T0)
    with store.transaction():
        store.quarantine("feed", [bad], T0)
    assert store.quarantined() == [{"connector": "feed", "source": "feed.jsonl:3",
                                    "error": "not valid JSON", "raw": "{oops"}]


def test_reopening_a_database_keeps_everything(tmp_path):
    path = tmp_path / "w.db"
    s = Store(path)
    with s.transaction():
        s.save_messages([msg("1")], "c", T0)
        s.set_cursor("c", "cur-1", T0)
    s.close()
    s = Store(path)
    assert s.count_messages() == 1 and s.get_cursor("c") == "cur-1"
    s.close()


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "w.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="w.db"):
        Store(path)


def test_human_actions_are_logged_and_shown_on_the_incident(store):
    with store.transaction():
        store.record_alerts([alert()], ["console"])
        store.record_human_action("inc-1", "acknowledge", "anna", T0)
        store.record_human_action("inc-1", "claim", "bram", T0 + timedelta(minutes=1))
    inc = store.incident("inc-1")
    assert (inc["status"], inc["acked_by"], inc["assignee"]) == ("acknowledged", "anna", "bram")
    with store.transaction():
        store.record_human_action("inc-1", "resolve", "bram", T0 + timedelta(minutes=5))
    assert store.incident("inc-1")["status"] == "resolved"
    assert store.incident("nope") is None


# -- schemas 3 and 4: thread ids and author keys ----------------------------------------------

SCHEMA_2 = Path(__file__).parent / "data" / "store_schema2.sql"


def schema_2_database(path: Path) -> Path:
    """A database as schema 2 wrote it: 15 messages on four platforms, no thread ids."""
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA_2.read_text(encoding="utf-8"))
    connection.close()
    return path


def test_a_schema_2_database_gets_thread_ids_and_author_keys_and_reads_as_before(tmp_path):
    path = schema_2_database(tmp_path / "old.db")
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    unmigrated = read_columns(sqlite3.connect(f"file:{path}?mode=ro", uri=True))  # `metrics --db` before the bot restarts
    assert not isinstance(unmigrated.thread, np.ndarray)  # read one row at a time
    names = {"anna": "Anna", "bram": "Bram"}
    before = metrics_from_columns(unmigrated, now, responder_names=names).to_dict()

    store = Store(path)
    versions = [v for (v,) in store.conn.execute("SELECT version FROM schema_version")]
    threads = dict(store.conn.execute("SELECT platform || ':' || id, thread FROM messages"))
    authors = dict(store.conn.execute("SELECT author_key, author_id FROM messages"))
    messages = list(store.iter_messages())
    assert max(versions) == SCHEMA_VERSION == 7 and len(threads) == 15
    assert None not in threads.values() and None not in authors
    assert len(authors) == len({m.author.id for m in messages}) == 12  # one key per author id
    assert threads["facebook:d1"] == threads["facebook:d2"] == threads["facebook:d3"]  # conversation t_lisa
    assert len({threads["facebook:d4"], threads["facebook:d5"], threads["facebook:d1"]}) == 3  # '@tom', '@anna'
    assert threads["facebook:p1"] == threads["facebook:c1"] == threads["facebook:r1"]  # post p1
    assert threads["x:x1"] == threads["x:x2"] != threads["x:x3"]  # a reply without conversation id
    assert threads["email:e1"] == threads["email:e2"]
    assert len(set(threads.values())) == 8  # and the review

    migrated = read_columns(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    assert isinstance(migrated.thread, np.ndarray)  # the bulk read
    assert metrics_from_columns(migrated, now, responder_names=names).to_dict() == before
    assert before == compute_metrics(messages, now).to_dict()
    total, top = store.waiting_customers(now - timedelta(days=7), 10, (0.8, 0.5))  # /queue
    waiting = {r.message.uid for r in first_responses(messages) if r.answered_at is None}
    assert total == len(waiting) and {m.uid for m, _ in top} == waiting

    with store.transaction():  # a message stored after the migration joins its thread
        (lisa, _), = store.get_messages(["facebook:d1"])
        store.save_messages([replace(lisa, id="d6", created_at=now)], "c", now)
    (thread, author), = store.conn.execute("SELECT thread, author_key FROM messages WHERE id = 'd6'")
    assert thread == threads["facebook:d1"] and authors[author] == "lisa"
    store.close()


def test_a_migration_cut_short_loses_nothing_and_runs_again(tmp_path, monkeypatch):
    path = schema_2_database(tmp_path / "old.db")
    monkeypatch.setattr("webcare.store._BACKFILL_AUTHORS",
                        (store_module._BACKFILL_AUTHORS[0], "SELECT * FROM gone"))  # dies half-way
    with pytest.raises(StoreError):
        Store(path)
    connection = sqlite3.connect(path)
    columns = [c[1] for c in connection.execute("PRAGMA table_info(messages)")]
    assert "thread" in columns and "author_key" not in columns  # the thread step was done
    assert connection.execute("SELECT count(*), count(thread) FROM messages").fetchone() == (15, 15)
    assert connection.execute("SELECT count(*) FROM authors").fetchone() == (0,)
    assert connection.execute("SELECT max(version) FROM schema_version").fetchone() == (2,)
    connection.close()
    assert not isinstance(read_columns(sqlite3.connect(path)).thread, np.ndarray)  # still readable
    monkeypatch.undo()
    store = Store(path)
    assert store.count_messages() == 15
    assert store.conn.execute(
        "SELECT count(*) FROM messages WHERE thread IS NULL OR author_key IS NULL").fetchone() == (0,)
    store.close()


def test_rows_written_around_the_store_are_read_one_at_a_time(tmp_path):
    store = Store(tmp_path / "webcare.db")
    with store.transaction():
        store.save_messages([msg("1"), msg("2")], "c", T0)
    assert isinstance(read_columns(store.conn).thread, np.ndarray)
    for column in ("thread", "author_key"):  # as a foreign writer leaves them
        store.conn.execute(f"UPDATE messages SET {column} = NULL WHERE id = '2'")
        columns = read_columns(store.conn)
        assert not isinstance(columns.thread, np.ndarray) and len(columns) == 2
        store.conn.execute("UPDATE messages SET thread = 1, author_key = 1")
    store.close()


def test_the_bulk_read_keeps_the_threads_it_read_and_sees_every_change(tmp_path):
    """`read_columns` keeps each file's thread ids between reads; threads added since, a file
    replaced, or threads deleted behind its back all give the platforms a fresh read gives."""
    def platforms_of(connection):
        columns = read_columns(connection)
        return [columns.platforms[f >> 6] for f in columns.flags.tolist()]

    path = tmp_path / "webcare.db"
    store = Store(path)
    with store.transaction():
        store.save_messages([msg("1"), msg("2", platform="x")], "c", T0)
    assert platforms_of(store.conn) == ["facebook", "x"]
    with store.transaction():
        store.save_messages([msg("3", platform="x", conversation_id="t3"), msg("4", conversation_id="t4")], "c", T0)
    assert platforms_of(store.conn) == ["facebook", "x", "x", "facebook"]  # the added threads were read
    store.close()
    path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store(path)  # another database in the same place, with the same number of threads
    with store.transaction():
        store.save_messages([msg("1", platform="x"), msg("2"), msg("3", conversation_id="t3"),
                             msg("4", platform="x", conversation_id="t4")], "c", T0)
    assert platforms_of(store.conn) == ["x", "facebook", "facebook", "x"]
    store.conn.execute("DELETE FROM threads WHERE id = 2")  # as a foreign writer might
    store.conn.execute("UPDATE threads SET platform = 'facebook' WHERE id = 4")
    store.conn.execute("INSERT INTO threads (id, platform, key) VALUES (5, 'x', 'late')")
    assert platforms_of(store.conn) == ["x", "(other)", "facebook", "facebook"]
    store.close()
