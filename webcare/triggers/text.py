"""Small wording helpers shared by the triggers' alert texts."""

from __future__ import annotations

from datetime import datetime


def age(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_month(when: datetime) -> str:
    """'05 Oct', as strftime's '%d %b' in the C locale, without its locale look-up (a few
    microseconds, on every repeat-contact update)."""
    return f"{when.day:02d} {MONTHS[when.month - 1]}"
