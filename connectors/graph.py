"""Meta Graph API plumbing shared by the Facebook Page and Instagram connectors.

One `GraphClient` per connector sends a request, turns Graph error bodies into the runner's
three errors, reads the usage headers so we slow down *before* Meta blocks us, and keeps
`paging.next` links safe to store (the access token Meta puts in them is stripped).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

import aiohttp
from yarl import URL

from connectors import AuthFailed, ConnectorContext, ConnectorError, RateLimited, TransientError
from connectors.http import expect, later, new_session, onward, parse_json, request_json
from webcare.models import Batch, MessageFormatError, Rejected, parse_time, quarantined

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
# Throttling codes: app (4), user (17), page (32), custom/per-second (613), and the
# business-use-case limits 80000-80014 (Pages 80001, Instagram 80002, Messenger 80006, ...).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_SUBCODES = {458: "the app is not installed", 459: "the user is checkpointed",
                  460: "the password was changed", 463: "the token has expired",
                  464: "the user is not confirmed", 467: "the token is invalid",
                  492: "the session is invalid"}
USAGE_PAUSE = timedelta(minutes=10)  # wait when a usage header nears 100% without an estimate
SECRET_PARAMS = ("access_token", "appsecret_proof")


@dataclass(frozen=True)
class GraphPage:
    """One page of an edge: its `data` items and the stored-safe link to the next page."""

    items: list[Any]
    next: str | None


class GraphClient:
    """Reads Graph API edges for one connector; `what` names the connector in every error."""

    def __init__(self, *, what: str, token: str, now: Callable[[], datetime],
                 base_url: str = DEFAULT_BASE_URL, api_version: str = DEFAULT_VERSION,
                 app_secret: str = "", timeout_seconds: float = 30.0,
                 throttle_percent: float = 90.0, platform: str = "graph"):
        self.what = what
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version.strip("/")
        self.now = now
        self.timeout_seconds = timeout_seconds
        self.throttle_percent = throttle_percent
        self.paused_until: datetime | None = None
        self.pause_reason = ""
        self._token = token
        self._proof = (hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
                       if app_secret else "")
        self._session: aiohttp.ClientSession | None = None

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> GraphPage:
        """GET `/{version}/{path}` with `params` (e.g. `"123/feed"`, {"fields": ...})."""
        url = f"{self.base_url}/{self.api_version}/{path.lstrip('/')}"
        return await self._get(url, dict(params or {}), path)

    async def follow(self, next_path: str) -> GraphPage:
        """GET a `GraphPage.next` link from an earlier page."""
        return await self._get(self.base_url + next_path, {}, next_path.split("?", 1)[0])

    def check_throttle(self) -> None:
        """Raise RateLimited while a usage header told us to pause (checked before each request)."""
        if self.paused_until is not None:
            if self.now() < self.paused_until:
                raise RateLimited(f"{self.what}: pausing, {self.pause_reason}", reset_at=self.paused_until)
            self.paused_until = None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, url: str, params: dict[str, Any], label: str) -> GraphPage:
        self.check_throttle()
        if self._session is None:
            self._session = new_session(self.timeout_seconds)
        if self._proof:
            params["appsecret_proof"] = self._proof
        what = f"{self.what} GET {label}"
        resp = await request_json(self._session, "GET", url, params=params, what=what,
                                  headers={"Authorization": f"Bearer {self._token}"})
        self._note_usage(resp.headers)
        if not resp.ok:
            raise graph_error(resp.status, resp.data, resp.headers, self.now(), what)
        where = f"{self.platform} {URL(url).path}"
        body = expect(resp.data, dict, where)
        items = expect(body.get("data"), list, where, "data")  # an empty edge is `"data": []`
        paging = expect(body.get("paging"), dict, where, "paging", missing={})  # absent: one page
        return GraphPage(items, stored_next(expect(paging.get("next"), str, where, "paging.next", missing=None)))

    def _note_usage(self, headers: Mapping[str, str]) -> None:
        reset, reason = usage_pause(headers, self.now(), self.throttle_percent)
        if reset is not None and (self.paused_until is None or reset > self.paused_until):
            if self.paused_until is None:
                log.info("%s: %s; pausing until %s", self.what, reason, f"{reset:%H:%M:%S}")
            self.paused_until, self.pause_reason = reset, reason


def graph_error(status: int, body: Any, headers: Mapping[str, str], now: datetime,
                what: str) -> ConnectorError:
    """The runner's error for a Graph API error response (`{"error": {message, type, code, ...}}`)."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        err = {}
    code, subcode = _int(err.get("code")), _int(err.get("error_subcode"))
    kind = str(err.get("type") or "")
    text = str(err.get("message") or f"HTTP {status}")
    ref = f" (code {code}{'/' + str(subcode) if subcode else ''}, fbtrace_id {err.get('fbtrace_id', '-')})"
    if code in RATE_LIMIT_CODES or status == 429:
        reset = usage_pause(headers, now, 100.0)[0] or now + USAGE_PAUSE
        return RateLimited(f"{what}: rate limited: {text}{ref}", reset_at=reset)
    if code == 190:
        why = TOKEN_SUBCODES.get(subcode or 0, "the access token was rejected")
        return AuthFailed(f"{what}: {why}: {text}{ref}")
    if err.get("is_transient") or code in TRANSIENT_CODES:
        return TransientError(f"{what}: temporary Graph API problem: {text}{ref}")
    if kind == "OAuthException" or code == 10 or (code or 0) in range(200, 300) or status in (401, 403):
        return AuthFailed(f"{what}: permission or token problem: {text}{ref}")
    return TransientError(f"{what}: Graph API error: {text}{ref}")


