"""A fake Bluesky PDS on 127.0.0.1 for tests of `connectors.bluesky`.

It speaks XRPC over HTTP as documented: `com.atproto.server.createSession` /
`refreshSession` (JSON in, `accessJwt` / `refreshJwt` / `did` / `handle` out),
`app.bsky.notification.listNotifications` (`reasons`, `cursor`, newest first),
`app.bsky.feed.getAuthorFeed` (`filter=posts_with_replies`) and `app.bsky.feed.searchPosts`
(`sort=latest`, `since`). Errors are `{"error": "ExpiredToken", "message": ...}`; every answer
carries `ratelimit-limit/remaining/reset/policy` headers (reset in Unix seconds).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from fakes.mastodon_api import ScriptedApi

EXPIRED = {"error": "ExpiredToken", "message": "Token has expired"}
BAD_LOGIN = {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}


def _t(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeBluesky(ScriptedApi):
    default_error = {"error": "InternalServerError", "message": "Internal Server Error"}

    def __init__(self, *, handle: str = "zuiderloop.bsky.social", password: str = "app-pass-1234",
                 reset_epoch: int = 0):
        super().__init__()
        self.password = password
        self.brand = self.profile("did:plc:brand000000000000000000", handle, "Zuiderloop")
        self.posts: list[dict] = []
        self.notifications: list[dict] = []
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.logins = 0
        self.refreshes = 0
        self.refresh_works = True  # False: the refresh token has expired too
        self.renewal_helps = True  # False: even fresh tokens are refused (a broken account)
        self.reset_epoch = reset_epoch
        self.remaining: int | None = None
        self._rkey = 0

    # --- data -----------------------------------------------------------------------------
    @staticmethod
    def profile(did: str, handle: str, display_name: str) -> dict:
        return {"did": did, "handle": handle, "displayName": display_name,
                "avatar": f"https://cdn.bsky.test/{did}.jpg", "labels": []}

    def post(self, author: dict, text: str, created: datetime, *, indexed: datetime | None = None,
             reply_to: str | None = None, mention_brand: bool = False, quote: str | None = None,
             raw_record: dict | None = None) -> str:
        """Add a post and the notifications the brand gets for it (mention, reply or quote)."""
        self._rkey += 1
        uri = f"at://{author['did']}/app.bsky.feed.post/3k{self._rkey:011d}"
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": _t(created),
                                  "langs": ["nl"]}
        if reply_to:
            parent = self._find(reply_to)
            root = parent["record"].get("reply", {}).get("root") or {"uri": parent["uri"], "cid": parent["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        if mention_brand:
            start = text.find("@")
            record["facets"] = [{"index": {"byteStart": start, "byteEnd": start + 23},
                                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": self.brand["did"]}]}]
        if quote:
            target = self._find(quote)
            record["embed"] = {"$type": "app.bsky.embed.record", "record": {"uri": target["uri"], "cid": target["cid"]}}
        view = {"uri": uri, "cid": f"bafyrei{self._rkey:08d}", "author": author, "record": raw_record or record,
                "replyCount": 0, "repostCount": 0, "likeCount": 0, "indexedAt": _t(indexed or created), "labels": []}
        self.posts.append(view)
        if author["did"] != self.brand["did"]:
            parent_author = self._find(reply_to)["author"]["did"] if reply_to else None
            quoted_author = self._find(quote)["author"]["did"] if quote else None
            if parent_author == self.brand["did"]:
                self._notify(view, "reply", reply_to)
            elif quoted_author == self.brand["did"]:
                self._notify(view, "quote", quote)
            elif mention_brand:
                self._notify(view, "mention", None)
        return uri

    def like(self, author: dict, uri: str, when: datetime) -> None:
        self.notifications.append({
            "uri": f"at://{author['did']}/app.bsky.feed.like/3l{len(self.notifications):011d}", "cid": "bafylike",
            "author": author, "reason": "like", "reasonSubject": uri, "isRead": False, "indexedAt": _t(when),
            "labels": [], "record": {"$type": "app.bsky.feed.like", "subject": {"uri": uri}, "createdAt": _t(when)}})

    def expire_tokens(self) -> None:
        """Every access token issued so far expires (as after two hours)."""
        self.access.clear()

    def _notify(self, view: dict, reason: str, subject: str | None) -> None:
        note = {k: view[k] for k in ("uri", "cid", "author", "record", "indexedAt", "labels")}
        note.update(reason=reason, isRead=False)
        if subject:
            note["reasonSubject"] = subject
        self.notifications.append(note)

    def _find(self, uri: str) -> dict:
        return next(p for p in self.posts if p["uri"] == uri)

    # --- server ---------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_post("/xrpc/com.atproto.server.createSession", self._create_session)
        app.router.add_post("/xrpc/com.atproto.server.refreshSession", self._refresh_session)
        app.router.add_get("/xrpc/app.bsky.notification.listNotifications", self._list_notifications)
        app.router.add_get("/xrpc/app.bsky.feed.getAuthorFeed", self._author_feed)
        app.router.add_get("/xrpc/app.bsky.feed.searchPosts", self._search)

    def _headers(self) -> dict[str, str]:
        left = self.remaining if self.remaining is not None else 2999
        return {"ratelimit-limit": "3000", "ratelimit-remaining": str(max(left, 0)),
                "ratelimit-reset": str(self.reset_epoch), "ratelimit-policy": "3000;w=300"}

    def _issue(self) -> dict:
        n = self.logins + self.refreshes
        access, refresh = f"acc-{n}", f"ref-{n}"
        if self.renewal_helps or n == 1:
            self.access.add(access)
        self.refresh.add(refresh)
        return {"did": self.brand["did"], "handle": self.brand["handle"], "accessJwt": access,
                "refreshJwt": refresh, "active": True}

    async def _create_session(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        known = body.get("identifier") in (self.brand["handle"], self.brand["did"])
        if not known or body.get("password") != self.password:
            return web.json_response(BAD_LOGIN, status=401)
        self.logins += 1
        return web.json_response(self._issue(), headers=self._headers())

    async def _refresh_session(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.refresh or not self.refresh_works:
            return web.json_response(EXPIRED, status=400)
        self.refresh.discard(token)  # refresh tokens are single-use
        self.refreshes += 1
        return web.json_response(self._issue(), headers=self._headers())

    def _gate(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.access:
            return web.json_response(EXPIRED, status=400)
        if self.remaining is not None:
            if self.remaining <= 0:
                return web.json_response({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                                         status=429, headers=self._headers())
            self.remaining -= 1
        return None

    async def _list_notifications(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        q = request.query
        reasons = q.getall("reasons", [])
        items = [n for n in self.notifications if not reasons or n["reason"] in reasons]
        page, cursor = _by_time(items, q)
        body: dict[str, Any] = {"notifications": page, "priority": False, "seenAt": _t(datetime.now(timezone.utc))}
        if cursor:
            body["cursor"] = cursor
        return web.json_response(body, headers=self._headers())

    async def _author_feed(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        q = request.query
        actor = q.get("actor")
        items = [p for p in self.posts if p["author"]["did"] == actor or p["author"]["handle"] == actor]
        if q.get("filter") == "posts_no_replies":
            items = [p for p in items if "reply" not in p["record"]]
        page, cursor = _by_time(items, q)
        body: dict[str, Any] = {"feed": [{"post": p} for p in page]}
        if cursor:
            body["cursor"] = cursor
        return web.json_response(body, headers=self._headers())

    async def _search(self, request: web.Request) -> web.Response:
        if (early := self._gate(request)) is not None:
            return early
        q = request.query
        words = q.get("q", "").lower().split()
        since = q.get("since", "")
        hits = [p for p in self.posts if all(w in str(p["record"].get("text", "")).lower() for w in words)
                and (not since or p["indexedAt"] >= since.replace("+00:00", "Z"))]
        hits.sort(key=lambda p: p["indexedAt"], reverse=True)
        offset = int(q.get("cursor", "0") or 0)
        size = int(q.get("limit", "25"))
        chunk = hits[offset:offset + size]
        body: dict[str, Any] = {"posts": chunk, "hitsTotal": len(hits)}
        if offset + size < len(hits):
            body["cursor"] = str(offset + size)
        return web.json_response(body, headers=self._headers())


def _by_time(items: list[dict], q) -> tuple[list[dict], str | None]:
    """Newest first; the cursor is the indexedAt of the page's last item (older items follow)."""
    ordered = sorted(items, key=lambda i: i["indexedAt"], reverse=True)
    if q.get("cursor"):
        ordered = [i for i in ordered if i["indexedAt"] < q["cursor"]]
    size = int(q.get("limit", "50"))
    page = ordered[:size]
    return page, (page[-1]["indexedAt"] if len(page) == size else None)  # a full page: maybe more
