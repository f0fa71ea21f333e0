"""The terminal preview: the real engine, with buttons numbered instead of tapped.

Editors use it to try a change before it is deployed; the golden transcripts in ``tests/golden``
are recorded with it, so what an editor sees is what the tests check.
"""

from __future__ import annotations

from bot.content.html import to_plain
from bot.engine.events import Command, Start, Tap, Text
from bot.engine.output import Button, Message, Reply
from bot.engine.runtime import Engine
from bot.engine.session import Session


def render_message(message: Message, numbered: list[Button]) -> str:
    """A message as plain text; each button gets the next number and is added to ``numbered``."""
    lines = [to_plain(message.text)]
    for row in message.buttons:
        cells = []
        for button in row:
            numbered.append(button)
            suffix = " (copy)" if button.copy else (" (link)" if button.url else "")
            cells.append(f"[{len(numbered)}] {button.label}{suffix}")
        lines.append("   ".join(cells))
    return "\n".join(lines)


class ChatPreview:
    """One conversation in the terminal: a line in, the bot's answer out."""

    def __init__(self, engine: Engine, lang: str | None = None, country: str | None = None):
        self.engine = engine
        self.session = Session(lang=lang, country=country)
        self.buttons: list[Button] = []

    def send(self, line: str) -> str:
        line = line.strip()
        if line.isdigit() and self.buttons:
            index = int(line) - 1
            if not 0 <= index < len(self.buttons):
                return f"(there is no button {line}; choose 1-{len(self.buttons)})"
            button = self.buttons[index]
            if button.copy:
                return f"(copied: {button.copy})"
            if button.url:
                return f"(opens {button.url})"
            event = Tap(button.action or "")
        elif line.startswith("/"):
            name, _, arg = line[1:].partition(" ")
            name = name.lower()
            event = Start(arg.strip()) if name == "start" else Command(name)
        else:
            event = Text(line)
        return self.show(self.engine.step(self.session, event))

    def show(self, reply: Reply) -> str:
        self.session = reply.session
        self.buttons = []
        return "\n\n".join(render_message(m, self.buttons) for m in reply.messages)


def transcript(engine: Engine, inputs: list[str], lang: str | None = None,
               country: str | None = None) -> str:
    """A whole scripted conversation: each input after ``> ``, then the bot's answer."""
    chat = ChatPreview(engine, lang=lang, country=country)
    parts = [f"> {line}\n{chat.send(line)}\n" for line in inputs]
    return "\n".join(parts)
