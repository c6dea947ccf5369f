"""When digests fire (local time, across DST changes) and which one is due. No sleeping:
APScheduler's triggers are asked for their next fire time at explicit instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from webcare.digest.config import DigestConfig
from webcare.digest.schedule import (
    day_period,
    due,
    fire_time_on,
    last_complete,
    period_fired_at,
    today_so_far,
    trigger,
    week_period,
)

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
CFG = DigestConfig(recipients=["lead", "team"])


def fires(kind: str, cfg: DigestConfig, start: datetime, n: int) -> list[datetime]:
    t, out, when = trigger(kind, cfg, AMS), [], start
    for _ in range(n):
        when = t.get_next_fire_time(None, when)
        out.append(when.astimezone(UTC))
        when += timedelta(seconds=1)
    return out


def test_the_daily_digest_fires_at_eight_local_through_the_autumn_change():
    assert fires("day", CFG, datetime(2026, 10, 24, 0, 0, tzinfo=UTC), 3) == [
        datetime(2026, 10, 24, 6, 0, tzinfo=UTC),  # 08:00 CEST
        datetime(2026, 10, 25, 7, 0, tzinfo=UTC),  # 08:00 CET, the day the clocks go back
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC)]


def test_the_daily_digest_fires_at_eight_local_through_the_spring_change():
    assert fires("day", CFG, datetime(2026, 3, 28, 0, 0, tzinfo=UTC), 3) == [
        datetime(2026, 3, 28, 7, 0, tzinfo=UTC),  # 08:00 CET
        datetime(2026, 3, 29, 6, 0, tzinfo=UTC),  # 08:00 CEST
        datetime(2026, 3, 30, 6, 0, tzinfo=UTC)]


def test_the_weekly_digest_fires_on_its_weekday_at_the_same_local_time():
    cfg = DigestConfig(time="07:30", weekday="mon")
    assert fires("week", cfg, datetime(2026, 10, 17, tzinfo=UTC), 2) == [
        datetime(2026, 10, 19, 5, 30, tzinfo=UTC), datetime(2026, 10, 26, 6, 30, tzinfo=UTC)]
    assert fire_time_on("week", cfg, AMS, date(2026, 10, 20)) is None  # a Tuesday


def test_each_digest_covers_the_day_or_week_before_it_fires():
    fire = datetime(2026, 10, 26, 8, 0, tzinfo=AMS)  # Monday after the clocks went back
    day = period_fired_at("day", fire, AMS, CFG)
    assert (day.key, day.start, day.full_end.timestamp() - day.start.timestamp()) == (
        "2026-10-25", datetime(2026, 10, 25, tzinfo=AMS), 25 * 3600)
    week = period_fired_at("week", fire, AMS, CFG)
    assert (week.key, week.start.date(), week.full_end.date()) == ("week-2026-10-19", date(2026, 10, 19),
                                                                   date(2026, 10, 26))


def test_nothing_is_due_before_eight_then_one_digest_per_recipient():
    assert due(CFG, AMS, datetime(2026, 10, 15, 7, 59, tzinfo=AMS), set()) == []
    now = datetime(2026, 10, 15, 8, 0, tzinfo=AMS)
    runs = due(CFG, AMS, now, set())
    assert [(r.recipient, r.kind, r.period.key, r.due_at) for r in runs] == [
        ("lead", "day", "2026-10-14", now), ("team", "day", "2026-10-14", now)]


def test_a_sent_digest_is_not_due_again_and_a_missed_one_stays_due_all_day():
    at_noon = datetime(2026, 10, 15, 12, 0, tzinfo=AMS)
    assert [r.recipient for r in due(CFG, AMS, at_noon, {("lead", "2026-10-14")})] == ["team"]
    late_evening = datetime(2026, 10, 15, 23, 59, tzinfo=AMS)
    assert [r.period.key for r in due(CFG, AMS, late_evening, set())] == ["2026-10-14", "2026-10-14"]


def test_yesterdays_missed_digest_is_not_sent_the_next_day():
    next_day = datetime(2026, 10, 16, 9, 0, tzinfo=AMS)
    assert {r.period.key for r in due(CFG, AMS, next_day, set())} == {"2026-10-15"}


def test_monday_brings_the_weekly_digest_too():
    monday = datetime(2026, 10, 19, 8, 0, tzinfo=AMS)
    runs = due(DigestConfig(recipients=["lead"]), AMS, monday, set())
    assert [(r.kind, r.period.key) for r in runs] == [("day", "2026-10-18"), ("week", "week-2026-10-12")]
    only_daily = DigestConfig(recipients=["lead"], weekly=False)
    assert [r.kind for r in due(only_daily, AMS, monday, set())] == ["day"]
    assert due(DigestConfig(enabled=False), AMS, monday, set()) == []


def test_periods_for_the_command_line():
    now = datetime(2026, 10, 15, 6, 0, tzinfo=AMS)
    assert last_complete("day", CFG, AMS, now).key == "2026-10-14"
    assert last_complete("week", CFG, AMS, now).key == "week-2026-10-05"
    assert week_period(date(2026, 10, 18), AMS).key == "week-2026-10-12"
    assert week_period(date(2026, 10, 18), AMS, "fri").start.date() == date(2026, 10, 16)
    assert day_period(date(2026, 3, 29), AMS).full_end.timestamp() - \
        day_period(date(2026, 3, 29), AMS).start.timestamp() == 23 * 3600


def test_today_so_far_and_the_same_stretch_yesterday():
    now = datetime(2026, 10, 25, 14, 5, tzinfo=AMS)  # a 25-hour day
    today = today_so_far(now, AMS)
    before = today.previous()
    assert today.partial and today.end == now
    assert (before.start, before.end) == (datetime(2026, 10, 24, tzinfo=AMS), datetime(2026, 10, 24, 14, 5, tzinfo=AMS))


@pytest.mark.parametrize("value", ["8:00", "08:00", "23:59"])
def test_time_settings(value):
    cfg = DigestConfig(time=value)
    assert (cfg.hour, cfg.minute) == tuple(int(p) for p in value.split(":"))
