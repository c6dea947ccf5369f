"""Triggers: the situations playbooks can watch for. One module per trigger kind.

A trigger keeps its own state (created by `new_state`, stored inside the engine state) and
reports `Finding`s: the situations that hold right now. `observe` sees each customer message
the playbook's `[match]` accepts (`matched=True`) and, if the trigger sets `sees_unmatched`,
every other message too, brand replies included; `tick` re-checks timers and windows. The engine turns findings into incidents, so a
trigger never decides about alerts, cooldowns or escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from webcare.models import Message, Score


@dataclass(frozen=True, slots=True)
class Finding:
    key: str  # which situation (e.g. platform, customer); one incident per key at a time
    size: float  # how big it is, so the engine can tell growth worth an update
    title: str
    facts: tuple[str, ...]  # why it fired: counts, baseline, window
    message_ids: tuple[str, ...] = ()
    severity: str | None = None  # raise above the playbook's severity, e.g. for safety words


class Trigger(Protocol):
    kind: ClassVar[str]
    Options: ClassVar[type]
    sees_unmatched: ClassVar[bool]
    tick_seconds: ClassVar[float]  # how often `tick` needs to run at most

    def new_state(self) -> Any: ...

    def observe(self, state: Any, message: Message, score: Score, now: datetime,
                matched: bool) -> list[Finding]: ...

    def tick(self, state: Any, now: datetime) -> list[Finding]: ...


def _registry() -> dict[str, type]:
    from webcare.triggers.pile_up import PileUp
    from webcare.triggers.repeat_contact import RepeatContact
    from webcare.triggers.response_target import ResponseTarget
    from webcare.triggers.storm import Storm
    from webcare.triggers.urgent import Urgent

    return {t.kind: t for t in (Storm, PileUp, RepeatContact, ResponseTarget, Urgent)}


TRIGGERS: dict[str, type] = _registry()
