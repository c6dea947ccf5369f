"""The playbook engine: (state, event, now) -> alerts. Pure: no clock, no I/O.

Triggers report situations (findings); the engine turns them into incidents. One incident
per situation, updated when it grows (not more often than the playbook allows), closed once
the situation is gone, reopened if it flares up again within the cooldown, and escalated
along the playbook's ladder while nobody acknowledges it. Incident ids derive from the
playbook, the situation and the time it opened, so a replay of the same stream produces the
same ids and alert keys, which is what lets the store refuse to send an alert twice.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any, Iterable

from webcare.models import Alert, Message, Score
from webcare.playbooks import Playbook
from webcare.triggers import TRIGGERS, Finding, Seen

log = logging.getLogger(__name__)

# Part of Engine.version, under which the store keeps the pickled state: raise it whenever the
# state's layout changes, so a saved state of another layout is set aside for a fresh one
# rather than loaded into code that cannot read it. 2: sweep indexes in pile_up and
# repeat_contact; 3: storm's hourly cache holds the ratio to other traffic too; 4: a repeat
# contact's channels are counted, ongoing pile-ups and repeat contacts kept in order; 5: urgent
# keeps each signal's recent messages in a deque, in time order, and response target its
# waiting messages as (channel, created) tuples; 6: repeat contact keeps each customer's
# platforms, to tell namesakes apart.
ENGINE_VERSION = "6"
HUMAN_ACTIONS = ("acknowledge", "claim", "snooze", "resolve", "reopen")


@dataclass
class Incident:
    id: str
    playbook: str
    key: str
    severity: str
    opened_at: datetime
    title: str
    facts: tuple[str, ...]
    message_ids: tuple[str, ...]
    size: float
    last_seen: datetime
    last_alert: datetime
    seq: int = 0
    status: str = "open"  # open | acknowledged | snoozed | resolved | closed
    level: int = 0  # escalation steps already taken
    closed_at: datetime | None = None
    assignee: str | None = None
    snoozed_until: datetime | None = None
    ladder_from: datetime | None = None  # escalation clock; opened_at unless a snooze moved it
    next_due: float = 0.0  # when its timers next need a look (the live entry in EngineState.timers)


@dataclass
class EngineState:
    triggers: dict[str, Any] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)  # not yet closed
    by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    closed: dict[tuple[str, str], Incident] = field(default_factory=dict)  # for cooldown reopen
    last_tick: datetime | None = None
    trigger_ticks: dict[str, datetime] = field(default_factory=dict)  # last tick per playbook
    timers: list[tuple[float, str]] = field(default_factory=list)  # heap of (due, incident id)
    last_prune: float = 0.0


class Engine:
    def __init__(self, playbooks: Iterable[Playbook], sensitivity: str = "balanced"):
        books = [b for b in playbooks if b.enabled]
        self.books = [(b, TRIGGERS[b.trigger](b.options, sensitivity)) for b in books]
        self.by_name = {b.name: b for b in books}
        # what on_message asks per playbook, looked up once here rather than per message:
        # a customer message goes to each [match] test, a brand message only to the triggers
        # that read brand messages (never matched)
        self._for_customers = [(b, b.name, t.observe, b.match.test, t.sees_unmatched)
                               for b, t in self.books]
        self._for_brand = [(b, b.name, t.observe) for b, t in self.books if t.sees_brand]
        self._failing: set[str] = set()  # playbooks whose timer failed last time (said once)
        digest = hashlib.sha1(repr((books, sensitivity)).encode()).hexdigest()[:12]
        self.version = f"{ENGINE_VERSION}:{digest}"

    def new_state(self) -> EngineState:
        return EngineState(triggers={b.name: t.new_state() for b, t in self.books})

    # --- events -------------------------------------------------------------------------
    def on_message(self, state: EngineState, message: Message, score: Score, now: datetime) -> list[Alert]:
        alerts: list[Alert] = []
        seen = Seen(message, score, now)
        triggers = state.triggers
        if message.from_brand:
            for book, name, observe in self._for_brand:
                for finding in observe(triggers[name], seen, False):
                    self._found(state, book, finding, now, alerts)
            return alerts
        for book, name, observe, test, sees_unmatched in self._for_customers:
            matched = test(message, score)
            if matched or sees_unmatched:
                for finding in observe(triggers[name], seen, matched):
                    self._found(state, book, finding, now, alerts)
        return alerts

    def on_tick(self, state: EngineState, now: datetime) -> list[Alert]:
        state.last_tick = now
        alerts: list[Alert] = []
        for book, trigger in self.books:
            last = state.trigger_ticks.get(book.name)
            if last is not None and (now - last).total_seconds() < trigger.tick_seconds:
                continue  # slow situations (days) need not be re-checked every minute
            state.trigger_ticks[book.name] = now
            try:
                findings = trigger.tick(state.triggers[book.name], now)
            except Exception:  # noqa: BLE001 - one playbook's bug must not stop every timer
                if book.name not in self._failing:  # said once, not every minute
                    self._failing.add(book.name)
                    log.exception("playbook %s: its timer failed at %s; the other playbooks go on",
                                  book.name, now.isoformat())
                continue
            if self._failing and book.name in self._failing:
                self._failing.discard(book.name)
                log.warning("playbook %s: its timer works again", book.name)
            for finding in findings:
                self._found(state, book, finding, now, alerts)
        t = now.timestamp()
        while state.timers and state.timers[0][0] <= t:  # only incidents whose timers are due
            due, inc_id = heapq.heappop(state.timers)
            inc = state.incidents.get(inc_id)
            if inc is None or inc.next_due != due:
                continue  # closed, or rescheduled since: a stale entry
            alerts.extend(self._timers(state, inc, now))
            if inc.id in state.incidents:
                self._schedule(state, inc)
        if t - state.last_prune >= 3600:
            state.last_prune = t
            for key, inc in list(state.closed.items()):
                if not self._in_cooldown(inc, now):
                    del state.closed[key]
        return alerts

    def on_human(self, state: EngineState, incident_id: str, action: str, user: str,
                 now: datetime, minutes: float = 0) -> Incident | None:
        """A person acted on an incident. Acknowledging, claiming or resolving stops the
        escalation; snoozing pauses it for `minutes`, after which the ladder goes on from where
        it was. Returns the incident as it is now, or None if it is unknown or closed."""
        inc = state.incidents.get(incident_id)
        if inc is None or action not in HUMAN_ACTIONS:
            return None
        if action == "acknowledge":
            inc.status = "acknowledged" if inc.status in ("open", "snoozed") else inc.status
        elif action == "claim":
            inc.status, inc.assignee = "acknowledged", user
        elif action == "snooze":
            inc.status, inc.snoozed_until = "snoozed", now + _minutes(minutes)
        elif action == "resolve":
            inc.status = "resolved"
        elif action == "reopen":
            inc.status, inc.snoozed_until = "open", None
        self._schedule(state, inc)
        return inc

    # --- incidents ----------------------------------------------------------------------
    def _found(self, state: EngineState, book: Playbook, f: Finding, now: datetime,
               alerts: list[Alert]) -> None:
        """Open, grow or reopen the incident for a finding; what is to be said goes to `alerts`."""
        slot = (book.name, f.key)
        inc_id = state.by_key.get(slot)
        if inc_id is not None:
            inc = state.incidents[inc_id]
            inc.last_seen = now
            if f.size > inc.size or f.severity is not None:  # else going on as it was: the common case
                self._grow(book, inc, f, now, alerts)
            return
        old = state.closed.pop(slot, None)
        if old is not None and self._in_cooldown(old, now):  # flared up again: same incident
            old.status, old.closed_at, old.level, old.ladder_from = "open", None, 0, now
            old.last_seen = now
            state.incidents[old.id] = old
            state.by_key[slot] = old.id
            self._schedule(state, old)
            alerts.append(self._alert(book, old, f, now, "update", book.notify, "flared up again"))
            return
        severity = _max_severity(book.severity, f.severity)
        inc = Incident(
            id=_incident_id(book.name, f.key, now), playbook=book.name, key=f.key,
            severity=severity, opened_at=now, title=f.title, facts=f.facts,
            message_ids=f.message_ids, size=f.size, last_seen=now, last_alert=now)
        state.incidents[inc.id] = inc
        state.by_key[slot] = inc.id
        self._schedule(state, inc)
        alerts.append(self._emit(book, inc, now, "open", book.notify))

    def _grow(self, book: Playbook, inc: Incident, f: Finding, now: datetime,
              alerts: list[Alert]) -> None:
        rules = book.incident
        severity = _max_severity(inc.severity, f.severity)
        rose = severity != inc.severity
        if not rose and not (f.size > inc.size and f.size >= inc.size * (1 + rules.update_growth)
                             and now - inc.last_alert >= _minutes(rules.update_every_minutes)):
            return
        inc.severity = severity
        note = f"severity rose to {severity}" if rose else f"grew from {inc.size:g} to {f.size:g}"
        alerts.append(self._alert(book, inc, f, now, "update", book.notify, note))

    def _timers(self, state: EngineState, inc: Incident, now: datetime) -> list[Alert]:
        book = self.by_name.get(inc.playbook)
        if book is None:
            return []
        if now - inc.last_seen >= _minutes(book.incident.close_after_minutes):
            slot = (inc.playbook, inc.key)
            del state.incidents[inc.id]
            del state.by_key[slot]
            was = inc.status
            inc.status, inc.closed_at = "closed", now
            state.closed[slot] = inc
            if was == "resolved":
                return []  # a person already closed it; nothing new to say
            return [self._emit(book, inc, now, "close", book.notify,
                               note=f"quiet for {book.incident.close_after_minutes:g} minutes")]
        if inc.status == "snoozed" and inc.snoozed_until is not None and now >= inc.snoozed_until:
            inc.status, inc.snoozed_until = "open", None
            if inc.level < len(book.escalation):  # the snooze is over: the next step is due now
                inc.ladder_from = now - _minutes(book.escalation[inc.level].after_minutes)
        if inc.status == "open" and inc.level < len(book.escalation):
            step = book.escalation[inc.level]
            if now - (inc.ladder_from or inc.opened_at) >= _minutes(step.after_minutes):
                inc.level += 1
                return [self._emit(book, inc, now, "escalate", step.notify,
                                   note=f"not acknowledged after {step.after_minutes:g} minutes")]
        return []

    def _schedule(self, state: EngineState, inc: Incident) -> None:
        """Put the incident's next timer (closing, escalation step, end of snooze) on the heap.

        Growth moves `last_seen` without rescheduling: when the old closing time comes, the
        incident is looked at, found still active, and scheduled again for later.
        """
        book = self.by_name[inc.playbook]
        due = inc.last_seen + _minutes(book.incident.close_after_minutes)
        if inc.status == "open" and inc.level < len(book.escalation):
            due = min(due, (inc.ladder_from or inc.opened_at)
                      + _minutes(book.escalation[inc.level].after_minutes))
        if inc.status == "snoozed" and inc.snoozed_until is not None:
            due = min(due, inc.snoozed_until)
        inc.next_due = due.timestamp()
        heapq.heappush(state.timers, (inc.next_due, inc.id))

    def _in_cooldown(self, inc: Incident, now: datetime) -> bool:
        book = self.by_name.get(inc.playbook)
        return (book is not None and inc.closed_at is not None
                and now - inc.closed_at <= _minutes(book.incident.cooldown_minutes))

    def _alert(self, book: Playbook, inc: Incident, f: Finding, now: datetime, kind: str,
               recipients: list[str], note: str) -> Alert:
        inc.title, inc.facts, inc.size = f.title, f.facts, max(inc.size, f.size)
        inc.message_ids = f.message_ids
        return self._emit(book, inc, now, kind, recipients, note)

    def _emit(self, book: Playbook, inc: Incident, now: datetime, kind: str,
              recipients: list[str], note: str = "") -> Alert:
        if kind != "open":
            inc.seq += 1
        inc.last_alert = now
        facts = (note, *inc.facts) if note else inc.facts
        return Alert(
            at=now, playbook=book.name, severity=inc.severity, incident=inc.id, seq=inc.seq,
            kind=kind, title=inc.title, text="\n".join(facts), message_ids=inc.message_ids,
            recipients=tuple(recipients), reasons=facts)


@lru_cache(maxsize=256)
def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _max_severity(current: str, proposed: str | None) -> str:
    if proposed is None or _RANK.get(proposed, 0) <= _RANK.get(current, 0):
        return current
    return proposed


def _incident_id(playbook: str, key: str, now: datetime) -> str:
    digest = hashlib.sha1(f"{playbook}|{key}|{now.isoformat()}".encode()).hexdigest()[:6]
    return f"{playbook}-{now:%Y%m%d-%H%M}-{digest}"
