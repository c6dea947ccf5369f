"""The pipeline across restarts: engine state, incidents and the outbox survive a new process."""

import asyncio
import io
from dataclasses import replace
from datetime import timedelta

import pytest

from webcare.classify import Classifier
from webcare.engine import Engine
from webcare.models import Batch
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.sinks import AlertSink, SinkUnavailable
from webcare.sinks.console import ConsoleSink
from webcare.store import Store

from conftest import T0, storm_stream


class FlakySink(AlertSink):
    name = "flaky"

    def __init__(self):
        self.up = False
        self.got = []

    async def deliver(self, alert, examples):
        if not self.up:
            raise SinkUnavailable("network down")
        self.got.append(alert.key)
        return f"ref-{alert.key}"


def pipeline(path, sinks=()):
    return Pipeline(Store(path), Engine(load_dir(None)), list(sinks), simulated=True)


def test_restart_continues_the_same_incident(tmp_path):
    stream = storm_stream(30, every_minutes=1)
    p = pipeline(tmp_path / "w.db")
    p.ingest("feed", Batch(tuple(stream[:10]), "10"), T0)
    p.store.close()
    p = pipeline(tmp_path / "w.db")  # a new process: state comes back from the store
    p.ingest("feed", Batch(tuple(stream[10:]), "30"), T0)
    alerts = p.store.alerts()
    assert [a.kind for a in alerts][:2] == ["open", "update"]
    assert len({a.incident for a in alerts if a.playbook == "complaint-storm"}) == 1


def test_acknowledging_stops_escalation_and_survives_restart(tmp_path):
    p = pipeline(tmp_path / "w.db")
    p.ingest("feed", Batch(tuple(storm_stream(10)), "10"), T0)
    incident = p.store.alerts()[0].incident
    row = p.human_action(incident, "acknowledge", "anna", T0 + timedelta(minutes=20))
    assert row["status"] == "acknowledged" and row["acked_by"] == "anna"
    p.store.close()
    p = pipeline(tmp_path / "w.db")
    p.advance(T0 + timedelta(hours=2))
    assert "escalate" not in [a.kind for a in p.store.alerts()]


def test_alerts_wait_in_the_outbox_while_a_sink_is_down_and_arrive_in_order(tmp_path):
    flaky, out = FlakySink(), io.StringIO()
    p = pipeline(tmp_path / "w.db", [flaky, ConsoleSink(out)])
    p.ingest("feed", Batch(tuple(storm_stream(30, every_minutes=1)), "30"), T0)
    p.advance(T0 + timedelta(hours=1))
    asyncio.run(p.flush(T0))
    assert flaky.got == [] and "NEW" in out.getvalue()  # one sink down does not hold the others
    expected = [a.key for a in p.store.alerts()]
    flaky.up = True
    asyncio.run(p.flush(T0))
    asyncio.run(p.flush(T0))
    assert flaky.got == expected
    assert p.store.delivery_ref(expected[0].split("#")[0], "flaky") == f"ref-{expected[0]}"


def test_brand_handles_mark_brand_messages(tmp_path):
    from conftest import msg

    p = Pipeline(Store(tmp_path / "w.db"), Engine(load_dir(None)), [], brand_handles=["zuiderloop"])
    new = p.ingest("feed", Batch((msg("1", author="zuiderloop"), msg("2")), None), T0)
    assert [m.from_brand for m in new] == [True, False]


def test_a_brand_holding_reply_counts_as_an_auto_reply_even_unflagged(tmp_path):
    from conftest import msg

    p = Pipeline(Store(tmp_path / "w.db"), Engine(load_dir(None)), [], brand_handles=["zuiderloop"])
    new = p.ingest("feed", Batch((
        msg("1", "Bedankt voor je bericht! Je hoort zo snel mogelijk van ons.", author="zuiderloop"),
        msg("2", "Je pakket is vandaag verstuurd, sorry voor het wachten.", author="zuiderloop"),
    ), None), T0)
    assert [m.automated for m in new] == [True, False]


class CountingEngine(Engine):
    ticks = 0

    def on_tick(self, state, now):
        self.ticks += 1
        return super().on_tick(state, now)


def test_a_replayed_gap_of_decades_is_not_ticked_through_minute_by_minute(tmp_path):
    engine = CountingEngine(load_dir(None))
    p = Pipeline(Store(tmp_path / "w.db"), engine, [], simulated=True)
    old, new = storm_stream(2, every_minutes=1)
    p.ingest("feed", Batch((replace(old, created_at=T0.replace(year=1971)),), "1"), T0)
    p.ingest("feed", Batch((new,), "2"), T0)
    assert p.store.count_messages() == 2
    assert engine.ticks < 2 * 24 * 60 * 46  # the first 45 idle days at most, not 55 years
    assert p.state.last_tick > T0 - timedelta(minutes=2)


def traffic(n):
    from webcare.models import Message
    from webcare.scenario import generate_traffic

    return [Message.from_dict(d) for d in generate_traffic(n, seed=7)]


