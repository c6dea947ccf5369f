"""A fake Telegram Bot API server: real HTTP on 127.0.0.1, the documented envelopes.

Calls arrive as POST /bot<token>/<method>, form-encoded (as python-telegram-bot sends them) or
JSON; replies are `{"ok": true, "result": ...}` or `{"ok": false, "error_code": ...,
"description": ..., "parameters": {...}}`. Like the real server it parses `parse_mode=HTML`
into plain text plus entities, refusing unknown tags, stray `<` and bare `&`, and counts the
4096-character limit on the parsed text, so a test sees exactly what a phone would show.

Tests push updates (button presses, commands) into the `getUpdates` queue, script failures
(`fail_next`: flood control, errors) or a whole outage (`down = True`: 502 Bad Gateway), and
wait on conditions with `wait_for` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from typing import Any, Callable

from aiohttp import web

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "webcare", "username": "webcare_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
DATE0 = 1_790_000_000
LIMIT = 4096

TAG_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
             "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
             "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
             "blockquote": "blockquote", "tg-emoji": "custom_emoji"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_CHARREF = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
JSON_PARAMS = {"reply_markup", "link_preview_options", "entities", "commands", "allowed_updates",
               "reply_parameters", "scope"}
INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "user_id"}
BOOL_PARAMS = {"disable_notification", "show_alert", "drop_pending_updates", "protect_content"}


def _decode(m: re.Match) -> str:
    ref = m.group(1)
    return _NAMED.get(ref) or chr(int(ref[2:], 16) if ref.startswith("#x") else int(ref[1:]))


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> tuple[str, list[dict]]:
    """Telegram's HTML parse mode: (shown text, entities); ApiError(400) on invalid markup."""
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, str, int, dict]] = []
    entities: list[dict] = []
    i = 0
    while i < len(markup):
        ch = markup[i]
        if ch == "<":
            m = _TAG.match(markup, i)
            name = m.group(2).lower() if m else ""
            if not m or name not in TAG_TYPES:
                raise ApiError(400, f"Bad Request: can't parse entities: Unsupported start tag "
                                    f"\"{name or markup[i + 1:i + 8]}\" at byte offset {len(markup[:i].encode())}")
            if m.group(1):
                if not stack or stack[-1][0] != name:
                    raise ApiError(400, f"Bad Request: can't parse entities: Unmatched end tag at byte "
                                        f"offset {len(markup[:i].encode())}, expected \"</{stack[-1][0] if stack else ''}>\"")
                tag, kind, start, attrs = stack.pop()
                if pos > start:
                    entity = {"type": kind, "offset": start, "length": pos - start}
                    if kind == "text_link":
                        entity["url"] = attrs.get("href", "")
                    entities.append(entity)
            else:
                attrs = {a.group(1).lower(): _CHARREF.sub(_decode, next((g for g in a.groups()[1:] if g is not None), ""))
                         for a in _ATTR.finditer(m.group(3))}
                if name == "a" and not re.match(r"^(https?|tg)://", attrs.get("href", "")):
                    raise ApiError(400, "Bad Request: can't parse entities: wrong HTTP URL")
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise ApiError(400, "Bad Request: can't parse entities: Tag \"span\" must have class \"tg-spoiler\"")
                stack.append((name, TAG_TYPES[name], pos, attrs))
            i = m.end()
            continue
        if ch == "&":
            m = _CHARREF.match(markup, i)
            if not m:
                raise ApiError(400, "Bad Request: can't parse entities: Character '&' is reserved and must "
                                    f"be escaped at byte offset {len(markup[:i].encode())}")
            ch = _decode(m)
            i = m.end()
        else:
            i += 1
        out.append(ch)
        pos += utf16(ch)
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: Can't find end tag corresponding to start "
                            f"tag \"{stack[-1][0]}\"")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


