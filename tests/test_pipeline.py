"""The pipeline across restarts: engine state, incidents and the outbox survive a new process."""

import asyncio
import io
from dataclasses import replace
from datetime import timedelta

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
