"""Fault drill, fourth round: the connectors' HTTP layer.

Each test puts a real connector against its fake platform on a real socket (or a bare aiohttp
server where no platform fake can say it), through the real runner, on a simulated clock. What
is checked is what a user would notice: no exception escapes the runner, the state change is
said once with where it came from, nothing is lost, no secret leaves for another host or a
log, and the bot catches up once the fault is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import struct
import tracemalloc
import zlib
from datetime import timedelta, timezone
from email.utils import format_datetime
from typing import Any, Callable

import pytest
from aiohttp import web

import test_connector_feed as t_feed
import test_connector_mastodon as t_mastodon
import test_connector_x as t_x
from connector_kit import coordinator, status, stored
from conftest import T0
from connectors import TransientError
from connectors.http import MAX_BODY, new_session, request_json
from fakes.feed_server import FakeFeeds
from fakes.mastodon_api import FakeMastodon
from fakes.x_api import FakeXApi
from test_drills_connectors import (
    BY_NAME, FAILING_POLLS, POLICY, Outcome, Platform, Recorder, _ids, _undisturbed, problems,
)
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.runner import Coordinator
from webcare.store import Store

JSON_APIS = ("x", "facebook", "mastodon", "bluesky", "reddit")
BIG = 10**6


def answer(status: int, body: Any, headers: dict | None = None) -> Callable[[Platform, Any], None]:
    """Break a platform's stream: every request after its first page gets this answer."""
    def apply(platform: Platform, fake: Any) -> None:
        fake.faults.append(platform.fault_cls(platform.stream, status, body, headers or {}, BIG, after=1))
    return apply


async def drill(platform: Platform, breaking: Callable[[Platform, Any], None]) -> Outcome:
    """`test_drills_connectors.run_cell` for a fault of this round: three failing polls, the
    fake healed, two more polls; the outcome is judged by the same `problems()` as a 5xx."""
    expected = await _undisturbed(platform)
    assert expected, "the undisturbed run stored nothing: the drill would prove nothing"
    out = Outcome(platform.name, "5xx", expected=len(expected))
    recorder = Recorder()
    runner_log = logging.getLogger("webcare.runner")
    runner_log.addHandler(recorder)
    old_level = runner_log.level
    runner_log.setLevel(logging.INFO)
    store, clock = Store(":memory:"), SimClock(T0)
    try:
        async with platform.fake() as fake:
            platform.populate(fake)
            conn = platform.connector(fake, clock)
            breaking(platform, fake)
            coord = Coordinator(conn, Pipeline(store, Engine(load_dir(None)), []), POLICY, clock.now,
                                random.Random(1))
            try:
                for _ in range(FAILING_POLLS):
                    before = clock.now()
                    try:
                        when = await coord.poll()
                    except Exception as exc:  # noqa: BLE001 - what the drill looks for
                        out.escaped = f"{type(exc).__name__}: {exc}"[:200]
                        break
                    out.statuses.append(coord.status)
                    out.delays.append(None if when is None else (when - before).total_seconds())
                    if when is None:
                        break
                    clock.set(when)
                out.warnings = recorder.count(logging.WARNING)
                out.said = [r.getMessage() for r in recorder.records if r.levelno == logging.WARNING]
                out.alerts = sum(a.playbook == "system" for a in store.alerts())
                fake.faults.clear()
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
        out.lost, out.extra = sorted(expected - got), sorted(got - expected)
    finally:
        runner_log.removeHandler(recorder)
        runner_log.setLevel(old_level)
        store.close()
    return out


# --- bodies that are JSON no decoder should try to hold --------------------------------------

@pytest.mark.parametrize("name", JSON_APIS)
@pytest.mark.parametrize("body", [
    "[" * 5000 + "]" * 5000,  # nested 5,000 deep: RecursionError
    '{"data": [' + "7" * 5000 + "]}",  # a 5,000-digit number: ValueError past Python's digit limit
], ids=["nested-5000-deep", "5000-digit-number"])
def test_json_too_deep_or_too_long_to_decode_is_a_transient_error_said_once(name, body):
    """Only `JSONDecodeError` was caught: RecursionError and the integer digit limit's
    ValueError escaped the runner, so the live loop logged a traceback at every retry while
    `webcare status` still said ok."""
    out = asyncio.run(drill(BY_NAME[name], answer(200, body)))
    assert problems(out) == []
    assert "not JSON" in out.said[0] or "is not JSON" in out.said[0], out.said


