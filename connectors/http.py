"""Shared aiohttp plumbing for connectors: one session, one place that maps transport failures.

Every HTTP connector has the same edge cases: timeouts, refused connections, 5xx pages, a
"200" whose body is not JSON, and a `Retry-After` header to honour. They are handled here,
once, so a connector module only interprets what its platform says in a 4xx body.

    session = new_session(timeout_seconds=30)
    resp = await request_json(session, "GET", url, params=..., what="mastodon notifications")
    if resp.status == 429:
        raise RateLimited("...", reset_at=retry_after(resp.headers, now))

`RebasedSession` is for client libraries that hard-code their host (tweepy): it sends every
request to `base_url` instead, which is how tests point them at a local fake server.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Mapping

import aiohttp
from yarl import URL

from connectors import AuthFailed, TransientError
from webcare.models import Batch, Message, MessageFormatError, Rejected, json_type, parse_time, quarantined

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "webcare"
MAX_BODY = 32 << 20  # bytes of an answer, after decompression; pages are at most a few MB
MAX_HEADER = 64 << 10  # bytes of a header line, as Python's http.client allows (aiohttp: 8,190)


class _CappedResponse(aiohttp.ClientResponse):
    """A response whose body is read only up to MAX_BODY. aiohttp reads a body whole, after
    decompressing it: a 160 kB gzip bomb (or an endless answer within the timeout) had the bot
    hold 320 MB, and a few MB of it would have had it killed for want of memory."""

    async def read(self) -> bytes:
        if self._body is None:
            body = bytearray()
            try:
                async for chunk in self.content.iter_any():
                    body += chunk
                    if len(body) > MAX_BODY:
                        raise aiohttp.ClientPayloadError(
                            f"the answer is larger than {MAX_BODY >> 20} MiB; not read further")
            except BaseException:
                self.close()
                raise
            self._body = bytes(body)
        return await super().read()


def new_session(timeout_seconds: float = DEFAULT_TIMEOUT, *,
                headers: Mapping[str, str] | None = None) -> aiohttp.ClientSession:
    """A session whose every request gives up after `timeout_seconds`, reads at most MAX_BODY
    of an answer, and accepts header lines up to MAX_HEADER (call inside the loop)."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout_seconds), response_class=_CappedResponse,
        max_line_size=MAX_HEADER, max_field_size=MAX_HEADER,
        headers={"User-Agent": USER_AGENT, **(headers or {})})


@dataclass(frozen=True)
class JsonResponse:
    """A finished HTTP exchange: status, headers and the parsed JSON body (None if not JSON)."""

    status: int
    headers: Mapping[str, str]
    data: Any
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def request_json(session: aiohttp.ClientSession, method: str, url: str | URL, *,
                       what: str, params: Mapping[str, Any] | None = None,
                       headers: Mapping[str, str] | None = None) -> JsonResponse:
    """Send one request and read its JSON body.

    Raises TransientError for what is worth retrying later: a timeout, a network error, any
    5xx, a 2xx whose body is not JSON, and a 401 or 403 page that is not JSON (see
    `not_the_platform`). Every other status (4xx) is returned for the caller to interpret,
    since only the platform knows what its error bodies mean, except a 401 or 403 after a
    redirect to another origin: aiohttp sent no `Authorization` there, so the refusal says
    nothing of the token; AuthFailed names the new address (a moved instance, http -> https).
    """
    try:
        async with session.request(method, url, params=params, headers=headers) as resp:
            body = await resp.read()
            status, resp_headers, final_url = resp.status, resp.headers, str(resp.url)
    except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
        raise transport_error(what, exc) from None
    if (moved := refused_elsewhere(resp)) is not None:
        raise AuthFailed(f"{what}: {moved}")
    return _json_answer(what, status, resp_headers, body, final_url)


