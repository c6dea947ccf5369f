"""Starting and stopping the Telegram side of `webcare run`: sink, bot, polling, held alerts.

`start_telegram` adds the Telegram sink to the pipeline (so alerts queue for it in the outbox
from then on), starts python-telegram-bot with `AIORateLimiter` (30 messages/s overall, 20
per minute per group) and long-polls for button presses and commands. If Telegram cannot be
reached at start, webcare runs anyway: the bot keeps trying in the background and the
outbox holds every alert until it can be sent. The token is read from the environment
variable named by `telegram.token_env` and scrubbed from every log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import datetime
from http import HTTPStatus
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, TypeHandler
from telegram.request import HTTPXRequest

from webcare.pipeline import Pipeline
from webcare.settings import SettingsError
from webcare.telegram.bot import DigestProvider, TelegramBot
from webcare.telegram.directory import Directory
from webcare.telegram.sink import TelegramSink

CONCURRENT_UPDATES = 8  # button presses and commands in progress at once
log = logging.getLogger(__name__)
DEFAULT_API = "https://api.telegram.org/bot"
ALLOWED_UPDATES = ["message", "callback_query"]


def _drop_flood_tracebacks(record: logging.LogRecord) -> bool:
    """AIORateLimiter logs each 429 it passes on with a traceback; the sink reports it instead."""
    return not (str(record.msg).startswith("Rate limit hit after maximum of") and record.args == (0,))


def _drop_bad_gateway_pages(record: logging.LogRecord) -> bool:
    """PTB logs a traceback for every non-JSON error page (a proxy's 502) during an outage;
    webcare logs the outage once instead."""
    return not str(record.msg).startswith("Can not load invalid JSON data")


# PTB loggers whose per-attempt tracebacks would flood the log during an outage.
NOISE_FILTERS = (("telegram.ext.AIORateLimiter", _drop_flood_tracebacks),
                 ("telegram.request.BaseRequest", _drop_bad_gateway_pages))


class TokenRedactor(logging.Filter):
    """Replaces the bot token in every record a handler emits (httpx and PTB log URLs with it)."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token
        self._handlers: list[logging.Handler] = []
        self._httpx_level: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), ()
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_text = text.replace(self.token, "<token>")
        return True

    def install(self) -> None:
        self._handlers = list(logging.getLogger().handlers)
        for handler in self._handlers:
            handler.addFilter(self)
        for name, noise in NOISE_FILTERS:
            logging.getLogger(name).addFilter(noise)
        httpx = logging.getLogger("httpx")
        self._httpx_level = httpx.level
        if httpx.getEffectiveLevel() < logging.WARNING:
            httpx.setLevel(logging.WARNING)  # it logs every request URL, token included, at INFO

    def remove(self) -> None:
        for handler in self._handlers:
            handler.removeFilter(self)
        for name, noise in NOISE_FILTERS:
            logging.getLogger(name).removeFilter(noise)
        if self._httpx_level is not None:
            logging.getLogger("httpx").setLevel(self._httpx_level)


def api_base_url(configured: str) -> str:
    """The Bot API URL PTB appends the token to; accepts a URL with or without the /bot suffix."""
    url = (configured or DEFAULT_API).rstrip("/")
    if "{token}" in url or url.endswith("/bot"):
        return url
    return url + "/bot"


MAX_POLL_WAIT = 30  # seconds of flood control polling waits out; longer is retried as an outage


class TokenRefused(NetworkError):
    """A 401 while polling, retried like an outage rather than ending the polling."""


class PollingRequest(HTTPXRequest):
    """getUpdates' connection. python-telegram-bot ends polling for good at one 401, so once a
    refused token worked again alerts went out but no button or command was ever answered;
    and it sleeps through any flood wait, so a retry_after of a day left buttons dead a day."""

    async def do_request(self, *args, **kwargs) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == HTTPStatus.UNAUTHORIZED:
            raise TokenRefused("Unauthorized")
        if code == HTTPStatus.TOO_MANY_REQUESTS:
            wait = _retry_after(payload)
            if wait is not None and wait > MAX_POLL_WAIT:  # backing off (to 30 s) costs a 429 a try
                raise NetworkError(f"Telegram flood control asks to wait {wait:g} s")
        return code, payload


