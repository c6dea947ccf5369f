"""The feed connector against a fake feed host on a real socket, through the real runner and store."""

import asyncio
import json
import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.feed import FeedConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths
from webcare.store import Store

from connector_kit import coordinator, status, stored
from conftest import T0
from fakes.feed_server import FakeFeeds

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


REVIEWS = "/zuiderloop/reviews.rss"


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def reviews(feeds: FakeFeeds, n: int = 20, **doc) -> list[str]:
    feeds.feed(REVIEWS, "rss", **doc)
    return [feeds.entry(REVIEWS, f"review-{i:03d}", f"{1 + i % 5} sterren: {'top' if i % 5 else 'drama'}",
                        f"<p>Review {i}: de organisatie was <b>{'goed' if i % 5 else 'slecht'}</b>.</p>",
                        at(-300 + i), author=f"Loper {i}") for i in range(n)]


def connector(feeds: FakeFeeds, clock: SimClock, path: str = REVIEWS, **overrides) -> FeedConnector:
    options = dict(url=feeds.url(path), kind="review", platform="trustpilot", timeout_seconds=0.3)
    options.update(overrides)
    return FeedConnector.create("reviews", FeedConnector.Options(**options), ConnectorContext(now=clock.now, env={}))


def test_a_paged_review_feed_is_read_whole_then_not_modified_then_only_new_entries(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeFeeds() as feeds:
            guids = reviews(feeds)
            conn = connector(feeds, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == T0 + timedelta(seconds=60)
            rows = stored(store)
            assert set(rows) == set(guids)
            assert [c.params.get("page") for c in feeds.requests] == [None, "2", "3"]  # page 3 is empty
            review = rows["review-005"]
            assert (review["platform"], review["kind"], review["public"], review["author_name"], review["url"]) == (
                "trustpilot", "review", 1, "Loper 5", "https://reviews.test/r/review-005")
            assert review["text"] == "1 sterren: drama\n\nReview 5: de organisatie was slecht."
            assert review["ts"] == at(-295).timestamp()

            feeds.requests.clear()
            clock.advance(60)
            await coord.poll()
            (asked,) = feeds.requests
            assert asked.headers["If-None-Match"].startswith('"') and "If-Modified-Since" in asked.headers
            assert store.count_messages() == 20  # 304 Not Modified: nothing to do

            fresh = [feeds.entry(REVIEWS, f"review-new{i}", "1 ster", "<p>Nooit meer!</p>", at(1 + i))
                     for i in range(2)]
            feeds.requests.clear()
            clock.advance(60)
            await coord.poll()
            await conn.aclose()
            assert set(stored(store)) - set(rows) == set(fresh)
            assert len(feeds.requests) == 1  # the first page already reached known entries
            assert stored(store)["review-new0"]["author_id"] == "anonymous:review-new0"  # no author given
            assert status(store)["status"] == "ok"

    asyncio.run(scenario())


def test_an_atom_news_feed_without_etag_skips_entries_older_than_the_backfill(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeFeeds() as feeds:
            feeds.feed("/news.atom", "atom", etag=False)
            feeds.entry("/news.atom", "tag:news.test,2026:1", "Chaos bij <b>Zuiderloop</b>",
                        "<p>Honderden lopers wachtten <em>uren</em> op hun startnummer.</p>", at(-90),
                        author="Redactie")
            feeds.entry("/news.atom", "tag:news.test,2025:0", "Zuiderloop 2025 geslaagd", "<p>Oud nieuws</p>",
                        at(-60 * 24 * 300))
            conn = connector(feeds, clock, "/news.atom", kind="mention", platform="news")
            coord = coordinator(store, conn, clock)
            await coord.poll()
            feeds.requests.clear()
            clock.advance(60)
            await coord.poll()
            await conn.aclose()
            (row,) = stored(store).values()
            assert (row["id"], row["platform"], row["kind"], row["author_name"]) == (
                "tag:news.test,2026:1", "news", "mention", "Redactie")
            assert row["url"].startswith("https://news.test/")
            assert row["text"] == "Chaos bij Zuiderloop\n\nHonderden lopers wachtten uren op hun startnummer."
            assert "If-Modified-Since" in feeds.requests[0].headers and "If-None-Match" not in feeds.requests[0].headers

    asyncio.run(scenario())


def test_an_rss_1_feed_is_read_too(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeFeeds() as feeds:
            feeds.feed("/blog.rdf", "rss1")
            feeds.entry("/blog.rdf", "https://blog.test/zuiderloop", "Mijn Zuiderloop", "<p>Nooit meer.</p>",
                        at(-30), author="Blogger")
            conn = connector(feeds, clock, "/blog.rdf", kind="mention", platform="blogs")
            await coordinator(store, conn, clock).poll()
            await conn.aclose()
            (row,) = stored(store).values()
            assert (row["id"], row["author_name"], row["text"]) == (
                "https://blog.test/zuiderloop", "Blogger", "Mijn Zuiderloop\n\nNooit meer.")

    asyncio.run(scenario())


RETRY = {"Retry-After": "120"}


@pytest.mark.parametrize("setup, expect_status, expect_next, error_has", [
    (dict(status=429, body="<html>Too Many Requests</html>", headers=RETRY), "rate_limited",
     T0 + timedelta(seconds=120), "rate limited until 10:02:00"),
    (dict(status=503), "backoff", T0 + timedelta(seconds=10), "503 Service Unavailable"),
    (dict(status=200, body="<html><body>Even geduld...</body></html>"), "backoff", T0 + timedelta(seconds=10),
     "not an RSS or Atom feed"),
    (dict(status=200, body="<rss><channel><item>"), "backoff", T0 + timedelta(seconds=10), "not a feed"),
    ("hang", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    (dict(status=401, body="<html>Token expired</html>"), "stopped", None, "HTTP 401"),
    (dict(status=410, body="<html>Gone</html>"), "stopped", None, "HTTP 410"),
], ids=["429-retry-after", "503", "html-page", "broken-xml", "timeout", "expired-feed-key", "gone"])
def test_failures_map_to_what_the_runner_does(store, setup, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeFeeds() as feeds:
            reviews(feeds)
            if setup == "hang":
                feeds.hang(REVIEWS)
            else:
                feeds.fail(REVIEWS, **setup)
            conn = connector(feeds, clock)
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


def test_unreadable_entries_are_quarantined_once_and_the_rest_is_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeFeeds() as feeds:
            guids = reviews(feeds, n=5, etag=False, last_modified=False)
            feeds.entry(REVIEWS, "bad-date", "", "", at(-1), raw="<item><title>Kapot</title><guid>review-bad</guid>"
                                                                "<pubDate>gisteren</pubDate></item>")
            feeds.entry(REVIEWS, "no-id", "", "", at(-2), raw="<item><title>Zonder id</title>"
                                                             "<description>wie ben ik</description></item>")
            conn = connector(feeds, clock)
            coord = coordinator(store, conn, clock)
            with caplog.at_level(logging.WARNING):
                await coord.poll()
                clock.advance(60)
                await coord.poll()  # no ETag: the whole feed again, the bad entries are known by now
            await conn.aclose()
            assert set(stored(store)) == set(guids) and status(store)["status"] == "ok"
            quarantined = {q["source"]: q for q in store.quarantined()}
            assert set(quarantined) == {"trustpilot review-bad", "trustpilot (no id)"}
            assert "gisteren" in quarantined["trustpilot review-bad"]["error"]
            assert "<title>Zonder id</title>" in quarantined["trustpilot (no id)"]["raw"]
            assert caplog.text.count("quarantined trustpilot review-bad") == 1

    asyncio.run(scenario())


def test_a_restart_after_a_failure_mid_walk_resumes_on_that_page_without_duplicates(tmp_path):
    async def scenario():
        clock = SimClock(T0)
        async with FakeFeeds() as feeds:
            reviews(feeds, n=25)
            feeds.fail(REVIEWS, 503, after=1)  # page one arrives, page two fails
            first = Store(tmp_path / "f.db")
            conn = connector(feeds, clock)
            try:
                assert await coordinator(first, conn, clock).poll() == T0 + timedelta(seconds=10)
            finally:
                await conn.aclose()
            assert first.count_messages() == 10
            first.close()

            again = Store(tmp_path / "f.db")
            conn = connector(feeds, clock)
            feeds.requests.clear()
            clock.advance(10)
            try:
                await coordinator(again, conn, clock).poll()
            finally:
                await conn.aclose()
            assert [c.params.get("page") for c in feeds.requests] == ["2", "3"]  # resumed on page two
            assert again.count_messages() == 25
            assert json.loads(again.get_cursor(conn.name))["walk"] is None
            again.close()

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("feed")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.kind, c.options.platform) == ("feed", "review", "trustpilot")
    assert names == set(option_paths(FeedConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("feed").options == FeedConnector.Options(url="https://example.com/reviews.rss")
