"""High-urgency single message: a safety risk, a legal threat, the press, a large audience.

One incident per kind of signal while messages with it keep coming (twenty people reporting
the same crush at the finish are one situation). The classifier's reasons say what it found ("safety risk:
'ambulance'", "legal threat: 'advocaat'"); a playbook lists which reasons alone are enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from webcare.models import Message, Score
from webcare.settings import at_least, setting
from webcare.triggers import Finding
from webcare.triggers.text import quote

Severity = Literal["low", "medium", "high", "critical"]


@dataclass(frozen=True)
class Options:
    min_urgency: float = setting(0.75, check=at_least(0), help="urgency score (0..1) that alone is enough")
    reasons: list[str] = setting(factory=lambda: ["safety risk", "legal threat", "press"],
                                 help="classifier reasons that alone are enough")
    min_followers: int = setting(10000, check=at_least(0), help="an unhappy author with this reach is enough (0 = off)")
    group_hours: float = setting(6.0, check=at_least(0), help="messages with the same signal this close are one incident")
    severity_for: dict[str, Severity] = setting(factory=lambda: {"safety risk": "critical"},
                                                help="raise the severity for these reasons")


class Urgent:
    kind = "urgent"
    Options = Options
    sees_unmatched = False
    tick_seconds = 3600.0

    def __init__(self, options: Options, sensitivity: str = "balanced"):
        self.options = options

    def new_state(self) -> dict[str, list[tuple[float, str]]]:
        return {}

    def observe(self, state: dict, message: Message, score: Score, now: datetime,
                matched: bool) -> list[Finding]:
        why = [r for r in score.reasons if any(r.startswith(p) for p in self.options.reasons)]
        followers = message.author.followers or 0
        unhappy = score.label == "neg" or score.complaint
        if self.options.min_followers and followers >= self.options.min_followers and unhappy:
            why.append(f"author reach: {followers:,} followers")
        if score.urgency >= self.options.min_urgency:
            why.append(f"high urgency {score.urgency:.2f}")
        if not why:
            return []
        # one situation per kind of signal: twenty people reporting the same danger are one incident
        category = why[0].split(":")[0].rsplit(" ", 1)[0] if why[0].startswith("high urgency") else why[0].split(":")[0]
        seen = state.setdefault(category, [])
        seen.append((message.created_at.timestamp(), message.uid))
        horizon = now.timestamp() - self.options.group_hours * 3600
        seen[:] = [s for s in seen if s[0] >= horizon]
        severity = None
        for reason in why:
            for prefix, level in self.options.severity_for.items():
                if reason.startswith(prefix):
                    severity = level
        who = message.author.name or message.author.id
        count = f"{len(seen)} messages, latest" if len(seen) > 1 else "from"
        return [Finding(
            key=category, size=len(seen),
            title=f"Urgent: {category} ({count} {who} on {message.platform}): {quote(message.text, 80)}",
            facts=tuple(dict.fromkeys((*why, *score.reasons))),
            message_ids=tuple(uid for _, uid in seen[-5:]), severity=severity)]

    def tick(self, state: dict, now: datetime) -> list[Finding]:
        return []  # an urgent message stays urgent until a person acts or the incident times out
