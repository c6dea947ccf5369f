"""The Bluesky connector against a fake PDS on a real socket, through the real runner and store."""

import asyncio
import json
import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.bluesky import BlueskyConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths
from webcare.store import Store

from connector_kit import coordinator, refused_once_then_caught_up, status, stored
from conftest import T0
from fakes.bluesky_api import FakeBluesky

DOCS = Path(__file__).resolve().parents[1] / "docs" / "connectors-more.md"


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


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def seed(api: FakeBluesky) -> dict[str, str]:
    """35 mentions, 10 replies and 5 quotes (50 notifications), a brand reply, likes, search hits."""
    uris: dict[str, str] = {}
    people = [api.profile(f"did:plc:klant{i:019d}", f"klant{i}.bsky.social", f"Klant {i}") for i in range(1, 31)]
    uris["old"] = api.post(people[0], "@zuiderloop.bsky.social vorig jaar was beter", at(-60 * 30), mention_brand=True)
    uris["post1"] = api.post(api.brand, "Inschrijving Zuiderloop is open!", at(-200))
    uris["post2"] = api.post(api.brand, "Nog 3 dagen!", at(-150))
    for i in range(35):
        uris[f"m{i}"] = api.post(people[i % 30], f"@zuiderloop.bsky.social waar is mijn startnummer? #{i}",
                                 at(-100 + i), mention_brand=True)
    for i in range(10):
        uris[f"r{i}"] = api.post(people[i], f"Slecht georganiseerd {i}", at(-60 + i), reply_to=uris["post1"])
    for i in range(5):
        uris[f"q{i}"] = api.post(people[10 + i], f"Lees dit {i}", at(-45 + i), quote=uris["post2"])
    uris["answer"] = api.post(api.brand, "Sorry, we zoeken het uit!", at(-30), reply_to=uris["r3"])
    api.like(people[5], uris["post1"], at(-29))
    for i in range(2):
        uris[f"s{i}"] = api.post(people[20 + i], f"De zuiderloop is een chaos {i}", at(-20 + i))
    return uris


def connector(api: FakeBluesky, clock: SimClock, **overrides) -> BlueskyConnector:
    options = dict(handle="zuiderloop.bsky.social", app_password_env="BSKY_PASS", base_url=api.base_url,
                   page_size=25, search_queries=["zuiderloop chaos"], timeout_seconds=0.3)
    options.update(overrides)
    ctx = ConnectorContext(now=clock.now, env={"BSKY_PASS": "app-pass-1234"})
    return BlueskyConnector.create("bluesky-brand", BlueskyConnector.Options(**options), ctx)


