"""Around each update: one turn in the very conversation its handler uses, and its outcome."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update

from bot.conversations import Conversations
from bot.ops.metrics import Metrics
from bot.ordering import LocalOrdering
from bot.storage import MemoryStore
from bot.telegram.handlers import register
from bot.telegram.session import NoRedirectSession
from bot.telegram.updates import InFlight, UpdateFlow
from tests.conftest import TOKEN
from tests.fake_botapi import FakeBotAPI


class Recording(LocalOrdering):
    def __init__(self):
        super().__init__()
        self.claims: list[tuple[str, int | None]] = []

    async def claim(self, key, update_id, read):
        self.claims.append((key, update_id))
        return await super().claim(key, update_id, read)


async def test_each_update_takes_one_turn_in_the_conversation_its_handler_uses(shipped_engine):
    api = await FakeBotAPI(TOKEN).start()
    bot = Bot(TOKEN, session=NoRedirectSession(api=TelegramAPIServer.from_base(api.url)))
    try:
        ordering = Recording()
        conversations = Conversations(shipped_engine, MemoryStore(60), ordering=ordering)
        dispatcher = register(Dispatcher(disable_fsm=True), conversations)
        metrics = Metrics()
        dispatcher.update.outer_middleware(UpdateFlow(conversations, metrics, InFlight()))
        inline_tap = {"callback_query": {
            "id": "77", "chat_instance": "1", "inline_message_id": "AbC", "data": "n:work",
            "from": {"id": 5005, "is_bot": False, "first_name": "T"}}}
        bodies = [api.message_update(5001, "/start en"),
                  api.message_update(-100, "/help", user_id=5002, chat_type="group"),
                  api.callback(5003, "n:work"),
                  api.callback(-100, "n:work", user_id=5004, chat_type="supergroup"),
                  inline_tap]
        updates = [Update.model_validate(api.update(body), context={"bot": bot})
                   for body in bodies]
        for update in updates:
            await dispatcher.feed_update(bot, update)
        # One claim per update: the handler's conversation is the turn's (else a second one).
        assert ordering.claims == [("5001", updates[0].update_id),
                                   ("-100:5002", updates[1].update_id),
                                   ("5003", updates[2].update_id),
                                   ("-100:5004", updates[3].update_id),
                                   ("5005", updates[4].update_id)]
        await dispatcher.feed_update(bot, updates[0])  # delivered again
        assert len(ordering.claims) == 6 and len(api.sent(5001)) == 1
        handled = metrics.registry.get_sample_value(
            "stay_safe_updates_total", {"kind": "message", "outcome": "handled"})
        duplicate = metrics.registry.get_sample_value(
            "stay_safe_updates_total", {"kind": "message", "outcome": "duplicate"})
        assert (handled, duplicate) == (2, 1)
    finally:
        await bot.session.close()
        await api.stop()
