"""Which source text each translation was made from, and which translations went stale.

Every text of a language has a key: ``work.title``, ``work_wage.text`` (the default text),
``work_wage.text.PL``, ``job_check.questions.passport``, ``list.items.copies``,
``work.keywords``, ``ui.back``, ``profile.commands.sos``, ``sos_words``. A translation
remembers the text of the source language (``source_language`` in flows/settings.yaml) it was
made from, in ``content/<lang>/translated-from.lock``: the loader reads only ``*.yaml``, so
this file is never taken for texts. When an editor changes a source text, the translations
made from its old version are *stale*: ``validate`` warns, ``stay-safe po export`` marks them
fuzzy with the old text, and importing a reviewed translation (or ``stay-safe po accept``)
records the current text again.

The record keeps the whole source text, not a hash of it: the old text is what a translator
needs to see what changed (gettext's ``#| msgid``), and it reads well in a git diff. A
translation that was never recorded (written straight into YAML and not accepted yet) is not
checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.model import DEFAULT_VARIANT, Catalog
from bot.content.problems import WARNING, Problem
from bot.content.yamlsafe import Map, Pos, Text, YamlError, load_file

RECORD_FILE = "translated-from.lock"
# Keywords and sos_words are translated as one text each, the words separated by commas:
# a translator chooses the words people type, not one word for each English word.
LIST_SEPARATOR = ", "
STALE = "stale"  # the code of the problems this module reports
_RECORD_HEADER = (
    "# Which {source} text each translation in this folder was made from (by key: screen and "
    "field).\n# Written by `stay-safe po import` and `stay-safe po accept`; do not edit it by "
    "hand.\n"
)


@dataclass(frozen=True)
class Entry:
    """One translatable text of one language.

    ``kind`` is title, text, question, item, keywords, ui, profile or sos_words; ``path`` is
    where it sits in the content file (``("work_wage", "text", "PL")``; the default text of a
    screen is ``(screen, "text")`` whether or not it has country variants).
    """

    kind: str
    path: tuple[str, ...]
    text: str
    pos: Pos

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def screen(self) -> str | None:
        return self.path[0] if self.kind in SCREEN_KINDS else None


SCREEN_KINDS = frozenset({"title", "text", "question", "item", "keywords"})


@dataclass(frozen=True)
class Stale:
    """A translation made from an older version of its source text."""

    lang: str
    key: str
    pos: Pos  # where the translation is written
    source: str  # the source text now
    previous: str  # the source text the translation was made from


def join_list(words: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(words)


def split_list(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def entries(catalog: Catalog, lang: str) -> dict[str, Entry]:
    """Every text of ``lang`` by key, in the order of the files."""
    found: list[Entry] = []
    for screen, texts in catalog.texts.get(lang, {}).items():
        if texts.title is not None:
            found.append(Entry("title", (screen, "title"), str(texts.title), texts.title.pos))
        for variant, text in texts.text.items():
            path = (screen, "text") if variant == DEFAULT_VARIANT else (screen, "text", variant)
            found.append(Entry("text", path, str(text), text.pos))
        for kind, field, parts in (("question", "questions", texts.questions),
                                   ("item", "items", texts.items)):
            for name, text in parts.items():
                found.append(Entry(kind, (screen, field, name), str(text), text.pos))
        if texts.keywords:
            found.append(Entry("keywords", (screen, "keywords"), join_list(texts.keywords),
                               texts.keywords[0].pos))
    for name, text in catalog.ui.get(lang, {}).items():
        found.append(Entry("ui", ("ui", name), str(text), text.pos))
    profile = catalog.profiles.get(lang)
    if profile is not None:
        for field in ("description", "short_description"):
            text = getattr(profile, field)
            if text is not None:
                found.append(Entry("profile", ("profile", field), str(text), text.pos))
        for name, text in profile.commands.items():
            found.append(Entry("profile", ("profile", "commands", name), str(text), text.pos))
    words = catalog.sos_words.get(lang, ())
    if words:
        found.append(Entry("sos_words", ("sos_words",), join_list(words), words[0].pos))
    found.sort(key=lambda e: (e.pos.file, e.pos.line, e.pos.col))
    return {entry.key: entry for entry in found}


def target_languages(catalog: Catalog) -> tuple[str, ...]:
    """The languages translated from the source language."""
    source = catalog.settings.source_language
    return tuple(lang for lang in catalog.settings.languages if lang != source)


# ---------------------------------------------------------------- the record files
def record_path(root: Path, lang: str) -> Path:
    return root / "content" / lang / RECORD_FILE


def read_record(root: Path, lang: str) -> dict[str, str]:
    """Key → the source text the translation was made from; empty when nothing is recorded.
    Raises ``YamlError`` (with a position) when the file cannot be read."""
    path = record_path(root, lang)
    if not (path.exists() or path.is_symlink()):
        return {}
    display = path.relative_to(root).as_posix()
    data = load_file(path, display)
    if data is None:
        return {}
    if not isinstance(data, Map):
        raise YamlError(Pos(display, 1, 1), "expected a mapping of keys to texts")
    for key, value in data.items():
        if not isinstance(value, Text):
            raise YamlError(data.value_pos[key], f"the record of '{key}' must be a text")
    return {key: str(value) for key, value in data.items()}


class _Dumper(yaml.SafeDumper):
    """Multi-line texts as blocks (``|``), so a changed sentence is a changed line in a diff."""


def _represent_text(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                   style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_text)


def write_record(root: Path, lang: str, source_lang: str, record: dict[str, str]) -> bool:
    """Write the record (sorted by key, so it merges well); False when it was already so."""
    path = record_path(root, lang)
    body = yaml.dump({key: record[key] for key in sorted(record)}, Dumper=_Dumper,
                     allow_unicode=True, sort_keys=False, width=1 << 16) if record else ""
    text = _RECORD_HEADER.format(source=source_lang) + body
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return True


def update_record(catalog: Catalog, root: Path, lang: str, made_from: dict[str, str],
                  present: Iterable[str]) -> bool:
    """Record ``made_from`` (key → source text) for ``lang`` and forget keys that no longer
    have both a source text and a translation (``present``: the translated keys)."""
    sources = entries(catalog, catalog.settings.source_language)
    try:
        record = read_record(root, lang)
    except YamlError:
        record = {}  # unreadable: validate said so; what is recorded now replaces it
    record.update(made_from)
    keep = set(present) & set(sources)
    record = {key: text for key, text in record.items() if key in keep}
    return write_record(root, lang, catalog.settings.source_language, record)


def accept(catalog: Catalog, root: Path, langs: Iterable[str] | None = None,
           keys: Iterable[str] | None = None) -> dict[str, int]:
    """Record that the translations of ``langs`` (all but the source language by default),
    or only those with ``keys``, follow the current source texts. Returns, per language,
    how many translations were stale or unrecorded and are recorded now."""
    sources = entries(catalog, catalog.settings.source_language)
    wanted = set(keys) if keys is not None else None
    counts = {}
    for lang in langs or target_languages(catalog):
        present = entries(catalog, lang)
        try:
            record = read_record(root, lang)
        except YamlError:
            record = {}
        made_from = {key: sources[key].text for key in present
                     if key in sources and (wanted is None or key in wanted)}
        counts[lang] = sum(1 for key, text in made_from.items() if record.get(key) != text)
        update_record(catalog, root, lang, made_from, present)
    return counts


# ---------------------------------------------------------------- stale translations
def _records(catalog: Catalog, root: Path) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    records, problems = {}, []
    for lang in target_languages(catalog):
        try:
            records[lang] = read_record(root, lang)
        except YamlError as exc:
            records[lang] = {}
            problems.append(Problem(exc.pos, WARNING, f"{exc.message}: this file records which "
                                    f"{catalog.settings.source_language} text each translation "
                                    "was made from; restore it from git, or write it again "
                                    f"with: stay-safe po accept {lang}", STALE))
    return records, problems


def _stale(catalog: Catalog, records: dict[str, dict[str, str]]) -> list[Stale]:
    sources = entries(catalog, catalog.settings.source_language)
    found = []
    for lang, record in records.items():
        for key, entry in entries(catalog, lang).items():
            previous = record.get(key)
            if key in sources and previous is not None and previous != sources[key].text:
                found.append(Stale(lang, key, entry.pos, sources[key].text, previous))
    return found


def stale_texts(catalog: Catalog, root: Path) -> list[Stale]:
    """Translations whose source text changed since they were made, in file order."""
    return _stale(catalog, _records(catalog, root)[0])


def stale_problems(catalog: Catalog, root: Path) -> list[Problem]:
    """Warnings for ``validate``: stale translations, and a record that cannot be read."""
    records, problems = _records(catalog, root)
    source = catalog.settings.source_language
    for stale in _stale(catalog, records):
        problems.append(Problem(stale.pos, WARNING, f"stale: the {source} text changed since "
                                "this translation; once it is updated, run: stay-safe po "
                                f"accept {stale.lang} {stale.key}", STALE))
    return problems
