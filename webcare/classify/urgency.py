"""How soon a human should look: urgency in [0, 1] with the reasons a human can read.

Each signal (strong negativity, a legal threat, a safety risk, churn, press, a public post,
the author's reach, repeat contact, waiting time) contributes a weight; they combine as
independent chances (1 - prod(1 - w)), so more signals always mean more urgency and the
result never leaves [0, 1]. Reasons are ordered strongest first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import itemgetter
from typing import Mapping

from webcare.classify.cues import AGAIN, CHURN, LASTING, LEGAL, PRESS, SAFETY, SAFETY_NL, WAITING, Cue

# Words that raise urgency whatever the sentiment, with their weight.
TEXT_CUES: tuple[tuple[Cue, float], ...] = (
    (SAFETY, 0.5), (SAFETY_NL, 0.5), (LEGAL, 0.45), (PRESS, 0.35), (CHURN, 0.3),
    (AGAIN, 0.15), (WAITING, 0.15), (LASTING, 0.15),
)


@dataclass(frozen=True, slots=True)
class UrgencyContext:
    """What the caller knows beyond the text: earlier contacts and time without an answer."""

    repeat_contacts: int = 0  # earlier messages by the same customer on this issue
    waiting_minutes: float | None = None  # since the customer's first unanswered message


_NO_CONTEXT = UrgencyContext()  # immutable: one for every call without a context


def urgency(
    compound: float, complaint: bool, found: Mapping[Cue, str], *, public: bool = False,
    followers: int | None = None, context: UrgencyContext | None = None,
) -> tuple[float, tuple[str, ...]]:
    """Urgency in [0, 1] and the reasons for it, strongest first.

    `found` are the cue families in the text (`cues.find_cues`), `compound` its sentiment.
    """
    signals: list[tuple[float, str]] = []
    if compound <= -0.6:
        signals.append((0.35, f"strong negative sentiment ({compound:+.2f})"))
    elif compound <= -0.3:
        signals.append((0.15, f"negative sentiment ({compound:+.2f})"))
    if complaint:
        signals.append((0.15, "complaint"))
    seen: set[str] = set()
    for c, weight in TEXT_CUES if found else ():
        if c in found and c.name not in seen:
            seen.add(c.name)
            signals.append((weight, c.reason(found[c])))
    unhappy = complaint or compound <= -0.3
    if public and unhappy:
        signals.append((0.15, "public post: others can see it"))
    if followers and followers >= 1000 and unhappy:
        weight = min(0.4, 0.12 + 0.1 * math.log10(followers / 1000))
        signals.append((round(weight, 3), f"author reach: {followers:,} followers"))
    ctx = context or _NO_CONTEXT
    if ctx.repeat_contacts > 0:
        weight = min(0.6, 0.2 * ctx.repeat_contacts)
        signals.append((weight, f"repeat contact: {ctx.repeat_contacts} earlier message(s)"))
    if ctx.waiting_minutes is not None and ctx.waiting_minutes >= 60:
        hours = ctx.waiting_minutes / 60
        weight = min(0.5, 0.1 * math.log2(1 + hours))
        waited = _duration(ctx.waiting_minutes)
        signals.append((round(weight, 3), f"waiting {waited} without answer"))
    remaining = 1.0
    for weight, _ in signals:
        remaining *= 1.0 - weight
    signals.sort(key=itemgetter(0), reverse=True)  # stable: equal weights keep their order
    return round(1.0 - remaining, 4), tuple(reason for _, reason in signals)


def _duration(minutes: float) -> str:
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h"
    return f"{minutes / 1440:.0f} days"
