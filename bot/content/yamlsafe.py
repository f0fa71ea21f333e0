"""Safe YAML loading for content written by people, with positions kept for every value.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and expands aliases without
limit. Editors need neither anchors nor tags, so this loader refuses them outright, refuses
duplicate keys and oversized files, and returns values that remember their ``line:column`` so
the validator can point at the exact place of a mistake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 256 * 1024
STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
ALLOWED_TAGS = {
    STANDARD_TAG_PREFIX + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}


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


class _AliasRefused(Exception):
    def __init__(self, mark):
        super().__init__("alias")
        self.mark = mark


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        # Refused before PyYAML resolves it, so an alias bomb is never expanded.
        if self.check_event(AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _pos(file: str, node: Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)


_SCALARS = SafeConstructor()


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
            key = str(key_node.value)
            if key in result:
                first = result.key_pos[key]
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
        return Text(node.value, pos, block)
    value = _SCALARS.construct_object(node)
    if isinstance(value, dt.datetime):
        value = value.date()
    return value


def load_text(source: str, file: str):
    """Parse one YAML document; raises ``YamlError`` with a position on any refusal."""
    if len(source.encode("utf-8")) > MAX_FILE_BYTES:
        raise YamlError(
            Pos(file, 1, 1),
            f"file is larger than {MAX_FILE_BYTES // 1024} KiB; split it into smaller files",
        )
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
    except _AliasRefused as exc:
        raise YamlError(
            Pos(file, exc.mark.line + 1, exc.mark.column + 1),
            "aliases (*name) are not allowed in content; write the value out",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or exc.context or "YAML syntax error"
        if exc.problem and exc.context and exc.context_mark:
            message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise YamlError(Pos(file, line, col), f"YAML syntax error: {message}") from None
    except yaml.YAMLError as exc:
        raise YamlError(Pos(file, 1, 1), f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _convert(node, file, source.splitlines())


def load_file(path: Path, display: str):
    """Read and parse a file; ``display`` is the name used in messages (relative path)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlError(
                Pos(display, 1, 1),
                f"file is larger than {MAX_FILE_BYTES // 1024} KiB; split it into smaller files",
            )
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlError(Pos(display, 1, 1), "file is not valid UTF-8 text") from None
    return load_text(source, display)
