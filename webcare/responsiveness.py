"""Facebook's "typically replies within ..." label and "very responsive" badge, recomputed.

Facebook shows customers how fast a Page answers its inbox and offers no API field for it,
so webcare recomputes it from the messages by the documented rules (DESIGN.md):

- Counted message: a customer message that is the first after at least 24 h with no
  messages either way in that conversation. Auto-replies (instant replies, away messages,
  recognised templates) are not messages for this rule and never count as replies.
- Not counted: messages received while the Page was away, spam, conversations marked done
  (all optional inputs).
- Window: the 30 days before the last counted message; when that holds fewer than 10
  counted messages, the last 10 (all of them when there are fewer).
- Response time: the mean of the fastest 90 % of first replies (the slowest
  floor(n / 10) are dropped). Response rate: replied / (replied + not replied in time).
  A counted message without a reply within `answer_deadline` (24 h) counts as not replied;
  younger ones are still waiting and count for neither yet.
- Badge: response rate >= 90 % and response time <= 15 min over the past 7 days.
- Label thresholds are not published: `ResponsivenessRules.labels` holds ours.

`forecast_label` answers the question the webcare team acts on: which waiting messages
would push the label (or the badge) down, and how long is left to answer them.
Public threads are measured with the same rules but reported separately: Facebook's label
ignores them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import compress
from typing import Any, Callable, Collection, Sequence

import numpy as np

from webcare.metrics import MetricsConfig, first_responses, looks_like_auto_reply, thread_keys
from webcare.models import Message

HOUR = 3600.0
DAY = 24 * HOUR
NO_LABEL = "no label"


@dataclass(frozen=True)
class ResponsivenessRules:
    """The rules, with Facebook's documented values as defaults; labels are our guess."""

    silence: float = DAY
    window: float = 30 * DAY
    min_messages: int = 10
    fastest_share: float = 0.9
    answer_deadline: float = DAY
    badge_window: float = 7 * DAY
    badge_rate: float = 0.9
    badge_seconds: float = 15 * 60
    labels: tuple[tuple[str, float], ...] = (
        ("within minutes", 15 * 60),
        ("within an hour", HOUR),
        ("within a few hours", 6 * HOUR),
        ("within a day", DAY),
    )
    platforms: tuple[str, ...] = ("facebook", "messenger")

    def label_for(self, seconds: float | None) -> str | None:
        """The label for a mean response time; None when slower than every threshold."""
        if seconds is None:
            return None
        for name, limit in self.labels:
            if seconds <= limit:
                return name
        return None

    def rank(self, label: str | None) -> int:
        """0 for the best label; larger is worse; no label is worst."""
        names = [name for name, _ in self.labels]
        return names.index(label) if label in names else len(names)


@dataclass(frozen=True)
class Exclusions:
    """What Facebook leaves out, as far as webcare can know it.

    `away`: periods (start, end) in which the Page was set to away; `spam`: message ids or
    uids ("platform:id"); `done`: conversation ids (or thread keys) marked done.
    """

    away: Sequence[tuple[datetime, datetime]] = ()
    spam: Collection[str] = frozenset()
    done: Collection[str] = frozenset()


@dataclass(frozen=True)
class Figures:
    """Responsiveness over one set of counted messages, as of `at`."""

    counted: int
    replied: int
    not_replied: int
    waiting: int
    response_rate: float | None
    response_seconds: float | None
    label: str | None
    window_start: datetime | None
    window_end: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "counted": self.counted, "replied": self.replied, "not_replied": self.not_replied,
            "waiting": self.waiting,
            "response_rate": None if self.response_rate is None else round(self.response_rate, 4),
            "response_minutes": None if self.response_seconds is None else round(self.response_seconds / 60, 2),
            "label": self.label,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
        }


@dataclass(frozen=True)
class Responsiveness:
    """What Facebook would show now (inbox), the badge check, and public threads apart."""

    now: datetime
    inbox: Figures
    badge_window: Figures
    very_responsive: bool
    public: Figures

    @property
    def label(self) -> str | None:
        return self.inbox.label

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(), "label": self.label,
            "very_responsive": self.very_responsive, "inbox": self.inbox.to_dict(),
            "badge_window": self.badge_window.to_dict(), "public": self.public.to_dict(),
        }


