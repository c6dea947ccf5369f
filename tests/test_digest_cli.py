"""`webcare digest`: the same digest as text, HTML and PNG files, without sending anything."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from PIL import Image
from test_digest_content import HOSTILE, NOW, fill_store

from webcare.commands_digest import main
from webcare.store import Store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "webcare.db"
    store = Store(path)
    fill_store(store)
    store.close()
    return path


def test_it_writes_text_html_and_chart_for_a_day(db, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--db", str(db), "--date", "2026-10-14", "--out", str(out), "--now", NOW.isoformat()]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("📊 Zuiderloop — Dagoverzicht wo 14 okt 2026")
    assert (out / "digest.txt").read_text(encoding="utf-8") == printed
    page = (out / "digest.html").read_text(encoding="utf-8")
    assert '<img src="chart.png"' in page and "16 van klanten" in page
    assert "&lt;b&gt;geen medaille&lt;/b&gt;" in page and HOSTILE not in page
    image = Image.open(io.BytesIO((out / "chart.png").read_bytes()))
    image.load()
    assert image.format == "PNG"


def test_by_default_the_figures_are_those_of_the_morning_after(db, capsys):
    if datetime.now(timezone.utc) < NOW:
        pytest.skip("the machine's clock is before the fixture's morning")
    assert main(["--db", str(db), "--date", "2026-10-14"]) == 0
    default = capsys.readouterr().out
    assert main(["--db", str(db), "--date", "2026-10-14", "--now", NOW.isoformat()]) == 0
    assert capsys.readouterr().out == default


def test_english_and_weekly(db, capsys):
    assert main(["--db", str(db), "--date", "2026-10-14", "--weekly", "--lang", "en",
                 "--now", "2026-10-19T08:00:00+02:00"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("📊 Zuiderloop — Weekly digest Mon 12 Oct – Sun 18 Oct 2026")
    assert "compared with the week before (Mon 5 Oct – Sun 11 Oct 2026)" in text


def test_a_digest_for_a_day_that_has_not_begun_is_refused(db, capsys):
    assert main(["--db", str(db), "--date", "2026-10-20", "--now", NOW.isoformat()]) == 2
    assert "has not begun" in capsys.readouterr().err


def test_a_missing_database_is_explained(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "nope.db"), "--date", "2026-10-14"]) == 2
    assert "no such database" in capsys.readouterr().err


def test_a_config_section_sets_language_and_time(db, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[digest]\nlanguage = "en"\ntime = "09:30"\n')
    code = main(["--db", str(db), "--date", "2026-10-14", "--config", str(cfg), "--now", NOW.isoformat()])
    err = capsys.readouterr()
    if code == 2 and "digest: unknown section" in err.err:
        pytest.skip("webcare.config has no [digest] section yet")
    assert code == 0 and err.out.startswith("📊 Zuiderloop — Daily digest Wed 14 Oct 2026")
