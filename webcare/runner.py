"""The one owner of loops: polls every connector, backs off, honours rate limits.

Each connector gets a `Coordinator` (the Home Assistant pattern): it polls, pages until
caught up, hands batches to the pipeline, and keeps the connector's health as a small state
machine that logs only its changes (down / recovered), never every failed attempt. The
retry policy is one pure function, `next_delay`. Live runs schedule coordinators with
APScheduler; replays drive them directly on a simulated clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from connectors import MAX_WAIT, AuthFailed, Connector, RateLimited, TransientError
from webcare import gc_settings
from webcare.models import Alert
from webcare.pipeline import Pipeline
from webcare.store import StoreError

log = logging.getLogger(__name__)
MAX_PAGES = 1000  # per poll; a connector that always says "more" cannot pin the loop
_STATUS_WORDS = {"backoff": "down, retrying with backoff", "rate_limited": "rate limited",
                 "stopped": "stopped", "store_unavailable": "paused: the database is unavailable"}


@dataclass(frozen=True)
class RetryPolicy:
    interval: float = 60.0
    jitter: float = 5.0
    initial: float = 10.0
    cap: float = 900.0


def next_delay(policy: RetryPolicy, failures: int, rng: random.Random) -> float:
    """Seconds until the next poll: the interval when healthy, exponential backoff when not."""
    if failures <= 0:
        base = policy.interval
    else:
        base = min(policy.cap, policy.initial * 2 ** (failures - 1))
    return base + rng.uniform(0, policy.jitter)


class Coordinator:
    """Polls one connector and owns its health: ok, backoff, rate_limited or stopped."""

    def __init__(self, connector: Connector, pipeline: Pipeline, policy: RetryPolicy,
                 now: Callable[[], datetime], rng: random.Random | None = None):
        self.connector = connector
        self.pipeline = pipeline
        self.policy = policy
        self.now = now
        self.rng = rng or random.Random()
        self.status = "ok"
        self.failures = 0
        self.error = ""
        self.last_success: datetime | None = None
        # Live runs set this to wake the one `Deliverer`, so a slow chat (flood control, a
        # group's 20 messages a minute) never holds up the next poll; alone, a poll delivers.
        self.flush_soon: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return self.connector.name

    async def poll(self) -> datetime | None:
        """Poll until caught up; return when to poll next (None: stopped for good)."""
        store = self.pipeline.store
        fetched = 0
        try:
            for _ in range(MAX_PAGES):
                batch = await self.connector.poll(store.get_cursor(self.name))
                self.pipeline.ingest(self.name, batch, self.now())
                fetched += len(batch.messages)
                if not batch.more:
                    break
            else:  # the rest waits for the next poll; a connector that never ends shows here
                log.warning("connector %s still has more after %d pages; reading on next poll",
                            self.name, MAX_PAGES)
        except RateLimited as exc:
            reset = exc.reset_at
            if reset is None or reset <= self.now():
                reset = self.now() + timedelta(seconds=next_delay(self.policy, self.failures + 1, self.rng))
            reset = min(reset, self.now() + MAX_WAIT)  # a reset years away is a broken header
            self.failures += 1
            self._change("rate_limited", f"rate limited until {reset:%H:%M:%S}: {exc}", fetched, reset)
            return reset
        except AuthFailed as exc:
            self._change("stopped", f"authentication failed: {exc}", fetched)
            self._alert_once(f"{self.name}: authentication failed, polling stopped", str(exc))
            return None
        except (TransientError, OSError, asyncio.TimeoutError) as exc:
            self.failures += 1
            self._change("backoff", f"{type(exc).__name__}: {exc}", fetched)
            return self.now() + timedelta(seconds=next_delay(self.policy, self.failures, self.rng))
        except StoreError as exc:  # not the connector's fault: the batch is fetched again later
            self.failures += 1
            self._change("store_unavailable", str(exc), fetched)
            return self.now() + timedelta(seconds=next_delay(self.policy, self.failures, self.rng))
        except Exception as exc:  # noqa: BLE001 - an answer no connector code foresaw
            # Escaped, the live loop logged a traceback at every retry while the status said ok.
            # Now it is backed off from like a transient fault; its traceback is logged once.
            self.failures += 1
            error = f"unexpected {type(exc).__name__}: {exc}"
            if self.status == "backoff" and error != self.error:  # down already, for another reason
                log.warning("connector %s is still down: %s", self.name, error, exc_info=True)
            self._change("backoff", error, fetched, traceback=True)
            return self.now() + timedelta(seconds=next_delay(self.policy, self.failures, self.rng))
        self.failures = 0
        self.last_success = self.now()
        self._change("ok", "", fetched, success=True)
        if self.flush_soon is not None:
            self.flush_soon()
        else:
            await self.pipeline.flush(self.now())
        return self.now() + timedelta(seconds=next_delay(self.policy, 0, self.rng))

    def _change(self, status: str, error: str, fetched: int, reset: datetime | None = None,
                success: bool = False, traceback: bool = False) -> None:
        if status != self.status:
            if status == "ok":
                log.info("connector %s recovered", self.name)
            else:
                log.warning("connector %s is %s: %s", self.name, _STATUS_WORDS[status], error,
                            exc_info=traceback)
        self.status, self.error = status, error
        try:
            self.pipeline.store.set_connector_status(self.name, status, self.now(), error=error,
                                                     fetched=fetched, success=success,
                                                     rate_limit_reset=reset)
        except sqlite3.Error as exc:  # the store itself is the problem; the log line says so
            log.debug("connector %s: status not stored: %s", self.name, exc)

    def _alert_once(self, title: str, detail: str) -> None:
        now = self.now()
        alert = Alert(at=now, playbook="system", severity="high",
                      incident=f"system-{self.name}-auth-{now:%Y%m%d}", seq=0, kind="system",
                      title=title, text=detail, reasons=(detail,))
        with self.pipeline.store.transaction():
            self.pipeline.store.record_alerts([alert], [s.name for s in self.pipeline.sinks])


async def replay(pipeline: Pipeline, connectors: list[Connector], *, tail: timedelta = timedelta(0)) -> None:
    """Feed every connector to exhaustion on simulated time, then run timers `tail` further."""
    gc_settings.settle()
    for connector in connectors:
        while True:
            batch = await connector.poll(pipeline.store.get_cursor(connector.name))
            wall = max((m.created_at for m in batch.messages), default=None)
            pipeline.ingest(connector.name, batch, wall or pipeline.sim_now or datetime.now(timezone.utc))
            await pipeline.flush(wall or datetime.now(timezone.utc))
            if not batch.more:
                break
    if pipeline.sim_now is not None:
        pipeline.advance(pipeline.sim_now + tail)
    await pipeline.flush(pipeline.sim_now or datetime.now(timezone.utc))


class Deliverer:
    """Delivers queued alerts in the background whenever asked, one flush at a time.

    Polls and the timer only ask (`request`); a request made during a flush is served by
    another flush right after it, so nothing committed waits for the next tick.
    """

    def __init__(self, pipeline: Pipeline, now: Callable[[], datetime]):
        self.pipeline = pipeline
        self.now = now
        self._wake = asyncio.Event()

    def request(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.pipeline.flush(self.now())
            except Exception:  # noqa: BLE001 - the alerts stay queued; the next request retries
                log.exception("alert delivery failed unexpectedly; alerts stay queued")


async def run_live(pipeline: Pipeline, coordinators: list[Coordinator], *,
                   now: Callable[[], datetime], tick_seconds: float,
                   stop: asyncio.Event) -> None:
    """Poll each coordinator when it asks and run the engine's timer, until `stop` is set.

    Waits are kept on the event loop's monotonic clock: a coordinator names its next poll as a
    time on `now`'s clock, which is turned into a delay at once, so the system clock being set
    back (an NTP step, a virtual machine resumed) neither holds polls back nor fires them early.
    """
    gc_settings.settle()
    deliverer = Deliverer(pipeline, now)

    async def polling(coord: Coordinator) -> None:
        await asyncio.sleep(coord.rng.uniform(0, coord.policy.jitter))
        while True:
            try:
                when = await coord.poll()
            except Exception:  # noqa: BLE001 - a bug in one connector must not stop the others
                log.exception("connector %s failed unexpectedly; retrying later", coord.name)
                coord.failures += 1
                when = now() + timedelta(seconds=next_delay(coord.policy, coord.failures, coord.rng))
            if when is None:
                return  # stopped for good (its state says why)
            await asyncio.sleep(max(0.0, (when - now()).total_seconds()))

    async def ticking() -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due = max(due + tick_seconds, loop.time())  # after a stall, one tick, not a burst
            await asyncio.sleep(due - loop.time())
            try:
                pipeline.on_tick(now())
            except Exception:  # noqa: BLE001 - the next tick tries again
                log.exception("engine timer failed unexpectedly; trying again next tick")
            deliverer.request()

    for coord in coordinators:
        coord.flush_soon = deliverer.request
    tasks = [asyncio.create_task(deliverer.run()), asyncio.create_task(ticking()),
             *(asyncio.create_task(polling(c)) for c in coordinators)]
    deliverer.request()  # alerts left queued by an earlier run
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