def test_restarts_between_snapshots_continue_exactly_as_one_uninterrupted_run(tmp_path, monkeypatch):
    import webcare.pipeline

    monkeypatch.setattr(webcare.pipeline, "SNAPSHOT_EVENTS", 700)  # snapshots now and then, logs between
    monkeypatch.setattr(webcare.pipeline, "SNAPSHOT_SECONDS", 86400 * 365)
    stream = traffic(3000)
    # first an empty poll, as a new connector's often is: its snapshot has no clock yet
    batches = [()] + [tuple(stream[i:i + 250]) for i in range(0, len(stream), 250)]
    replayed = []

    def run(path, restart):
        p = pipeline(path)
        for i, batch in enumerate(batches):
            now = batch[-1].created_at if batch else stream[0].created_at
            p.ingest("feed", Batch(batch, str(i)), now)
            if i == 5:  # someone acknowledges the newest incident
                acked = [a for a in p.store.alerts() if a.kind == "open"][-1].incident
                p.human_action(acked, "acknowledge", "anna", now)
            if restart:  # a new process: the snapshot with the events logged since replayed on it
                replayed.append(p.store.conn.execute("SELECT count(*) FROM engine_log").fetchone()[0])
                p.store.close()
                p = pipeline(path)
        p.advance(stream[-1].created_at + timedelta(days=2))
        return [a.to_dict() for a in p.store.alerts()]

    once = run(tmp_path / "once.db", restart=False)
    restarted = run(tmp_path / "restarted.db", restart=True)
    assert len(once) > 50 and {"open", "update", "escalate", "close"} <= {a["kind"] for a in once}
    assert restarted == once
    assert max(replayed) <= 700 and sum(n > 0 for n in replayed) >= len(batches) // 2, replayed


def test_a_commit_logs_the_engine_events_and_snapshots_the_state_only_now_and_then(tmp_path, monkeypatch):
    import webcare.pipeline

    monkeypatch.setattr(webcare.pipeline, "SNAPSHOT_EVENTS", 100)
    p = pipeline(tmp_path / "w.db")
    stream = storm_stream(120, every_minutes=1)

    def snapshot_and_log():
        (at,) = p.store.conn.execute("SELECT updated_at FROM engine_state").fetchone()
        (logged,) = p.store.conn.execute("SELECT count(*) FROM engine_log").fetchone()
        return at, logged

    p.ingest("feed", Batch(tuple(stream[:10]), "10"), T0)
    first, _ = snapshot_and_log()  # the first commit has no snapshot to log against
    p.ingest("feed", Batch(tuple(stream[10:30]), "30"), T0 + timedelta(seconds=1))
    p.ingest("feed", Batch(tuple(stream[30:40]), "40"), T0 + timedelta(seconds=2))
    assert snapshot_and_log() == (first, 30 + 30)  # 30 messages and the 30 minute ticks before them
    p.ingest("feed", Batch(tuple(stream[40:]), "120"), T0 + timedelta(seconds=3))
    assert snapshot_and_log() == ((T0 + timedelta(seconds=3)).timestamp(), 0)  # past 100: a snapshot
    p.ingest("feed", Batch(tuple(storm_stream(1, start=T0 + timedelta(hours=1))), "121"),
             T0 + timedelta(minutes=11))
    assert snapshot_and_log()[0] == (T0 + timedelta(minutes=11)).timestamp()  # ten minutes on: another


def test_events_logged_after_an_older_webcare_snapshotted_are_not_replayed(tmp_path):
    import pickle

    p = pipeline(tmp_path / "w.db")
    stream = storm_stream(30, every_minutes=1)
    p.ingest("feed", Batch(tuple(stream[:1]), "1"), T0)
    p.ingest("feed", Batch(tuple(stream[1:]), "30"), T0)  # logged: a storm opens
    assert p.state.incidents
    # an older webcare writes its snapshot (of a state that never saw the storm) without a token
    p.store.conn.execute("INSERT OR REPLACE INTO engine_state (id, version, state, updated_at) "
                         "VALUES (1, ?, ?, 0)", (p.engine.version, pickle.dumps(p.engine.new_state())))
    p.store.close()
    p = pipeline(tmp_path / "w.db")
    assert not p.state.incidents


def test_a_log_entry_that_cannot_be_replayed_is_reported_and_skipped(tmp_path, caplog):
    p = pipeline(tmp_path / "w.db")
    stream = storm_stream(30, every_minutes=1)
    p.ingest("feed", Batch(tuple(stream[:1]), "1"), T0)
    p.ingest("feed", Batch(tuple(stream[1:]), "30"), T0)
    (token,) = p.store.conn.execute("SELECT log_token FROM engine_state").fetchone()
    p.store.log_engine_events(token, [["message", "x", "gone", T0.isoformat()], ["teleport", 1]])
    p.store.conn.executemany("INSERT INTO engine_log (token, event) VALUES (?, ?)",
                             [(token, "{not json"), (token, "5")])
    incidents = set(p.state.incidents)
    p.store.close()
    p = pipeline(tmp_path / "w.db")
    assert set(p.state.incidents) == incidents  # the rest replayed as before
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 4 and all(w.startswith("engine log: ") for w in warnings)
    assert sum("not a JSON array" in w for w in warnings) == 2
    assert [any(word in w for w in warnings) for word in ("'x', 'gone'", "teleport")] == [True] * 2


