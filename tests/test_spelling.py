"""Typos are caught like a missing translation: real Hunspell dictionaries for uk, ru and en."""

from __future__ import annotations

import subprocess
import sys

from bot.checks.spelling import misspelled, words
from bot.content.loader import load_catalog
from tests.conftest import PROJECT


def _accept_current_words(root):
    """Write each language's words.txt with every word the dictionaries do not know today."""
    catalog, _ = load_catalog(root)
    by_lang: dict[str, set[str]] = {}
    for problem in misspelled(catalog, root):
        lang = problem.pos.file.split("/")[1]
        by_lang.setdefault(lang, set()).add(problem.message.split("'")[1])
    for lang, found in by_lang.items():
        (root / "content" / lang / "words.txt").write_text(
            "# the project's own words\n" + "\n".join(sorted(found)) + "\n", encoding="utf-8")


def test_a_typo_is_reported_where_it_was_typed_and_own_words_are_accepted(base_copy):
    _accept_current_words(base_copy)
    catalog, _ = load_catalog(base_copy)
    assert misspelled(catalog, base_copy) == []
    uk = base_copy / "content/uk/main.yaml"
    uk.write_text(uk.read_text(encoding="utf-8").replace('title: "Робота"', 'title: "Роботта"'),
                  encoding="utf-8")
    catalog, _ = load_catalog(base_copy)
    assert [str(p) for p in misspelled(catalog, base_copy)] == [
        "content/uk/main.yaml:6:10: error: unknown word 'Роботта' (uk): a typo? If it is right, "
        "add it to content/uk/words.txt"]


def test_ukrainian_apostrophes_hyphens_and_latin_names_are_read_as_words():
    assert [w for _, w in words("Пам’ятайте: <b>будь-яка</b> {fact} агенція PESEL")] == [
        "Пам’ятайте", "будь-яка", "агенція", "PESEL"]


def test_validate_spelling_fails_on_a_typo(base_copy):
    _accept_current_words(base_copy)
    ru = base_copy / "content/ru/main.yaml"
    ru.write_text(ru.read_text(encoding="utf-8").replace('title: "Работа"', 'title: "Рабта"'),
                  encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "validate", str(base_copy),
                             "--spelling"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "content/ru/main.yaml:6:10: error: unknown word 'Рабта' (ru)" in result.stdout


def test_the_shipped_texts_have_no_unknown_word():
    catalog, _ = load_catalog(PROJECT)
    assert [str(p) for p in misspelled(catalog, PROJECT)] == []


def test_a_listed_name_is_accepted_with_the_ukrainian_apostrophe(base_copy):
    """An editor copies "Л’Акуїла" from a text into words.txt: the text then passes."""
    _accept_current_words(base_copy)
    own = base_copy / "content/uk/words.txt"
    before = own.read_text(encoding="utf-8") if own.exists() else ""
    own.write_text(before + "Л’Акуїла\n", encoding="utf-8")
    uk = base_copy / "content/uk/main.yaml"
    uk.write_text(uk.read_text(encoding="utf-8").replace('title: "Робота"', 'title: "Л’Акуїла"'),
                  encoding="utf-8")
    catalog, _ = load_catalog(base_copy)
    assert misspelled(catalog, base_copy) == []
