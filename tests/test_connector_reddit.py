"""The Reddit connector against a fake Reddit on a real socket, through the real runner and store."""

import asyncio
import base64
import json
import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.reddit import RedditConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths
from webcare.store import Store

from connector_kit import coordinator, refused_once_then_caught_up, status, stored
from conftest import T0
from fakes.reddit_api import UNAUTHORIZED, FakeReddit

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


BRAND = "Zuiderloop"
ENV = {"R_ID": "cid-123", "R_SECRET": "sec-456", "R_PASS": "hunter2"}


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def seed(api: FakeReddit) -> dict[str, str]:
    """100 inbox items (60 post replies, 30 username mentions, 10 messages), brand answers, posts."""
    ids: dict[str, str] = {}
    ids["brand_post"] = api.post(BRAND, "Inschrijving Zuiderloop open", "Schrijf je nu in!", at(-300))
    ids["old_post"] = api.post("klant0", "Vorig jaar", "was beter", at(-60 * 30))
    ids["elsewhere"] = api.post("loper9", "Wie loopt mee?", "met de Zuiderloop", at(-290), subreddit="hardlopen")
    for i in range(60):
        ids[f"r{i}"] = api.comment(f"klant{i % 25}", f"Waar is mijn startnummer? #{i}", at(-200 + i),
                                   ids["brand_post"], inbox="post_reply")
    for i in range(30):
        ids[f"u{i}"] = api.comment(f"loper{i}", f"Vraag het /u/{BRAND} maar #{i}", at(-120 + i),
                                   ids["elsewhere"], inbox="username_mention", subreddit="hardlopen")
    for i in range(10):
        ids[f"pm{i}"] = api.message(f"klant{i}", BRAND, f"Terugbetaling {i}", f"Ik wil mijn geld terug #{i}",
                                    at(-80 + i))
    ids["answer"] = api.comment(BRAND, "Sorry! We sturen het vandaag na.", at(-60), ids["brand_post"],
                                parent=ids["r5"])
    ids["pm_answer"] = api.message(BRAND, "klant3", "re: Terugbetaling 3", "We maken het over.", at(-59),
                                   first=ids["pm3"], parent=ids["pm3"])
    ids["chaos"] = api.post("loper7", "Zuiderloop chaos", "Wat een chaos bij de start", at(-50), subreddit="hardlopen")
    ids["medal"] = api.post("klant30", "Waar is mijn medaille?", "", at(-40))
    return ids


def connector(api: FakeReddit, clock: SimClock, **overrides) -> RedditConnector:
    options = dict(username=BRAND, password_env="R_PASS", client_id_env="R_ID", client_secret_env="R_SECRET",
                   base_url=api.base_url, token_url=f"{api.base_url}/api/v1/access_token", page_size=50,
                   search_queries=["zuiderloop chaos"], subreddits=["r/zuiderloop"], timeout_seconds=0.3)
    options.update(overrides)
    ctx = ConnectorContext(now=clock.now, env=ENV)
    return RedditConnector.create("reddit-brand", RedditConnector.Options(**options), ctx)