def refused_elsewhere(resp: aiohttp.ClientResponse) -> str | None:
    """Why a 401 or 403 that came after a redirect to another origin says nothing of the token
    (aiohttp sends no `Authorization` there); None for any other answer."""
    asked = resp.history[0].url if resp.history else resp.url
    if resp.status not in (401, 403) or asked.origin() == resp.url.origin():
        return None
    return (f"redirected to {resp.url.origin()}, where the token is not sent (only the configured "
            f"address gets it): HTTP {resp.status} there; configure {resp.url.origin()} instead of "
            f"{asked.origin()}")


def _json_answer(what: str, status: int, headers: Mapping[str, str], body: bytes, url: str) -> JsonResponse:
    data = parse_json(body)
    if status >= 500:
        raise TransientError(f"{what}: server error HTTP {status}{_snippet(data, body)}")
    if 200 <= status < 300 and data is None:
        raise TransientError(f"{what}: HTTP {status} but the body is not JSON{_snippet(None, body)}")
    if data is None and not_the_platform(status, body):
        raise TransientError(f"{what}: HTTP {status} with a page that is not the platform's answer "
                             f"(a proxy or firewall in between?){_snippet(None, body)}")
    return JsonResponse(status, headers, data, url)


def not_the_platform(status: int, body: bytes) -> bool:
    """A 401 or 403 whose body is a page, not JSON: a CDN's or firewall's block page
    (Cloudflare, Reddit's network security) says nothing about the credentials, which every
    JSON API refuses in JSON. Read as AuthFailed it stopped the connector until a restart;
    it is a transient fault. An empty body stays the caller's to read."""
    return status in (401, 403) and bool(body.strip())


def transport_error(what: str, exc: BaseException) -> TransientError:
    """The error for a request that got no usable answer, without the query strings of the URLs
    aiohttp puts in its messages (a redirect loop names the first URL): they can hold
    `access_token` or `appsecret_proof`."""
    if isinstance(exc, asyncio.TimeoutError):
        return TransientError(f"{what}: no answer within the timeout")
    text = re.sub(r"(\w+://[^\s'\"?#]*)[?#][^\s'\"]*", r"\1?…", str(exc))
    return TransientError(f"{what}: {type(exc).__name__}: {text}")


REQUIRED: Any = object()  # `expect(..., missing=REQUIRED)`: the field must be there
_ARTICLES = {list: "a list", dict: "an object", str: "a string"}


def expect(value: Any, kind: type, where: str, field: str = "", *, missing: Any = REQUIRED) -> Any:
    """`value` if it has the JSON type the platform documents; else TransientError.

    A 200 whose page container has the wrong type is not an empty page: read as one, it ends
    a walk early and moves its mark past pages never read. So it fails the poll instead: the
    runner backs off and logs it once, nothing of the page is committed, and the page is asked
    again. `where` names the platform and endpoint ("mastodon /api/v1/notifications"), `field`
    the place in the body. `missing` is what an absent (or null) field means for a platform
    that leaves it out on purpose, e.g. `[]` for X's `data` on a page without results.
    """
    if value is None and missing is not REQUIRED:
        return missing
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    raise unexpected(where, field, _ARTICLES.get(kind, kind.__name__), value)


def unexpected(where: str, field: str, expected: str, value: Any) -> TransientError:
    """The error for an answer of the wrong shape: "x /2/dm_events: unexpected answer: data: expected ..."."""
    at = f"{field}: " if field else ""
    return TransientError(f"{where}: unexpected answer: {at}expected {expected}, got {json_type(value)}")


