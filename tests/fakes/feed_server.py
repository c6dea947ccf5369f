"""A fake feed host on 127.0.0.1 for tests of `connectors.feed`.

It renders RSS 2.0 (with `content:encoded`, `dc:creator`), Atom 1.0 and RSS 1.0 documents from
the entries tests add, newest first, paged as RFC 5005 describes (`<link rel="next">`, also as
`atom:link` inside an RSS channel) whenever a page is full. It sends `ETag` and / or
`Last-Modified` and answers a matching `If-None-Match` / `If-Modified-Since` with 304.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from fakes.mastodon_api import ScriptedApi


@dataclass
class Doc:
    format: str  # rss, atom or rss1
    entries: list[dict] = field(default_factory=list)
    page_size: int = 10
    etag: bool = True
    last_modified: bool = True
    changed: datetime = datetime(2026, 10, 4, 7, 0, tzinfo=timezone.utc)


class FakeFeeds(ScriptedApi):
    default_error = "<html><body><h1>503 Service Unavailable</h1></body></html>"

    def __init__(self) -> None:
        super().__init__()
        self.docs: dict[str, Doc] = {}

    def feed(self, path: str, format: str = "rss", **kw) -> Doc:
        self.docs[path] = Doc(format, **kw)
        return self.docs[path]

    def entry(self, path: str, guid: str, title: str, html: str, published: datetime | str, *,
              author: str = "", raw: str | None = None) -> str:
        """Add an entry (newest first by `published`); `raw` is inserted as the entry's XML."""
        doc = self.docs[path]
        when = published if isinstance(published, datetime) else None
        doc.entries.append({"guid": guid, "title": title, "html": html, "published": published, "author": author,
                            "raw": raw, "_sort": when.timestamp() if when else 0.0})
        doc.changed = max(doc.changed, when or doc.changed)
        return guid

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    # --- server ---------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/{path:.*}", self._serve)

    async def _serve(self, request: web.Request) -> web.Response:
        doc = self.docs.get(request.path)
        if doc is None:
            return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")
        page = int(request.query.get("page", "1"))
        ordered = sorted(doc.entries, key=lambda e: e["_sort"], reverse=True)
        chunk = ordered[(page - 1) * doc.page_size:page * doc.page_size]
        following = f"{request.path}?page={page + 1}" if len(chunk) == doc.page_size else None
        body = {"rss": _rss, "atom": _atom, "rss1": _rss1}[doc.format](chunk, self.url(request.path), following)
        headers = {}
        if doc.etag:
            headers["ETag"] = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if doc.last_modified:
            headers["Last-Modified"] = format_datetime(doc.changed.astimezone(timezone.utc), usegmt=True)
        if page == 1 and _not_modified(request, headers, doc):
            return web.Response(status=304, headers=headers)
        kind = {"rss": "application/rss+xml", "atom": "application/atom+xml", "rss1": "application/rdf+xml"}
        return web.Response(body=body.encode(), headers=headers, content_type=kind[doc.format], charset="utf-8")


def _not_modified(request: web.Request, headers: dict, doc: Doc) -> bool:
    if "If-None-Match" in request.headers and "ETag" in headers:
        return request.headers["If-None-Match"] == headers["ETag"]
    since = request.headers.get("If-Modified-Since")
    if since and doc.last_modified:
        return doc.changed <= parsedate_to_datetime(since)
    return False


def _when(value: datetime | str, rfc822: bool) -> str:
    if isinstance(value, str):
        return value
    return format_datetime(value) if rfc822 else value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _rss(entries: list[dict], self_url: str, following: str | None) -> str:
    items = []
    for e in entries:
        if e["raw"] is not None:
            items.append(e["raw"])
            continue
        creator = f"<dc:creator>{escape(e['author'])}</dc:creator>" if e["author"] else ""
        items.append(f"<item><title>{escape(e['title'])}</title><link>https://reviews.test/r/{escape(e['guid'])}</link>"
                     f"<guid isPermaLink=\"false\">{escape(e['guid'])}</guid>{creator}"
                     f"<pubDate>{_when(e['published'], True)}</pubDate>"
                     f"<description>{escape(e['html'])}</description></item>")
    nxt = f'<atom:link rel="next" href={quoteattr(following)}/>' if following else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f'<channel><title>Zuiderloop reviews</title><link>https://reviews.test/zuiderloop</link>'
            f'<description>Reviews</description><atom:link rel="self" href={quoteattr(self_url)}/>{nxt}'
            + "".join(items) + "</channel></rss>")


def _atom(entries: list[dict], self_url: str, following: str | None) -> str:
    parts = []
    for e in entries:
        if e["raw"] is not None:
            parts.append(e["raw"])
            continue
        author = f"<author><name>{escape(e['author'])}</name></author>" if e["author"] else ""
        parts.append(f"<entry><id>{escape(e['guid'])}</id><title type=\"html\">{escape(e['title'])}</title>"
                     f"<link rel=\"alternate\" href=\"https://news.test/{escape(e['guid'][-8:])}\"/>"
                     f"<published>{_when(e['published'], False)}</published>"
                     f"<updated>{_when(e['published'], False)}</updated>{author}"
                     f"<content type=\"html\">{escape(e['html'])}</content></entry>")
    nxt = f'<link rel="next" href={quoteattr(following)}/>' if following else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            '<id>tag:news.test,2026:zuiderloop</id><title>Nieuws: Zuiderloop</title>'
            f'<updated>2026-10-04T07:00:00Z</updated><link rel="self" href={quoteattr(self_url)}/>{nxt}'
            + "".join(parts) + "</feed>")


def _rss1(entries: list[dict], self_url: str, following: str | None) -> str:
    items = "".join(
        f'<item rdf:about="{escape(e["guid"])}"><title>{escape(e["title"])}</title>'
        f'<link>{escape(e["guid"])}</link><description>{escape(e["html"])}</description>'
        f'<dc:date>{_when(e["published"], False)}</dc:date><dc:creator>{escape(e["author"])}</dc:creator></item>'
        for e in entries)
    return ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about={quoteattr(self_url)}><title>Blog</title><link>https://blog.test</link>'
            '<description>Blog</description></channel>' + items + '</rdf:RDF>')