# --- secrets: not to a log, not to another host ------------------------------------------------

def test_the_x_token_is_not_in_the_log_of_a_verbose_run(store, caplog):
    """`webcare -v run` logs at DEBUG, and tweepy logs every request's headers there, the
    `Authorization: Bearer` token (or the OAuth 1.0a header) with them."""
    async def scenario(**overrides):
        clock = SimClock(T0)
        async with FakeXApi() as api:
            t_x.seed(api)
            conn = t_x.connector(api, clock, **overrides)
            try:
                await coordinator(store, conn, clock).poll()
            finally:
                await conn.aclose()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
        asyncio.run(scenario(bearer_token_env="", consumer_key_env="CK", consumer_secret_env="CS",
                             access_token_env="AT", access_token_secret_env="ATS", dms=False))
    lines = [caplog.handler.format(r) for r in caplog.records]
    asked = [line for line in lines if "Making API request" in line]  # tweepy still says what it asks
    assert any("Bearer" in line for line in asked) and any("OAuth" in line for line in asked)
    assert set(stored(store)) and status(store)["status"] == "ok"
    for line in lines:
        assert "user-token" not in line, line
    for line in asked:  # oauthlib's own lines name the access token's public half, not its secret
        assert "oauth_signature=" not in line and "1000-at" not in line, line


async def serve(handler) -> tuple[web.AppRunner, str]:
    """A bare server on a free port, for answers no platform fake gives."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.mark.parametrize("name, login, password", [
    ("reddit", "/api/v1/access_token", "hunter2"),  # a form: grant_type=password&password=...
    ("bluesky", "createSession", "app-pass-1234"),  # JSON: {"identifier": ..., "password": ...}
])
def test_a_log_in_redirected_to_another_host_does_not_send_the_password_there(name, login, password):
    """aiohttp drops `Authorization` on a redirect to another origin but sends a 307/308's body
    again: the log-in form or JSON, with the account's password, went to the other host."""
    seen: list[bytes] = []

    async def elsewhere(request):
        seen.append(await request.read())
        return web.json_response({"access_token": "x", "accessJwt": "x", "refreshJwt": "x", "did": "x"})

    async def scenario() -> Outcome:
        other, other_base = await serve(elsewhere)
        moved = other_base.replace("127.0.0.1", "localhost") + "/collect"
        try:
            return await drill(BY_NAME[name], lambda platform, fake: fake.fail(
                login, 307, {}, headers={"Location": moved}, times=BIG))
        finally:
            await other.cleanup()

    out = asyncio.run(scenario())
    assert seen == []
    assert problems(out) == []
    assert "redirect" in out.said[0] and "localhost" in out.said[0], out.said


# --- answers from something between us and the platform --------------------------------------

BLOCKED = ("<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
           "<h1>Sorry, you have been blocked</h1><p>Ray ID: 8f2a1c3d4e5f6a7b</p></body></html>")


@pytest.mark.parametrize("name", JSON_APIS)
@pytest.mark.parametrize("code", [401, 403])
def test_a_firewall_page_with_401_or_403_is_not_taken_for_revoked_credentials(name, code):
    """A CDN's or firewall's block page (Cloudflare in front of an instance, Reddit's "blocked
    by network security") was read as the platform refusing the token: the connector stopped
    until a restart and a system alert said authentication failed. The platforms answer a bad
    token in JSON; an HTML page is backed off from, said once, and polling resumes by itself."""
    out = asyncio.run(drill(BY_NAME[name], answer(code, BLOCKED)))
    assert problems(out) == []
    assert f"HTTP {code} with a page" in out.said[0] and "proxy or firewall" in out.said[0], out.said
    assert name == "x" or "Sorry, you have been blocked" in out.said[0]  # tweepy keeps the page to itself


