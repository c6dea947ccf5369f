"""The live clock: a system clock set wrong for a while changes nothing the engine sees."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from webcare.clock import SystemClock

T0 = datetime(2026, 10, 4, 10, 0, tzinfo=timezone.utc)


class Machine:
    """A wall clock that can be set, and a boot clock that only runs."""

    def __init__(self) -> None:
        self.wall, self.boot = T0, 1000.0

    def run(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.boot += seconds


def clock_on(machine: Machine) -> SystemClock:
    return SystemClock(lambda: machine.wall, lambda: machine.boot)


def test_it_is_the_system_time_while_nobody_sets_the_clock():
    machine = Machine()
    clock = clock_on(machine)
    for _ in range(3):
        machine.run(60)
        assert clock.now() == machine.wall
    machine.wall += timedelta(seconds=30)  # NTP's small corrections are followed
    assert clock.now() == machine.wall


def test_a_clock_set_six_hours_ahead_for_ten_minutes_is_not_followed(caplog):
    machine = Machine()
    clock = clock_on(machine)
    caplog.set_level(logging.WARNING)
    machine.wall += timedelta(hours=6)
    seen = []
    for _ in range(10):
        machine.run(60)
        seen.append(clock.now())
    assert seen == [T0 + timedelta(minutes=m) for m in range(1, 11)]
    machine.wall -= timedelta(hours=6)
    machine.run(60)
    assert clock.now() == machine.wall == T0 + timedelta(minutes=11)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and "jumped +21600 s" in warned[0] and "back" in warned[1]


def test_a_clock_set_back_is_not_followed_either():
    machine = Machine()
    clock = clock_on(machine)
    machine.wall -= timedelta(hours=1)
    machine.run(60)
    assert clock.now() == T0 + timedelta(minutes=1)


def test_a_lasting_correction_is_followed_after_a_quarter_of_an_hour():
    machine = Machine()
    clock = clock_on(machine)
    machine.wall += timedelta(hours=2)  # the hardware clock was two hours behind at the start
    for minute in range(1, 16):  # the bot asks every minute; the jump is seen at minute 1
        machine.run(60)
        assert clock.now() == T0 + timedelta(minutes=minute)
    machine.run(60)  # a quarter of an hour after it was seen
    assert clock.now() == machine.wall == T0 + timedelta(hours=2, minutes=16)
    machine.run(60)
    assert clock.now() == machine.wall


def test_time_slept_through_counts():
    machine = Machine()
    clock = clock_on(machine)
    machine.run(6 * 3600)  # a suspended machine wakes: both clocks moved on
    assert clock.now() == machine.wall
