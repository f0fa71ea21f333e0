"""Safe YAML loading for content written by people, with positions kept for every value.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and expands aliases without
limit. Editors need neither anchors nor tags, so this loader refuses them outright, refuses
duplicate keys and oversized files, and returns values that remember their ``line:column`` so
the validator can point at the exact place of a mistake. Whatever an editor saves (an impossible
date, a character pasted from a word processor, a pipe or a broken link named ``*.yaml``) ends
in a ``YamlError`` with a position, never in another exception or a read that blocks.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.content.yamlhints import empty_key_between, explain

MAX_FILE_BYTES = 256 * 1024
_TOO_LARGE = f"file is larger than {MAX_FILE_BYTES // 1024} KiB; split it into smaller files"
# Content nests a few levels deep; a limit far above that stops a paste of "[[[[…" long before
# Python's recursion limit.
MAX_DEPTH = 32
# Longer than any number content needs; PyYAML would spend seconds on a long 1:2:3 (base 60)
# number, and Python refuses to convert more than 4300 digits at all.
MAX_NUMBER_CHARS = 100
STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
ALLOWED_TAGS = {
    STANDARD_TAG_PREFIX + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}
# Characters an editor cannot see, typically pasted from a word processor: control characters
# (YAML itself refuses most of them), Unicode line and paragraph separators (YAML counts them
# as line breaks that no editor shows), and lone surrogates (Telegram refuses them).
_INVISIBLE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff"
_INVISIBLE_IN_FILE = re.compile(f"[{_INVISIBLE}]")
_INVISIBLE_IN_TEXT = re.compile(f"[{_INVISIBLE}\r]")  # "\r" here came from an escape


@dataclass(frozen=True)
class Pos:
    """A place in a file, 1-based, as editors count lines and columns."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class YamlError(Exception):
    """A file that cannot be read as content at all; carries where and why."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(f"{pos}: {message}")
        self.pos = pos
        self.message = message


class Text(str):
    """A string from YAML that remembers where it was written and how (block or inline)."""

    pos: Pos
    block: bool

    def __new__(cls, value: str, pos: Pos, block: bool = False) -> Text:
        obj = super().__new__(cls, value)
        obj.pos = pos
        obj.block = block
        return obj

    def __reduce__(self):
        return (Text, (str(self), self.pos, self.block))

    def pos_at(self, offset: int) -> Pos:
        """Position in the file of the character at ``offset`` (exact for block scalars)."""
        if not self.block:
            return self.pos
        before = self[:offset]
        line = before.count("\n")
        col = offset - (before.rfind("\n") + 1)
        return Pos(self.pos.file, self.pos.line + line, self.pos.col + col)


class Map(dict):
    """A mapping whose keys and values remember their positions."""

    pos: Pos
    key_pos: dict
    value_pos: dict


class Seq(list):
    """A sequence whose items remember their positions."""

    pos: Pos
    item_pos: list


class _Refused(Exception):
    """Raised while composing, where the file name is unknown; ``load_text`` adds it."""

    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent, index):
        # Refused before PyYAML resolves it, so an alias bomb is never expanded.
        if self.check_event(AliasEvent):
            raise _Refused(self.peek_event().start_mark,
                           "aliases (*name) are not allowed in content; write the value out")
        if self.depth >= MAX_DEPTH:
            raise _Refused(self.peek_event().start_mark,
                           f"lists and mappings are nested more than {MAX_DEPTH} levels deep; "
                           "look for brackets [ or { that are never closed")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _pos(file: str, node: Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)


_SCALARS = SafeConstructor()


def _invisible_message(char: str) -> str:
    return (f"invisible character U+{ord(char):04X} is not allowed (often pasted from a word "
            "processor); delete it, or retype the text around it")


def _check_text(value: str, file: str, node: Node) -> str:
    """Refuses invisible characters that an escape like "\\x00" put into a key or a text."""
    found = _INVISIBLE_IN_TEXT.search(value)
    if found:
        raise YamlError(_pos(file, node), _invisible_message(found.group()))
    return value


def _scalar(node: ScalarNode, file: str):
    """A number, yes/no, nothing or a date; an impossible value is refused where it stands."""
    tag = node.tag.replace(STANDARD_TAG_PREFIX, "")
    if tag == "int" and len(node.value) > MAX_NUMBER_CHARS:
        raise YamlError(_pos(file, node), f"a number {len(node.value)} characters long cannot be "
                        "right; if it is text, put it in quotes")
    try:
        value = _SCALARS.construct_object(node)
    except (ValueError, OverflowError) as exc:
        if tag == "timestamp":
            message = f"'{node.value}' is not a real date ({exc})"
        else:
            message = f"'{node.value[:40]}' cannot be read as a {tag} ({exc})"
        raise YamlError(_pos(file, node), message) from None
    if isinstance(value, dt.datetime):
        value = value.date()
    return value


def _block_indent(node: ScalarNode, lines: list[str]) -> int:
    """Column (1-based) where a block scalar's text starts, read from its first content line."""
    first = node.start_mark.line + 1
    if first < len(lines):
        line = lines[first]
        return len(line) - len(line.lstrip(" ")) + 1
    return node.start_mark.column + 1


