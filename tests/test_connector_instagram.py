"""The Instagram connector against a fake Graph API on a real socket, through the real runner."""

import asyncio
import json
import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.instagram import InstagramConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths

from connector_kit import coordinator, refused_once_then_caught_up, stored
from conftest import T0
from fakes.graph_api import EXPIRED, FakeGraphApi, graph_error

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


IG = ("17841400000000001", "zuiderloop")
FANS = [(f"1789{i:04d}", f"fan{i}") for i in range(20)]


def ago(minutes: float):
    return T0 - timedelta(minutes=minutes)


def seed(api: FakeGraphApi) -> None:
    user = IG[0]
    api.media(user, "m1", IG[1], "Startbewijzen zijn verstuurd!", ago(120))
    for i in range(7):
        api.ig_comment("m1", f"m1_c{i}", FANS[i], f"Ik heb niks ontvangen {i}", ago(110 - i))
    api.ig_comment("m1", "m1_r2", IG, "Check je spam even, anders DM ons!", ago(90), reply_to="m1_c2")
    api.ig_comment("m1", "m1_r0", FANS[10], "Ik ook niet", ago(95), reply_to="m1_c0")
    for n, minutes in (("ma", 200), ("mb", 300), ("mc", 400)):
        api.media(user, n, IG[1], f"Training {n}", ago(minutes))
    api.media(user, "m2", IG[1], "Parcours bekend", ago(60 * 24 * 3))
    api.ig_comment("m2", "m2_old", FANS[11], "mooi", ago(60 * 24 * 2))
    api.ig_comment("m2", "m2_new", FANS[12], "Waarom is de route veranderd?", ago(10))
    api.media(user, "m3", IG[1], "Oud", ago(60 * 24 * 10))
    api.ig_comment("m3", "m3_c0", FANS[13], "nieuw op oud", ago(5))  # outside the watch window
    for i in range(6):
        api.tag(user, f"t{i}", FANS[14 + i][1], f"Op weg naar @zuiderloop {i}", ago(30 + i))
    api.tag(user, "t_old", FANS[19][1], "vorig jaar", ago(60 * 24 * 2))


def connector(api: FakeGraphApi, clock: SimClock, **overrides) -> InstagramConnector:
    options = dict(ig_user_id=IG[0], access_token_env="IG_TOKEN", base_url=api.base_url, page_size=5,
                   timeout_seconds=0.3)
    options.update(overrides)
    ctx = ConnectorContext(now=clock.now, env={"IG_TOKEN": api.token})
    return InstagramConnector.create("ig", InstagramConnector.Options(**options), ctx)


async def poll(store, api, clock, **overrides):
    conn = connector(api, clock, **overrides)
    try:
        return await coordinator(store, conn, clock).poll()
    finally:
        await conn.aclose()


