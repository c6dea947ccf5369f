"""The Facebook Page connector against a fake Graph API on a real socket, through the real runner."""

import asyncio
import json
import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.facebook import FacebookPageConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths
from webcare.store import Store

from connector_kit import coordinator, refused_once_then_caught_up, status, stored
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


PAGE = ("111", "Zuiderloop")
CUSTOMERS = [(f"9{i:03d}", f"Klant {i}") for i in range(20)]


def ago(minutes: float):
    return T0 - timedelta(minutes=minutes)


def seed(api: FakeGraphApi) -> None:
    """Page posts, a visitor post, a tag, an old post with a fresh comment, comment threads, DMs."""
    page = PAGE[0]
    api.post(page, "111_1", PAGE, "Morgen is het zover: de Zuiderloop!", ago(180))
    api.post(page, "111_2", CUSTOMERS[1], "Waar is mijn startnummer??", ago(120))
    api.post(page, "111_3", CUSTOMERS[2], "Klaar voor de Zuiderloop met @Zuiderloop", ago(90), tags=(page,))
    api.post(page, "111_4", PAGE, "Oud bericht", ago(60 * 24 * 10))
    api.post(page, "111_5", PAGE, "Oud bericht met nieuwe reactie", ago(60 * 24 * 10))
    for i in range(4):
        api.post(page, f"111_1{i}", PAGE, f"Update {i}", ago(60 * 20 - i * 60))
    for i in range(11):
        api.comment("111_1", f"111_1_c{i}", CUSTOMERS[3 + i], f"Reactie {i}: slecht georganiseerd",
                    ago(170 - i * 5), parent="111_1_c0" if i in (4, 6) else None)
    api.comment("111_1", "111_1_r3", PAGE, "Sorry, we zoeken het uit!", ago(100), parent="111_1_c3")
    for i in range(3):
        api.comment("111_5", f"111_5_old{i}", CUSTOMERS[i], "oud", ago(60 * 24 * 9))
    api.comment("111_5", "111_5_new", CUSTOMERS[15], "Is dit nog actueel?", ago(30))
    api.conversation(page, "t_1")
    api.dm("t_1", "m_1a", CUSTOMERS[16], "Ik wil mijn geld terug", ago(50))
    api.dm("t_1", "m_1b", PAGE, "Bedankt voor je bericht, we reageren z.s.m.", ago(49))
    api.conversation(page, "t_2")
    for i in range(7):
        api.dm("t_2", f"m_2{i}", CUSTOMERS[17], f"vraag {i}", ago(40 - i))


def connector(api: FakeGraphApi, clock: SimClock, **overrides) -> FacebookPageConnector:
    options = dict(page_id=PAGE[0], access_token_env="FB_TOKEN", base_url=api.base_url, page_size=5,
                   timeout_seconds=0.3)
    options.update(overrides)
    ctx = ConnectorContext(now=clock.now, env={"FB_TOKEN": api.token})
    return FacebookPageConnector.create("fb-page", FacebookPageConnector.Options(**options), ctx)


