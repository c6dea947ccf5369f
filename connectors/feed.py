"""Feed connector: RSS 2.0, RSS 1.0 and Atom feeds of review sites, news searches and blogs.

Each poll asks for the feed with `If-None-Match` / `If-Modified-Since` from the last answer; a
`304 Not Modified` is an empty batch. Entries are stored as `kind = "review"` or `"mention"`
(option `kind`), public, with the entry's guid / id as message id. The cursor remembers the
ids the last fetch held, so an entry is handed over once even from feeds without ETags. Paged
feeds (RFC 5005, `<link rel="next">`) are followed while a page still holds unseen entries.
The first run skips entries older than `backfill_hours`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr, parsedate_to_datetime
from typing import Literal
from urllib.parse import urljoin, urlsplit

import aiohttp

from connectors import AuthFailed, ConnectorContext, RateLimited, TransientError
from connectors.http import Harvest, html_to_text, iso, new_session, request_raw, retry_after
from webcare.models import Author, Batch, Message, MessageFormatError, parse_time
from webcare.settings import at_least, positive, setting

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
ACCEPT = "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, */*;q=0.1"


def _address(value: str) -> str | None:
    return None if value.startswith(("https://", "http://")) else f"expected an http(s) address, got {value!r}"


@dataclass(frozen=True)
class Options:
    url: str = setting(check=_address, help="the feed's address (RSS or Atom)")
    kind: Literal["review", "mention"] = setting("mention", help="store entries as reviews or as mentions")
    platform: str = setting("feed", help="platform name stored with the entries, e.g. trustpilot or news")
    max_pages: int = setting(5, check=at_least(1), help="follow rel=next pages of a paged feed this far")
    backfill_hours: float = setting(24.0, check=at_least(0), help="the first run skips older entries")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a request after this")


@dataclass(frozen=True)
class Entry:
    """One feed entry as read from the XML, before it becomes a Message."""

    key: str  # guid / id / link, or a digest of the entry when it has none
    has_id: bool
    title: str
    body: str
    body_is_html: bool
    published: str | None
    author: str
    link: str | None
    raw: str
    problem: str = ""  # why the entry cannot be read (it is quarantined)


class FeedConnector:
    type = "feed"
    Options = Options

    def __init__(self, name: str, options: Options, ctx: ConnectorContext):
        self.name = name
        self.options = options
        self._ctx = ctx
        self._http: aiohttp.ClientSession | None = None

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "FeedConnector":
        return cls(name, options, ctx)

    async def poll(self, cursor: str | None) -> Batch:
        now = self._ctx.now()
        state = self._load(cursor, now)
        walk = state.get("walk")
        url, headers = (walk["next"], {}) if walk else (self.options.url, self._conditional(state))
        if self._http is None or self._http.closed:
            self._http = new_session(self.options.timeout_seconds, headers={"Accept": ACCEPT})
        what = f"{self.name} GET {url}"
        resp = await request_raw(self._http, "GET", url, what=what, headers=headers)
        if resp.status == 304:
            return Batch((), json.dumps(state, sort_keys=True))
        if walk and resp.status in (404, 410):  # a page link that went stale: the walk ends here
            log.warning("%s: %s answered HTTP %s; not following that feed's pages further", self.name, url, resp.status)
            state.update(walk=None, seen=list(dict.fromkeys(walk["seen"])))
            return Batch((), json.dumps(state, sort_keys=True))
        if resp.status == 429:
            reset = retry_after(resp.headers, now)
            raise RateLimited(f"{what}: rate limited (HTTP 429)", reset_at=reset)
        if resp.status in (401, 403, 410):
            raise AuthFailed(f"{what}: HTTP {resp.status}: the feed is not (or no longer) readable")
        if not resp.ok:
            raise TransientError(f"{what}: HTTP {resp.status}")
        entries, next_page = parse_feed(resp.body, what)
        if not walk:
            state["etag"] = resp.headers.get("ETag")
            state["modified"] = resp.headers.get("Last-Modified")
        known = set(state["seen"])
        seen = list(walk["seen"]) if walk else []
        start = parse_time(state["start"])
        got = Harvest()
        reached = fresh = False
        for entry in entries:
            seen.append(entry.key)
            if entry.key in known:
                reached = True  # this page reaches what the last fetch held
                continue
            message = got.parse(f"{self.options.platform} {entry.key if entry.has_id else '(no id)'}",
                                entry.raw, lambda _, e=entry: self._message(e, now))
            if message is not None and message.created_at >= start:
                fresh = True
                got.messages.append(message)
        pages = (walk["pages"] if walk else 0) + 1
        if next_page and fresh and not reached and pages < self.options.max_pages:
            state["walk"] = {"next": urljoin(url, next_page), "seen": seen, "pages": pages}
            return got.batch(json.dumps(state, sort_keys=True), True)
        state["walk"] = None
        state["seen"] = list(dict.fromkeys(seen))
        return got.batch(json.dumps(state, sort_keys=True))

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _load(self, cursor: str | None, now: datetime) -> dict:
        state = None
        if cursor:
            try:
                state = json.loads(cursor)
            except json.JSONDecodeError:
                log.warning("%s: unreadable cursor, starting afresh", self.name)
        if not isinstance(state, dict) or state.get("v") != 1:
            state = {"v": 1, "start": iso(now - timedelta(hours=self.options.backfill_hours)), "seen": [],
                     "walk": None}
        return state

    @staticmethod
    def _conditional(state: dict) -> dict[str, str]:
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        return headers

    def _message(self, entry: Entry, now: datetime) -> Message:
        if entry.problem:
            raise MessageFormatError("entry", entry.problem)
        if not entry.has_id:
            raise MessageFormatError("id", "the entry has no guid, id or link")
        created = entry_time(entry.published) if entry.published else now
        body = html_to_text(entry.body) if entry.body_is_html else entry.body.strip()
        title = html_to_text(entry.title)
        text = f"{title}\n\n{body}".strip() if body and body != title else title
        author = entry.author.strip()
        return Message(
            platform=self.options.platform, id=entry.key, kind=self.options.kind, public=True,
            author=Author(author or f"anonymous:{entry.key}", author), text=text, created_at=created,
            url=entry.link, extra={"feed": urlsplit(self.options.url).netloc})


def entry_time(value: str) -> datetime:
    """RSS dates are RFC 822 (`Sun, 04 Oct 2026 07:30:00 +0200`), Atom and Dublin Core ISO 8601."""
    text = value.strip()
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return parse_time(text, "published")
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_feed(body: bytes, what: str) -> tuple[list[Entry], str | None]:
    """The entries of an RSS 2.0, RSS 1.0 or Atom document and its `rel="next"` link."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise TransientError(f"{what}: the answer is not a feed ({exc})") from None
    if root.tag == f"{ATOM}feed":
        entries = [_each(_atom_entry, e) for e in root.findall(f"{ATOM}entry")]
        return entries, _next_link(root)
    if root.tag == "rss" and root.find("channel") is not None:
        channel = root.find("channel")
        return [_each(_rss_entry, i) for i in channel.findall("item")], _next_link(channel)
    if root.tag == f"{RDF}RDF":
        return [_each(_rss1_entry, i) for i in root.findall(f"{RSS1}item")], None
    raise TransientError(f"{what}: the answer is not an RSS or Atom feed (root element {root.tag!r})")