def retry_after(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """When a `Retry-After` header (seconds or an HTTP date) says to come back; None if absent."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return later(now, int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def later(now: datetime, seconds: float | None) -> datetime | None:
    """`now` plus a wait a platform announced; None for one no clock can hold (negative, NaN,
    past the year 9999), which the runner then treats as an unknown reset and backs off."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError:
        return None


def from_epoch(value: Any) -> datetime | None:
    """A Unix-seconds value (header string or number) as an aware UTC time; None if unusable."""
    try:
        return datetime.fromtimestamp(int(float(value)), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def rebase_url(url: str | URL, base_url: str) -> URL:
    """`url` moved onto `base_url`'s scheme, host, port and path prefix; query kept as encoded."""
    url = url if isinstance(url, URL) else URL(url, encoded=True)
    base = URL(base_url)
    prefix = base.raw_path.rstrip("/")
    return URL.build(scheme=base.scheme, host=base.raw_host or "", port=base.explicit_port,
                     path=prefix + url.raw_path, query_string=url.raw_query_string, encoded=True)


class RebasedSession:
    """A stand-in for `aiohttp.ClientSession` that sends every request to `base_url`.

    Only `request()` and `close()` are provided: enough for clients that take a session and
    call `session.request(method, url, ...)` (tweepy's AsyncClient). Nothing is patched.
    """

    def __init__(self, session: aiohttp.ClientSession, base_url: str):
        self.session = session
        self.base_url = base_url

    def request(self, method: str, url: str | URL, **kwargs: Any):
        return self.session.request(method, rebase_url(url, self.base_url), **kwargs)

    @property
    def closed(self) -> bool:
        return self.session.closed

    async def close(self) -> None:
        await self.session.close()


def parse_json(body: bytes | str) -> Any:
    """The JSON value of a body or header; None if it is none a decoder can hold. Besides
    `JSONDecodeError`, nesting past the recursion limit raises RecursionError and a number past
    Python's digit limit ValueError: escaped, either failed every poll with a traceback.
    A byte that is not UTF-8 is read as U+FFFD, as in JSONL: refused, the page holding it was
    asked again at every poll and its stream never moved on."""
    if not body:
        return None
    try:
        try:
            return json.loads(body)
        except UnicodeDecodeError:
            return json.loads(bytes(body).decode("utf-8", "replace"))
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return None


def _snippet(data: Any, body: bytes, limit: int = 200) -> str:
    text = json.dumps(data, ensure_ascii=False) if data is not None else body.decode("utf-8", "replace")
    text = " ".join(text.split())
    return f": {text[:limit]}" if text else ""


# --- Appended for the Mastodon, Bluesky, Reddit, e-mail and feed connectors ---------------------
# Requests that carry a body or return one that is not JSON, `Link` headers, rate-limit pauses,
# the quarantine of unreadable items, and the bookkeeping of newest-first walks over several
# streams: the pieces every polling connector repeats.

import logging  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from typing import Callable  # noqa: E402

from connectors import MAX_WAIT, RateLimited  # noqa: E402

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawResponse:
    """A finished HTTP exchange whose body is kept as bytes (a feed, an HTML page)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def request_raw(session: aiohttp.ClientSession, method: str, url: str | URL, *, what: str,
                      params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
                      json_body: Any = None, form: Mapping[str, str] | None = None) -> RawResponse:
    """Send one request (optionally with a JSON or form body); return whatever came back.

    Raises TransientError for a timeout, a network error and any 5xx, like `request_json`;
    every other status (a 304, a 4xx) is the caller's to interpret. A request with a body is
    not redirected: aiohttp would send a 307's or 308's body (a log-in's password) again to
    whatever host it names, and drops only the `Authorization` header.
    """
    sends = json_body is not None or form is not None
    try:
        async with session.request(method, url, params=params, headers=headers, json=json_body,
                                   data=form, allow_redirects=not sends) as resp:
            body = await resp.read()
            status, resp_headers, final_url = resp.status, resp.headers, str(resp.url)
    except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
        raise transport_error(what, exc) from None
    if sends and 300 <= status < 400 and status != 304:
        try:
            target = URL(resp_headers.get("Location", ""))
        except ValueError:
            target = URL()
        where = f" to {target.scheme}://{target.host}{target.path}" if target.host else ""
        raise TransientError(f"{what}: HTTP {status} redirect{where} not followed: the request "
                             f"carries credentials")
    if status >= 500:
        raise TransientError(f"{what}: server error HTTP {status}{_snippet(parse_json(body), body)}")
    return RawResponse(status, resp_headers, body, final_url)


async def send_json(session: aiohttp.ClientSession, method: str, url: str | URL, *, what: str,
                    params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
                    json_body: Any = None, form: Mapping[str, str] | None = None) -> JsonResponse:
    """`request_json` for requests that carry a body (a JSON document or a form): a log-in."""
    raw = await request_raw(session, method, url, what=what, params=params, headers=headers,
                            json_body=json_body, form=form)
    return _json_answer(what, raw.status, raw.headers, raw.body, raw.url)


def link_header(value: str | None) -> dict[str, str]:
    """The targets of an RFC 8288 `Link` header by relation, e.g. {"next": url, "prev": url}."""
    out: dict[str, str] = {}
    for part in re.split(r",\s*(?=<)", value or ""):
        match = re.match(r"\s*<([^>]*)>(.*)", part, re.S)
        rel = re.search(r';\s*rel\s*=\s*"?([^";]+)"?', match.group(2)) if match else None
        if match and rel:
            for name in rel.group(1).split():
                out.setdefault(name.lower(), match.group(1))
    return out


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header (`x-ratelimit-remaining: 596.0`) as a float; None if absent or not a
    finite number ("nan" and "inf" parse as floats but count nothing)."""
    try:
        value = float(headers.get(name) or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class Pause:
    """A request budget the platform said is spent: later requests wait for its reset.

    After a successful answer that reports 0 requests remaining, the next poll raises
    RateLimited until the reset instead of spending a request on a certain 429. A reset further
    away than `MAX_WAIT` is cut to it, or the connector would refuse to poll long after the
    runner came back.
    """

    def __init__(self, what: str, detail: str = ""):
        self.what = what
        self.detail = detail  # which header said so, e.g. " (x-rate-limit-remaining: 0)"
        self.until: datetime | None = None

    def check(self, now: datetime) -> None:
        if self.until is not None:
            self.until = min(self.until, now + MAX_WAIT)
            if now < self.until:
                raise RateLimited(f"{self.what}: request budget used up until {self.until:%H:%M:%S} UTC"
                                  f"{self.detail}", reset_at=self.until)
            self.until = None

    def note(self, remaining: float | None, reset: datetime | None) -> None:
        if remaining is not None and remaining < 1 and reset is not None:
            self.until = reset


ITEM_ERRORS = (MessageFormatError, KeyError, TypeError, ValueError, AttributeError)


class Harvest:
    """One poll's messages, plus the items quarantined instead of failing the whole batch."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.rejected: list[Rejected] = []

    def parse(self, source: str, item: Any, build: Callable[[Any], Any]) -> Any:
        """`build(item)`, or None after quarantining the item as `source` (platform, kind and id)."""
        try:
            return build(item)
        except ITEM_ERRORS as exc:
            self.rejected.append(quarantined(source, explain(exc), raw_text(item)))
            return None

    def batch(self, cursor: str | None, more: bool = False) -> Batch:
        return Batch(tuple(self.messages), cursor, more, tuple(self.rejected))


def explain(exc: Exception) -> str:
    """Why an item could not be read, in a line."""
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def raw_text(item: Any, limit: int = 100_000) -> str:
    """A quarantined item as text: JSON for payloads, decoded bytes for mail and XML."""
    if isinstance(item, bytes):
        return item[:limit].decode("utf-8", "replace")
    if isinstance(item, str):
        return item[:limit]
    try:
        return json.dumps(item, ensure_ascii=False, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(item)


def iso(when: datetime) -> str:
    """A time as stored in cursors: ISO 8601 in UTC."""
    return when.astimezone(timezone.utc).isoformat()


class Rounds:
    """The cursor of a connector that reads several streams in turn, one page per poll.

    Stored as `{"v": 1, "stage": <stream>, "streams": {<stream>: {...}}}`: the stream being
    read and each stream's own state. A stream no longer configured is forgotten; an unreadable
    cursor starts afresh (items are stored by id, so reading some again duplicates nothing).
    """

    def __init__(self, cursor: str | None, keys: list[str], name: str):
        state = None
        if cursor:
            try:
                state = json.loads(cursor)
            except json.JSONDecodeError:
                _log.warning("%s: unreadable cursor, starting afresh", name)
        if not (isinstance(state, dict) and state.get("v") == 1 and isinstance(state.get("streams"), dict)):
            state = {"stage": "", "streams": {}}
        self.keys = list(keys)
        self.stage: str = state["stage"] if state.get("stage") in self.keys else self.keys[0]
        self.streams: dict[str, dict] = {k: v for k, v in state["streams"].items()
                                         if k in self.keys and isinstance(v, dict)}

    @property
    def state(self) -> dict:
        """The current stream's own state (a dict the connector reads and updates)."""
        return self.streams.setdefault(self.stage, {})

    def turn(self, stream_done: bool) -> bool:
        """After one page: move to the next stream if this one is done; True while pages remain."""
        if not stream_done:
            return True
        index = self.keys.index(self.stage) + 1
        self.stage = self.keys[index % len(self.keys)]
        return index < len(self.keys)

    def dump(self) -> str:
        return json.dumps({"v": 1, "stage": self.stage, "streams": self.streams}, sort_keys=True)


TRAIL = 8  # pages of a walk remembered to notice a pointer cycle (A -> B -> A)


def onward(state: dict, next_page: Any, where: str, key: str = "page") -> Any:
    """`next_page`, or None (the walk ends here) when the platform offers a page this walk read.

    Followed, such a pointer has every poll read the same pages `MAX_PAGES` times, and the walk,
    its mark and every stream after it never move again. `state[key]` is the page just read;
    `state["trail"]` the few read before it in this walk (a walk from the top starts a new
    trail). The repeat is noted in the state (so in the cursor), which keeps the warning to one
    per stream until a walk ends normally again.
    """
    current = state.get(key)
    trail = state.get("trail", []) if current else []
    if next_page and (next_page == current or next_page in trail):
        if state.get("stuck") != next_page:
            again = "the page just read" if next_page == current else "a page read earlier in this walk"
            _log.warning("%s: unexpected answer: the next page is %s (%s); ending the walk there",
                         where, again, next_page)
        state["stuck"] = next_page
        next_page = None
    elif not next_page:
        state.pop("stuck", None)
    if next_page:
        state["trail"] = [*trail, current][-TRAIL:] if current else []
    else:
        state.pop("trail", None)
    return next_page


class Walk:
    """One stream's newest-first walk back to where the last completed walk began.

    Kept in the stream's state: `page` (where to resume), `top` (the newest item time seen in
    this walk), `mark` (the newest time seen by the last completed walk) and, until a mark
    exists, `start` (the first run's backfill limit). A walk ends on the last page or at an
    item older than `floor`: the mark minus `overlap`, so late arrivals are read again (and
    stored once). The mark only moves when a walk completes, so a restart resumes mid-walk.
    An item dated in the future (a server with a wrong clock) counts as `now` for the mark, or
    the next walks would stop at everything written until that date and never store it.
    """

    def __init__(self, state: dict, now: datetime, backfill: timedelta, overlap: timedelta):
        self.state = state
        self.now = now
        if "mark" in state:
            self.floor = parse_time(state["mark"]) - overlap
        else:
            self.floor = parse_time(state.setdefault("start", iso(now - backfill)))

    @property
    def page(self) -> Any:
        return self.state.get("page")

    def saw(self, when: datetime) -> bool:
        """Note an item's time; False when it is older than the floor (known ground)."""
        top, seen = self.state.get("top"), min(when, self.now)
        if top is None or seen > parse_time(top):
            self.state["top"] = iso(seen)
        return when >= self.floor

    def turn(self, next_page: Any) -> bool:
        """Resume at `next_page` next poll, or (None) end the walk and move the mark: True."""
        if next_page:
            self.state["page"] = next_page
            return False
        self.state.pop("page", None)
        top = self.state.pop("top", None)
        mark = self.state.get("mark")
        if top is not None and (mark is None or parse_time(top) > parse_time(mark)):
            self.state["mark"] = top
        if "mark" in self.state:
            self.state.pop("start", None)
        return True


class _TextOfHtml(HTMLParser):
    BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "blockquote", "pre", "table", "tr", "h1", "h2",
                        "h3", "h4", "h5", "h6", "section", "article", "header", "footer", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML fragment: paragraphs and line breaks kept, tags and entities gone."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
