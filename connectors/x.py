"""X (Twitter) connector: mentions, the brand's own posts, recent search and DMs (API v2, tweepy).

A round reads each stream in turn, one page per poll, and says `more` until all are caught up:
- `mentions`: GET /2/users/:id/mentions, `since_id` the newest seen, `pagination_token` pages;
- `own`: GET /2/users/:id/tweets, the brand's own posts and replies (how replies are seen);
- `search:<query>`: GET /2/tweets/search/recent per configured query, `next_token` pages;
- `dms`: GET /2/dm_events (needs user context). It has no `since_id`, so the walk pages back
  until it meets the newest event stored last round.
`since_id` moves to the walk's first `meta.newest_id` only when its last page is stored, so a
restart mid-walk resumes from the stored token and nothing between is skipped.

tweepy's AsyncClient hard-codes https://api.twitter.com; its public `session` attribute is
the seam: with `base_url` set it gets a `RebasedSession` that sends requests there instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from functools import partial
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import aiohttp
import tweepy
from tweepy.asynchronous import AsyncClient

from connectors import AuthFailed, ConnectorContext, ConnectorError, RateLimited, TransientError
from connectors.http import (
    Pause, RebasedSession, expect, from_epoch, header_number, new_session, onward, refused_elsewhere,
    transport_error, unexpected,
)
from webcare.models import Author, Batch, Message, MessageFormatError, Rejected, parse_time, quarantined
from webcare.settings import api_address, at_least, env_name, positive, setting

log = logging.getLogger(__name__)


class _HideAuthorization(logging.Filter):
    """tweepy logs each request's headers at DEBUG (`webcare -v`), the bearer token or the
    OAuth 1.0a header among them: their values are masked, the rest of the line kept."""

    HEADER = re.compile(r"""(['"]Authorization['"]\s*:\s*(['"])(?:\w+ )?).*?(?=\2)""")

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "Authorization" in text:
            record.msg, record.args = self.HEADER.sub(r"\1…", text), ()  # 'Bearer …', 'OAuth …'
        return True


logging.getLogger("tweepy.asynchronous.client").addFilter(_HideAuthorization())  # a logger's own records only

TWEET_FIELDS = "id,text,author_id,created_at,conversation_id,referenced_tweets,lang,note_tweet"
USER_FIELDS = "id,name,username,public_metrics"
DM_FIELDS = "id,event_type,text,sender_id,dm_conversation_id,created_at"
USAGE_CAP_RETRY = timedelta(hours=6)  # a monthly cap has no reset header: look again this often
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=5)  # recent search reaches back 7 days
ITEM_ERRORS = (MessageFormatError, KeyError, TypeError, ValueError, AttributeError)


def _page_size(value: int) -> str | None:
    return None if 10 <= value <= 100 else f"expected 10 to 100, got {value!r}"


@dataclass(frozen=True)
class Options:
    user_id: str = setting("", help="numeric id of the brand's X account; empty: asked from "
                           "GET /2/users/me (needs user-context credentials)")
    bearer_token_env: str = setting(
        "X_BEARER_TOKEN", check=env_name,
        help="variable holding an OAuth 2.0 token: app-only (mentions, own posts, search) or a "
        "user access token with dm.read (everything)")
    consumer_key_env: str = setting("", check=env_name, help="OAuth 1.0a user context (optional)")
    consumer_secret_env: str = setting("", check=env_name, help="OAuth 1.0a user context")
    access_token_env: str = setting("", check=env_name, help="OAuth 1.0a user context")
    access_token_secret_env: str = setting("", check=env_name, help="OAuth 1.0a user context")
    mentions: bool = setting(True, help="read posts that mention the account")
    own_posts: bool = setting(True, help="read the account's own posts and replies")
    search_queries: list[str] = setting(factory=list, help="recent-search queries for the brand")
    dms: bool = setting(False, help="read direct messages (needs user-context credentials)")
    page_size: int = setting(100, check=_page_size, help="posts per request (10-100)")
    backfill_hours: float = setting(24.0, check=at_least(0), help="how far back the first run reads")
    base_url: str = setting("", check=lambda v: api_address(v) if v else None,
                            help="send requests here instead of https://api.twitter.com")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a request after this")


class XConnector:
    type = "x"
    Options = Options

    def __init__(self, name: str, options: Options, ctx: ConnectorContext):
        self.name = name
        self.options = options
        self._ctx = ctx
        self._client: AsyncClient | None = None
        self._user_context = False  # OAuth 1.0a credentials are configured
        self._user_id = options.user_id
        self._pause = Pause(name, " (x-rate-limit-remaining: 0)")

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "XConnector":
        return cls(name, options, ctx)

    def streams(self) -> list[str]:
        o = self.options
        keys = (["mentions"] if o.mentions else []) + (["own"] if o.own_posts else [])
        keys += [f"search:{q}" for q in o.search_queries]
        return keys + (["dms"] if o.dms else [])

    async def poll(self, cursor: str | None) -> Batch:
        keys = self.streams()
        if not keys:
            return Batch((), cursor)
        client = await self._ready()
        state = _load(cursor, self.name)
        stage = state["stage"] if state["stage"] in keys else keys[0]
        streams = {k: v for k, v in state["streams"].items() if k in keys}
        stream = streams.setdefault(stage, {})
        messages: list[Message] = []
        rejected: list[Rejected] = []
        if stage == "dms":
            finished = await self._dm_page(client, stream, messages, rejected)
        else:
            finished = await self._tweet_page(client, stage, stream, messages, rejected)
        more = True
        if finished:
            index = keys.index(stage) + 1
            more = index < len(keys)
            stage = keys[index] if more else keys[0]
        new_state = {"v": 1, "stage": stage, "streams": streams}
        return Batch(tuple(messages), json.dumps(new_state, sort_keys=True), more, tuple(rejected))

    async def aclose(self) -> None:
        if self._client is not None and self._client.session is not None:
            await self._client.session.close()
            self._client.session = None

    # --- streams ------------------------------------------------------------------------
    async def _tweet_page(self, client: AsyncClient, key: str, st: dict, messages: list[Message],
                          rejected: list[Rejected]) -> bool:
        kind, _, query = key.partition(":")
        params: dict[str, Any] = {"max_results": self.options.page_size, "tweet_fields": TWEET_FIELDS,
                                  "expansions": "author_id", "user_fields": USER_FIELDS}
        if st.get("since_id"):
            params["since_id"] = st["since_id"]
        else:
            window = SEARCH_WINDOW if kind == "search" else None
            params["start_time"] = st.setdefault("start_time", self._backfill_start(window))
        if st.get("token"):
            params["next_token" if kind == "search" else "pagination_token"] = st["token"]
        user_auth = not client.bearer_token
        if kind == "search":
            call = partial(client.search_recent_tweets, query, user_auth=user_auth, **params)
            where = "x /2/tweets/search/recent"
        else:
            method = client.get_users_mentions if kind == "mentions" else client.get_users_tweets
            call = partial(method, self._user_id, user_auth=user_auth, **params)
            where = f"x /2/users/{self._user_id}/{'mentions' if kind == 'mentions' else 'tweets'}"
        try:
            body = await self._call(call, key, where)
        except _BadPaginationToken:
            log.warning("%s: %s: the pagination token was refused; restarting that walk", self.name, key)
            st.pop("token", None)
            st.pop("newest", None)
            return False
        items, meta = _page(body, where)
        if not st.get("token"):
            newest = expect(meta.get("newest_id"), str, where, "meta.newest_id", missing=None)
            if newest is not None and not newest.isdigit():
                raise unexpected(where, "meta.newest_id", "a numeric id string", newest)
            st["newest"] = newest
        users = _users(body, where)
        for item in items:
            tweet = _parse(rejected, "x post", item, lambda t: self._tweet(t, users))
            if tweet is not None:
                messages.append(tweet)
        next_token = onward(st, meta.get("next_token") if items else None, where, key="token")
        if next_token:
            st["token"] = next_token
            return False
        if st.get("newest"):
            st["since_id"] = _max_id(st.get("since_id"), st["newest"])
            st.pop("start_time", None)
        st.pop("token", None)
        st.pop("newest", None)
        return True

    async def _dm_page(self, client: AsyncClient, st: dict, messages: list[Message],
                       rejected: list[Rejected]) -> bool:
        params: dict[str, Any] = {"max_results": self.options.page_size, "dm_event_fields": DM_FIELDS,
                                  "event_types": "MessageCreate", "expansions": "sender_id",
                                  "user_fields": USER_FIELDS}
        if st.get("token"):
            params["pagination_token"] = st["token"]
        where = "x /2/dm_events"
        body = await self._call(partial(client.get_direct_message_events,
                                        user_auth=self._user_context, **params), "dms", where)
        seen = int(st["seen"]) if st.get("seen") else None
        floor = parse_time(st.setdefault("start_time", self._backfill_start(None))) if seen is None else None
        items, meta = _page(body, where)
        users = _users(body, where)
        reached = False
        for item in items:
            if isinstance(item, dict) and item.get("event_type", "MessageCreate") != "MessageCreate":
                continue  # joins and leaves of group conversations
            try:
                event_id = int(_snowflake(item["id"]))
            except ITEM_ERRORS as exc:
                rejected.append(_reject("x dm", item, exc))
                continue
            st["newest"] = str(max(event_id, int(st.get("newest") or 0)))
            if seen is not None and event_id <= seen:
                reached = True  # stored last round: everything further back is too
                continue
            message = _parse(rejected, "x dm", item, lambda e: self._dm(e, users))
            if message is not None and floor is not None and message.created_at < floor:
                reached = True  # older than the first run's backfill window
            elif message is not None:
                messages.append(message)
        next_token = onward(st, meta.get("next_token") if items and not reached else None, where, key="token")
        if next_token:
            st["token"] = next_token
            return False
        if st.get("newest"):
            st["seen"] = str(max(int(st["newest"]), seen or 0))
        for key in ("token", "newest", "start_time"):
            st.pop(key, None)
        return True

    # --- payload -> Message -------------------------------------------------------------
    def _tweet(self, item: dict, users: dict[str, dict]) -> Message:
        tweet_id = _snowflake(item["id"])
        author_id = _snowflake(item["author_id"])
        text = item["text"]
        note = item.get("note_tweet")
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            text = note["text"]  # the full text of a long post
        if not isinstance(text, str):
            raise TypeError("text: expected a string")
        refs = item.get("referenced_tweets") or []
        reply_to = next((str(r["id"]) for r in refs if r.get("type") == "replied_to"), None)
        brand = author_id == self._user_id
        user = users.get(author_id, {})
        username = user.get("username") if isinstance(user.get("username"), str) else None
        lang = item.get("lang") if isinstance(item.get("lang"), str) else None
        return Message(
            platform="x", id=tweet_id, kind=("comment" if reply_to else "post") if brand else "mention",
            public=True, author=_author(author_id, user), text=text,
            created_at=parse_time(item["created_at"], "created_at"),
            conversation_id=_opt_id(item.get("conversation_id")), in_reply_to=reply_to,
            from_brand=brand, url=f"https://x.com/{username or 'i'}/status/{tweet_id}",
            lang=None if lang in (None, "und", "zxx", "qme", "qht") else lang,
            extra={"username": username} if username else {})

    def _dm(self, item: dict, users: dict[str, dict]) -> Message:
        sender = _snowflake(item["sender_id"])
        text = item["text"]
        if not isinstance(text, str):
            raise TypeError("text: expected a string")
        return Message(
            platform="x", id=_snowflake(item["id"]), kind="dm", public=False,
            author=_author(sender, users.get(sender, {})), text=text,
            created_at=parse_time(item["created_at"], "created_at"),
            conversation_id=_opt_id(item.get("dm_conversation_id")), from_brand=sender == self._user_id)

    # --- the client and its errors ------------------------------------------------------
    async def _ready(self) -> AsyncClient:
        """The client, its session and the brand's user id (looked up once if not configured)."""
        if self._client is None:
            self._client = self._new_client()
        if self._client.session is None or self._client.session.closed:
            session = new_session(self.options.timeout_seconds)
            self._client.session = RebasedSession(session, self.options.base_url) \
                if self.options.base_url else session
        if not self._user_id:
            client = self._client
            body = await self._call(partial(client.get_me, user_auth=self._user_context,
                                            user_fields="id,username"), "users/me", "x /2/users/me")
            data = expect(body.get("data"), dict, "x /2/users/me", "data", missing={})
            if not data.get("id"):
                raise TransientError(f"{self.name}: GET /2/users/me returned no user id")
            self._user_id = str(data["id"])
        return self._client

    def _new_client(self) -> AsyncClient:
        o, ctx = self.options, self._ctx
        names = (o.consumer_key_env, o.consumer_secret_env, o.access_token_env, o.access_token_secret_env)
        oauth1: tuple[str, ...] = ()
        if any(names):
            oauth1 = tuple(ctx.secret(n, f"{self.name}: OAuth 1.0a credential") for n in names)
        bearer = ctx.env.get(o.bearer_token_env, "") if o.bearer_token_env else ""
        if not bearer and not oauth1:
            ctx.secret(o.bearer_token_env, f"{self.name}: bearer token")  # raises AuthFailed naming it
        self._user_context = bool(oauth1)
        key, secret, token, token_secret = oauth1 or (None, None, None, None)
        return AsyncClient(bearer_token=bearer or None, consumer_key=key, consumer_secret=secret,
                           access_token=token, access_token_secret=token_secret,
                           return_type=aiohttp.ClientResponse, wait_on_rate_limit=False)

    async def _call(self, call: Callable[[], Any], what: str, where: str) -> dict:
        """Run one tweepy request; map its failures; return the JSON body (`where`: "x <endpoint>")."""
        now = self._ctx.now()
        self._pause.check(now)
        label = f"{self.name} {what}"
        try:
            response = await call()
            body = await response.json(content_type=None)
        except tweepy.TooManyRequests as exc:
            raise self._rate_limited(exc, label, now) from None
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            raise AuthFailed(f"{label}: {refused_elsewhere(exc.response) or _one_line(exc)}") from None
        except tweepy.BadRequest as exc:
            if any("pagination" in str(m).lower() or "next_token" in str(m).lower()
                   for m in exc.api_messages):
                raise _BadPaginationToken() from None
            raise TransientError(f"{label}: request refused: {_one_line(exc)}") from None
        except tweepy.HTTPException as exc:  # 5xx and other statuses
            raise TransientError(f"{label}: {_one_line(exc)}") from None
        except aiohttp.ContentTypeError as exc:  # an error page that is not JSON
            if exc.status in (401, 403) and "html" in (exc.headers or {}).get("Content-Type", ""):
                raise TransientError(f"{label}: HTTP {exc.status} with a page that is not X's answer "
                                     f"(a proxy or firewall in between?)") from None
            raise _status_error(exc.status, label) from None
        except asyncio.TimeoutError:
            raise TransientError(f"{label}: no answer within {self.options.timeout_seconds:g} s") from None
        except aiohttp.ClientError as exc:
            raise transport_error(label, exc) from None
        except (ValueError, RecursionError) as exc:  # a body that is not JSON, or too deep to decode
            raise TransientError(f"{label}: the response is not JSON ({exc})") from None
        expect(body, dict, where)
        self._pause.note(header_number(response.headers, "x-rate-limit-remaining"),
                         from_epoch(response.headers.get("x-rate-limit-reset")))
        return body

    def _rate_limited(self, exc: tweepy.TooManyRequests, label: str, now: datetime) -> RateLimited:
        text = " ".join(str(m) for m in exc.api_messages) or str(exc)
        if "usage cap" in text.lower() or "usagecapexceeded" in text.lower():
            reset = now + USAGE_CAP_RETRY
            message = (f"{label}: the X API plan's usage cap is used up ({text}); no X data until it "
                       f"resets or the plan is upgraded; checking again every "
                       f"{USAGE_CAP_RETRY.total_seconds() / 3600:g} h")
            return RateLimited(message, reset_at=reset)  # the runner reports it, once
        reset = from_epoch(exc.reset_time)
        when = f", x-rate-limit-reset {reset:%Y-%m-%d %H:%M:%S} UTC" if reset else ""
        return RateLimited(f"{label}: rate limited (HTTP 429{when})", reset_at=reset)

    def _backfill_start(self, window: timedelta | None) -> str:
        """`start_time` for a first walk: `backfill_hours` ago, within the endpoint's reach."""
        back = timedelta(hours=self.options.backfill_hours)
        if window is not None:
            back = min(back, window)
        start = self._ctx.now() - back
        return start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _BadPaginationToken(ConnectorError):
    """X refused a stored pagination token (expired): restart that walk from `since_id`."""


