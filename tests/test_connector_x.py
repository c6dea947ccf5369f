"""The X connector against a fake X API v2 on a real socket, through the real runner and store."""

import asyncio
import json
import logging
import re
import tomllib
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.x import XConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths
from webcare.store import Store

from connector_kit import coordinator, refused_once_then_caught_up, runner_said, status, stored
from conftest import T0
from fakes.x_api import USAGE_CAP, FakeXApi

DOCS = Path(__file__).resolve().parents[1] / "docs" / "connectors-x-meta.md"


def documented(kind: str) -> tuple[str, set[str]]:
    """The docs section for connector `kind`: its TOML example and the options its table lists."""
    section = next(s for s in DOCS.read_text(encoding="utf-8").split("\n## ") if f'(`type = "{kind}"`)' in s)
    (block,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    names = {n for row in re.findall(r"^\| (`.*?) \|", section, re.M) for n in re.findall(r"`(\w+)`", row)}
    return block, names


def documented_defaults(kind: str):
    """The connector `kind` from the commented all-defaults block in the docs, uncommented."""
    section = next(s for s in DOCS.read_text(encoding="utf-8").split("\n## ") if s.startswith("Every option"))
    (block,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    text = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    return next(c for c in from_dict(tomllib.loads(text)).connectors if c.type == kind)


BRAND = "1000"
UTC = timezone.utc


def at(minutes: float) -> str:
    """An X timestamp `minutes` after T0 (negative: before)."""
    return (T0 + timedelta(minutes=minutes)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def tid(n: int) -> str:
    return str(1850000000000000000 + n)


def seed(api: FakeXApi, mentions: int = 25) -> None:
    for i in range(1, 31):
        api.user(f"{2000 + i}", f"Klant {i}", f"klant{i}", followers=i * 10)
    for i in range(mentions):
        api.tweet(tid(100 + i), f"{2001 + i % 30}", f"@zuiderloop waar blijft mijn startnummer? #{i}",
                  at(-60 + i), mentions=(BRAND,))
    api.tweet(tid(200), BRAND, "@klant6 Sorry! We sturen het vandaag na.", at(-20), reply_to=tid(105),
              conversation=tid(105))
    api.tweet(tid(201), BRAND, "Nog 3 dagen tot de Zuiderloop!", at(-50))
    api.tweet(tid(300), "2007", "De Zuiderloop organisatie is echt een chaos", at(-30))
    for i in range(15):
        sender = BRAND if i % 5 == 4 else "2009"
        api.dm(tid(400 + i), sender, f"bericht {i}", at(-45 + i), conversation=f"{BRAND}-2009")


def connector(api: FakeXApi, clock: SimClock, **overrides) -> XConnector:
    options = dict(user_id=BRAND, bearer_token_env="X_TOKEN", base_url=api.base_url, page_size=10,
                   search_queries=["zuiderloop -is:retweet"], dms=True, timeout_seconds=0.3)
    options.update(overrides)
    env = {"X_TOKEN": api.user_token, "X_APP": api.app_token, "CK": "ck", "CS": "cs", "AT": "1000-at", "ATS": "ats"}
    ctx = ConnectorContext(now=clock.now, env=env)
    return XConnector.create("x-brand", XConnector.Options(**options), ctx)


def test_a_round_pages_every_stream_and_the_next_round_asks_only_for_new_items(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi(reset_epoch=int((T0 + timedelta(minutes=15)).timestamp())) as api:
            seed(api)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == T0 + timedelta(seconds=60)
            rows = stored(store, "x")
            assert len(rows) == 25 + 2 + 1 + 15  # mentions, own posts, a search-only hit, DMs
            mention_calls = api.calls("/mentions")
            assert len(mention_calls) == 3  # 25 mentions, 10 per page
            assert [c.params.get("pagination_token") for c in mention_calls] == [None, "tok-10", "tok-20"]
            assert all("start_time" in c.params and "since_id" not in c.params for c in mention_calls)

            reply = rows[tid(200)]
            assert (reply["from_brand"], reply["kind"], reply["in_reply_to"], reply["conversation_id"]) \
                == (1, "comment", tid(105), tid(105))
            assert rows[tid(201)]["kind"] == "post" and rows[tid(201)]["from_brand"] == 1
            customer = rows[tid(105)]
            assert (customer["kind"], customer["from_brand"], customer["author_id"], customer["author_name"],
                    customer["author_followers"]) == ("mention", 0, "2006", "Klant 6", 60)
            assert customer["url"] == f"https://x.com/klant6/status/{tid(105)}"
            dms = [r for r in rows.values() if r["kind"] == "dm"]
            assert len(dms) == 15 and sum(r["from_brand"] for r in dms) == 3
            assert {r["public"] for r in dms} == {0} and {r["conversation_id"] for r in dms} == {"1000-2009"}

            api.requests.clear()
            api.tweet(tid(150), "2003", "@zuiderloop nog steeds niks ontvangen", at(1), mentions=(BRAND,))
            api.dm(tid(450), "2009", "Hallo??", at(1), conversation=f"{BRAND}-2009")
            clock.advance(60)
            await coord.poll()
            assert set(stored(store, "x")) - set(rows) == {tid(150), tid(450)}
            assert api.calls("/mentions")[0].params["since_id"] == tid(124)  # newest of round one
            assert len(api.calls("/dm_events")) == 1  # stopped at the event stored last round
            assert status(store)["status"] == "ok"
            await conn.aclose()

    asyncio.run(scenario())


def test_a_restart_mid_walk_resumes_from_the_stored_token_without_duplicates(tmp_path):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api)
            api.fail("/mentions", 503, after=1)  # the first page arrives, the second fails
            first = Store(tmp_path / "x.db")
            conn = connector(api, clock, own_posts=False, search_queries=[], dms=False)
            coord = coordinator(first, conn, clock)
            assert await coord.poll() == T0 + timedelta(seconds=10)  # backoff after the 503
            assert first.count_messages() == 10
            await conn.aclose()
            first.close()

            again = Store(tmp_path / "x.db")  # a new process: fresh objects, same database
            conn = connector(api, clock, own_posts=False, search_queries=[], dms=False)
            coord = coordinator(again, conn, clock)
            api.requests.clear()
            clock.advance(10)
            await coord.poll()
            assert [c.params.get("pagination_token") for c in api.calls("/mentions")] == ["tok-10", "tok-20"]
            assert again.count_messages() == 25
            assert again.conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()[0] == 25
            await conn.aclose()
            again.close()

    asyncio.run(scenario())


RESET = T0 + timedelta(minutes=15)
LIMITED = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
           "x-rate-limit-reset": str(int(RESET.timestamp()))}


@pytest.mark.parametrize("fault, expect_status, expect_next, error_has", [
    (dict(status=429, headers=LIMITED), "rate_limited", RESET, "rate limited until 08:15:00"),
    (dict(status=503), "backoff", T0 + timedelta(seconds=10), "503"),
    (dict(status=502, body="<html>Bad Gateway</html>"), "backoff", T0 + timedelta(seconds=10), "502"),
    ("hang", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    (dict(status=401, body={"title": "Unauthorized", "type": "about:blank", "status": 401,
                            "detail": "Unauthorized"}), "stopped", None, "Unauthorized"),
], ids=["429-with-reset", "503", "502-html", "timeout", "expired-token"])
def test_failures_map_to_what_the_runner_does(store, fault, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api)
            if fault == "hang":
                api.hang("/mentions")
            else:
                api.fail("/mentions", **fault)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            try:
                assert await coord.poll() == expect_next
            finally:
                await conn.aclose()
            row = status(store)
            assert row["status"] == expect_status and error_has in row["last_error"]
            assert store.count_messages() == 0
            alerts = store.alerts()
            assert len(alerts) == (1 if expect_status == "stopped" else 0)
            if expect_status == "rate_limited":
                assert row["rate_limit_reset"] == RESET.timestamp()

    asyncio.run(scenario())


def test_an_exhausted_budget_pauses_until_the_reset_before_x_answers_429(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi(reset_epoch=int(RESET.timestamp())) as api:
            seed(api)
            api.budget = 1  # the first page arrives with x-rate-limit-remaining: 0
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == RESET
            assert store.count_messages() == 10  # the page that used the budget is kept
            assert len(api.requests) == 1  # and no request was wasted on a certain 429
            clock.set(RESET)
            api.budget = None
            await coord.poll()
            assert store.count_messages() == 43 and status(store)["status"] == "ok"
            await conn.aclose()

    asyncio.run(scenario())


def test_the_monthly_usage_cap_is_reported_once_and_retried_hours_later(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api)
            api.fail("/mentions", 429, USAGE_CAP, {"x-rate-limit-limit": "40000",
                                                    "x-rate-limit-remaining": "39999"}, times=2)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.WARNING):
                first = await coord.poll()
                clock.set(first)
                second = await coord.poll()
            await conn.aclose()
            assert first == T0 + timedelta(hours=6) and second == T0 + timedelta(hours=12)
            assert status(store)["status"] == "rate_limited"
            cap_lines = [r for r in caplog.records if "usage cap" in r.getMessage()]
            assert len(cap_lines) == 1 and "Monthly product cap" in cap_lines[0].getMessage()

    asyncio.run(scenario())


def test_a_malformed_post_is_quarantined_and_the_good_ones_are_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api, mentions=5)
            api.tweet(tid(190), "2004", "", at(-2), mentions=(BRAND,),
                      raw={"id": tid(190), "text": "kapot", "author_id": "2004"})  # no created_at
            conn = connector(api, clock, own_posts=False, search_queries=[], dms=False)
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.WARNING):
                await coord.poll()
            await conn.aclose()
            assert store.count_messages() == 5 and status(store)["status"] == "ok"
            (bad,) = store.quarantined()
            assert bad["source"] == f"x post {tid(190)}" and "created_at" in bad["error"]
            assert json.loads(bad["raw"])["text"] == "kapot"
            assert f"quarantined x post {tid(190)}" in caplog.text

    asyncio.run(scenario())


EVERYTHING = {tid(100 + i) for i in range(25)} | {tid(200), tid(201), tid(300)} | {tid(400 + i) for i in range(15)}
A_DM = {"id": tid(400), "event_type": "MessageCreate", "text": "bericht 0", "sender_id": "2009",
        "dm_conversation_id": f"{BRAND}-2009", "created_at": at(-45)}


@pytest.mark.parametrize("path, answer, after, error", [
    ("/mentions", {"data": {"id": tid(110), "text": "@zuiderloop hallo", "author_id": "2011", "created_at": at(-50)},
                   "meta": {"result_count": 1}}, 1,
     "x /2/users/1000/mentions: unexpected answer: data: expected a list, got object"),
    ("/1000/tweets", {"errors": [{"title": "Not Found Error", "detail": "Could not find user with id: [1000].",
                                  "type": "https://api.twitter.com/2/problems/resource-not-found"}]}, 0,
     "x /2/users/1000/tweets: unexpected answer: errors only, no data: Could not find user with id: [1000]."),
    ("/search/recent", {"data": [], "meta": {"result_count": 0, "newest_id": 1850000000000000300}}, 0,
     "x /2/tweets/search/recent: unexpected answer: meta.newest_id: expected a string, got number"),
    ("/dm_events", {"data": [A_DM], "includes": {"users": {"id": "2009", "name": "Klant 8"}},
                    "meta": {"result_count": 1}}, 1,
     "x /2/dm_events: unexpected answer: includes.users: expected a list, got object"),
], ids=["data-an-object", "errors-only", "newest-id-a-number", "users-an-object"])
def test_a_200_of_the_wrong_shape_is_retried_and_never_read_as_the_last_page(store, caplog, path, answer, after,
                                                                              error):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api)
            api.fail(path, 200, answer, after=after)  # once, then X answers properly again
            conn = connector(api, clock)
            await refused_once_then_caught_up(store, conn, clock, caplog, error, EVERYTHING, "x")

    asyncio.run(scenario())


