"""On-call rota, take-overs and quiet hours: pure functions of the config, the store's values and `now`.

Times in the config are local wall-clock times (the brand's time zone), so a rota written as
"mon-fri 08:00-18:00 alice" keeps meaning 08:00 across daylight-saving changes. A shift whose
end is not after its start runs past midnight ("sun 22:00-08:00 bob" ends Monday 08:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|days?|d|h|m)?", re.I)
DAY_MINUTES = 1440


@dataclass(frozen=True)
class Window:
    """A daily stretch of local time, in minutes after midnight; may run past midnight."""

    start: int
    end: int

    @property
    def minutes(self) -> int:
        return (self.end - self.start) % DAY_MINUTES or DAY_MINUTES

    def span(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        """The occurrence that starts on `day`, as aware datetimes."""
        begin = _at(day, self.start, tz)
        end_day = day + timedelta(days=1) if self.end <= self.start else day
        return begin, _at(end_day, self.end, tz)


@dataclass(frozen=True)
class Shift:
    days: frozenset[int]  # weekday numbers of the days the shift starts on (0 = Monday)
    window: Window
    person: str
    text: str


@dataclass(frozen=True)
class OnCall:
    """Who is on call now and until when; `source` says why (take-over, rota, fallback, nobody)."""

    person: str | None
    until: datetime | None
    source: str


# --- parsing (used by config validation too) --------------------------------------------

def parse_window(text: str) -> Window:
    """'22:00-07:00' -> Window; raises ValueError explaining the expected form."""
    parts = text.strip().split("-")
    if len(parts) != 2:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    start, end = (_minutes(p) for p in parts)
    return Window(start, end)


def parse_days(text: str) -> frozenset[int]:
    """'mon-fri', 'sat,sun', 'daily' or '*' -> weekday numbers."""
    text = text.strip().lower()
    if text in ("daily", "*", "every"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"expected days such as mon-fri, sat,sun or daily, got {text!r}")
        a = DAYS.index(first)
        b = DAYS.index(last) if last else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def parse_shift(text: str) -> Shift:
    """'mon-fri 08:00-18:00 alice' -> Shift; raises ValueError explaining the expected form."""
    parts = text.split()
    if len(parts) != 3:
        raise ValueError(f"expected 'DAYS HH:MM-HH:MM PERSON' (e.g. 'mon-fri 08:00-18:00 alice'), got {text!r}")
    return Shift(parse_days(parts[0]), parse_window(parts[1]), parts[2], text.strip())


def parse_duration(text: str) -> timedelta:
    """'30m', '2h', '1h30m', '1d' or a bare number of minutes -> timedelta (ValueError if not)."""
    text = text.strip()
    total = 0.0
    pos = 0
    for m in _DURATION.finditer(text):
        if text[pos:m.start()].strip():
            raise ValueError(f"expected a duration such as 30m, 2h or 1d, got {text!r}")
        unit = (m.group(2) or "m").lower()[0]
        total += float(m.group(1)) * {"d": 1440, "h": 60, "m": 1}[unit]
        pos = m.end()
    if not text or text[pos:].strip():
        raise ValueError(f"expected a duration such as 30m, 2h or 1d, got {text!r}")
    return timedelta(minutes=total)


def _minutes(text: str) -> int:
    m = _CLOCK.match(text.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"expected a time HH:MM (00:00 to 24:00), got {text.strip()!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


def _at(day: date, minutes: int, tz: tzinfo) -> datetime:
    day += timedelta(days=minutes // DAY_MINUTES)
    minutes %= DAY_MINUTES
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)


# --- questions ----------------------------------------------------------------------------

def covering(window: Window, days: frozenset[int], now: datetime, tz: tzinfo) -> datetime | None:
    """End of the occurrence of `window` (starting on one of `days`) that covers `now`, or None."""
    today = now.astimezone(tz).date()
    for day in (today - timedelta(days=1), today):
        if day.weekday() in days:
            begin, end = window.span(day, tz)
            if begin <= now < end:
                return end
    return None


def rota_person(shifts: list[Shift], now: datetime, tz: tzinfo) -> tuple[str | None, datetime | None]:
    """The first shift in rota order that covers `now`: its person and its end."""
    for shift in shifts:
        end = covering(shift.window, shift.days, now, tz)
        if end is not None:
            return shift.person, end
    return None, None


def next_change(shifts: list[Shift], now: datetime, tz: tzinfo,
                horizon: timedelta = timedelta(days=8)) -> datetime | None:
    """The first moment after `now` at which the rota names somebody else (None: never)."""
    current, _ = rota_person(shifts, now, tz)
    today = now.astimezone(tz).date()
    edges = set()
    for offset in range(-1, horizon.days + 1):
        day = today + timedelta(days=offset)
        for shift in shifts:
            if day.weekday() in shift.days:
                edges.update(t for t in shift.window.span(day, tz) if now < t <= now + horizon)
    for edge in sorted(edges):
        if rota_person(shifts, edge, tz)[0] != current:
            return edge
    return None


def on_call(shifts: list[Shift], now: datetime, tz: tzinfo, *,
            override: tuple[str, datetime] | None = None, fallback: str = "") -> OnCall:
    """Who is on call: a take-over still running, else the rota, else the fallback person."""
    if override is not None and now < override[1]:
        return OnCall(override[0], override[1], "take-over")
    person, until = rota_person(shifts, now, tz)
    if person:
        return OnCall(person, until, "rota")
    if fallback:
        return OnCall(fallback, next_change(shifts, now, tz), "fallback")
    return OnCall(None, next_change(shifts, now, tz), "nobody")


def take_over_until(shifts: list[Shift], now: datetime, tz: tzinfo,
                    default: timedelta = timedelta(hours=12)) -> datetime:
    """How long a take-over lasts when no duration is given: until the rota's next handover."""
    return next_change(shifts, now, tz) or now + default


def quiet_until(window: Window | None, now: datetime, tz: tzinfo) -> datetime | None:
    """When the quiet hours covering `now` end; None when `now` is not in quiet hours."""
    if window is None:
        return None
    return covering(window, frozenset(range(7)), now, tz)
