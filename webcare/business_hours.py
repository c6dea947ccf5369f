"""Opening hours, public holidays and the business clock built on them.

Response targets such as "same working day" or "8 business hours" need a clock that only
ticks while the team is open. `BusinessHours` answers the two questions everything else
asks: how much business time lies between two instants (`business_seconds_between`), and
when a business-time budget starting at some instant runs out (`add_business_time`, used for
response deadlines).

Both are O(log n): the opening intervals of whole calendar years are laid out once as sorted
UTC epoch intervals with running totals, so a query is two binary searches. Local times are
wall-clock times in `tz`, so an opening at 09:00 stays at 09:00 across daylight-saving
changes (a 00:00-24:00 day has 23 h in late March and 25 h in late October). Holidays come
from the `holidays` package for `country` (and optional `subdiv`); `closed_dates` and
`open_dates` override single days.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from datetime import MAXYEAR, date, datetime, time, timedelta, timezone
from itertools import accumulate
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import numpy as np

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TZ = "Europe/Amsterdam"
DEFAULT_COUNTRY = "NL"
DAY_MINUTES = 24 * 60
# How far add_business_time looks ahead before concluding the calendar is never open.
_MAX_SEARCH_YEARS = 10

Span = tuple[int, int]  # minutes after local midnight, end exclusive, 0 <= start < end <= 1440

_SPAN_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_spans(spec: str | Sequence[Any] | None) -> tuple[Span, ...]:
    """'09:00-17:00', '09:00-12:30, 13:00-17:00', '24h', 'closed' or '' -> minute spans."""
    if spec is None:
        return ()
    if not isinstance(spec, str):
        spans: list[Span] = []
        for item in spec:
            if isinstance(item, str):
                spans.extend(parse_spans(item))
            else:
                start, end = item
                spans.append((_minutes(start), _minutes(end, end_of_day=True)))
        return _normalise(spans)
    text = spec.strip().lower()
    if text in ("", "closed", "gesloten", "none", "-"):
        return ()
    if text in ("24h", "24/7", "always", "open", "00:00-24:00"):
        return ((0, DAY_MINUTES),)
    spans = []
    for part in text.split(","):
        match = _SPAN_RE.match(part)
        if not match:
            raise ValueError(f"opening hours {part.strip()!r}: expected HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start >= DAY_MINUTES or end > DAY_MINUTES or end <= start:
            raise ValueError(f"opening hours {part.strip()!r}: expected start < end within a day")
        spans.append((start, end))
    return _normalise(spans)


def _minutes(value: time | int | str, end_of_day: bool = False) -> int:
    if isinstance(value, time):
        minutes = value.hour * 60 + value.minute
    elif isinstance(value, int):
        minutes = value
    else:
        h, _, m = str(value).partition(":")
        minutes = int(h) * 60 + int(m or 0)
    return DAY_MINUTES if end_of_day and minutes == 0 else minutes


def _normalise(spans: Iterable[Span]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if not 0 <= start < end <= DAY_MINUTES:
            raise ValueError(f"opening span {start}-{end} minutes is not within one day")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


class BusinessHours:
    """Weekly opening hours in one time zone, closed on the country's public holidays.

    `weekly` maps a weekday (0 = Monday, or 'mon'..'sun') to spans such as '09:00-17:00';
    days left out are closed. `closed_dates` adds closing days; `open_dates` are holidays on
    which the team works anyway (with that weekday's hours). The default is Monday to Friday, 09:00-17:00, Europe/Amsterdam,
    Dutch public holidays. Instances are immutable in meaning; they cache the computed
    calendar, so share one per channel rather than building one per message.
    """

    __slots__ = ("weekly", "tz", "tz_name", "country", "subdiv", "closed_dates", "open_dates",
                 "_years", "_covered", "_starts", "_ends", "_cum", "_np", "_always")

    def __init__(
        self,
        weekly: Mapping[int | str, str | Sequence[Any] | None] | None = None,
        *,
        tz: str = DEFAULT_TZ,
        country: str | None = DEFAULT_COUNTRY,
        subdiv: str | None = None,
        closed_dates: Iterable[date | str] = (),
        open_dates: Iterable[date | str] = (),
    ) -> None:
        if weekly is None:
            weekly = {day: "09:00-17:00" for day in range(5)}
        table: list[tuple[Span, ...]] = [()] * 7
        for day, spec in weekly.items():
            table[_weekday(day)] = parse_spans(spec)
        self.weekly: tuple[tuple[Span, ...], ...] = tuple(table)
        self.tz_name = tz
        self.tz = ZoneInfo(tz)
        self.country = country or None
        self.subdiv = subdiv
        self.closed_dates = frozenset(_as_date(d) for d in closed_dates)
        self.open_dates = frozenset(_as_date(d) for d in open_dates)
        self._always = (
            all(spans == ((0, DAY_MINUTES),) for spans in self.weekly)
            and self.country is None and not self.closed_dates
        )
        self._years: tuple[int, int] | None = None  # covered local years [first, last]
        self._covered = (math.inf, -math.inf)  # the same as epochs: UTC start of first, of last + 1
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._cum: list[float] = []  # business seconds before interval i
        self._np: tuple[np.ndarray, np.ndarray] | None = None  # breakpoints for np.interp

    # -- construction helpers -------------------------------------------------------------

    @classmethod
    def always_open(cls, tz: str = DEFAULT_TZ) -> "BusinessHours":
        """24/7 staffing: business time equals wall-clock time."""
        return cls({day: "24h" for day in range(7)}, tz=tz, country=None)

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> "BusinessHours":
        """Build from a config table: tz, country, subdiv, hours {mon = "09:00-17:00"}, closed,
        open (lists of ISO dates). `country = ""` switches holidays off."""
        known = {"tz", "country", "subdiv", "hours", "closed", "open"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"business hours: unknown keys {', '.join(sorted(unknown))}")
        return cls(
            data.get("hours"), tz=data.get("tz", DEFAULT_TZ),
            country=data.get("country", DEFAULT_COUNTRY), subdiv=data.get("subdiv"),
            closed_dates=data.get("closed", ()), open_dates=data.get("open", ()),
        )

    def __repr__(self) -> str:
        days = ", ".join(
            f"{DAY_NAMES[i]} {'+'.join(_fmt_span(s) for s in spans)}"
            for i, spans in enumerate(self.weekly) if spans
        )
        return f"BusinessHours({days or 'never open'}; {self.tz_name}; holidays {self.country or 'none'})"

    def describe(self) -> dict[str, Any]:
        return {
            "tz": self.tz_name, "country": self.country, "subdiv": self.subdiv,
            "hours": {DAY_NAMES[i]: ", ".join(_fmt_span(s) for s in spans) or "closed"
                      for i, spans in enumerate(self.weekly)},
        }

    # -- the calendar ------------------------------------------------------------------------

    def is_business_day(self, day: date) -> bool:
        """Open at all on this local date (weekday has hours, not a holiday, not closed)."""
        if not self.weekly[day.weekday()]:
            return False
        if day in self.open_dates:
            return True
        if day in self.closed_dates:
            return False
        return not self.country or day not in self._holidays(day.year, day.year)

    def holiday_name(self, day: date) -> str | None:
        if not self.country:
            return None
        return self._holidays(day.year, day.year).get(day)

    def _holidays(self, first: int, last: int) -> Any:
        return holidays_lib.country_holidays(
            self.country, subdiv=self.subdiv, years=range(first, last + 1))

    def _cover_years(self, first: int, last: int) -> None:
        if self._years is not None and self._years[0] <= first and last <= self._years[1]:
            return
        if self._years is not None:
            first, last = min(first, self._years[0]), max(last, self._years[1])
        closed = set(self.closed_dates)
        if self.country:
            closed.update(self._holidays(first, last).keys())
        closed -= self.open_dates
        starts: list[float] = []
        ends: list[float] = []
        tz = self.tz
        day = date(first, 1, 1)
        stop = date(last + 1, 1, 1)
        one = timedelta(days=1)
        while day < stop:
            spans = self.weekly[day.weekday()]
            if spans and day not in closed:
                for start_min, end_min in spans:
                    a = _local_epoch(day, start_min, tz)
                    b = _local_epoch(day, end_min, tz)
                    if b <= a:
                        continue
                    if ends and a <= ends[-1]:
                        ends[-1] = max(ends[-1], b)  # touching spans over midnight merge
                    else:
                        starts.append(a)
                        ends.append(b)
            day += one
        self._years = (first, last)
        self._covered = (_utc_year_start(first), _utc_year_start(last + 1))
        self._starts, self._ends = starts, ends
        self._cum = [0.0, *accumulate(e - s for s, e in zip(starts, ends))]
        self._np = None

    def _cover(self, *epochs: float) -> None:
        lo, hi = min(epochs), max(epochs)
        # the common case, already covered, decided without converting to dates (a second
        # short of the bound, so rounding to microseconds cannot make it a different year)
        if self._covered[0] <= lo - 86400 and hi + 86400 < self._covered[1] - 1:
            return
        # a local year never starts more than 14 h away from the UTC year
        first = datetime.fromtimestamp(lo - 86400, timezone.utc).year
        last = datetime.fromtimestamp(hi + 86400, timezone.utc).year
        self._cover_years(first, last)

    def _business_clock(self, t: float) -> float:
        """Business seconds from the start of the covered calendar to epoch `t`."""
        j = bisect_right(self._starts, t) - 1
        if j < 0:
            return 0.0
        return self._cum[j] + min(t, self._ends[j]) - self._starts[j]

    # -- queries on epoch seconds (the fast path) -------------------------------------------

    def business_seconds_between_ts(self, a: float, b: float) -> float:
        """Business seconds from epoch `a` to epoch `b` (negative when b < a)."""
        if self._always:
            return b - a
        self._cover(a, b)
        return self._business_clock(b) - self._business_clock(a)

    def add_business_time_ts(self, start: float, seconds: float) -> float:
        """Earliest epoch t >= start with `seconds` of business time between start and t."""
        if seconds < 0:
            raise ValueError("add_business_time needs a non-negative number of seconds")
        if self._always:
            return start + seconds
        if seconds == 0:
            return start
        years = max(1, int(seconds / (86400 * 365)) + 1)
        self._cover(start, start + years * 366 * 86400)
        target = self._business_clock(start) + seconds
        while target > self._cum[-1]:
            assert self._years is not None
            if self._years[1] - datetime.fromtimestamp(start, timezone.utc).year > _MAX_SEARCH_YEARS + years:
                raise ValueError(f"{self!r} is never open: cannot add business time")
            self._cover_years(self._years[0], self._years[1] + 1)
            target = self._business_clock(start) + seconds
        # the span j with cum[j] < target <= cum[j + 1]: the budget runs out inside it (or as
        # it closes, which is earlier than the next span's opening)
        j = bisect_left(self._cum, target) - 1
        return self._starts[j] + (target - self._cum[j])

    def next_open_ts(self, t: float) -> float:
        """`t` itself when open, else the start of the next opening span."""
        return t if self.is_open_ts(t) else self._next_start(t)

    def _next_start(self, t: float) -> float:
        self._cover(t, t + 366 * 86400)
        j = bisect_right(self._starts, t)
        while j >= len(self._starts):
            assert self._years is not None
            if self._years[1] - datetime.fromtimestamp(t, timezone.utc).year > _MAX_SEARCH_YEARS:
                raise ValueError(f"{self!r} is never open")
            self._cover_years(self._years[0], self._years[1] + 1)
            j = bisect_right(self._starts, t)
        return self._starts[j]

    def is_open_ts(self, t: float) -> bool:
        if self._always:
            return True
        self._cover(t)
        j = bisect_right(self._starts, t) - 1
        return j >= 0 and t < self._ends[j]

    def business_seconds_many(self, starts: Any, ends: Any) -> np.ndarray:
        """Vectorised `business_seconds_between_ts` over two equally long arrays of epochs.

        NaN in either array gives NaN in the result (an unanswered message has no end).
        """
        a, b = self.business_clocks(starts, ends)
        return b - a

    def business_clocks(self, *epochs: Any) -> list[np.ndarray]:
        """Business seconds from one common origin to every epoch of every array.

        Differences between them are business times, so a report that measures several
        spans from the same instants (arrival to answer, arrival to now) looks each instant
        up once. NaN stays NaN. The origin is only valid for this one call.
        """
        arrays = [np.asarray(e, dtype=float) for e in epochs]
        if self._always:
            return arrays
        finite = np.concatenate([a[np.isfinite(a)] for a in arrays])
        if finite.size == 0:
            return [np.full(a.shape, np.nan) for a in arrays]
        self._cover(float(finite.min()), float(finite.max()))
        if self._np is None:  # the clock is piecewise linear: slope 1 while open, 0 while closed
            xp = np.empty(2 * len(self._starts))
            xp[0::2], xp[1::2] = self._starts, self._ends
            fp = np.empty(xp.size)
            fp[0::2], fp[1::2] = self._cum[:-1], self._cum[1:]
            self._np = (xp, fp)
        return [self._clock_many(a) for a in arrays]

    def _clock_many(self, t: np.ndarray) -> np.ndarray:
        assert self._np is not None
        xp, fp = self._np
        if xp.size == 0:
            return np.where(np.isnan(t), np.nan, 0.0)
        return np.interp(t, xp, fp)

    # -- queries on datetimes ------------------------------------------------------------------

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Business seconds between two aware datetimes (negative when b is before a)."""
        return self.business_seconds_between_ts(_epoch(a), _epoch(b))

    def add_business_time(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of business time have passed since `start`.

        Time spent closed does not count: 1 business hour from Friday 16:30 is Monday 09:30.
        The result is in `start`'s time zone.
        """
        end = self.add_business_time_ts(_epoch(start), seconds)
        return datetime.fromtimestamp(end, timezone.utc).astimezone(start.tzinfo)

    def is_open(self, at: datetime) -> bool:
        return self.is_open_ts(_epoch(at))

    def next_open(self, at: datetime) -> datetime:
        """`at` when open, else the next opening time, in `at`'s time zone."""
        t = self.next_open_ts(_epoch(at))
        return datetime.fromtimestamp(t, timezone.utc).astimezone(at.tzinfo)


def _epoch(dt: datetime) -> float:
    if dt.tzinfo is None:
        raise ValueError(f"{dt!r} is naive: business hours need aware datetimes")
    return dt.timestamp()


def _utc_year_start(year: int) -> float:
    """Epoch seconds of 1 January of `year`, 00:00 UTC (infinite past the last year datetime knows)."""
    return datetime(year, 1, 1, tzinfo=timezone.utc).timestamp() if year <= MAXYEAR else math.inf


def _local_epoch(day: date, minutes: int, tz: ZoneInfo) -> float:
    if minutes >= DAY_MINUTES:
        day, minutes = day + timedelta(days=1), minutes - DAY_MINUTES
    return datetime.combine(day, time(minutes // 60, minutes % 60), tz).timestamp()


def _weekday(day: int | str) -> int:
    if isinstance(day, int) and 0 <= day < 7:
        return day
    name = str(day).strip().lower()[:3]
    if name in DAY_NAMES:
        return DAY_NAMES.index(name)
    raise ValueError(f"unknown weekday {day!r}: use 0-6 or mon..sun")


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _fmt_span(span: Span) -> str:
    (s, e) = span
    return f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}"
