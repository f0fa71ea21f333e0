"""Translators' PO files and stale translations, as an editor and a translator meet them.

Every test works on a copy of the content: the shipped one or tests/fixtures/base (with
``source_language: en``, as the shipped settings have).
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.checks.po import RUNTIME_MEANINGS
from bot.checks.translations import entries, split_list
from bot.content.loader import load_catalog
from bot.content.texts import RUNTIME_VARIABLES
from bot.content.yamledit import LanguageFiles
from tests.conftest import BASE, PROJECT

WORK_PL_EN = "[en] Work in <b>Poland</b>.\n"
STALE = ("warning: stale: the en text changed since this translation; once it is updated, "
         "run: stay-safe po accept")


def run(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], text=True,
                          capture_output=True, cwd=cwd, timeout=60)


def copy_of(source: Path, tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for folder in ("flows", "content"):
        shutil.copytree(source / folder, root / folder)
    return root


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The base content with English as the source language, every translation recorded."""
    root = copy_of(BASE, tmp_path)
    with (root / "flows/settings.yaml").open("a", encoding="utf-8") as settings:
        settings.write("source_language: en\n")
    assert run("po", "accept", "--root", str(root)).returncode == 0
    return root


def files_of(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def translate(po_path: Path, **strings: str) -> None:
    """What a translator's tool does: set msgstr (key given with _ for .) and clear fuzzy."""
    with po_path.open("rb") as stream:
        po = read_po(stream)
    for message in po:
        key = (message.context or "").replace(".", "_")
        if key in strings:
            message.string = strings[key]
            message.flags.discard("fuzzy")
    with po_path.open("wb") as stream:
        write_po(stream, po, include_previous=True)


def line_of(po_path: Path, key: str) -> int:
    """The line of the msgid of ``key``: where import reports its problems."""
    lines = po_path.read_text(encoding="utf-8").splitlines()
    return lines.index(f'msgctxt "{key}"') + 2


def validate_lines(root: Path) -> list[str]:
    result = run("validate", str(root), "--today", "2026-11-23")
    return result.stdout.splitlines()


@pytest.mark.parametrize("source", [PROJECT, BASE], ids=["shipped", "base"])
def test_export_then_import_leaves_every_file_byte_for_byte_identical(source, tmp_path):
    root = copy_of(source, tmp_path)
    before = files_of(root)
    exported = run("po", "export", "--root", str(root), "--out", str(tmp_path / "po"))
    assert exported.returncode == 0, exported.stderr
    imported = run("po", "import", str(tmp_path / "po"), "--root", str(root))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    after = files_of(root)
    yaml = [name for name in before if name.endswith(".yaml")]
    assert yaml and [n for n in yaml if after[n] != before[n]] == []
    if source == PROJECT:  # its translations are recorded: nothing at all changes
        assert after == before
    assert "wrote" not in imported.stderr


@pytest.mark.parametrize("source", [PROJECT, BASE], ids=["shipped", "base"])
def test_changing_one_text_changes_only_its_line_in_every_content_file(source):
    """A changed translation rewrites its file: comments, order, quotes, blocks and blank
    lines of everything else stay as they were."""
    catalog, _ = load_catalog(source)
    checked = 0
    for lang in catalog.settings.languages:
        firsts = {}
        for entry in entries(catalog, lang).values():
            firsts.setdefault(entry.pos.file, entry)
        for file, entry in firsts.items():
            files = LanguageFiles(source, lang, LanguageFiles(source, lang))
            value = (["new", *split_list(entry.text)]
                     if entry.kind in ("keywords", "sos_words") else "New " + entry.text)
            files.put(entry.path, value)
            (text,) = files.texts().values()
            old = (source / file).read_text(encoding="utf-8").splitlines()
            diff = [line for line in list(difflib.unified_diff(old, text.splitlines(), n=0,
                                                               lineterm=""))[2:]
                    if not line.startswith("@@")]
            assert len(diff) == 2 and diff[0].startswith("-") and diff[1].startswith("+"), (
                file, diff)
            checked += 1
    assert checked >= 9


def test_a_changed_source_text_goes_stale_in_the_other_languages_until_reviewed(base, tmp_path):
    assert validate_lines(base) == []
    replace_in(base / "content/en/main.yaml", WORK_PL_EN, "[en] Work in <b>Poland</b>, legally.\n")
    assert validate_lines(base) == [
        f"content/ru/main.yaml:11:7: {STALE} ru work.text.PL",
        f"content/uk/main.yaml:11:7: {STALE} uk work.text.PL",
    ]

    po = tmp_path / "po"
    texts = len(entries(load_catalog(base)[0], "en"))
    assert run("po", "export", "--root", str(base), "--out", str(po)).stdout.splitlines() == [
        f"{po}/uk.po: {texts} texts, 1 stale (fuzzy), 0 untranslated",
        f"{po}/ru.po: {texts} texts, 1 stale (fuzzy), 0 untranslated",
    ]
    assert ('#, fuzzy\n'
            '#| msgid "[en] Work in <b>Poland</b>.\\n"\n'
            'msgctxt "work.text.PL"\n'
            'msgid "[en] Work in <b>Poland</b>, legally.\\n"\n'
            'msgstr "[uk] Work in <b>Poland</b>.\\n"\n') in (po / "uk.po").read_text()

    # The Ukrainian translator reviews the entry; the Russian one changes it but leaves it
    # marked fuzzy, which means "not reviewed": it is not taken.
    translate(po / "uk.po", work_text_PL="[uk] Legal work in <b>Poland</b>.\n")
    ru = (po / "ru.po").read_text()
    (po / "ru.po").write_text(ru.replace('msgstr "[ru] Work in <b>Poland</b>.\\n"',
                                         'msgstr "[ru] unreviewed <b>Poland</b>.\\n"'))
    imported = run("po", "import", str(po), "--root", str(base))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"{po}/uk.po: 1 text(s) changed, {texts} reviewed, 0 fuzzy left for review" \
        in imported.stderr
    assert f"{po}/ru.po: 0 text(s) changed, {texts - 1} reviewed, 1 fuzzy left for review" \
        in imported.stderr

    assert "    PL: |\n      [uk] Legal work in <b>Poland</b>.\n" in (
        base / "content/uk/main.yaml").read_text()
    assert "[ru] Work in <b>Poland</b>." in (base / "content/ru/main.yaml").read_text()
    assert validate_lines(base) == [f"content/ru/main.yaml:11:7: {STALE} ru work.text.PL"]
    report = run("report", "--root", str(base)).stdout
    assert report.endswith("## Stale translations\n\n"
                           "Translations made from an older en text: `stay-safe po export` "
                           "marks them for the translator (fuzzy).\n\n"
                           "| language | text | where |\n|---|---|---|\n"
                           "| ru | work.text.PL | content/ru/main.yaml:11 |\n")


def test_an_import_keeps_the_layout_of_what_it_did_not_change(base, tmp_path):
    """ruamel.yaml writes a list in brackets spread over lines on one line; the import puts
    back every passage it did not change."""
    ui = base / "content/ru/ui.yaml"
    replace_in(ui, "sos_words: [sos]", "# words that open the helplines\nsos_words: [\n  sos,\n"
               "  помогите,\n]")
    before = ui.read_text(encoding="utf-8")
    po = tmp_path / "po"
    run("po", "export", "ru", "--root", str(base), "--out", str(po))
    translate(po / "ru.po", ui_back="⬅️ Обратно")
    assert run("po", "import", str(po), "--root", str(base)).returncode == 0
    assert ui.read_text(encoding="utf-8") == before.replace("⬅️ Назад", "⬅️ Обратно")


def test_accept_records_the_current_source_text_for_the_texts_named(base):
    replace_in(base / "content/en/main.yaml", WORK_PL_EN, "[en] Work in <b>Poland</b>, legally.\n")
    replace_in(base / "content/en/main.yaml", '"[en] Quiz intro"', '"[en] A short quiz"')
    accepted = run("po", "accept", "uk", "work.text.PL", "--root", str(base))
    assert accepted.stdout == "uk: 1 translation(s) recorded as following the current en text\n"
    assert validate_lines(base) == [
        f"content/ru/main.yaml:11:7: {STALE} ru work.text.PL",
        f"content/ru/main.yaml:15:9: {STALE} ru quiz.text",
        f"content/uk/main.yaml:15:9: {STALE} uk quiz.text",
    ]
    refused = run("po", "accept", "uk", "work.text.XX", "--root", str(base))
    assert refused.returncode == 2
    assert refused.stderr.startswith("stay-safe: no such text: work.text.XX")


def test_import_refuses_translations_whose_placeholders_html_or_facts_differ(base, tmp_path):
    po = tmp_path / "po"
    run("po", "export", "--root", str(base), "--out", str(po))
    translate(po / "ru.po",
              home_text="[ru] Home text. Country: {country}. Emergency: 112.\n",
              work_text_PL="[ru] Work in <b>Poland.\n",
              quiz_questions_fee='[ru] Pay a <a href="https://evil.example">fee</a>?',
              list_title="[ru] List")
    before = files_of(base)
    result = run("po", "import", str(po / "ru.po"), "--root", str(base))
    ru = po / "ru.po"
    home, work, fee = (line_of(ru, key) for key in ("home.text", "work.text.PL",
                                                    "quiz.questions.fee"))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{ru}:{home}: placeholders differ from the en text (en has {{emergency}} where ru has "
        "none): keep each {…} as it is",
        f"{ru}:{home}: number '112' typed into the translation, but not in the en text: write "
        "{emergency}",
        f"{ru}:{work}: <b> is never closed",
        f"{ru}:{fee}: HTML tags differ from the en text (en has none where ru has "
        '<a href="https://evil.example">): keep the same tags',
        f"{ru}:{fee}: link 'https://evil.example' typed into the translation: links come from "
        "flows/facts.yaml, written as {fact_id} like the source text",
    ]
    assert result.stderr == "stay-safe: nothing imported: 5 problem(s)\n"
    assert files_of(base) == before  # not even the good translation of list.title


def test_import_refuses_what_validate_would_refuse_at_the_translation(base, tmp_path):
    po = tmp_path / "po"
    run("po", "export", "--root", str(base), "--out", str(po))
    translate(po / "uk.po", profile_short_description="[uk] " + "x" * 130,
              home_title="[uk] A home title far too long for a button")
    result = run("po", "import", str(po), "--root", str(base))
    uk = po / "uk.po"
    assert result.stdout.splitlines() == [
        f"{uk}:{line_of(uk, 'profile.short_description')}: profile short_description is 135 "
        "characters; Telegram allows 120",
        f"{uk}:{line_of(uk, 'home.title')}: warning: title of 'home' is 43 characters; over 30 "
        "it is hard to read on a small phone",
    ]
    assert result.returncode == 1


def test_import_adds_a_missing_translation_where_the_source_has_it(base, tmp_path):
    ru = base / "content/ru/main.yaml"
    original = ru.read_text(encoding="utf-8")
    ru.write_text(original.replace('safe:\n  title: "[ru] Safe"\n  text: "[ru] Result text"\n',
                                   ""), encoding="utf-8")
    po = tmp_path / "po"
    assert "1 untranslated" not in run("po", "export", "--root", str(base), "--out",
                                       str(po)).stdout
    assert 'msgctxt "safe.title"\nmsgid "[en] Safe"\nmsgstr ""' in (po / "ru.po").read_text()
    translate(po / "ru.po", safe_title="[ru] Safe", safe_text="[ru] Result text")
    result = run("po", "import", str(po / "ru.po"), "--root", str(base))
    assert result.returncode == 0, result.stdout
    assert ru.read_text(encoding="utf-8") == original
    assert validate_lines(base) == []


def test_po_files_that_cannot_be_imported_say_where_and_why(base, tmp_path):
    po = tmp_path / "po"
    run("po", "export", "--root", str(base), "--out", str(po))
    (po / "en.po").write_text('msgid ""\nmsgstr ""\n"Language: en\\n"\n')
    replace_in(po / "uk.po", 'msgctxt "work.title"', 'msgctxt "jobs.title"')
    replace_in(po / "ru.po", 'msgstr "Работа"', 'msgstrr "Работа"')
    before = files_of(base)
    result = run("po", "import", str(po), "--root", str(base))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{po}/en.po:1: the language 'en' is not one translated from en (those are uk, ru); "
        "check its Language header",
        f"{po}/ru.po:{line_of(po / 'ru.po', 'work.title') + 1}: this is not a valid PO file: "
        "Unknown or misformatted keyword",
        f"{po}/uk.po:{line_of(po / 'uk.po', 'jobs.title')}: 'jobs.title' is not a text of the "
        "en content (renamed or removed since the export?); export again",
    ]
    assert files_of(base) == before


