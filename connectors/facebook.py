"""Facebook Page connector: the page feed with every comment and reply, and Messenger.

A round (one `poll_seconds` tick, paged over as many polls as needed) reads:
1. `/{page}/feed` since the last round (own posts, visitor posts, posts tagging the page);
   a post's `updated_time` moves when it gets a comment, so this also finds old posts with
   new comments and queues them;
2. `/{post}/comments?filter=stream&order=reverse_chronological` for each queued post, newest
   first, until the comments are older than the last round (replies carry `parent`);
3. `/{page}/conversations?platform=messenger`, newest activity first, queueing the updated ones;
4. `/{conversation}/messages` for each, until older than the last round.
Posts and comments are platform "facebook"; Messenger messages are platform "messenger".
The page's own posts, comments and messages (`from.id` is the page) are brand replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connectors import ConnectorContext
from connectors.graph import (
    DEFAULT_BASE_URL, DEFAULT_VERSION, Collected, GraphClient, GraphPoller, graph_time, node_id,
    opt_str, text_field,
)
from webcare.models import Author, Message
from webcare.settings import api_address, at_least, env_name, positive, setting

FEED_FIELDS = "id,message,story,created_time,updated_time,from{id,name},permalink_url,message_tags"
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url"
MESSAGE_FIELDS = "id,message,created_time,from,to"


def _page_size(value: int) -> str | None:
    return None if 1 <= value <= 100 else f"expected 1 to 100, got {value!r}"


@dataclass(frozen=True)
class Options:
    page_id: str = setting(help="numeric id of the Facebook Page")
    access_token_env: str = setting("FB_PAGE_ACCESS_TOKEN", check=env_name,
                                    help="environment variable holding a Page access token")
    app_secret_env: str = setting("", check=env_name,
                                  help="optional: variable holding the app secret (sends appsecret_proof)")
    feed: bool = setting(True, help="read the page feed with its comments and replies")
    messenger: bool = setting(True, help="read the page's Messenger conversations")
    base_url: str = setting(DEFAULT_BASE_URL, check=api_address,
                            help="Graph API host (a proxy or a test server)")
    api_version: str = setting(DEFAULT_VERSION, help="Graph API version")
    page_size: int = setting(50, check=_page_size, help="items per request (1-100)")
    backfill_hours: float = setting(24.0, check=at_least(0), help="how far back the first run reads")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a request after this")
    throttle_percent: float = setting(90.0, check=positive,
                                      help="pause when a Graph usage header reaches this percentage")


class FacebookPageConnector(GraphPoller):
    type = "facebook"
    Options = Options
    stages = ("feed", "comments", "conversations", "messages")
    queues = {"comments": "posts", "messages": "conversations_queued"}
    listed_by = {"posts": "feed", "conversations_queued": "conversations"}

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "FacebookPageConnector":
        return cls(name, options, ctx)

    def enabled(self, stage: str) -> bool:
        return self.options.feed if stage in ("feed", "comments") else self.options.messenger

    # --- stages -------------------------------------------------------------------------
    async def _stage_feed(self, client: GraphClient, state: dict, out: Collected) -> bool:
        page_id = self.options.page_id
        floor = self.floor(state, "feed")
        page = await self.fetch(client, state, f"{page_id}/feed", {"fields": FEED_FIELDS, "since": floor})
        oldest = None
        for item in page.items:
            post = out.parse("facebook post", item, self._post)
            if post is None:
                continue
            out.messages.append(post)
            updated = _updated(item)
            self.saw(state, "feed", updated)
            oldest = min(oldest or updated, updated)
            self.queue_if_changed(state, "posts", post.id, updated)
        return self.walk_done(state, page, oldest, floor)

    async def _stage_comments(self, client: GraphClient, state: dict, out: Collected) -> bool:
        post_id = state["posts"][0][0]
        floor = self.floor(state, "comments")
        page = await self.fetch(client, state, f"{post_id}/comments", {
            "fields": COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological"})
        oldest = None
        for item in page.items:
            comment = out.parse("facebook comment", item, lambda i: self._comment(i, post_id))
            if comment is None:
                continue
            self.saw(state, "comments", comment.created_at)
            oldest = min(oldest or comment.created_at, comment.created_at)
            if comment.created_at.timestamp() >= state["start"]:  # not before the first run's window
                out.messages.append(comment)
        if self.walk_done(state, page, oldest, floor):
            self.dequeue(state, "posts")
        return not state["posts"]

    async def _stage_conversations(self, client: GraphClient, state: dict, out: Collected) -> bool:
        floor = self.floor(state, "conversations")
        page = await self.fetch(client, state, f"{self.options.page_id}/conversations",
                                {"platform": "messenger", "fields": "id,updated_time"})
        oldest = None
        for item in page.items:
            updated = out.parse("messenger conversation", item, _conversation_time)
            if updated is None:
                continue
            self.saw(state, "conversations", updated)
            oldest = min(oldest or updated, updated)
            self.queue_if_changed(state, "conversations_queued", item["id"], updated)
        return self.walk_done(state, page, oldest, floor)

    async def _stage_messages(self, client: GraphClient, state: dict, out: Collected) -> bool:
        queue = state["conversations_queued"]
        conversation = queue[0][0]
        floor = self.floor(state, "messages")
        page = await self.fetch(client, state, f"{conversation}/messages", {"fields": MESSAGE_FIELDS})
        oldest = None
        for item in page.items:
            message = out.parse("messenger message", item, lambda i: self._dm(i, conversation))
            if message is None:
                continue
            self.saw(state, "messages", message.created_at)
            oldest = min(oldest or message.created_at, message.created_at)
            if message.created_at.timestamp() >= state["start"]:
                out.messages.append(message)
        if self.walk_done(state, page, oldest, floor):
            self.dequeue(state, "conversations_queued")
        return not queue

    # --- payload -> Message -------------------------------------------------------------
    def _post(self, item: dict) -> Message:
        author = _author(item)
        brand = author.id == self.options.page_id
        tags = item.get("message_tags") or []
        tagged = any(isinstance(t, dict) and str(t.get("id")) == self.options.page_id for t in tags)
        _updated(item)  # a bad updated_time makes the whole item unreadable
        text = text_field(item.get("message") or item.get("story"), "message")
        return Message(
            platform="facebook", id=node_id(item), kind="mention" if tagged and not brand else "post",
            public=True, author=author, text=text, from_brand=brand,
            created_at=graph_time(item["created_time"], "created_time"),
            url=opt_str(item.get("permalink_url")))

    def _comment(self, item: dict, post_id: str) -> Message:
        author = _author(item)
        parent = item.get("parent")
        parent_id = node_id(parent) if parent is not None else post_id
        return Message(
            platform="facebook", id=node_id(item), kind="comment", public=True, author=author,
            text=text_field(item.get("message"), "message"),
            created_at=graph_time(item["created_time"], "created_time"),
            conversation_id=post_id, in_reply_to=parent_id,
            from_brand=author.id == self.options.page_id, url=opt_str(item.get("permalink_url")))

    def _dm(self, item: dict, conversation: str) -> Message:
        author = _author(item)
        return Message(
            platform="messenger", id=node_id(item), kind="dm", public=False, author=author,
            text=text_field(item.get("message"), "message"),
            created_at=graph_time(item["created_time"], "created_time"),
            conversation_id=conversation, from_brand=author.id == self.options.page_id)


def _conversation_time(item: dict) -> datetime:
    node_id(item)
    return graph_time(item["updated_time"], "updated_time")


def _updated(item: dict) -> datetime:
    """When the post or any comment on it last changed (Graph `updated_time`), else its creation."""
    if item.get("updated_time") is None:
        return graph_time(item["created_time"], "created_time")
    return graph_time(item["updated_time"], "updated_time")


def _author(item: dict) -> Author:
    who = item.get("from")
    if who is None:
        return Author("unknown", "")  # the platform withheld who wrote it
    if not isinstance(who, dict):
        raise TypeError("from: expected an object")
    return Author(node_id(who), opt_str(who.get("name")) or "")

