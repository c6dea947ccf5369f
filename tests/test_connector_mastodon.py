"""The Mastodon connector against a fake Mastodon server on a real socket, through the real runner."""

import asyncio
import json
import logging
import re
import tomllib
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.mastodon import MastodonConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths
from webcare.store import Store

from connector_kit import coordinator, refused_once_then_caught_up, status, stored
from conftest import T0
from fakes.mastodon_api import REVOKED, SCOPE, FakeMastodon, snowflake

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


def mention_html(text: str) -> str:
    return ('<p><span class="h-card" translate="no"><a href="https://mastodon.test/@zuiderloop" '
            'class="u-url mention">@<span>zuiderloop</span></a></span> ' + text + '</p>')


def seed(api: FakeMastodon, mentions: int = 39) -> dict[str, str]:
    """Customers mentioning the brand, a DM, brand replies, hashtag posts and a searchable post."""
    ids: dict[str, str] = {}
    people = [api.account(f"1100{i:02d}", f"klant{i}", f"Klant {i}", domain="social.test" if i % 2 else "",
                          followers=i * 10) for i in range(1, 31)]
    for i in range(mentions):
        ids[f"m{i}"] = api.status(people[i % 30], mention_html(f"waar blijft mijn startnummer? #{i}"),
                                  at(-60 + i), mentions=(api.brand,))
    ids["dm"] = api.status(people[3], mention_html("mijn adres is Dorpsstraat 1"), at(-25),
                           visibility="direct", mentions=(api.brand,))
    ids["old"] = api.status(api.brand, "<p>Tot volgend jaar!</p>", at(-60 * 30))
    ids["post"] = api.status(api.brand, "<p>Nog 3 dagen tot de Zuiderloop!</p>", at(-50))
    ids["reply"] = api.status(api.brand, "<p>Sorry! We sturen het vandaag na.</p>", at(-20), reply_to=ids["m0"])
    for i in range(3):
        ids[f"tag{i}"] = api.status(people[10 + i], f"<p>Chaos bij de start van de <a href=\"x\">#<span>"
                                    f"Zuiderloop</span></a> {i}</p>", at(-40 + i), tags=("zuiderloop",))
    ids["found"] = api.status(people[20], "<p>De zuiderloop organisatie is een chaos</p>", at(-35),
                              searchable=True, spoiler="klacht")
    return ids


def connector(api: FakeMastodon, clock: SimClock, **overrides) -> MastodonConnector:
    options = dict(base_url=api.base_url, access_token_env="MASTO_TOKEN", page_size=20,
                   hashtags=["Zuiderloop"], search_queries=["zuiderloop chaos"], timeout_seconds=0.3)
    options.update(overrides)
    ctx = ConnectorContext(now=clock.now, env={"MASTO_TOKEN": api.token})
    return MastodonConnector.create("mastodon-brand", MastodonConnector.Options(**options), ctx)


