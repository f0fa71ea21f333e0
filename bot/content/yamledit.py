"""Writing texts into a language's content files the way an editor would: in place.

Texts brought back from a translator (``stay-safe po import``) go into ``content/<lang>/*.yaml``
without disturbing anything else: comments, the order of keys, blank lines, quotes and block
texts (``|``) stay as they were (a ruamel.yaml round trip; PyYAML would lose the comments).
A text that did not exist yet goes where the source language has it: into the same screen, in
the same order, or into the file of the same name; it is written in the source's style.
"""

from __future__ import annotations

import difflib
import io
import os
import re
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from bot.content.loader import content_files
from bot.content.model import DEFAULT_VARIANT

_UNREADABLE = object()
_WIDTH = 4096  # never re-wrap a long line
_FOLD = 90  # the line length of a new folded text
_FOLDABLE = re.compile(r"(?<=\S) (?=\S)")


def _yaml() -> YAML:
    editor = YAML(typ="rt")
    editor.preserve_quotes = True
    editor.width = _WIDTH
    editor.indent(mapping=2, sequence=4, offset=2)
    return editor


def _dump(data) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def _trailing_newlines(text: str) -> str:
    return text[len(text.rstrip("\n")):]


def styled(text: str, like) -> str:
    """``text`` written as ``like`` (the value it replaces, or the source's) is written: a
    block stays a block, quotes stay quotes, and it ends with as many line breaks."""
    if isinstance(like, str):
        text = text.rstrip("\n") + _trailing_newlines(like)
    if "\n" in text.rstrip("\n") or isinstance(like, LiteralScalarString):
        return LiteralScalarString(text)
    if isinstance(like, FoldedScalarString):
        folded = FoldedScalarString(text)
        folded.fold_pos = _fold_positions(text)
        return folded
    for kind in (DoubleQuotedScalarString, SingleQuotedScalarString):
        if isinstance(like, kind):
            return kind(text)
    return text


def _fold_positions(text: str) -> list[int]:
    """Where a folded text (``>``) breaks its lines: at single spaces, near ``_FOLD``."""
    positions, start, last = [], 0, None
    for match in _FOLDABLE.finditer(text):
        if match.start() - start > _FOLD and last is not None:
            positions.append(last)
            start = last + 1
        last = match.start()
    if len(text) - start > _FOLD and last is not None and last >= start:
        positions.append(last)
    return positions


def _styled_list(words: list[str], like) -> CommentedSeq:
    seq = CommentedSeq(styled(word, like[0] if like else None) for word in words)
    if like is None or like.fa.flow_style():
        seq.fa.set_flow_style()
    return seq


def _insert(target: CommentedMap, key: str, value, source) -> None:
    """Set ``target[key]``; a new key goes where ``source`` (a mapping or None) has it."""
    if key in target:
        target[key] = value
        return
    order = list(source) if isinstance(source, dict) and key in source else []
    position = len(target)
    if order:
        index = order.index(key)
        before = [k for k in order[:index] if k in target]
        after = [k for k in order[index + 1:] if k in target]
        if before:
            position = list(target).index(before[-1]) + 1
        elif after:
            position = list(target).index(after[0])
    target.insert(position, key, value)


