"""Mastodon connector: mentions of the brand account, its own posts, hashtags and search.

A round reads each stream in turn, one page per poll, and says `more` until all are caught up:
- `mentions`: GET /api/v1/notifications?types[]=mention, newest first, `since_id` the newest
  notification of the last round; older pages through the `Link: <...>; rel="next"` header;
- `own`: GET /api/v1/accounts/:id/statuses, the brand's own posts and replies (`since_id`);
- `tag:<name>`: GET /api/v1/timelines/tag/:name, posts with the hashtag from the whole fediverse;
- `search:<query>`: GET /api/v2/search?type=statuses (finds posts of accounts that opted in).
Posts from other servers can arrive late with ids older than `since_id`, so hashtag and search
walks go back to the newest post of the last round minus `FEDERATION_LAG` instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import quote

import aiohttp
from yarl import URL

from connectors import AuthFailed, ConnectorContext, RateLimited, TransientError
from connectors.http import (
    Harvest, JsonResponse, Pause, Rounds, Walk, expect, header_number, html_to_text, json_type,
    link_header, new_session, onward, request_json, retry_after,
)
from webcare.models import Author, Batch, Message, MessageFormatError, parse_time
from webcare.settings import api_address, at_least, env_name, positive, setting

log = logging.getLogger(__name__)

FEDERATION_LAG = timedelta(minutes=30)
PUBLIC = ("public", "unlisted")


def _page_size(value: int) -> str | None:
    return None if 1 <= value <= 40 else f"expected 1 to 40, got {value!r}"


@dataclass(frozen=True)
class Options:
    base_url: str = setting(check=api_address, help="the Mastodon server the brand account is on")
    access_token_env: str = setting("MASTODON_ACCESS_TOKEN", check=env_name,
                                    help="environment variable holding the account's access token")
    mentions: bool = setting(True, help="read posts that mention the account (notifications)")
    own_posts: bool = setting(True, help="read the account's own posts and replies")
    hashtags: list[str] = setting(factory=list, help="hashtags to follow, without the #")
    search_queries: list[str] = setting(factory=list, help="full-text searches (opted-in posts only)")
    page_size: int = setting(40, check=_page_size, help="posts per request (1-40)")
    backfill_hours: float = setting(24.0, check=at_least(0), help="how far back the first run reads")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a request after this")


class MastodonConnector:
    type = "mastodon"
    Options = Options

    def __init__(self, name: str, options: Options, ctx: ConnectorContext):
        self.name = name
        self.options = options
        self._ctx = ctx
        self._base = options.base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._token = ""
        self._account: dict | None = None  # the brand account (verify_credentials)
        self._pause = Pause(name)

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "MastodonConnector":
        return cls(name, options, ctx)

    def streams(self) -> list[str]:
        o = self.options
        keys = (["mentions"] if o.mentions else []) + (["own"] if o.own_posts else [])
        keys += [f"tag:{t.lstrip('#')}" for t in o.hashtags]
        return keys + [f"search:{q}" for q in o.search_queries]

    async def poll(self, cursor: str | None) -> Batch:
        keys = self.streams()
        if not keys:
            return Batch((), cursor)
        await self._ready()
        rounds = Rounds(cursor, keys, self.name)
        got = Harvest()
        kind, _, arg = rounds.stage.partition(":")
        if kind == "mentions":
            done = await self._mentions(rounds.state, got)
        elif kind == "own":
            done = await self._own(rounds.state, got)
        else:
            done = await self._public(kind, arg, rounds.state, got)
        more = rounds.turn(done)
        return got.batch(rounds.dump(), more)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- streams --------------------------------------------------------------------------
    async def _mentions(self, st: dict, got: Harvest) -> bool:
        params = {"types[]": "mention", "limit": self.options.page_size}
        return await self._local_walk("/api/v1/notifications", params, st, got, "notifications",
                                      self._read_notification)

    async def _own(self, st: dict, got: Harvest) -> bool:
        params = {"limit": self.options.page_size, "exclude_reblogs": "true"}
        return await self._local_walk(f"/api/v1/accounts/{self._account_id()}/statuses", params, st, got,
                                      "own statuses", self._read_status)

    async def _local_walk(self, path: str, params: dict, st: dict, got: Harvest, what: str,
                          read: Callable[[Any, Harvest], tuple[Message, datetime] | None]) -> bool:
        """Notifications or the account's posts: ids are given in order here, so `since_id` is exact.

        The first run has no `since_id` yet and walks back `backfill_hours` by time instead.
        The walk's newest id becomes `since_id` when its last page is stored.
        """
        if st.get("since"):
            params["since_id"] = st["since"]
        if st.get("page"):
            params["max_id"] = st["page"]
        resp = await self._get(path, params, what)
        walk = None if st.get("since") else \
            Walk(st, self._ctx.now(), timedelta(hours=self.options.backfill_hours), timedelta(0))
        items, reached = expect(resp.data, list, f"mastodon {path}"), False
        for item in items:
            st["top_id"] = _max_id(st.get("top_id"), item.get("id") if isinstance(item, dict) else None)
            found = read(item, got)
            if found is None:
                continue
            if walk is not None and not walk.saw(found[1]):
                reached = True  # from before the first run's backfill window
                continue
            got.messages.append(found[0])
        next_id = onward(st, _next_max_id(resp) if items and not reached else None, f"mastodon {path}")
        if next_id:
            st["page"] = next_id
            return False
        if walk is not None:
            walk.turn(None)
        st.pop("page", None)
        top = st.pop("top_id", None)
        if top:
            st["since"] = _max_id(st.get("since"), top)
            for key in ("mark", "start"):  # from now on the server filters by since_id
                st.pop(key, None)
        return True

    def _read_notification(self, item: Any, got: Harvest) -> tuple[Message, datetime] | None:
        if isinstance(item, dict) and (item.get("type", "mention") != "mention" or item.get("status") is None):
            return None  # another type (a server ignoring types[]), or the post was deleted
        status = got.parse(f"mastodon notification {_id_of(item)}", item,
                           lambda n: self._status(_object(n, "notification")["status"]))
        return None if status is None else (status, _time_or(item.get("created_at"), status.created_at))

    def _read_status(self, item: Any, got: Harvest) -> tuple[Message, datetime] | None:
        status = got.parse(f"mastodon status {_id_of(item)}", item, self._status)
        return None if status is None else (status, status.created_at)

    async def _public(self, kind: str, arg: str, st: dict, got: Harvest) -> bool:
        """A hashtag timeline or a search: walked back by time, since ids can arrive out of order."""
        walk = Walk(st, self._ctx.now(), timedelta(hours=self.options.backfill_hours), FEDERATION_LAG)
        params: dict[str, Any] = {"limit": self.options.page_size}
        if walk.page:
            params["max_id"] = walk.page
        if kind == "tag":
            path = f"/api/v1/timelines/tag/{quote(arg, safe='')}"
            resp = await self._get(path, params, f"#{arg}")
            items, next_id = expect(resp.data, list, f"mastodon {path}"), _next_max_id(resp)
        else:
            path = "/api/v2/search"
            params.update(q=arg, type="statuses", resolve="false")
            resp = await self._get(path, params, f"search {arg!r}")
            body = expect(resp.data, dict, f"mastodon {path}")
            items = expect(body.get("statuses"), list, f"mastodon {path}", "statuses")
            last = items[-1].get("id") if items and isinstance(items[-1], dict) else None
            next_id = last if len(items) >= self.options.page_size else None
        reached = False
        for item in items:
            status = got.parse(f"mastodon status {_id_of(item)}", item, self._status)
            if status is None:
                continue
            if not walk.saw(status.created_at):
                reached = True
                continue
            got.messages.append(status)
        return walk.turn(onward(st, next_id if items and not reached else None, f"mastodon {path}"))

    # --- payload -> Message ---------------------------------------------------------------
    def _status(self, item: Any) -> Message:
        if not isinstance(item, dict):
            raise TypeError(f"expected a status object, got {json_type(item)}")
        status_id = _required_id(item.get("id"), "id")
        account = item["account"]
        if not isinstance(account, dict):
            raise TypeError("account: expected an object")
        author_id = _required_id(account.get("id"), "account.id")
        content = item.get("content") or ""
        if not isinstance(content, str):
            raise TypeError("content: expected an HTML string")
        text = html_to_text(content)
        warning = item.get("spoiler_text")
        if isinstance(warning, str) and warning.strip():
            text = f"{warning.strip()}\n\n{text}".strip()
        reply_to = item.get("in_reply_to_id")
        brand = author_id == self._account_id()
        visibility = item.get("visibility", "public")
        if visibility == "direct":
            kind = "dm"
        elif brand:
            kind = "comment" if reply_to else "post"
        else:
            kind = "mention"
        acct = account.get("acct") if isinstance(account.get("acct"), str) else ""
        followers = account.get("followers_count")
        language = item.get("language")
        return Message(
            platform="mastodon", id=status_id, kind=kind, public=visibility in PUBLIC,
            author=Author(author_id, _text(account.get("display_name")) or acct,
                          followers if isinstance(followers, int) and not isinstance(followers, bool) else None),
            text=text, created_at=parse_time(item.get("created_at"), "created_at"),
            in_reply_to=str(reply_to) if reply_to else None, from_brand=brand,
            url=_text(item.get("url")) or _text(item.get("uri")) or None,
            lang=language if isinstance(language, str) and language else None,
            extra={"acct": acct} if acct else {})

    # --- HTTP -----------------------------------------------------------------------------
    async def _ready(self) -> None:
        if not self._token:
            self._token = self._ctx.secret(self.options.access_token_env, f"{self.name}: access token")
        if self._session is None or self._session.closed:
            self._session = new_session(self.options.timeout_seconds,
                                        headers={"Authorization": f"Bearer {self._token}"})
        if self._account is None:  # who the brand is: its posts are `from_brand`
            resp = await self._get("/api/v1/accounts/verify_credentials", {}, "verify_credentials")
            account = expect(resp.data, dict, "mastodon /api/v1/accounts/verify_credentials")
            if not account.get("id"):
                raise TransientError(f"{self.name}: verify_credentials returned no account id")
            self._account = account

    def _account_id(self) -> str:
        return str((self._account or {}).get("id", ""))

    async def _get(self, path: str, params: dict, what: str) -> JsonResponse:
        now = self._ctx.now()
        self._pause.check(now)
        assert self._session is not None
        label = f"{self.name} {what}"
        resp = await request_json(self._session, "GET", self._base + path, params=params, what=label)
        reset = _reset(resp.headers, now)
        if resp.status == 429:
            when = f" until {reset:%H:%M:%S} UTC" if reset else ""
            raise RateLimited(f"{label}: rate limited (HTTP 429{when})", reset_at=reset)
        if resp.status == 401:
            raise AuthFailed(f"{label}: the access token was refused (HTTP 401: {_error(resp.data)})")
        if resp.status == 403:
            raise AuthFailed(f"{label}: HTTP 403: {_error(resp.data)} (the token needs the scopes "
                             f"read:accounts read:notifications read:statuses read:search)")
        if not resp.ok:
            raise TransientError(f"{label}: HTTP {resp.status}: {_error(resp.data)}")
        self._pause.note(header_number(resp.headers, "X-RateLimit-Remaining"), reset)
        return resp


def _reset(headers, now: datetime) -> datetime | None:
    """`X-RateLimit-Reset` is an ISO 8601 time on Mastodon; `Retry-After` if a proxy sent one."""
    value = headers.get("X-RateLimit-Reset")
    if value:
        try:
            return parse_time(value, "X-RateLimit-Reset")
        except MessageFormatError:
            pass
    return retry_after(headers, now)


def _time_or(value: Any, default: datetime) -> datetime:
    try:
        return parse_time(value)
    except MessageFormatError:
        return default


def _next_max_id(resp: JsonResponse) -> str | None:
    """`max_id` of the `Link: rel="next"` page (absent when the page was the last)."""
    target = link_header(resp.headers.get("Link")).get("next")
    return URL(target).query.get("max_id") if target else None


def _max_id(a: Any, b: Any) -> str | None:
    """The newer of two Mastodon ids (numeric strings of any length; other servers: ordered strings)."""
    values = [str(v) for v in (a, b) if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v)]
    if not values:
        return None
    return max(values, key=lambda v: (len(v), v) if v.isdigit() else (0, v))


def _object(item: Any, what: str) -> dict:
    """`item` if it is an object; a list entry that is not one is quarantined, never skipped unseen."""
    if not isinstance(item, dict):
        raise TypeError(f"expected a {what} object, got {json_type(item)}")
    return item


def _required_id(value: Any, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise MessageFormatError(field, "expected a non-empty id string")
    return value


def _id_of(item: Any) -> str:
    value = item.get("id") if isinstance(item, dict) else None
    return str(value) if isinstance(value, (str, int)) and value != "" else "(no id)"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _error(body: Any) -> str:
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return "no error message"