def _load(cursor: str | None, name: str) -> dict:
    if cursor:
        try:
            state = json.loads(cursor)
        except json.JSONDecodeError:
            state = None
            log.warning("%s: unreadable cursor, starting afresh", name)
        if isinstance(state, dict) and state.get("v") == 1 and isinstance(state.get("streams"), dict):
            return state
    return {"v": 1, "stage": "", "streams": {}}


def _page(body: dict, where: str) -> tuple[list, dict]:
    """A list page's `data` and `meta`, checked: a wrong shape must not pass for the last page.

    X leaves `data` out when nothing matched. A 200 holding only `errors` (the user or the
    resource is gone) is a failure said politely, not an empty page.
    """
    if "errors" in body and "data" not in body and "meta" not in body:
        errors = body["errors"] if isinstance(body["errors"], list) else [body["errors"]]
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        detail = first.get("detail") or first.get("message") or first.get("title") or "no detail"
        raise TransientError(f"{where}: unexpected answer: errors only, no data: {_one_line(detail)}")
    meta = expect(body.get("meta"), dict, where, "meta", missing={})
    expect(meta.get("next_token"), str, where, "meta.next_token", missing=None)
    return expect(body.get("data"), list, where, "data", missing=[]), meta


def _users(body: dict, where: str) -> dict[str, dict]:
    includes = expect(body.get("includes"), dict, where, "includes", missing={})  # absent: no users
    users = expect(includes.get("users"), list, where, "includes.users", missing=[])
    return {str(u["id"]): u for u in users if isinstance(u, dict) and "id" in u}


