"""A fake X API v2 on 127.0.0.1 for tests of `connectors.x`.

It speaks the documented shapes: `data` / `includes.users` / `meta` (`result_count`,
`newest_id`, `oldest_id`, `next_token`), `since_id` / `start_time` filters, `x-rate-limit-*`
headers, problem-JSON errors (`title`, `detail`, `type`, `status`). Tests add tweets and DM
events, script failures (`fail`, `hang`), and read `requests` to see what was asked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

USAGE_CAP = {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
             "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly",
             "scope": "Product"}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
APP_ONLY_FORBIDDEN = {
    "title": "Unsupported Authentication", "status": 403,
    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
              "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    "type": "https://api.twitter.com/2/problems/unsupported-authentication"}


@dataclass
class Fault:
    path: str  # substring of the request path it applies to
    status: int = 503
    body: Any = None  # JSON-able, or a str sent as text/html
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    hang: bool = False  # never answer (the client's timeout must fire)
    after: int = 0  # let this many matching requests through first


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    auth: str


class FakeXApi:
    def __init__(self, *, app_token: str = "app-token", user_token: str = "user-token",
                 me: dict | None = None, reset_epoch: int = 0, limit: int = 450):
        self.app_token = app_token
        self.user_token = user_token
        self.me = me or {"id": "1000", "name": "Zuiderloop", "username": "zuiderloop"}
        self.users: dict[str, dict] = {self.me["id"]: dict(self.me, public_metrics={"followers_count": 5400})}
        self.tweets: list[dict] = []  # stored with private keys: _mentions, _raw
        self.dm_events: list[dict] = []
        self.faults: list[Fault] = []
        self.requests: list[Seen] = []
        self.reset_epoch = reset_epoch
        self.limit = limit
        self.budget: int | None = None  # requests left before 429s (None: unlimited)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- data -------------------------------------------------------------------------
    def user(self, uid: str, name: str, username: str, followers: int = 10) -> str:
        self.users[uid] = {"id": uid, "name": name, "username": username,
                           "public_metrics": {"followers_count": followers}}
        return uid

    def tweet(self, tid: str, author: str, text: str, created_at: str, *, mentions: tuple[str, ...] = (),
              reply_to: str | None = None, conversation: str | None = None, raw: dict | None = None) -> None:
        """Add a post; `raw` replaces the whole payload (for malformed items)."""
        item = {"id": tid, "text": text, "author_id": author, "created_at": created_at,
                "conversation_id": conversation or tid, "lang": "nl", "edit_history_tweet_ids": [tid]}
        if reply_to:
            item["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            item["in_reply_to_user_id"] = self.me["id"]
        self.tweets.append({"_id": int(tid), "_mentions": mentions, "_payload": raw or item,
                            "_author": author, "_created": created_at, "_text": text})

    def dm(self, eid: str, sender: str, text: str, created_at: str, conversation: str) -> None:
        self.dm_events.append({"id": eid, "event_type": "MessageCreate", "text": text,
                               "sender_id": sender, "dm_conversation_id": conversation,
                               "created_at": created_at})

    def fail(self, path: str, status: int = 503, body: Any = None, headers: dict | None = None,
             times: int = 1, after: int = 0) -> None:
        self.faults.append(Fault(path, status, body, headers or {}, times, after=after))

    def hang(self, path: str, times: int = 1) -> None:
        self.faults.append(Fault(path, times=times, hang=True))

    def calls(self, fragment: str) -> list[Seen]:
        return [r for r in self.requests if fragment in r.path]

    # --- server -------------------------------------------------------------------------
    async def __aenter__(self) -> "FakeXApi":
        app = web.Application()
        app.router.add_get("/2/users/me", self._me)
        app.router.add_get("/2/users/{id}/mentions", self._mentions)
        app.router.add_get("/2/users/{id}/tweets", self._user_tweets)
        app.router.add_get("/2/tweets/search/recent", self._search)
        app.router.add_get("/2/dm_events", self._dm_events)
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

    async def _gate(self, request: web.Request, user_only: bool = False) -> web.Response | None:
        """Record the request; answer it with a fault, an auth error or a 429 if one applies."""
        auth = request.headers.get("Authorization", "")
        self.requests.append(Seen(request.path, dict(request.query), auth.split(" ", 1)[0]))
        for fault in self.faults:
            if fault.path in request.path and fault.times > 0:
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                if fault.hang:
                    await self._release.wait()
                    return web.Response(status=504)
                if isinstance(fault.body, str):
                    return web.Response(status=fault.status, text=fault.body, content_type="text/html",
                                        headers=fault.headers)
                return web.json_response(fault.body or {"title": "Service Unavailable",
                                                        "detail": "Service Unavailable",
                                                        "type": "about:blank", "status": fault.status},
                                         status=fault.status, headers=fault.headers)
        if auth.startswith("OAuth "):
            user = True  # OAuth 1.0a user context (the signature is not checked)
        elif auth == f"Bearer {self.user_token}":
            user = True
        elif auth == f"Bearer {self.app_token}":
            user = False
        else:
            return web.json_response(UNAUTHORIZED, status=401)
        if user_only and not user:
            return web.json_response(APP_ONLY_FORBIDDEN, status=403)
        if self.budget is not None:
            if self.budget <= 0:
                return web.json_response({"title": "Too Many Requests", "detail": "Too Many Requests",
                                          "type": "about:blank", "status": 429},
                                         status=429, headers=self._limits(0))
            self.budget -= 1
        return None

    def _limits(self, remaining: int | None = None) -> dict[str, str]:
        left = remaining if remaining is not None else (self.budget if self.budget is not None else self.limit - 1)
        return {"x-rate-limit-limit": str(self.limit), "x-rate-limit-remaining": str(left),
                "x-rate-limit-reset": str(self.reset_epoch)}

    async def _me(self, request: web.Request) -> web.Response:
        if (early := await self._gate(request, user_only=True)) is not None:
            return early
        return web.json_response({"data": self.me}, headers=self._limits())

    async def _mentions(self, request: web.Request) -> web.Response:
        uid = request.match_info["id"]
        return await self._timeline(request, lambda t: uid in t["_mentions"], "pagination_token")

    async def _user_tweets(self, request: web.Request) -> web.Response:
        uid = request.match_info["id"]
        return await self._timeline(request, lambda t: t["_author"] == uid, "pagination_token")

    async def _search(self, request: web.Request) -> web.Response:
        words = [w.lower() for w in request.query.get("query", "").split() if not w.startswith("-")]
        return await self._timeline(
            request, lambda t: all(w in t["_text"].lower() for w in words), "next_token")

    async def _timeline(self, request: web.Request, match, token_name: str) -> web.Response:
        if (early := await self._gate(request)) is not None:
            return early
        q = request.query
        since = int(q.get("since_id", "0"))
        start = q.get("start_time", "")
        hits = sorted((t for t in self.tweets if match(t) and t["_id"] > since
                       and (not start or t["_created"] >= start)), key=lambda t: -t["_id"])
        return self._page(hits, q, token_name, lambda t: t["_payload"],
                          lambda t: t["_author"], newest=True)

    async def _dm_events(self, request: web.Request) -> web.Response:
        if (early := await self._gate(request, user_only=True)) is not None:
            return early
        q = request.query
        kinds = q.get("event_types", "").split(",") if q.get("event_types") else None
        events = sorted((e for e in self.dm_events if not kinds or e["event_type"] in kinds),
                        key=lambda e: -int(e["id"]))
        return self._page(events, q, "pagination_token", lambda e: e, lambda e: e.get("sender_id"),
                          newest=False)

    def _page(self, items: list, q, token_name: str, payload, author_of, newest: bool) -> web.Response:
        size = int(q.get("max_results", "10"))
        token = q.get(token_name, "")
        offset = int(token[4:]) if token.startswith("tok-") and token[4:].isdigit() else 0
        if token and not token.startswith("tok-"):
            return web.json_response({"errors": [{"parameters": {token_name: [q[token_name]]},
                                                  "message": f"The `{token_name}` query parameter "
                                                             "value is not valid"}],
                                      "title": "Invalid Request", "detail": "One or more parameters "
                                      "to your request was invalid.",
                                      "type": "https://api.twitter.com/2/problems/invalid-request"},
                                     status=400)
        chunk = items[offset:offset + size]
        meta: dict[str, Any] = {"result_count": len(chunk)}
        body: dict[str, Any] = {}
        if chunk:
            body["data"] = [payload(i) for i in chunk]
            authors = {author_of(i) for i in chunk}
            users = [self.users[a] for a in sorted(authors, key=str) if a in self.users]
            if users:
                body["includes"] = {"users": users}
            if newest:
                meta["newest_id"] = str(chunk[0]["_id"])
                meta["oldest_id"] = str(chunk[-1]["_id"])
        if offset + size < len(items):
            meta["next_token"] = f"tok-{offset + size}"
        body["meta"] = meta
        return web.json_response(body, headers=self._limits())

