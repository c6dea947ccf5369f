"""Response target: messages about to pass, or past, their channel's response target.

Targets follow Dutch customer research (DESIGN.md): public social within an hour, e-mail and
Messenger within a working day. Time is counted in business hours with public holidays when
`business_hours` is on, so a Friday-evening e-mail is due on Monday, not on Saturday. A
warning comes `warn_before_minutes` before the breach; one incident per channel, raised to
the breach severity when the first message actually passes its target.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from itertools import islice
from typing import Literal

from webcare.business_hours import BusinessHours
from webcare.models import Message
from webcare.settings import at_least, positive, setting, timezone_name
from webcare.triggers import Finding, Seen
from webcare.triggers.text import age

DEFAULT_TARGETS = {"mention": 60.0, "comment": 60.0, "post": 60.0, "dm": 480.0, "email": 480.0,
                   "review": 1440.0}


@dataclass(frozen=True)
class Options:
    targets: dict[str, float] = setting(
        factory=lambda: dict(DEFAULT_TARGETS),
        help="minutes per platform or kind (a platform entry wins over a kind entry)")
    business_hours: bool = setting(True, help="count only opening hours (holidays closed)")
    hours: dict[str, str] = setting(
        factory=lambda: {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        help="opening hours per weekday, e.g. mon = \"09:00-17:00\"; days left out are closed")
    timezone: str = setting("Europe/Amsterdam", check=timezone_name)
    country: str = setting("NL", help="public holidays of this country ('' = none)")
    warn_before_minutes: float = setting(15.0, check=at_least(0), help="warn this long before a breach")
    breach_severity: Literal["low", "medium", "high", "critical"] = setting(
        "high", help="severity once a message is past its target")
    forget_hours: float = setting(168.0, check=positive, help="stop tracking after this long")
    examples: int = setting(5, check=at_least(1))


@dataclass
class State:
    # every tracked message: uid -> (channel, created ts); a plain tuple, because the state is
    # pickled in every snapshot and a week of unanswered messages is most of it
    waiting: dict[str, tuple[str, float]] = field(default_factory=dict)
    pending: list[tuple[float, str]] = field(default_factory=list)  # heap of (due, uid) not yet flagged
    soon: dict[str, dict[str, float]] = field(default_factory=dict)  # channel -> uid -> due, due soon
    late: dict[str, dict[str, float]] = field(default_factory=dict)  # channel -> uid -> due, in due order
    conversations: dict[str, set[str]] = field(default_factory=dict)  # private thread -> uids


class ResponseTarget:
    kind = "response_target"
    Options = Options
    sees_unmatched = False
    sees_brand = True  # brand replies stop the clock
    tick_seconds = 300.0  # five-minute steps are fine against a 15-minute warning

    def __init__(self, options: Options, sensitivity: str = "balanced"):
        self.options = options

    @cached_property
    def calendar(self) -> BusinessHours:
        if not self.options.business_hours:
            return BusinessHours.always_open(self.options.timezone)
        return BusinessHours(self.options.hours, tz=self.options.timezone,
                             country=self.options.country or None)

    def new_state(self) -> State:
        return State()

    def observe(self, state: State, seen: Seen, matched: bool) -> list[Finding]:
        message, uid = seen.message, seen.uid
        if message.from_brand:
            if not message.automated:
                self._answered(state, message)
            return []
        target = self.options.targets.get(message.platform, self.options.targets.get(message.kind))
        if target is None or uid in state.waiting:
            return []
        due = self.calendar.add_business_time_ts(seen.ts, target * 60)
        state.waiting[uid] = (_channel(message), seen.ts)
        heapq.heappush(state.pending, (due, uid))
        if not message.public:
            state.conversations.setdefault(_thread(message), set()).add(uid)
        return []

    def tick(self, state: State, now: datetime) -> list[Finding]:
        t = now.timestamp()
        while state.pending and state.pending[0][0] <= t + self.options.warn_before_minutes * 60:
            due, uid = heapq.heappop(state.pending)
            w = state.waiting.get(uid)
            if w is not None:
                _add_in_due_order(state.soon.setdefault(w[0], {}), uid, due)
        for channel, items in state.soon.items():
            if items and next(iter(items.values())) <= t:
                self._now_late(items, state.late.setdefault(channel, {}), t)
        horizon = t - self.options.forget_hours * 3600
        for items in state.late.values():
            while items:
                uid = next(iter(items))
                if state.waiting[uid][1] >= horizon:
                    break
                del items[uid]
                del state.waiting[uid]
        channels = sorted({c for c, i in state.soon.items() if i} | {c for c, i in state.late.items() if i})
        return [self._finding(c, state.late.get(c, {}), state.soon.get(c, {}), t) for c in channels]

    @staticmethod
    def _now_late(soon: dict[str, float], late: dict[str, float], t: float) -> None:
        """Move what is due by `t` from `soon` to `late`, both in due order: only the first
        entries of `soon` can be falling due, so a tick need not walk the rest (at 09:45 a
        night's mail can be due at once, and is due at 10:00 in one go)."""
        moved = []
        for uid, due in soon.items():
            if due > t:
                break
            moved.append(uid)
        for uid in moved:
            late[uid] = soon.pop(uid)

    def _finding(self, channel: str, late: dict[str, float], soon: dict[str, float], t: float) -> Finding:
        def explain():
            if late:
                worst = next(iter(late.values()))
                title = (f"{len(late)} {channel} message(s) past the response target, "
                         f"longest overdue {age(t - worst)}")
            else:
                title = (f"{len(soon)} {channel} message(s) reach their response target within "
                         f"{age(min(soon.values()) - t)}")
            facts = (f"{len(late)} past the target, {len(soon)} due within "
                     f"{self.options.warn_before_minutes:g} min",
                     "counted in business hours" if self.options.business_hours else "counted in clock time")
            ids = [*islice(late, self.options.examples), *sorted(soon, key=soon.get)]
            return title, facts, tuple(ids[: self.options.examples])

        return Finding(key=channel, size=len(late) + len(soon), explain=explain,
                       severity=self.options.breach_severity if late else None)

    def _answered(self, state: State, reply: Message) -> None:
        uids = set(state.conversations.pop(_thread(reply), ())) if not reply.public else set()
        if reply.in_reply_to:
            uids.add(f"{reply.platform}:{reply.in_reply_to}")
        for uid in uids:
            w = state.waiting.pop(uid, None)
            if w is not None:
                state.soon.get(w[0], {}).pop(uid, None)
                state.late.get(w[0], {}).pop(uid, None)


def _add_in_due_order(items: dict[str, float], uid: str, due: float) -> None:
    """Entries arrive from the pending heap in due order, except when a message came in
    late (connectors can walk back in time) with a due time before one already warned of;
    then the channel's entries are put back in order."""
    if items and next(reversed(items.values())) > due:
        items[uid] = due
        ordered = sorted(items.items(), key=lambda item: item[1])
        items.clear()
        items.update(ordered)
    else:
        items[uid] = due


def _channel(message: Message) -> str:
    return _channel_name(message.platform, message.public)


@lru_cache(maxsize=256)
def _channel_name(platform: str, public: bool) -> str:
    """One string object per channel: every waiting message names its channel, and the saved
    state (pickled in every snapshot) then holds each name once instead of once per message."""
    return f"{platform} {'public' if public else 'private'}"


def _thread(message: Message) -> str:
    return f"{message.platform}:{message.conversation_id or message.in_reply_to or message.id}"
