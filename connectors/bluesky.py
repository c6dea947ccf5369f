"""Bluesky connector: mentions, replies and quotes of the brand, its own posts, and search (AT Protocol).

It logs in with an app password (`com.atproto.server.createSession`) and keeps the session in
memory only. A round reads each stream in turn, one page per poll:
- `notifications`: `app.bsky.notification.listNotifications` (reasons mention, reply, quote),
  newest first, `cursor` paging back until the notifications the last round saw;
- `own`: `app.bsky.feed.getAuthorFeed` (posts and replies): how a brand reply is seen;
- `search:<query>`: `app.bsky.feed.searchPosts?sort=latest&since=...` per configured query.
An expired access token (`ExpiredToken`) is renewed once with `refreshSession` (or a new
log-in) and the request repeated; refused again, the connector stops (AuthFailed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import aiohttp

from connectors import AuthFailed, ConnectorContext, RateLimited, TransientError
from connectors.http import (
    Harvest, JsonResponse, Pause, Rounds, Walk, expect, from_epoch, header_number, json_type,
    new_session, onward, request_json, retry_after, send_json,
)
from webcare.models import Author, Batch, Message, MessageFormatError, parse_time
from webcare.settings import api_address, at_least, env_name, positive, setting

log = logging.getLogger(__name__)

REASONS = ("mention", "reply", "quote")
OVERLAP = timedelta(minutes=5)  # re-read this far behind the last round: late indexing
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})


def _page_size(value: int) -> str | None:
    return None if 1 <= value <= 100 else f"expected 1 to 100, got {value!r}"


@dataclass(frozen=True)
class Options:
    handle: str = setting(help="the brand account's handle (zuiderloop.bsky.social) or DID")
    app_password_env: str = setting("BLUESKY_APP_PASSWORD", check=env_name,
                                    help="environment variable holding an app password of the account")
    notifications: bool = setting(True, help="read mentions, replies and quotes of the account")
    own_posts: bool = setting(True, help="read the account's own posts and replies")
    search_queries: list[str] = setting(factory=list, help="post searches for the brand (latest first)")
    base_url: str = setting("https://bsky.social", check=api_address,
                            help="the account's PDS or entryway (or a test server)")
    page_size: int = setting(50, check=_page_size, help="items per request (1-100)")
    backfill_hours: float = setting(24.0, check=at_least(0), help="how far back the first run reads")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a request after this")


class BlueskyConnector:
    type = "bluesky"
    Options = Options

    def __init__(self, name: str, options: Options, ctx: ConnectorContext):
        self.name = name
        self.options = options
        self._ctx = ctx
        self._base = options.base_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None
        self._login: dict | None = None  # accessJwt, refreshJwt, did, handle
        self._pause = Pause(name)

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "BlueskyConnector":
        return cls(name, options, ctx)

    def streams(self) -> list[str]:
        o = self.options
        keys = (["notifications"] if o.notifications else []) + (["own"] if o.own_posts else [])
        return keys + [f"search:{q}" for q in o.search_queries]

    async def poll(self, cursor: str | None) -> Batch:
        keys = self.streams()
        if not keys:
            return Batch((), cursor)
        if self._login is None:
            await self._log_in()
        rounds = Rounds(cursor, keys, self.name)
        got = Harvest()
        kind, _, query = rounds.stage.partition(":")
        walk = Walk(rounds.state, self._ctx.now(), timedelta(hours=self.options.backfill_hours), OVERLAP)
        if kind == "notifications":
            done = await self._notifications(walk, got)
        elif kind == "own":
            done = await self._own(walk, got)
        else:
            done = await self._search(query, walk, got)
        more = rounds.turn(done)
        return got.batch(rounds.dump(), more)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # --- streams --------------------------------------------------------------------------
    async def _notifications(self, walk: Walk, got: Harvest) -> bool:
        params: list[tuple[str, Any]] = [("limit", self.options.page_size)]
        params += [("reasons", r) for r in REASONS]
        return await self._walk_back("app.bsky.notification.listNotifications", params, "notifications",
                                     walk, got, self._read_notification)

    async def _own(self, walk: Walk, got: Harvest) -> bool:
        params: list[tuple[str, Any]] = [("actor", self._login["did"]), ("limit", self.options.page_size),
                                         ("filter", "posts_with_replies")]
        return await self._walk_back("app.bsky.feed.getAuthorFeed", params, "feed", walk, got, self._read_feed_item)

    async def _search(self, query: str, walk: Walk, got: Harvest) -> bool:
        params: list[tuple[str, Any]] = [("q", query), ("sort", "latest"), ("limit", self.options.page_size),
                                         ("since", _utc_millis(walk.floor))]
        return await self._walk_back("app.bsky.feed.searchPosts", params, "posts", walk, got, self._read_post)

    async def _walk_back(self, method: str, params: list[tuple[str, Any]], key: str, walk: Walk, got: Harvest,
                         read: Callable[[Any, Harvest], tuple[Message, datetime] | None]) -> bool:
        """One page of a newest-first list; the walk ends at an item indexed before its floor."""
        if walk.page:
            params.append(("cursor", walk.page))
        body = await self._xrpc(method, params)
        where = f"bluesky /xrpc/{method}"
        items = expect(body.get(key), list, where, key)
        next_page = expect(body.get("cursor"), str, where, "cursor", missing=None)  # absent on the last page
        reached = False
        for item in items:
            found = read(item, got)
            if found is None:
                continue
            if not walk.saw(found[1]):
                reached = True
                continue
            got.messages.append(found[0])
        return walk.turn(onward(walk.state, next_page if items and not reached else None, where))

    def _read_notification(self, item: Any, got: Harvest) -> tuple[Message, datetime] | None:
        if not isinstance(item, dict):  # quarantined by `_post`, never skipped unseen
            return got.parse("bluesky notification (no uri)", item, self._post)
        if item.get("reason") not in REASONS:
            return None  # likes, reposts, follows (from a server that ignores `reasons`)
        return got.parse(f"bluesky {item.get('reason')} {_uri_of(item)}", item, self._post)

    def _read_feed_item(self, item: Any, got: Harvest) -> tuple[Message, datetime] | None:
        if not isinstance(item, dict):  # quarantined by `_post`, never skipped unseen
            return got.parse("bluesky feed item (no uri)", item, self._post)
        if item.get("reason") is not None:
            return None  # a repost or a pinned post: not written now
        return got.parse(f"bluesky post {_uri_of(item.get('post'))}", item.get("post"), self._post)

    def _read_post(self, item: Any, got: Harvest) -> tuple[Message, datetime] | None:
        return got.parse(f"bluesky post {_uri_of(item)}", item, self._post)

    # --- payload -> Message ---------------------------------------------------------------
    def _post(self, item: Any) -> tuple[Message, datetime]:
        """A notification or a post view (both carry uri, author, record) and when it was indexed."""
        if not isinstance(item, dict):
            raise TypeError(f"expected an object, got {json_type(item)}")
        uri = item["uri"]
        if not isinstance(uri, str) or "/app.bsky.feed.post/" not in uri:
            raise MessageFormatError("uri", f"expected the at:// uri of a post, got {uri!r}")
        author = item["author"]
        if not isinstance(author, dict) or not isinstance(author.get("did"), str):
            raise MessageFormatError("author", "expected an object with a did")
        record = item["record"]
        if not isinstance(record, dict):
            raise TypeError("record: expected an object")
        text = record.get("text", "")
        if not isinstance(text, str):
            raise TypeError("record.text: expected a string")
        created = parse_time(record.get("createdAt"), "record.createdAt")
        indexed = parse_time(item.get("indexedAt"), "indexedAt") if item.get("indexedAt") else created
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
        parent = _ref_uri(reply.get("parent"))
        root = _ref_uri(reply.get("root"))
        handle = author.get("handle") if isinstance(author.get("handle"), str) else ""
        brand = author["did"] == self._login["did"]
        langs = record.get("langs")
        lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
        return Message(
            platform="bluesky", id=uri, kind=("comment" if parent else "post") if brand else "mention",
            public=True, author=Author(author["did"], _text(author.get("displayName")) or handle),
            text=text, created_at=created, conversation_id=root or uri,
            in_reply_to=parent, from_brand=brand,
            url=f"https://bsky.app/profile/{handle or author['did']}/post/{uri.rsplit('/', 1)[1]}",
            lang=lang, extra={"handle": handle} if handle else {}), indexed

    # --- session and requests -------------------------------------------------------------
    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = new_session(self.options.timeout_seconds)
        return self._http

    async def _log_in(self) -> None:
        password = self._ctx.secret(self.options.app_password_env, f"{self.name}: app password")
        what = f"{self.name} createSession"
        resp = await send_json(self._client(), "POST", f"{self._base}/xrpc/com.atproto.server.createSession",
                               what=what, json_body={"identifier": self.options.handle, "password": password})
        self._login = self._session_from(resp, what, "the handle or app password was refused")

    async def _refresh(self) -> None:
        """A fresh access token from the refresh token; a new log-in if that has expired too."""
        what = f"{self.name} refreshSession"
        resp = await send_json(self._client(), "POST", f"{self._base}/xrpc/com.atproto.server.refreshSession",
                               what=what, headers={"Authorization": f"Bearer {self._login['refreshJwt']}"})
        if resp.status in (400, 401) and _error_name(resp.data) in TOKEN_ERRORS:
            log.info("%s: the refresh token has expired too; logging in again", self.name)
            self._login = None
            await self._log_in()
            return
        self._login = self._session_from(resp, what, "the session could not be renewed")

    def _session_from(self, resp: JsonResponse, what: str, refused: str) -> dict:
        self._check(resp, what)
        if resp.status in (400, 401, 403):
            raise AuthFailed(f"{what}: {refused}: {_describe(resp.data, resp.status)}")
        if not resp.ok:
            raise TransientError(f"{what}: {_describe(resp.data, resp.status)}")
        body = resp.data if isinstance(resp.data, dict) else {}
        if not all(isinstance(body.get(k), str) for k in ("accessJwt", "refreshJwt", "did")):
            raise TransientError(f"{what}: the answer holds no session tokens")
        return body

    async def _xrpc(self, method: str, params: list[tuple[str, Any]]) -> dict:
        """GET one XRPC query; renew an expired session once and ask again."""
        for attempt in (1, 2):
            resp = await self._get(method, params)
            if resp.status in (400, 401) and _error_name(resp.data) in TOKEN_ERRORS:
                if attempt == 1:
                    await self._refresh()
                    continue
                raise AuthFailed(f"{self.name} {method}: the renewed session was refused too "
                                 f"({_describe(resp.data, resp.status)})")
            return self._body(resp, method)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get(self, method: str, params: list[tuple[str, Any]]) -> JsonResponse:
        self._pause.check(self._ctx.now())
        headers = {"Authorization": f"Bearer {self._login['accessJwt']}"}
        return await request_json(self._client(), "GET", f"{self._base}/xrpc/{method}", params=params,
                                  headers=headers, what=f"{self.name} {method}")

    def _body(self, resp: JsonResponse, method: str) -> dict:
        what = f"{self.name} {method}"
        self._check(resp, what)
        if resp.status in (401, 403):
            raise AuthFailed(f"{what}: {_describe(resp.data, resp.status)}")
        if not resp.ok:
            raise TransientError(f"{what}: {_describe(resp.data, resp.status)}")
        return expect(resp.data, dict, f"bluesky /xrpc/{method}")

    def _check(self, resp: JsonResponse, what: str) -> None:
        """Rate limits: a 429 pauses until `ratelimit-reset`; a spent budget pauses the next request."""
        now = self._ctx.now()
        reset = from_epoch(resp.headers.get("ratelimit-reset")) or retry_after(resp.headers, now)
        if resp.status == 429:
            when = f" until {reset:%H:%M:%S} UTC" if reset else ""
            raise RateLimited(f"{what}: rate limited (HTTP 429{when})", reset_at=reset)
        self._pause.note(header_number(resp.headers, "ratelimit-remaining"), reset)


def _utc_millis(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ref_uri(ref: Any) -> str | None:
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return uri if isinstance(uri, str) and uri else None


def _uri_of(item: Any) -> str:
    uri = item.get("uri") if isinstance(item, dict) else None
    return uri if isinstance(uri, str) and uri else "(no uri)"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _error_name(body: Any) -> str:
    return str(body.get("error") or "") if isinstance(body, dict) else ""


def _describe(body: Any, status: int) -> str:
    if isinstance(body, dict) and (body.get("error") or body.get("message")):
        return f"HTTP {status} {body.get('error', '')}: {body.get('message', '')}".rstrip(": ")
    return f"HTTP {status}"
