"""A conversation in the studio: its state lives in the page's links, the real engine decides.

Every link and form of the chat page carries the session *before* the editor's last action and
that action (a tap, typed text, ``/start <payload>``). Showing the page steps the engine once
with them. The engine is pure, so reloading the page after an edit replays the same step on the
new content, the browser's Back button is an undo, and two tabs never share a conversation. A
damaged or forged state gives a fresh session (``Session.from_dict`` never fails).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.content.texts import language_name
from bot.engine.events import Command, Event, Start, Tap, Text
from bot.engine.output import Reply
from bot.engine.runtime import Engine
from bot.engine.session import Session
from bot.studio.graph import screen_title

MAX_STATE_CHARS = 4096  # a session is about 100 bytes of JSON; anything far longer is not ours
MAX_TEXT_CHARS = 4096  # Telegram's limit for a message a person sends


@dataclass(frozen=True)
class ChatState:
    session: Session
    event: Event
    hint: str | None = None  # the app language of a new user (Telegram sends it)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ChatState:
        """The state a chat link or form carries; a new user's /start when it carries none."""
        session = Session()
        raw = query.get("s", "")
        if raw and len(raw) <= MAX_STATE_CHARS and query.get("new") != "1":
            try:
                session = Session.from_dict(json.loads(raw))
            except (ValueError, RecursionError):  # not JSON, or "[[[[…" nested past the limit
                session = Session()
        hint = query.get("hint") or None
        if "tap" in query:
            return cls(session, Tap(query["tap"]), hint)
        if "text" in query:
            return cls(session, typed(query["text"][:MAX_TEXT_CHARS]), hint)
        return cls(session, Start(query.get("start", "").strip()), hint)

    def query(self) -> dict[str, str]:
        query = {"s": session_json(self.session)}
        if self.hint:
            query["hint"] = self.hint
        event = self.event
        if isinstance(event, Tap):
            query["tap"] = event.data
        elif isinstance(event, Text):
            query["text"] = event.text
        elif isinstance(event, Command):
            query["text"] = f"/{event.name}"
        elif isinstance(event, Start):
            query["start"] = event.payload
        return query

    def href(self) -> str:
        return "/chat?" + urlencode(self.query())


def session_json(session: Session) -> str:
    """A session as the compact JSON the chat's links and forms carry."""
    return json.dumps(session.to_dict(), separators=(",", ":"))


def typed(line: str) -> Event:
    """What a person typing ``line`` sends: ``/start payload``, another command, or text."""
    line = line.strip()
    if line.startswith("/"):
        name, _, argument = line[1:].partition(" ")
        name = name.partition("@")[0].lower()
        return Start(argument.strip()) if name == "start" else Command(name)
    return Text(line)


def step(engine: Engine, state: ChatState) -> Reply:
    return engine.step(state.session, state.event, state.hint)


def open_screen(engine: Engine, node_id: str, lang: str, country: str | None) -> ChatState:
    """A conversation on the start screen that then opens ``node_id`` (as its button would):
    the screen in ``lang`` for ``country``, with Back leading to the start screen."""
    start = Session(lang=lang, country=country, node=engine.settings.start)
    return ChatState(start, Tap(f"n:{node_id}"))


def describe(engine: Engine, state: ChatState) -> str:
    """The editor's last action in words, as a chat shows the person's side: "Tapped “Work”"."""
    event = state.event
    if isinstance(event, Start):
        return f"/start {event.payload}".strip()
    if isinstance(event, Command):
        return f"/{event.name}"
    if isinstance(event, Text):
        return event.text
    return f"Tapped “{_label(engine, state.session, event.data)}”"


def _label(engine: Engine, session: Session, action: str) -> str:
    """The label of the button that sent ``action``, from the screen it was tapped on."""
    kind, _, rest = action.partition(":")
    if kind == "l" and rest in engine.settings.languages:
        return language_name(rest)
    if session.lang in engine.settings.languages and session.node in engine.catalog.nodes:
        for row in engine.render(session).buttons:
            for button in row:
                if button.action == action:
                    return button.label
    if kind == "n" and rest in engine.catalog.nodes:
        return screen_title(engine.catalog, rest, session.lang or engine.default_lang)
    return action
