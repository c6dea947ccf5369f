"""A fake Reddit on 127.0.0.1 for tests of `connectors.reddit`.

It serves the documented shapes: the script-app token endpoint (`POST /api/v1/access_token`,
HTTP Basic client credentials, `grant_type=password`; a wrong password answers 200 with
`{"error": "invalid_grant"}`), and Listings `{"kind": "Listing", "data": {"after", "before",
"dist", "children": [{"kind": "t1"|"t3"|"t4", "data": {...}}]}}` newest first, paged with
`after=<fullname>`, on /message/inbox, /message/sent, /user/<name>/comments, /search and
/r/<sub>/new. Every answer carries `X-Ratelimit-Used/Remaining/Reset` (reset in seconds).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from fakes.mastodon_api import ScriptedApi

UNAUTHORIZED = {"message": "Unauthorized", "error": 401}


class FakeReddit(ScriptedApi):
    default_error = {"message": "Service Unavailable", "error": 503}

    def __init__(self, *, username: str = "Zuiderloop", password: str = "hunter2",
                 client_id: str = "cid-123", secret: str = "sec-456", reset_seconds: int = 300):
        super().__init__()
        self.username = username
        self.password = password
        self.client_id = client_id
        self.secret = secret
        self.reset_seconds = reset_seconds
        self.remaining: float | None = None
        self.tokens: set[str] = set()
        self.issued = 0
        self.token_lifetime = 86400
        self.things: list[dict] = []  # comments and posts: {"kind", "data"}
        self.inbox: list[dict] = []
        self.sent: list[dict] = []
        self._n = 0

    # --- data -----------------------------------------------------------------------------
    def _id(self) -> str:
        self._n += 1
        return f"k{self._n:05d}"

    def post(self, author: str, title: str, selftext: str, created: datetime, *, subreddit: str = "zuiderloop",
             raw: dict | None = None) -> str:
        pid = self._id()
        data = raw or {"id": pid, "name": f"t3_{pid}", "author": author, "title": title, "selftext": selftext,
                       "created_utc": created.timestamp(), "subreddit": subreddit, "num_comments": 0,
                       "permalink": f"/r/{subreddit}/comments/{pid}/{title.lower().replace(' ', '_')[:20]}/",
                       "url": f"https://www.reddit.com/r/{subreddit}/comments/{pid}/", "is_self": True}
        self.things.append({"kind": "t3", "data": data})
        return data.get("name", f"t3_{pid}")

    def comment(self, author: str, body: str, created: datetime, post: str, *, parent: str | None = None,
                inbox: str | None = None, subreddit: str = "zuiderloop", raw: dict | None = None) -> str:
        """A comment; `inbox` ("comment_reply", "post_reply", "username_mention") puts it in the brand's inbox."""
        cid = self._id()
        pid = post.removeprefix("t3_")
        permalink = f"/r/{subreddit}/comments/{pid}/slug/{cid}/"
        data = raw or {"id": cid, "name": f"t1_{cid}", "author": author, "body": body,
                       "created_utc": created.timestamp(), "parent_id": parent or post, "link_id": post,
                       "subreddit": subreddit, "permalink": permalink}
        self.things.append({"kind": "t1", "data": data})
        if inbox:
            subject = inbox.replace("_", " ")
            entry = {k: v for k, v in data.items() if k not in ("link_id", "permalink")}
            if raw is None:
                entry.update(type=inbox, subject=subject, was_comment=True, new=True,
                             context=f"{permalink}?context=3", link_title="Zuiderloop 2026", dest=self.username)
            self.inbox.append({"kind": "t1", "data": entry})
        return data.get("name", f"t1_{cid}")

    def message(self, author: str, dest: str, subject: str, body: str, created: datetime, *,
                first: str | None = None, parent: str | None = None) -> str:
        mid = self._id()
        data = {"id": mid, "name": f"t4_{mid}", "author": author, "dest": dest, "subject": subject, "body": body,
                "created_utc": created.timestamp(), "first_message_name": first, "parent_id": parent,
                "was_comment": False, "new": True, "replies": ""}
        thing = {"kind": "t4", "data": data}
        (self.sent if author == self.username else self.inbox).append(thing)
        return data["name"]

    # --- server ---------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/access_token", self._access_token)
        app.router.add_get("/message/inbox", self._inbox)
        app.router.add_get("/message/sent", self._sent)
        app.router.add_get("/user/{name}/comments", self._user_comments)
        app.router.add_get("/search", self._search)
        app.router.add_get("/r/{sub}/new", self._subreddit_new)

    def _headers(self) -> dict[str, str]:
        left = self.remaining if self.remaining is not None else 599.0
        return {"X-Ratelimit-Used": str(int(600 - left)), "X-Ratelimit-Remaining": f"{max(left, 0):.1f}",
                "X-Ratelimit-Reset": str(self.reset_seconds)}

    async def _access_token(self, request: web.Request) -> web.Response:
        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        try:
            client = base64.b64decode(basic).decode()
        except ValueError:
            client = ""
        if client != f"{self.client_id}:{self.secret}":
            return web.json_response(UNAUTHORIZED, status=401)
        form = {k: v[0] for k, v in parse_qs((await request.read()).decode()).items()}
        if form.get("grant_type") != "password" or form.get("username") != self.username \
                or form.get("password") != self.password:
            return web.json_response({"error": "invalid_grant"})
        self.issued += 1
        token = f"token-{self.issued}"
        self.tokens.add(token)
        return web.json_response({"access_token": token, "token_type": "bearer",
                                  "expires_in": self.token_lifetime, "scope": "*"})

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def _gate(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization", "").removeprefix("bearer ") not in self.tokens:
            return web.json_response(UNAUTHORIZED, status=401,
                                     headers={"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})
        if not request.headers.get("User-Agent", "").strip():
            return web.json_response({"message": "Too Many Requests", "error": 429}, status=429)
        if self.remaining is not None:
            if self.remaining < 1:
                return web.json_response({"message": "Too Many Requests", "error": 429}, status=429,
                                         headers=self._headers())
            self.remaining -= 1
        return None

    async def _inbox(self, request: web.Request) -> web.Response:
        return await self._listing(request, self.inbox)

    async def _sent(self, request: web.Request) -> web.Response:
        return await self._listing(request, self.sent)

    async def _user_comments(self, request: web.Request) -> web.Response:
        name = request.match_info["name"].lower()
        items = [t for t in self.things if t["kind"] == "t1" and str(t["data"].get("author", "")).lower() == name]
        return await self._listing(request, items)

    async def _search(self, request: web.Request) -> web.Response:
        words = request.query.get("q", "").lower().split()
        items = [t for t in self.things if t["kind"] == "t3" and all(
            w in f"{t['data'].get('title', '')} {t['data'].get('selftext', '')}".lower() for w in words)]
        return await self._listing(request, items)

    async def _subreddit_new(self, request: web.Request) -> web.Response:
        sub = request.match_info["sub"].lower()
        items = [t for t in self.things if t["kind"] == "t3" and str(t["data"].get("subreddit", "")).lower() == sub]
        return await self._listing(request, items)

    async def _listing(self, request: web.Request, items: list[dict]) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        q = request.query
        ordered = sorted(items, key=lambda t: _created(t), reverse=True)
        if q.get("after"):
            names = [t["data"].get("name") for t in ordered]
            ordered = ordered[names.index(q["after"]) + 1:] if q["after"] in names else []
        size = int(q.get("limit", "25"))
        page = ordered[:size]
        data: dict[str, Any] = {"after": page[-1]["data"].get("name") if len(page) == size else None,
                                "before": None, "dist": len(page), "modhash": "", "geo_filter": "",
                                "children": page}
        return web.json_response({"kind": "Listing", "data": data}, headers=self._headers())


def _created(thing: dict) -> float:
    value = thing["data"].get("created_utc")
    return float(value) if isinstance(value, (int, float)) else 0.0