def _each(build, element: ET.Element) -> Entry:
    """`build(element)`, or an entry to quarantine when it is nested too deeply to write out.

    expat parses any depth, but ElementTree serializes recursively (the entry's raw XML):
    RecursionError failed every poll, and no entry of the feed was stored while it was in it.
    """
    try:
        return build(element)
    except RecursionError:
        text = "".join(element.itertext())  # iterative, unlike tostring
        key = next((k for k in (_text(element, "guid"), _text(element, f"{ATOM}id"), _text(element, "link"),
                                element.get(f"{RDF}about", "").strip()) if k), "")
        return Entry(key or "sha256-" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32],
                     bool(key), "", "", False, None, "", None, text[:100_000],
                     problem="the entry's XML is nested too deeply to read")


def _rss_entry(item: ET.Element) -> Entry:
    guid, link = _text(item, "guid"), _text(item, "link")
    content = _text(item, f"{CONTENT}encoded") or _text(item, "description")
    author = _text(item, f"{DC}creator") or _person(_text(item, "author"))
    published = _text(item, "pubDate") or _text(item, f"{DC}date") or None
    return _entry(item, guid or link, _text(item, "title"), content, True, published, author, link or None)


def _rss1_entry(item: ET.Element) -> Entry:
    link = _text(item, f"{RSS1}link")
    return _entry(item, item.get(f"{RDF}about") or link, _text(item, f"{RSS1}title"),
                  _text(item, f"{RSS1}description"), True, _text(item, f"{DC}date") or None,
                  _text(item, f"{DC}creator"), link or None)


def _atom_entry(entry: ET.Element) -> Entry:
    content = entry.find(f"{ATOM}content")
    if content is None or not "".join(content.itertext()).strip():
        content = entry.find(f"{ATOM}summary")
    body, is_html = "", False
    if content is not None:
        kind = content.get("type", "text")
        if kind == "xhtml":
            body, is_html = "".join(ET.tostring(c, encoding="unicode") for c in content), True
        else:
            body, is_html = content.text or "", kind == "html"
    link = next((a.get("href") for a in entry.findall(f"{ATOM}link") if a.get("rel", "alternate") == "alternate"),
                None)
    published = _text(entry, f"{ATOM}published") or _text(entry, f"{ATOM}updated") or None
    author = _text(entry, f"{ATOM}author/{ATOM}name") or _text(entry, f"{ATOM}author/{ATOM}email")
    return _entry(entry, _text(entry, f"{ATOM}id") or link or "", _text(entry, f"{ATOM}title"), body, is_html,
                  published, author, link)


def _entry(element: ET.Element, key: str, title: str, body: str, is_html: bool, published: str | None,
           author: str, link: str | None) -> Entry:
    raw = ET.tostring(element, encoding="unicode")
    key = key.strip()
    has_id = bool(key)
    if not has_id:
        key = "sha256-" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    return Entry(key, has_id, title, body, is_html, published, author, link, raw)


def _next_link(parent: ET.Element) -> str | None:
    for link in parent.findall(f"{ATOM}link"):
        if link.get("rel") == "next" and link.get("href"):
            return link.get("href")
    return None


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _person(value: str) -> str:
    """RSS `author` is `mail@example.com (Name)`: the name if there is one."""
    name, address = parseaddr(value)
    return name or address or value
