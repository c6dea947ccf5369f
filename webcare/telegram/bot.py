"""The Telegram bot: buttons and commands for triage from the phone.

Every update first meets `guard`: only configured people, in configured chats (or their own
private chat), are obeyed. Anyone else gets no data, only "Not authorized." on a button, and
is logged once with their ids, which is also how an admin finds ids to configure. Buttons
change incidents through `Pipeline.human_action`, so the engine and the store learn it in one
transaction; the sink then re-renders every chat message of the incident.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sqlite3
from datetime import datetime, timedelta, tzinfo
from typing import Awaitable, Callable

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, ContextTypes,
    TypeHandler, filters,
)

from webcare.engine import HUMAN_ACTIONS
from webcare.pipeline import Pipeline
from webcare.sinks import SinkUnavailable
from webcare.store import StoreError, in_worker
from webcare.telegram.directory import Directory
from webcare.telegram.format import (
    COMMANDS, HELP, QUEUE_SHOWN, URGENCY_BANDS, clock, digest_counts_text, esc, incidents_text,
    oncall_line, queue_text, severity_rank, status_text,
)
from webcare.telegram.rota import parse_duration, take_over_until
from webcare.telegram.sink import NO_PREVIEW, TelegramSink, retry_seconds

log = logging.getLogger(__name__)
DigestProvider = Callable[[datetime], "str | Awaitable[str]"]
QUEUE_DAYS = 7
MAX_SNOOZE_MINUTES = 7 * 24 * 60  # as long as /mute goes
REPLY_RETRIES = 2  # a command reply may wait out flood control twice ...
REPLY_WAIT = 10  # ... for up to this many seconds each time
LIVE = ("open", "acknowledged", "snoozed")
DONE = {"acknowledge": "Acknowledged", "claim": "Claimed", "snooze": "Snoozed", "resolve": "Resolved",
        "reopen": "Reopened"}


def counts_digest(store, tz: tzinfo) -> Callable[[datetime], str]:
    """The default `/digest`: today's counts (the full digest is plugged in by its builder)."""
    def provider(now: datetime) -> str:
        local = now.astimezone(tz)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return digest_counts_text(store.day_counts(start, now + timedelta(microseconds=1)), local)
    return provider