def test_a_round_pages_every_stream_and_the_next_round_asks_only_for_new_posts(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            ids = seed(api)
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            try:
                assert await coord.poll() == T0 + timedelta(seconds=60)
            finally:
                await conn.aclose()
            rows = stored(store, "mastodon")
            assert set(rows) == {ids[k] for k in ids if k != "old"}  # not the one from before the backfill
            notes = api.calls("/notifications")
            assert len(notes) == 3  # 40 mentions, 20 per page: two full pages and an empty one
            assert all(c.params.get("types[]") == "mention" and "since_id" not in c.params for c in notes)
            assert [("max_id" in c.params) for c in notes] == [False, True, True]

            first = rows[ids["m5"]]
            assert first["text"] == "@zuiderloop waar blijft mijn startnummer? #5"
            assert (first["kind"], first["public"], first["from_brand"], first["author_name"],
                    first["author_followers"]) == ("mention", 1, 0, "Klant 6", 60)
            reply = rows[ids["reply"]]
            assert (reply["kind"], reply["from_brand"], reply["in_reply_to"]) == ("comment", 1, ids["m0"])
            assert rows[ids["post"]]["kind"] == "post"
            dm = rows[ids["dm"]]
            assert (dm["kind"], dm["public"]) == ("dm", 0)
            assert rows[ids["found"]]["text"] == "klacht\n\nDe zuiderloop organisatie is een chaos"
            assert rows[ids["tag1"]]["text"] == "Chaos bij de start van de #Zuiderloop 1"
            assert api.calls("/timelines/tag/Zuiderloop") and api.calls("/api/v2/search")

            api.requests.clear()
            new = api.status(api.accounts["110003"], mention_html("nog steeds niks"), at(0.5), mentions=(api.brand,))
            tagged = api.status(api.accounts["110004"], "<p>#zuiderloop wachtrij</p>", at(0.6), tags=("zuiderloop",))
            clock.advance(60)
            conn = connector(api, clock)
            coord.connector = conn
            try:
                await coord.poll()
            finally:
                await conn.aclose()
            assert set(stored(store, "mastodon")) - set(rows) == {new, tagged}
            newest = max(int(n["_payload"]["id"]) for n in api.notifications[:-1])
            assert api.calls("/notifications")[0].params["since_id"] == str(newest)
            assert len(api.calls("/notifications")) == 1 and status(store)["status"] == "ok"

    asyncio.run(scenario())


def test_a_late_federated_hashtag_post_with_an_older_id_is_still_found(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            seed(api, mentions=1)
            conn = connector(api, clock, mentions=False, own_posts=False, search_queries=[])
            coord = coordinator(store, conn, clock)
            await coord.poll()
            before = set(stored(store, "mastodon"))
            # a post written 45 minutes ago on another server arrives only now: its id is older
            # than those of the hashtag posts already read, so `since_id` would skip it
            late = api.status(api.accounts["110009"], "<p>#zuiderloop wat een puinhoop</p>", at(-45),
                              tags=("zuiderloop",))
            clock.advance(60)
            await coord.poll()
            await conn.aclose()
            assert set(stored(store, "mastodon")) - before == {late}

    asyncio.run(scenario())


RESET = T0 + timedelta(minutes=5)
LIMITED = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
           "X-RateLimit-Reset": RESET.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


@pytest.mark.parametrize("fault, expect_status, expect_next, error_has", [
    (dict(status=429, body={"error": "Too many requests"}, headers=LIMITED), "rate_limited", RESET,
     "rate limited until 08:05:00"),
    (dict(status=503), "backoff", T0 + timedelta(seconds=10), "503"),
    (dict(status=502, body="<html><body>502 Bad Gateway</body></html>"), "backoff",
     T0 + timedelta(seconds=10), "502 Bad Gateway"),
    ("hang", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    (dict(status=401, body=REVOKED), "stopped", None, "access token was revoked"),
    (dict(status=403, body=SCOPE), "stopped", None, "read:notifications"),
], ids=["429-with-reset", "503", "502-html", "timeout", "revoked-token", "missing-scope"])
def test_failures_map_to_what_the_runner_does(store, fault, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            seed(api)
            if fault == "hang":
                api.hang("/notifications")
            else:
                api.fail("/notifications", **fault)
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
        async with FakeMastodon(reset=RESET) as api:
            seed(api)
            api.remaining = 2  # verify_credentials and one page, the last with remaining 0
            conn = connector(api, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == RESET
            assert store.count_messages() == 20 and len(api.requests) == 2  # the page is kept
            clock.set(RESET)
            api.remaining = None
            await coord.poll()
            await conn.aclose()
            assert store.count_messages() == 39 + 1 + 2 + 3 + 1 and status(store)["status"] == "ok"

    asyncio.run(scenario())


def test_unreadable_posts_are_quarantined_and_the_rest_is_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            ids = seed(api, mentions=5)
            bad = snowflake(at(-3), 99)
            api.status(api.accounts["110001"], "", at(-3), mentions=(api.brand,), raw={
                "id": bad, "created_at": "gisteren", "content": "<p>kapot</p>", "account": api.accounts["110001"]})
            api.status(api.accounts["110002"], "", at(-2), sid=snowflake(at(-2), 98), tags=("zuiderloop",),
                       raw={"id": snowflake(at(-2), 98), "created_at": "2026-10-04T07:58:00.000Z",
                            "content": "<p>wie ben ik</p>"})  # no account
            conn = connector(api, clock, search_queries=[])
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.WARNING):
                await coord.poll()
            await conn.aclose()
            assert set(stored(store, "mastodon")) == {ids[k] for k in ids if k not in ("old", "found")}
            assert status(store)["status"] == "ok"
            quarantined = {q["source"]: q for q in store.quarantined()}
            note = next(n["_payload"]["id"] for n in api.notifications if n["_payload"]["status"]["id"] == bad)
            assert set(quarantined) == {f"mastodon notification {note}", f"mastodon status {snowflake(at(-2), 98)}"}
            assert "gisteren" in quarantined[f"mastodon notification {note}"]["error"]
            assert "account" in quarantined[f"mastodon status {snowflake(at(-2), 98)}"]["error"]
            raw = json.loads(quarantined[f"mastodon notification {note}"]["raw"])
            assert raw["status"]["content"] == "<p>kapot</p>"
            assert f"quarantined mastodon notification {note}" in caplog.text

    asyncio.run(scenario())


@pytest.mark.parametrize("path, answer, error", [
    ("/timelines/tag/", {"error": "Record not found"},
     "mastodon /api/v1/timelines/tag/Zuiderloop: unexpected answer: expected a list, got object"),
    ("/api/v2/search", {"accounts": [], "statuses": {"id": "1"}, "hashtags": []},
     "mastodon /api/v2/search: unexpected answer: statuses: expected a list, got object"),
    ("/api/v2/search", [], "mastodon /api/v2/search: unexpected answer: expected an object, got list"),
    ("/statuses", {"statuses": []}, "/statuses: unexpected answer: expected a list, got object"),
], ids=["tag-timeline-an-object", "search-statuses-an-object", "search-a-list", "own-posts-an-object"])
def test_a_200_of_the_wrong_shape_is_retried_and_never_read_as_the_last_page(store, caplog, path, answer, error):
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            ids = seed(api)
            api.fail(path, 200, answer)  # once, then the server answers properly again
            conn = connector(api, clock)
            await refused_once_then_caught_up(store, conn, clock, caplog, error, {ids[k] for k in ids if k != "old"}, "mastodon")

    asyncio.run(scenario())


def test_a_notification_that_is_not_an_object_is_quarantined_and_its_page_stored(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            ids = seed(api, mentions=2)
            good = [n["_payload"] for n in api.notifications]
            api.fail("/notifications", 200, [*good, "kapot"])
            conn = connector(api, clock, own_posts=False, hashtags=[], search_queries=[])
            coord = coordinator(store, conn, clock)
            await coord.poll()
            await conn.aclose()
            assert set(stored(store, "mastodon")) == {ids["m0"], ids["m1"], ids["dm"]}
            assert status(store)["status"] == "ok"
            (bad,) = store.quarantined()
            assert (bad["source"], bad["error"], bad["raw"]) == (
                "mastodon notification (no id)", "TypeError: expected a notification object, got string", "kapot")

    asyncio.run(scenario())


def test_a_restart_after_a_failure_mid_walk_resumes_there_without_duplicates(tmp_path):
    async def scenario():
        clock = SimClock(T0)
        async with FakeMastodon() as api:
            seed(api)
            api.fail("/notifications", 503, after=1)  # the first page arrives, the second fails
            first = Store(tmp_path / "m.db")
            conn = connector(api, clock, own_posts=False, hashtags=[], search_queries=[])
            try:
                assert await coordinator(first, conn, clock).poll() == T0 + timedelta(seconds=10)
            finally:
                await conn.aclose()
            assert first.count_messages() == 20
            cursor = json.loads(first.get_cursor(conn.name))
            assert cursor["streams"]["mentions"]["page"]  # where the walk stopped
            first.close()

            again = Store(tmp_path / "m.db")  # a new process: fresh objects, same database
            conn = connector(api, clock, own_posts=False, hashtags=[], search_queries=[])
            api.requests.clear()
            clock.advance(10)
            try:
                await coordinator(again, conn, clock).poll()
            finally:
                await conn.aclose()
            assert "max_id" in api.calls("/notifications")[0].params  # resumed on page two
            assert again.count_messages() == 40
            assert again.conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()[0] == 40
            again.close()

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("mastodon")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.base_url, c.options.hashtags) == ("mastodon", "https://mastodon.social",
                                                                ["zuiderloop"])
    assert names == set(option_paths(MastodonConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("mastodon").options == MastodonConnector.Options(base_url="https://mastodon.social")
