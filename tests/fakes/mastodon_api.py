"""A fake Mastodon server on 127.0.0.1 for tests of `connectors.mastodon`.

It speaks the documented REST API: Status / Account / Notification entities, newest first,
`since_id` / `max_id` / `min_id` / `limit`, a `Link` header with `rel="next"` (older) and
`rel="prev"` (newer) when a page is full, `X-RateLimit-Limit/Remaining/Reset` (an ISO time)
on every answer, and `{"error": "..."}` bodies (401 for a bad or revoked token).

`ScriptedApi` is the aiohttp plumbing the issue-6 fakes share: a free port, a record of every
request, and scripted faults (a status with a body and headers, or a request left hanging).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from aiohttp import web


@dataclass
class Fault:
    path: str  # substring of the request path it applies to
    status: int = 503
    body: Any = None  # JSON-able, a str sent as text/html, or bytes sent as they are as JSON
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    hang: bool = False  # never answer (the client's timeout must fire)
    after: int = 0  # let this many matching requests through first


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    query: str = ""  # the raw query string (repeated keys kept)


class ScriptedApi:
    """Base of the fake HTTP servers: subclasses add routes in `routes(app)`."""

    default_error: Any = {"error": "Service Unavailable"}

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.requests: list[Seen] = []
        self.base_url = ""
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def fail(self, path: str, status: int = 503, body: Any = None, headers: dict | None = None,
             times: int = 1, after: int = 0) -> None:
        self.faults.append(Fault(path, status, body, headers or {}, times, after=after))

    def hang(self, path: str, times: int = 1) -> None:
        self.faults.append(Fault(path, times=times, hang=True))

    def calls(self, fragment: str) -> list[Seen]:
        return [r for r in self.requests if fragment in r.path]

    async def __aenter__(self):
        app = web.Application(middlewares=[self._script])
        self.routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _script(self, request: web.Request, handler):
        body = await request.read()
        self.requests.append(Seen(request.method, request.path, dict(request.query),
                                  dict(request.headers), body, request.query_string))
        for fault in self.faults:
            if fault.path in request.path and fault.times > 0:
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                if fault.hang:
                    await self._release.wait()
                    return web.Response(status=504)
                body = fault.body if fault.body is not None else self.default_error
                if isinstance(body, str):
                    return web.Response(status=fault.status, text=body, content_type="text/html",
                                        headers=fault.headers)
                if isinstance(body, bytes):
                    return web.Response(status=fault.status, body=body, content_type="application/json",
                                        headers=fault.headers)
                return web.json_response(body, status=fault.status, headers=fault.headers)
        return await handler(request)


INVALID = {"error": "The access token is invalid"}
REVOKED = {"error": "The access token was revoked"}
SCOPE = {"error": "This action is outside the authorized scopes"}


def snowflake(when: datetime, seq: int = 0) -> str:
    """A Mastodon id: milliseconds since the epoch shifted 16 bits, plus a sequence."""
    return str((int(when.timestamp() * 1000) << 16) + seq)


def _t(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeMastodon(ScriptedApi):
    def __init__(self, *, token: str = "masto-token", reset: datetime | None = None, limit: int = 300):
        super().__init__()
        self.token = token
        self.revoked = False
        self.accounts: dict[str, dict] = {}
        self.statuses: list[dict] = []
        self.notifications: list[dict] = []
        self.indexable: set[str] = set()  # status ids full-text search can find
        self.reset = reset or datetime(2026, 10, 4, 8, 5, tzinfo=timezone.utc)
        self.limit = limit
        self.remaining: int | None = None  # requests left before 429s (None: plenty)
        self._seq = 0
        self._notification_id = 1000
        self.brand = self.account("109000000000000001", "zuiderloop", "Zuiderloop", followers=5400)

    # --- data -----------------------------------------------------------------------------
    def account(self, aid: str, username: str, display_name: str, *, domain: str = "",
                followers: int = 10) -> dict:
        acct = f"{username}@{domain}" if domain else username
        self.accounts[aid] = {"id": aid, "username": username, "acct": acct, "display_name": display_name,
                              "followers_count": followers, "url": f"https://{domain or 'mastodon.test'}/@{username}"}
        return self.accounts[aid]

    def status(self, account: dict, html: str, created: datetime, *, reply_to: str | None = None,
               visibility: str = "public", tags: tuple[str, ...] = (), mentions: tuple[dict, ...] = (),
               spoiler: str = "", searchable: bool = False, raw: dict | None = None, sid: str = "") -> str:
        """Add a post; each `mentions` account gets a mention notification now."""
        self._seq += 1
        sid = sid or snowflake(created, self._seq)
        item = raw or {
            "id": sid, "created_at": _t(created), "in_reply_to_id": reply_to,
            "in_reply_to_account_id": None, "sensitive": bool(spoiler), "spoiler_text": spoiler,
            "visibility": visibility, "language": "nl", "uri": f"https://mastodon.test/users/x/statuses/{sid}",
            "url": f"https://mastodon.test/@{account['username']}/{sid}", "replies_count": 0,
            "reblogs_count": 0, "favourites_count": 0, "content": html, "reblog": None,
            "account": account, "media_attachments": [], "mentions": [
                {"id": m["id"], "username": m["username"], "acct": m["acct"], "url": m["url"]} for m in mentions],
            "tags": [{"name": t, "url": f"https://mastodon.test/tags/{t}"} for t in tags], "emojis": []}
        self.statuses.append({"_id": sid, "_tags": {t.lower() for t in tags}, "_author": account["id"],
                              "_payload": item})
        if searchable:
            self.indexable.add(sid)
        for who in mentions:
            self.notify(who, "mention", account, item, created)
        return sid

    def notify(self, who: dict, kind: str, account: dict, status: dict | None, created: datetime) -> str:
        self._notification_id += 1
        nid = str(self._notification_id)
        self.notifications.append({"_for": who["id"], "_payload": {
            "id": nid, "type": kind, "created_at": _t(created), "account": account, "status": status}})
        return nid

    # --- server ---------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/accounts/verify_credentials", self._verify)
        app.router.add_get("/api/v1/notifications", self._notifications)
        app.router.add_get("/api/v1/accounts/{id}/statuses", self._account_statuses)
        app.router.add_get("/api/v1/timelines/tag/{tag}", self._tag)
        app.router.add_get("/api/v2/search", self._search)

    def _headers(self) -> dict[str, str]:
        left = self.remaining if self.remaining is not None else self.limit - len(self.requests)
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(max(left, 0)),
                "X-RateLimit-Reset": _t(self.reset)}

    def _gate(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(INVALID, status=401)
        if self.revoked:
            return web.json_response(REVOKED, status=401)
        if self.remaining is not None:
            if self.remaining <= 0:
                return web.json_response({"error": "Too many requests"}, status=429, headers=self._headers())
            self.remaining -= 1
        return None

    async def _verify(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        return web.json_response(self.brand, headers=self._headers())

    async def _notifications(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        types = request.query.getall("types[]", [])
        items = [n["_payload"] for n in self.notifications if n["_for"] == self.brand["id"]
                 and (not types or n["_payload"]["type"] in types)]
        return self._page(request, items)

    async def _account_statuses(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        aid = request.match_info["id"]
        items = [s["_payload"] for s in self.statuses if s["_author"] == aid]
        return self._page(request, items)

    async def _tag(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        tag = request.match_info["tag"].lower()
        items = [s["_payload"] for s in self.statuses if tag in s["_tags"] and
                 s["_payload"].get("visibility", "public") == "public"]
        return self._page(request, items)

    async def _search(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        q = request.query
        words = [w.lower() for w in q.get("q", "").split()]
        hits = [s["_payload"] for s in self.statuses if s["_id"] in self.indexable
                and all(w in str(s["_payload"].get("content", "")).lower() for w in words)]
        hits = _window(hits, q)
        offset = int(q.get("offset", "0"))
        chunk = hits[offset:offset + _limit(q, 40)]
        return web.json_response({"accounts": [], "statuses": chunk, "hashtags": []}, headers=self._headers())

    def _page(self, request: web.Request, items: list[dict]) -> web.Response:
        """Newest first within since_id / max_id / min_id, `Link` header when the page is full."""
        q = request.query
        size = _limit(q, 20)
        hits = _window(items, q)
        if q.get("min_id") and not q.get("since_id"):
            chunk = hits[-size:]  # the page immediately newer than min_id
        else:
            chunk = hits[:size]
        headers = self._headers()
        if chunk and len(chunk) == size:
            keep = {k: v for k, v in q.items() if k in ("limit", "exclude_reblogs")}
            types = "".join(f"&types[]={t}" for t in q.getall("types[]", []))
            base = f"{self.base_url}{request.path}"
            older = f"{base}?{urlencode({**keep, 'max_id': chunk[-1]['id']})}{types}"
            newer = f"{base}?{urlencode({**keep, 'min_id': chunk[0]['id']})}{types}"
            headers["Link"] = f'<{older}>; rel="next", <{newer}>; rel="prev"'
        return web.json_response(chunk, headers=headers)


def _id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _window(items: list[dict], q) -> list[dict]:
    """Items newest (highest id) first, within the id bounds of the query."""
    low = max(_id(q.get("since_id")), _id(q.get("min_id")))
    high = _id(q.get("max_id")) or None
    kept = [i for i in items if _id(i.get("id")) > low and (high is None or _id(i.get("id")) < high)]
    return sorted(kept, key=lambda i: _id(i.get("id")), reverse=True)


def _limit(q, default: int) -> int:
    return max(1, min(int(q.get("limit", default)), 80))