class TelegramBot:
    def __init__(self, pipeline: Pipeline, sink: TelegramSink, directory: Directory, *,
                 now: Callable[[], datetime], tz: tzinfo, digest_provider: DigestProvider | None = None):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.sink = sink
        self.directory = directory
        self.now = now
        self.tz = tz
        self.digest_provider = digest_provider or counts_digest(self.store, tz)
        self._refused: set[tuple] = set()
        self._unanswered: set[int] = set()  # chats a reply could not be sent to (said once)

    def install(self, app: Application) -> None:
        app.add_handler(TypeHandler(Update, self.guard), group=-1)
        app.add_handler(CallbackQueryHandler(self.on_button))
        commands = {"queue": self.cmd_queue, "incidents": self.cmd_incidents, "status": self.cmd_status,
                    "digest": self.cmd_digest, "oncall": self.cmd_oncall, "mute": self.cmd_mute,
                    "help": self.cmd_help, "start": self.cmd_help}
        typed = filters.UpdateType.MESSAGES & ~filters.FORWARDED  # a forward quotes a command
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=typed))
        app.add_error_handler(self.on_error)

    @staticmethod
    async def register_commands(bot) -> None:
        await bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])

    # --- authorization ------------------------------------------------------------------
    async def guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is not None and user is not None and self.directory.may_command(chat.id, user.id):
            return
        ids = (user.id if user else None, chat.id if chat else None)
        level = logging.DEBUG if ids in self._refused else logging.WARNING
        self._refused.add(ids)
        log.log(level, "telegram: ignored %s from user id %s in chat id %s: not authorized "
                "(add them to [telegram] people/chats to allow)", _what(update), *ids)
        if update.callback_query is not None:
            try:
                await update.callback_query.answer("Not authorized.")
            except TelegramError:
                pass
        raise ApplicationHandlerStop

    # --- buttons ------------------------------------------------------------------------
    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        person = self.directory.person(query.from_user.id)
        data = query.data or ""
        if data == "oncall:take":
            text = self._take_over(person, None)
            await _answer(query, re.sub(r"<[^>]+>", "", text)[:190])
            await self._send(query.message.chat.id if query.message else query.from_user.id, text)
            return
        action, _, arg = data.removeprefix("act:").partition(":")
        minutes = snooze_minutes(arg) if action == "snooze" else 0.0
        if not data.startswith("act:") or action not in HUMAN_ACTIONS or minutes is None:
            await _answer(query, "Unknown button.")
            return
        message = query.message
        incident_id = (self.store.telegram_incident_of(message.chat.id, message.message_id)
                       if message is not None else None)
        row = self.store.incident(incident_id) if incident_id else None
        if row is None:
            await _answer(query, "I do not know this message's incident.")
            return
        if row["status"] == "closed":
            await _answer(query, "This incident has already calmed down and closed.")
            return
        now = self.now()
        try:
            self.pipeline.human_action(incident_id, action, person, now, minutes)
        except (StoreError, sqlite3.Error) as exc:  # e.g. locked: say the press did not count
            log.warning("telegram: %s of incident %s by %s not saved: %s", action, incident_id, person, exc)
            await _answer(query, "⚠️ Not saved (the database is busy). Please try again.")
            return
        done = DONE[action]
        if action == "snooze":
            done = f"Snoozed until {clock(now + timedelta(minutes=minutes), self.tz, now)}"
        await _answer(query, f"{done} by {person}.")
        try:
            await self.sink.refresh(incident_id)
        except SinkUnavailable as exc:
            log.warning("telegram: incident %s changed but its messages could not be updated: %s",
                        incident_id, exc)

    # --- commands -----------------------------------------------------------------------
    async def cmd_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._send(update.effective_chat.id, HELP)

    async def cmd_queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        now = self.now()
        since = now - timedelta(days=QUEUE_DAYS)
        bands = [low for low, _ in URGENCY_BANDS]
        total, waiting = await in_worker(self.store, lambda s: s.waiting_customers(since, QUEUE_SHOWN, bands))
        await self._send(update.effective_chat.id, queue_text(waiting, now, self.tz, total))

    async def cmd_incidents(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        rows = [r for r in self.store.incidents() if r["status"] in LIVE]
        rows.sort(key=lambda r: (-severity_rank(r["severity"]), r["opened_at"]))
        await self._send(update.effective_chat.id, incidents_text(rows, self.now(), self.tz))

    async def cmd_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        now = self.now()
        chat_id = update.effective_chat.id
        muted = self.store.muted_until(chat_id)
        text = status_text(self.store.connector_status(), now, self.tz,
                           outbox=self.store.pending_count(self.sink.name),
                           held=len(self.store.telegram_held()),
                           muted_until=datetime.fromtimestamp(muted, self.tz) if muted and muted > now.timestamp() else None,
                           oncall=self.directory.on_call(now, self._override()))
        await self._send(chat_id, text)

    async def cmd_digest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = self.digest_provider(self.now())
        if inspect.isawaitable(text):
            text = await text
        for chunk in _chunks(str(text)):
            await self._send(update.effective_chat.id, esc(chunk, 4000, multiline=True))

    async def cmd_oncall(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args = [a.lower() for a in context.args or []]
        chat_id = update.effective_chat.id
        person = self.directory.person(update.effective_user.id)
        if args and args[0] in ("take", "takeover", "me"):
            await self._send(chat_id, self._take_over(person, args[1] if len(args) > 1 else None))
            return
        if args and args[0] in ("release", "end", "off"):
            self.store.clear_oncall_override()
            now = self.now()
            await self._send(chat_id, "📟 Take-over ended. On call: "
                             + oncall_line(self.directory.on_call(now), self.tz, now))
            return
        now = self.now()
        lines = ["📟 On call: " + oncall_line(self.directory.on_call(now, self._override()), self.tz, now)]
        if self.directory.shifts:
            lines += ["", "<b>Rota</b>"] + [f"• {esc(s.text, 80)}" for s in self.directory.shifts]
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("🙋 Take over", callback_data="oncall:take")]])
        await self._send(chat_id, "\n".join(lines), keyboard)

    async def cmd_mute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        now = self.now()
        arg = " ".join(context.args or []).strip().lower()
        if not arg:
            until = self.store.muted_until(chat_id)
            state = (f"muted until {clock(until, self.tz, now)}" if until and until > now.timestamp()
                     else "not muted")
            await self._send(chat_id, f"🔔 This chat is {state}. Use <code>/mute 2h</code> or <code>/mute off</code>.")
            return
        if arg in ("off", "0", "no", "unmute"):
            self.store.set_muted_until(chat_id, None)
            await self._send(chat_id, "🔔 Alerts in this chat ring again.")
            return
        try:
            span = parse_duration(arg)
        except ValueError as exc:
            await self._send(chat_id, f"⚠️ {esc(str(exc), 120)}")
            return
        until = now + min(span, timedelta(days=7))
        self.store.set_muted_until(chat_id, until)
        await self._send(chat_id, f"🔕 Alerts in this chat arrive silently until {clock(until, self.tz, now)} "
                         "(critical ones still ring). <code>/mute off</code> ends it.")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(context.error, (StoreError, sqlite3.Error)) and chat is not None:
            # e.g. /mute while the database is locked: the sender must learn it did not count
            log.warning("telegram: %s failed: %s", _what(update), context.error)
            await self._send(chat.id, "⚠️ The database is busy, so that did not count. Please try again.")
            return
        log.error("telegram: handling an update failed: %s", context.error, exc_info=context.error)

    # --- helpers ------------------------------------------------------------------------
    def _override(self) -> tuple[str, datetime] | None:
        row = self.store.oncall_override()
        return (row["person"], datetime.fromtimestamp(row["until"], self.tz)) if row else None

    def _take_over(self, person: str | None, duration: str | None) -> str:
        now = self.now()
        if person is None:
            return "⚠️ Only configured people can be on call."
        if duration:
            try:
                until = now + min(parse_duration(duration), timedelta(days=14))
            except ValueError as exc:
                return f"⚠️ {esc(str(exc), 120)}"
        else:
            until = take_over_until(self.directory.shifts, now, self.tz)
        before = self.directory.on_call(now, self._override()).person
        self.store.set_oncall_override(person, until, now)
        took = f" (took over from {esc(before, 40)})" if before and before != person else ""
        return f"🙋 <b>{esc(person, 40)}</b> is on call until {clock(until, self.tz, now)}{took}."

    async def _send(self, chat_id: int, text: str, keyboard=None) -> None:
        """Reply in a chat. Flood control is waited out here, briefly: the rate limiter's own
        retry holds back every other request while it waits (alerts, button answers, polling),
        as long as Telegram asks; a retry_after of a day froze the bot for a day."""
        for attempt in range(REPLY_RETRIES + 1):
            try:
                await self.sink.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                                 link_preview_options=NO_PREVIEW)
                self._unanswered.discard(chat_id)
                return
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                if attempt == REPLY_RETRIES or seconds > REPLY_WAIT:
                    log.warning("telegram: a reply in chat %s (%s) is not sent: flood control asks to wait %g s",
                                chat_id, self.directory.name_of_chat(chat_id), seconds)
                    return
                await asyncio.sleep(seconds)
            except TelegramError as exc:  # e.g. a group where the bot may not write: said once
                level = logging.DEBUG if chat_id in self._unanswered else logging.WARNING
                self._unanswered.add(chat_id)
                log.log(level, "telegram: cannot reply in chat %s (%s): %s", chat_id,
                        self.directory.name_of_chat(chat_id), exc)
                return


