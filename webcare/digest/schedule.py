"""When digests go out and which period each covers. Pure: config, `now` and past runs in.

A daily digest fires every day at `[digest] time` (local, DST-aware through APScheduler's
CronTrigger) and covers the previous local calendar day (23, 24 or 25 hours). The weekly one
fires on `weekday` at the same time and covers the 7 days before. A run is identified by
(recipient, period key); `due` lists today's runs whose time has come and that have not been
sent, so a digest missed at 08:00 (webcare down, Telegram unreachable) goes out late, once,
and yesterday's missed digest is not sent any more (today's replaces it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Collection, Literal

from apscheduler.triggers.cron import CronTrigger

from webcare.digest.config import WEEKDAYS, DigestConfig

Kind = Literal["day", "week"]


@dataclass(frozen=True)
class Period:
    """[start, end) in local time; `end` may be cut short of `full_end` ("today so far")."""

    kind: Kind
    start: datetime
    end: datetime
    full_end: datetime

    @property
    def key(self) -> str:
        """Identifies the period in `digest_runs`: '2026-10-04' or 'week-2026-09-28'."""
        day = self.start.date().isoformat()
        return day if self.kind == "day" else f"week-{day}"

    @property
    def partial(self) -> bool:
        return self.end < self.full_end

    @property
    def tz(self) -> tzinfo:
        return self.start.tzinfo  # type: ignore[return-value]

    def previous(self) -> "Period":
        """The period before, cut at the same point (yesterday up to the same time of day)."""
        days = 1 if self.kind == "day" else 7
        start = _local(self.start.date() - timedelta(days=days), self.tz)
        full_end = self.start
        if not self.partial:
            return Period(self.kind, start, full_end, full_end)
        cut = _local_at(self.end.date() - timedelta(days=days), self.end.timetz(), self.tz)
        return Period(self.kind, start, min(max(cut, start), full_end), full_end)

    def cut(self, now: datetime) -> "Period":
        """This period as known at `now` (unchanged once it is over)."""
        if now >= self.full_end:
            return replace(self, end=self.full_end)
        return replace(self, end=max(now.astimezone(self.tz), self.start))


def _local(day: date, tz: tzinfo) -> datetime:
    """Local midnight of `day` (zoneinfo resolves the offset; midnight always exists in NL)."""
    return datetime.combine(day, time(0), tzinfo=tz)


def _local_at(day: date, at: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz)


def day_period(day: date, tz: tzinfo) -> Period:
    start, end = _local(day, tz), _local(day + timedelta(days=1), tz)
    return Period("day", start, end, end)


def week_period(day: date, tz: tzinfo, weekday: str = "mon") -> Period:
    """The 7 days starting on `weekday` that contain `day`."""
    back = (day.weekday() - WEEKDAYS.index(weekday)) % 7
    first = day - timedelta(days=back)
    start, end = _local(first, tz), _local(first + timedelta(days=7), tz)
    return Period("week", start, end, end)


def today_so_far(now: datetime, tz: tzinfo) -> Period:
    """The current local day up to `now` (what `/digest` shows)."""
    return day_period(now.astimezone(tz).date(), tz).cut(now)


def last_complete(kind: Kind, cfg: DigestConfig, tz: tzinfo, now: datetime) -> Period:
    """Yesterday, or the last whole week (ending on the weekly digest's weekday)."""
    today = now.astimezone(tz).date()
    if kind == "day":
        return day_period(today - timedelta(days=1), tz)
    return week_period(today - timedelta(days=7), tz, cfg.weekday)


# --- triggers -------------------------------------------------------------------------------

def trigger(kind: Kind, cfg: DigestConfig, tz: tzinfo) -> CronTrigger:
    """The APScheduler trigger that fires the daily or weekly digest at local `cfg.time`."""
    if kind == "day":
        return CronTrigger(hour=cfg.hour, minute=cfg.minute, timezone=tz)
    return CronTrigger(day_of_week=cfg.weekday, hour=cfg.hour, minute=cfg.minute, timezone=tz)


def fire_time_on(kind: Kind, cfg: DigestConfig, tz: tzinfo, day: date) -> datetime | None:
    """When the digest fires on local `day` (None: it does not fire that day)."""
    fire = trigger(kind, cfg, tz).get_next_fire_time(None, _local(day, tz))
    if fire is None or fire.astimezone(tz).date() != day:
        return None
    return fire


def period_fired_at(kind: Kind, fire: datetime, tz: tzinfo, cfg: DigestConfig) -> Period:
    """The period a digest fired at `fire` reports on: the day or 7 days before it."""
    day = fire.astimezone(tz).date()
    if kind == "day":
        return day_period(day - timedelta(days=1), tz)
    return week_period(day - timedelta(days=7), tz, cfg.weekday)


def kinds(cfg: DigestConfig) -> list[Kind]:
    return [k for k, on in (("day", cfg.daily), ("week", cfg.weekly)) if on]


# --- what is due ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    recipient: str
    kind: Kind
    period: Period
    due_at: datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.recipient, self.period.key)


def todays_periods(cfg: DigestConfig, tz: tzinfo, now: datetime) -> list[tuple[Kind, datetime, Period]]:
    """The digests that fire today and whose time has come: (kind, fire time, period)."""
    out = []
    for kind in kinds(cfg):
        fire = fire_time_on(kind, cfg, tz, now.astimezone(tz).date())
        if fire is not None and fire <= now:
            out.append((kind, fire, period_fired_at(kind, fire, tz, cfg)))
    return out


def due(cfg: DigestConfig, tz: tzinfo, now: datetime, sent: Collection[tuple[str, str]]) -> list[Due]:
    """Today's digests whose time has passed and that have not gone out to the recipient."""
    if not cfg.enabled:
        return []
    return [Due(recipient, kind, period, fire)
            for kind, fire, period in todays_periods(cfg, tz, now)
            for recipient in dict.fromkeys(cfg.recipients)
            if (recipient, period.key) not in sent]