@dataclass(frozen=True)
class LabelForecast:
    """Whether waiting messages will push the label or the badge down, and by when.

    `reply_within_seconds` is the time left: answering all `waiting_ids` sooner keeps the
    label; answering them later (or not at all) drops it to `drops_to`. The playbook
    engine triggers on `at_risk` and `reply_within_seconds`.
    """

    now: datetime
    label: str | None
    response_seconds: float | None
    waiting_ids: tuple[str, ...]
    at_risk: bool
    drops_to: str | None = None
    reply_within_seconds: float | None = None
    very_responsive: bool = False
    badge_at_risk: bool = False
    badge_within_seconds: float | None = None
    badge_waiting_ids: tuple[str, ...] = ()

    @property
    def deadline(self) -> datetime | None:
        if self.reply_within_seconds is None:
            return None
        return self.now + timedelta(seconds=self.reply_within_seconds)

    @property
    def badge_deadline(self) -> datetime | None:
        if self.badge_within_seconds is None:
            return None
        return self.now + timedelta(seconds=self.badge_within_seconds)

    def describe(self) -> str:
        """One line for a chat alert."""
        n = len(self.waiting_ids)
        these = "this message gets" if n == 1 else f"these {n} messages get"
        if self.at_risk:
            assert self.reply_within_seconds is not None
            drop = f"label drops from '{self.label or NO_LABEL}' to '{self.drops_to or NO_LABEL}'"
            if self.reply_within_seconds <= 0:
                text = f"{drop} even if {these} a reply right now"
            else:
                text = f"{drop} unless {these} a reply {_within(self.reply_within_seconds)}"
        elif self.label is None:
            text = "no label yet"
        else:
            text = f"label '{self.label}' holds" + (f" ({n} waiting)" if n else "")
        if self.badge_at_risk:
            assert self.badge_within_seconds is not None
            k = len(self.badge_waiting_ids)
            which = "the waiting message gets" if k == 1 else f"{k} waiting messages get"
            text += (f"; 'very responsive' badge is lost unless {which} a reply "
                     f"{_within(self.badge_within_seconds)}")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(), "label": self.label,
            "response_minutes": None if self.response_seconds is None else round(self.response_seconds / 60, 2),
            "waiting_ids": list(self.waiting_ids), "at_risk": self.at_risk,
            "drops_to": self.drops_to, "reply_within_seconds": self.reply_within_seconds,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "very_responsive": self.very_responsive, "badge_at_risk": self.badge_at_risk,
            "badge_within_seconds": self.badge_within_seconds,
            "badge_deadline": self.badge_deadline.isoformat() if self.badge_deadline else None,
            "badge_waiting_ids": list(self.badge_waiting_ids),
            "text": self.describe(),
        }


def _within(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "within the minute"
    if minutes < 120:
        return f"in the next {minutes} minute{'s' if minutes != 1 else ''}"
    return f"in the next {minutes / 60:.1f} hours"


# -- counted messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    """Counted messages as arrays sorted by time: receipt, first reply (NaN: none), uid."""

    ts: np.ndarray
    reply: np.ndarray
    ids: tuple[str, ...]

    def subset(self, mask: np.ndarray) -> "_Counted":
        return _Counted(self.ts[mask], self.reply[mask], tuple(compress(self.ids, mask.tolist())))


def counted_messages(
    messages: Sequence[Message], rules: ResponsivenessRules = ResponsivenessRules(),
    exclusions: Exclusions = Exclusions(),
    auto_reply: Callable[[str], bool] = looks_like_auto_reply,
) -> tuple[_Counted, _Counted]:
    """The counted messages of the Page's inbox and, apart, of its public threads."""
    spam = set(exclusions.spam)
    done = set(exclusions.done)
    chosen = [m for m in messages
              if m.platform in rules.platforms and m.id not in spam and m.uid not in spam]
    if done:
        keys = thread_keys(chosen)
        chosen = [m for m, key in zip(chosen, keys)
                  if key not in done and (m.conversation_id or "") not in done]
    config = MetricsConfig(gap=rules.silence, auto_reply=auto_reply)
    away = [(a.timestamp(), b.timestamp()) for a, b in exclusions.away]
    private: list[tuple[float, float, str]] = []
    public: list[tuple[float, float, str]] = []
    for pair in first_responses(chosen, config):
        if not pair.opens_conversation:
            continue
        ts = pair.message.created_at.timestamp()
        if any(a <= ts < b for a, b in away):
            continue
        reply = pair.answered_at.timestamp() if pair.answered_at else math.nan
        (public if pair.message.public else private).append((ts, reply, pair.message.uid))
    return _as_counted(private), _as_counted(public)


def _as_counted(items: list[tuple[float, float, str]]) -> _Counted:
    items.sort(key=lambda item: item[0])
    return _Counted(
        np.array([i[0] for i in items], dtype=float),
        np.array([i[1] for i in items], dtype=float),
        tuple(i[2] for i in items),
    )


def label_window(counted: _Counted, rules: ResponsivenessRules) -> np.ndarray:
    """Mask of the counted messages in the label window (30 days or the last 10)."""
    n = counted.ts.size
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    mask = counted.ts >= counted.ts[-1] - rules.window
    if mask.sum() < rules.min_messages:
        mask[max(0, n - rules.min_messages):] = True
    return mask


def _figures(ts: np.ndarray, reply: np.ndarray, at: float, rules: ResponsivenessRules) -> Figures:
    """Figures as of epoch `at` (replies after `at` have not happened yet)."""
    with np.errstate(invalid="ignore"):
        delay = reply - ts
        replied = (reply <= at) & (delay <= rules.answer_deadline)
        expired = ~replied & (at - ts > rules.answer_deadline)
    times = np.sort(delay[replied])
    drop = int(math.floor(times.size * (1 - rules.fastest_share) + 1e-9))
    kept = times[: times.size - drop]
    seconds = float(kept.mean()) if kept.size else None
    n_replied, n_expired = int(replied.sum()), int(expired.sum())
    judged = n_replied + n_expired
    return Figures(
        counted=int(ts.size), replied=n_replied, not_replied=n_expired,
        waiting=int(ts.size) - judged, response_rate=n_replied / judged if judged else None,
        response_seconds=seconds, label=rules.label_for(seconds),
        window_start=_dt(ts[0]) if ts.size else None, window_end=_dt(ts[-1]) if ts.size else None,
    )


def _badge(figures: Figures, rules: ResponsivenessRules) -> bool:
    return (figures.response_rate is not None and figures.response_rate >= rules.badge_rate
            and figures.response_seconds is not None
            and figures.response_seconds <= rules.badge_seconds)


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), timezone.utc)


