"""Instagram connector (Instagram API with Facebook Login, via the Graph API).

A round reads, in order:
1. `/{ig-user}/media`, newest first, back to `watch_days`: the brand's own posts; a post whose
   `comments_count` changed since the last round is queued;
2. `/{media}/comments` of each queued post, every page, with the first page of `replies`
   (Instagram promises no order, so a changed post is re-read whole; the store keeps each
   comment once);
3. `/{ig-user}/tags`: posts by others that tag the brand, until older than the last round.
All messages are platform "instagram". Comments written by the account itself (`from.id` is
the account, or its username) are brand replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from connectors import ConnectorContext
from connectors.graph import (
    DEFAULT_BASE_URL, DEFAULT_VERSION, Collected, GraphClient, GraphPoller, epoch, graph_time,
    node_id, opt_str, text_field,
)
from connectors.http import json_type
from webcare.models import Author, Message
from webcare.settings import api_address, at_least, env_name, positive, setting

MEDIA_FIELDS = "id,caption,timestamp,permalink,username,comments_count"
_COMMENT = "id,text,timestamp,username,from{id,username},parent_id"
COMMENT_FIELDS = f"{_COMMENT},replies{{{_COMMENT}}}"
TAG_FIELDS = "id,caption,timestamp,permalink,username"


def _page_size(value: int) -> str | None:
    return None if 1 <= value <= 100 else f"expected 1 to 100, got {value!r}"


@dataclass(frozen=True)
class Options:
    ig_user_id: str = setting(help="id of the Instagram professional account (IG User id)")
    access_token_env: str = setting("IG_ACCESS_TOKEN", check=env_name,
                                    help="environment variable holding the access token")
    app_secret_env: str = setting("", check=env_name,
                                  help="optional: variable holding the app secret (sends appsecret_proof)")
    comments: bool = setting(True, help="read comments and replies on the account's own posts")
    mentions: bool = setting(True, help="read posts by others that tag the account")
    watch_days: float = setting(7.0, check=positive, help="keep re-checking posts this young for new comments")
    base_url: str = setting(DEFAULT_BASE_URL, check=api_address,
                            help="Graph API host (a proxy or a test server)")
    api_version: str = setting(DEFAULT_VERSION, help="Graph API version")
    page_size: int = setting(50, check=_page_size, help="items per request (1-100)")
    backfill_hours: float = setting(24.0, check=at_least(0), help="how far back the first run reads")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a request after this")
    throttle_percent: float = setting(90.0, check=positive,
                                      help="pause when a Graph usage header reaches this percentage")


class InstagramConnector(GraphPoller):
    type = "instagram"
    Options = Options
    stages = ("media", "comments", "tags")
    queues = {"comments": "media_queued"}

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "InstagramConnector":
        return cls(name, options, ctx)

    def enabled(self, stage: str) -> bool:
        return self.options.mentions if stage == "tags" else self.options.comments

    # --- stages -------------------------------------------------------------------------
    async def _stage_media(self, client: GraphClient, state: dict, out: Collected) -> bool:
        watch_from = epoch(self._ctx.now() - timedelta(days=self.options.watch_days))
        page = await self.fetch(client, state, f"{self.options.ig_user_id}/media", {"fields": MEDIA_FIELDS})
        counts = state.setdefault("counts", {})
        queued = {entry[0] for entry in state["media_queued"]}
        oldest = None
        for item in page.items:
            post = out.parse("instagram media", item, self._media)
            if post is None:
                continue
            if isinstance(item.get("username"), str):
                state["username"] = item["username"]
            oldest = min(oldest or post.created_at, post.created_at)
            posted = epoch(post.created_at)
            if posted >= state["start"]:
                out.messages.append(post)
            count = item.get("comments_count")  # None if withheld: then always re-read
            known = counts.get(post.id)
            changed = count is None or known is None or known[0] != count
            if posted >= watch_from and count != 0 and changed and post.id not in queued:
                state["media_queued"].append([post.id, count, posted])
                queued.add(post.id)
        done = self.walk_done(state, page, oldest, watch_from)
        if done:  # forget posts that left the watch window
            state["counts"] = {k: v for k, v in counts.items() if v[1] >= watch_from}
        return done

    async def _stage_comments(self, client: GraphClient, state: dict, out: Collected) -> bool:
        media_id, count, posted = state["media_queued"][0]
        brand = state.get("username", "")
        page = await self.fetch(client, state, f"{media_id}/comments", {"fields": COMMENT_FIELDS})
        for item in page.items:
            comment = out.parse("instagram comment", item, lambda i: self._comment(i, media_id, media_id, brand))
            if comment is None:
                continue
            self._keep(state, out, comment)
            for reply in out.parse("instagram replies of comment", item, _replies) or []:
                answer = out.parse("instagram comment", reply,
                                   lambda i: self._comment(i, media_id, comment.id, brand))
                if answer is not None:
                    self._keep(state, out, answer)
        if page.next is None or not page.items:
            state.setdefault("counts", {})[media_id] = [count, posted]
            state["media_queued"].pop(0)
            state["next"] = None
        else:
            state["next"] = page.next
        return not state["media_queued"]

    async def _stage_tags(self, client: GraphClient, state: dict, out: Collected) -> bool:
        floor = self.floor(state, "tags")
        page = await self.fetch(client, state, f"{self.options.ig_user_id}/tags", {"fields": TAG_FIELDS})
        oldest = None
        for item in page.items:
            tag = out.parse("instagram tag", item, self._tag)
            if tag is None:
                continue
            self.saw(state, "tags", tag.created_at)
            oldest = min(oldest or tag.created_at, tag.created_at)
            if epoch(tag.created_at) >= state["start"]:
                out.messages.append(tag)
        return self.walk_done(state, page, oldest, floor)

    @staticmethod
    def _keep(state: dict, out: Collected, message: Message) -> None:
        if epoch(message.created_at) >= state["start"]:  # not before the first run's window
            out.messages.append(message)

    # --- payload -> Message -------------------------------------------------------------
    def _media(self, item: dict) -> Message:
        username = opt_str(item.get("username")) or ""
        return Message(
            platform="instagram", id=node_id(item), kind="post", public=True,
            author=Author(self.options.ig_user_id, username), text=text_field(item.get("caption"), "caption"),
            created_at=graph_time(item["timestamp"], "timestamp"), from_brand=True,
            url=opt_str(item.get("permalink")))

    def _comment(self, item: dict, media_id: str, parent: str, brand_username: str) -> Message:
        who = item.get("from") or {}
        if not isinstance(who, dict):
            raise TypeError("from: expected an object")
        username = opt_str(item.get("username")) or opt_str(who.get("username")) or ""
        raw_id = who.get("id")
        author_id = str(raw_id) if isinstance(raw_id, (str, int)) and raw_id != "" else username
        if not author_id:
            raise ValueError("comment has neither from.id nor username")
        brand = author_id == self.options.ig_user_id or (username != "" and username == brand_username)
        parent_id = item.get("parent_id") or parent
        return Message(
            platform="instagram", id=node_id(item), kind="comment", public=True,
            author=Author(author_id, username), text=text_field(item["text"], "text"),
            created_at=graph_time(item["timestamp"], "timestamp"), conversation_id=media_id,
            in_reply_to=str(parent_id), from_brand=brand)

    def _tag(self, item: dict) -> Message:
        username = opt_str(item.get("username"))
        if username is None:
            raise ValueError("username: expected the author's username")
        return Message(
            platform="instagram", id=node_id(item), kind="mention", public=True,
            author=Author(username, username), text=text_field(item.get("caption"), "caption"),
            created_at=graph_time(item["timestamp"], "timestamp"), conversation_id=node_id(item),
            url=opt_str(item.get("permalink")))


def _replies(item: dict) -> list:
    """The first page of a comment's `replies` edge; a wrong shape quarantines the replies, not the comment."""
    replies = item.get("replies")
    if replies is None:
        return []  # Instagram leaves the edge out of a comment without replies
    if not isinstance(replies, dict) or not isinstance(replies.get("data"), list):
        raise TypeError(f"replies: expected an object with a `data` list, got {json_type(replies)}")
    return replies["data"]
