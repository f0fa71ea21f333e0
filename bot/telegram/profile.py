"""The bot's commands and descriptions per language, from content/<lang>/profile.yaml."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand

from bot.content.model import Catalog

log = logging.getLogger("stay_safe.telegram")

COMMAND_ORDER = ("start", "menu", "sos", "help", "language", "country", "forget")


def commands_for(catalog: Catalog, lang: str) -> list[BotCommand]:
    described = catalog.profiles[lang].commands
    names = [n for n in COMMAND_ORDER if n in described]
    names += sorted(n for n in described if n not in COMMAND_ORDER)
    return [BotCommand(command=n, description=str(described[n])) for n in names]


async def set_profile(bot: Bot, catalog: Catalog) -> None:
    """Set commands and descriptions for each language; the first language is the default.

    A failure here is logged, not fatal: the bot works without a description.
    """
    default = catalog.settings.languages[0]
    for lang in (*catalog.settings.languages, None):
        source = lang or default
        profile = catalog.profiles.get(source)
        if profile is None:
            continue
        try:
            await bot.set_my_commands(commands_for(catalog, source), language_code=lang)
            if profile.description:
                await bot.set_my_description(str(profile.description), language_code=lang)
            if profile.short_description:
                await bot.set_my_short_description(str(profile.short_description),
                                                   language_code=lang)
        except TelegramAPIError as exc:
            log.warning("could not set the bot profile for %s: %s", lang or "default", exc)
