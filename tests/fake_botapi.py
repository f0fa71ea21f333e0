"""A small fake Telegram Bot API server for end-to-end tests, over real HTTP on 127.0.0.1.

It serves ``getUpdates`` from a queue the test fills, records every call, can be told to fail
(429, 5xx, an HTML error page, 403, 400, a redirect) or to be slow, and checks every request
against Telegram's limits: a request Telegram would refuse is recorded in ``violations`` so
tests can assert there are none. It keeps a webhook as Telegram does (``setWebhook``,
``getWebhookInfo``, ``deleteWebhook``; ``getUpdates`` gets 409 while one is set), and
``WebhookSender`` posts updates to webhook replicas the way Telegram's servers do.

For talking to a person it also keeps a forum supergroup (``forum``: ``getChat``,
``getChatMember``, ``createForumTopic``, ``closeForumTopic``), every message a chat holds
(``messages``: what its members see, copies included) and ``copyMessage``, which copies content
only, as Telegram does. Telegram's refusals follow from state: a person in ``blocked`` (403),
a group the bot was ``removed`` from (403), a topic in ``deleted_topics`` (400 "message thread
not found").
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bot.content.html import check_html, to_plain, utf16_length

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Stay Safe", "username": "staysafe_test_bot"}
BUTTON_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                  "copy_text", "callback_game", "pay")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass
class Call:
    method: str
    params: dict
    ok: bool = True  # False when the fake answered with an injected failure


@dataclass
class FakeBotAPI:
    token: str
    check_limits: bool = True  # off only in benchmarks, where it would slow the fake itself
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)  # methods whose redirect was followed
    faults: dict[str, list[tuple]] = field(default_factory=dict)
    _updates: list[dict] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reply_waiters: dict[int, list[asyncio.Future]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    url: str = ""
    webhook: dict | None = None  # what setWebhook was last given
    chats: dict[int, dict] = field(default_factory=dict)  # getChat's answers
    members: dict[tuple[int, int], dict] = field(default_factory=dict)  # getChatMember's
    topics: dict[tuple[int, int], dict] = field(default_factory=dict)  # (chat, thread) → topic
    messages: dict[int, list[dict]] = field(default_factory=dict)  # chat → what it holds
    blocked: set[int] = field(default_factory=set)  # people who blocked the bot
    removed: set[int] = field(default_factory=set)  # groups the bot was removed from
    deleted_topics: set[tuple[int, int]] = field(default_factory=set)
    _thread_ids: itertools.count = field(default_factory=lambda: itertools.count(70))

    # ------------------------------------------------------------------ server
    async def start(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/moved/bot{token}/{method}", self._moved)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._notify()  # ends a long poll at once instead of letting it run out
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = {k: _maybe_json(v) for k, v in (await request.post()).items()}
        params.update({k: _maybe_json(v) for k, v in request.query.items()})
        fault = self._next_fault(method) or self._refusal(method, params)
        if isinstance(fault, float):  # slow, then answered as usual
            await asyncio.sleep(fault)
            fault = None
        if method != "getUpdates":
            self.calls.append(Call(method, params, ok=fault is None))
            self._notify()
            if fault is None and method in ("sendMessage", "editMessageText"):
                for waiter in self._reply_waiters.pop(int(params["chat_id"]), ()):
                    if not waiter.done():
                        waiter.set_result(params)
        if fault:
            return fault
        if method == "getUpdates" and self.webhook:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                          "use deleteWebhook to delete the webhook first")
        if self.check_limits:
            self._check(method, params)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except FakeRefusal as refusal:
            self.calls[-1].ok = False
            return _error(refusal.status, refusal.description)
        return web.json_response({"ok": True, "result": result})

    async def _moved(self, request: web.Request) -> web.StreamResponse:
        """Where a redirect points: a client that follows it is recorded and sent round again
        (a redirect loop, as a misconfigured proxy makes)."""
        self.followed.append(request.match_info["method"])
        self._notify()
        raise web.HTTPFound(request.path)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _next_fault(self, method: str) -> web.Response | float | None:
        queue = self.faults.get(method)
        if not queue:
            return None
        kind, *args = queue.pop(0)
        if kind == "429":
            return web.json_response({"ok": False, "error_code": 429,
                                      "description": "Too Many Requests: retry after "
                                      f"{args[0]}", "parameters": {"retry_after": args[0]}},
                                     status=429)
        if kind == "500":
            return _error(500, "Internal Server Error")
        if kind == "html502":
            return web.Response(status=502, content_type="text/html",
                                text="<html><body><h1>502 Bad Gateway</h1>nginx</body></html>")
        if kind == "403":
            return _error(403, "Forbidden: bot was blocked by the user")
        if kind == "400":
            return _error(400, f"Bad Request: {args[0]}")
        if kind == "delay":  # answered normally, after args[0] seconds
            return float(args[0])
        if kind == "redirect":  # args: the status (301, 302, 303, 307 or 308)
            return web.Response(status=args[0], headers={
                "Location": f"{self.url}/moved/bot{self.token}/{method}"},
                text=f"Moved to {self.url}/moved/bot{self.token}/{method}")
        raise ValueError(kind)

    # ------------------------------------------------------------------ methods
    def _m_getMe(self, params):
        return BOT_USER

    async def _m_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout:
            waiter = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout=min(timeout, 0.5))
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return self._updates[:100]

    def _m_sendMessage(self, params):
        return self._keep(self._message(params))

    def _m_editMessageText(self, params):
        return self._message(params, int(params["message_id"]))

    def _message(self, params, message_id: int | None = None):
        chat_id = int(params["chat_id"])
        message = {"message_id": message_id or next(self._message_ids), "date": int(time.time()),
                   "chat": self._chat(chat_id), "from": BOT_USER,
                   "text": to_plain(str(params.get("text", "")))}
        if params.get("message_thread_id"):
            message.update(message_thread_id=int(params["message_thread_id"]),
                           is_topic_message=True)
        return message

    def _chat(self, chat_id: int) -> dict:
        if chat_id in self.chats:
            return {k: v for k, v in self.chats[chat_id].items() if k in ("id", "type", "title",
                                                                           "is_forum")}
        return {"id": chat_id, "type": "private" if chat_id > 0 else "group"}

    def _keep(self, message: dict) -> dict:
        self.messages.setdefault(message["chat"]["id"], []).append(message)
        return message

    def _refusal(self, method: str, params: dict) -> web.Response | None:
        """What Telegram answers, given who blocked the bot, removed it, or deleted a topic."""
        if method not in ("sendMessage", "copyMessage", "createForumTopic", "closeForumTopic",
                          "editMessageText"):
            return None
        chat_id = int(params.get("chat_id", 0))
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.removed:
            return _error(403, "Forbidden: bot was kicked from the supergroup chat")
        thread = params.get("message_thread_id")
        if thread and (chat_id, int(thread)) in self.deleted_topics:
            return _error(400, "Bad Request: message thread not found")
        return None

    # ------------------------------------------------------------------ forums
    def forum(self, chat_id: int, *, is_forum: bool = True, supergroup: bool = True,
              admin: bool = True, can_manage_topics: bool = True) -> None:
        """A counsellors' group, and the bot's place in it."""
        self.chats[chat_id] = {"id": chat_id, "type": "supergroup" if supergroup else "group",
                               "title": "Counsellors", "is_forum": is_forum,
                               "accent_color_id": 0, "max_reaction_count": 11,
                               "accepted_gift_types": {"unlimited_gifts": False,
                                                       "limited_gifts": False,
                                                       "unique_gifts": False,
                                                       "premium_subscription": False,
                                                       "gifts_from_channels": False}}
        self.members[(chat_id, BOT_USER["id"])] = (
            bot_admin(can_manage_topics) if admin else {"status": "member", "user": BOT_USER})

    def _m_getChat(self, params):
        chat = self.chats.get(int(params["chat_id"]))
        if chat is None:
            raise FakeRefusal(400, "Bad Request: chat not found")
        return chat

    def _m_getChatMember(self, params):
        key = (int(params["chat_id"]), int(params["user_id"]))
        return self.members.get(key, {"status": "left", "user": BOT_USER})

    def _m_createForumTopic(self, params):
        chat_id = int(params["chat_id"])
        chat = self.chats.get(chat_id, {})
        member = self.members.get((chat_id, BOT_USER["id"]), {})
        if not chat.get("is_forum"):
            raise FakeRefusal(400, "Bad Request: the chat is not a forum")
        if not member.get("can_manage_topics"):
            raise FakeRefusal(400, "Bad Request: not enough rights to create a topic")
        thread = next(self._thread_ids)
        self.topics[(chat_id, thread)] = {"name": params["name"], "closed": False}
        return {"message_thread_id": thread, "name": params["name"], "icon_color": 7322096}

    def _m_closeForumTopic(self, params):
        topic = self.topics.get((int(params["chat_id"]), int(params["message_thread_id"])))
        if topic is None:
            raise FakeRefusal(400, "Bad Request: TOPIC_ID_INVALID")
        if topic["closed"]:
            raise FakeRefusal(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    def _m_copyMessage(self, params):
        source_chat, target = int(params["from_chat_id"]), int(params["chat_id"])
        source = next((m for m in self.messages.get(source_chat, ())
                       if m["message_id"] == int(params["message_id"])), None)
        if source is None:
            raise FakeRefusal(400, "Bad Request: message to copy not found")
        copy = {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": self._chat(target), "from": BOT_USER}
        copy.update({k: v for k, v in source.items() if k in COPIED})
        if params.get("message_thread_id"):
            copy.update(message_thread_id=int(params["message_thread_id"]),
                        is_topic_message=True)
        if params.get("reply_markup"):
            copy["reply_markup"] = params["reply_markup"]
        self._keep(copy)
        return {"message_id": copy["message_id"]}

    def _m_answerCallbackQuery(self, params):
        return True

    _m_setMyCommands = _m_setMyDescription = _m_setMyShortDescription = _m_answerCallbackQuery

    def _m_setWebhook(self, params):
        self.webhook = params
        return True

    def _m_deleteWebhook(self, params):
        self.webhook = None
        return True

    def _m_getWebhookInfo(self, params):
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": 0}

    # ------------------------------------------------------------------ limits
    def _check(self, method: str, params: dict) -> None:
        problems = []
        if method in ("sendMessage", "editMessageText"):
            text = str(params.get("text", ""))
            if params.get("parse_mode") == "HTML":
                problems += [f"HTML: {m}" for _, m in check_html(text)]
                text = to_plain(text)
            if not 1 <= utf16_length(text) <= 4096:
                problems.append(f"text length {utf16_length(text)} outside 1-4096")
            problems += _keyboard_problems(params.get("reply_markup"))
        if method == "copyMessage":
            problems += _keyboard_problems(params.get("reply_markup"))
        if method == "createForumTopic" and not 1 <= len(str(params.get("name", ""))) <= 128:
            problems.append("topic name outside 1-128 characters")
        if method == "answerCallbackQuery" and len(str(params.get("text", ""))) > 200:
            problems.append("callback answer over 200 characters")
        if method == "setMyCommands":
            commands = params.get("commands") or []
            if not 1 <= len(commands) <= 100:
                problems.append(f"{len(commands)} commands")
            for command in commands:
                if not COMMAND_RE.match(command.get("command", "")):
                    problems.append(f"bad command {command.get('command')!r}")
                if not 1 <= len(command.get("description", "")) <= 256:
                    problems.append(f"bad description for {command.get('command')}")
        if method == "setMyDescription" and len(str(params.get("description", ""))) > 512:
            problems.append("description over 512")
        if method == "setMyShortDescription" and len(
                str(params.get("short_description", ""))) > 120:
            problems.append("short description over 120")
        if method == "setWebhook":
            if not str(params.get("url", "")).startswith("https://"):
                problems.append("webhook url is not https")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(params.get("secret_token", ""))):
                problems.append("bad secret_token")
            if not 1 <= int(params.get("max_connections", 40)) <= 100:
                problems.append("max_connections outside 1-100")
        self.violations += [f"{method}: {p}" for p in problems]

    # ------------------------------------------------------------------ test helpers
    def push(self, update: dict) -> int:
        update_id = next(self._ids)
        self._updates.append({"update_id": update_id, **update})
        self._notify()
        return update_id

    def push_message(self, chat_id: int, text: str | None = None, **kw) -> int:
        return self.push(self.message_update(chat_id, text, **kw))

    def push_callback(self, chat_id: int, data: str, **kw) -> int:
        return self.push(self.callback(chat_id, data, **kw))

    def update(self, body: dict) -> dict:
        """An update with the next update_id, for a webhook (``push`` queues one for polling)."""
        return {"update_id": next(self._ids), **body}

    def message_update(self, chat_id: int, text: str | None = None, *,
                       user_id: int | None = None, language_code: str | None = "uk",
                       chat_type: str = "private", extra: dict | None = None,
                       first_name: str = "Test", username: str | None = None,
                       thread: int | None = None) -> dict:
        """A message someone writes (kept, so that it can be copied), as an update to push or
        to feed a dispatcher; ``thread``: in that topic of a forum (one the test did not
        create through the bot is the counsellors' own, named "Team")."""
        user = {"id": user_id or chat_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        chat = self._chat(chat_id) if chat_id in self.chats else {"id": chat_id,
                                                                   "type": chat_type}
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": chat, "from": user}
        if thread is not None:  # Telegram points it to the topic's first message
            message.update(message_thread_id=thread, is_topic_message=True,
                           reply_to_message=self._topic_start(chat_id, thread))
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": len(text.split()[0])}]
        message.update(extra or {})
        self._keep(message)
        return {"message": message}

    def _topic_start(self, chat_id: int, thread: int) -> dict:
        topic = self.topics.setdefault((chat_id, thread), {"name": "Team", "closed": False})
        return {"message_id": thread, "date": int(time.time()), "chat": self._chat(chat_id),
                "message_thread_id": thread, "is_topic_message": True,
                "forum_topic_created": {"name": topic["name"], "icon_color": 7322096}}

    def push_topic_closed(self, chat_id: int, thread: int, user_id: int) -> int:
        """A counsellor closed a topic: the service message every member gets."""
        self.topics[(chat_id, thread)]["closed"] = True
        return self.push_message(chat_id, None, user_id=user_id, thread=thread,
                                 extra={"forum_topic_closed": {}})

    def push_my_chat_member(self, chat_id: int, new: dict, by: int,
                            old: dict | None = None) -> int:
        """The bot's own membership changed: removed from or made admin of a group again, or
        blocked by a person (in their private chat: ``{"status": "kicked", …}``)."""
        self.members[(chat_id, BOT_USER["id"])] = new
        old = old or bot_admin(True)
        return self.push({"my_chat_member": {
            "chat": self._chat(chat_id), "date": int(time.time()),
            "from": {"id": by, "is_bot": False, "first_name": "Admin"},
            "old_chat_member": old, "new_chat_member": new}})

    def callback(self, chat_id: int, data: str, *, message_id: int = 1,
                 user_id: int | None = None, language_code: str = "uk",
                 chat_type: str = "private", first_name: str = "Test",
                 username: str | None = None) -> dict:
        user = {"id": user_id or chat_id, "is_bot": False, "first_name": first_name,
                "language_code": language_code}
        if username:
            user["username"] = username
        message = {"message_id": message_id, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": chat_type}, "from": BOT_USER, "text": "…"}
        return {"callback_query": {"id": str(next(self._ids)), "from": user,
                                   "chat_instance": "1", "message": message, "data": data}}

    def next_reply(self, chat_id: int) -> asyncio.Future:
        """A future for the next message shown in ``chat_id`` (made before the update is sent)."""
        future = asyncio.get_running_loop().create_future()
        self._reply_waiters.setdefault(chat_id, []).append(future)
        return future

    def copies(self, chat_id: int) -> list[Call]:
        """Messages copied into ``chat_id`` (Telegram accepted them), oldest first."""
        return [c for c in self.calls if c.method == "copyMessage" and c.ok
                and int(c.params["chat_id"]) == chat_id]

    async def wait_copies(self, count: int, chat_id: int, timeout: float = 15.0) -> list[Call]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.copies(chat_id)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} copies, got {len(self.copies(chat_id))}")
            waiter = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout=0.5)
        return self.copies(chat_id)

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages shown to people (new or edited), oldest first."""
        return [c for c in self.calls if c.method in ("sendMessage", "editMessageText")
                and c.ok and (chat_id is None or int(c.params["chat_id"]) == chat_id)]

    async def wait_sent(self, count: int, chat_id: int | None = None,
                        timeout: float = 15.0) -> list[Call]:
        """Wait until ``count`` messages have been shown (in ``chat_id``), then return them."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.sent(chat_id)) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                got = [c.params.get("text", "")[:60] for c in self.sent(chat_id)]
                raise AssertionError(f"expected {count} message(s), got {got}")
            waiter = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout=min(remaining, 0.5))
        return self.sent(chat_id)

    async def wait_call(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len([c for c in self.calls if c.method == method]) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} {method} call(s)")
            await asyncio.sleep(0.02)
        return [c for c in self.calls if c.method == method]


