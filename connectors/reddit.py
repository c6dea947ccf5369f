"""Reddit connector: the brand account's inbox, its own replies, searches and subreddits.

It signs in as a "script" app (OAuth2 password grant at `token_url`) and reads from
`base_url` (oauth.reddit.com). A round reads each stream in turn, one page per poll:
- `inbox`: /message/inbox: comment and post replies, username mentions, private messages;
- `sent`: /message/sent and `own`: /user/<username>/comments: the brand's own answers;
- `search:<query>`: /search?sort=new (posts; Reddit search syntax, e.g. `subreddit:x brand`);
- `new:<subreddit>`: /r/<subreddit>/new, every new post there.
Listings are newest first and paged with `after` (a fullname); a walk goes back to the
newest item of the last round minus an overlap (search results appear late, so more there).
The access token lasts a day; a 401 gets a new one once, a second 401 stops the connector.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import aiohttp

from connectors import AuthFailed, ConnectorContext, RateLimited, TransientError
from connectors.http import (
    Harvest, JsonResponse, Pause, Rounds, Walk, expect, header_number, json_type, later, new_session,
    onward, request_json, send_json,
)
from webcare.models import Author, Batch, Message, MessageFormatError
from webcare.settings import api_address, at_least, env_name, positive, setting

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=15)
SEARCH_OVERLAP = timedelta(hours=1)  # posts reach the search index minutes to an hour late
TOKEN_MARGIN = timedelta(minutes=5)  # renew the token this long before it expires
POST_OF_CONTEXT = re.compile(r"/comments/([a-z0-9]+)/")


def _page_size(value: int) -> str | None:
    return None if 1 <= value <= 100 else f"expected 1 to 100, got {value!r}"


@dataclass(frozen=True)
class Options:
    username: str = setting(help="the brand's Reddit account (the script app's developer)")
    password_env: str = setting("REDDIT_PASSWORD", check=env_name,
                                help="environment variable holding the account's password")
    client_id_env: str = setting("REDDIT_CLIENT_ID", check=env_name,
                                 help="environment variable holding the script app's client id")
    client_secret_env: str = setting("REDDIT_CLIENT_SECRET", check=env_name,
                                     help="environment variable holding the script app's secret")
    inbox: bool = setting(True, help="read replies, username mentions and private messages")
    own_posts: bool = setting(True, help="read the account's own comments and sent messages")
    search_queries: list[str] = setting(factory=list, help="Reddit searches for the brand (posts)")
    subreddits: list[str] = setting(factory=list, help="subreddits whose every new post is read")
    user_agent: str = setting("", help="User-Agent Reddit asks for; empty: webcare:v1 (by /u/<username>)")
    base_url: str = setting("https://oauth.reddit.com", check=api_address,
                            help="Reddit API host (or a test server)")
    token_url: str = setting("https://www.reddit.com/api/v1/access_token", check=api_address,
                             help="where the access token is obtained")
    page_size: int = setting(100, check=_page_size, help="items per request (1-100)")
    backfill_hours: float = setting(24.0, check=at_least(0), help="how far back the first run reads")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a request after this")


class RedditConnector:
    type = "reddit"
    Options = Options

    def __init__(self, name: str, options: Options, ctx: ConnectorContext):
        self.name = name
        self.options = options
        self._ctx = ctx
        self._base = options.base_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None
        self._token = ""
        self._expires: datetime | None = None
        self._pause = Pause(name)

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "RedditConnector":
        return cls(name, options, ctx)

    def streams(self) -> list[str]:
        o = self.options
        keys = ["inbox"] if o.inbox else []
        keys += ["sent", "own"] if o.own_posts else []
        keys += [f"search:{q}" for q in o.search_queries]
        return keys + [f"new:{s.removeprefix('r/')}" for s in o.subreddits]

    async def poll(self, cursor: str | None) -> Batch:
        keys = self.streams()
        if not keys:
            return Batch((), cursor)
        rounds = Rounds(cursor, keys, self.name)
        kind, _, arg = rounds.stage.partition(":")
        walk = Walk(rounds.state, self._ctx.now(), timedelta(hours=self.options.backfill_hours),
                    SEARCH_OVERLAP if kind == "search" else OVERLAP)
        got = Harvest()
        path, params = self._listing(kind, arg)
        params.update(limit=self.options.page_size, raw_json=1)
        if walk.page:
            params["after"] = walk.page
        body = await self._get(path, params)
        where = f"reddit {path}"
        data = expect(body.get("data"), dict, where, "data")
        children = expect(data.get("children"), list, where, "data.children")
        after = expect(data.get("after"), str, where, "data.after", missing=None)  # null on the last page
        reached = False
        for child in children:
            thing = got.parse(f"reddit {_fullname(child)}", child, lambda c: self._thing(c, kind))
            if thing is None:
                continue
            if not walk.saw(thing.created_at):
                reached = True
                continue
            got.messages.append(thing)
        more = rounds.turn(walk.turn(onward(walk.state, after if children and not reached else None, where)))
        return got.batch(rounds.dump(), more)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _listing(self, kind: str, arg: str) -> tuple[str, dict[str, Any]]:
        if kind == "inbox":
            return "/message/inbox", {}
        if kind == "sent":
            return "/message/sent", {}
        if kind == "own":
            return f"/user/{quote(self.options.username)}/comments", {"sort": "new"}
        if kind == "search":
            return "/search", {"q": arg, "sort": "new", "type": "link"}
        return f"/r/{quote(arg)}/new", {}

    # --- payload -> Message ---------------------------------------------------------------
    def _thing(self, child: Any, stream: str) -> Message | None:
        if not isinstance(child, dict):
            raise TypeError(f"expected a thing object, got {json_type(child)}")
        kind, item = child["kind"], child["data"]
        if kind not in ("t1", "t3", "t4"):
            return None  # accounts, subreddits, "more" placeholders
        if not isinstance(item, dict):
            raise TypeError("data: expected an object")
        fullname = item["name"]
        if not isinstance(fullname, str) or not fullname.startswith(f"{kind}_"):
            raise MessageFormatError("name", f"expected a {kind}_ fullname, got {fullname!r}")
        author = item.get("author") if isinstance(item.get("author"), str) and item.get("author") else None
        brand = author is not None and author.lower() == self.options.username.lower()
        created = _epoch(item.get("created_utc"))
        if kind == "t4":
            first = _opt(item.get("first_message_name"))
            body, subject = _str(item.get("body"), "body"), _str(item.get("subject"), "subject")
            sender = author or (f"r/{item['subreddit']}" if item.get("subreddit") else "reddit")
            return Message(
                platform="reddit", id=fullname, kind="dm", public=False, author=Author(sender, sender),
                text=body if first else f"{subject}\n\n{body}".strip(), created_at=created,
                conversation_id=first or fullname, in_reply_to=_opt(item.get("parent_id")), from_brand=brand,
                extra={"subject": subject})
        if author is None:
            raise MessageFormatError("author", "expected the author's username")
        if kind == "t1":
            context = _opt(item.get("permalink")) or _opt(item.get("context"))
            post = _opt(item.get("link_id")) or _post_of(context)
            mention = item.get("type") == "username_mention" or item.get("subject") == "username mention"
            return Message(
                platform="reddit", id=fullname, kind="mention" if mention and not brand else "comment",
                public=True, author=Author(author, author), text=_str(item.get("body"), "body"),
                created_at=created, conversation_id=post, in_reply_to=_opt(item.get("parent_id")),
                from_brand=brand, url=f"https://www.reddit.com{context}" if context else None,
                extra=_subreddit(item))
        title, selftext = _str(item.get("title"), "title"), _str(item.get("selftext"), "selftext")
        permalink = _opt(item.get("permalink"))
        return Message(
            platform="reddit", id=fullname, kind="post" if brand or stream == "new" else "mention",
            public=True, author=Author(author, author), text=f"{title}\n\n{selftext}".strip(),
            created_at=created, conversation_id=fullname, from_brand=brand,
            url=f"https://www.reddit.com{permalink}" if permalink else None, extra=_subreddit(item))

    # --- token and requests ---------------------------------------------------------------
    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            agent = self.options.user_agent or f"webcare:v1 (by /u/{self.options.username})"
            self._http = new_session(self.options.timeout_seconds, headers={"User-Agent": agent})
        return self._http

    async def _sign_in(self) -> None:
        o, ctx = self.options, self._ctx
        client_id = ctx.secret(o.client_id_env, f"{self.name}: client id")
        secret = ctx.secret(o.client_secret_env, f"{self.name}: client secret")
        password = ctx.secret(o.password_env, f"{self.name}: password")
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        what = f"{self.name} access token"
        resp = await send_json(self._client(), "POST", o.token_url, what=what,
                               headers={"Authorization": f"Basic {basic}"},
                               form={"grant_type": "password", "username": o.username, "password": password})
        self._check(resp, what)
        body = resp.data if isinstance(resp.data, dict) else {}
        if resp.status in (400, 401, 403) or body.get("error"):
            why = "the client id or secret" if resp.status == 401 else "the username or password"
            raise AuthFailed(f"{what}: {why} was refused ({_describe(resp)}); an account with two-factor "
                             f"authentication cannot sign in this way")
        if not resp.ok or not isinstance(body.get("access_token"), str):
            raise TransientError(f"{what}: no access token in the answer ({_describe(resp)})")
        self._token = body["access_token"]
        lifetime = body.get("expires_in") if isinstance(body.get("expires_in"), (int, float)) else 3600
        self._expires = self._ctx.now() + timedelta(seconds=lifetime) - TOKEN_MARGIN

    async def _get(self, path: str, params: dict[str, Any]) -> dict:
        what = f"{self.name} GET {path}"
        for attempt in (1, 2):
            self._pause.check(self._ctx.now())
            if not self._token or (self._expires is not None and self._ctx.now() >= self._expires):
                await self._sign_in()
            resp = await request_json(self._client(), "GET", self._base + path, params=params, what=what,
                                      headers={"Authorization": f"bearer {self._token}"})
            self._check(resp, what)
            if resp.status == 401 and attempt == 1:
                log.info("%s: the access token was refused; getting a new one", self.name)
                self._token = ""
                continue
            if resp.status in (401, 403):
                raise AuthFailed(f"{what}: {_describe(resp)}")
            if not resp.ok:
                raise TransientError(f"{what}: {_describe(resp)}")
            return expect(resp.data, dict, f"reddit {path}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _check(self, resp: JsonResponse, what: str) -> None:
        """`X-Ratelimit-Reset` is seconds until the budget returns: wait on a 429 or a spent budget."""
        seconds = header_number(resp.headers, "X-Ratelimit-Reset")
        reset = later(self._ctx.now(), seconds)
        if resp.status == 429:
            used = resp.headers.get("X-Ratelimit-Used", "?")
            raise RateLimited(f"{what}: rate limited (HTTP 429, {used} requests used this period)",
                              reset_at=reset)
        self._pause.note(header_number(resp.headers, "X-Ratelimit-Remaining"), reset)


def _epoch(value: Any) -> datetime:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise MessageFormatError("created_utc", f"expected Unix seconds, got {value!r}")
    return datetime.fromtimestamp(value, timezone.utc)


def _str(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MessageFormatError(field, "expected a string")
    return value


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _post_of(context: str | None) -> str | None:
    match = POST_OF_CONTEXT.search(context or "")
    return f"t3_{match.group(1)}" if match else None


def _subreddit(item: dict) -> dict:
    return {"subreddit": item["subreddit"]} if isinstance(item.get("subreddit"), str) else {}


def _fullname(child: Any) -> str:
    data = child.get("data") if isinstance(child, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else "(no name)"


def _describe(resp: JsonResponse) -> str:
    body = resp.data if isinstance(resp.data, dict) else {}
    detail = body.get("message") or body.get("error") or body.get("reason") or ""
    return f"HTTP {resp.status}{': ' + str(detail) if detail else ''}"
