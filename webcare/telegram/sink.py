"""The Telegram alert sink: one chat message per incident and chat, edited as the incident grows.

`plan` (pure) decides per chat: send a new message (it rings), edit the one already there
(silent), or hold the notification for quiet hours. A new message rings when an incident
opens, escalates, rises in severity or flares up after calming down; everything else edits.
Progress is written to the store after every chat, so a delivery cut short by flood control
or an outage resumes where it stopped: retrying never sends a chat the same alert twice.

Errors: flood control (`RetryAfter`), network trouble and answers that are not the Bot API's
raise `SinkUnavailable`, so the alert stays in the outbox and the pipeline retries it, in
order, on a later flush; until the `retry_after` (at most `MAX_FLOOD_WAIT`) has passed the
sink does not call Telegram at all. A chat that refuses the bot (blocked, kicked, unknown,
or the bot may not write there) is logged once and skipped, so one bad chat never stalls the
rest. A message sent but not stored (the database locked) is stored before anything else is
sent, never sent again.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Callable, Sequence

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError,
)

from webcare.models import Alert
from webcare.sinks import AlertSink, Example, SinkUnavailable
from webcare.sinks.text import render as render_plain
from webcare.store import Store, StoreError
from webcare.telegram.directory import Directory, Target
from webcare.telegram.format import (
    LIMIT, incident_keyboard, incident_message, severity_rank, superseded_message,
)

log = logging.getLogger(__name__)
RINGING_KINDS = ("open", "escalate", "system")
QUIET_SEVERITIES = ("low", "medium")  # high and critical break through quiet hours
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
EXAMPLES = 3
MAX_FLOOD_WAIT = 300  # seconds: a longer retry_after would hold every alert and escalation


@dataclass(frozen=True)
class Step:
    op: str  # send | edit | hold
    chat_id: int
    message_id: int | None = None  # edit: the message; send: the older message it supersedes
    silent: bool = False
    release_at: datetime | None = None
    reason: str = ""


def ring_reason(alert: Alert, current: dict[int, dict]) -> str:
    """Why this alert must ring phones ('' = it only updates the messages already there)."""
    if alert.kind in RINGING_KINDS:
        return {"open": "new incident", "escalate": "escalated", "system": "system alert"}[alert.kind]
    if alert.kind in ("close", "resolve"):
        return ""
    if not current:
        return "new incident"
    if severity_rank(alert.severity) > max(severity_rank(r["severity"]) for r in current.values()):
        return f"severity rose to {alert.severity}"
    if any(r.get("kind") == "close" for r in current.values()):
        return "flared up again"
    return ""


def plan(alert: Alert, current: dict[int, dict], targets: Sequence[Target],
         muted: Callable[[int], bool]) -> list[Step]:
    """Per chat, what delivering `alert` takes. Pure; `current` maps chat id -> shown message."""
    reason = ring_reason(alert, current)
    informational = alert.kind in ("close", "resolve")
    steps: list[Step] = []
    for t in targets:
        row = current.get(t.chat_id)
        if row is not None and row["seq"] >= alert.seq:
            continue  # this chat already shows this alert (a retried delivery)
        if row is not None and (not reason or informational):
            steps.append(Step("edit", t.chat_id, row["message_id"]))
            continue
        if row is None and informational:
            continue  # nothing to update; a held notification will show the final state
        if t.quiet_until is not None and alert.severity in QUIET_SEVERITIES:
            if row is not None:
                steps.append(Step("edit", t.chat_id, row["message_id"]))
            steps.append(Step("hold", t.chat_id, release_at=t.quiet_until, reason=reason))
            continue
        silent = muted(t.chat_id) and alert.severity != "critical"
        steps.append(Step("send", t.chat_id, row["message_id"] if row else None, silent, reason=reason))
    targeted = {t.chat_id for t in targets}
    for chat_id, row in current.items():
        if chat_id not in targeted and row["seq"] < alert.seq:
            steps.append(Step("edit", chat_id, row["message_id"]))
    return steps


class TelegramSink(AlertSink):
    name = "telegram"

    def __init__(self, store: Store, directory: Directory, *, now: Callable[[], datetime], tz: tzinfo):
        self.store = store
        self.directory = directory
        self.now = now
        self.tz = tz
        self.bot = None  # set by `attach` once the bot has started
        self.blocked_until: datetime | None = None
        self._blocked_at: datetime | None = None
        self._lock = asyncio.Lock()
        self._warned: set[str] = set()
        self._moved: dict[int, int] = {}  # a configured group -> the supergroup it became
        self._stale: set[str] = set()  # incidents changed by a button whose messages wait for a refresh
        self._unsaved: dict[tuple[str, int], tuple] = {}  # (incident, chat) -> a sent message not yet stored

    def attach(self, bot) -> None:
        self.bot = bot

    # --- AlertSink ----------------------------------------------------------------------
    async def deliver(self, alert: Alert, examples: list[Example]) -> str | None:
        async with self._lock:
            now = self._ready()
            self._save_unsaved()
            targets = self._targets(alert, now)
            current = self.store.telegram_current(alert.incident)
            steps = plan(alert, current, targets, lambda chat: self._muted(chat, now))
            text, keyboard = self._render(alert, examples, targets)
            reached = False
            for step in steps:
                reached |= await self._do(step, alert, examples, text, keyboard, now)
            self._stale.discard(alert.incident)  # its messages show what people did
            fallback = self.directory.chat_of(self.directory.cfg.fallback_recipient)
            if steps and not reached and fallback is not None and fallback not in {s.chat_id for s in steps}:
                # every chat it was meant for refused the bot: never let the alert vanish
                await self._do(Step("send", fallback, reason="recipients unreachable"), alert, examples,
                               text, keyboard, now)
            shown = self.store.telegram_current(alert.incident)
            return ",".join(f"{chat}:{row['message_id']}" for chat, row in sorted(shown.items())) or None

    # --- held notifications and refreshes -----------------------------------------------
    async def release_held(self) -> int:
        """Send the notifications held for quiet hours that have ended; return how many went out."""
        async with self._lock:
            try:
                now = self._ready()
                self._save_unsaved()
            except SinkUnavailable:
                return 0
            sent = 0
            for held in self.store.telegram_held(due=now):
                incident_id, chat_id = held["incident"], held["chat_id"]
                alert = self.store.latest_alert(incident_id)
                row = self.store.incident(incident_id) or {}
                current = self.store.telegram_current(incident_id).get(chat_id)
                handled = row.get("status") not in ("open", "snoozed", None) or (
                    alert is not None and alert.kind in ("close", "resolve"))
                if alert is None or (handled and current is not None):
                    self.store.drop_telegram_hold(incident_id, chat_id)
                    continue
                examples = self._examples(alert)
                text, keyboard = self._render(alert, examples, self._targets(alert, now))
                step = Step("send", chat_id, current["message_id"] if current else None,
                            silent=handled or self._muted(chat_id, now), reason="quiet hours ended")
                try:
                    delivered = await self._do(step, alert, examples, text, keyboard, now)
                except SinkUnavailable:
                    break  # Telegram is down: keep the rest held and try again later
                if delivered:
                    sent += 1
                else:
                    self.store.drop_telegram_hold(incident_id, chat_id)  # the chat refuses the bot
            for incident_id in sorted(self._stale):
                try:
                    await self._refresh(incident_id, now)
                except SinkUnavailable:
                    break
            return sent

    async def refresh(self, incident_id: str) -> int:
        """Re-render every chat message of an incident (after a button press); silent edits.

        One that cannot be made now (flood control, an outage) is made by a later
        `release_held`, or the chat would never show who pressed."""
        async with self._lock:
            try:
                now = self._ready()
                self._save_unsaved()
                return await self._refresh(incident_id, now)
            except SinkUnavailable:
                self._stale.add(incident_id)
                raise

    async def _refresh(self, incident_id: str, now: datetime) -> int:
        alert = self.store.latest_alert(incident_id)
        if alert is None:
            return 0
        examples = self._examples(alert)
        text, keyboard = self._render(alert, examples, self._targets(alert, now))
        done = 0
        for chat_id, row in self.store.telegram_current(incident_id).items():
            await self._do(Step("edit", chat_id, row["message_id"]), alert, examples, text,
                           keyboard, now, superseded_ok=False)
            done += 1
        self._stale.discard(incident_id)
        return done

    # --- internals ----------------------------------------------------------------------
    def _ready(self) -> datetime:
        now = self.now()
        if self.bot is None:
            raise SinkUnavailable("the Telegram bot has not started yet")
        if self.blocked_until is not None and self._blocked_at <= now < self.blocked_until:
            raise SinkUnavailable(f"Telegram flood control until {self.blocked_until:%H:%M:%S}",
                                  (self.blocked_until - now).total_seconds())
        return now

    def _targets(self, alert: Alert, now: datetime) -> list[Target]:
        override = self.store.oncall_override()
        pair = (override["person"], datetime.fromtimestamp(override["until"], self.tz)) if override else None
        targets, unknown = self.directory.resolve(alert.recipients, now, pair)
        fallback = self.directory.cfg.fallback_recipient
        for name in unknown:
            if name == "oncall":
                self._warn_once("recipient:oncall", "nobody is on call: 'oncall' alerts go to %s", fallback)
            else:
                self._warn_once(f"recipient:{name}", "alert recipient %r is not configured under "
                                "[telegram]: using %s", name, fallback)
        if not targets:
            self._warn_once("no-targets", "alerts have no Telegram chat to go to: configure "
                            "[telegram] chats or people")
        return targets

    def _muted(self, chat_id: int, now: datetime) -> bool:
        until = self.store.muted_until(chat_id)
        return until is not None and now.timestamp() < until

    def _examples(self, alert: Alert) -> list[Example]:
        return self.store.get_messages(alert.message_ids[-EXAMPLES:])

    def _render(self, alert: Alert, examples: Sequence[Example], targets: Sequence[Target]):
        incident = self.store.incident(alert.incident)
        actions = self.store.incident_actions(alert.incident)
        notified = [t.label + (" (quiet hours)" if t.quiet_until and alert.severity in QUIET_SEVERITIES
                               else "") for t in targets]
        text = incident_message(alert, examples, self.tz, incident=incident, actions=actions,
                                notified=notified)
        return text, incident_keyboard(alert, examples, incident)

    async def _do(self, step: Step, alert: Alert, examples, text: str, keyboard, now: datetime,
                  superseded_ok: bool = True) -> bool:
        """Carry out one step; False when the chat could not be reached or refused it."""
        if step.op == "hold":
            self.store.hold_telegram(alert.incident, step.chat_id, alert.key, step.release_at)
            return True
        if step.op == "edit":
            if superseded_ok and self.store.pending_later(alert.incident, alert.seq, self.name):
                return True  # a newer alert of this incident is queued: it will edit the message
            if await self._call(self._edit, step.chat_id, step.message_id, text, keyboard):
                self._record(alert, step.chat_id, step.message_id, now, sent=False)
                return True
            step = Step("send", step.chat_id, None, silent=True)  # the old message is gone
        message_id = await self._call(self._send, step.chat_id, text, keyboard, step.silent, alert, examples)
        if message_id is None:
            return False
        self._record(alert, step.chat_id, message_id, now, sent=True)
        if step.message_id is not None:
            await self._retire(step.chat_id, step.message_id, alert, step.reason)
        return True

    def _record(self, alert: Alert, chat_id: int, message_id: int, now: datetime, sent: bool) -> None:
        """Store which message shows the alert (a new one also ends a hold). When the database
        refuses (locked, full) it is kept here and delivery stops: sent again, the chat would
        show the alert twice."""
        self._unsaved[(alert.incident, chat_id)] = ((message_id, alert.seq, alert.severity, alert.kind, now),
                                                    sent)
        self._save_unsaved()

    def _save_unsaved(self) -> None:
        for (incident, chat_id), (row, sent) in list(self._unsaved.items()):
            try:
                self.store.save_telegram_message(incident, chat_id, *row)
                if sent:
                    self.store.drop_telegram_hold(incident, chat_id)
            except (sqlite3.Error, StoreError) as exc:
                raise SinkUnavailable(f"cannot record Telegram message {row[0]} of {incident}: {exc}") from None
            del self._unsaved[(incident, chat_id)]

    async def _send(self, chat_id: int, text: str, keyboard, silent: bool, alert: Alert, examples) -> int | None:
        try:
            msg = await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                              disable_notification=silent, link_preview_options=NO_PREVIEW)
        except BadRequest as exc:
            if _chat_gone(exc):
                raise
            # Telegram refused our markup: never drop the alert, send it as plain text.
            log.error("telegram refused alert %s as HTML (%s); sending plain text", alert.key, exc.message)
            plain = cut_to_limit(render_plain(alert, list(examples)))
            try:
                msg = await self.bot.send_message(chat_id, plain, disable_notification=silent, reply_markup=keyboard)
            except BadRequest as again:
                if _chat_gone(again) or keyboard is None:
                    raise
                # refused again: the link button (a URL Telegram will not take); keep the ones that act
                msg = await self.bot.send_message(chat_id, plain, disable_notification=silent,
                                                  reply_markup=_without_links(keyboard))
        if not isinstance(msg, Message):
            raise TelegramError(f"a sent message came back as {type(msg).__name__}")
        return msg.message_id

    async def _edit(self, chat_id: int, message_id: int, text: str, keyboard) -> bool:
        """Edit in place; False when the message can no longer be edited (send a new one)."""
        try:
            await self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id,
                                             parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                             link_preview_options=NO_PREVIEW)
        except BadRequest as exc:
            words = exc.message.lower()
            if "not modified" in words:
                return True
            if "not found" in words or "can't be edited" in words:
                return False
            raise
        return True

    async def _retire(self, chat_id: int, message_id: int, alert: Alert, reason: str) -> None:
        """Turn the older copy into a pointer to the new message (cosmetic: errors are ignored)."""
        try:
            await self.bot.edit_message_text(superseded_message(alert, reason or "update"),
                                             chat_id=self._moved.get(chat_id, chat_id),
                                             message_id=message_id, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.debug("could not retire telegram message %s in chat %s: %s", message_id, chat_id, exc)

    async def _call(self, fn, chat_id: int, *args):
        """Run one Telegram call; map flood control and outages to SinkUnavailable.

        A group upgraded to a supergroup keeps its messages under a new id: the call is made
        again there, and so is every later one, while the store keeps the configured id.
        """
        try:
            try:
                result = await fn(self._moved.get(chat_id, chat_id), *args)
            except ChatMigrated as exc:
                self._warn_once(f"migrated:{chat_id}", "telegram chat %s became supergroup %s: alerts go "
                                "there now; put the new id in [telegram] chats", chat_id, exc.new_chat_id)
                self._moved[chat_id] = exc.new_chat_id
                result = await fn(exc.new_chat_id, *args)
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            if seconds > MAX_FLOOD_WAIT:  # asking again early costs one more 429, waiting a day costs the alerts
                self._warn_once("flood-cap", "Telegram flood control asks to wait %g s; alerts are tried "
                                "again every %d s meanwhile", seconds, MAX_FLOOD_WAIT)
                seconds = MAX_FLOOD_WAIT
            self._blocked_at = self.now()  # a clock set back before it ends the wait, not stretches it
            self.blocked_until = self._blocked_at + timedelta(seconds=seconds)
            raise SinkUnavailable(f"Telegram flood control: retry after {seconds:g} s", seconds) from None
        except (Forbidden, BadRequest) as exc:
            if isinstance(exc, BadRequest) and not _chat_gone(exc):
                log.error("telegram refused a request for chat %s: %s", chat_id, exc.message)
                return None
            self._warn_once(f"chat:{chat_id}", "telegram chat %s (%s) cannot be reached: %s; skipping it",
                            chat_id, self.directory.name_of_chat(chat_id), exc.message)
            return None
        except InvalidToken:
            raise SinkUnavailable("Telegram rejected the bot token") from None
        except NetworkError as exc:  # includes TimedOut; BadRequest was handled above
            raise SinkUnavailable(f"Telegram unreachable: {exc.message}") from None
        except (TelegramError, KeyError, TypeError, AttributeError, OverflowError) as exc:
            # not a Bot API answer (a portal's HTML page, {"ok": false} without a result, a
            # result the client cannot read, a retry_after past any clock): transient, like an outage
            raise SinkUnavailable(f"unexpected answer from Telegram: {_odd(exc)}") from None
        self._warned.discard(f"chat:{chat_id}")
        self._warned.discard("flood-cap")
        return result

    def _warn_once(self, key: str, fmt: str, *args) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(fmt, *args)


def cut_to_limit(text: str, limit: int = LIMIT) -> str:
    """`text` cut to what Telegram accepts: `limit` UTF-16 code units (an emoji counts two)."""
    units = text.encode("utf-16-le")
    if len(units) <= 2 * limit:
        return text
    return units[: 2 * (limit - 1)].decode("utf-16-le", "ignore") + "…"


def _chat_gone(exc: BadRequest) -> bool:
    """The chat refuses the bot, whatever we send: gone, kicked, or the bot may not write there."""
    words = exc.message.lower()
    return any(w in words for w in ("chat not found", "user not found", "bot was kicked", "rights",
                                    "chat_write_forbidden", "chat_restricted", "topic_closed"))


def _without_links(keyboard: InlineKeyboardMarkup) -> InlineKeyboardMarkup | None:
    rows = [[b for b in row if b.url is None] for row in keyboard.inline_keyboard]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _odd(exc: Exception) -> str:
    if isinstance(exc, TelegramError):
        return exc.message
    if isinstance(exc, KeyError):
        return f"no {exc}"
    return f"{type(exc).__name__}: {exc}"


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the attribute becomes a timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