# -- the public API --------------------------------------------------------------------------


def responsiveness(
    messages: Sequence[Message], now: datetime, rules: ResponsivenessRules = ResponsivenessRules(),
    exclusions: Exclusions = Exclusions(),
) -> Responsiveness:
    """What Facebook would display at `now` for the Page whose messages these are."""
    private, public = counted_messages(_until(messages, now.timestamp()), rules, exclusions)
    return _responsiveness(private, public, now, rules)


def _responsiveness(private: _Counted, public: _Counted, now: datetime,
                    rules: ResponsivenessRules) -> Responsiveness:
    at = now.timestamp()
    inbox = private.subset(label_window(private, rules))
    recent = private.subset(private.ts > at - rules.badge_window)
    shown = public.subset(label_window(public, rules))
    badge_figures = _figures(recent.ts, recent.reply, at, rules)
    return Responsiveness(
        now=now, inbox=_figures(inbox.ts, inbox.reply, at, rules),
        badge_window=badge_figures, very_responsive=_badge(badge_figures, rules),
        public=_figures(shown.ts, shown.reply, at, rules),
    )


def forecast_label(
    messages: Sequence[Message], now: datetime, rules: ResponsivenessRules = ResponsivenessRules(),
    exclusions: Exclusions = Exclusions(),
) -> LabelForecast:
    """Which waiting counted messages would drop the label (or badge), and how soon.

    Assumes the waiting messages are all answered together at `now + x` and finds the
    smallest x at which the label is worse than today's (a reply later than the answer
    deadline is no reply). Between two deadlines the mean response time only grows with x,
    so each stretch is settled by checking its ends and bisecting to the second.
    """
    private, _ = counted_messages(_until(messages, now.timestamp()), rules, exclusions)
    return _forecast(private, now, rules)


def _forecast(private: _Counted, now: datetime, rules: ResponsivenessRules) -> LabelForecast:
    at = now.timestamp()
    inbox = private.subset(label_window(private, rules))
    current = _figures(inbox.ts, inbox.reply, at, rules)
    waiting = _waiting(inbox, at, rules)
    drop_at = None
    if current.label is not None:
        worse = _worse_if_answered(inbox, waiting, at, rules, current.label)
        drop_at = _first_true(lambda x: worse(at + x), inbox, waiting, at, rules)
    drops_to = None
    if drop_at is not None:
        hypo = _answered_at(inbox, waiting, at + drop_at)
        drops_to = _figures(inbox.ts, hypo, at + drop_at, rules).label

    recent = private.subset(private.ts > at - rules.badge_window)
    badge_now = _badge(_figures(recent.ts, recent.reply, at, rules), rules)
    badge_waiting = _waiting(recent, at, rules)

    def badge_lost(x: float) -> bool:
        hypo = _answered_at(recent, badge_waiting, at + x)
        return not _badge(_figures(recent.ts, hypo, at + x, rules), rules)

    badge_at = _first_true(badge_lost, recent, badge_waiting, at, rules) if badge_now else None
    return LabelForecast(
        now=now, label=current.label, response_seconds=current.response_seconds,
        waiting_ids=tuple(inbox.ids[i] for i in np.flatnonzero(waiting)),
        at_risk=drop_at is not None, drops_to=drops_to, reply_within_seconds=drop_at,
        very_responsive=badge_now, badge_at_risk=badge_at is not None,
        badge_within_seconds=badge_at,
        badge_waiting_ids=tuple(recent.ids[i] for i in np.flatnonzero(badge_waiting)),
    )