def test_a_record_that_cannot_be_read_is_a_warning_with_the_way_out(base):
    record = base / "content/uk/translated-from.lock"
    record.write_text("<<<<<<< HEAD\nwork.title: Work\n=======\nwork.title: Jobs\n>>>>>>> x\n")
    (line,) = validate_lines(base)
    assert line.startswith("content/uk/translated-from.lock:2:11: warning: ")
    assert line.endswith(": this file records which en text each translation was made from; "
                         "restore it from git, or write it again with: stay-safe po accept uk")


def test_the_translator_sees_the_screen_placeholders_and_budget(base, tmp_path):
    run("po", "export", "uk", "--root", str(base), "--out", str(tmp_path))
    assert not (tmp_path / "ru.po").exists()
    assert (
        '#. Screen "[en] Home" (home, a menu).\n'
        "#. {country}: the reader's country, in the reader's language (like Poland),\n"
        "#. filled in by the bot. Keep it as it is.\n"
        "#. {emergency}: a phone number from flows/facts.yaml, now 112. Keep it as it\n"
        "#. is.\n"
        "#. The whole screen must stay under 1,200 characters as read; this text has 59.\n"
        "#: content/en/main.yaml:4\n"
        "#, python-brace-format\n"
        'msgctxt "home.text"\n'
        'msgid "[en] Home text. Country: {country}. Emergency: {emergency}.\\n"\n'
        'msgstr "[uk] Home text. Country: {country}. Emergency: {emergency}.\\n"\n'
    ) in (tmp_path / "uk.po").read_text()
    assert set(RUNTIME_MEANINGS) == RUNTIME_VARIABLES


def test_import_writes_a_whole_missing_screen_as_an_editor_would(base, tmp_path):
    """The translator's first import of a screen the language lacks: texts of several lines
    as blocks, one per country, keywords as a list, the screen where the source has it."""
    ru = base / "content/ru/main.yaml"
    original = ru.read_text(encoding="utf-8")
    work = original[original.index("work:\n"):original.index("quiz:\n")]
    ru.write_text(original.replace(work, ""), encoding="utf-8")
    po = tmp_path / "po"
    assert "4 untranslated" in run("po", "export", "--root", str(base), "--out",
                                   str(po)).stdout
    translate(po / "ru.po", work_title="Работа", work_text="[ru] Work text.\n",
              work_text_PL="[ru] Work in <b>Poland</b>.\n", work_keywords="работа")
    result = run("po", "import", str(po / "ru.po"), "--root", str(base))
    assert result.returncode == 0, result.stdout
    assert ru.read_text(encoding="utf-8") == original
    assert validate_lines(base) == []
