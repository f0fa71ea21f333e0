"""What the engine asks the adapter to show. Plain data: the adapter decides how to send it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.session import Session


@dataclass(frozen=True)
class Button:
    """Exactly one of ``action`` (tap → event), ``copy`` (copy text) or ``url`` is set."""

    label: str
    action: str | None = None
    copy: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Message:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    parse_mode: str = "HTML"


@dataclass(frozen=True)
class Reply:
    """The engine's answer: messages to show and the session to keep (``erase``: delete it).

    ``counts`` names what happened, for anonymous campaign counters: ``start``, ``lang_uk``,
    ``topic_<screen>``, ``helplines``, ``quiz_done``. Nothing in it identifies a person.
    ``handoff`` asks the adapter to open the person's conversation with counsellors
    (``"open"``: show the messages once it is open) or to end it (``"end"``), if one is open.
    """

    messages: tuple[Message, ...]
    session: Session
    erase: bool = False
    node: str | None = None
    counts: tuple[str, ...] = ()
    handoff: str | None = None
