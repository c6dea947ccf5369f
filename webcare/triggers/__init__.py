"""Triggers: the situations playbooks can watch for. One module per trigger kind.

A trigger keeps its own state (created by `new_state`, stored inside the engine state) and
reports `Finding`s: the situations that hold right now. `observe` sees, as a `Seen`, each
customer message the playbook's `[match]` accepts (`matched=True`), the customer messages it
turns away if the trigger sets `sees_unmatched`, and the brand's own messages (never
matched) if it sets `sees_brand`; the engine does not call it for the rest, which keeps the
per-message cost down. `tick` re-checks timers and windows. The engine turns findings into
incidents, so a trigger never decides about alerts, cooldowns or escalation.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any, Callable, ClassVar, Protocol

from webcare.models import Message, Score


def stale_keys(expiry: list[tuple[float, Any]], emptied: set, horizon: float) -> set:
    """The keys an hourly sweep must look at: those emptied since the last sweep, and those
    whose entry in the `expiry` heap (time, key) is older than `horizon` (popped from it), so
    a sweep touches only what may have expired instead of walking all state."""
    stale = set(emptied)
    emptied.clear()
    while expiry and expiry[0][0] < horizon:
        stale.add(heapq.heappop(expiry)[1])
    return stale


class Seen:
    """One message as every trigger sees it: the message, its score, the engine's `now`, and
    the facts most triggers need (epoch seconds of both times, the uid).

    The engine builds one per message and hands the same one to every playbook, so these are
    computed once rather than once per trigger (datetime.timestamp() on an aware datetime is
    among the slowest steps a trigger takes).
    """

    __slots__ = ("message", "score", "now", "t", "ts", "uid")

    def __init__(self, message: Message, score: Score, now: datetime):
        self.message = message
        self.score = score
        self.now = now
        self.ts = message.created_at.timestamp()
        self.t = self.ts if now is message.created_at else now.timestamp()
        self.uid = message.uid


class Finding:
    """A situation that holds now: which one (`key`), how big (`size`, so the engine can tell
    growth worth an update), and, only when an alert is written, why (title, facts, examples).

    Ongoing situations are re-reported on every message and tick while only a few of those
    reports become alerts, so a trigger may pass `explain`, a callable returning
    (title, facts, message_ids), instead of composing the words every time.
    """

    __slots__ = ("key", "size", "severity", "_explain", "_text")

    def __init__(self, key: str, size: float, title: str = "", facts: tuple[str, ...] = (),
                 message_ids: tuple[str, ...] = (), severity: str | None = None, *,
                 explain: Callable[[], tuple[str, tuple[str, ...], tuple[str, ...]]] | None = None):
        self.key = key
        self.size = size
        self.severity = severity  # raise above the playbook's severity, e.g. for safety words
        self._explain = explain
        self._text = None if explain else (title, tuple(facts), tuple(message_ids))

    def _words(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        if self._text is None:
            self._text = self._explain()
        return self._text

    @property
    def title(self) -> str:
        return self._words()[0]

    @property
    def facts(self) -> tuple[str, ...]:
        return self._words()[1]

    @property
    def message_ids(self) -> tuple[str, ...]:
        return self._words()[2]


class Trigger(Protocol):
    kind: ClassVar[str]
    Options: ClassVar[type]
    sees_unmatched: ClassVar[bool]  # customer messages the [match] turns away
    sees_brand: ClassVar[bool]  # the brand's own posts and replies
    tick_seconds: ClassVar[float]  # how often `tick` needs to run at most

    def new_state(self) -> Any: ...

    def observe(self, state: Any, seen: Seen, matched: bool) -> list[Finding]: ...

    def tick(self, state: Any, now: datetime) -> list[Finding]: ...


def _registry() -> dict[str, type]:
    from webcare.triggers.pile_up import PileUp
    from webcare.triggers.repeat_contact import RepeatContact
    from webcare.triggers.response_target import ResponseTarget
    from webcare.triggers.storm import Storm
    from webcare.triggers.urgent import Urgent

    return {t.kind: t for t in (Storm, PileUp, RepeatContact, ResponseTarget, Urgent)}


TRIGGERS: dict[str, type] = _registry()
