"""The [digest] config section: every bad value explained with its key path."""

from __future__ import annotations

from types import SimpleNamespace

from webcare import config
from webcare.digest.config import DigestConfig, config_problems
from webcare.settings import build


def problems_of(table: dict) -> list[str]:
    problems: list[str] = []
    build(DigestConfig, table, "digest", problems)
    return problems


def test_defaults_send_a_dutch_digest_to_the_lead_at_eight():
    cfg = DigestConfig()
    assert (cfg.time, cfg.language, cfg.recipients, cfg.daily, cfg.weekly, cfg.weekday) == (
        "08:00", "nl", ["lead"], True, True, "mon")
    assert cfg.timezone_or("Europe/Amsterdam") == "Europe/Amsterdam"
    assert DigestConfig(languages={"lead": "en"}).language_for("lead") == "en"


def test_bad_values_are_explained():
    problems = problems_of({"time": "8 uur", "timezone": "Mars/Olympus", "language": "de",
                            "languages": {"lead": "fr"}, "weekday": "monday", "gap_hours": 0, "colour": 1})
    text = "\n".join(problems)
    assert "digest.time: expected a local time 'HH:MM'" in text
    assert "digest.timezone: expected an IANA time zone" in text
    assert "digest.language: expected one of 'nl', 'en'" in text
    assert "digest.languages: lead: expected one of 'nl', 'en', got 'fr'" in text
    assert "digest.weekday: expected one of 'mon'" in text
    assert "digest.gap_hours: expected a number above 0" in text
    assert "digest.colour: unknown key" in text
    assert problems_of({"time": "07:30", "recipients": ["lead", "team"], "weekly": False}) == []


def test_check_config_names_recipients_nobody_configured():
    cfg = config.from_dict({"telegram": {"people": {"alice": 1}, "chats": {"team": -5}}})
    with_digest = SimpleNamespace(telegram=cfg.telegram, digest=DigestConfig(recipients=["team", "lead", "oncall"]))
    assert config_problems(with_digest) == [
        "digest.recipients: 'lead' is not a name in telegram.chats or telegram.people "
        "(the digest would go to 'team')"]
    assert config_problems(SimpleNamespace(telegram=cfg.telegram, digest=DigestConfig(enabled=False))) == []