def test_a_round_reads_feed_comments_and_messenger_and_the_next_round_only_what_changed(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            try:
                assert await coord.poll() == T0 + timedelta(seconds=60)
            finally:
                await conn.aclose()
            rows = stored(store)
            posts = {k for k, r in rows.items() if r["kind"] in ("post", "mention")}
            assert posts == {"111_1", "111_2", "111_3", "111_5", "111_10", "111_11", "111_12", "111_13"}
            assert (rows["111_1"]["from_brand"], rows["111_2"]["from_brand"]) == (1, 0)
            assert rows["111_3"]["kind"] == "mention"
            comments = {k for k, r in rows.items() if r["kind"] == "comment"}
            assert comments == {f"111_1_c{i}" for i in range(11)} | {"111_1_r3", "111_5_new"}  # not the old ones
            reply = rows["111_1_r3"]
            assert (reply["from_brand"], reply["in_reply_to"], reply["conversation_id"]) == (1, "111_1_c3", "111_1")
            assert rows["111_1_c4"]["in_reply_to"] == "111_1_c0" and rows["111_1_c5"]["in_reply_to"] == "111_1"
            dms = {k: r for k, r in rows.items() if r["platform"] == "messenger"}
            assert len(dms) == 9 and {r["kind"] for r in dms.values()} == {"dm"}
            assert {r["public"] for r in dms.values()} == {0}
            assert dms["m_1b"]["from_brand"] == 1 and dms["m_1a"]["conversation_id"] == "t_1"

            feed = api.calls("/111/feed")
            assert len(feed) == 2 and "since" in feed[0].params
            assert "until" in feed[1].params and "__paging_token" in feed[1].params  # time-based paging
            c1 = api.calls("/111_1/comments")
            assert len(c1) == 3 and {(c.params["filter"], c.params["order"]) for c in c1} == \
                {("stream", "reverse_chronological")}
            assert status(store)["status"] == "ok"

            api.requests.clear()
            api.comment("111_2", "111_2_c0", CUSTOMERS[18], "Nog steeds geen antwoord!", T0 + timedelta(seconds=30))
            api.dm("t_1", "m_1c", CUSTOMERS[16], "Hallo??", T0 + timedelta(seconds=40))
            clock.advance(60)
            conn = connector(api, clock)
            coord.connector = conn
            try:
                await coord.poll()
            finally:
                await conn.aclose()
            assert set(stored(store)) - set(rows) == {"111_2_c0", "m_1c"}
            assert {c.path.split("/")[2] for c in api.calls("/comments")} == {"111_2"}
            assert {c.path.split("/")[2] for c in api.calls("/messages")} == {"t_1"}

    asyncio.run(scenario())


BUC = {"X-Business-Use-Case-Usage": json.dumps({"111": [{
    "type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 15,
    "estimated_time_to_regain_access": 7}]})}
APP_FULL = {"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 44})}
TOO_MANY = "(#80001) There have been too many calls to this Page account. Wait a bit and try again."


@pytest.mark.parametrize("fault, expect_status, expect_next, error_has", [
    (dict(status=400, body=graph_error(80001, TOO_MANY), headers=BUC), "rate_limited",
     T0 + timedelta(minutes=7), "rate limited until"),
    (dict(status=429, body=graph_error(80001, TOO_MANY), headers=BUC), "rate_limited",
     T0 + timedelta(minutes=7), "rate limited until"),
    (dict(status=400, body=graph_error(4, "(#4) Application request limit reached"), headers=APP_FULL),
     "rate_limited", T0 + timedelta(minutes=10), "rate limited until"),
    (dict(status=500), "backoff", T0 + timedelta(seconds=10), "500"),
    (dict(status=502, body="<html><body>502 Bad Gateway</body></html>"), "backoff",
     T0 + timedelta(seconds=10), "502"),
    ("hang", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    (dict(status=400, body=EXPIRED), "stopped", None, "the token has expired"),
    (dict(status=403, body=graph_error(200, "(#200) Requires pages_read_engagement permission")),
     "stopped", None, "pages_read_engagement"),
], ids=["buc-80001", "429-buc", "app-limit-4", "500", "502-html", "timeout", "expired-token", "permission"])
def test_failures_map_to_what_the_runner_does(store, fault, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            if fault == "hang":
                api.hang("/feed")
            else:
                api.fail("/feed", **fault)
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

    asyncio.run(scenario())


def test_usage_headers_near_the_limit_pause_polling_before_meta_blocks_it(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            api.headers = {"X-App-Usage": json.dumps({"call_count": 95, "total_cputime": 20, "total_time": 30})}
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            try:
                assert await coord.poll() == T0 + timedelta(minutes=10)
                assert len(api.requests) == 1 and store.count_messages() == 5  # that page is kept
                api.headers = {}
                clock.advance(600)
                await coord.poll()
            finally:
                await conn.aclose()
            assert store.count_messages() == 8 + 13 + 9 and status(store)["status"] == "ok"

    asyncio.run(scenario())


def test_unreadable_items_are_quarantined_and_the_rest_is_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            api.comment("111_1", "", None, "", ago(20),
                        raw={"id": "111_1_bad", "message": "geen tijd", "from": {"id": "9001", "name": "X"}})
            api.post(PAGE[0], "", PAGE, None, ago(10),
                     raw={"id": "111_bad", "created_time": "gisteren", "updated_time": "2026-10-04T07:50:00+0000",
                          "from": {"id": PAGE[0], "name": PAGE[1]}})
            api.dm("t_1", "", CUSTOMERS[16], "", ago(45), raw={"message": "zonder id",
                                                                  "created_time": "2026-10-04T07:15:00+0000"})
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.WARNING):
                try:
                    await coord.poll()
                finally:
                    await conn.aclose()
            assert store.count_messages() == 8 + 13 + 9 and status(store)["status"] == "ok"
            bad = {q["source"]: q for q in store.quarantined()}
            assert set(bad) == {"facebook comment 111_1_bad", "facebook post 111_bad", "messenger message (no id)"}
            assert "created_time" in bad["facebook comment 111_1_bad"]["error"]
            assert "gisteren" in bad["facebook post 111_bad"]["error"]
            assert json.loads(bad["facebook comment 111_1_bad"]["raw"])["message"] == "geen tijd"
            assert "quarantined facebook comment 111_1_bad" in caplog.text

    asyncio.run(scenario())


EVERYTHING = {"111_1", "111_2", "111_3", "111_5", "111_10", "111_11", "111_12", "111_13", "111_1_r3", "111_5_new",
              *(f"111_1_c{i}" for i in range(11)), "m_1a", "m_1b", *(f"m_2{i}" for i in range(7))}


@pytest.mark.parametrize("path, answer, error", [
    ("/111/feed", lambda api: {"data": api.edges[("111", "feed")][:5], "paging": "next"},
     "facebook /v21.0/111/feed: unexpected answer: paging: expected an object, got string"),
    ("/conversations", lambda api: {"data": api.edges[("111", "conversations")][:1], "paging": {"next": 7}},
     "facebook /v21.0/111/conversations: unexpected answer: paging.next: expected a string, got number"),
    ("/messages", lambda api: {"success": True},
     "/messages: unexpected answer: data: expected a list, got null"),
], ids=["paging-a-string", "next-a-number", "no-data"])
def test_a_200_of_the_wrong_shape_is_retried_and_never_read_as_the_last_page(store, caplog, path, answer, error):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            api.fail(path, 200, answer(api))  # once, then the Graph API answers properly again
            conn = connector(api, clock)
            await refused_once_then_caught_up(store, conn, clock, caplog, error, EVERYTHING)

    asyncio.run(scenario())


def test_a_restart_after_a_failure_mid_thread_resumes_there_without_duplicates(tmp_path):
    async def scenario():
        clock = SimClock(T0)
        async with FakeGraphApi() as api:
            seed(api)
            api.fail("/111_1/comments", 503, after=1)  # the thread's second page fails once
            first = Store(tmp_path / "fb.db")
            conn = connector(api, clock)
            try:
                assert await coordinator(first, conn, clock).poll() == T0 + timedelta(seconds=10)
            finally:
                await conn.aclose()
            assert first.count_messages() == 8 + 1 + 5  # feed, 111_5 (newest activity), a page of 111_1
            cursor = first.get_cursor(conn.name)
            assert "after=" in cursor and api.token not in cursor  # paging link stored without the token
            first.close()

            again = Store(tmp_path / "fb.db")  # a new process: fresh objects, same database
            conn = connector(api, clock)
            api.requests.clear()
            clock.advance(10)
            try:
                await coordinator(again, conn, clock).poll()
            finally:
                await conn.aclose()
            assert "after" in api.calls("/111_1/comments")[0].params  # resumed on page two
            assert again.count_messages() == 8 + 13 + 9
            assert again.conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()[0] == 30
            again.close()

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("facebook")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.page_id, c.options.messenger) == ("facebook", "104857600000000", True)
    assert names == set(option_paths(FacebookPageConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("facebook").options == FacebookPageConnector.Options(page_id="104857600000000")