def _convert(node: Node, file: str, lines: list[str]):
    tag = node.tag
    if tag not in ALLOWED_TAGS:
        raise YamlError(
            _pos(file, node),
            f"the tag {tag.replace(STANDARD_TAG_PREFIX, '!!')} is not allowed in content "
            "(only plain values, lists and mappings)",
        )
    if isinstance(node, MappingNode):
        result = Map()
        result.pos = _pos(file, node)
        result.key_pos, result.value_pos = {}, {}
        for key_node, value_node in node.value:
            if key_node.tag == STANDARD_TAG_PREFIX + "merge":
                raise YamlError(_pos(file, key_node), "merge keys (<<) are not allowed in content")
            if not isinstance(key_node, ScalarNode):
                raise YamlError(_pos(file, key_node), "a key must be a plain word")
            key = _check_text(str(key_node.value), file, key_node)
            if key in result:
                first = result.key_pos[key]
                hint = empty_key_between(lines, first.line, key_node.start_mark.line + 1)
                if hint is not None:
                    raise YamlError(Pos(file, hint.line, hint.col), hint.message)
                raise YamlError(
                    _pos(file, key_node),
                    f"duplicate key '{key}' (first defined at line {first.line}); "
                    "YAML would silently keep only the last one",
                )
            result.key_pos[key] = _pos(file, key_node)
            result.value_pos[key] = _pos(file, value_node)
            result[key] = _convert(value_node, file, lines)
        return result
    if isinstance(node, SequenceNode):
        result = Seq()
        result.pos = _pos(file, node)
        result.item_pos = [_pos(file, item) for item in node.value]
        result.extend(_convert(item, file, lines) for item in node.value)
        return result
    if tag == STANDARD_TAG_PREFIX + "str":
        block = node.style in ("|", ">")
        pos = _pos(file, node)
        if block:
            # A block scalar's text starts on the line after its | or > indicator.
            pos = Pos(file, pos.line + 1, _block_indent(node, lines))
        return Text(_check_text(node.value, file, node), pos, block)
    return _scalar(node, file)


def load_text(source: str, file: str):
    """Parse one YAML document; raises ``YamlError`` with a position on any refusal."""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YamlError(Pos(file, 1, 1), _TOO_LARGE)
    invisible = _INVISIBLE_IN_FILE.search(source)
    if invisible:
        raise YamlError(_offset_pos(source, invisible.start(), file),
                        _invisible_message(invisible.group()))
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        raise YamlError(Pos(file, exc.mark.line + 1, exc.mark.column + 1), exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        hint = explain(source, line)
        if hint is not None:
            raise YamlError(Pos(file, hint.line, hint.col), hint.message) from None
        message = exc.problem or exc.context or "YAML syntax error"
        if exc.problem and exc.context and exc.context_mark:
            message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise YamlError(Pos(file, line, col), "the layout of the file cannot be read here "
                        f"(YAML says: {message})") from None
    except yaml.YAMLError as exc:
        raise YamlError(Pos(file, 1, 1), f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _convert(node, file, source.splitlines())


def _offset_pos(source: str, offset: int, file: str) -> Pos:
    """Line and column of ``source[offset]`` as an editor counts them (only "\\n" ends a line)."""
    line_start = source.rfind("\n", 0, offset) + 1
    return Pos(file, source.count("\n", 0, offset) + 1, offset - line_start + 1)


def _not_a_file(mode: int) -> str | None:
    """Why a file of this type is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "this is a folder, not a file; rename it so its name does not end in .yaml"
    if stat.S_ISFIFO(mode):
        kind = "a named pipe"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "a special file"
    return f"this is {kind}, not a text file; only plain text files are read"


def _cannot_open(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "this is a link that leads back to itself (a loop of links); delete the link"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return "this is a link to a file that does not exist; delete the link or restore the file"
    if exc.errno == errno.ENOENT:
        return "the file disappeared while it was being read; save it again"
    return f"the file cannot be read ({exc.strerror or exc})"


def read_source(path: Path, display: str) -> str:
    """The text of a regular file; anything else (a folder, a pipe, a device, a broken link) is
    refused without being opened, and a read never blocks nor takes more than the size limit."""
    try:
        why_not = _not_a_file(os.stat(path).st_mode)
        if why_not is None:
            # O_NONBLOCK: if a pipe replaced the file since the stat, opening it cannot block.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            with open(fd, "rb") as stream:
                why_not = _not_a_file(os.fstat(fd).st_mode)
                data = b"" if why_not else stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise YamlError(Pos(display, 1, 1), _cannot_open(path, exc)) from None
    if why_not:
        raise YamlError(Pos(display, 1, 1), why_not)
    if len(data) > MAX_FILE_BYTES:
        raise YamlError(Pos(display, 1, 1), _TOO_LARGE)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        raise YamlError(Pos(display, data.count(b"\n", 0, exc.start) + 1, col),
                        "file is not valid UTF-8 text; save it with the UTF-8 encoding") from None
    # Line ends as Python's text mode reads them, so positions match what editors show.
    return source.replace("\r\n", "\n").replace("\r", "\n")


def load_file(path: Path, display: str):
    """Read and parse a file; ``display`` is the name used in messages (relative path)."""
    return load_text(read_source(path, display), display)
