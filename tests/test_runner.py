"""The runner's coordinators: back off, honour rate limits, stop on auth failure, log changes only."""

import asyncio
import logging
import random
from datetime import timedelta

from connectors import AuthFailed, RateLimited, TransientError
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.models import Batch
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.runner import Coordinator, Deliverer, RetryPolicy, next_delay, run_live
from webcare.sinks import AlertSink

from conftest import T0, msg


class ScriptedConnector:
    """A connector whose polls follow a script: a Batch, or an exception to raise."""

    def __init__(self, script):
        self.name = "scripted"
        self.script = list(script)
        self.cursors = []

    async def poll(self, cursor):
        self.cursors.append(cursor)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    async def aclose(self):
        pass


def coordinator(store, script, clock):
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    policy = RetryPolicy(interval=60, jitter=0, initial=10, cap=80)
    return Coordinator(ScriptedConnector(script), pipeline, policy, clock.now, random.Random(1))


def poll(coord):
    return asyncio.run(coord.poll())


def test_pages_until_caught_up_and_resumes_from_the_cursor(store):
    clock = SimClock(T0)
    coord = coordinator(store, [
        Batch((msg("1"),), "p1", more=True), Batch((msg("2"),), "p2"), Batch((), "p2"),
    ], clock)
    assert poll(coord) == T0 + timedelta(seconds=60)
    assert coord.connector.cursors == [None, "p1"]
    poll(coord)
    assert coord.connector.cursors[-1] == "p2"
    assert store.count_messages() == 2
    assert store.connector_status()[0]["fetched"] == 2


def test_transient_errors_back_off_exponentially_up_to_the_cap(store):
    clock = SimClock(T0)
    coord = coordinator(store, [TransientError("503")] * 5 + [Batch((), None)], clock)
    delays = [(poll(coord) - T0).total_seconds() for _ in range(5)]
    assert delays == [10, 20, 40, 80, 80]
    assert poll(coord) == T0 + timedelta(seconds=60) and coord.status == "ok"


def test_rate_limit_waits_until_the_reset_time(store):
    clock = SimClock(T0)
    reset = T0 + timedelta(minutes=15)
    coord = coordinator(store, [RateLimited("429", reset_at=reset)], clock)
    assert poll(coord) == reset
    assert store.connector_status()[0]["status"] == "rate_limited"


def test_auth_failure_stops_the_connector_and_alerts_once(store):
    clock = SimClock(T0)
    coord = coordinator(store, [AuthFailed("token expired")], clock)
    assert poll(coord) is None
    alerts = store.alerts()
    assert len(alerts) == 1 and "authentication failed" in alerts[0].title
    assert coord.status == "stopped"


def test_only_state_changes_are_logged(store, caplog):
    clock = SimClock(T0)
    coord = coordinator(store, [TransientError("boom")] * 4 + [Batch((), None)] * 2, clock)
    with caplog.at_level(logging.INFO, logger="webcare.runner"):
        for _ in range(6):
            poll(coord)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["connector scripted is down, retrying with backoff: TransientError: boom",
                        "connector scripted recovered"]


def test_jitter_stays_within_its_bound():
    policy = RetryPolicy(interval=60, jitter=5)
    rng = random.Random(3)
    delays = [next_delay(policy, 0, rng) for _ in range(200)]
    assert all(60 <= d <= 65 for d in delays) and max(delays) - min(delays) > 1


class GatedSink(AlertSink):
    """A chat that takes as long as the test says: each delivery waits for `gate`."""

    name = "gated"

    def __init__(self):
        self.gate = asyncio.Event()
        self.delivered = []

    async def deliver(self, alert, examples):
        await self.gate.wait()
        self.delivered.append(alert.key)
        return None


def test_a_slow_chat_does_not_hold_up_polling(store):
    """Flood control or a group's 20 messages a minute must not stop the bot reading messages."""
    clock = SimClock(T0)
    sink = GatedSink()
    pipeline = Pipeline(store, Engine(load_dir(None)), [sink])
    gas = "Er lekt gas bij de ingang van jullie winkel, het stinkt enorm, gevaarlijk!"
    connector = ScriptedConnector([Batch((msg("1", gas, author="a"),), "p1"),
                                   Batch((msg("2", "Ik schakel mijn advocaat in en stap naar de rechter, dit is schandalig!", author="b",
                                              at=T0 + timedelta(minutes=1)),), "p2")])
    coord = Coordinator(connector, pipeline, RetryPolicy(interval=60, jitter=0), clock.now, random.Random(1))
    deliverer = Deliverer(pipeline, clock.now)
    coord.flush_soon = deliverer.request

    async def scenario():
        delivering = asyncio.create_task(deliverer.run())
        await coord.poll()
        for _ in range(5):
            await asyncio.sleep(0)  # let the deliverer start: it is now stuck in the chat
        clock.advance(60)
        # returns although the first alert is still on its way (the guard only stops a hang)
        await asyncio.wait_for(coord.poll(), timeout=30)
        assert store.count_messages() == 2 and sink.delivered == []
        sink.gate.set()
        for _ in range(20):
            await asyncio.sleep(0)
        delivering.cancel()

    asyncio.run(scenario())
    alerts = store.alerts()
    assert len(alerts) >= 2
    assert sink.delivered == [a.key for a in alerts]  # all of them, once each, in order
    assert store.pending_count(sink.name) == 0


class CountingConnector:
    """Always caught up; counts its polls and says when a wanted number has been reached."""

    name = "counting"

    def __init__(self, wanted):
        self.polls = 0
        self.wanted = wanted
        self.enough = asyncio.Event()

    async def poll(self, cursor):
        self.polls += 1
        if self.polls >= self.wanted:
            self.enough.set()
        return Batch((), cursor)

    async def aclose(self):
        pass


def test_the_clock_set_back_an_hour_neither_holds_back_polls_nor_the_timer(store):
    """An NTP step or a resumed virtual machine moves the wall clock; the bot must go on
    polling at its interval rather than wait for the clock to catch up again."""
    clock = SimClock(T0)
    connector = CountingConnector(wanted=4)
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    ticks = []
    pipeline.on_tick = lambda now: ticks.append(now)  # noqa: E731 - only the timer is watched here
    coord = Coordinator(connector, pipeline, RetryPolicy(interval=0.01, jitter=0), clock.now, random.Random(1))

    async def scenario():
        stop = asyncio.Event()
        running = asyncio.create_task(run_live(pipeline, [coord], now=clock.now, tick_seconds=0.01, stop=stop))
        try:
            while connector.polls < 1:
                await asyncio.sleep(0)
            clock.advance(-3600)  # the first poll named its next one; while it waits, the clock goes back
            await asyncio.wait_for(connector.enough.wait(), timeout=20)
            while len(ticks) < 3:
                await asyncio.sleep(0.01)
        finally:
            stop.set()
            await asyncio.wait_for(running, timeout=20)

    asyncio.run(scenario())
    assert connector.polls >= 4 and len(ticks) >= 3
