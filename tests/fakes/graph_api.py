"""A fake Meta Graph API on 127.0.0.1 for tests of `connectors.facebook` and `connectors.instagram`.

It serves the documented shapes: `{"data": [...], "paging": {"cursors": {"before", "after"},
"next", "previous"}}`, time-based paging on page feeds (`since`, `until`, `__paging_token`),
`fields` selection, `filter=stream` / `order` on comments, usage headers (`X-App-Usage`,
`X-Business-Use-Case-Usage`) and error bodies `{"error": {message, type, code,
error_subcode, fbtrace_id}}`. Like the real API it puts the access token into `paging.next`.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"
NEWEST_FIRST_BY_UPDATE = {"feed", "conversations"}


def graph_error(code: int, message: str, *, kind: str = "OAuthException", subcode: int | None = None,
                transient: bool | None = None) -> dict:
    err: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        err["error_subcode"] = subcode
    if transient is not None:
        err["is_transient"] = transient
    return {"error": err}


EXPIRED = graph_error(190, "Error validating access token: Session has expired on Sunday, 04-Oct-26 "
                           "01:00:00 PDT. The current time is Sunday, 04-Oct-26 01:00:05 PDT.", subcode=463)
INVALID = graph_error(190, "Invalid OAuth access token - Cannot parse access token")


@dataclass
class Fault:
    path: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    hang: bool = False
    after: int = 0


@dataclass
class Seen:
    path: str
    params: dict[str, str]


class FakeGraphApi:
    def __init__(self, *, token: str = "page-token", version: str = "v21.0"):
        self.token = token
        self.version = version
        self.edges: dict[tuple[str, str], list[dict]] = {}
        self.faults: list[Fault] = []
        self.requests: list[Seen] = []
        self.headers: dict[str, str] = {}  # sent with every successful answer (usage headers)
        self.expired = False
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- Facebook Page data -------------------------------------------------------------
    def post(self, page: str, pid: str, author: tuple[str, str], message: str | None, created: datetime,
             *, tags: tuple[str, ...] = (), raw: dict | None = None) -> str:
        item = raw or {"id": pid, "created_time": _t(created), "updated_time": _t(created),
                       "from": {"id": author[0], "name": author[1]},
                       "permalink_url": f"https://www.facebook.com/{pid}"}
        if message is not None and raw is None:
            item["message"] = message
        if tags and raw is None:
            item["message_tags"] = [{"id": t, "name": "Zuiderloop", "type": "page", "offset": 0, "length": 10}
                                    for t in tags]
        self.edges.setdefault((page, "feed"), []).append(item)
        return pid

    def comment(self, post: str, cid: str, author: tuple[str, str], message: str, created: datetime,
                *, parent: str | None = None, raw: dict | None = None) -> str:
        item = raw or {"id": cid, "message": message, "created_time": _t(created),
                       "from": {"id": author[0], "name": author[1]},
                       "permalink_url": f"https://www.facebook.com/{post}?comment_id={cid}"}
        if parent and raw is None:
            item["parent"] = {"id": parent}
        self.edges.setdefault((post, "comments"), []).append(item)
        self._touch(post, created)
        return cid

    def conversation(self, page: str, conversation: str) -> str:
        self.edges.setdefault((page, "conversations"), []).append(
            {"id": conversation, "updated_time": "1970-01-01T00:00:00+0000"})
        return conversation

    def dm(self, conversation: str, mid: str, author: tuple[str, str], text: str, created: datetime,
           *, raw: dict | None = None) -> str:
        item = raw or {"id": mid, "message": text, "created_time": _t(created),
                       "from": {"id": author[0], "name": author[1], "email": f"{author[0]}@facebook.com"},
                       "to": {"data": [{"id": "other", "name": "Other"}]}}
        self.edges.setdefault((conversation, "messages"), []).append(item)
        self._touch(conversation, created)
        return mid

    # --- Instagram data -----------------------------------------------------------------
    def media(self, ig_user: str, mid: str, username: str, caption: str, posted: datetime) -> str:
        self.edges.setdefault((ig_user, "media"), []).append({
            "id": mid, "caption": caption, "timestamp": _t(posted), "username": username,
            "permalink": f"https://www.instagram.com/p/{mid}/", "comments_count": 0})
        return mid

    def ig_comment(self, media: str, cid: str, who: tuple[str, str], text: str, created: datetime,
                   *, reply_to: str | None = None, raw: dict | None = None) -> str:
        item = raw or {"id": cid, "text": text, "timestamp": _t(created), "username": who[1],
                       "from": {"id": who[0], "username": who[1]}}
        if reply_to is None:
            self.edges.setdefault((media, "comments"), []).append(item)
        else:
            item = dict(item, parent_id=reply_to)
            parent = next(c for c in self.edges[(media, "comments")] if c.get("id") == reply_to)
            parent.setdefault("replies", {"data": []})["data"].append(item)
        for node in self.edges.values():
            for m in node:
                if m.get("id") == media and "comments_count" in m:
                    m["comments_count"] += 1
        return cid

    def tag(self, ig_user: str, mid: str, username: str, caption: str, posted: datetime,
            raw: dict | None = None) -> str:
        self.edges.setdefault((ig_user, "tags"), []).append(raw or {
            "id": mid, "caption": caption, "timestamp": _t(posted), "username": username,
            "permalink": f"https://www.instagram.com/p/{mid}/"})
        return mid

    # --- faults and inspection ----------------------------------------------------------
    def fail(self, path: str, status: int = 500, body: Any = None, headers: dict | None = None,
             times: int = 1, after: int = 0) -> None:
        self.faults.append(Fault(path, status, body, headers or {}, times, after=after))

    def hang(self, path: str) -> None:
        self.faults.append(Fault(path, hang=True))

    def calls(self, fragment: str) -> list[Seen]:
        return [r for r in self.requests if fragment in r.path]

    # --- server -------------------------------------------------------------------------
    async def __aenter__(self) -> "FakeGraphApi":
        app = web.Application()
        app.router.add_get("/{version}/{node}/{edge}", self._edge)
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

    async def _edge(self, request: web.Request) -> web.Response:
        q = request.query
        self.requests.append(Seen(request.path, dict(q)))
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
                return web.json_response(fault.body or graph_error(2, "An unexpected error has "
                                         "occurred. Please retry your request later.", transient=True),
                                         status=fault.status, headers=fault.headers)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ") or q.get("access_token", "")
        if given != self.token:
            return web.json_response(INVALID, status=400)
        if self.expired:
            return web.json_response(EXPIRED, status=400)
        if request.match_info["version"] != self.version:
            return web.json_response(graph_error(2635, f"Unknown version {request.match_info['version']}"),
                                     status=400)
        node, edge = request.match_info["node"], request.match_info["edge"]
        items = self._select(node, edge, q)
        size = int(q.get("limit", "25"))
        offset = _decode(q.get("after") or q.get("__paging_token"))
        chunk = items[offset:offset + size]
        fields = _top_fields(q.get("fields", ""))
        body: dict[str, Any] = {"data": [_pick(i, fields) for i in chunk]}
        if chunk:
            body["paging"] = {"cursors": {"before": _encode(offset), "after": _encode(offset + len(chunk))}}
            if offset + size < len(items):
                body["paging"]["next"] = self._next(request, offset + size, edge, chunk)
        return web.json_response(body, headers=self.headers)

    def _select(self, node: str, edge: str, q) -> list[dict]:
        items = list(self.edges.get((node, edge), []))
        if edge == "comments" and q.get("filter") != "stream":
            items = [i for i in items if "parent" not in i]
        if edge == "comments" and "created_time" in (items[0] if items else {}):
            return sorted(items, key=_time_of, reverse=q.get("order") == "reverse_chronological")
        if edge == "comments":
            return items  # Instagram: no promised order
        if edge in NEWEST_FIRST_BY_UPDATE:
            items = sorted(items, key=lambda i: str(i.get("updated_time", "")), reverse=True)
            if q.get("since"):
                since = int(q["since"])
                items = [i for i in items if _epoch(i.get("updated_time")) >= since]
            return items
        return sorted(items, key=_time_of, reverse=True)

    def _next(self, request: web.Request, offset: int, edge: str, chunk: list[dict]) -> str:
        keep = {k: v for k, v in request.query.items()
                if k not in ("after", "until", "__paging_token", "access_token")}
        keep["access_token"] = self.token  # as Meta does: the token travels in the link
        if edge == "feed":  # time-based paging, as on page feeds
            keep["until"] = str(_epoch(chunk[-1].get("updated_time")))
            keep["__paging_token"] = _encode(offset)
        else:
            keep["after"] = _encode(offset)
        return f"{self.base_url}{request.path}?{urlencode(keep)}"

    def _touch(self, node: str, when: datetime) -> None:
        for items in self.edges.values():
            for item in items:
                if item.get("id") == node and "updated_time" in item:
                    item["updated_time"] = max(item["updated_time"], _t(when))


def _t(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime(TIME_FORMAT)


def _epoch(value: Any) -> int:
    try:
        return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").timestamp())
    except ValueError:
        return 0


def _time_of(item: dict) -> str:
    return str(item.get("created_time") or item.get("timestamp") or "")


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        return 0


def _top_fields(spec: str) -> set[str]:
    names, depth, current = set(), 0, ""
    for ch in spec + ",":
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            names.add(current.split(".")[0].strip())
            current = ""
            continue
        if depth == 0 and ch not in "{}":
            current += ch
    return {n for n in names if n}


def _pick(item: dict, fields: set[str]) -> dict:
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields or k == "id"}