def test_a_round_pages_notifications_own_posts_and_search_and_the_next_survives_an_expired_token(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeBluesky() as api:
            uris = seed(api)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == T0 + timedelta(seconds=60)
            rows = stored(store, "bluesky")
            assert set(rows) == {u for k, u in uris.items() if k != "old"}
            notes = api.calls("listNotifications")
            assert len(notes) == 3  # 50 notifications, 25 per page, then an empty page
            assert [c.params.get("cursor") is not None for c in notes] == [False, True, True]
            assert "reasons=mention&reasons=reply&reasons=quote" in notes[0].query
            assert api.logins == 1

            mention = rows[uris["m6"]]
            assert (mention["kind"], mention["public"], mention["from_brand"], mention["author_id"],
                    mention["author_name"], mention["lang"]) == ("mention", 1, 0, "did:plc:klant0000000000000000007",
                                                                 "Klant 7", "nl")
            assert mention["url"] == f"https://bsky.app/profile/klant7.bsky.social/post/{uris['m6'].rsplit('/', 1)[1]}"
            reply = rows[uris["r3"]]
            assert (reply["in_reply_to"], reply["conversation_id"]) == (uris["post1"], uris["post1"])
            answer = rows[uris["answer"]]
            assert (answer["kind"], answer["from_brand"], answer["in_reply_to"], answer["conversation_id"]) \
                == ("comment", 1, uris["r3"], uris["post1"])
            assert (rows[uris["post1"]]["kind"], rows[uris["post1"]]["from_brand"]) == ("post", 1)
            search = api.calls("searchPosts")[0].params
            assert (search["q"], search["sort"], search["since"]) == ("zuiderloop chaos", "latest",
                                                                      "2026-10-03T08:00:00.000Z")

            api.requests.clear()
            api.expire_tokens()  # two hours later the access token has expired
            new = api.post(api.profile("did:plc:nieuw", "nieuw.bsky.social", "Nieuw"), "Nog steeds niks!", at(0.5),
                           reply_to=uris["post1"])
            clock.advance(60)
            await coord.poll()
            await conn.aclose()
            assert set(stored(store, "bluesky")) - set(rows) == {new}
            assert (api.refreshes, api.logins) == (1, 1) and status(store)["status"] == "ok"
            assert len(api.calls("listNotifications")) == 2  # refused once, then asked again

    asyncio.run(scenario())


def test_an_expired_refresh_token_logs_in_again(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeBluesky() as api:
            seed(api)
            conn = connector(api, clock, own_posts=False, search_queries=[])
            coord = coordinator(store, conn, clock)
            await coord.poll()
            api.expire_tokens()
            api.refresh_works = False
            clock.advance(60)
            await coord.poll()
            await conn.aclose()
            assert (api.logins, status(store)["status"]) == (2, "ok")

    asyncio.run(scenario())


RESET = T0 + timedelta(minutes=5)
LIMITED = {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": str(int(RESET.timestamp())),
           "ratelimit-policy": "3000;w=300"}


@pytest.mark.parametrize("setup, expect_status, expect_next, error_has", [
    (dict(status=429, body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, headers=LIMITED),
     "rate_limited", RESET, "rate limited until 08:05:00"),
    (dict(status=500), "backoff", T0 + timedelta(seconds=10), "InternalServerError"),
    (dict(status=502, body="<html><body>502 Bad Gateway</body></html>"), "backoff",
     T0 + timedelta(seconds=10), "502 Bad Gateway"),
    ("hang", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    ("renewal-refused", "stopped", None, "renewed session was refused too"),
    ("bad-password", "stopped", None, "Invalid identifier or password"),
], ids=["429-with-reset", "500", "502-html", "timeout", "expired-token-stays-refused", "bad-app-password"])
def test_failures_map_to_what_the_runner_does(store, setup, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeBluesky() as api:
            seed(api)
            if setup == "hang":
                api.hang("listNotifications")
            elif setup == "renewal-refused":
                api.renewal_helps = False
                api.fail("listNotifications", 400, {"error": "ExpiredToken", "message": "Token has expired"})
            elif setup == "bad-password":
                api.password = "a-new-app-password"  # the old one was revoked
            else:
                api.fail("listNotifications", **setup)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            try:
                assert await coord.poll() == expect_next
            finally:
                await conn.aclose()
            row = status(store)
            assert row["status"] == expect_status and error_has in row["last_error"]
            assert store.count_messages() == 0
            assert len(store.alerts()) == (1 if expect_status == "stopped" else 0)
            if expect_status == "rate_limited":
                assert row["rate_limit_reset"] == RESET.timestamp()
            if setup == "renewal-refused":
                assert api.refreshes == 1  # renewed once, not in a loop

    asyncio.run(scenario())


def test_a_spent_budget_pauses_until_the_reset_instead_of_provoking_a_429(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeBluesky(reset_epoch=int(RESET.timestamp())) as api:
            uris = seed(api)
            api.remaining = 1
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == RESET
            assert store.count_messages() == 25 and len(api.calls("/xrpc/app.")) == 1
            clock.set(RESET)
            api.remaining = None
            await coord.poll()
            await conn.aclose()
            assert store.count_messages() == len(uris) - 1 and status(store)["status"] == "ok"

    asyncio.run(scenario())


def test_unreadable_posts_are_quarantined_and_the_rest_is_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeBluesky() as api:
            uris = seed(api)
            bad = api.post(api.profile("did:plc:kapot", "kapot.bsky.social", "Kapot"), "@zuiderloop.bsky.social",
                           at(-5), mention_brand=True,
                           raw_record={"$type": "app.bsky.feed.post", "text": "kapot", "createdAt": "gisteren"})
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.WARNING):
                await coord.poll()
            await conn.aclose()
            assert set(stored(store, "bluesky")) == {u for k, u in uris.items() if k != "old"}
            assert status(store)["status"] == "ok"
            (quarantined,) = store.quarantined()
            assert quarantined["source"] == f"bluesky mention {bad}" and "gisteren" in quarantined["error"]
            assert json.loads(quarantined["raw"])["record"]["text"] == "kapot"
            assert f"quarantined bluesky mention {bad}" in caplog.text

    asyncio.run(scenario())


@pytest.mark.parametrize("method, answer, after, error", [
    ("listNotifications", lambda api, uris: {"cursor": "2026-10-04T06:45:00.000Z", "priority": False}, 1,
     "bluesky /xrpc/app.bsky.notification.listNotifications: unexpected answer: notifications: expected a list, "
     "got null"),
    ("getAuthorFeed", lambda api, uris: {"feed": {"post": api.posts[1]}}, 0,
     "bluesky /xrpc/app.bsky.feed.getAuthorFeed: unexpected answer: feed: expected a list, got object"),
    ("searchPosts", lambda api, uris: {"posts": [p for p in api.posts if p["uri"] == uris["s0"]], "cursor": 25}, 0,
     "bluesky /xrpc/app.bsky.feed.searchPosts: unexpected answer: cursor: expected a string, got number"),
], ids=["notifications-missing", "feed-an-object", "cursor-a-number"])
def test_a_200_of_the_wrong_shape_is_retried_and_never_read_as_the_last_page(store, caplog, method, answer, after,
                                                                              error):
    async def scenario():
        clock = SimClock(T0)
        async with FakeBluesky() as api:
            uris = seed(api)
            api.fail(method, 200, answer(api, uris), after=after)  # once, then the server answers properly again
            conn = connector(api, clock)
            await refused_once_then_caught_up(store, conn, clock, caplog, error, {u for k, u in uris.items() if k != "old"}, "bluesky")

    asyncio.run(scenario())


def test_a_restart_after_a_failure_mid_walk_resumes_there_without_duplicates(tmp_path):
    async def scenario():
        clock = SimClock(T0)
        async with FakeBluesky() as api:
            seed(api)
            api.fail("listNotifications", 503, after=1)
            first = Store(tmp_path / "b.db")
            conn = connector(api, clock, own_posts=False, search_queries=[])
            try:
                assert await coordinator(first, conn, clock).poll() == T0 + timedelta(seconds=10)
            finally:
                await conn.aclose()
            assert first.count_messages() == 25
            first.close()

            again = Store(tmp_path / "b.db")  # a new process: a new log-in, same database
            conn = connector(api, clock, own_posts=False, search_queries=[])
            api.requests.clear()
            clock.advance(10)
            try:
                await coordinator(again, conn, clock).poll()
            finally:
                await conn.aclose()
            assert api.calls("listNotifications")[0].params.get("cursor")  # resumed on page two
            assert again.count_messages() == 50
            assert again.conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()[0] == 50
            assert "Jwt" not in (again.get_cursor(conn.name) or "")  # no token in the stored cursor
            again.close()

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("bluesky")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.handle, c.options.search_queries) == ("bluesky", "zuiderloop.bsky.social",
                                                                    ["zuiderloop"])
    assert names == set(option_paths(BlueskyConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("bluesky").options == BlueskyConnector.Options(handle="zuiderloop.bsky.social")