def label_and_forecast(
    counted: Sequence[tuple[float, float, str, bool]], now: datetime,
    rules: ResponsivenessRules = ResponsivenessRules(),
) -> tuple[Responsiveness, LabelForecast]:
    """`responsiveness` and `forecast_label` from counted messages paired elsewhere: the
    store pairs a month of inbox messages in SQL far faster than messages can be built, and
    both figures then share one pairing. `counted` holds (receipt, first reply or NaN, uid,
    public) of the conversation-opening customer messages, paired among the messages up to
    `now`, in the order of those messages."""
    private = _as_counted([(ts, reply, uid) for ts, reply, uid, public in counted if not public])
    public = _as_counted([(ts, reply, uid) for ts, reply, uid, public in counted if public])
    return _responsiveness(private, public, now, rules), _forecast(private, now, rules)


def _until(messages: Sequence[Message], at: float) -> list[Message]:
    return [m for m in messages if m.created_at.timestamp() <= at]


def _waiting(counted: _Counted, at: float, rules: ResponsivenessRules) -> np.ndarray:
    """Counted messages without a reply yet that can still be answered in time."""
    with np.errstate(invalid="ignore"):
        unanswered = ~(counted.reply <= at)
    return unanswered & (at - counted.ts <= rules.answer_deadline)


def _answered_at(counted: _Counted, waiting: np.ndarray, when: float) -> np.ndarray:
    reply = counted.reply.copy()
    reply[waiting] = when
    return reply


def _worse_if_answered(counted: _Counted, waiting: np.ndarray, at: float, rules: ResponsivenessRules,
                       current: str) -> Callable[[float], bool]:
    """Whether the label would be worse than `current` if the waiting messages were all
    answered at `when` (>= `at`): what `_figures(counted.ts, _answered_at(counted, waiting,
    when), when, rules).label` says, for the forecast, which asks thousands of times.

    Only the waiting messages' delays move with `when`, so the other replies are sorted once
    and the moving ones merged in: the very array `_figures` sorts, hence the same mean. And
    first a bound: the fastest 90 % never average more than all replies do, so while all of
    them stay clearly under the current label's limit, the label holds.
    """
    rank = rules.rank(current)
    limit = max(seconds for _, seconds in rules.labels[: rank + 1])
    with np.errstate(invalid="ignore"):
        delay = counted.reply - counted.ts
        fixed = np.sort(delay[~waiting & (counted.reply <= at) & (delay <= rules.answer_deadline)])
    fixed_sum = float(fixed.sum())
    received = np.sort(counted.ts[waiting])[::-1]  # newest first: their delays in ascending order

    def worse(when: float) -> bool:
        moving = when - received
        moving = moving[moving <= rules.answer_deadline]
        n = fixed.size + moving.size
        if n and (fixed_sum + float(moving.sum())) / n < limit * (1 - 1e-9):
            return False
        times = np.insert(fixed, np.searchsorted(fixed, moving), moving)
        drop = int(math.floor(times.size * (1 - rules.fastest_share) + 1e-9))
        kept = times[: times.size - drop]
        return rules.rank(rules.label_for(float(kept.mean()) if kept.size else None)) > rank

    return worse


def _first_true(pred: Callable[[float], bool], counted: _Counted, waiting: np.ndarray, at: float,
                rules: ResponsivenessRules) -> float | None:
    """Smallest whole second x >= 0 with pred(x), assuming pred only flips from False to
    True between consecutive answer deadlines of the waiting messages; None if never. So a
    stretch whose end is False is False throughout, and its start needs no check."""
    if not waiting.any():
        return None
    deadlines = sorted({float(t + rules.answer_deadline - at) for t in counted.ts[waiting]})
    lo = 0.0
    for end in [*deadlines, deadlines[-1] + 1.0]:
        start = lo if lo == 0.0 else math.floor(lo) + 1.0  # just after the previous deadline
        end = math.floor(end)
        if end > start and not pred(end):
            lo = end
            continue
        if pred(start):
            return start
        if end > start:
            good, bad = start, float(end)
            while bad - good > 1.0:
                mid = math.floor((good + bad) / 2)
                if pred(mid):
                    bad = mid
                else:
                    good = mid
            return bad
        lo = end
    return None


__all__ = [
    "Exclusions", "Figures", "LabelForecast", "Responsiveness", "ResponsivenessRules",
    "counted_messages", "forecast_label", "label_and_forecast", "label_window", "responsiveness",
]
