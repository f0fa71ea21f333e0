"""One engine message as Telegram shows it, in safe HTML: the text bubble and its keyboard.

The engine's text is Telegram's HTML subset, already validated; it is still parsed and rebuilt
here, keeping only the tags Telegram renders (bold, italic, underline, strike, links, code,
quotes, spoilers) and escaping everything else, so nothing an editor writes can break or script
the page. Line breaks stay line breaks (the bubble keeps white space, as Telegram does).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from html.parser import HTMLParser

from bot.engine.output import Button, Message

# Telegram tag -> the tag the page uses (attributes are rebuilt, never copied).
TAGS = {
    "b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s",
    "strike": "s", "del": "s", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "a": "a", "tg-spoiler": "span", "span": "span",
}
LINK_SCHEMES = ("https://", "http://", "tg://", "mailto:")


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # the page tags opened so far, innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        page_tag = TAGS.get(tag)
        values = dict(attrs)
        if page_tag is None or (tag == "span" and values.get("class") != "tg-spoiler"):
            return
        extra = ""
        if tag == "a":
            href = values.get("href") or ""
            if href.startswith(LINK_SCHEMES):
                extra = f' href="{html.escape(href)}" target="_blank" rel="noopener noreferrer"'
        elif page_tag == "span":
            extra = ' class="spoiler"'
        elif tag == "blockquote" and "expandable" in values:
            extra = ' class="expandable"'
        self.out.append(f"<{page_tag}{extra}>")
        self.open.append(page_tag)

    def handle_endtag(self, tag: str) -> None:
        page_tag = TAGS.get(tag)
        if page_tag in self.open:
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == page_tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def text_html(telegram_html: str) -> str:
    """Telegram's HTML subset → HTML safe to put in the page, looking the same."""
    sanitizer = _Sanitizer()
    sanitizer.feed(telegram_html)
    return sanitizer.result()


def message_html(message: Message, tap_href: Callable[[str], str]) -> str:
    """The bubble and its inline keyboard; ``tap_href(action)`` is where a tap button leads."""
    rows = "".join(f'<div class="row">{"".join(_button(b, tap_href) for b in row)}</div>'
                   for row in message.buttons)
    keyboard = f'<div class="keyboard">{rows}</div>' if rows else ""
    return (f'<div class="message"><div class="bubble">{text_html(message.text)}</div>'
            f"{keyboard}</div>")


def _button(button: Button, tap_href: Callable[[str], str]) -> str:
    label = html.escape(button.label)
    if button.copy is not None:
        copy = html.escape(button.copy)
        return (f'<button type="button" class="key copy" data-copy="{copy}" '
                f'title="Copies {copy}">{label}</button>')
    if button.url is not None and button.url.startswith(LINK_SCHEMES):
        return (f'<a class="key url" href="{html.escape(button.url)}" target="_blank" '
                f'rel="noopener noreferrer">{label} ↗</a>')
    if button.action is None:
        return f'<span class="key">{label}</span>'
    return f'<a class="key" href="{html.escape(tap_href(button.action))}">{label}</a>'
