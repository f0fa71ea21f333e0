"""Retrying Bot API calls that failed for a passing reason, so a user still gets an answer.

429 waits for ``retry_after`` (as Telegram asks); 5xx, network failures and HTML error pages from
a proxy (which aiogram reports as a decode error) are retried with a growing delay. Anything
else (400, 403) is a real answer and goes straight back to the caller. Two calls are never
retried here: ``getUpdates`` (the polling loop has its own backoff) and ``answerCallbackQuery``
(stopping a button's spinner is best effort: the screen must not wait for it).
"""

from __future__ import annotations

import asyncio
import logging

from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates

log = logging.getLogger("stay_safe.telegram")

ATTEMPTS = 4
FIRST_DELAY = 0.5
MAX_RETRY_AFTER = 60  # longer flood waits are not worth holding an answer for
NOT_RETRIED = (GetUpdates, AnswerCallbackQuery)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = ATTEMPTS, first_delay: float = FIRST_DELAY,
                 sleep=asyncio.sleep, retried=None):
        self.attempts = attempts
        self.first_delay = first_delay
        self.sleep = sleep  # tests pass a fake that records the waits asked for
        self.retried = retried or (lambda method, reason: None)  # (Bot API method, reason)

    async def __call__(self, make_request, bot, method):
        if isinstance(method, NOT_RETRIED):
            return await make_request(bot, method)
        name = type(method).__name__
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > MAX_RETRY_AFTER:
                    raise
                log.warning("%s: Telegram asks to wait %s s (429)", name, exc.retry_after)
                self.retried(method.__api_method__, "429")
                await self.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
                if attempt == self.attempts:
                    raise
                log.warning("%s failed (%s), retry %d in %.1f s", name, type(exc).__name__,
                            attempt, delay)
                self.retried(method.__api_method__, _reason(exc))
                await self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def _reason(exc: Exception) -> str:
    if isinstance(exc, TelegramNetworkError):
        return "network"
    return "bad_response" if isinstance(exc, ClientDecodeError) else "5xx"
