"""The `[digest]` config section: when the digest goes out, in which language, to whom."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from webcare.settings import positive, setting

LANGUAGES = ("nl", "en")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def clock_time(value: str) -> str | None:
    return None if _TIME.match(value) else f"expected a local time 'HH:MM' such as '08:00', got {value!r}"


def optional_timezone(value: str) -> str | None:
    from webcare.settings import timezone_name

    return None if value == "" else timezone_name(value)


def _languages(value: dict[str, str]) -> str | None:
    for name, lang in value.items():
        if lang not in LANGUAGES:
            return f"{name}: expected one of {', '.join(map(repr, LANGUAGES))}, got {lang!r}"
    return None


@dataclass(frozen=True)
class DigestConfig:
    enabled: bool = setting(True, help="send the digest on Telegram (needs [telegram] to be on)")
    time: str = setting("08:00", check=clock_time, help="local time the digest goes out, 'HH:MM'")
    timezone: str = setting("", check=optional_timezone,
                            help="time zone of `time` and of the figures; empty = [brand] timezone")
    language: Literal["nl", "en"] = setting("nl", help="language of the digest: 'nl' or 'en'")
    languages: dict[str, str] = setting(factory=dict, check=_languages,
                                        help="per recipient language, e.g. { lead = 'en' }")
    recipients: list[str] = setting(
        factory=lambda: ["lead"], help="names from [telegram] chats or people; each gets its own "
        "digest (unknown names go to telegram.fallback_recipient, like alerts)")
    daily: bool = setting(True, help="send a digest of the previous day every day")
    weekly: bool = setting(True, help="also send a weekly digest comparing with the week before")
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = setting(
        "mon", help="day the weekly digest goes out (it covers the 7 days before)")
    gap_hours: float = setting(6.0, check=positive,
                               help="a connector with no messages this long, when it usually has some, is reported")

    @property
    def hour(self) -> int:
        return int(self.time.split(":")[0])

    @property
    def minute(self) -> int:
        return int(self.time.split(":")[1])

    def language_for(self, recipient: str) -> str:
        return self.languages.get(recipient, self.language)

    def timezone_or(self, brand_timezone: str) -> str:
        return self.timezone or brand_timezone


def config_problems(config) -> list[str]:
    """What `webcare check-config` should add about [digest]: recipients nobody configured."""
    digest = getattr(config, "digest", None)
    if digest is None or not digest.enabled:
        return []
    tg = config.telegram
    known = set(tg.people) | set(tg.chats) | {"oncall"}
    if not (tg.people or tg.chats):
        return []
    return [f"digest.recipients: {name!r} is not a name in telegram.chats or telegram.people "
            f"(the digest would go to {tg.fallback_recipient!r})"
            for name in digest.recipients if name not in known]
