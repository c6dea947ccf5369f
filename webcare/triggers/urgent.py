"""High-urgency single message: a safety risk, a legal threat, the press, a large audience.

One incident per kind of signal while messages with it keep coming (twenty people reporting
the same crush at the finish are one situation). The classifier's reasons say what it found ("safety risk:
'ambulance'", "legal threat: 'advocaat'"); a playbook lists which reasons alone are enough.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Literal

from webcare.classify.memo import Memo
from webcare.settings import at_least, setting
from webcare.triggers import Finding, Seen
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
    sees_brand = False
    tick_seconds = 3600.0

    def __init__(self, options: Options, sensitivity: str = "balanced"):
        self.options = options
        self.prefixes = tuple(options.reasons)  # str.startswith takes them all at once
        # the reasons that alone are enough, per combination of reasons: the classifier gives
        # the same few combinations again and again, and every message is asked
        self._enough: Memo[tuple[str, ...]] = Memo(self._alone_enough, limit=4096)

    def new_state(self) -> dict[str, deque[tuple[float, str]]]:
        return {}

    def observe(self, state: dict, seen: Seen, matched: bool) -> list[Finding]:
        message, score = seen.message, seen.score
        alone = self._enough[score.reasons]
        followers = message.author.followers or 0
        reach = (self.options.min_followers and followers >= self.options.min_followers
                 and (score.label == "neg" or score.complaint))
        pressing = score.urgency >= self.options.min_urgency
        if not (alone or reach or pressing):
            return []  # most messages: decided without building anything
        why = list(alone)
        if reach:
            why.append(f"author reach: {followers:,} followers")
        if pressing:
            why.append(f"high urgency {score.urgency:.2f}")
        # one situation per kind of signal: twenty people reporting the same danger are one incident
        category = why[0].split(":")[0].rsplit(" ", 1)[0] if why[0].startswith("high urgency") else why[0].split(":")[0]
        seen_before = state.get(category)
        if seen_before is None:
            seen_before = state[category] = deque()
        # in time order, so what falls out of the grouping window is at the front: a flood of
        # reports (a crush at the finish) then costs each message the same, not a pass over all
        if not seen_before or seen.ts >= seen_before[-1][0]:
            seen_before.append((seen.ts, seen.uid))
        else:  # fetched late: connectors can page back in time
            bisect.insort(seen_before, (seen.ts, seen.uid))
        horizon = seen.t - self.options.group_hours * 3600
        while seen_before and seen_before[0][0] < horizon:
            seen_before.popleft()
        severity = None
        for reason in why:
            for prefix, level in self.options.severity_for.items():
                if reason.startswith(prefix):
                    severity = level
        size = len(seen_before)

        def explain():
            who = message.author.name or message.author.id
            count = f"{size} messages, latest" if size > 1 else "from"
            return (f"Urgent: {category} ({count} {who} on {message.platform}): {quote(message.text, 80)}",
                    tuple(dict.fromkeys((*why, *score.reasons))),
                    tuple(uid for _, uid in islice(seen_before, max(0, size - 5), None)))

        return [Finding(key=category, size=size, severity=severity, explain=explain)]

    def _alone_enough(self, reasons: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(r for r in reasons if r.startswith(self.prefixes))

    def tick(self, state: dict, now: datetime) -> list[Finding]:
        return []  # an urgent message stays urgent until a person acts or the incident times out
