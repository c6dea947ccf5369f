"""Clocks: the only place webcare reads the time, so replays and tests can set it."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime: ...


def _boot_seconds() -> float:
    """Seconds on a clock nobody sets that keeps counting through a suspend (Linux), else the
    monotonic clock."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic()


class SystemClock:
    """The system's time, kept from jumping.

    Someone setting the clock six hours ahead for ten minutes made the engine close every open
    incident as quiet, and reopen and escalate them when the clock came back. So time moves as
    the boot clock does (nobody sets it, and it counts a suspend, so a machine waking up still
    sees its escalations fall due), and follows the system clock only while the two agree
    within `tolerance` seconds (NTP's small corrections) or once the system clock has kept a
    new offset for `settle` seconds (a real correction: a start with a wrong hardware clock).
    """

    def __init__(self, wall: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 steady: Callable[[], float] = _boot_seconds, tolerance: float = 120.0,
                 settle: float = 900.0):
        self._wall, self._steady = wall, steady
        self.tolerance, self.settle = tolerance, settle
        self._anchor, self._anchor_steady = wall(), steady()
        self._off_since: float | None = None  # steady time the system clock first disagreed

    def now(self) -> datetime:
        wall, steady = self._wall(), self._steady()
        ours = self._anchor + timedelta(seconds=steady - self._anchor_steady)
        gap = (wall - ours).total_seconds()
        if abs(gap) > self.tolerance:
            if self._off_since is None:
                self._off_since = steady
                log.warning("the system clock jumped %+.0f s; keeping time by the machine's boot "
                            "clock until it has kept that time for %.0f minutes", gap, self.settle / 60)
            if steady - self._off_since < self.settle:
                return ours
            log.warning("following the system clock again (%+.0f s)", gap)
        elif self._off_since is not None:
            log.warning("the system clock is back; following it again")
        self._anchor, self._anchor_steady, self._off_since = wall, steady, None
        return wall


class SimClock:
    """Simulated time that only moves when told to: replays run as fast as the machine allows."""

    def __init__(self, start: datetime):
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, when: datetime) -> datetime:
        """Move forward to `when`; time never runs backwards."""
        if when > self._now:
            self._now = when
        return self._now