def snooze_minutes(arg: str) -> float | None:
    """The minutes of a snooze button, or None for what no button of ours says: callback_data
    comes from the client, and a modified one sends anything ("99999999999999", "²")."""
    if not (arg.isascii() and arg.isdigit()) or not 0 < int(arg) <= MAX_SNOOZE_MINUTES:
        return None
    return float(arg)


async def _answer(query, text: str) -> None:
    """Show the press's toast. Best effort: a press handled late (after a restart or an outage)
    can no longer be answered ("query is too old"), and what it changed must still be shown."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.debug("telegram: could not answer a button press: %s", exc)


def _what(update: Update) -> str:
    if update.callback_query is not None:
        return "a button press"
    text = update.effective_message.text if update.effective_message else None
    if text and text.startswith("/"):
        return "command " + re.sub(r"[^A-Za-z0-9_/@]", "", text.split()[0])[:40]
    return "a message"


def _chunks(text: str, size: int = 3500) -> list[str]:
    """Split plain text on line breaks into pieces Telegram accepts."""
    chunks, current = [], ""
    for line in text.splitlines() or [""]:
        while len(line) > size:
            chunks.append(line[:size])
            line = line[size:]
        if len(current) + len(line) + 1 > size:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current or not chunks:
        chunks.append(current or "(empty digest)")
    return chunks