def test_a_round_reads_comments_replies_and_tags_and_rescans_only_changed_posts(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            assert await poll(store, api, clock) == T0 + timedelta(seconds=60)
            rows = stored(store)
            assert {k for k, r in rows.items() if r["kind"] == "post"} == {"m1", "ma", "mb", "mc"}
            assert {k for k, r in rows.items() if r["kind"] == "comment"} == \
                {f"m1_c{i}" for i in range(7)} | {"m1_r2", "m1_r0", "m2_new"}
            assert {k for k, r in rows.items() if r["kind"] == "mention"} == {f"t{i}" for i in range(6)}
            brand = rows["m1_r2"]
            assert (brand["from_brand"], brand["in_reply_to"], brand["conversation_id"]) == (1, "m1_c2", "m1")
            assert (rows["m1_r0"]["from_brand"], rows["m1_r0"]["in_reply_to"]) == (0, "m1_c0")
            assert (rows["m1_c3"]["author_id"], rows["m1_c3"]["author_name"]) == (FANS[3][0], "fan3")
            assert rows["t2"]["author_id"] == "fan16" and rows["t2"]["url"] == "https://www.instagram.com/p/t2/"
            assert {r["platform"] for r in rows.values()} == {"instagram"}
            assert {c.path.split("/")[2] for c in api.calls("/comments")} == {"m1", "m2"}
            assert len(api.calls("/m1/comments")) == 2  # 7 comments, 5 per page

            api.requests.clear()
            clock.advance(60)
            await poll(store, api, clock)
            assert api.calls("/comments") == []  # no comment counts changed: nothing re-read
            api.ig_comment("m1", "m1_c7", FANS[7], "Nog steeds niks!!", T0 + timedelta(seconds=90))
            clock.advance(60)
            await poll(store, api, clock)
            assert set(stored(store)) - set(rows) == {"m1_c7"}
            assert {c.path.split("/")[2] for c in api.calls("/comments")} == {"m1"}

    asyncio.run(scenario())


BUC = {"X-Business-Use-Case-Usage": json.dumps({IG[0]: [{
    "type": "instagram", "call_count": 100, "total_cputime": 9, "total_time": 11,
    "estimated_time_to_regain_access": 12}]})}


@pytest.mark.parametrize("fault, expect_status, expect_next, error_has", [
    (dict(status=400, body=graph_error(80002, "(#80002) There have been too many calls to this "
                                               "Instagram account."), headers=BUC),
     "rate_limited", T0 + timedelta(minutes=12), "rate limited until"),
    (dict(status=500), "backoff", T0 + timedelta(seconds=10), "500"),
    ("hang", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    (dict(status=400, body=EXPIRED), "stopped", None, "the token has expired"),
], ids=["buc-80002", "500", "timeout", "expired-token"])
def test_failures_map_to_what_the_runner_does(store, fault, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            if fault == "hang":
                api.hang("/media")
            else:
                api.fail("/media", **fault)
            assert await poll(store, api, clock) == expect_next
            row = store.connector_status()[0]
            assert row["status"] == expect_status and error_has in row["last_error"]
            assert store.count_messages() == 0

    asyncio.run(scenario())


def test_unreadable_comments_and_tags_are_quarantined_and_the_rest_is_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            api.ig_comment("m1", "", FANS[1], "", ago(20),
                           raw={"id": "m1_bad", "text": "geen tijd", "username": "fan1"})
            api.tag(IG[0], "", "", "", ago(3), raw={"id": "t_bad", "caption": "wie?",
                                                    "timestamp": "2026-10-04T07:57:00+0000"})
            with caplog.at_level(logging.WARNING):
                await poll(store, api, clock)
            assert store.count_messages() == 4 + 10 + 6
            bad = {q["source"]: q["error"] for q in store.quarantined()}
            assert set(bad) == {"instagram comment m1_bad", "instagram tag t_bad"}
            assert "timestamp" in bad["instagram comment m1_bad"] and "username" in bad["instagram tag t_bad"]
            assert "quarantined instagram comment m1_bad" in caplog.text

    asyncio.run(scenario())


EVERYTHING = {"m1", "ma", "mb", "mc", *(f"m1_c{i}" for i in range(7)), "m1_r2", "m1_r0", "m2_new",
              *(f"t{i}" for i in range(6))}


@pytest.mark.parametrize("path, answer, error", [
    ("/tags", lambda api: {"data": api.edges[(IG[0], "tags")][:5], "paging": {"next": ["?after=NQ"]}},
     f"instagram /v21.0/{IG[0]}/tags: unexpected answer: paging.next: expected a string, got list"),
    ("/media", lambda api: {"data": {"id": "m1"}},
     f"instagram /v21.0/{IG[0]}/media: unexpected answer: data: expected a list, got object"),
], ids=["next-a-list", "data-an-object"])
def test_a_200_of_the_wrong_shape_is_retried_and_never_read_as_the_last_page(store, caplog, path, answer, error):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            api.fail(path, 200, answer(api))  # once, then the Graph API answers properly again
            conn = connector(api, clock)
            await refused_once_then_caught_up(store, conn, clock, caplog, error, EVERYTHING)

    asyncio.run(scenario())


def test_replies_of_the_wrong_shape_are_quarantined_and_their_comment_kept(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            c0 = next(c for c in api.edges[("m1", "comments")] if c["id"] == "m1_c0")
            c0["replies"] = c0["replies"]["data"]  # a bare list where the `replies` edge belongs
            await poll(store, api, clock)
            assert set(stored(store)) == EVERYTHING - {"m1_r0"}  # only the reply inside it is held back
            assert store.connector_status()[0]["status"] == "ok"
            (bad,) = store.quarantined()
            assert bad["source"] == "instagram replies of comment m1_c0"
            assert bad["error"] == "TypeError: replies: expected an object with a `data` list, got list"
            assert json.loads(bad["raw"])["replies"][0]["id"] == "m1_r0"

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("instagram")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.ig_user_id, c.options.watch_days) == ("instagram", "17841400000000000", 7.0)
    assert names == set(option_paths(InstagramConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("instagram").options == InstagramConnector.Options(ig_user_id="17841400000000000")
