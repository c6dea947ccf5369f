"""The digest chart: a valid PNG drawn headless from the series the digest computed."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from test_digest_content import AMS, CONFIG, DAY, NOW, at, fill_store

from webcare.digest.build import build_digest
from webcare.digest.chart import (
    SIZE,
    digest_png,
    incident_positions,
    render_png,
    tick_labels,
)
from webcare.digest.content import ChartData
from webcare.digest.schedule import day_period, week_period
from webcare.store import Store


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("chart") / "d.db")
    fill_store(store)
    d = build_digest(store, CONFIG, day_period(DAY, AMS), NOW)
    store.close()
    return d


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt file raises here
    return image


def test_the_chart_is_a_small_valid_png(digest):
    png = digest_png(digest, "nl")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = decode(png)
    assert image.format == "PNG" and image.size == (int(SIZE[0] * 100), int(SIZE[1] * 100))
    assert len(png) < 150_000


def test_the_bars_are_drawn_in_the_sentiment_colours(digest):
    image = decode(digest_png(digest, "en")).convert("RGB")
    colours = {rgb for _, rgb in image.getcolors(maxcolors=1 << 20)}
    red, grey, green = (214, 69, 65), (184, 191, 202), (76, 175, 80)
    assert red in colours and grey in colours and green in colours


def test_an_empty_period_still_draws():
    bins = tuple(datetime(2026, 10, 14, h, tzinfo=AMS) for h in range(24))
    empty = ChartData("day", bins, (0,) * 24, (0,) * 24, (0,) * 24, (0,) * 24, (), 24)
    image = decode(render_png(empty, title="leeg", labels=("n", "0", "p"), previous_label="gisteren"))
    assert image.size[0] > 0


def test_incidents_sit_where_they_happened(digest):
    # bar i spans i - 0.5 .. i + 0.5: 10:30 is the middle of bar 10, 15:00 the start of bar 15
    assert incident_positions(digest.chart) == [(1, pytest.approx(10.0), "high"), (2, pytest.approx(14.5), "medium")]


def test_hours_every_three_hours_and_weekdays_for_a_week(digest, tmp_path):
    ticks, names = tick_labels(digest.chart, ("ma", "di", "wo", "do", "vr", "za", "zo"))
    assert ticks == [0, 3, 6, 9, 12, 15, 18, 21] and names[:3] == ["00", "03", "06"]
    store = Store(tmp_path / "w.db")
    fill_store(store)
    week = build_digest(store, CONFIG, week_period(DAY, AMS), NOW + timedelta(days=5))
    store.close()
    ticks, names = tick_labels(week.chart, ("ma", "di", "wo", "do", "vr", "za", "zo"))
    assert names == ["ma 12", "di 13", "wo 14", "do 15", "vr 16", "za 17", "zo 18"]
    assert decode(digest_png(week, "nl")).size == (800, 360)


def test_a_running_day_marks_the_hours_still_to_come(tmp_path):
    store = Store(tmp_path / "r.db")
    fill_store(store)
    now = at(DAY, 12)
    from webcare.digest.schedule import today_so_far

    d = build_digest(store, CONFIG, today_so_far(now, ZoneInfo("Europe/Amsterdam")), now)
    store.close()
    assert d.chart.upto == 12 and sum(d.chart.totals[12:]) == 0
    image = decode(digest_png(d, "nl")).convert("RGB")
    assert (241, 243, 245) in {rgb for _, rgb in image.getcolors(maxcolors=1 << 20)}  # the shaded future