def test_a_stop_that_cannot_snapshot_warns_and_the_next_start_replays_the_log(tmp_path, caplog):
    import sqlite3

    p = pipeline(tmp_path / "w.db")
    stream = storm_stream(30, every_minutes=1)
    p.ingest("feed", Batch(tuple(stream[:1]), "1"), T0)
    p.ingest("feed", Batch(tuple(stream[1:]), "30"), T0)  # logged, not yet in a snapshot
    incidents = set(p.state.incidents)
    assert incidents
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock as the bot stops
    p.store.conn.execute("PRAGMA busy_timeout = 10")
    p.checkpoint(T0 + timedelta(hours=1))
    other.execute("ROLLBACK")
    other.close()
    assert any("engine state not snapshotted at stop" in r.getMessage() for r in caplog.records)
    p.store.close()
    p = pipeline(tmp_path / "w.db")
    assert set(p.state.incidents) == incidents
    assert p.store.conn.execute("SELECT count(*) FROM engine_log").fetchone()[0] > 0


class BrittleClassifier(Classifier):
    """A classifier with a bug that one text sets off."""

    def score(self, message, context=None):
        if "BOOM" in message.text:
            raise IndexError("list index out of range")
        return super().score(message, context)


class BrittleEngine(Engine):
    """Playbooks with a bug that one message sets off."""

    def on_message(self, state, message, score, now):
        if "CRASH" in message.text:
            raise ZeroDivisionError("division by zero")
        return super().on_message(state, message, score, now)


def test_a_message_the_classifier_or_playbooks_fail_on_holds_up_nothing_behind_it(tmp_path, caplog):
    stream = storm_stream(12, every_minutes=1)
    stream[2] = replace(stream[2], text="BOOM " + stream[2].text)
    stream[4] = replace(stream[4], text="CRASH " + stream[4].text)
    p = Pipeline(Store(tmp_path / "w.db"), BrittleEngine(load_dir(None)), [],
                 classifier=BrittleClassifier(), simulated=True)
    p.ingest("feed", Batch(tuple(stream), "12"), T0)
    assert p.store.count_messages() == 12 and p.store.get_cursor("feed") == "12"
    assert [a.kind for a in p.store.alerts() if a.playbook == "complaint-storm"][:1] == ["open"]
    unscored = dict(p.store.get_messages([stream[2].uid]))[stream[2]]
    assert unscored.label == "neu" and unscored.reasons == ("not scored (IndexError)",)
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [f"feed: cannot score {stream[2].uid}; stored as neutral, unscored",
                      f"feed: the playbooks failed on {stream[4].uid}; it is stored, but alerts nothing"]
    before = [a.key for a in p.store.alerts()]
    p.store.close()
    p = Pipeline(Store(tmp_path / "w.db"), BrittleEngine(load_dir(None)), [],
                 classifier=BrittleClassifier(), simulated=True)  # a restart replays the log
    p.ingest("feed", Batch(tuple(storm_stream(14, every_minutes=1)[12:]), "14"), T0)
    assert [a.key for a in p.store.alerts()][:len(before)] == before


class BrittleStore(Store):
    """A store with a bug that one message's values set off."""

    def save_messages(self, messages, source, now, edited=None):
        messages = list(messages)
        if any("POISON" in m.text for m in messages):
            raise TypeError("unsupported type")
        return super().save_messages(messages, source, now, edited)


def test_a_message_that_fails_alone_is_quarantined_and_the_rest_of_its_batch_goes_on(tmp_path, caplog):
    stream = storm_stream(8, every_minutes=1)
    stream[3] = replace(stream[3], text="POISON " + stream[3].text)
    p = Pipeline(BrittleStore(tmp_path / "w.db"), Engine(load_dir(None)), [], simulated=True)
    p.ingest("feed", Batch(tuple(stream), "8"), T0)
    assert p.store.count_messages() == 7 and p.store.get_cursor("feed") == "8"
    (bad,) = p.store.quarantined()
    assert (bad["source"], bad["error"]) == (f"message {stream[3].uid}", "it fails alone (TypeError: unsupported type)")
    assert "POISON" in bad["raw"]
    assert [a.kind for a in p.store.alerts()][:1] == ["open"]  # the storm of the other seven
    assert caplog.text.count(f"feed: quarantined message {stream[3].uid}: it fails alone (TypeError") == 1


def test_a_batch_whose_every_message_fails_alone_is_not_quarantined(tmp_path):
    """Then the fault is not the messages' (a bug elsewhere): they wait, unquarantined."""
    stream = [replace(m, text="POISON " + m.text) for m in storm_stream(3, every_minutes=1)]
    p = Pipeline(BrittleStore(tmp_path / "w.db"), Engine(load_dir(None)), [], simulated=True)
    with pytest.raises(TypeError):
        p.ingest("feed", Batch(tuple(stream), "3"), T0)
    assert p.store.count_messages() == 0 and p.store.quarantined() == [] and p.store.get_cursor("feed") is None
