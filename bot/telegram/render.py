"""Engine messages → Bot API parameters (HTML text and an inline keyboard)."""

from __future__ import annotations

from aiogram.types import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine.output import Button, Message


def button(item: Button) -> InlineKeyboardButton:
    """One action per button: a tap (callback data), a copy of a phone number, or a link."""
    if item.copy:
        return InlineKeyboardButton(text=item.label, copy_text=CopyTextButton(text=item.copy))
    if item.url:
        return InlineKeyboardButton(text=item.label, url=item.url)
    return InlineKeyboardButton(text=item.label, callback_data=item.action)


def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[button(b) for b in row]
                                                 for row in message.buttons])
