"""The pipeline: store -> classify -> engine -> outbox, one transaction per batch.

Everything a batch causes (its messages, cursor, scores, alerts and the engine's progress)
is committed together. Delivery to sinks happens after the commit, from the outbox, so
a crash anywhere loses no message and sends no alert twice. In simulated mode (replays) each
message is processed at its own timestamp and the engine's timers tick on a fixed grid in
between, so the outcome does not depend on how the stream was cut into batches.

The engine's progress is made durable as a log of what it was fed (message keys, ticks, what
people did) and, now and then, a snapshot of its whole state. A busy brand's state holds
weeks of customers and waiting messages, megabytes that took a tenth of a second and more to
pickle; writing it at every poll, tick and button press held the event loop for that long
each time. Loading replays the log on the last snapshot: the engine is a pure function of
what it was fed, so that gives the state as it was at the last commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Sequence

from webcare.classify import Classifier
from webcare.engine import Engine
from webcare.metrics import mark_auto_reply
from webcare.models import Alert, Batch, Message, Score, quarantined, valid_unicode
from webcare.sinks import AlertSink, SinkUnavailable
from webcare.store import Store, StoreError

log = logging.getLogger(__name__)
EXAMPLES = 3
# Longer than any engine window (escalations, storms, pile-ups, response targets over holidays,
# repeat contact): after this long without a message, ticks until the next one find nothing due.
IDLE_AFTER = timedelta(days=45)
# A snapshot of the engine state after this many logged events or this long, whichever comes
# first: loading then replays at most this much (about a second at 10,000 events).
SNAPSHOT_EVENTS = 10_000
SNAPSHOT_SECONDS = 600.0
_TEXT_FIELDS = ("platform", "id", "text", "conversation_id", "in_reply_to", "url", "lang")


class Pipeline:
    def __init__(self, store: Store, engine: Engine, sinks: Sequence[AlertSink], *,
                 classifier: Classifier | None = None, brand_handles: Iterable[str] = (),
                 tick_seconds: float = 60.0, simulated: bool = False):
        self.store = store
        self.engine = engine
        self.sinks = list(sinks)
        self.classifier = classifier or Classifier()
        self.brand_handles = frozenset(brand_handles)
        self.tick = timedelta(seconds=tick_seconds)
        self.simulated = simulated
        self.state = self._load_state()
        self._down: set[str] = set()
        self._flushing = asyncio.Lock()
        self._in_flight: asyncio.Future | None = None  # the delivery a stop must let land

    def _load_state(self):
        """The engine state as last committed: the snapshot with the events logged since
        replayed on it (what they cause was committed with them, so it is not said again)."""
        self._events: list[list[Any]] = []  # fed to the engine in this transaction, not yet logged
        snapshot = self.store.load_engine_state(self.engine.version)
        if snapshot is None or snapshot.token is None:
            self._token, self._logged, self._snapshot_at = None, 0, 0.0
            return snapshot.state if snapshot is not None else self.engine.new_state()
        self._token, self._logged, self._snapshot_at = snapshot.token, len(snapshot.events), snapshot.at
        state = snapshot.state
        uids = [f"{e[1]}:{e[2]}" for e in snapshot.events if e[0] == "message" and len(e) == 4]
        stored = {m.uid: (m, s) for m, s in self.store.get_messages(uids)}
        for event in snapshot.events:
            try:
                self._replay(state, event, stored)
            except Exception as exc:  # noqa: BLE001 - one bad entry must not keep the bot from starting
                log.warning("engine log: cannot replay %r (%s: %s); skipped", event, type(exc).__name__, exc)
        return state

    def _replay(self, state, event: list[Any], stored: dict) -> None:
        kind, *args = event
        if kind == "message":
            platform, mid, at = args
            m, s = stored[f"{platform}:{mid}"]
            if s is None:
                raise LookupError("its score is not stored")
            self.engine.on_message(state, m, s, datetime.fromisoformat(at))
        elif kind == "tick":
            self.engine.on_tick(state, datetime.fromisoformat(args[0]))
        elif kind == "clock":
            state.last_tick = datetime.fromisoformat(args[0])
        elif kind == "human":
            incident_id, action, user, at, minutes = args
            self.engine.on_human(state, incident_id, action, user, datetime.fromisoformat(at), minutes)
        else:
            raise ValueError(f"unknown event {kind!r}")

    @property
    def sim_now(self) -> datetime | None:
        return self.state.last_tick

    # --- ingest -------------------------------------------------------------------------
    def ingest(self, connector: str, batch: Batch, now: datetime) -> list[Message]:
        """Store, score and evaluate one poll's batch; return the messages that were new.

        In simulated mode `now` only stamps bookkeeping; the engine runs on message time.
        A batch that fails for a reason of its own messages (not the store's) is taken one
        message at a time: if some pass alone, those that fail alone are quarantined, so one
        bad message no longer holds up its stream at every poll. If none passes alone the
        fault is not the messages', and the batch fails as it is (fetched again later).
        """
        try:
            return self._ingest(connector, batch, now)
        except StoreError:
            raise  # the store itself (a full disk, a lock): the batch is fetched again later
        except Exception:
            if len(batch.messages) < 2:
                raise
            cursor = self.store.get_cursor(connector)
            new: list[Message] = []
            failed: list[tuple[Message, Exception]] = []
            for m in sorted(batch.messages, key=lambda m: m.created_at):
                try:
                    new += self._ingest(connector, Batch((m,), cursor), now)
                except StoreError:
                    raise
                except Exception as exc:  # noqa: BLE001 - told apart below
                    failed.append((m, exc))
            if len(failed) == len(batch.messages):
                raise
            bad = tuple(quarantined(f"message {m.uid}", f"it fails alone ({type(exc).__name__}: {exc})",
                                    json.dumps(m.to_dict(), ensure_ascii=False)) for m, exc in failed)
            self._ingest(connector, Batch((), batch.cursor, rejected=batch.rejected + bad), now)
            return new

    def _ingest(self, connector: str, batch: Batch, now: datetime) -> list[Message]:
        try:
            with self.store.transaction():
                messages = [self._brand(m) for m in batch.messages]
                edited: list[Message] = []
                new = self.store.save_messages(messages, connector, now, edited)
                if batch.rejected:
                    for r in batch.rejected:
                        log.warning("%s: quarantined %s: %s", connector, r.source, r.error)
                    self.store.quarantine(connector, batch.rejected, now)
                self.store.set_cursor(connector, batch.cursor, now)
                scored = [(m, self._score(connector, m)) for m in new]
                # an edit is scored again, so what the team is shown is what is counted; the
                # engine saw the message once and is not fed it again: no contact twice
                self.store.save_scores(scored + [(m, self._score(connector, m)) for m in edited])
                alerts: list[Alert] = []
                for m, s in sorted(scored, key=lambda p: p[0].created_at):
                    at = now
                    if self.simulated:
                        at = max(m.created_at, self.state.last_tick or m.created_at)
                        alerts += self._ticks_until(at)
                    self._events.append(["message", m.platform, m.id, at.isoformat()])
                    try:
                        alerts += self.engine.on_message(self.state, m, s, at)
                    except Exception:  # noqa: BLE001 - see _score; a replay of the log skips it alike
                        log.exception("%s: the playbooks failed on %s; it is stored, but alerts "
                                      "nothing", connector, m.uid)
                self._commit(alerts, now)
        except BaseException:
            self.state = self._load_state()  # the batch did not land: forget what it did
            raise
        return new

    def advance(self, until: datetime) -> list[Alert]:
        """Run the engine's timers up to `until` (simulated mode) and commit what they cause."""
        return self._timed(lambda: self._ticks_until(until), until)

    def on_tick(self, now: datetime) -> list[Alert]:
        """One timer tick at wall-clock `now` (live mode)."""
        return self._timed(lambda: self._tick(now), now)

    def _tick(self, now: datetime) -> list[Alert]:
        self._events.append(["tick", now.isoformat()])
        return self.engine.on_tick(self.state, now)

    def _timed(self, step, now: datetime) -> list[Alert]:
        try:
            with self.store.transaction():
                alerts = step()
                return self._commit(alerts, now)
        except BaseException:
            self.state = self._load_state()
            raise

    def human_action(self, incident_id: str, action: str, user: str, now: datetime,
                     minutes: float = 0) -> dict | None:
        """Record what a person did to an incident (from a chat button or command).

        The engine learns it (so escalation stops or pauses) and the incident row shows it, in
        one transaction. Returns the stored incident row, or None if the incident is unknown.
        """
        def step():
            inc = self.engine.on_human(self.state, incident_id, action, user, now, minutes)
            self._events.append(["human", incident_id, action, user, now.isoformat(), minutes])
            self.store.record_human_action(incident_id, action, user, now,
                                           inc.snoozed_until if inc else None)
            self._save(now)
        try:
            with self.store.transaction():
                step()
        except BaseException:
            self.state = self._load_state()
            raise
        return self.store.incident(incident_id)

    def _ticks_until(self, at: datetime) -> list[Alert]:
        """The engine's ticks from the last one up to `at`; across a gap longer than any of
        its windows (a replayed message from 1970, then one from today) the idle stretch is
        skipped, not ticked through minute by minute."""
        alerts: list[Alert] = []
        if self.state.last_tick is None:
            self.state.last_tick = _floor(at, self.tick)
            self._events.append(["clock", self.state.last_tick.isoformat()])
            return alerts
        step = self.state.last_tick + self.tick
        idle = self.state.last_tick + IDLE_AFTER
        while step <= at:
            alerts += self._tick(step)
            step += self.tick
            if idle < step < at - self.tick:
                step = _floor(at, self.tick)
        return alerts

    def _commit(self, alerts: list[Alert], now: datetime) -> list[Alert]:
        fresh = self.store.record_alerts(alerts, [s.name for s in self.sinks])
        self._save(now)
        return fresh

    def checkpoint(self, now: datetime) -> None:
        """Snapshot the engine state (at a clean stop), so the next start has nothing to replay."""
        try:
            with self.store.transaction():
                token = self.store.save_engine_state(self.engine.version, self.state, now)
        except StoreError as exc:  # the log still holds everything: the next start replays it
            log.warning("engine state not snapshotted at stop: %s", exc)
            return
        self._token, self._logged, self._snapshot_at = token, 0, now.timestamp()

    def _save(self, now: datetime) -> None:
        """Log this transaction's engine events, or snapshot the state when one is due."""
        t = now.timestamp()
        if (self._token is None or self._logged + len(self._events) > SNAPSHOT_EVENTS
                or not 0 <= t - self._snapshot_at < SNAPSHOT_SECONDS):
            self._token = self.store.save_engine_state(self.engine.version, self.state, now)
            self._logged, self._snapshot_at = 0, t
        elif self._events:
            self.store.log_engine_events(self._token, self._events)
            self._logged += len(self._events)
        self._events = []

    def _score(self, connector: str, m: Message) -> Score:
        """The message's score; a classifier failure (a bug no test found) scores it neutral
        and says so, instead of failing the batch at every poll, which held every message
        behind it in its stream for good."""
        try:
            return self.classifier.score(m)
        except Exception as exc:  # noqa: BLE001
            log.exception("%s: cannot score %s; stored as neutral, unscored", connector, m.uid)
            return Score(lang="und", compound=0.0, label="neu", intent="other", complaint=False,
                         complaint_score=0.0, urgency=0.0, confidence=0.0,
                         reasons=(f"not scored ({type(exc).__name__})",))

    def _brand(self, m: Message) -> Message:
        """Our own accounts' messages are brand messages; a brand holding reply ("je krijgt
        z.s.m. antwoord") is an auto-reply even when the platform did not say so; text with
        lone surrogates (in any field: SQLite cannot encode them, so the batch would fail on
        every poll) is repaired so it can be stored and shown."""
        if not m.from_brand and m.author.id in self.brand_handles:
            m = replace(m, from_brand=True)
        fields = {f: valid_unicode(v) for f in _TEXT_FIELDS if (v := getattr(m, f)) is not None}
        author = {f: valid_unicode(getattr(m.author, f)) for f in ("id", "name")}
        if any(v is not getattr(m, f) for f, v in fields.items()) or any(
                v is not getattr(m.author, f) for f, v in author.items()):  # a connector passed broken text
            m = replace(m, **fields, author=replace(m.author, **author))
        return mark_auto_reply(m)

    # --- delivery -----------------------------------------------------------------------
    async def flush(self, now: datetime) -> int:
        """Deliver queued alerts to every sink, in order; stop a sink at its first failure.

        Polls and the timer may flush at the same time: the lock keeps one delivery at a time,
        so no sink sees an alert twice.
        """
        async with self._flushing:
            return await self._flush(now)

    async def _flush(self, now: datetime) -> int:
        sent = 0
        for sink in self.sinks:
            for alert in self.store.pending(sink.name):
                examples = self.store.get_messages(alert.message_ids[-EXAMPLES:])
                # shielded: a stop cancels the flush, not a message the chat may already have,
                # whose recording would be lost and which the next start would send again
                self._in_flight = asyncio.ensure_future(self._deliver(sink, alert, examples, now))
                self._in_flight.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved
                try:
                    await asyncio.shield(self._in_flight)
                except SinkUnavailable as exc:
                    if sink.name not in self._down:
                        log.warning("alert sink %s unavailable: %s (alerts stay queued)", sink.name, exc)
                        self._down.add(sink.name)
                    break
                if sink.name in self._down:
                    log.info("alert sink %s recovered", sink.name)
                    self._down.discard(sink.name)
                sent += 1
        return sent

    async def _deliver(self, sink: AlertSink, alert: Alert, examples, now: datetime) -> None:
        ref = await sink.deliver(alert, examples)
        self.store.mark_delivered(alert.key, sink.name, now, ref)

    async def settle(self, timeout: float = 15.0) -> None:
        """At a stop: wait for the alert delivery in flight to land and be recorded."""
        task = self._in_flight
        if task is None or task.done():
            return
        log.info("stopping: waiting for the alert being delivered")
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except asyncio.TimeoutError:
            log.warning("stopping with an alert still being delivered after %.0f s: it may be sent "
                        "again at the next start", timeout)
        except Exception:  # noqa: BLE001 - it stays queued and is delivered at the next start
            pass


def _floor(at: datetime, step: timedelta) -> datetime:
    seconds = step.total_seconds()
    epoch = at.timestamp()
    return datetime.fromtimestamp(epoch - epoch % seconds, timezone.utc).astimezone(at.tzinfo)