def _retry_after(payload: bytes) -> float | None:
    try:
        value = json.loads(payload)["parameters"]["retry_after"]
    except (ValueError, TypeError, KeyError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class TelegramHandle:
    """The running Telegram side; `ready` is set once the bot is connected, `stop()` ends it."""

    def __init__(self, application: Application, sink: TelegramSink, bot: TelegramBot,
                 redactor: TokenRedactor, *, poll_timeout: float, release_every: float,
                 retry_initial: float, retry_max: float):
        self.application = application
        self.sink = sink
        self.bot = bot
        self.ready = asyncio.Event()
        self._redactor = redactor
        self._poll_timeout = poll_timeout
        self._release_every = release_every
        self._retry = (retry_initial, retry_max)
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._down: str | None = None  # the kind of trouble last reported

    async def start(self) -> None:
        started = await self._try_start()
        self._task = asyncio.create_task(self._run(started), name="webcare-telegram")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        self.sink.attach(None)
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        self._redactor.remove()

    async def _try_start(self) -> bool | None:
        """One attempt to connect; False: try again later, None: give up (token rejected)."""
        app = self.application
        try:
            await app.initialize()
            await TelegramBot.register_commands(app.bot)
            if not app.running:
                await app.start()
            if not app.updater.running:
                await app.updater.start_polling(timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES,
                                                error_callback=self._poll_error)
        except InvalidToken:
            log.error("Telegram rejected the bot token; Telegram stays off and alerts wait in the outbox")
            return None
        except NetworkError as exc:
            self._went_down(f"cannot reach Telegram: {exc.message}")
            return False
        except (TelegramError, KeyError, TypeError, AttributeError) as exc:  # a portal's page, not the Bot API
            self._went_down(f"unexpected answer from Telegram: {getattr(exc, 'message', None) or exc!r}")
            return False
        self.sink.attach(app.bot)
        self.ready.set()
        self._came_back()
        log.info("Telegram bot @%s is running", app.bot.username)
        return True

    async def _run(self, started: bool | None) -> None:
        delay, cap = self._retry
        while started is False and not await self._wait(delay):
            delay = min(delay * 2, cap)
            started = await self._try_start()
        if not started:
            return
        failing = ""  # the last failure, said once until a round succeeds
        while not await self._wait(self._release_every):
            try:
                await self.sink.release_held()
            except Exception as exc:  # noqa: BLE001 - e.g. a locked database: the next round retries
                log.log(logging.DEBUG if str(exc) == failing else logging.WARNING,
                        "telegram: releasing held alerts failed: %s", exc)
                failing = str(exc)
            else:
                failing = ""

    async def _wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when stop() was called meanwhile."""
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True

    def _poll_error(self, exc: TelegramError) -> None:
        if isinstance(exc, TokenRefused):
            self._went_down("Telegram refuses the bot token (revoked?): button presses and commands "
                            "are not received until it is accepted again", "token")
        elif isinstance(exc, Conflict):
            self._went_down("another process is polling Telegram with this bot token (a second "
                            "webcare?): button presses and commands may reach it instead; stop it",
                            "conflict")
        else:
            self._went_down(f"polling for updates failed: {exc}")

    async def _on_update(self, update: Update, context) -> None:
        self._came_back()

    def _went_down(self, why: str, trouble: str = "unreachable") -> None:
        """Log a problem once per kind of trouble: a conflict after an outage is news, and no
        update may have arrived in between to say the outage was over."""
        log.log(logging.DEBUG if self._down == trouble else logging.WARNING, "telegram: %s (retrying)", why)
        self._down = trouble

    def _came_back(self) -> None:
        if self._down:
            log.info("telegram: connection recovered")
        self._down = None


async def start_telegram(config, pipeline: Pipeline, now: Callable[[], datetime], *,
                         digest_provider: DigestProvider | None = None,
                         environ: Mapping[str, str] | None = None, poll_timeout: float = 10.0,
                         release_every: float = 30.0, retry_initial: float = 10.0,
                         retry_max: float = 300.0) -> TelegramHandle | None:
    """Start Telegram alerting and triage for `webcare run`; None when no token is configured.

    Raises SettingsError when the [telegram] section names people or chats that do not exist.
    `now` is the clock (a callable); `digest_provider(now) -> str` answers /digest.
    """
    cfg = config.telegram
    env = os.environ if environ is None else environ
    token = (env.get(cfg.token_env) or "").strip() if cfg.token_env else ""
    if not token:
        log.info("Telegram is off: environment variable %s is not set", cfg.token_env or "(token_env)")
        return None
    tz = ZoneInfo(config.brand.timezone)
    directory = Directory(cfg, tz)
    problems = directory.problems()
    if problems:
        raise SettingsError(problems, config.source)
    redactor = TokenRedactor(token)
    redactor.install()
    # updates are handled side by side: an Acknowledge must not wait for someone's /digest
    app = (ApplicationBuilder().token(token).base_url(api_base_url(cfg.api_base_url))
           .get_updates_request(PollingRequest(connection_pool_size=1))
           .rate_limiter(AIORateLimiter(max_retries=0)).job_queue(None)
           .concurrent_updates(CONCURRENT_UPDATES).build())
    sink = TelegramSink(pipeline.store, directory, now=now, tz=tz)
    pipeline.sinks[:] = [s for s in pipeline.sinks if s.name != sink.name] + [sink]
    bot = TelegramBot(pipeline, sink, directory, now=now, tz=tz, digest_provider=digest_provider)
    handle = TelegramHandle(app, sink, bot, redactor, poll_timeout=poll_timeout,
                            release_every=release_every, retry_initial=retry_initial, retry_max=retry_max)
    app.add_handler(TypeHandler(Update, handle._on_update), group=-2)
    bot.install(app)
    await handle.start()
    return handle
