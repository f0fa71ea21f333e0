"""Engine messages → Bot API parameters (HTML text and an inline keyboard)."""

from __future__ import annotations

from functools import lru_cache

from aiogram.types import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine.output import Button, Message


def button(item: Button) -> InlineKeyboardButton:
    """One action per button: a tap (callback data), a copy of a phone number, or a link."""
    if item.copy:
        return InlineKeyboardButton(text=item.label, copy_text=CopyTextButton(text=item.copy))
    if item.url:
        return InlineKeyboardButton(text=item.label, url=item.url)
    return InlineKeyboardButton(text=item.label, callback_data=item.action)


@lru_cache(maxsize=4096)
def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    """Cached: most screens are the same object for everyone (the engine caches them too)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[button(b) for b in row]
                                                 for row in message.buttons])
