"""The floor any aiogram 3 bot pays: RedisStorage, and one fixed inline keyboard per message.

Run by benchmarks/telegram_bench.py with BOT_TOKEN, BOT_API_URL and REDIS_URL set.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text="Menu", callback_data="menu")],
    [InlineKeyboardButton(text="Help", callback_data="help")],
])


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BOT_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher(storage=RedisStorage.from_url(os.environ["REDIS_URL"]))

    @dispatcher.message()
    async def answer(message: Message) -> None:
        await message.answer("Hello! Choose:", reply_markup=KEYBOARD)

    await dispatcher.start_polling(bot, allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    asyncio.run(main())
