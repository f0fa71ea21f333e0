"""Start-up and long polling: config → content → storage → Bot + Dispatcher."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageText,
    GetMe,
    GetUpdates,
    SendMessage,
)
from aiogram.methods.base import Response
from aiogram.types import User

from bot.config import Config
from bot.conversations import Conversations
from bot.publish import load_checked, watch
from bot.stats import MemoryCounter, RedisCounter
from bot.storage import MemoryStore, RedisStore, SessionStore
from bot.telegram.handlers import register
from bot.telegram.handoff import Relay
from bot.telegram.profile import set_profile
from bot.telegram.retry import RetryMiddleware
from bot.telegram.session import NoRedirectSession

log = logging.getLogger("stay_safe")

# my_chat_member: the bot's own rights in the counsellors' group (talking to a person).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
GET_ME_FIRST_DELAY = 1.0
GET_ME_MAX_DELAY = 60.0


# pydantic keeps a parametrized generic class only while something refers to it, and aiogram
# builds Response[<result type>] for every Bot API answer: without these references the class
# is rebuilt again and again after garbage collection (py-spy: about a tenth of the bot's CPU).
KEEP_RESPONSE_TYPES = tuple(Response[method.__returning__] for method in (
    GetUpdates, SendMessage, EditMessageText, AnswerCallbackQuery, GetMe, CopyMessage))


class StartupError(Exception):
    """Start-up cannot go on; the message says why in one line."""


def build_bot(config: Config, sleep=asyncio.sleep) -> Bot:
    api = TelegramAPIServer.from_base(config.api_url) if config.api_url else None
    session = NoRedirectSession(api=api) if api else NoRedirectSession()
    session.middleware(RetryMiddleware(sleep=sleep))
    return Bot(config.token, session=session,
               default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_store(config: Config) -> SessionStore:
    if config.redis_url:
        log.info("sessions are kept in Redis (expire after %d days without use)",
                 config.session_ttl_seconds // 86400)
        return RedisStore.from_url(config.redis_url, config.session_ttl_seconds)
    log.warning("REDIS_URL is not set: sessions are kept in memory and lost on restart")
    return MemoryStore(config.session_ttl_seconds)


def build_relay(config: Config, conversations: Conversations, sleep=asyncio.sleep
                ) -> Relay | None:
    """Talking to a person, when HANDOFF_CHAT_ID names the counsellors' group."""
    if config.handoff_chat_id is None:
        return None
    return Relay.build(conversations, config.handoff_chat_id, config.handoff_ttl_seconds,
                       config.redis_url, config.stats_ttl_days, sleep)


async def pause(seconds: float, stop: asyncio.Event, sleep=asyncio.sleep) -> None:
    """``sleep(seconds)``, cut short when ``stop`` is set."""
    sleeping = asyncio.ensure_future(sleep(seconds))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeping.cancel()
        stopping.cancel()
        await asyncio.gather(sleeping, stopping, return_exceptions=True)


async def wait_for_telegram(bot: Bot, stop: asyncio.Event, sleep=asyncio.sleep) -> User | None:
    """``getMe`` until it answers: Telegram (or the network) may be down at start-up."""
    delay = GET_ME_FIRST_DELAY
    while not stop.is_set():
        try:
            return await bot.get_me()
        except TelegramUnauthorizedError:
            raise StartupError("Telegram does not accept BOT_TOKEN (401): check the token"
                               ) from None
        except (TimeoutError, TelegramAPIError, ClientDecodeError, OSError) as exc:
            log.warning("Telegram is not reachable yet (%s); retrying in %.0f s",
                        type(exc).__name__, delay)
            await pause(delay, stop, sleep)
            delay = min(delay * 2, GET_ME_MAX_DELAY)
    return None


async def ask_username(config: Config) -> str:
    """The bot's @username from Telegram (``getMe``), for a command that needs it once."""
    bot = build_bot(config)
    try:
        return (await bot.get_me()).username or ""
    except TelegramUnauthorizedError:
        raise StartupError("Telegram does not accept BOT_TOKEN (401): check the token") from None
    except (AiogramError, OSError) as exc:
        raise StartupError(f"could not ask Telegram for the bot's username "
                           f"({type(exc).__name__})") from None
    finally:
        await bot.session.close()


async def run_bot(config: Config, stop: asyncio.Event | None = None,
                  handle_signals: bool = True, sleep=asyncio.sleep, now=None) -> None:
    """Run until ``stop`` is set (or a signal arrives when ``handle_signals``).

    ``sleep`` is every wait before a retry (Bot API calls, start-up) or between a flooding
    person's messages, and ``now`` the clock that says whether counsellors are there: tests
    pass fake ones.
    """
    stop = stop or asyncio.Event()
    engine, fatal, gaps = await asyncio.to_thread(load_checked, config.content_dir)
    if engine is None:
        first = fatal[0] if fatal else "no settings"
        raise StartupError(f"content has {len(fatal)} error(s), first: {first} "
                           "(run `stay-safe validate`)")
    if gaps:
        log.warning("%d missing translation(s): readers see the fallback language", len(gaps))
    store = build_store(config)
    counter = (RedisCounter.from_url(config.redis_url, config.stats_ttl_days)
               if config.redis_url else MemoryCounter())
    conversations = Conversations(engine, store, counter, now=now)
    relay = build_relay(config, conversations, sleep)
    bot = build_bot(config, sleep)
    # Sessions live in our own store, so aiogram's FSM (a context per update) is not needed.
    dispatcher = register(Dispatcher(disable_fsm=True), conversations, config.admin_ids, relay)
    tasks: list[asyncio.Task] = []
    try:
        me = await wait_for_telegram(bot, stop, sleep)
        if me is None:
            return
        conversations.bot = me.username  # the fake-bot screen names the real bot
        log.info("connected to Telegram as @%s; %d screens in %s", me.username,
                 len(engine.catalog.nodes), ", ".join(engine.settings.languages))
        if relay is not None:
            await relay.start(bot, me)
        await set_profile(bot, engine.catalog)
        if config.reload_seconds > 0:
            tasks.append(asyncio.create_task(
                watch(config.content_dir, conversations.use, config.reload_seconds, stop)))
        polling = asyncio.create_task(dispatcher.start_polling(
            bot, allowed_updates=ALLOWED_UPDATES, handle_signals=handle_signals,
            close_bot_session=False))
        stopper = asyncio.create_task(stop.wait())
        tasks.append(stopper)
        await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            await dispatcher.stop_polling()
            await polling
        stop.set()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if relay is not None:
            await relay.close()
        await bot.session.close()
        await store.close()
        await counter.close()
