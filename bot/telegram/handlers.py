"""Telegram updates → engine events → Bot API calls. No conversation logic lives here."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, LinkPreviewOptions
from aiogram.types import Message as TgMessage

from bot.content.html import utf16_length
from bot.conversations import Conversations
from bot.engine.events import Command, Event, Other, Start, Tap, Text
from bot.engine.handoff import KEEP_MESSAGE
from bot.engine.output import Message
from bot.stats import handoff_summary, summary
from bot.telegram.render import keyboard

if TYPE_CHECKING:
    from bot.telegram.handoff import Relay

log = logging.getLogger("stay_safe.telegram")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
STATS_DAYS = 30  # what /stats shows
STATS_CHUNK = 4000  # table characters per message: Telegram refuses texts over 4096
STATS_PRIVATE_ONLY = "/stats answers only in a private chat with the bot."
SPINNER_TIMEOUT = 10.0  # seconds a button's spinner answer may take, beside the screen
HARMLESS = ("message is not modified", "query is too old", "query id is invalid")
# Shown only if the engine itself fails: no content is needed to say it.
APOLOGY = ("Вибачте, сталася помилка. Надішліть /start.\n"
           "Извините, произошла ошибка. Отправьте /start.\n"
           "Sorry, something went wrong. Send /start.")


def session_key(chat_id: int, user_id: int | None, private: bool) -> str:
    """One session per private chat; in a group, one per person in that group."""
    return str(chat_id) if private or user_id is None else f"{chat_id}:{user_id}"


def message_event(message: TgMessage, bot_username: str | None) -> Event | None:
    """The engine event for a message, or None when the bot should stay silent."""
    private = message.chat.type == ChatType.PRIVATE
    text = message.text
    if text and text.startswith("/"):
        head, _, arg = text.partition(" ")
        name, _, addressee = head[1:].partition("@")
        if addressee and bot_username and addressee.lower() != bot_username.lower():
            return None  # a command for another bot in the same group
        name = name.lower()
        return Start(arg.strip()) if name == "start" else Command(name)
    if not private:
        return None  # in groups, only commands are for us
    if text is not None:
        return Text(text)
    return Other(str(message.content_type))


def _preview(message: Message) -> LinkPreviewOptions | None:
    """No link previews: they push the text off a small screen (sent only where a link is)."""
    return NO_PREVIEW if "http" in message.text else None


async def send(bot: Bot, chat_id: int, message: Message) -> None:
    await bot.send_message(chat_id, message.text, reply_markup=keyboard(message),
                           link_preview_options=_preview(message))


def _harmless(exc: TelegramBadRequest) -> bool:
    return any(phrase in exc.message.lower() for phrase in HARMLESS)


def register(router: Router, conversations: Conversations,
             admin_ids: frozenset[int] = frozenset(), relay: Relay | None = None) -> Router:
    """Wire the handlers onto ``router``: the Dispatcher itself in production (one level of
    routing less per update, measured), or any Router in tests. ``relay`` (talking to a
    person) sees each message first and carries out what the engine asks of it."""
    if relay is not None:
        relay.register(router)

    @router.message()
    async def on_message(message: TgMessage, bot: Bot) -> None:
        if relay is not None and await relay.take(message, bot):
            return  # the counsellors' group, or a message for a person's counsellors
        me = await bot.me()
        event = message_event(message, me.username)
        if event is None:
            return
        user = message.from_user
        private = message.chat.type == ChatType.PRIVATE
        if event == Command("stats") and user and user.id in admin_ids:
            async with _answering(bot, message.chat.id, "/stats"):
                if private:
                    await _send_stats(bot, message.chat.id, conversations, relay)
                else:  # the table is for the admin, not for everyone in the group
                    await bot.send_message(message.chat.id, STATS_PRIVATE_ONLY, parse_mode=None)
            return  # anybody else gets the engine's answer to an unknown command
        key = session_key(message.chat.id, user.id if user else None, private)
        async with _answering(bot, message.chat.id, f"a {type(event).__name__}"):
            reply = await conversations.handle(key, event, user.language_code if user else None)
            if relay is not None and reply.handoff and private:
                reply = await relay.follow(bot, message.chat.id, reply)
            for item in reply.messages:
                await send(bot, message.chat.id, item)

    @router.callback_query()
    async def on_callback(query: CallbackQuery, bot: Bot) -> None:
        spinner = asyncio.create_task(_stop_spinner(query))
        try:
            await _show_tapped(query, bot, conversations, relay)
        finally:
            await spinner

    return router


async def _show_tapped(query: CallbackQuery, bot: Bot, conversations: Conversations,
                       relay: Relay | None = None) -> None:
    """The screen a tap leads to: in place of the tapped message, or as a new one (always
    new under a counsellor's reply, which must stay)."""
    user = query.from_user
    shown = query.message if isinstance(query.message, TgMessage) else None
    chat_id = shown.chat.id if shown else user.id
    private = shown is None or shown.chat.type == ChatType.PRIVATE
    key = session_key(chat_id, user.id, private)
    async with _answering(bot, chat_id, "a button tap"):
        reply = await conversations.handle(key, Tap(query.data or ""), user.language_code)
        if relay is not None and reply.handoff and private:
            reply = await relay.follow(bot, chat_id, reply)
        first, *rest = reply.messages
        if query.data in KEEP_MESSAGE or not await _edit(shown, first):
            await send(bot, chat_id, first)
        for item in rest:
            await send(bot, chat_id, item)


async def _stop_spinner(query: CallbackQuery) -> None:
    """Answer the tap so its button stops spinning: best effort, beside the screen.

    Never retried (RetryMiddleware skips it) and bounded in time: a failing or slow answer
    costs the person a spinning button for a moment, never the screen.
    """
    try:
        await asyncio.wait_for(query.answer(), timeout=SPINNER_TIMEOUT)
    except TelegramBadRequest as exc:
        if not _harmless(exc):
            log.warning("could not answer a button tap: %s", exc.message)
    except Exception as exc:
        log.warning("could not answer a button tap (%s)", type(exc).__name__)


@contextlib.asynccontextmanager
async def _answering(bot: Bot, chat_id: int, what: str):
    """One policy for every failure while answering: nothing crashes, nothing personal logged.

    403 (blocked, left) and harmless 400s are logged; a bug in our code is logged with its
    traceback and the person still gets an apology instead of silence.
    """
    try:
        yield
    except TelegramForbiddenError:
        log.info("a person blocked the bot or left the chat; nothing sent")
    except TelegramBadRequest as exc:
        if not _harmless(exc):
            log.error("Telegram refused an answer: %s", exc.message)
    except Exception:
        log.exception("could not answer %s", what)
        await _apologise(bot, chat_id)


async def _edit(shown: TgMessage | None, message: Message) -> bool:
    """Show the next screen in place of the tapped one; False when a new message is needed."""
    if shown is None:
        return False
    try:
        await shown.edit_text(message.text, reply_markup=keyboard(message),
                              link_preview_options=_preview(message))
    except TelegramBadRequest as exc:
        return _harmless(exc)  # "not modified" means it already shows this screen
    return True


async def _send_stats(bot: Bot, chat_id: int, conversations: Conversations,
                      relay: Relay | None = None) -> None:
    if conversations.counter is None:
        return
    rows = await conversations.counter.rows(conversations.today(), STATS_DAYS)
    table = summary(rows, STATS_DAYS)
    if relay is not None:
        handoff_rows = await relay.counter.rows(conversations.today(), STATS_DAYS)
        table += "\n\n" + handoff_summary(handoff_rows, STATS_DAYS)
    for part in split_lines(table, STATS_CHUNK):
        await bot.send_message(chat_id, f"<pre>{html.escape(part)}</pre>")


def split_lines(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units, cut between lines."""
    parts: list[list[str]] = [[]]
    size = 0
    for line in text.split("\n"):
        length = utf16_length(line) + 1
        if parts[-1] and size + length > limit:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += length
    return ["\n".join(part) for part in parts]


async def _apologise(bot: Bot, chat_id: int) -> None:
    try:
        await bot.send_message(chat_id, APOLOGY, parse_mode=None)
    except Exception:  # nothing more can be done for this update
        log.warning("could not send the apology either")
