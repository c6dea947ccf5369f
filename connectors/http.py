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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Mapping

import aiohttp
from yarl import URL

from connectors import TransientError

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "webcare"


def new_session(timeout_seconds: float = DEFAULT_TIMEOUT, *,
                headers: Mapping[str, str] | None = None) -> aiohttp.ClientSession:
    """A session whose every request gives up after `timeout_seconds` (call inside the loop)."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout_seconds),
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
    5xx, and a 2xx whose body is not JSON. Every other status (4xx) is returned for the
    caller to interpret, since only the platform knows what its error bodies mean.
    """
    try:
        async with session.request(method, url, params=params, headers=headers) as resp:
            body = await resp.read()
            status, resp_headers, final_url = resp.status, resp.headers, str(resp.url)
    except asyncio.TimeoutError:
        raise TransientError(f"{what}: no answer within the timeout") from None
    except aiohttp.ClientError as exc:
        raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from None
    data = _json_or_none(body)
    if status >= 500:
        raise TransientError(f"{what}: server error HTTP {status}{_snippet(data, body)}")
    if 200 <= status < 300 and data is None:
        raise TransientError(f"{what}: HTTP {status} but the body is not JSON{_snippet(None, body)}")
    return JsonResponse(status, resp_headers, data, final_url)


def retry_after(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """When a `Retry-After` header (seconds or an HTTP date) says to come back; None if absent."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


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


def _json_or_none(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _snippet(data: Any, body: bytes, limit: int = 200) -> str:
    text = json.dumps(data, ensure_ascii=False) if data is not None else body.decode("utf-8", "replace")
    text = " ".join(text.split())
    return f": {text[:limit]}" if text else ""