def usage_pause(headers: Mapping[str, str], now: datetime,
                threshold: float) -> tuple[datetime | None, str]:
    """When to resume according to `X-Business-Use-Case-Usage` / `X-App-Usage`, and why.

    A business-use-case entry with `estimated_time_to_regain_access` (minutes) gives the time;
    otherwise any usage percentage at or above `threshold` pauses for USAGE_PAUSE.
    """
    reset: datetime | None = None
    reason = ""
    for entry in _buc_entries(headers.get("X-Business-Use-Case-Usage")):
        minutes = _num(entry.get("estimated_time_to_regain_access"))
        peak = max(_num(entry.get(k)) for k in ("call_count", "total_cputime", "total_time"))
        if minutes > 0:
            when = later(now, minutes * 60) or now + USAGE_PAUSE
        elif peak >= threshold:
            when = now + USAGE_PAUSE
        else:
            continue
        if reset is None or when > reset:
            reset = when
            reason = f"business use case usage ({entry.get('type', '?')}) at {peak:.0f}%"
    for header in ("X-App-Usage", "X-Page-Usage"):
        usage = _json_obj(headers.get(header))
        peak = max((_num(usage.get(k)) for k in ("call_count", "total_cputime", "total_time")), default=0)
        if peak >= threshold and (reset is None or now + USAGE_PAUSE > reset):
            reset = now + USAGE_PAUSE
            reason = f"{header} at {peak:.0f}% of the limit"
    return reset, reason


def stored_next(next_url: Any) -> str | None:
    """`paging.next` as `/path?query` without the access token, so a cursor never holds a secret."""
    if not isinstance(next_url, str) or not next_url:
        return None
    url = URL(next_url)
    query = [(k, v) for k, v in url.query.items() if k not in SECRET_PARAMS]
    return str(URL.build(path=url.path, query=query))


