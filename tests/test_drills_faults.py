"""Fault drill, second round: fault patterns the first drills did not try.

Each test drives a real connector against its fake platform on a real socket (or a real file,
a real SQLite file, the real CLI), through the real runner, on a simulated clock. What is
checked is the promise: nothing crashes, nothing is lost or sent twice, a state change is said
once, waits are bounded, and the bot catches up when the fault is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

import test_connector_mastodon as t_mastodon
import test_connector_reddit as t_reddit
import test_connector_x as t_x
import test_telegram_sink as t_sink
from connector_kit import coordinator, seeded, status, stored
from conftest import T0, msg
from connectors import MAX_WAIT, ConnectorContext
from connectors.replay import ReplayConnector
from fakes.mastodon_api import FakeMastodon
from fakes.reddit_api import FakeReddit
from fakes.x_api import FakeXApi
from webcare import cli
from webcare.clock import SimClock
from webcare.config import load as load_config
from webcare.jsonl import read_file
from webcare.store import Store

FAR = "2100-01-01T00:00:00Z"


def undisturbed(fake_cls, module) -> set[str]:
    """The ids one poll of the seeded fake stores when nothing goes wrong."""
    async def scenario(store: Store) -> set[str]:
        async with seeded(fake_cls(), module, store, SimClock(T0)) as (_, _, coord):
            await coord.poll()
        return set(stored(store))

    store = Store(":memory:")
    try:
        return asyncio.run(scenario(store))
    finally:
        store.close()


def warnings_of(caplog, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name and r.levelno >= logging.WARNING]


# --- rate-limit headers that no clock should obey ------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"X-RateLimit-Reset": FAR},  # Mastodon's own header, a wrong clock
    {"Retry-After": "99999999999999"},  # seconds past the year 9999: used to raise OverflowError
    {"Retry-After": "-5"},
    {"Retry-After": "soon"},
    {"Retry-After": "Sat, 01 Jan 2000 00:00:00 GMT"},  # an HTTP date in the past
])
def test_a_429_whose_reset_is_absurd_waits_a_bounded_time_then_catches_up(store, headers):
    expected = undisturbed(FakeMastodon, t_mastodon)

    async def scenario():
        clock = SimClock(T0)
        async with seeded(FakeMastodon(), t_mastodon, store, clock) as (api, conn, coord):
            api.fail("/notifications", 429, {"error": "Too many requests"}, headers=headers)
            retry = await coord.poll()
            assert T0 < retry <= T0 + MAX_WAIT
            assert status(store)["status"] == "rate_limited"
            clock.set(retry)
            await coord.poll()
            assert status(store)["status"] == "ok" and set(stored(store)) == expected

    asyncio.run(scenario())


def test_a_spent_budget_with_a_reset_in_2100_pauses_at_most_max_wait(store):
    expected = undisturbed(FakeMastodon, t_mastodon)

    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon(reset=datetime(2100, 1, 1, tzinfo=timezone.utc)) as api:
            t_mastodon.seed(api)
            api.remaining = 2  # verify_credentials and one page, then "0 left until 2100"
            conn = t_mastodon.connector(api, clock)
            coord = coordinator(store, conn, clock)
            retry = await coord.poll()
            assert retry == T0 + MAX_WAIT
            api.remaining = None
            clock.set(retry)
            await coord.poll()  # the connector's own pause is cut to the same bound
            assert status(store)["status"] == "ok" and set(stored(store)) == expected
            await conn.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize("reset", ["nan", "inf", "1e20", "-30"])
def test_reddit_rate_limit_reset_that_is_not_a_usable_number_does_not_crash_the_poll(store, reset):
    """Reddit sends `X-Ratelimit-Reset` on every answer; "nan" raised ValueError, "1e20" OverflowError."""
    expected = undisturbed(FakeReddit, t_reddit)

    async def scenario():
        clock = SimClock(T0)
        async with seeded(FakeReddit(), t_reddit, store, clock) as (api, conn, coord):
            api.reset_seconds = reset
            await coord.poll()
            assert status(store)["status"] == "ok"
            assert set(stored(store)) == expected

    asyncio.run(scenario())


# --- pagination that never ends ------------------------------------------------------------------

def test_a_next_link_back_to_the_same_page_ends_the_walk_once_not_a_thousand_times(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with seeded(FakeMastodon(), t_mastodon, store, clock) as (api, conn, coord):
            first = [n["_payload"] for n in api.notifications][:3]
            stuck = f'<{api.base_url}/api/v1/notifications?max_id={first[-1]["id"]}&limit=20>; rel="next"'
            api.fail("/notifications", 200, first, headers={"Link": stuck}, times=10**6)
            await coord.poll()
            clock.advance(60)
            await coord.poll()
            assert len(api.calls("/notifications")) == 4  # two polls, two pages each: not 1000
            said = [m for m in warnings_of(caplog, "connectors.http") if "page just read" in m]
            assert said == [said[0]] and "mastodon /api/v1/notifications" in said[0]
            assert status(store)["status"] == "ok"
            assert {api.statuses[i]["_id"] for i in (-1, -2, -3)} <= set(stored(store))  # the other streams ran

    asyncio.run(scenario())


def test_an_x_next_token_that_repeats_ends_the_walk_and_the_other_streams_still_run(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with seeded(FakeXApi(), t_x, store, clock) as (api, conn, coord):
            page = {"data": [api.tweets[10]["_payload"]], "meta": {"result_count": 1, "next_token": "tok-10"}}
            api.fail("/mentions", 200, page, times=10**6, after=1)
            await coord.poll()
            assert len(api.calls("/mentions")) == 2
            assert any("page just read (tok-10)" in m for m in warnings_of(caplog, "connectors.http"))
            assert len(api.calls("/tweets")) >= 1 and len(api.calls("/dm_events")) >= 1
            assert status(store)["status"] == "ok"

    asyncio.run(scenario())


# --- a clock that is wrong on the platform's side ----------------------------------------------

def test_a_post_dated_a_year_ahead_does_not_hide_the_posts_written_after_it(store):
    """A federated server with a wrong clock moved the hashtag walk's mark a year ahead: every
    later post was taken for known ground and never stored."""
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            t_mastodon.seed(api)
            someone = api.account("120001", "scheef", "Scheve Klok", domain="wrong.clock")
            ahead = api.status(someone, "<p>#zuiderloop uit de toekomst</p>", T0 + timedelta(days=365),
                               tags=("zuiderloop",))
            conn = t_mastodon.connector(api, clock)
            coord = coordinator(store, conn, clock)
            await coord.poll()
            assert ahead in stored(store)  # stored as written
            clock.advance(600)
            later = api.status(api.accounts["110005"], "<p>Nog steeds geen #zuiderloop medaille</p>",
                               T0 + timedelta(minutes=5), tags=("zuiderloop",))
            await coord.poll()
            assert later in stored(store)
            await conn.aclose()

    asyncio.run(scenario())


# --- the JSONL input: what editors, log rotation and half-written files do to it ---------------

def replay(path, **options) -> ReplayConnector:
    return ReplayConnector.create("inbox", ReplayConnector.Options(path=str(path), **options),
                                  ConnectorContext(now=lambda: T0))


def lines(*ids: str) -> bytes:
    return b"".join(json.dumps(msg(i).to_dict()).encode() + b"\r\n" for i in ids)  # CRLF, as Windows writes


def test_a_byte_order_mark_does_not_cost_the_first_message(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + lines("m1", "m2") + b"\xef\xbb\xbf" + lines("m3"))  # two files joined
    batch = asyncio.run(replay(path).poll(None))
    assert [m.id for m in batch.messages] == ["m1", "m2", "m3"] and batch.rejected == ()
    rejected: list = []
    assert [m.id for m in read_file(path, rejected)] == ["m1", "m2", "m3"] and rejected == []


@pytest.mark.parametrize("how", ["truncated", "replaced"])
def test_a_followed_file_truncated_or_rotated_is_read_again_from_its_start(tmp_path, caplog, how):
    """The offset pointed past the end of the new file: nothing written to it was ever read."""
    path = tmp_path / "inbox.jsonl"
    path.write_bytes(lines("m1", "m2", "m3"))
    conn = replay(path, follow=True)
    first = asyncio.run(conn.poll(None))
    if how == "truncated":
        path.write_bytes(lines("m4"))  # copytruncate: the same file, shorter
    else:
        fresh = tmp_path / "next.jsonl"
        fresh.write_bytes(lines("m4", "m5", "m6", "m7"))  # a new, longer file under the name
        (tmp_path / "inbox.jsonl").rename(tmp_path / "inbox.jsonl.1")
        fresh.rename(path)
    second = asyncio.run(conn.poll(first.cursor))
    assert [m.id for m in second.messages] == (["m4"] if how == "truncated" else ["m4", "m5", "m6", "m7"])
    assert any(how in m and "inbox.jsonl" in m for m in warnings_of(caplog, "connectors.replay"))
    with open(path, "ab") as fh:
        fh.write(lines("m8"))
    third = asyncio.run(conn.poll(second.cursor))
    assert [m.id for m in third.messages] == ["m8"]  # and from then on it follows the new file


# --- start-up: files that are not what they should be ------------------------------------------

def test_a_corrupt_database_stops_webcare_run_naming_the_file_and_leaves_it_alone(tmp_path, capsys):
    db = tmp_path / "webcare.db"
    garbage = b"this is not an SQLite database, but somebody's notes " * 40
    db.write_bytes(garbage)
    config = tmp_path / "webcare.toml"
    config.write_text('[store]\npath = "webcare.db"\n', encoding="utf-8")
    assert cli.main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert str(db) in err and "not a database" in err and "Traceback" not in err
    assert db.read_bytes() == garbage


def test_a_config_file_that_is_not_utf8_is_explained(tmp_path, capsys):
    config = tmp_path / "webcare.toml"
    config.write_bytes('[store]\npath = "café.db"\n'.encode("latin-1"))
    assert cli.main(["check-config", str(config)]) == 1
    assert cli.main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "0xe9" in err and "Traceback" not in err


def test_a_config_file_saved_with_a_byte_order_mark_loads(tmp_path):
    config = tmp_path / "webcare.toml"
    config.write_bytes('\ufeff[store]\npath = "w.db"\n'.encode("utf-8"))
    assert load_config(config).store.path == "w.db"


# --- Telegram: a group upgraded to a supergroup --------------------------------------------------

@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_alerts_follow_a_group_upgraded_to_a_supergroup_and_none_is_stuck_or_sent_twice(tmp_path, caplog):
    """Editing a message in the upgraded group raised ChatMigrated out of the sink: every
    flush failed there, and every alert queued behind it waited for good."""
    supergroup = -1001999

    async def body(w):
        w.record(t_sink.alert())
        assert await w.flush() == 1
        w.fake.migrate(t_sink.TEAM, supergroup)
        w.record(t_sink.alert(seq=1, kind="update", minutes=15, reasons=("grew from 8 to 14",)),
                 t_sink.alert(incident="storm-2", minutes=16, title="Complaint storm on x"))
        assert await w.flush() == 2
        first, second = w.fake.sent(supergroup)
        assert "grew from 8 to 14" in first["text"] and "edit_date" in first  # edited in place
        assert "Complaint storm on x" in second["text"]
        w.record(t_sink.alert(incident="storm-2", seq=1, kind="update", minutes=20, reasons=("grew",)))
        assert await w.flush() == 1
        assert len(w.fake.sent(supergroup)) == 2 and w.store.pending_count("telegram") == 0
        said = [m for m in warnings_of(caplog, "webcare.telegram.sink") if str(supergroup) in m]
        assert len(said) == 1

    t_sink.scenario(tmp_path, body)