def gzip_bomb(mib: int) -> bytes:
    """A JSON page of `mib` MiB of blanks, gzip-compressed to a few hundred kB."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    blank = b" " * (1 << 20)
    return b"".join([packer.compress(b'{"data": ['), *(packer.compress(blank) for _ in range(mib)),
                     packer.compress(b"]}"), packer.flush()])


def test_a_gzip_bomb_is_refused_past_max_body_without_the_memory_it_would_take():
    """aiohttp read a body whole after decompressing it: an 80 MiB page packed in ~300 kB made
    the bot hold twice that, and a few MB of such gzip would have had it killed for memory."""
    bomb = gzip_bomb(80)

    async def handler(request):
        if request.path == "/bomb":
            return web.Response(body=bomb, headers={"Content-Encoding": "gzip",
                                                    "Content-Type": "application/json"})
        return web.json_response({"data": []})

    async def scenario():
        runner, base = await serve(handler)
        try:
            async with new_session(5) as session:
                tracemalloc.start()
                try:
                    with pytest.raises(TransientError) as refused:
                        await request_json(session, "GET", f"{base}/bomb", what="x /bomb")
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                fine = await request_json(session, "GET", f"{base}/page", what="x /page")
        finally:
            await runner.cleanup()
        return str(refused.value), peak, fine.data

    said, peak, after = asyncio.run(scenario())
    assert "larger than 32 MiB" in said and peak < 3 * MAX_BODY, (said, peak >> 20)
    assert after == {"data": []}  # the session works on


# --- already right: regression guards ----------------------------------------------------------

async def trickled(request):  # headers at once, then a byte every 50 ms: 2 s for the body
    resp = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": "40"})
    await resp.prepare(request)
    for byte in b'{"data": []}'.ljust(40):
        if request.transport is None or request.transport.is_closing():
            break  # the client gave up
        await resp.write(bytes([byte]))
        await asyncio.sleep(0.05)
    return resp


async def reset(request):  # part of the body, then a TCP reset
    resp = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": "100"})
    await resp.prepare(request)
    await resp.write(b'{"data": [')
    request.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                          struct.pack("ii", 1, 0))
    request.transport.abort()
    return resp


async def corrupt_gzip(request):
    return web.Response(body=b"\x1f\x8b\x08\x00" + b"not gzip at all" * 4,
                        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


async def maintenance(request):
    return web.Response(text="<html><h1>We'll be back soon</h1></html>", content_type="text/html")


async def no_content(request):
    return web.Response(status=204)


@pytest.mark.parametrize("handler, why", [
    (trickled, "no answer within the timeout"),  # the timeout is a total one, not per read
    (reset, "ClientPayloadError"),
    (corrupt_gzip, "Can not decode content-encoding: gzip"),
    (maintenance, "HTTP 200 but the body is not JSON: <html><h1>We'll be back soon"),  # not an empty page
    (no_content, "HTTP 204 but the body is not JSON"),
], ids=["trickle-past-timeout", "reset-mid-body", "corrupt-gzip", "html-200", "empty-204"])
def test_a_body_that_trickles_is_reset_or_cannot_be_unpacked_is_a_transient_error(handler, why):
    async def scenario():
        runner, base = await serve(handler)
        try:
            async with new_session(0.3) as session:
                with pytest.raises(TransientError) as caught:
                    await request_json(session, "GET", f"{base}/page", what="x /page")
        finally:
            await runner.cleanup()
        return str(caught.value)

    assert why in asyncio.run(scenario())


# --- an emoji cut in half, in an item that is quarantined --------------------------------------

CUT = "\ud83d"  # the first half of 😡: what an API that cuts text at a UTF-16 unit sends as "\ud83d"


def test_a_quarantined_mastodon_post_with_half_an_emoji_does_not_hold_up_its_stream(store):
    """The text of a stored message had lone surrogates repaired, but a quarantined item's raw
    JSON kept them: SQLite could not encode it, the whole batch failed at every poll (a
    traceback each time) and no post of that hashtag after it was ever stored."""
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            t_mastodon.seed(api)
            someone = api.accounts["110003"]
            api.status(someone, "", T0, tags=("zuiderloop",), raw={
                "id": "999", "created_at": "gisteren", "content": f"<p>Waar is mijn medaille {CUT}</p>",
                "account": someone, "visibility": "public"})
            later = api.status(someone, "<p>#zuiderloop nog steeds niets</p>", T0, tags=("zuiderloop",))
            conn = t_mastodon.connector(api, clock)
            try:
                coord = coordinator(store, conn, clock)
                await coord.poll()
            finally:
                await conn.aclose()
        return later

    later = asyncio.run(scenario())
    assert later in stored(store) and status(store)["status"] == "ok"
    (bad,) = store.quarantined()
    assert bad["source"] == "mastodon status 999" and "\ufffd" in bad["raw"] and "gisteren" in bad["error"]


def test_a_quarantined_x_post_with_half_an_emoji_does_not_hold_up_its_stream(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            t_x.seed(api)
            api.tweet(t_x.tid(150), "2003", "", t_x.at(-5), mentions=(t_x.BRAND,), raw={
                "id": t_x.tid(150), "text": f"@zuiderloop {CUT}", "author_id": "2003", "created_at": "gisteren"})
            conn = t_x.connector(api, clock)
            try:
                await coordinator(store, conn, clock).poll()
            finally:
                await conn.aclose()

    asyncio.run(scenario())
    assert t_x.tid(124) in stored(store) and status(store)["status"] == "ok"
    (bad,) = store.quarantined()
    assert bad["source"] == f"x post {t_x.tid(150)}" and "\ufffd" in bad["raw"]


# --- a feed entry nested deeper than the serializer recurses ------------------------------------

def test_a_feed_entry_nested_thousands_deep_is_quarantined_and_the_other_reviews_stored(store):
    """expat parses any depth, but ElementTree writes an element back out recursively (the
    entry's raw XML): RecursionError escaped the runner at every poll, and no review of that
    feed was stored while the entry was in it."""
    async def scenario():
        clock = SimClock(T0)
        async with FakeFeeds() as feeds:
            guids = t_feed.reviews(feeds, n=5, etag=False, last_modified=False)
            deep = "<b>" * 3000 + "Kapot" + "</b>" * 3000
            feeds.entry(t_feed.REVIEWS, "deep", "", "", t_feed.at(-1), raw=(
                f"<item><title>Diep</title><guid>review-deep</guid><description>{deep}</description></item>"))
            conn = t_feed.connector(feeds, clock)
            try:
                await coordinator(store, conn, clock).poll()
            finally:
                await conn.aclose()
        return guids

    guids = asyncio.run(scenario())
    assert set(stored(store)) == set(guids) and status(store)["status"] == "ok"
    (bad,) = store.quarantined()
    assert bad["source"] == "trustpilot review-deep" and "nested" in bad["error"]


# --- a next-page link no URL parser accepts ---------------------------------------------------

BAD_PORT = "https://social.example:99999"  # a proxy's rewrite gone wrong: port out of range


def mastodon_bad_link(platform: Platform, fake: Any) -> None:
    page = [n["_payload"] for n in fake.notifications][:3]
    link = f'<{BAD_PORT}/api/v1/notifications?max_id={page[-1]["id"]}>; rel="next"'
    answer(200, page, {"Link": link})(platform, fake)


def graph_bad_next(platform: Platform, fake: Any) -> None:
    answer(200, {"data": [], "paging": {"next": f"{BAD_PORT}/v21.0/111/feed?after=QVFI"}})(platform, fake)


@pytest.mark.parametrize("name, breaking", [("mastodon", mastodon_bad_link), ("facebook", graph_bad_next)])
def test_a_next_page_link_with_a_port_out_of_range_is_backed_off_from_and_said_once(name, breaking, caplog):
    """yarl refuses such a URL with ValueError, which escaped the runner: the live loop logged a
    traceback at every retry while `webcare status` said ok. Any exception a connector did not
    map is now a failure like a transient one: backoff, the status says it, the traceback is
    logged once, and the walk resumes when the link is readable."""
    with caplog.at_level(logging.INFO, logger="webcare.runner"):
        out = asyncio.run(drill(BY_NAME[name], breaking))
    assert problems(out) == []
    assert "ValueError" in out.said[0] and "Port out of range" in out.said[0], out.said
    tracebacks = [r for r in caplog.records if r.name == "webcare.runner" and r.exc_info]
    assert len(tracebacks) == 1 and "connectors" in caplog.handler.format(tracebacks[0])


# --- a header longer than aiohttp's default line limit --------------------------------------

def test_an_answer_with_a_header_over_8_kb_is_read():
    """aiohttp refuses a header line over 8,190 bytes: an answer carrying a long usage report, a
    big Content-Security-Policy or a proxy's cookies failed at every poll, and the connector
    stayed down for as long as the platform sent it. Python's own HTTP client allows 64 KiB."""
    usage = '{"111": [' + ",".join(['{"type": "pages", "call_count": 1}'] * 400) + "]}"

    async def handler(request):
        return web.json_response({"data": []}, headers={"X-Business-Use-Case-Usage": usage})

    async def scenario():
        runner, base = await serve(handler)
        try:
            async with new_session(2) as session:
                return await request_json(session, "GET", f"{base}/111/feed", what="fb /111/feed")
        finally:
            await runner.cleanup()

    resp = asyncio.run(scenario())
    assert len(usage) > 8190 and resp.data == {"data": []}
    assert resp.headers["X-Business-Use-Case-Usage"] == usage


# --- a byte that is not UTF-8 in one post of a page -------------------------------------------

def test_a_page_with_one_byte_that_is_not_utf8_is_stored_not_refused_for_ever(store):
    """`json.loads` refuses a body with invalid UTF-8 whole: the page was "not JSON" at every
    poll, so its stream never moved again and nothing posted after it was stored. Like a JSONL
    line, the byte is now read as U+FFFD and the rest of the page as it was sent."""
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            t_mastodon.seed(api)
            page = [n["_payload"] for n in api.notifications if n["_payload"]["type"] == "mention"][::-1][:20]
            broken = json.dumps(page).encode().replace(b"startnummer? #38", b"startnummer\xff #38", 1)
            api.fail("/notifications", 200, broken, times=BIG)  # as the server sends it, every time
            conn = t_mastodon.connector(api, clock)
            try:
                await coordinator(store, conn, clock).poll()
            finally:
                await conn.aclose()
        return {n["status"]["id"] for n in page}

    mentioned = asyncio.run(scenario())
    rows = stored(store, "mastodon")
    assert status(store)["status"] == "ok" and mentioned <= set(rows)
    assert any("startnummer\ufffd #38" in row["text"] for row in rows.values())


# --- a redirect to another address, then the platform refuses the token ------------------------

async def poll_after_a_move(store, fake, platform) -> str:
    """One poll of `platform`'s connector through an old address that redirects every request
    to the fake's new one (another host); returns the new address."""
    clock = SimClock(T0)
    async with fake() as api:
        platform.seed(api)
        moved = api.base_url.replace("127.0.0.1", "localhost")

        async def redirect(request):
            raise web.HTTPMovedPermanently(moved + request.path_qs)
        old, old_base = await serve(redirect)
        conn = platform.connector(api, clock, base_url=old_base)
        try:
            assert await coordinator(store, conn, clock).poll() is None
        finally:
            await conn.aclose()
            await old.cleanup()
    return moved


def test_a_401_after_a_redirect_to_another_address_names_the_redirect_not_the_token(store):
    """aiohttp rightly sends no `Authorization` to another origin, so an instance that moved (or
    `http://` configured where the server redirects to `https://`) answered 401 to a token-less
    request: the connector stopped with "the access token was refused", and the one alert sent
    the team to renew a token that works. Now the stop and the alert name the new address."""
    moved = asyncio.run(poll_after_a_move(store, FakeMastodon, t_mastodon))
    (alert,) = store.alerts()
    for said in (status(store)["last_error"], alert.text):
        assert f"redirected to {moved}" in said and "token" in said and "refused" not in said, said


@pytest.mark.parametrize("name", ["mastodon", "bluesky", "feed"])
def test_a_429_whose_retry_after_is_an_http_date_is_waited_for_to_the_second(name):
    """RFC 9110 allows `Retry-After: Sun, 04 Oct 2026 08:12:00 GMT` (a proxy in front of the
    platform); these connectors read it when the platform's own reset header is absent."""
    when = T0 + timedelta(minutes=12)
    body = "<html>Too Many Requests</html>" if name == "feed" else {"error": "Too Many Requests"}
    date = format_datetime(when.astimezone(timezone.utc), usegmt=True)
    out = asyncio.run(drill(BY_NAME[name], answer(429, body, {"Retry-After": date})))
    assert out.statuses[0] == "rate_limited" and out.delays[0] == (when - T0).total_seconds(), out
    assert out.final_status == "ok" and not out.lost and out.warnings == 1 and out.recovered_logs == 1


def test_an_x_401_after_a_redirect_to_another_address_names_the_redirect(store):
    """The same through tweepy: api.twitter.com answering with a redirect to another host."""
    moved = asyncio.run(poll_after_a_move(store, FakeXApi, t_x))
    said = status(store)["last_error"]
    assert f"redirected to {moved}" in said and "Unauthorized" not in said, said