def graph_time(value: Any, field: str) -> datetime:
    """A Graph timestamp (`2026-10-04T10:25:00+0000`); MessageFormatError if it is not one."""
    return parse_time(value, field)


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def reject(source: str, item: Any, error: Exception | str) -> Rejected:
    """A quarantined payload: where it came from, why it was refused, and the raw JSON."""
    try:
        raw = json.dumps(item, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        raw = repr(item)
    return quarantined(source, str(error), raw)


# Errors a payload mapper raises for an item it cannot read (quarantined, never fatal).
ITEM_ERRORS = (MessageFormatError, KeyError, TypeError, ValueError, AttributeError)


def _buc_entries(value: str | None) -> list[dict]:
    out = []
    for entries in _json_obj(value).values():
        if isinstance(entries, list):
            out.extend(e for e in entries if isinstance(e, dict))
    return out


def _json_obj(value: str | None) -> dict:
    data = parse_json(value or "")
    return data if isinstance(data, dict) else {}


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class GraphPoller:
    """Base of the Graph API connectors: a round walks `stages` in order, one request per poll.

    A walk stage (a feed, a conversation list) pages through an edge until it reaches items
    older than the stage's mark; a queue stage (comments of each updated post) works through
    ids the walk queued. The cursor holds all of it, so a restart resumes mid-round, and the
    marks only move when a round completes. Subclasses set `stages`, `queues` and write one
    `_stage_<name>(client, state, out)` coroutine per stage returning True when it is done.
    """

    type = "graph"  # each subclass's own: the platform its errors name
    stages: tuple[str, ...] = ()
    queues: Mapping[str, str] = {}  # queue stage -> the state key holding its ids
    listed_by: Mapping[str, str] = {}  # queue key -> the walk stage that lists its nodes
    overlap = timedelta(minutes=5)  # re-read this far behind a mark: late arrivals are not lost

    def __init__(self, name: str, options: Any, ctx: ConnectorContext):
        self.name = name
        self.options = options
        self._ctx = ctx
        self._client: GraphClient | None = None

    def enabled(self, stage: str) -> bool:
        return True

    def client(self) -> GraphClient:
        if self._client is None:
            o = self.options
            token = self._ctx.secret(o.access_token_env, f"{self.name}: access token")
            secret = self._ctx.secret(o.app_secret_env, f"{self.name}: app secret") if o.app_secret_env else ""
            self._client = GraphClient(
                what=self.name, token=token, now=self._ctx.now, base_url=o.base_url,
                api_version=o.api_version, app_secret=secret, timeout_seconds=o.timeout_seconds,
                throttle_percent=o.throttle_percent, platform=self.type)
        return self._client

    async def poll(self, cursor: str | None) -> Batch:
        client = self.client()
        client.check_throttle()
        state = self._load(cursor)
        out = Collected()
        stage = self._next_stage(state)
        if stage is not None:
            finished = await getattr(self, f"_stage_{stage}")(client, state, out)
            if finished:
                state["next"] = None
                state["stage"] = self._after(stage)
            stage = self._next_stage(state)
        if stage is None:
            self._finish_round(state)
        return Batch(tuple(out.messages), json.dumps(state, sort_keys=True), stage is not None,
                     tuple(out.rejected))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # --- shared helpers for stages ---------------------------------------------------------
    async def fetch(self, client: GraphClient, state: dict, path: str, params: Mapping[str, Any]) -> GraphPage:
        """The walk's next page: the stored `next` link if there is one, else the first page."""
        if state.get("next"):
            return await client.follow(state["next"])
        return await client.get(path, {**params, "limit": self.options.page_size})

    def floor(self, state: dict, stage: str) -> int:
        """Items older than this (epoch seconds) end a walk: the stage's mark minus the overlap."""
        return state["marks"][stage] - int(self.overlap.total_seconds())

    def saw(self, state: dict, stage: str, when: datetime) -> None:
        """Note an item's time for the stage's next mark; a time in the future (a wrong clock)
        counts as now, or the mark would skip everything written until then."""
        state["round"][stage] = max(state["round"].get(stage, 0), epoch(min(when, self._ctx.now())))

    @staticmethod
    def queue_if_changed(state: dict, queue: str, node: str, updated: datetime) -> None:
        """Queue `node` for a scan unless it was scanned at this very `updated` time already."""
        stamp = epoch(updated)
        scanned = state.setdefault("scanned", {}).setdefault(queue, {})
        if scanned.get(node) != stamp and all(entry[0] != node for entry in state[queue]):
            state[queue].append([node, stamp])

    @staticmethod
    def dequeue(state: dict, queue: str) -> None:
        """The head of `queue` is fully read: remember at which `updated` time, move on."""
        node, stamp = state[queue].pop(0)[:2]
        state.setdefault("scanned", {}).setdefault(queue, {})[node] = stamp
        state["next"] = None

    @staticmethod
    def walk_done(state: dict, page: GraphPage, oldest: datetime | None, floor: int) -> bool:
        """Stop on the last page, an empty page, a page reaching below `floor`, or a `next` link
        back to the page just read; else go on."""
        last = not page.items or (oldest is not None and epoch(oldest) < floor)
        state["next"] = onward(state, None if last else page.next, f"graph {(page.next or '').split('?')[0]}",
                               key="next")
        return state["next"] is None

    # --- the round ----------------------------------------------------------------------------
    def _load(self, cursor: str | None) -> dict:
        state = None
        if cursor:
            try:
                state = json.loads(cursor)
            except json.JSONDecodeError:
                log.warning("%s: unreadable cursor, starting a fresh round", self.name)
        if not isinstance(state, dict) or state.get("v") != 1 or state.get("stage") not in self.stages:
            start = epoch(self._ctx.now() - timedelta(hours=self.options.backfill_hours))
            state = {"v": 1, "stage": self.stages[0], "next": None, "start": start,
                     "marks": {s: start for s in self.stages}, "round": {}}
        for key in self.queues.values():
            state.setdefault(key, [])
        return state

    def _next_stage(self, state: dict) -> str | None:
        """The current stage if it has work, else the next one that has; None: round complete."""
        if state["stage"] not in self.stages:
            return None  # past the last stage
        index = self.stages.index(state["stage"])
        for stage in self.stages[index:]:
            queue = self.queues.get(stage)
            if self.enabled(stage) and (queue is None or state[queue]):
                if stage != state["stage"]:
                    state["stage"], state["next"] = stage, None
                return stage
        return None

    def _after(self, stage: str) -> str:
        index = self.stages.index(stage) + 1
        return self.stages[index] if index < len(self.stages) else "(end)"

    def _finish_round(self, state: dict) -> None:
        for stage, seen in state["round"].items():
            state["marks"][stage] = max(state["marks"].get(stage, 0), seen)
        state.update(stage=self.stages[0], next=None, round={})
        for queue, scanned in state.get("scanned", {}).items():  # forget what no walk lists again
            horizon = self.floor(state, self.listed_by[queue])
            state["scanned"][queue] = {k: v for k, v in scanned.items() if v >= horizon}


class Collected:
    """What one poll gathered: good messages and quarantined payloads."""

    def __init__(self) -> None:
        self.messages: list = []
        self.rejected: list[Rejected] = []

    def parse(self, source: str, item: Any, build: Callable[[Any], Any]) -> Any:
        """`build(item)`, or None after quarantining an item that cannot be read."""
        try:
            return build(item)
        except ITEM_ERRORS as exc:
            self.rejected.append(reject(f"{source} {item_id(item)}", item, _explain(exc)))
            return None


def node_id(item: Any) -> str:
    """A Graph node's `id` as a string; raises (quarantining the item) if there is none."""
    if not isinstance(item, dict):
        raise TypeError(f"expected an object, got {type(item).__name__}")
    value = item["id"]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise ValueError("id: expected a non-empty string")
    return value


def text_field(value: Any, field: str) -> str:
    """A text field that may be absent (a photo without caption): "" then; raises if not text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{field}: expected a string")
    return value


def opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def item_id(item: Any) -> str:
    value = item.get("id") if isinstance(item, dict) else None
    return str(value) if isinstance(value, (str, int)) and value != "" else "(no id)"


def _explain(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, MessageFormatError) else str(exc)
