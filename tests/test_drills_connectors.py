"""Fault drill: every platform fake misbehaves in every way we know, through the real runner.

Table-driven, apprise-style: one row per connector, one column per fault. In each cell the fake
serves the first page of a stream, then answers every further request with the fault for three
polls (429 with and without reset headers, 5xx, a hang past the timeout, truncated JSON, valid
JSON of the wrong shape, a 16 MB answer, expired credentials), then recovers. What a user would
notice is checked: the runner never lets an exception escape, backs off (or waits for the
platform's reset), logs the state change once and the recovery once, raises one alert when
credentials fail, and after recovery has stored exactly what an undisturbed run stores.

`run_cell(platform, fault)` is also used by `bench/drills.py` to print the drill summary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any, Callable

import pytest

import test_connector_bluesky as t_bluesky
import test_connector_email as t_email
import test_connector_facebook as t_facebook
import test_connector_feed as t_feed
import test_connector_instagram as t_instagram
import test_connector_mastodon as t_mastodon
import test_connector_reddit as t_reddit
import test_connector_x as t_x
from conftest import T0
from fakes import graph_api, mastodon_api, x_api
from fakes.bluesky_api import FakeBluesky
from fakes.feed_server import FakeFeeds
from fakes.graph_api import FakeGraphApi
from fakes.imap_server import FakeImapServer
from fakes.mastodon_api import FakeMastodon
from fakes.reddit_api import FakeReddit
from fakes.x_api import FakeXApi
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.runner import Coordinator, RetryPolicy
from webcare.store import Store

FAULTS = ("429-reset", "429", "5xx", "timeout", "truncated", "wrong-types", "huge", "expired")
FAILING_POLLS = 3
POLICY = RetryPolicy(interval=60, jitter=0, initial=10, cap=80)
TRUNCATED = '{"data": [{"id": "1850000000000000100", "text": "@zuiderloop waar blijft'
WRONG_TYPES = {"data": "not a list", "meta": [1, 2], "paging": 7, "cursor": 9, "notifications": "none",
               "feed": 1, "kind": 5, "statuses": {}}
HUGE = "<html><body>" + "Even geduld... " * 1_100_000 + "</body></html>"  # a 16 MB page from a proxy


def _stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(frozen=True)
class Platform:
    """How to drive one connector's fake: make it, seed it, break it and fix it."""

    name: str
    module: ModuleType  # the connector's own test module: its seed() and connector() helpers
    fake: Callable[[], Any]
    stream: str  # path fragment of the paged stream the faults hit (an IMAP command for e-mail)
    limited: Callable[[datetime], tuple[dict, datetime]]  # 429 headers with a reset, and that reset
    expire: Callable[[Any], None]  # credentials stop working
    renew: Callable[[Any], None]  # ... and work again
    fault_cls: type | None = None  # the fake's Fault dataclass (HTTP fakes)
    seed: Callable[[Any], Any] | None = None

    def connector(self, fake: Any, clock: SimClock):
        return self.module.connector(fake, clock)

    def populate(self, fake: Any) -> None:
        (self.seed or self.module.seed)(fake)


def _set(obj: Any, **values: Any) -> None:
    for key, value in values.items():
        setattr(obj, key, value)


def _expire_bluesky(api: FakeBluesky) -> None:
    api.expire_tokens()
    _set(api, refresh_works=False, password="revoked-app-password")


def _expire_reddit(api: FakeReddit) -> None:
    api.expire_tokens()
    api.password = "changed-by-the-owner"


def _buc(now: datetime) -> tuple[dict, datetime]:
    usage = {"104857600000000": [], "111": [{"type": "pages", "call_count": 100, "total_cputime": 12,
                                             "total_time": 15, "estimated_time_to_regain_access": 7}],
             "17841400000000001": [{"type": "instagram", "call_count": 100, "total_cputime": 12,
                                    "total_time": 15, "estimated_time_to_regain_access": 7}]}
    return {"X-Business-Use-Case-Usage": json.dumps(usage)}, now + timedelta(minutes=7)


