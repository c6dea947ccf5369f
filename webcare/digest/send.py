"""Sending digests on Telegram: each (recipient, period) once, late if need be, never twice.

A due digest is first claimed in the store's `digest_runs` table; every chat's progress
(message sent, photo sent, or chat refused the bot) is written after each step, and the run
is marked sent in the same transaction as its last chat. So a digest missed at 08:00
(webcare down, Telegram unreachable, flood control) goes out once when it can, a restart in
the middle resumes where it stopped, and nothing already sent is sent again. The bot and the
recipients come from the running Telegram side (`webcare.telegram.service.TelegramHandle`).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import warnings
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from webcare.digest import schedule
from webcare.digest.build import build_digest, digest_config, digest_tz, in_worker
from webcare.digest.schedule import Due, kinds, todays_periods, trigger

log = logging.getLogger(__name__)
RETRY_MINUTES = 5  # how often a digest that could not go out is tried again
LATE = timedelta(minutes=15)  # later than this, the digest says it is late
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TryLater(Exception):
    """Telegram cannot take the digest now (outage, flood control); the run stays due."""


class DigestSender:
    """Sends what `schedule.due` says is due; `send_due` is what the scheduler calls."""

    def __init__(self, config, store, handle, now: Callable[[], datetime]):
        self.config = config
        self.store = store
        self.handle = handle
        self.now = now
        self.cfg = digest_config(config)
        self.tz = digest_tz(config)
        self._lock = asyncio.Lock()
        self._waiting_reason: str | None = None

    def due(self, now: datetime) -> list[Due]:
        keys = [period.key for _, _, period in todays_periods(self.cfg, self.tz, now)]
        return schedule.due(self.cfg, self.tz, now, self.store.digest_runs_sent(keys))

    async def send_due(self) -> int:
        """Send every digest that is due and unsent; return how many runs were completed."""
        async with self._lock:
            now = self.now()
            pending = self.due(now)
            if not pending:
                return 0
            bot = getattr(self.handle.sink, "bot", None) if self.handle is not None else None
            if bot is None:
                self._wait("Telegram is not connected yet")
                return 0
            done = 0
            rendered: dict[tuple, tuple[str, bytes, str]] = {}
            for item in pending:
                with self.store.transaction():
                    self.store.queue_digest_run(item.recipient, item.period.key, item.kind, item.due_at, now)
                try:
                    done += await self._deliver(item, bot, now, rendered)
                except TryLater as exc:
                    self._wait(str(exc))
                    break
            else:
                if self._waiting_reason is not None:
                    log.info("digest: delivered after waiting (%s)", self._waiting_reason)
                self._waiting_reason = None
            return done

    def _wait(self, reason: str) -> None:
        if reason != self._waiting_reason:
            log.warning("digest: due but not sent yet: %s; trying again every %d min", reason, RETRY_MINUTES)
        self._waiting_reason = reason

    async def _render(self, item: Due, lang: str, now: datetime, cache: dict) -> tuple[str, bytes, str]:
        from webcare.digest.chart import digest_png
        from webcare.digest.render import chart_caption, render_telegram

        key = (item.kind, item.period.key, lang)
        if key not in cache:
            late = item.due_at if now - item.due_at > LATE else None

            def work(store) -> tuple[str, bytes, str]:  # in a worker thread: SQL and matplotlib
                digest = replace(build_digest(store, self.config, item.period, now), due_at=late)
                return render_telegram(digest, lang), digest_png(digest, lang), chart_caption(digest, lang)

            cache[key] = await in_worker(self.store, work)
        return cache[key]

    async def _deliver(self, item: Due, bot, now: datetime, cache: dict) -> int:
        """Send one run to every chat of its recipient; 1 when the run is complete."""
        directory = self.handle.sink.directory
        override = self.store.oncall_override()
        pair = (override["person"], datetime.fromtimestamp(override["until"], self.tz)) if override else None
        targets, unknown = directory.resolve([item.recipient], now, pair)
        if unknown:
            log.warning("digest: recipient %r is not configured under [telegram]; sending to %s",
                        item.recipient, directory.cfg.fallback_recipient)
        key = item.period.key
        state = (self.store.digest_run(item.recipient, key) or {}).get("chats", {})
        todo = [t for t in targets if not _finished(state.get(str(t.chat_id), {}))]
        if not todo:
            with self.store.transaction():
                self.store.finish_digest_run(item.recipient, key, now)
            if not targets:
                log.warning("digest: no Telegram chat for recipient %r; nothing sent", item.recipient)
            return 1
        text, png, caption = await self._render(item, self.cfg.language_for(item.recipient), now, cache)
        for n, target in enumerate(todo):
            last = n == len(todo) - 1
            chat = dict(state.get(str(target.chat_id), {}))
            silent = target.quiet_until is not None
            if "message" not in chat:
                sent = await self._call(target.chat_id, self._send_text, text, silent)
                if sent is None:
                    chat["refused"] = True
                else:
                    chat["message"] = sent
                    self._record(item, target.chat_id, chat, now, complete=False)
            if "message" in chat:
                sent = await self._call(target.chat_id, self._send_photo, png, caption)
                chat["photo"] = sent if sent is not None else 0
            self._record(item, target.chat_id, chat, now, complete=last)
        log.info("digest %s sent to %s (%d chat(s))", key, item.recipient, len(todo))
        return 1

    def _record(self, item: Due, chat_id: int, chat: dict, now: datetime, complete: bool) -> None:
        with self.store.transaction():
            self.store.record_digest_chat(item.recipient, item.period.key, chat_id, chat, now, complete)

    async def _send_text(self, bot, chat_id: int, text: str, silent: bool) -> int:
        try:
            msg = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, disable_notification=silent,
                                         link_preview_options=NO_PREVIEW)
        except BadRequest as exc:
            if _chat_gone(exc):
                raise
            log.error("telegram refused the digest as HTML (%s); sending plain text", exc.message)
            plain = html.unescape(re.sub(r"<[^>]+>", "", text))[:4000]
            msg = await bot.send_message(chat_id, plain, disable_notification=silent,
                                         link_preview_options=NO_PREVIEW)
        return msg.message_id

    async def _send_photo(self, bot, chat_id: int, png: bytes, caption: str) -> int:
        msg = await bot.send_photo(chat_id, photo=png, caption=caption, parse_mode=ParseMode.HTML,
                                   disable_notification=True, filename="digest.png")
        return msg.message_id

    async def _call(self, chat_id: int, fn, *args) -> int | None:
        """One Telegram call; None when the chat refuses the bot, TryLater when Telegram can't."""
        bot = self.handle.sink.bot
        if bot is None:
            raise TryLater("the Telegram bot is not connected")
        try:
            return await fn(bot, chat_id, *args)
        except RetryAfter as exc:
            raise TryLater(f"Telegram flood control, retry after {_retry_seconds(exc):g} s") from None
        except (Forbidden, BadRequest) as exc:
            log.warning("digest: telegram chat %s (%s) cannot be reached: %s; skipping it",
                        chat_id, self.handle.sink.directory.name_of_chat(chat_id), exc.message)
            return None
        except InvalidToken:
            raise TryLater("Telegram rejected the bot token") from None
        except NetworkError as exc:
            raise TryLater(f"Telegram unreachable: {exc.message}") from None


