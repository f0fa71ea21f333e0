"""Telegram's HTML subset: checking what editors wrote, and measuring what Telegram will count.

A single bad tag makes Telegram reject the whole message, so the validator checks every text
against the exact subset the Bot API accepts, and measures length as Telegram does: after
entity parsing, in UTF-16 code units.
"""

from __future__ import annotations

import html
import re

MAX_MESSAGE_UTF16 = 4096

# tag -> attributes it may carry (Bot API "HTML style").
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(), "strong": frozenset(), "i": frozenset(), "em": frozenset(),
    "u": frozenset(), "ins": frozenset(), "s": frozenset(), "strike": frozenset(),
    "del": frozenset(), "tg-spoiler": frozenset(), "pre": frozenset(),
    "span": frozenset({"class"}), "a": frozenset({"href"}), "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}), "tg-emoji": frozenset({"emoji-id"}),
}
NAMED_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})

_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s+[A-Za-z-]+"
    r"(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
    r"|&(?P<entity>[A-Za-z]+|#[0-9]+|#x[0-9A-Fa-f]+);"
    r"|(?P<lt><)|(?P<amp>&)"
)
_ATTR = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_TAGS_ONLY = re.compile(r"<[^>]*>")


def check_html(text: str) -> list[tuple[int, str]]:
    """Problems in ``text`` as (character offset, message); empty when Telegram will accept it."""
    problems: list[tuple[int, str]] = []
    stack: list[tuple[str, int]] = []
    for match in _TOKEN.finditer(text):
        start = match.start()
        if match.group("lt"):
            problems.append((start, "unescaped '<': write &lt; (or use an allowed tag)"))
        elif match.group("amp"):
            problems.append((start, "unescaped '&': write &amp;"))
        elif match.group("entity"):
            name = match.group("entity")
            if not name.startswith("#") and name not in NAMED_ENTITIES:
                problems.append((start, f"entity &{name}; is not supported by Telegram "
                                 "(only &lt; &gt; &amp; &quot; and numeric ones)"))
        else:
            tag = match.group("tag").lower()
            if tag not in ALLOWED_TAGS:
                shown = f"</{tag}>" if match.group("close") else f"<{tag}>"
                problems.append((start, f"tag {shown} is not allowed by Telegram (allowed: "
                                 f"{', '.join(sorted(ALLOWED_TAGS))})"))
                continue
            if match.group("close"):
                if not stack:
                    problems.append((start, f"</{tag}> closes no tag: no <{tag}> is open "
                                     "before it (delete it, or add the opening tag)"))
                    continue
                if stack[-1][0] != tag:
                    problems.append((start, f"</{tag}> does not match: expected "
                                     f"</{stack[-1][0]}>"))
                    continue
                stack.pop()
                continue
            attrs = dict((k.lower(), (v or "").strip("\"'")) for k, v in
                         _ATTR.findall(match.group("attrs")))
            for name in attrs:
                if name not in ALLOWED_TAGS[tag]:
                    problems.append((start, f"attribute '{name}' is not allowed on <{tag}>"))
            if tag == "a" and not attrs.get("href"):
                problems.append((start, "<a> needs an href"))
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                problems.append((start, "<span> is only allowed as <span class=\"tg-spoiler\">"))
            stack.append((tag, start))
    for tag, start in stack:
        problems.append((start, f"<{tag}> is never closed"))
    return problems


def to_plain(text: str) -> str:
    """What the reader sees: tags removed, entities decoded."""
    return html.unescape(_TAGS_ONLY.sub("", text))


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji often counts as 2)."""
    return len(text.encode("utf-16-le")) // 2