def _author(author_id: str, user: dict) -> Author:
    name = user.get("name") if isinstance(user.get("name"), str) else ""
    metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else {}
    followers = metrics.get("followers_count")
    return Author(author_id, name, followers if isinstance(followers, int) else None)


def _parse(rejected: list[Rejected], source: str, item: Any,
           build: Callable[[Any], Message]) -> Message | None:
    """`build(item)`, or None after quarantining an item that cannot be read."""
    try:
        return build(item)
    except ITEM_ERRORS as exc:
        rejected.append(_reject(source, item, exc))
        return None


def _reject(source: str, item: Any, exc: Exception) -> Rejected:
    item_id = item.get("id") if isinstance(item, dict) else None
    error = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
    return quarantined(f"{source} {item_id if item_id else '(no id)'}", error,
                       json.dumps(item, ensure_ascii=False, sort_keys=True, default=repr))


def _snowflake(value: Any) -> str:
    """An X id: digits (X sends them as strings); raises ValueError otherwise."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isdigit():
        raise ValueError(f"id: expected a numeric id string, got {value!r}")
    return text


def _opt_id(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "" else None


def _max_id(a: str | None, b: str) -> str:
    return b if a is None or int(b) > int(a) else a


def _status_error(status: int, label: str) -> ConnectorError:
    if status in (401, 403):
        return AuthFailed(f"{label}: HTTP {status}")
    if status == 429:
        return RateLimited(f"{label}: rate limited (HTTP 429)")
    return TransientError(f"{label}: HTTP {status} with a body that is not JSON")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