def _finished(chat: dict) -> bool:
    return bool(chat.get("refused")) or "photo" in chat


def _chat_gone(exc: BadRequest) -> bool:
    words = exc.message.lower()
    return "chat not found" in words or "user not found" in words or "bot was kicked" in words


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the attribute becomes a timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def schedule_digests(scheduler, config, pipeline, telegram_handle, now: Callable[[], datetime]
                           ) -> DigestSender | None:
    """Add the digest jobs to an APScheduler `scheduler` and send today's digest if it is due
    and was missed (webcare was down at the planned time). None when digests are off.

    Jobs: one cron trigger per kind at the local `[digest] time` (the weekly one on
    `weekday`), and a retry every few minutes for digests Telegram could not take yet.
    """
    cfg = digest_config(config)
    if not cfg.enabled or not kinds(cfg):
        log.info("digest: off ([digest] enabled = false, or neither daily nor weekly)")
        return None
    if telegram_handle is None:
        log.info("digest: Telegram is off, so no digest is sent (`webcare digest` renders one)")
        return None
    sender = DigestSender(config, pipeline.store, telegram_handle, now)
    tz = digest_tz(config)
    for kind in kinds(cfg):
        scheduler.add_job(sender.send_due, trigger(kind, cfg, tz), id=f"digest-{kind}", replace_existing=True,
                          misfire_grace_time=None, coalesce=True)
    scheduler.add_job(sender.send_due, "interval", minutes=RETRY_MINUTES, id="digest-retry",
                      replace_existing=True, misfire_grace_time=None, coalesce=True)
    await sender.send_due()
    return sender
