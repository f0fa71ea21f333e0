"""Start-up, long polling or the webhook, and a clean shutdown.

config → HTTP server (health, metrics, the webhook) → content → storage → Bot + Dispatcher →
Telegram (``getMe`` with backoff, the profile, then ``setWebhook`` or polling). On SIGTERM the
bot stops taking updates (the webhook answers 503, polling stops), gives those in flight
``SHUTDOWN_SECONDS`` to finish, cuts short the rest (Telegram delivers them again), writes back
what Redis missed and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

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
from aiohttp import web

from bot.config import Config
from bot.conversations import Conversations
from bot.ops.health import Health, ops_routes
from bot.ops.metrics import Metrics
from bot.ordering import LocalOrdering, Ordering, RedisOrdering
from bot.publish import load_checked, watch
from bot.stats import MemoryCounter, RedisCounter
from bot.storage import MemoryStore, RedisStore, SessionStore
from bot.telegram.handlers import register
from bot.telegram.handoff import Relay
from bot.telegram.profile import set_profile
from bot.telegram.retry import RetryMiddleware
from bot.telegram.session import NoRedirectSession
from bot.telegram.updates import ApiMetrics, InFlight, UpdateFlow
from bot.telegram.webhook import WebhookHandler

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


def build_bot(config: Config, sleep=asyncio.sleep, metrics: Metrics | None = None) -> Bot:
    api = TelegramAPIServer.from_base(config.api_url) if config.api_url else None
    session = NoRedirectSession(api=api) if api else NoRedirectSession()
    session.middleware(RetryMiddleware(sleep=sleep,
                                       retried=metrics.api_retry if metrics else None))
    if metrics is not None:  # inside the retries: each attempt is counted
        session.middleware(ApiMetrics(metrics))
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


def build_ordering(config: Config, store: SessionStore) -> Ordering:
    """Across replicas (Redis) for a webhook; within the process when it is the only one that
    can get updates (polling: Telegram gives them to one poller) or has no Redis."""
    if config.webhook_url and isinstance(store, RedisStore):
        return RedisOrdering(store, lock_seconds=config.lock_seconds)
    if config.webhook_url:
        log.warning("a webhook without REDIS_URL: run one replica only (turns and sessions are "
                    "kept in this process)")
        return LocalOrdering()
    return LocalOrdering(remember=False)  # a poller never gets an update twice while it runs


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, shutdown_timeout=5).start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): "
                           "check HOST and PORT") from None
    log.info("serving /healthz, /readyz and /metrics on %s:%d", host, port)
    return runner


async def set_webhook(bot: Bot, config: Config) -> None:
    """Point Telegram at the webhook (every replica does, with the same values)."""
    try:
        await bot.set_webhook(config.webhook_url, secret_token=config.webhook_secret,
                              allowed_updates=ALLOWED_UPDATES,
                              max_connections=config.max_connections,
                              drop_pending_updates=False)
    except TelegramAPIError as exc:
        raise StartupError(f"could not set the webhook: {exc.message}") from None
    log.info("webhook set: Telegram posts updates to %s (at most %d connections)",
             config.webhook_url, config.max_connections)


async def leave_webhook(bot: Bot) -> None:
    """Polling gets nothing while a webhook is set (409): remove one left from webhook mode."""
    try:
        if (await bot.get_webhook_info()).url:
            log.warning("a webhook was set for this bot: removing it, since WEBHOOK_URL is not "
                        "set (polling). Do not poll beside webhook replicas")
            await bot.delete_webhook(drop_pending_updates=False)
    except TelegramAPIError as exc:
        log.warning("could not check for a webhook (%s); polling anyway", exc.message)


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event, enabled: bool):
    """SIGTERM and SIGINT set ``stop`` (handled here, not by aiogram, in both modes)."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if enabled else ()
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        yield
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


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
                  handle_signals: bool = True, sleep=asyncio.sleep, now=None,
                  metrics: Metrics | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT arrives when ``handle_signals``).

    ``sleep`` is every wait before a retry (Bot API calls, start-up) or between a flooding
    person's messages, and ``now`` the clock that says whether counsellors are there: tests
    pass fake ones.
    """
    stop = stop or asyncio.Event()
    with stop_on_signals(stop, handle_signals):
        await _run(config, stop, sleep, now, metrics or Metrics())


async def _run(config: Config, stop: asyncio.Event, sleep, now, metrics: Metrics) -> None:
    store = build_store(config)
    health = Health(store if isinstance(store, RedisStore) else None)
    counter = (RedisCounter.from_url(config.redis_url, config.stats_ttl_days)
               if config.redis_url else MemoryCounter())
    bot = build_bot(config, sleep, metrics)
    in_flight = InFlight(metrics)
    # Sessions live in our own store, so aiogram's FSM (a context per update) is not needed.
    dispatcher = Dispatcher(disable_fsm=True)
    app = web.Application()
    app.add_routes(ops_routes(health, metrics))
    if config.webhook_url:  # 503 until connected and set up: Telegram delivers it again
        WebhookHandler(dispatcher, bot, config.webhook_secret, metrics,
                       accepting=lambda: health.telegram and not health.draining).add_to(
            app, config.webhook_path)
    runner = relay = None
    tasks: list[asyncio.Task] = []
    try:
        if config.port is not None:
            runner = await serve(app, config.host, config.port)
        engine, fatal, gaps = await asyncio.to_thread(load_checked, config.content_dir)
        if engine is None:
            first = fatal[0] if fatal else "no settings"
            raise StartupError(f"content has {len(fatal)} error(s), first: {first} "
                               "(run `stay-safe validate`)")
        if gaps:
            log.warning("%d missing translation(s): readers see the fallback language",
                        len(gaps))
        ordering = build_ordering(config, store)
        conversations = Conversations(engine, store, counter, now=now, ordering=ordering)
        relay = build_relay(config, conversations, sleep)
        metrics.content_in_use(engine.catalog.version, len(engine.catalog.nodes))
        metrics.watch(store, counter, ordering)
        health.content = True
        register(dispatcher, conversations, config.admin_ids, relay)
        dispatcher.update.outer_middleware(UpdateFlow(conversations, metrics, in_flight))
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
            def use(new) -> None:
                conversations.use(new)
                metrics.reloaded(accepted=True)
                metrics.content_in_use(new.catalog.version, len(new.catalog.nodes))

            tasks.append(asyncio.create_task(watch(
                config.content_dir, use, config.reload_seconds, stop,
                refused=lambda: metrics.reloaded(accepted=False))))
        if config.webhook_url:
            await set_webhook(bot, config)
            health.telegram = True
            await stop.wait()
        else:
            await leave_webhook(bot)
            await _poll(dispatcher, bot, stop, health)
        stop.set()
        health.draining = True
        cut = await in_flight.drain(config.shutdown_seconds)
        if cut:
            log.warning("%d update(s) cut short by the shutdown: Telegram delivers them again",
                        cut)
        log.info("stopped taking updates; shutting down")
    finally:
        health.draining = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
        if relay is not None:
            await relay.close()
        await bot.session.close()
        await store.close()
        await counter.close()


async def _poll(dispatcher: Dispatcher, bot: Bot, stop: asyncio.Event, health: Health) -> None:
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, allowed_updates=ALLOWED_UPDATES, handle_signals=False, close_bot_session=False))
    health.telegram = True
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not polling.done():
        await dispatcher.stop_polling()
    await polling
