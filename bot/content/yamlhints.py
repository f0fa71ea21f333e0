"""YAML syntax errors in plain words, at the line that is really wrong.

PyYAML reports what its parser met ("could not find expected ':'", "expected <block end>"),
often on the line after the mistake. Editors are NGO staff, not programmers: the common
mistakes (a Tab, a text line with fewer spaces than the rest of its text, a screen id that is
indented, a quote never closed) are recognised from the file itself and explained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"^( *)(- +)?([A-Za-z_][\w-]*|\"[^\"]*\"|'[^']*')\s*:(?:\s|$)")
_BLOCK_HEADER = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")
_OPENING_QUOTE = re.compile(r":\s+(\"|')")
_OPENING_BRACKET = re.compile(r"(?::|^\s*-)\s+([\[{])")
_CLOSING = {"[": "]", "{": "}"}


@dataclass(frozen=True)
class Hint:
    line: int  # 1-based
    col: int
    message: str


def explain(source: str, error_line: int) -> Hint | None:
    """A plain-words explanation of a syntax error reported at ``error_line`` (1-based), or
    None when the mistake is not one of the common ones."""
    lines = source.splitlines()
    for finder in (_tab, _dedented_text, _misaligned_key, _open_quote, _open_bracket):
        hint = finder(lines)
        if hint is not None and hint.line <= error_line + 1:
            return hint
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _tab(lines: list[str]) -> Hint | None:
    for number, line in enumerate(lines, 1):
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in lead:
            return Hint(number, lead.index("\t") + 1, "a Tab character: YAML needs spaces to "
                        "indent; replace the Tab with spaces")
    return None


def _blocks(lines: list[str]):
    """(key indent, first content index, content indent) of each block text."""
    for index, line in enumerate(lines):
        if line.lstrip().startswith("#") or not _BLOCK_HEADER.search(line):
            continue
        key_indent = _indent(line)
        body = [i for i in range(index + 1, len(lines)) if lines[i].strip()]
        if body:
            yield key_indent, body[0], _indent(lines[body[0]])


def _dedented_text(lines: list[str]) -> Hint | None:
    """A line of a text (after | or >) with fewer spaces than the text's first line."""
    for key_indent, first, indent in _blocks(lines):
        if indent <= key_indent:
            continue
        for index in range(first + 1, len(lines)):
            line = lines[index]
            if not line.strip():
                continue
            current = _indent(line)
            if current >= indent:
                continue
            if current <= key_indent and _KEY.match(line):
                break  # the next field: the text ended here, as intended
            return Hint(index + 1, current + 1, f"line {index + 1} is indented less than the "
                        f"rest of this text (it starts at line {first + 1}): every line of a "
                        "text needs the same spaces at the start")
    return None


def _misaligned_key(lines: list[str]) -> Hint | None:
    """A key that lines up with no open level: above all an indented screen id."""
    levels = [0]
    in_block_until = -1
    nested_next = False
    for index, line in enumerate(lines):
        if index <= in_block_until or not line.strip() or line.lstrip().startswith("#"):
            continue
        current = _indent(line)
        key = _KEY.match(line)
        if nested_next and current > levels[-1]:
            levels.append(current)
        elif current not in levels and key:
            if current < (levels[1] if len(levels) > 1 else 1):
                return Hint(index + 1, current + 1, "this screen id is indented: screen ids "
                            "(and the other top-level names) start at the left edge, with no "
                            "spaces before them")
            return Hint(index + 1, current + 1, f"line {index + 1} is indented differently "
                        "from the lines above it: fields of the same screen need the same "
                        "number of spaces at the start")
        else:
            while levels and levels[-1] > current:
                levels.pop()
            if not levels:
                levels = [current]
        nested_next = bool(key) and not line[key.end():].split("#")[0].strip()
        if key and key.group(2):  # "- name: value": the item's other fields line up after "- "
            levels.append(current + len(key.group(2)))
        if _BLOCK_HEADER.search(line):
            nested_next = False
            in_block_until = _block_end(lines, index, current)
    return None


def _block_end(lines: list[str], header: int, key_indent: int) -> int:
    """Index of the last line of the block text that starts after ``header``."""
    last = header
    for index in range(header + 1, len(lines)):
        line = lines[index]
        if line.strip() and _indent(line) <= key_indent:
            break
        last = index
    return last


def _open_quote(lines: list[str]) -> Hint | None:
    """A value that opens a quote and never closes it (on its line or the lines that continue
    it, which YAML allows when they are indented more)."""
    for number, line in enumerate(lines, 1):
        match = _OPENING_QUOTE.search(line)
        if not match or line.lstrip().startswith("#"):
            continue
        quote = match.group(1)
        text = _with_continuation(lines, number - 1)[match.end():]
        if quote not in text.replace("\\" + quote, "").replace(quote * 2, ""):
            return Hint(number, match.start(1) + 1, f"the text that starts with {quote} here "
                        f"is never closed: end it with {quote} on the same line")
    return None


def _open_bracket(lines: list[str]) -> Hint | None:
    """A list [ or a group { opened after a name and never closed."""
    for number, line in enumerate(lines, 1):
        match = _OPENING_BRACKET.search(line)
        if not match or line.lstrip().startswith("#"):
            continue
        opening = match.group(1)
        text = _with_continuation(lines, number - 1)[match.start(1):]
        text = re.sub(r"\"[^\"]*\"|'[^']*'", "", text)
        if text.count(opening) > text.count(_CLOSING[opening]):
            what = "list" if opening == "[" else "group"
            return Hint(number, match.start(1) + 1, f"the {what} that starts with {opening} here "
                        f"is never closed: end it with {_CLOSING[opening]} on the same line")
    return None


def _with_continuation(lines: list[str], index: int) -> str:
    """A line and the lines after it up to the next name at its level or above (YAML reads
    a value over several lines; a closing ] may even stand at the left edge)."""
    indent, parts = _indent(lines[index]), [lines[index]]
    for line in lines[index + 1:]:
        if line.strip() and _indent(line) <= indent and _KEY.match(line):
            break
        parts.append(line)
    return "\n".join(parts)


def empty_key_between(lines: list[str], first: int, duplicate: int) -> Hint | None:
    """Why a field appears twice: often a screen id between the two was indented, so the
    fields of the next screen joined the screen above. ``first`` and ``duplicate`` are the
    1-based lines of the two occurrences."""
    indent = _indent(lines[duplicate - 1])
    for index in range(first, duplicate - 1):
        line = lines[index]
        key = _KEY.match(line)
        if not key or _indent(line) != indent or line[key.end():].split("#")[0].strip():
            continue
        following = next((x for x in lines[index + 1:] if x.strip()), "")
        if _indent(following) <= indent:  # nothing nested under it: meant to be a level up
            return Hint(index + 1, indent + 1, "this screen id is indented: screen ids (and the "
                        "other top-level names) start at the left edge, with no spaces before "
                        "them")
    return None
