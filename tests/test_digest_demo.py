"""The bundled demo's race day as a digest, and the example in docs/digest.md made from it."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT
from fakes.telegram_api import parse_html
from PIL import Image

from webcare import config, scenario
from webcare.cli import main as webcare
from webcare.digest.build import build_digest
from webcare.digest.chart import digest_png
from webcare.digest.render import render_telegram, render_text
from webcare.digest.schedule import day_period
from webcare.store import Store
from webcare.telegram.format import shown_length

AMS = ZoneInfo("Europe/Amsterdam")
DOC = ROOT / "docs" / "digest.md"
PICTURE = ROOT / "docs" / "digest-example.png"


@pytest.fixture(scope="module")
def race_day(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    assert webcare(["demo", "--db", str(db)]) == 0
    store = Store(db)
    digest = build_digest(store, config.default(), day_period(scenario.EVENT_DAY, AMS),
                          datetime(2026, 10, 5, 8, 0, tzinfo=AMS))
    store.close()
    return digest


def test_the_storm_dominates_the_race_day_digest(race_day):
    assert race_day.total.messages > 20 * race_day.total_before.messages
    assert race_day.total.negative_share > 0.5
    assert race_day.topics[0].term == "water"
    assert {"medaille", "start", "finish"} & {t.term for t in race_day.topics}
    severities = {line.severity for line in race_day.incidents.lines}
    assert "critical" in severities and race_day.incidents.opened >= 5
    first_storm = min(line.opened_at for line in race_day.incidents.lines if "storm" in line.title.lower())
    assert timedelta(0) <= first_storm - scenario.STORM_ONSET <= timedelta(minutes=15)
    assert any(item.message.author.name == scenario.CUSTOMER_NAME for item in race_day.waiting.oldest)


def test_the_race_day_digest_fits_one_telegram_message_and_a_small_chart(race_day):
    for lang in ("nl", "en"):
        markup = render_telegram(race_day, lang)
        assert shown_length(markup) <= 4096
        parse_html(markup)
    png = digest_png(race_day, "nl")
    assert len(png) < 150_000
    Image.open(io.BytesIO(png)).load()


def test_the_documented_example_is_this_digest_and_its_picture_is_small(race_day):
    text = DOC.read_text(encoding="utf-8")
    assert "![" in text and "(digest-example.png)" in text
    assert PICTURE.stat().st_size < 150_000
    image = Image.open(PICTURE)
    image.load()
    assert image.format == "PNG"
    example = re.search(r"```text\n(.*?)```", text, re.S).group(1)
    rendered = render_text(race_day, "en").splitlines()
    documented = example.splitlines()
    upto = next(i for i, line in enumerate(rendered) if line.startswith("🚨"))  # volume and topics
    assert documented[:upto] == rendered[:upto], "docs/digest.md is out of date: regenerate it (see the page)"
