"""Fault drill, third round: fault patterns the first two rounds did not try.

Real sockets to the local fakes, the real python-telegram-bot client against the fake Bot API,
real files and SQLite databases, a simulated clock. Each test is a fault and the promise it
must keep: nothing crashes, nothing is lost or sent twice, no secret reaches a log, a state
change is said once, and the bot catches up when the fault is gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

import test_connector_facebook as t_facebook
import test_connector_mastodon as t_mastodon
import test_telegram_sink as t_sink
from connector_kit import coordinator, seeded, status, stored
from conftest import T0, msg, storm_stream
from connectors import ConnectorContext
from connectors.facebook import FacebookPageConnector
from connectors.http import new_session, request_json
from fakes.graph_api import EXPIRED, FakeGraphApi
from fakes.mastodon_api import FakeMastodon
import test_drills_storage as storage
from test_drills_faults import replay
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.models import Batch, Message
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.store import Store

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def said(caplog, level: int = logging.WARNING) -> list[str]:
    """Every log line of webcare at `level` or above (not the fakes' access logs), with its
    traceback if it had one."""
    return [caplog.handler.format(r) for r in caplog.records
            if r.levelno >= level and not r.name.startswith("aiohttp.access")]


# --- connectors: answers that are not what they claim ----------------------------------------

async def serve(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.mark.parametrize("answer, why", [
    (b"", "the body is not JSON"),
    (b"null", "the body is not JSON: null"),
    (b'{"data": [', "Not enough data"),  # Content-Length 1000, connection closed after 10 bytes
])
def test_an_empty_null_or_cut_off_200_is_a_transient_error_not_an_empty_page(answer, why):
    async def handler(request):
        if answer.startswith(b"{"):
            resp = web.StreamResponse(headers={"Content-Length": "1000", "Content-Type": "application/json"})
            await resp.prepare(request)
            await resp.write(answer)
            request.transport.close()
            return resp
        return web.Response(body=answer, content_type="application/json")

    async def scenario():
        runner, base = await serve(handler)
        try:
            async with new_session(2) as session:
                with pytest.raises(Exception) as caught:
                    await request_json(session, "GET", f"{base}/feed", what="x /feed")
        finally:
            await runner.cleanup()
        assert type(caught.value).__name__ == "TransientError" and why in str(caught.value)

    asyncio.run(scenario())


def test_a_redirect_to_another_host_does_not_take_the_authorization_header_along():
    """aiohttp drops Authorization on a redirect to another origin; the connectors send their
    tokens in that header (Graph too), so none follows a redirect off the platform."""
    seen: list[dict] = []

    async def elsewhere(request):
        seen.append(dict(request.headers))
        return web.json_response({"data": []})

    async def scenario():
        other, other_base = await serve(elsewhere)

        async def redirect(request):
            raise web.HTTPFound(other_base.replace("127.0.0.1", "localhost") + "/collect")
        runner, base = await serve(redirect)
        try:
            async with new_session(2, headers={"Authorization": "Bearer session-secret"}) as session:
                await request_json(session, "GET", f"{base}/feed", what="x /feed",
                                   headers={"Authorization": "Bearer request-secret"})
        finally:
            await runner.cleanup()
            await other.cleanup()

    asyncio.run(scenario())
    assert len(seen) == 1 and "Authorization" not in seen[0]


def facebook_with_secret(api: FakeGraphApi, clock: SimClock) -> FacebookPageConnector:
    options = FacebookPageConnector.Options(page_id=t_facebook.PAGE[0], access_token_env="FB_TOKEN",
                                            app_secret_env="FB_SECRET", base_url=api.base_url,
                                            page_size=5, timeout_seconds=0.3)
    ctx = ConnectorContext(now=clock.now, env={"FB_TOKEN": api.token, "FB_SECRET": "app-secret-xyz"})
    return FacebookPageConnector.create("fb-page", options, ctx)


def test_no_token_or_appsecret_proof_reaches_a_log_line_or_the_status(store, caplog):
    """A redirect loop raised TooManyRedirects, whose message is the first URL with its whole
    query: `appsecret_proof` (the token's HMAC) went to the log and to `webcare status`."""
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            t_facebook.seed(api)
            conn = facebook_with_secret(api, clock)
            proof = hmac.new(b"app-secret-xyz", api.token.encode(), hashlib.sha256).hexdigest()
            coord = coordinator(store, conn, clock)
            api.fail("/111/feed", 302, {}, headers={"Location": f"/{api.version}/111/feed"}, times=11)
            retry = await coord.poll()
            looped = status(store)
            assert looped["status"] == "backoff" and "TooManyRedirects" in looped["last_error"]
            api.expired = True
            clock.set(retry)
            await coord.poll()
            expired = status(store)
            assert expired["status"] == "stopped"
            await conn.aclose()
        return proof, [looped["last_error"], expired["last_error"]], [a.text for a in store.alerts()]

    with caplog.at_level(logging.DEBUG):
        proof, errors, alerts = asyncio.run(scenario())
    for text in said(caplog, logging.DEBUG) + errors + alerts:
        assert "page-token" not in text and proof not in text and "app-secret-xyz" not in text, text
    assert alerts and EXPIRED["error"]["message"] in alerts[0]


# --- connectors: pagination that runs in circles ---------------------------------------------

def test_a_next_page_cycle_a_b_a_ends_the_walk_once_and_the_other_streams_run(store, caplog):
    """Only a pointer back to the page just read was caught: A -> B -> A was followed
    `MAX_PAGES` times a poll, and every stream after notifications never ran."""
    async def scenario():
        clock = SimClock(T0)
        async with seeded(FakeMastodon(), t_mastodon, store, clock) as (api, conn, coord):
            page = [n["_payload"] for n in api.notifications][:3]
            a, b = page[-1]["id"], page[0]["id"]

            def to(max_id: str) -> dict:
                return {"Link": f'<{api.base_url}/api/v1/notifications?max_id={max_id}&limit=20>; rel="next"'}
            for target in [a] + [b, a] * 600:  # the first page points to A, A to B, B to A ...
                api.fail("/notifications", 200, page, headers=to(target))
            await coord.poll()
            assert len(api.calls("/notifications")) == 3
            assert status(store)["status"] == "ok"
            assert {api.statuses[i]["_id"] for i in (-1, -2, -3)} <= set(stored(store))  # the other streams ran
            warned = [m for m in said(caplog) if "read earlier in this walk" in m]
            assert len(warned) == 1 and "mastodon /api/v1/notifications" in warned[0]
            api.faults.clear()
            clock.advance(60)
            await coord.poll()  # the next walk starts afresh: no page is taken for a repeat
            assert status(store)["status"] == "ok"

    asyncio.run(scenario())


# --- the JSONL input: lines no exporter should write -----------------------------------------

def jsonl(message: Message) -> bytes:
    return json.dumps(message.to_dict(), ensure_ascii=False).encode()


def test_every_hostile_jsonl_line_is_stored_or_quarantined_with_its_line_and_later_lines_still_read(store):
    path_lines = [
        jsonl(msg("m1", "eerste versie")),
        jsonl(msg("big", "x" * 10_000_000)),  # a 10 MB line
        jsonl(msg("nul-raw", "a\x00b")).replace(b"\\u0000", b"\x00"),  # a raw NUL: not JSON
        jsonl(msg("nul", "a\x00b")),  # an escaped one is text
        jsonl(msg("utf", "café")).replace("é".encode(), b"\xff\xfe"),  # invalid UTF-8 mid-line
        b"[1, 2]", b"42", b"null",
        jsonl(msg("m1", "tweede versie")),  # the same id again, edited
    ]
    inbox = replay_file(b"\n".join(path_lines) + b"\n" + jsonl(msg("tail", "nog niet af"))[:40])
    conn = replay(inbox, follow=True)
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    batch = asyncio.run(conn.poll(None))
    (big,) = [m for m in batch.messages if m.id == "big"]
    assert len(big.text) == 10_000_000
    # read whole; not ingested here: scoring 10 MB takes the classifier 2.5 s or more (docs/drills.md)
    pipeline.ingest("inbox", replace(batch, messages=tuple(m for m in batch.messages if m is not big)), T0)
    rows = stored(store)
    assert set(rows) == {"m1", "nul", "utf"}
    assert rows["m1"]["text"] == "tweede versie"
    assert rows["nul"]["text"] == "a\x00b" and rows["utf"]["text"] == "caf\ufffd\ufffd"
    assert [(r.source, r.error.split(" (")[0] if r.error.startswith("not") else r.error)
            for r in batch.rejected] == [
        ("inbox.jsonl:3", "not valid JSON"),
        ("inbox.jsonl:6", "(line): expected a JSON object, got list"),
        ("inbox.jsonl:7", "(line): expected a JSON object, got number"),  # was "got int"
        ("inbox.jsonl:8", "(line): expected a JSON object, got null")]  # was "got NoneType"
    assert "Invalid control character at column" in batch.rejected[0].error  # was "at at column"
    assert len(store.db.execute("SELECT * FROM quarantine").fetchall()) == 4
    with open(inbox, "ab") as fh:  # the writer finishes the last line
        fh.write(jsonl(msg("tail", "nog niet af"))[40:] + b"\n")
    pipeline.ingest("inbox", asyncio.run(conn.poll(store.get_cursor("inbox"))), T0)
    assert stored(store)["tail"]["text"] == "nog niet af"


def replay_file(data: bytes) -> Path:
    path = Path(tempfile.mkdtemp()) / "inbox.jsonl"
    path.write_bytes(data)
    return path


# --- Telegram: what the Bot API refuses -------------------------------------------------------

ANGRY = "😡<b>&amp;</b>"  # astral characters count twice in Telegram's limit; markup must stay text


def test_html_refused_as_unparsable_is_sent_once_as_plain_text_that_fits_even_full_of_emoji(tmp_path):
    """The plain-text fallback was cut at 4,000 code points: 30 reasons of emoji are 8,000
    UTF-16 units, so Telegram refused it too ("message is too long") and the alert was lost."""
    async def body(w: t_sink.World):
        w.save_examples(*(t_sink.post(str(i), ANGRY * 400) for i in range(3)), score=t_sink.NEG)
        w.fake.fail_next("sendMessage", 400, description="Bad Request: can't parse entities: "
                         "Unsupported start tag \"x\" at byte offset 12")
        w.record(t_sink.alert(title=ANGRY * 100, reasons=tuple(ANGRY * 60 for _ in range(30)),
                              message_ids=("facebook:0", "facebook:1", "facebook:2")))
        assert await w.flush() == 1
        (shown,) = w.fake.sent(t_sink.TEAM)
        assert "<b>&amp;</b>" in shown["text"] and "entities" not in shown  # literal, no markup
        assert len(w.fake.method_calls("sendMessage")) == 2  # refused once, then plain: no loop
        assert await w.flush() == 0 and len(w.fake.method_calls("sendMessage")) == 2

    t_sink.scenario(tmp_path, body)


def test_a_group_that_kicked_the_bot_does_not_block_alerts_to_the_other_chats(tmp_path, caplog):
    async def body(w: t_sink.World):
        w.fake.fail_next("sendMessage", 403, description="Forbidden: bot was kicked from the group chat")
        w.record(t_sink.alert(recipients=("team", "lead")), t_sink.alert("b", recipients=("team", "lead")))
        assert await w.flush() == 2
        assert len(w.fake.sent(t_sink.LEAD)) == 2 and len(w.fake.sent(t_sink.TEAM)) == 1
        assert w.store.pending_count("telegram") == 0

    t_sink.scenario(tmp_path, body)
    kicked = [m for m in said(caplog) if "kicked" in m]
    assert len(kicked) == 1 and str(t_sink.TEAM) in kicked[0]


def test_flood_control_does_not_hold_alerts_for_an_hour_when_the_clock_jumps_back(tmp_path):
    """The flood-control pause was kept as a wall-clock time: with the clock set back an hour
    (NTP, a VM restored), the sink refused to call Telegram for an hour and 30 s."""
    async def body(w: t_sink.World):
        w.fake.fail_next("sendMessage", 429, retry_after=30)
        w.record(t_sink.alert("a"))
        assert await w.flush() == 0
        back = w.clock.now() - timedelta(hours=1)  # a SimClock never runs back: the system clock does
        w.sink.now = lambda: back
        assert await w.flush() == 1  # a wait that began in the future is over
        assert await w.flush() == 0 and len(w.fake.sent(t_sink.TEAM)) == 1  # and nothing twice

    t_sink.scenario(tmp_path, body)


# --- Telegram: button presses and commands that are not what they seem -------------------------

async def answer_of(w: t_sink.World, chat: int, message_id: int, uid: int, data: str) -> str:
    """Press a button (any callback_data: a modified client sends what it likes); the answer."""
    qid = w.fake.press(chat, message_id, w.fake.user(uid, "Alice"), data)
    await w.fake.wait_for(lambda: qid in w.fake.answers)
    return w.fake.answers[qid].get("text", "")


def test_garbage_callback_data_is_answered_and_changes_nothing(tmp_path, caplog):
    """A snooze of 10^14 minutes raised OverflowError and one of "²" minutes ValueError inside
    the handler: the press was never answered (the phone spins) and a traceback was logged."""
    alice = t_sink.PEOPLE["alice"]

    async def body(w: t_sink.World):
        w.record(t_sink.alert())
        await w.flush()
        (message,) = w.fake.sent(t_sink.TEAM)
        shown = message["message_id"]
        for data in ("act:snooze:99999999999999", "act:snooze:²", "act:snooze:-5", "act:snooze:0",
                     "act:" + "x" * 60, "act:", "oncall", "\x00<b>"):
            assert await answer_of(w, t_sink.TEAM, shown, alice, data) == "Unknown button."
        assert await answer_of(w, t_sink.TEAM, 999, alice, "act:resolve") == "I do not know this message's incident."
        assert w.store.incident("storm-1") is None or w.store.incident("storm-1")["status"] == "open"
        assert not w.store.incident_actions("storm-1")
        assert "Snoozed until" in await answer_of(w, t_sink.TEAM, shown, alice, "act:snooze:120")

    t_sink.scenario(tmp_path, body)
    assert not [m for m in said(caplog, logging.ERROR)]


def test_a_forwarded_command_is_not_obeyed(tmp_path):
    """A command is what the sender typed: a configured person forwarding someone's "/mute 7d"
    quotes it. It muted the team chat."""
    alice = t_sink.PEOPLE["alice"]

    async def body(w: t_sink.World):
        stranger = w.fake.user(99, "Mallory")
        mid = w.fake.command(t_sink.TEAM, w.fake.user(alice, "Alice"), "/mute 7d")
        update = w.fake.updates[-1]
        update["message"]["forward_origin"] = {"type": "user", "date": 1_790_000_000, "sender_user": stranger}
        before = len(w.fake.sent(t_sink.TEAM))
        w.fake.command(t_sink.TEAM, w.fake.user(alice, "Alice"), "/help")  # handled after the forward
        await w.fake.wait_for(lambda: len(w.fake.sent(t_sink.TEAM)) > before)
        assert "/queue" in w.fake.sent(t_sink.TEAM)[-1]["text"] and mid
        assert w.store.muted_until(t_sink.TEAM) is None
        assert len(w.fake.sent(t_sink.TEAM)) == before + 1  # no reply to the forward

    t_sink.scenario(tmp_path, body)


def test_a_second_instance_polling_with_the_same_token_is_reported_even_after_an_outage(tmp_path, caplog):
    """After a failed poll nothing says polling works again (no update need arrive), so the
    409 Conflict that followed was logged at debug level only: two bots fought for the
    updates without a word. PTB's own retry waits (1 s, then 1.5 s) make this test ~3 s."""
    alice = t_sink.PEOPLE["alice"]
    conflict = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"

    async def body(w: t_sink.World):
        w.fake.fail_next("getUpdates", 502)
        w.fake.fail_next("getUpdates", 409, description=conflict)
        w.fake.command(t_sink.TEAM, w.fake.user(alice, "Alice"), "/help")  # ends the long poll under way
        await w.fake.wait_for(lambda: any("/queue" in m["text"] for m in w.fake.sent(t_sink.TEAM)))
        await w.fake.wait_for(lambda: len(w.fake.method_calls("getUpdates")) >= 4)
        w.fake.command(t_sink.TEAM, w.fake.user(alice, "Alice"), "/help")
        await w.fake.wait_for(lambda: sum("/queue" in m["text"] for m in w.fake.sent(t_sink.TEAM)) == 2)

    with caplog.at_level(logging.INFO, logger="webcare.telegram.service"):
        t_sink.scenario(tmp_path, body)
    told = [r.getMessage() for r in caplog.records if r.name == "webcare.telegram.service"]
    warned = [m for m in told if "retrying" in m]
    assert [("another process" in m) for m in warned] == [False, True]
    assert told[-2:] == [warned[1], "telegram: connection recovered"]


# --- the store: a database that cannot be written ------------------------------------------

def test_a_read_only_database_stops_ingest_with_a_clear_error_and_loses_nothing(tmp_path, caplog):
    """Made read-only while running (a remount, a restored backup's mode; here SQLite's own
    `query_only`, since root ignores file modes): the cursor must not move past what was not
    stored, the runner says it once, and everything arrives when it is writable again."""
    bot = storage.Bot(tmp_path, "read-only")
    try:
        bot.store.conn.execute("PRAGMA query_only = 1")
        for _ in range(3):
            asyncio.run(bot.poll())
            assert bot.coord.status == "store_unavailable" and bot.store.get_cursor("replay") is None
        assert "read-only.db" in bot.coord.error and "readonly database" in bot.coord.error
        assert bot.store.count_messages() == 0
        bot.store.conn.execute("PRAGMA query_only = 0")
        asyncio.run(bot.poll())
        assert bot.coord.status == "ok" and bot.store.count_messages() == storage.MESSAGES
    finally:
        bot.close()
    warned = [r.getMessage() for r in caplog.records if r.name == "webcare.runner" and r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "database is unavailable" in warned[0]


# --- clocks: times no clock should show --------------------------------------------------------

@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_message_dated_year_1_or_9999_is_quarantined_instead_of_failing_its_batch_for_ever(store, when):
    """The time passed the format, then the engine's business-hours arithmetic raised
    ValueError ("year 0 is out of range"): the batch failed on every poll, so neither it nor
    any message after it was ever stored. 1970 and odd offsets such as +23:59 are real times."""
    lines = [msg(f"c{i}", "Dit is echt waardeloos, ik wil mijn geld terug!", author=f"u{i}",
                 at=T0 + timedelta(minutes=i)).to_dict() for i in range(6)]
    lines[2]["created_at"] = when
    lines[3]["created_at"] = "1970-01-01T00:00:00Z"
    lines[4]["created_at"] = "2026-10-04T10:00:00+23:59"
    inbox = replay_file(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    clock = SimClock(T0)
    coord = coordinator(store, replay(inbox), clock)
    asyncio.run(coord.poll())
    assert coord.status == "ok" and set(stored(store)) == {"c0", "c1", "c3", "c4", "c5"}
    (row,) = store.db.execute("SELECT source, error FROM quarantine").fetchall()
    assert row[0] == "facebook comment c2" and when in row[1]


def alerts_of_a_live_storm(path: Path, back_at: int | None) -> list[tuple]:
    """A complaint storm polled live, ticking every minute; at poll `back_at` the clock is an hour behind."""
    store = Store(path)
    try:
        return _storm(store, back_at)
    finally:
        store.close()


def _storm(store: Store, back_at: int | None) -> list[tuple]:
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    stream = storm_stream(40)
    for n, first in enumerate(range(0, 40, 5)):
        now = stream[first + 4].created_at - (timedelta(hours=1) if n == back_at else timedelta(0))
        pipeline.ingest("feed", Batch(tuple(stream[first:first + 5]), str(first)), now)
        for minute in range(5):
            pipeline.on_tick(now + timedelta(minutes=minute))
    for minute in range(240):
        pipeline.on_tick(stream[-1].created_at + timedelta(minutes=minute))
    return [(a.incident, a.seq, a.kind) for a in store.alerts()]


def test_the_clock_set_back_an_hour_mid_storm_neither_repeats_nor_loses_an_alert(tmp_path):
    undisturbed = alerts_of_a_live_storm(tmp_path / "a.db", None)
    assert alerts_of_a_live_storm(tmp_path / "b.db", 4) == undisturbed
    assert {kind for _, _, kind in undisturbed} >= {"open", "escalate", "close"}
