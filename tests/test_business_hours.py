"""Business clock: opening hours, Dutch holidays, weekends and daylight-saving changes."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from webcare.business_hours import BusinessHours, parse_spans

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600


def ams(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


@pytest.fixture(scope="module")
def office() -> BusinessHours:
    return BusinessHours()  # Mon-Fri 09:00-17:00, Europe/Amsterdam, NL holidays


def test_an_hour_from_friday_afternoon_is_monday_morning(office):
    assert office.add_business_time(ams(2025, 3, 14, 16, 30), HOUR) == ams(2025, 3, 17, 9, 30)
    assert office.business_seconds_between(ams(2025, 3, 14, 16, 0), ams(2025, 3, 17, 10, 0)) == 2 * HOUR


def test_weekend_messages_start_the_clock_on_monday_at_opening(office):
    saturday = ams(2025, 3, 15, 11, 0)
    assert office.business_seconds_between(saturday, ams(2025, 3, 16, 20, 0)) == 0
    assert office.add_business_time(saturday, 30 * 60) == ams(2025, 3, 17, 9, 30)
    assert office.next_open(saturday) == ams(2025, 3, 17, 9, 0)


def test_koningsdag_is_closed(office):
    # 27 April 2026 is a Monday: Friday 16:00 + 2 business hours skips the weekend and Koningsdag
    assert not office.is_business_day(date(2026, 4, 27))
    assert office.holiday_name(date(2026, 4, 27)) is not None
    assert office.add_business_time(ams(2026, 4, 24, 16, 0), 2 * HOUR) == ams(2026, 4, 28, 10, 0)


def test_koningsdag_moves_to_saturday_when_27_april_is_a_sunday(office):
    assert office.holiday_name(date(2025, 4, 26)) is not None
    assert office.holiday_name(date(2025, 4, 27)) is None


def test_christmas_closes_two_days(office):
    # Wednesday 24 Dec 2025 16:00: 1 h left that day, 25/26 Dec closed, weekend, Monday 29th
    assert office.add_business_time(ams(2025, 12, 24, 16, 0), 2 * HOUR) == ams(2025, 12, 29, 10, 0)
    assert office.business_seconds_between(ams(2025, 12, 24, 9, 0), ams(2025, 12, 29, 9, 0)) == 8 * HOUR


def test_opening_hours_stay_at_local_time_across_the_spring_dst_change(office):
    # clocks go forward on Sunday 29 March 2026; Friday 16:00 CET + 2 h = Monday 10:00 CEST
    deadline = office.add_business_time(ams(2026, 3, 27, 16, 0), 2 * HOUR)
    assert deadline == ams(2026, 3, 30, 10, 0)
    assert deadline.astimezone(timezone.utc) == datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc)


def test_a_day_open_around_the_clock_has_23_or_25_hours_on_dst_sundays():
    sundays = BusinessHours({"sun": "24h"}, country=None)
    assert sundays.business_seconds_between(ams(2026, 3, 28), ams(2026, 3, 30)) == 23 * HOUR
    assert sundays.business_seconds_between(ams(2026, 10, 24), ams(2026, 10, 26)) == 25 * HOUR


def test_always_open_is_the_wall_clock():
    always = BusinessHours.always_open()
    a, b = ams(2025, 12, 24, 23, 0), ams(2025, 12, 27, 1, 30)
    assert always.business_seconds_between(a, b) == (b - a).total_seconds()
    assert always.add_business_time(a, 5 * HOUR) == a + timedelta(hours=5)


def test_lunch_break_does_not_count():
    hours = BusinessHours({d: "09:00-12:00, 13:00-17:00" for d in range(5)}, country=None)
    assert hours.add_business_time(ams(2025, 3, 17, 11, 30), HOUR) == ams(2025, 3, 17, 13, 30)
    assert hours.business_seconds_between(ams(2025, 3, 17, 11, 0), ams(2025, 3, 17, 14, 0)) == 2 * HOUR


def test_budget_running_out_at_closing_time_ends_at_closing_time(office):
    assert office.add_business_time(ams(2025, 3, 17, 16, 0), HOUR) == ams(2025, 3, 17, 17, 0)
    assert office.add_business_time(ams(2025, 3, 17, 20, 0), 0) == ams(2025, 3, 17, 20, 0)


def test_result_keeps_the_time_zone_of_the_start(office):
    start = datetime(2025, 3, 14, 15, 30, tzinfo=timezone.utc)  # 16:30 in Amsterdam
    deadline = office.add_business_time(start, HOUR)
    assert deadline.tzinfo is timezone.utc
    assert deadline == ams(2025, 3, 17, 9, 30)


def test_between_is_signed(office):
    a, b = ams(2025, 3, 17, 10, 0), ams(2025, 3, 17, 12, 0)
    assert office.business_seconds_between(b, a) == -2 * HOUR


def test_spans_years_and_extends_its_calendar_both_ways(office):
    a, b = ams(2025, 12, 31, 16, 0), ams(2026, 1, 2, 10, 0)  # 1 January is a holiday
    assert office.business_seconds_between(a, b) == 2 * HOUR
    assert office.business_seconds_between(ams(2019, 3, 15, 16, 0), ams(2019, 3, 18, 10, 0)) == 2 * HOUR
    assert office.business_seconds_between(a, b) == 2 * HOUR  # still right after extending back


def test_closed_and_open_dates_override_the_calendar():
    hours = BusinessHours(closed_dates=["2025-03-17"], open_dates=[date(2025, 4, 21)])  # Easter Monday
    assert not hours.is_business_day(date(2025, 3, 17))
    assert hours.is_business_day(date(2025, 4, 21))
    assert hours.business_seconds_between(ams(2025, 4, 21, 9, 0), ams(2025, 4, 21, 17, 0)) == 8 * HOUR


def test_country_can_be_switched_off_or_changed():
    no_holidays = BusinessHours(country=None)
    assert no_holidays.is_business_day(date(2025, 12, 25))
    belgium = BusinessHours(tz="Europe/Brussels", country="BE")
    assert not belgium.is_business_day(date(2025, 7, 21))  # Belgian national day
    assert BusinessHours().is_business_day(date(2025, 7, 21))


def test_vectorised_matches_scalar_including_missing_ends(office):
    rnd = random.Random(3)
    base = ams(2025, 3, 1).timestamp()
    starts = [base + rnd.uniform(0, 90 * 86400) for _ in range(300)]
    ends = [s + rnd.expovariate(1 / 86400) for s in starts]
    ends[5] = math.nan
    many = office.business_seconds_many(starts, ends)
    for i, (a, b) in enumerate(zip(starts, ends)):
        if math.isnan(b):
            assert math.isnan(many[i])
        else:
            assert many[i] == pytest.approx(office.business_seconds_between_ts(a, b), abs=1e-6)


def test_adding_what_lies_between_lands_back_on_an_open_end(office):
    rnd = random.Random(4)
    base = ams(2025, 1, 1).timestamp()
    for _ in range(200):
        a = base + rnd.uniform(0, 365 * 86400)
        spent = rnd.uniform(0, 30 * HOUR)
        end = office.add_business_time_ts(a, spent)
        assert office.business_seconds_between_ts(a, end) == pytest.approx(spent, abs=1e-6)
        assert office.is_open_ts(end - 1)  # the budget ran out while open


def test_config_table():
    hours = BusinessHours.from_config({
        "tz": "Europe/Amsterdam", "country": "", "hours": {"mon": "08:30-17:30", "sat": "10:00-14:00"},
    })
    assert hours.country is None
    assert hours.business_seconds_between(ams(2025, 3, 15, 9, 0), ams(2025, 3, 17, 9, 0)) == 4 * HOUR + 30 * 60
    assert hours.describe()["hours"]["sun"] == "closed"
    with pytest.raises(ValueError, match="unknown keys"):
        BusinessHours.from_config({"hourz": {}})


@pytest.mark.parametrize("spec", ["9-17", "17:00-09:00", "09:00-25:00", "09:75-10:00"])
def test_bad_opening_hours_are_refused_with_the_culprit(spec):
    with pytest.raises(ValueError, match="opening hours"):
        parse_spans(spec)


def test_spans_merge_and_accept_24h():
    assert parse_spans("13:00-17:00, 09:00-13:00") == ((9 * 60, 17 * 60),)
    assert parse_spans("24h") == ((0, 24 * 60),)
    assert parse_spans("closed") == ()


def test_never_open_cannot_add_time():
    never = BusinessHours({}, country=None)
    with pytest.raises(ValueError, match="never open"):
        never.add_business_time(ams(2025, 1, 1), 60)
    assert never.business_seconds_between(ams(2025, 1, 1), ams(2025, 2, 1)) == 0


def test_naive_datetimes_are_refused(office):
    with pytest.raises(ValueError, match="naive"):
        office.business_seconds_between(datetime(2025, 1, 1), ams(2025, 1, 2))
