"""Complaint storm: matching public messages far above their own baseline, within minutes.

Peers compare the last hour with the last 12 or a day with a week, and so fire an hour or
more after onset. Here every message is tested at once against what is normal for this
platform at this hour of this weekday (learned as it goes), over several short windows:
the count must be at least `min_count` (two angry tweets at night are no storm), several
times the expectation, and improbable under it (Poisson tail below the sensitivity's level).

The expectation is the larger of two estimates, so a busy day is not mistaken for a storm:
the learned hour-of-week (or, early on, hour-of-day) rate of matching messages, and the
current volume of other messages times the usual ratio between the two. A prior rate
fills in while there is little history, so a quiet start is not over-sensitive. Hours
in which a storm was seen are not learned from.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Literal
from zoneinfo import ZoneInfo

from webcare.models import Message, parse_time
from webcare.settings import at_least, iso_time, positive, setting, timezone_name
from webcare.triggers import Finding, Seen

# Sensitivity: (min_count factor, Poisson tail level, minimal ratio to the expectation).
SENSITIVITY = {"fewer": (1.5, 1e-9, 4.0), "balanced": (1.0, 1e-7, 3.0), "more": (0.75, 1e-5, 2.0)}
HOUR = 3600.0
DAY = 86400.0
RECHECK = 30.0
COLD_START_RATIO = 0.5  # matching per other public message assumed at least, early on
COLD_START_HOURS = 6.0  # how long "early on" lasts: until this many hours are learned


@dataclass(frozen=True)
class Event:
    name: str = setting(help="what is happening, e.g. 'Zuiderloop 2026'")
    start: str = setting(check=iso_time, help="ISO time the event starts (with offset)")
    end: str = setting(check=iso_time, help="ISO time the event ends (with offset)")
    keywords: list[str] = setting(factory=list, help="hashtags or words that tie a message to the event")
    watch_hours: float = setting(48.0, check=at_least(0), help="keep the sharper watch this long after the end")
    min_count: int = setting(3, check=at_least(2), help="storm threshold for event messages")


@dataclass(frozen=True)
class Options:
    windows_minutes: list[float] = setting(factory=lambda: [10.0, 30.0, 60.0],
                                           help="windows tested at every message")
    min_count: int = setting(5, check=at_least(2), help="matching messages a storm needs at least")
    group_by: Literal["platform", "conversation"] = setting(
        "platform", help="learn and count per platform, or per post/thread")
    prior_per_hour: float = setting(0.5, check=positive,
                                    help="assumed normal rate of matching messages before history exists")
    prior_days: float = setting(2.0, check=at_least(0), help="how many days of history the prior weighs")
    memory_days: float = setting(14.0, check=positive, help="how fast the baseline forgets")
    timezone: str = setting("Europe/Amsterdam", check=timezone_name, help="for hour-of-day rhythm")
    examples: int = setting(5, check=at_least(1), help="example messages carried in the alert")
    events: list[Event] = setting(factory=list, help="planned events watched more closely")


@dataclass
class Group:
    recent: list[deque] = field(default_factory=list)  # per window: (ts, uid) of matching messages
    others: list[deque] = field(default_factory=list)  # per window: ts of other messages
    hour: float = 0.0  # start of the hour being counted
    hour_matching: int = 0
    hour_other: int = 0
    by_hour_of_day: list[float] = field(default_factory=lambda: [0.0] * 24)
    by_hour_of_week: list[float] = field(default_factory=lambda: [0.0] * 168)
    other_total: float = 0.0  # learned hourly volume of other messages (sum over hours seen)
    matching_total: float = 0.0
    hours_seen: float = 0.0
    storming: bool = False
    checked: float = 0.0  # when a storm was last confirmed; re-tested at most every RECHECK s
    # (hour, usual matching per other message, normal matching per window): these change hourly
    expected: tuple[float, float, tuple[float, ...]] = (-1.0, 0.0, ())
    stormy_hour: bool = False  # a storm was seen during the hour being counted: do not learn it


class Storm:
    kind = "storm"
    Options = Options
    sees_unmatched = True  # other traffic tells a busy day from a storm
    sees_brand = True  # any message moves the hour being counted on
    tick_seconds = 60.0

    def __init__(self, options: Options, sensitivity: str = "balanced"):
        self.options = options
        factor, self.alpha, self.ratio = SENSITIVITY[sensitivity]
        self.min_count = max(2, math.ceil(options.min_count * factor))
        self.windows = sorted(w * 60 for w in options.windows_minutes) or [1800.0]
        self.tz = ZoneInfo(options.timezone)
        self.events = [_EventWindow(e, factor) for e in options.events]
        self.by_platform = options.group_by == "platform"

    def new_state(self) -> dict[str, Group]:
        return {}

    # --- events -------------------------------------------------------------------------
    def observe(self, state: dict[str, Group], seen: Seen, matched: bool) -> list[Finding]:
        message, t, uid = seen.message, seen.t, seen.uid
        ts = min(seen.ts, t)
        key = message.platform if self.by_platform else self._key(message)
        group = state.get(key) or state.setdefault(key, self._group(ts))
        if ts >= group.hour + HOUR:
            self._roll(group, ts)
        if not matched:
            if message.public and not message.from_brand:
                for window in group.others:
                    window.append(ts)
                group.hour_other += 1
            return []
        for window in group.recent:
            window.append((ts, uid))
        group.hour_matching += 1
        # during a flood the storm is already known: re-testing every message adds nothing
        found = [] if group.storming and t - group.checked < RECHECK else self._check(key, group, t, self.min_count)
        text = message.text.lower() if self.events else ""
        for event in self.events:
            if event.covers(ts) and event.matches(text):
                ekey = f"event:{event.name}"
                egroup = state.get(ekey) or state.setdefault(ekey, self._group(ts))
                for window in egroup.recent:
                    window.append((ts, uid))
                found += self._check(ekey, egroup, t, event.min_count, event.name)
        return found

    def tick(self, state: dict[str, Group], now: datetime) -> list[Finding]:
        found = []
        t = now.timestamp()
        for key, group in list(state.items()):
            self._roll(group, t)
            event = key.startswith("event:")
            found += self._check(key, group, t, self._event_min(key) if event else self.min_count,
                                 key[6:] if event else None)
            if event and not group.recent[-1] and not any(e.covers(t) for e in self.events
                                                      if f"event:{e.name}" == key):
                del state[key]
        return found

    # --- the test -----------------------------------------------------------------------
    def _check(self, key: str, group: Group, t: float, min_count: int,
               event: str | None = None) -> list[Finding]:
        for window, recent, others in zip(self.windows, group.recent, group.others):
            cut = t - window
            while recent and recent[0][0] < cut:
                recent.popleft()
            while others and others[0] < cut:
                others.popleft()
        if len(group.recent[-1]) < min_count:
            group.storming = False
            return []
        if group.expected[0] != group.hour:
            hourly = self._expected_hourly(group, t)
            group.expected = (group.hour, self._ratio_to_others(group),
                              tuple(hourly * window / HOUR for window in self.windows))
        _, ratio, learned = group.expected
        # other traffic in a short window is a handful of messages: its rate over the longest
        # window is steadier, and a sudden rush still counts through the window's own count
        other_rate = len(group.others[-1]) / self.windows[-1]
        best = None
        at_least, alpha = self.ratio, self.alpha
        for window, recent, others, usual in zip(self.windows, group.recent, group.others, learned):
            count = len(recent)
            # the expectation is at least the learned rate: most windows fail on that alone
            if count < min_count or (event is None and count < at_least * usual):
                continue
            # the expectation is the larger of the learned rate and other traffic times its ratio
            n_others, by_rate = len(others), other_rate * window
            by_others = (n_others if n_others >= by_rate else by_rate) * ratio
            expected = usual if usual >= by_others else by_others
            if event is None and (count < at_least * expected or _poisson_tail(count, expected) > alpha):
                continue
            best = (window, recent, count, expected)  # the longest window that passes tells the most
        if best is None:
            group.storming = False
            return []
        group.storming = group.stormy_hour = True
        group.checked = t
        window, recent, count, expected = best

        def explain():
            minutes = round(window / 60)
            where = f"event {event}" if event else key.replace(":", " / ")
            first = recent[0][0]
            examples = [uid for _, uid in islice(reversed(recent), self.options.examples)][::-1]
            facts = (f"{count} matching public messages in the last {minutes} minutes, "
                     f"normally about {expected:.1f} (threshold {min_count})",
                     f"first in this window at {datetime.fromtimestamp(first, self.tz):%H:%M}")
            if event:
                facts += (f"planned event {event}: watched with a lower threshold",)
            return f"Complaint storm on {where}: {count} in {minutes} min", facts, tuple(examples)

        return [Finding(key=key, size=count, explain=explain)]

    def _expected_hourly(self, group: Group, t: float) -> float:
        """Normal matching messages per hour at this hour, blended with the prior early on."""
        days = group.hours_seen / 24
        local = datetime.fromtimestamp(t, self.tz)
        if days >= 14:
            learned = group.by_hour_of_week[local.weekday() * 24 + local.hour]
            learned = max(learned, group.by_hour_of_day[local.hour] * 0.5)
        else:
            learned = group.by_hour_of_day[local.hour]
        # the rhythm never pushes the expectation below a quarter of the day's mean rate
        mean = group.matching_total / group.hours_seen if group.hours_seen else 0.0
        learned = max(learned, mean / 4)
        prior = self.options.prior_days
        blended = (days * learned + prior * self.options.prior_per_hour) / (days + prior) if days + prior else learned
        return max(learned, blended)  # the prior guards a quiet start; it never hides a busy brand's normal

    def _ratio_to_others(self, group: Group) -> float:
        """Usual matching messages per other public message, with a prior of one in ten.

        Until six hours are learned the prior is no guide: a busy brand's ordinary complaints
        can be a third of its other mentions, and read against one in ten they look like a
        storm within minutes of a first start (after two hours the prior of 48 messages still
        pulled a true 0.5 down to 0.27, and an unlucky hour read as a storm). So up to then
        half is assumed; a real storm, in which complaints outnumber everything else, still
        stands out.
        """
        if not group.hours_seen:
            return COLD_START_RATIO
        prior = self.options.prior_days * 24
        ratio = (group.matching_total + prior * 0.1) / (group.other_total + prior)
        return max(ratio, COLD_START_RATIO) if group.hours_seen < COLD_START_HOURS else ratio

    def _roll(self, group: Group, t: float) -> None:
        """Close finished hours into the baseline (not while a storm is on)."""
        while t >= group.hour + HOUR:
            if not group.stormy_hour:
                local = datetime.fromtimestamp(group.hour, self.tz)
                n = group.hours_seen / 24
                a_day = 1 / min(n + 1, self.options.memory_days)
                a_week = 1 / min(n / 7 + 1, self.options.memory_days / 7 + 1)
                h, hw = local.hour, local.weekday() * 24 + local.hour
                group.by_hour_of_day[h] += a_day * (group.hour_matching - group.by_hour_of_day[h])
                group.by_hour_of_week[hw] += a_week * (group.hour_matching - group.by_hour_of_week[hw])
                group.matching_total += group.hour_matching
                group.other_total += group.hour_other
                group.hours_seen += 1
                if group.hours_seen > self.options.memory_days * 24:  # forget old volume slowly
                    keep = 1 - 1 / (self.options.memory_days * 24)
                    group.matching_total *= keep
                    group.other_total *= keep
                    group.hours_seen *= keep
            group.hour_matching = group.hour_other = 0
            group.stormy_hour = group.storming
            if t - group.hour > 2 * DAY:  # a long silence: jump, counting the empty hours
                skipped = math.floor((t - group.hour) / HOUR) - 1
                group.hours_seen += skipped
                group.hour += skipped * HOUR
            group.hour += HOUR

    def _group(self, ts: float) -> Group:
        n = len(self.windows)
        return Group(recent=[deque() for _ in range(n)], others=[deque() for _ in range(n)],
                     hour=_hour_start(ts))

    def _key(self, message: Message) -> str:
        if self.options.group_by == "conversation":
            return f"{message.platform}:{message.conversation_id or message.in_reply_to or message.id}"
        return message.platform

    def _event_min(self, key: str) -> int:
        return next((e.min_count for e in self.events if f"event:{e.name}" == key), self.min_count)


class _EventWindow:
    def __init__(self, event: Event, factor: float):
        self.name = event.name
        self.keywords = [k.lower() for k in event.keywords]
        self.start = parse_time(event.start, "start").timestamp()
        self.until = parse_time(event.end, "end").timestamp() + event.watch_hours * HOUR
        self.min_count = max(2, math.ceil(event.min_count * factor))

    def covers(self, ts: float) -> bool:
        return self.start <= ts <= self.until

    def matches(self, text: str) -> bool:
        return any(k in text for k in self.keywords)


def _hour_start(ts: float) -> float:
    return ts - ts % HOUR


def _poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), computed in log space so large k stays exact enough."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    log_term = -lam + k * math.log(lam) - math.lgamma(k + 1)  # P(X = k)
    total, term, i = 0.0, math.exp(log_term), k
    while term > 1e-300 and i < k + 1000:
        total += term
        i += 1
        term *= lam / i
        if term < total * 1e-12:
            break
    return min(1.0, total)