PLATFORMS = [
    Platform("x", t_x, FakeXApi, "/mentions",
             lambda now: ({"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                           "x-rate-limit-reset": str(int((now + timedelta(minutes=15)).timestamp()))},
                          now + timedelta(minutes=15)),
             lambda api: _set(api, user_token="revoked"), lambda api: _set(api, user_token="user-token"),
             x_api.Fault),
    Platform("facebook", t_facebook, FakeGraphApi, "/111/feed", _buc,
             lambda api: _set(api, expired=True), lambda api: _set(api, expired=False), graph_api.Fault),
    Platform("instagram", t_instagram, FakeGraphApi, "/comments", _buc,
             lambda api: _set(api, expired=True), lambda api: _set(api, expired=False), graph_api.Fault),
    Platform("mastodon", t_mastodon, FakeMastodon, "/notifications",
             lambda now: ({"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                           "X-RateLimit-Reset": _stamp(now + timedelta(minutes=5))}, now + timedelta(minutes=5)),
             lambda api: _set(api, revoked=True), lambda api: _set(api, revoked=False), mastodon_api.Fault),
    Platform("bluesky", t_bluesky, FakeBluesky, "listNotifications",
             lambda now: ({"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-policy": "3000;w=300",
                           "ratelimit-reset": str(int((now + timedelta(minutes=5)).timestamp()))},
                          now + timedelta(minutes=5)),
             _expire_bluesky, lambda api: _set(api, refresh_works=True, password="app-pass-1234"),
             mastodon_api.Fault),
    Platform("reddit", t_reddit, FakeReddit, "/message/inbox",
             lambda now: ({"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0.0",
                           "X-Ratelimit-Reset": "300"}, now + timedelta(seconds=300)),
             _expire_reddit, lambda api: _set(api, password="hunter2"), mastodon_api.Fault),
    Platform("feed", t_feed, FakeFeeds, t_feed.REVIEWS,
             lambda now: ({"Retry-After": "120"}, now + timedelta(seconds=120)),
             lambda api: api.fail(t_feed.REVIEWS, 401, "<html>Feed key expired</html>", times=10**6),
             lambda api: api.faults.clear(), mastodon_api.Fault, seed=lambda feeds: t_feed.reviews(feeds)),
    Platform("email", t_email, FakeImapServer, "FETCH", lambda now: ({}, now),
             lambda imap: _set(imap, password="changed-by-it"), lambda imap: _set(imap, password="imap-secret")),
]
BY_NAME = {p.name: p for p in PLATFORMS}


# --- injecting faults ---------------------------------------------------------------------------

def inject(platform: Platform, fake: Any, fault: str, now: datetime) -> datetime | None:
    """Break `fake` the `fault` way from its stream's second request on; return the promised reset."""
    if fault == "expired":
        platform.expire(fake)
        return None
    if platform.fault_cls is None:
        return _inject_imap(fake, fault)
    big = 10**6
    if fault == "timeout":
        fake.faults.append(platform.fault_cls(platform.stream, times=big, hang=True, after=1))
        return None
    reset = None
    status, body, headers = {
        "429": (429, {"error": "Too Many Requests", "title": "Too Many Requests", "status": 429}, {}),
        "5xx": (503, None, {}),
        "truncated": (200, TRUNCATED, {}),
        "wrong-types": (200, WRONG_TYPES, {}),
        "huge": (200, HUGE, {}),
    }.get(fault, (429, None, None))
    if fault == "429-reset":
        headers, reset = platform.limited(now)
        body = {"error": "Too Many Requests", "title": "Too Many Requests", "status": 429}
        if platform.name == "feed":
            body = "<html>Too Many Requests</html>"
    if platform.name == "feed" and fault == "wrong-types":
        body = {"version": "https://jsonfeed.org/version/1.1", "items": 5}  # JSON where XML belongs
    fake.faults.append(platform.fault_cls(platform.stream, status, body, headers, big, after=1))
    return reset


def _inject_imap(imap: FakeImapServer, fault: str) -> None:
    big = 10**6
    setups = {
        "429-reset": dict(reply="NO [LIMIT] Too many simultaneous commands"),
        "429": dict(reply="NO [THROTTLED] Slow down"),
        "5xx": dict(reply="NO [UNAVAILABLE] Backend temporarily unavailable"),
        "timeout": dict(hang=True),
        "truncated": dict(drop=True),  # the connection closes in the middle of the answer
        "wrong-types": dict(reply="BAD [CLIENTBUG] Invalid message sequence"),
    }
    if fault == "huge":  # a mail with a 5 MB attachment arrives; nothing else is wrong
        imap.deliver("INBOX", HUGE_MAIL, T0 - timedelta(minutes=1))
        return None
    imap.trick("FETCH", times=big, after=1, **setups[fault])
    return None


def _huge_mail() -> bytes:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Piet <piet@klant.test>", t_email.US, "Foto's van de finish"
    m["Date"] = "Sun, 04 Oct 2026 09:59:00 +0200"
    m["Message-ID"] = f"<{HUGE_MAIL_ID}>"
    m.set_content("Hierbij de foto's, waar blijft mijn medaille?")
    m.add_attachment(b"\xff\xd8" + bytes(range(256)) * 20_000, maintype="image", subtype="jpeg",
                     filename="finish.jpg")
    return m.as_bytes()


HUGE_MAIL_ID = "huge-attachment@klant.test"
HUGE_MAIL = _huge_mail()


def heal(platform: Platform, fake: Any, fault: str) -> None:
    if fault == "expired":
        platform.renew(fake)
    elif platform.fault_cls is None:
        fake.tricks.clear()
    else:
        fake.faults.clear()


def data_only(platform: str, fault: str) -> bool:
    """E-mail's 'huge' cell: the server is fine, one mail is 5 MB; it must simply be stored."""
    return platform == "email" and fault == "huge"


# --- one cell of the table ----------------------------------------------------------------------

class Recorder(logging.Handler):
    """Collects the runner's log records (works inside and outside pytest)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def count(self, level: int, words: str = "") -> int:
        return sum(r.levelno == level and words in r.getMessage() for r in self.records)


@dataclass
class Outcome:
    platform: str
    fault: str
    statuses: list[str] = field(default_factory=list)
    delays: list[float | None] = field(default_factory=list)  # seconds until the next poll; None: stopped
    promised_reset: datetime | None = None
    first_next: datetime | None = None
    escaped: str = ""  # an exception the runner let through (the live loop would log a traceback)
    warnings: int = 0  # "connector ... is down / rate limited / stopped" lines while failing
    said: list[str] = field(default_factory=list)  # those lines
    recovered_logs: int = 0
    alerts: int = 0  # system alerts (content alerts from the playbooks are not counted)
    final_status: str = ""
    lost: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    expected: int = 0

    @property
    def survived(self) -> bool:
        return not self.escaped and not self.lost and not self.extra and self.final_status == "ok"


_clean: dict[str, set[str]] = {}


async def _undisturbed(platform: Platform) -> set[str]:
    """What two polls of an undisturbed run store (cached per platform)."""
    if platform.name not in _clean:
        store = Store(":memory:")
        clock = SimClock(T0)
        async with platform.fake() as fake:
            platform.populate(fake)
            for _ in range(2):
                conn = platform.connector(fake, clock)
                try:
                    await Coordinator(conn, Pipeline(store, Engine(load_dir(None)), []), POLICY, clock.now,
                                      random.Random(1)).poll()
                finally:
                    await conn.aclose()
                clock.advance(60)
        _clean[platform.name] = _ids(store)
        store.close()
    return _clean[platform.name]


def _ids(store: Store) -> set[str]:
    return {f"{r[0]}:{r[1]}" for r in store.conn.execute("SELECT platform, id FROM messages")}


async def run_cell(platform: Platform, fault: str) -> Outcome:
    """Break the platform's fake with `fault` for three polls, heal it, and see what the bot did."""
    expected = await _undisturbed(platform)
    out = Outcome(platform.name, fault, expected=len(expected))
    recorder = Recorder()
    runner_log = logging.getLogger("webcare.runner")
    runner_log.addHandler(recorder)
    old_level = runner_log.level
    runner_log.setLevel(logging.INFO)
    store = Store(":memory:")
    clock = SimClock(T0)
    try:
        async with platform.fake() as fake:
            platform.populate(fake)
            conn = platform.connector(fake, clock)  # built with working credentials
            out.promised_reset = inject(platform, fake, fault, clock.now())
            coord = Coordinator(conn, Pipeline(store, Engine(load_dir(None)), []), POLICY, clock.now,
                                random.Random(1))
            try:
                for n in range(FAILING_POLLS):
                    before = clock.now()
                    try:
                        when = await coord.poll()
                    except Exception as exc:  # noqa: BLE001 - that is exactly what the drill looks for
                        out.escaped = f"{type(exc).__name__}: {exc}"[:200]
                        break
                    out.statuses.append(coord.status)
                    out.delays.append(None if when is None else (when - before).total_seconds())
                    if n == 0:
                        out.first_next = when
                    if when is None:
                        break
                    clock.set(when)
                out.warnings = recorder.count(logging.WARNING)
                out.said = [r.getMessage() for r in recorder.records if r.levelno == logging.WARNING]
                out.alerts = sum(a.playbook == "system" for a in store.alerts())
                heal(platform, fake, fault)
                if coord.status == "stopped" or out.escaped:
                    await conn.aclose()  # a restart: new connector, new coordinator, same store
                    conn = platform.connector(fake, clock)
                    coord = Coordinator(conn, Pipeline(store, Engine(load_dir(None)), []), POLICY,
                                        clock.now, random.Random(1))
                for _ in range(2):
                    clock.advance(60)
                    try:
                        when = await coord.poll()
                    except Exception as exc:  # noqa: BLE001
                        out.escaped = out.escaped or f"{type(exc).__name__}: {exc}"[:200]
                        break
                    if when is not None:
                        clock.set(when)
                out.final_status = coord.status
                out.recovered_logs = recorder.count(logging.INFO, "recovered")
            finally:
                await conn.aclose()
        got = _ids(store)
        if data_only(platform.name, fault):
            expected = expected | {f"email:{HUGE_MAIL_ID}"}
        out.lost = sorted(expected - got)
        out.extra = sorted(got - expected)
    finally:
        runner_log.removeHandler(recorder)
        runner_log.setLevel(old_level)
        store.close()
    return out


# --- the table ----------------------------------------------------------------------------------

JSON_APIS = ("x", "facebook", "instagram", "mastodon", "bluesky", "reddit")  # their wrong shape is named in the log


def _cells():
    for platform in PLATFORMS:
        for fault in FAULTS:
            yield pytest.param(platform.name, fault, id=f"{platform.name}-{fault}")


def problems(out: Outcome) -> list[str]:
    """What a user would notice going wrong in one cell ([] = the bot coped)."""
    found = []
    if out.escaped:
        found.append(f"the runner let an exception through: {out.escaped}")
    if data_only(out.platform, out.fault):
        if out.statuses != ["ok"] * FAILING_POLLS or out.warnings:
            found.append(f"a big mail upset the connector: {out.statuses}")
    elif out.fault == "expired":
        if out.statuses[-1:] != ["stopped"] or out.delays[-1:] != [None]:
            found.append(f"expired credentials did not stop polling: {out.statuses}")
        if out.alerts != 1:
            found.append(f"{out.alerts} alerts about the stopped connector, expected 1")
    else:
        if len(out.statuses) != FAILING_POLLS or not set(out.statuses) <= {"backoff", "rate_limited"}:
            found.append(f"the fault went unnoticed: statuses {out.statuses}")
        elif out.promised_reset is not None and out.promised_reset > T0:  # the platform said when
            if out.first_next is None or abs((out.first_next - out.promised_reset).total_seconds()) > 1:
                found.append(f"did not wait for the reset {out.promised_reset:%H:%M:%S}: next {out.first_next}")
        elif out.statuses[0] == "rate_limited":  # no reset given: wait, never less than the backoff
            if out.delays != sorted(out.delays) or out.delays[0] < POLICY.initial:
                found.append(f"rate limit waits {out.delays}")
        elif out.delays != sorted(out.delays) or not out.delays[0] < out.delays[-1]:
            found.append(f"no exponential backoff: {out.delays}")
        if out.alerts:
            found.append(f"{out.alerts} system alerts for a passing fault")
        if out.recovered_logs != 1:
            found.append(f"recovery logged {out.recovered_logs} times")
    if not data_only(out.platform, out.fault) and out.warnings != 1:
        found.append(f"the state change was logged {out.warnings} times, not once")
    if out.fault == "wrong-types" and out.platform in JSON_APIS and \
            not any(f"{out.platform} /" in s and "unexpected answer" in s for s in out.said):
        found.append(f"the log does not say which endpoint gave an unexpected answer: {out.said}")
    if out.final_status != "ok":
        found.append(f"not ok after the fake recovered: {out.final_status}")
    if out.lost or out.extra:
        found.append(f"lost {len(out.lost)} messages {out.lost[:3]}, {len(out.extra)} unexpected")
    return found


@pytest.mark.parametrize("name, fault", list(_cells()))
def test_the_bot_survives_the_fault_backs_off_reports_once_and_catches_up(name, fault):
    assert problems(asyncio.run(run_cell(BY_NAME[name], fault))) == []
