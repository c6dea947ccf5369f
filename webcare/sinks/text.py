"""Plain-text rendering of alerts, shared by the console and anything else without markup."""

from __future__ import annotations

import re
import unicodedata

from webcare.models import Alert
from webcare.sinks import Example

# Control characters, zero-width and bidi-override characters: untrusted text must not hide
# or reorder what a person reads.
UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
KIND_LABEL = {"open": "NEW", "update": "UPDATE", "escalate": "ESCALATION", "close": "CALMED DOWN",
              "resolve": "RESOLVED", "system": "SYSTEM"}


def clean(text: str, limit: int = 280) -> str:
    """Untrusted text made safe for a terminal: no control or bidi characters, one line, bounded."""
    text = UNSEEN.sub("", unicodedata.normalize("NFC", text)).replace("\n", " ").replace("\t", " ")
    text = re.sub(r"\s{2,}", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(alert: Alert, examples: list[Example]) -> str:
    head = f"[{alert.severity.upper()}] {KIND_LABEL.get(alert.kind, alert.kind.upper())}: {clean(alert.title)}"
    lines = [head, f"  incident {alert.incident} (#{alert.seq}) at {alert.at:%Y-%m-%d %H:%M %z}"
             + (f" -> {', '.join(alert.recipients)}" if alert.recipients else "")]
    lines += [f"  - {clean(r)}" for r in alert.reasons]
    for message, score in examples:
        mood = f" ({score.label} {score.compound:+.2f})" if score else ""
        who = clean(message.author.name or message.author.id, 40)
        lines.append(f"  > {message.platform} · {who}{mood}: \"{clean(message.text, 200)}\"")
        if message.url:
            lines.append(f"    {clean(message.url, 200)}")
    return "\n".join(lines)
