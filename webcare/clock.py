"""Clocks: the only place webcare reads the time, so replays and tests can set it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


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