def test_a_round_pages_inbox_answers_search_and_subreddit_and_the_next_renews_the_token(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeReddit() as api:
            ids = seed(api)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == T0 + timedelta(seconds=60)
            rows = stored(store, "reddit")
            assert set(rows) == {v for k, v in ids.items() if k not in ("old_post", "elsewhere")}
            inbox = api.calls("/message/inbox")
            assert [c.params.get("after") for c in inbox] == [None, ids["r50"], ids["r0"]]  # last page empty
            assert all(c.params["raw_json"] == "1" for c in inbox)
            (token_call,) = api.calls("/access_token")
            assert base64.b64decode(token_call.headers["Authorization"][6:]) == b"cid-123:sec-456"
            assert inbox[0].headers["User-Agent"] == "webcare:v1 (by /u/Zuiderloop)"

            reply = rows[ids["r7"]]
            assert (reply["kind"], reply["public"], reply["author_id"], reply["in_reply_to"],
                    reply["conversation_id"]) == ("comment", 1, "klant7", ids["brand_post"], ids["brand_post"])
            assert reply["url"].startswith("https://www.reddit.com/r/zuiderloop/comments/")
            assert rows[ids["u3"]]["kind"] == "mention"
            pm = rows[ids["pm3"]]
            assert (pm["kind"], pm["public"], pm["text"], pm["conversation_id"]) == (
                "dm", 0, "Terugbetaling 3\n\nIk wil mijn geld terug #3", ids["pm3"])
            pm_answer = rows[ids["pm_answer"]]
            assert (pm_answer["from_brand"], pm_answer["in_reply_to"], pm_answer["conversation_id"],
                    pm_answer["text"]) == (1, ids["pm3"], ids["pm3"], "We maken het over.")
            answer = rows[ids["answer"]]
            assert (answer["from_brand"], answer["kind"], answer["in_reply_to"]) == (1, "comment", ids["r5"])
            assert (rows[ids["chaos"]]["kind"], rows[ids["medal"]]["kind"]) == ("mention", "post")
            assert rows[ids["brand_post"]]["from_brand"] == 1
            assert rows[ids["chaos"]]["text"] == "Zuiderloop chaos\n\nWat een chaos bij de start"
            search = api.calls("/search")[0].params
            assert (search["q"], search["sort"], search["type"]) == ("zuiderloop chaos", "new", "link")

            api.requests.clear()
            api.expire_tokens()
            new = api.comment("klant99", "Nog steeds niks!", at(0.5), ids["brand_post"], parent=ids["answer"],
                              inbox="comment_reply")
            clock.advance(60)
            await coord.poll()
            await conn.aclose()
            assert set(stored(store, "reddit")) - set(rows) == {new}
            assert api.issued == 2 and status(store)["status"] == "ok"
            assert len(api.calls("/message/inbox")) == 2  # refused once, asked again with the new token

    asyncio.run(scenario())


RESET = T0 + timedelta(seconds=300)


@pytest.mark.parametrize("setup, expect_status, expect_next, error_has", [
    (dict(status=429, body={"message": "Too Many Requests", "error": 429},
          headers={"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "300"}),
     "rate_limited", RESET, "rate limited until 10:05:00"),
    (dict(status=503), "backoff", T0 + timedelta(seconds=10), "503"),
    (dict(status=502, body="<html><body>502 Bad Gateway</body></html>"), "backoff",
     T0 + timedelta(seconds=10), "502 Bad Gateway"),
    ("hang", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    (dict(status=401, body=UNAUTHORIZED, times=2), "stopped", None, "HTTP 401: Unauthorized"),
    (dict(status=403, body={"message": "Forbidden", "error": 403}), "stopped", None, "HTTP 403: Forbidden"),
    ("wrong-password", "stopped", None, "the username or password was refused"),
    ("wrong-secret", "stopped", None, "the client id or secret was refused"),
], ids=["429-with-reset", "503", "502-html", "timeout", "token-refused-after-renewal", "forbidden",
        "wrong-password", "wrong-secret"])
def test_failures_map_to_what_the_runner_does(store, setup, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeReddit() as api:
            seed(api)
            if setup == "hang":
                api.hang("/message/inbox")
            elif setup == "wrong-password":
                api.password = "changed"
            elif setup == "wrong-secret":
                api.secret = "rotated"
            else:
                api.fail("/message/inbox", **setup)
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

    asyncio.run(scenario())


def test_a_spent_budget_pauses_until_the_reset_instead_of_provoking_a_429(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeReddit() as api:
            ids = seed(api)
            api.remaining = 1
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == RESET
            assert store.count_messages() == 50 and len(api.calls("/message/")) == 1
            clock.set(RESET)
            api.remaining = None
            await coord.poll()
            await conn.aclose()
            assert store.count_messages() == len(ids) - 2 and status(store)["status"] == "ok"

    asyncio.run(scenario())


def test_unreadable_things_are_quarantined_and_the_rest_is_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeReddit() as api:
            ids = seed(api)
            bad_comment = api.comment("klant5", "", at(-10), ids["brand_post"], inbox="comment_reply",
                                      raw={"name": "t1_bad01", "author": "klant5", "body": "kapot",
                                           "created_utc": "gisteren", "parent_id": ids["answer"]})
            bad_post = api.post("", "", "", at(-5), raw={"name": "t3_bad02", "title": "zuiderloop chaos",
                                                        "selftext": "zonder auteur", "created_utc": at(-5).timestamp(),
                                                        "subreddit": "hardlopen"})
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.WARNING):
                await coord.poll()
            await conn.aclose()
            assert set(stored(store, "reddit")) == {v for k, v in ids.items() if k not in ("old_post", "elsewhere")}
            assert status(store)["status"] == "ok"
            quarantined = {q["source"]: q for q in store.quarantined()}
            assert set(quarantined) == {f"reddit {bad_comment}", f"reddit {bad_post}"}
            assert "gisteren" in quarantined["reddit t1_bad01"]["error"]
            assert "author" in quarantined["reddit t3_bad02"]["error"]
            assert json.loads(quarantined["reddit t1_bad01"]["raw"])["data"]["body"] == "kapot"
            assert "quarantined reddit t1_bad01" in caplog.text

    asyncio.run(scenario())


def _thing(api: FakeReddit, name: str) -> dict:
    return next(t for t in api.things if t["data"]["name"] == name)


@pytest.mark.parametrize("path, answer, after, error", [
    ("/message/inbox", lambda api, ids: {"kind": "Listing", "data": {"after": None, "children": {}}}, 1,
     "reddit /message/inbox: unexpected answer: data.children: expected a list, got object"),
    ("/search", lambda api, ids: [{"kind": "Listing", "data": {"children": [_thing(api, ids["chaos"])]}}], 0,
     "reddit /search: unexpected answer: expected an object, got list"),
    ("/r/zuiderloop/new", lambda api, ids: {"kind": "Listing", "data": {
        "after": 5, "children": [_thing(api, ids["medal"])]}}, 0,
     "reddit /r/zuiderloop/new: unexpected answer: data.after: expected a string, got number"),
    ("/message/sent", lambda api, ids: {"kind": "Listing", "data": "geen"}, 0,
     "reddit /message/sent: unexpected answer: data: expected an object, got string"),
], ids=["children-an-object", "a-list-of-listings", "after-a-number", "data-a-string"])
def test_a_200_of_the_wrong_shape_is_retried_and_never_read_as_the_last_page(store, caplog, path, answer, after,
                                                                              error):
    async def scenario():
        clock = SimClock(T0)
        async with FakeReddit() as api:
            ids = seed(api)
            api.fail(path, 200, answer(api, ids), after=after)  # once, then Reddit answers properly again
            conn = connector(api, clock)
            expected = {v for k, v in ids.items() if k not in ("old_post", "elsewhere")}
            await refused_once_then_caught_up(store, conn, clock, caplog, error, expected, "reddit")

    asyncio.run(scenario())


def test_a_restart_after_a_failure_mid_walk_resumes_there_without_duplicates(tmp_path):
    async def scenario():
        clock = SimClock(T0)
        async with FakeReddit() as api:
            ids = seed(api)
            api.fail("/message/inbox", 503, after=1)
            first = Store(tmp_path / "r.db")
            conn = connector(api, clock, own_posts=False, search_queries=[], subreddits=[])
            try:
                assert await coordinator(first, conn, clock).poll() == T0 + timedelta(seconds=10)
            finally:
                await conn.aclose()
            assert first.count_messages() == 50
            first.close()

            again = Store(tmp_path / "r.db")
            conn = connector(api, clock, own_posts=False, search_queries=[], subreddits=[])
            api.requests.clear()
            clock.advance(10)
            try:
                await coordinator(again, conn, clock).poll()
            finally:
                await conn.aclose()
            assert api.calls("/message/inbox")[0].params["after"] == ids["r50"]  # resumed on page two
            assert again.count_messages() == 100
            assert again.conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()[0] == 100
            assert "token" not in again.get_cursor(conn.name)
            again.close()

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("reddit")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.username, c.options.subreddits) == ("reddit", "Zuiderloop", ["zuiderloop"])
    assert names == set(option_paths(RedditConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("reddit").options == RedditConnector.Options(username="Zuiderloop")
