"""What a person can do: start (maybe from a deep link), tap a button, type text, send a command."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Start:
    """``/start`` with the deep-link payload, if any (``https://t.me/<bot>?start=<payload>``)."""

    payload: str = ""


@dataclass(frozen=True)
class Tap:
    """A button tap; ``data`` is the button's action string (Telegram callback data)."""

    data: str


@dataclass(frozen=True)
class Text:
    """Free text typed by the person."""

    text: str


@dataclass(frozen=True)
class Command:
    """A slash command other than /start (``name`` without the slash, lowercase)."""

    name: str


@dataclass(frozen=True)
class Other:
    """Anything that is not text: a sticker, photo, voice message, location, document."""

    kind: str = "other"


Event = Start | Tap | Text | Command | Other