def test_answers_without_data_are_empty_pages_and_later_posts_are_still_found(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:  # nothing posted yet: X leaves `data` out of every answer
            conn = connector(api, clock, dms=False)
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.INFO, logger="webcare.runner"):
                await coord.poll()
                assert store.count_messages() == 0 and status(store)["status"] == "ok"
                api.user("2001", "Klant 1", "klant1")
                api.tweet(tid(100), "2001", "@zuiderloop waar blijft mijn startnummer?", at(0.5), mentions=(BRAND,))
                clock.advance(60)
                await coord.poll()
            await conn.aclose()
            assert set(stored(store, "x")) == {tid(100)} and status(store)["status"] == "ok"
            assert runner_said(caplog.records) == []  # an empty page is not a fault

    asyncio.run(scenario())


def test_an_app_only_token_cannot_read_dms_and_says_so(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api)
            conn = connector(api, clock, bearer_token_env="X_APP")
            coord = coordinator(store, conn, clock)
            assert await coord.poll() is None
            await conn.aclose()
            assert store.count_messages() == 28  # mentions, own posts and search still landed
            row = status(store)
            assert row["status"] == "stopped" and "Application-Only is forbidden" in row["last_error"]

    asyncio.run(scenario())


def test_oauth1_user_context_finds_the_account_id_and_reads_dms(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api)
            conn = connector(api, clock, user_id="", bearer_token_env="", consumer_key_env="CK",
                             consumer_secret_env="CS", access_token_env="AT", access_token_secret_env="ATS",
                             search_queries=[])
            coord = coordinator(store, conn, clock)
            await coord.poll()
            await conn.aclose()
            assert api.requests[0].path == "/2/users/me"
            assert {r.auth for r in api.requests} == {"OAuth"}  # signed requests, rebased intact
            rows = stored(store, "x")
            assert len(rows) == 25 + 2 + 15 and rows[tid(200)]["from_brand"] == 1

    asyncio.run(scenario())


def test_a_refused_pagination_token_restarts_the_walk_instead_of_stalling(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeXApi() as api:
            seed(api)
            conn = connector(api, clock, own_posts=False, search_queries=[], dms=False)
            stale = {"v": 1, "stage": "mentions",
                     "streams": {"mentions": {"since_id": tid(110), "token": "expired-token-from-last-week"}}}
            with store.transaction():
                store.set_cursor(conn.name, json.dumps(stale), T0)
            coord = coordinator(store, conn, clock)
            await coord.poll()
            await conn.aclose()
            assert status(store)["status"] == "ok"
            assert {r["id"] for r in stored(store, "x").values()} == {tid(100 + i) for i in range(11, 25)}
            assert json.loads(store.get_cursor(conn.name))["streams"]["mentions"] == {"since_id": tid(124)}

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("x")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.dms, c.options.user_id) == ("x", True, "1234567890")
    assert c.options.search_queries == ["zuiderloop -is:retweet -from:zuiderloop"]
    assert names == set(option_paths(XConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("x").options == XConnector.Options()
