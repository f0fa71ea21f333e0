"""Around every update and every Bot API request: what the operator needs to know and wait for.

``UpdateFlow`` (an outer middleware on the dispatcher's updates) gives the update its turn in its
conversation (bot/ordering.py, through ``Conversations.turn``) for the whole of its handling,
answers included, skips a duplicate, counts the outcome and duration, logs one line without
anything personal, and tracks the updates in flight so that a shutdown can wait for them.
``ApiMetrics`` (a request middleware inside ``RetryMiddleware``) counts each Bot API request by
method and status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.enums import ChatType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Message, Update

from bot.conversations import Conversations
from bot.ops.metrics import Metrics
from bot.ordering import TurnTimeout
from bot.telegram.handlers import session_key
from bot.telegram.session import BotAPIRedirect

log = logging.getLogger("stay_safe.telegram.updates")

# Most specific first: TelegramEntityTooLarge is a TelegramNetworkError.
API_STATUS = ((TelegramEntityTooLarge, "413"), (TelegramNetworkError, "network"),
              (TelegramRetryAfter, "429"), (TelegramBadRequest, "400"),
              (TelegramUnauthorizedError, "401"), (TelegramForbiddenError, "403"),
              (TelegramNotFound, "404"), (TelegramConflictError, "409"),
              (TelegramServerError, "5xx"), (BotAPIRedirect, "redirect"),
              (ClientDecodeError, "bad_response"), (TelegramAPIError, "error"))


def conversation_key(update: Update) -> str | None:
    """The session key of the conversation an update belongs to: the key the handlers
    (bot/telegram/handlers.py) hand to ``Conversations.handle``; None for other updates."""
    if update.message is not None:
        message = update.message
        user = message.from_user
        return session_key(message.chat.id, user.id if user else None,
                           message.chat.type == ChatType.PRIVATE)
    if update.callback_query is not None:
        query = update.callback_query
        shown = query.message if isinstance(query.message, Message) else None
        return session_key(shown.chat.id if shown else query.from_user.id, query.from_user.id,
                           shown is None or shown.chat.type == ChatType.PRIVATE)
    return None


class InFlight:
    """The updates being handled now, so that a shutdown can wait for them."""

    def __init__(self, metrics: Metrics | None = None):
        self.metrics = metrics
        self._tasks: set[asyncio.Task] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    @contextlib.contextmanager
    def track(self):
        task = asyncio.current_task()
        self._tasks.add(task)
        self._idle.clear()
        self._show()
        try:
            yield
        finally:
            self._tasks.discard(task)
            if not self._tasks:
                self._idle.set()
            self._show()

    def _show(self) -> None:
        if self.metrics is not None:
            self.metrics.in_flight.set(len(self._tasks))

    async def drain(self, seconds: float) -> int:
        """Wait up to ``seconds`` for the updates in flight; cut short those left (their turn
        ends unhandled, so Telegram's next delivery is handled). How many were cut short."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout=seconds)
        left = list(self._tasks)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=5)
        return len(left)


class UpdateFlow(BaseMiddleware):
    def __init__(self, conversations: Conversations, metrics: Metrics, in_flight: InFlight,
                 clock=time.perf_counter):
        self.conversations = conversations
        self.metrics = metrics
        self.in_flight = in_flight
        self.clock = clock

    async def __call__(self, handler, event: Update, data: dict):
        kind = event.event_type
        started = self.clock()
        outcome = "failed"
        with self.in_flight.track():
            try:
                key = conversation_key(event)
                if key is None:
                    result = await handler(event, data)
                    outcome = "handled"
                    return result
                async with self.conversations.turn(key, event.update_id) as turn:
                    if turn.duplicate:
                        outcome = "duplicate"
                        return None
                    result = await handler(event, data)
                outcome = "late" if turn.late else "handled"
                return result
            except (TurnTimeout, asyncio.CancelledError):
                outcome = "unfinished"
                raise
            finally:
                seconds = self.clock() - started
                self.metrics.update(kind, outcome, seconds)
                level = logging.WARNING if outcome in ("unfinished", "failed") else logging.INFO
                if log.isEnabledFor(level):
                    log.log(level, "update %s", outcome, extra={
                        "update_id": event.update_id, "kind": kind, "outcome": outcome,
                        "duration_ms": round(seconds * 1000, 1)})


class ApiMetrics(BaseRequestMiddleware):
    """Counts every Bot API request (each attempt: it sits inside the retries)."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    async def __call__(self, make_request, bot, method):
        name = method.__api_method__
        try:
            result = await make_request(bot, method)
        except (TelegramAPIError, ClientDecodeError) as exc:
            status = next(label for kind, label in API_STATUS if isinstance(exc, kind))
            self.metrics.api_request(name, status)
            raise
        self.metrics.api_request(name, "200")
        return result
