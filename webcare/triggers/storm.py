"""Complaint storm: many matching public messages within a short window on one channel."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from webcare.models import Message, Score
from webcare.settings import at_least, positive, setting
from webcare.triggers import Finding

# How `[engine] sensitivity` scales the minimum count: fewer alerts, or more.
SENSITIVITY = {"fewer": 1.5, "balanced": 1.0, "more": 0.7}


@dataclass(frozen=True)
class Options:
    window_minutes: float = setting(30.0, check=positive, help="how far back to count")
    min_count: int = setting(8, check=at_least(2), help="matching messages in the window that make a storm")
    group_by: Literal["platform", "conversation"] = setting(
        "platform", help="count per platform, or per post/thread")
    examples: int = setting(5, check=at_least(1), help="example messages carried in the alert")


class Storm:
    kind = "storm"
    Options = Options
    sees_brand_messages = False
    tick_seconds = 60.0

    def __init__(self, options: Options, sensitivity: str = "balanced"):
        self.options = options
        self.window = options.window_minutes * 60
        self.min_count = max(2, round(options.min_count * SENSITIVITY[sensitivity]))

    def new_state(self) -> dict[str, deque]:
        return {}

    def observe(self, state: dict[str, deque], message: Message, score: Score, now: datetime) -> list[Finding]:
        if self.options.group_by == "conversation":
            key = f"{message.platform}:{message.conversation_id or message.in_reply_to or message.id}"
        else:
            key = message.platform
        ts = min(message.created_at.timestamp(), now.timestamp())
        state.setdefault(key, deque()).append((ts, message.uid))
        return self._check(state, key, now)

    def tick(self, state: dict[str, deque], now: datetime) -> list[Finding]:
        found = []
        for key in list(state):
            found.extend(self._check(state, key, now))
            if not state[key]:
                del state[key]
        return found

    def _check(self, state: dict[str, deque], key: str, now: datetime) -> list[Finding]:
        window = state[key]
        horizon = now.timestamp() - self.window
        while window and window[0][0] < horizon:
            window.popleft()
        count = len(window)
        if count < self.min_count:
            return []
        minutes = round(self.options.window_minutes)
        where = key.replace(":", " / ")
        first = datetime.fromtimestamp(window[0][0], now.tzinfo)
        return [Finding(
            key=key, size=count,
            title=f"Complaint storm on {where}: {count} in {minutes} min",
            facts=(f"{count} matching public messages in the last {minutes} minutes "
                   f"(threshold {self.min_count})",
                   f"first in this window at {first:%H:%M}"),
            message_ids=tuple(uid for _, uid in list(window)[-self.options.examples:]),
        )]