# What copyMessage carries over: the content, never who sent it or from where.
COPIED = ("text", "entities", "caption", "caption_entities", "photo", "voice", "document",
          "video", "audio", "sticker", "animation", "video_note", "location", "contact")


class FakeRefusal(Exception):
    """A method's refusal, answered as Telegram would (status and description)."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def bot_admin(can_manage_topics: bool) -> dict:
    """The bot as an administrator of a group (getChatMember's answer)."""
    return {"status": "administrator", "user": BOT_USER, "can_be_edited": False,
            "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
            "can_manage_video_chats": False, "can_restrict_members": False,
            "can_promote_members": False, "can_change_info": False, "can_invite_users": True,
            "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False,
            "can_send_welcome_messages": False, "can_manage_topics": can_manage_topics}


def _keyboard_problems(markup) -> list[str]:
    if not markup:
        return []
    problems = []
    for row in markup.get("inline_keyboard", []):
        for button in row:
            actions = [a for a in BUTTON_ACTIONS if a in button]
            if len(actions) != 1:
                problems.append(f"button {button.get('text')!r} has {len(actions)} actions")
            if not button.get("text"):
                problems.append("button without text")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                problems.append(f"callback_data {data!r} is {len(data.encode())} bytes")
            copy = button.get("copy_text")
            if copy is not None and not 1 <= len(copy.get("text", "")) <= 256:
                problems.append("copy_text outside 1-256")
            url = button.get("url")
            if url is not None and not re.match(r"^(https?|tg)://", url):
                problems.append(f"url {url!r} is not http(s) or tg")
    return problems


def _maybe_json(value):
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description},
                             status=status)


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookSender:
    """Telegram's side of a webhook, as its Bot API server does it (tdlib/telegram-bot-api,
    WebhookActor), through a load balancer as deploy/Caddyfile sets up Caddy.

    Telegram: each chat's updates one at a time, in update_id order, the next only once the
    previous one was answered 2xx; an update whose request failed or got another status is sent
    again, at once the first time, then after a growing pause. The balancer: replicas in turn;
    one that refuses the connection (down, restarting) is skipped for the next one.
    """

    def __init__(self, targets: list[str], secret: str | None, pause: float = 0.05,
                 timeout: float = 60.0, attempts: int = 100):
        self.targets = targets
        self.secret = secret
        self.pause = pause
        self.timeout = timeout
        self.attempts = attempts
        self.log: list[tuple[int, str, int | str]] = []  # (update_id, target, status)
        self._next = itertools.count()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> WebhookSender:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._session.close()

    async def post(self, target: str, update: dict, secret: str | None = None,
                   header: bool = True) -> int | str:
        """One request: its status, or "failed" when the connection failed or timed out."""
        headers = {SECRET_HEADER: secret or self.secret} if header else {}
        try:
            async with self._session.post(target, json=update, headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=self.timeout)
                                          ) as response:
                await response.read()
                status: int | str = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = "failed"
        self.log.append((update["update_id"], target, status))
        return status

    async def _balanced(self, update: dict) -> int | str:
        first = next(self._next)
        for i in range(len(self.targets)):
            status = await self.post(self.targets[(first + i) % len(self.targets)], update)
            if status != "failed":
                break
        return status

    async def send(self, update: dict, twice: bool = False) -> None:
        """Until a replica answers 2xx. ``twice``: the first time to two replicas at once, as
        when Telegram sends an update again while its first delivery is still being handled."""
        for attempt in range(self.attempts):
            if twice and attempt == 0:
                statuses = await asyncio.gather(*(self.post(t, update) for t in self.targets))
            else:
                statuses = [await self._balanced(update)]
            if any(isinstance(s, int) and 200 <= s < 300 for s in statuses):
                return
            if attempt:
                await asyncio.sleep(min(self.pause * 2 ** attempt, 1.0))
        raise AssertionError(f"update {update['update_id']} was never answered 2xx")

    async def send_chat(self, updates: list[dict], twice: set[int] = frozenset()) -> None:
        for update in updates:
            await self.send(update, twice=update["update_id"] in twice)

    async def send_all(self, chats: dict[int, list[dict]], twice: set[int] = frozenset()):
        """Every chat at once, each chat's updates in order."""
        await asyncio.gather(*(self.send_chat(updates, twice) for updates in chats.values()))