class LanguageFiles:
    """The content files of one language, loaded for editing; ``source`` (the files of the
    source language) says where and how a text that is still missing is written."""

    def __init__(self, root: Path, lang: str, source: LanguageFiles | None = None):
        self.folder = root / "content" / lang
        self.source = source
        self.original: dict[str, str] = {}
        self.docs: dict[str, CommentedMap] = {}
        for path in content_files(self.folder) if self.folder.is_dir() else ():
            text = path.read_text(encoding="utf-8")
            self.original[path.name] = text
            self.docs[path.name] = _yaml().load(text) or CommentedMap()
        self._touched: set[str] = set()
        # Screens (and ui, profile …) new to a file: written as text of their own between the
        # others, so the blank lines between screens stay as they are (see ``texts``).
        self._new: dict[str, CommentedMap] = {}

    def _file_of(self, key: str) -> tuple[str, CommentedMap] | None:
        for docs in (self.docs, self._new):
            for name, doc in docs.items():
                if key in doc:
                    return name, doc
        return None

    def file_of(self, key: str) -> str | None:
        """The name of the file that holds the top-level ``key`` (a screen, ui, …)."""
        found = self._file_of(key)
        return found[0] if found else None

    def value(self, path: tuple[str, ...]):
        """The value at ``path`` as written (None when absent)."""
        found = self._file_of(path[0])
        node = found[1] if found else None
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def put(self, path: tuple[str, ...], value: str | list[str]) -> None:
        """Write a text (or a list of words) at an entry's ``path`` (see
        ``bot.checks.translations.Entry``), creating what is missing as the source has it."""
        path = self._resolve(path)
        found = self._file_of(path[0])
        if found is None:
            source_file = self.source._file_of(path[0]) if self.source else None
            name = source_file[0] if source_file else "main.yaml"
            found = name, self._new.setdefault(name, CommentedMap())
        name, doc = found
        self._touched.add(name)
        source = self.source.value(path[:1]) if self.source else None
        self._put(doc, path, value, source, None)

    def _resolve(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """The written path of a screen's default text: ``text`` or ``text.default``."""
        if len(path) == 2 and path[1] == "text":
            written = self.value(path)
            if written is None and self.source:
                written = self.source.value(path)
            if isinstance(written, dict):
                return (*path, DEFAULT_VARIANT)
        if len(path) == 3 and path[1] == "text":
            mine = self.value(path[:2])
            if mine is not None and not isinstance(mine, dict):  # one text → per country
                variants = CommentedMap()
                variants[DEFAULT_VARIANT] = mine
                self.value(path[:1])["text"] = variants
        return path

    def _put(self, node: CommentedMap, path, value, source, source_parent) -> None:
        """Set ``value`` at ``path`` under ``node``; ``source`` is what the source language
        has at ``path[0]`` (under ``source_parent``)."""
        key, rest = path[0], path[1:]
        if rest:
            child = node.get(key)
            if not isinstance(child, dict):
                child = CommentedMap()
                _insert(node, key, child, source_parent)
            below = source.get(rest[0]) if isinstance(source, dict) else None
            self._put(child, rest, value, below, source)
            return
        old = node.get(key)
        like = old if old is not None else source
        if isinstance(value, list):
            if isinstance(old, CommentedSeq):
                items = [styled(word, old[0] if old else None) for word in value]
                del old[:]
                old.extend(items)
                return
            new = _styled_list(value, like if isinstance(like, CommentedSeq) else None)
        else:
            new = styled(value, like)
        _insert(node, key, new, source_parent)

    def texts(self) -> dict[Path, str]:
        """The new text of every file that changed."""
        changed = {}
        for name in sorted(self._touched):
            if name in self.original:
                text = _keep_layout(self.original[name], _dump(self.docs[name]))
            else:  # a new file: say where it comes from
                text = (f"# {self.folder.name}: translated from "
                        f"content/{self.source.folder.name}/{name} by stay-safe po import.\n")
            new = self._new.get(name, {})
            order = list(self.source.docs.get(name, {})) if self.source else []
            for key in sorted(new, key=lambda k: order.index(k) if k in order else len(order)):
                following = order[order.index(key) + 1:] if key in order else []
                text = _splice(text, _dump({key: new[key]}), following)
            if text != self.original.get(name):
                changed[self.folder / name] = text
        return changed


def _keep_layout(original: str, written: str) -> str:
    """``written`` with every passage that changed no value put back as the editor wrote it.

    ruamel.yaml keeps comments, order, quotes and blocks, but writes a few constructs its own
    way (a list in brackets spread over several lines comes out on one): each changed passage
    is tried as it was, and kept so when the file still means the same."""
    meaning = _meaning(written)
    before, lines = original.splitlines(keepends=True), written.splitlines(keepends=True)
    changes = difflib.SequenceMatcher(None, before, lines, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(changes):  # from the end: earlier indexes stay valid
        if tag != "equal":
            candidate = lines[:j1] + before[i1:i2] + lines[j2:]
            if _meaning("".join(candidate)) == meaning:
                lines = candidate
    return "".join(lines)


def _meaning(text: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return _UNREADABLE


def _splice(text: str, snippet: str, following: list[str]) -> str:
    """``snippet`` (one top-level key) put into ``text`` before the first of ``following``
    found there (and the comment lines above it), or at the end; set off by a blank line when
    the file sets its screens off so."""
    doc = _yaml().load(text) if text else None
    lines = text.splitlines(keepends=True)
    starts = [_block_start(lines, doc.lc.key(key)[0]) for key in doc] if doc else []
    blank = "\n" if not starts[1:] or not lines[starts[-1] - 1].strip() else ""
    for key in following:
        if isinstance(doc, dict) and key in doc:
            at = _block_start(lines, doc.lc.key(key)[0])
            return "".join(lines[:at]) + snippet + blank + "".join(lines[at:])
    if not text:
        return snippet
    return text.rstrip("\n") + "\n" + blank + snippet


def _block_start(lines: list[str], line: int) -> int:
    """The first line of a top-level key with the comment lines right above it."""
    while line > 0 and lines[line - 1].startswith("#"):
        line -= 1
    return line


def write_files(files: dict[Path, str]) -> None:
    """Write each file whole, by renaming a finished copy: a watching bot never reads half."""
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
