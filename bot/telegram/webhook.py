"""The webhook: Telegram posts each update; the bot answers once the update is handled.

aiogram's ``SimpleRequestHandler`` checks ``X-Telegram-Bot-Api-Secret-Token`` (401 and nothing
processed without the right one). What changes here is *when* and *how* it answers:

- only once the update is handled (never in the background): Telegram then sends a chat's
  next message only after this one is done, which keeps each chat in order across replicas,
  and an update a dying replica could not finish is delivered again;
- without aiogram's 55-second fallback to the background: an update that waited too long for
  its turn, or was cut short by a shutdown, gets 503 and Telegram delivers it again (at once,
  the first time, so to another replica behind the load balancer); one refused while shutting
  down gets 503 before anything is read;
- an error in the bot's own code gets 200 after it is logged: answering non-2xx would make
  Telegram send the same update again and again for a day, holding up the chat's later
  messages (the person has already had the apology the handlers send);
- the answer carries no Bot API method (an empty JSON object): the handlers send their messages
  themselves and need their results (a failed edit becomes a new message).

``setup_application`` is not used: start-up and shutdown (content, ``getMe`` with backoff, the
profile, ``setWebhook``, draining) are run by bot/telegram/app.py.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.ops.metrics import Metrics
from bot.ordering import TurnTimeout

log = logging.getLogger("stay_safe.telegram.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookHandler(SimpleRequestHandler):
    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret: str, metrics: Metrics,
                 accepting=lambda: True):
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret)
        self.metrics = metrics
        self.accepting = accepting  # False once shutting down

    def add_to(self, app: web.Application, path: str) -> None:
        """Serve on ``path`` (the bot session is closed by the app, not by aiohttp's shutdown,
        as ``register`` would)."""
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        response = await self._answer(request)
        self.metrics.webhook_answers.labels(str(response.status)).inc()
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        if not self.accepting():
            return web.Response(status=503, text="shutting down", headers={"Retry-After": "0"})
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            return web.Response(status=401, text="Unauthorized")
        try:
            update = Update.model_validate(await request.json(loads=self.bot.session.json_loads),
                                           context={"bot": self.bot})
        except (ValueError, ValidationError):
            log.warning("a webhook request that is not an update was refused")
            return web.Response(status=400, text="not an update")
        handling = asyncio.ensure_future(self.dispatcher.feed_update(self.bot, update,
                                                                     **self.data))
        await asyncio.wait({handling})  # a client hanging up does not cut the handling short
        if handling.cancelled() or isinstance(handling.exception(), TurnTimeout):
            return web.Response(status=503, text="not handled; send it again")
        if handling.exception() is not None:
            log.error("an update failed", exc_info=handling.exception())
        return web.json_response({})