class FakeBotApi:
    def __init__(self, token: str = "123456789:AAFakeTokenForTests-0123456789abcdef"):
        self.token = token
        self.port: int | None = None
        self.calls: list[tuple[str, dict]] = []
        self.chats: dict[int, dict] = {}
        self.blocked: set[int] = set()
        self.read_only: set[int] = set()  # groups where members (the bot too) may not write
        self.migrated: dict[int, int] = {}  # a group -> the supergroup it was upgraded to
        self.messages: dict[tuple[int, int], dict] = {}
        self.rang: dict[tuple[int, int], bool] = {}  # (chat, message id) -> sent with notification
        self.updates: list[dict] = []
        self.answers: dict[str, dict] = {}
        self.commands: list[dict] = []
        self.down = False
        self._closing = False
        self._scripted: list[list] = []  # [method or None, calls to let through first, status, body]
        self._open_queries: set[str] = set()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._cond: asyncio.Condition | None = None

    # --- server -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> "FakeBotApi":
        """Listen on a free port (the same port again after `stop`, to model a restart)."""
        self._cond = self._cond or asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port or 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            self._closing = True
            await self._notify()  # long polls return at once instead of holding up the shutdown
            await self._runner.cleanup()
            self._runner = None
            self._closing = False

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append((method, params))
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if self.down:
                return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>",
                                    content_type="text/html")
            for n, script in enumerate(self._scripted):
                if script[0] in (None, method):
                    if script[1] > 0:
                        script[1] -= 1
                        break
                    del self._scripted[n]
                    if isinstance(script[3], str):  # not JSON: a proxy's page
                        return web.Response(status=script[2], text=script[3], content_type="text/html")
                    return web.json_response(script[3], status=script[2])
            handler = getattr(self, "api_" + method.lower(), None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
            return web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.code)
        finally:
            await self._notify()

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    # --- Bot API methods ----------------------------------------------------------------
    async def api_getme(self, p: dict) -> dict:
        return BOT_USER

    async def api_deletewebhook(self, p: dict) -> bool:
        return True

    async def api_close(self, p: dict) -> bool:
        return True

    async def api_setmycommands(self, p: dict) -> bool:
        for c in p.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")) or not 1 <= len(c.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = list(p.get("commands", []))
        return True

    async def api_getmycommands(self, p: dict) -> list:
        return self.commands

    async def api_getupdates(self, p: dict) -> list:
        offset = p.get("offset")
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        timeout = float(p.get("timeout") or 0)
        token = self.token
        if not self.updates and timeout > 0:
            try:
                async with self._cond:
                    await asyncio.wait_for(self._cond.wait_for(
                        lambda: bool(self.updates) or self.down or self._closing or self.token != token),
                        min(timeout, 30))
            except asyncio.TimeoutError:
                pass
        if self.down:
            raise ApiError(502, "Bad Gateway")
        if self.token != token:
            raise ApiError(401, "Unauthorized")
        return self.updates[: int(p.get("limit") or 100)]

    async def api_sendmessage(self, p: dict) -> dict:
        chat = self._chat(p.get("chat_id"))
        if chat["id"] in self.read_only:
            raise ApiError(400, "Bad Request: not enough rights to send text messages to the chat")
        text, entities = self._text(p)
        markup = _markup(p.get("reply_markup"))
        message_id = next(self._ids)
        msg = {"message_id": message_id, "date": DATE0 + message_id, "chat": chat, "from": BOT_USER,
               "text": text}
        if entities:
            msg["entities"] = entities
        if markup:
            msg["reply_markup"] = markup
        self.messages[(chat["id"], message_id)] = msg
        self.rang[(chat["id"], message_id)] = not p.get("disable_notification", False)
        return msg

    async def api_editmessagetext(self, p: dict) -> dict:
        msg = self._message(p)
        text, entities = self._text(p)
        markup = _markup(p.get("reply_markup"))
        if text == msg["text"] and entities == msg.get("entities", []) and markup == msg.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup of the message")
        msg.update(text=text, edit_date=msg["date"] + 1)
        msg.pop("entities", None)
        msg.pop("reply_markup", None)
        if entities:
            msg["entities"] = entities
        if markup:
            msg["reply_markup"] = markup
        return msg

    async def api_editmessagereplymarkup(self, p: dict) -> dict:
        msg = self._message(p)
        markup = _markup(p.get("reply_markup"))
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        return msg

    async def api_deletemessage(self, p: dict) -> bool:
        msg = self._message(p)
        del self.messages[(msg["chat"]["id"], msg["message_id"])]
        return True

    async def api_answercallbackquery(self, p: dict) -> bool:
        qid = p.get("callback_query_id")
        if qid not in self._open_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(qid)
        self.answers[qid] = p
        return True

    def _chat(self, chat_id: Any) -> dict:
        if chat_id in self.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self.chats[chat_id]

    def _message(self, p: dict) -> dict:
        chat = self._chat(p.get("chat_id"))
        msg = self.messages.get((chat["id"], p.get("message_id")))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return msg

    @staticmethod
    def _text(p: dict) -> tuple[str, list[dict]]:
        raw = p.get("text") or ""
        text, entities = parse_html(raw) if (p.get("parse_mode") or "").upper() == "HTML" else (raw, [])
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16(text) > LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    # --- test helpers -------------------------------------------------------------------
    def add_chat(self, chat_id: int, title: str = "") -> dict:
        """A chat the bot can write to: private for positive ids, a supergroup for negative ones."""
        chat = ({"id": chat_id, "type": "private", "first_name": title or f"user{chat_id}"} if chat_id > 0
                else {"id": chat_id, "type": "supergroup", "title": title or f"group{chat_id}"})
        self.chats[chat_id] = chat
        return chat

    def migrate(self, chat_id: int, new_id: int) -> None:
        """The group becomes a supergroup: its messages move along, the old id is refused."""
        self.migrated[chat_id] = new_id
        self.chats[new_id] = {**self.chats.pop(chat_id), "id": new_id, "type": "supergroup"}
        for (chat, message_id) in [key for key in self.messages if key[0] == chat_id]:
            msg = self.messages.pop((chat, message_id))
            self.messages[(new_id, message_id)] = {**msg, "chat": self.chats[new_id]}

    async def revoke(self, token: str) -> None:
        """The token is revoked (or replaced): every call with the old one gets 401, long polls too."""
        self.token = token
        await self._notify()

    @staticmethod
    def user(user_id: int, name: str) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": name, "username": name.lower()}

    def push_update(self, body: dict) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, **body})
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def press(self, chat_id: int, message_id: int, user: dict, data: str) -> str:
        """A user taps an inline button of a message the bot sent; returns the query id."""
        qid = f"cq{next(self._update_ids)}"
        self._open_queries.add(qid)
        message = self.messages.get((chat_id, message_id)) or {
            "message_id": message_id, "date": DATE0, "chat": self.chats.get(chat_id) or {"id": chat_id, "type": "private"},
            "text": "?"}
        self.push_update({"callback_query": {"id": qid, "from": user, "message": message,
                                             "chat_instance": f"ci{chat_id}", "data": data}})
        return qid

    def command(self, chat_id: int, user: dict, text: str) -> int:
        """A user sends a command (e.g. '/queue' or '/mute 2h') in a chat."""
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        name = text.split()[0]
        message_id = next(self._ids)
        self.push_update({"message": {"message_id": message_id, "date": DATE0 + message_id, "chat": chat,
                                      "from": user, "text": text,
                                      "entities": [{"type": "bot_command", "offset": 0, "length": utf16(name)}]}})
        return message_id

    def fail_next(self, method: str | None, code: int = 429, *, retry_after: int | None = None,
                  description: str | None = None, times: int = 1, after: int = 0,
                  body: dict | str | None = None) -> None:
        """After `after` more successful calls, the next `times` calls of `method` (None: any) fail;
        `body` replaces the error envelope (a str is sent as an HTML page)."""
        if body is None:
            body = {"ok": False, "error_code": code,
                    "description": description or (f"Too Many Requests: retry after {retry_after}"
                                                   if code == 429 else "Internal Server Error")}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
        self._scripted.append([method, after, code, body])
        self._scripted += [[method, 0, code, body] for _ in range(times - 1)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked after every request); return its value."""
        async def wait() -> Any:
            async with self._cond:
                while True:
                    result = predicate()
                    if result:
                        return result
                    await self._cond.wait()
        return await asyncio.wait_for(wait(), timeout)

    def sent(self, chat_id: int | None = None) -> list[dict]:
        """Messages created by sendMessage (current content), oldest first."""
        return [m for (cid, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1])
                if chat_id is None or cid == chat_id]

    def method_calls(self, method: str) -> list[dict]:
        return [p for m, p in self.calls if m == method]


def _markup(value: Any) -> dict | None:
    if not value:
        return None
    for row in value.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")  # like Telegram, a web host without a dot is refused (localhost, intranet)
            if url is not None and not re.match(r"^(tg://|https?://[^/?#]*\.)", url):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    return value


async def _params(request: web.Request) -> dict:
    if request.content_type == "application/json":
        raw = await request.json()
        return raw if isinstance(raw, dict) else {}
    raw = dict(await request.post()) if request.can_read_body else {}
    raw.update(request.query)
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            continue
        if key in JSON_PARAMS:
            value = json.loads(value)
        elif key in INT_PARAMS and re.fullmatch(r"-?\d+", value):
            value = int(value)
        elif key in BOOL_PARAMS:
            value = value.lower() == "true"
        params[key] = value
    return params
