"""Translators' files: the texts as gettext PO files, and their translations brought back.

Translators work in Poedit, Weblate or Crowdin, which speak PO, not our YAML. ``export`` writes
one PO file per language translated from the source language: ``msgctxt`` is the text's key
(``work_wage.text.PL``), ``msgid`` the source text, ``msgstr`` the translation so far, with
comments saying which screen it is, what each ``{placeholder}`` stands for and how long it may
be. A translation made from an older source text is marked fuzzy with that text
(``#| msgid``). ``import_po`` checks every translation before it writes anything (the same
placeholders, HTML and numbers as the source text, then ``validate`` on the result) and writes
the texts into the YAML files in place (bot.content.yamledit).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import PoFileError, read_po, write_po
from ruamel.yaml import YAMLError

from bot.checks.translations import (
    STALE,
    Entry,
    entries,
    join_list,
    split_list,
    stale_texts,
    target_languages,
    update_record,
)
from bot.checks.validate import (
    MAX_COMMAND_DESCRIPTION,
    MAX_DESCRIPTION,
    MAX_LABEL_CHARS,
    MAX_SHORT_DESCRIPTION,
    NUMBER_RE,
    UI_LABELS,
    URL_RE,
    validate,
)
from bot.content.html import check_html, to_plain
from bot.content.loader import load_catalog
from bot.content.model import Catalog
from bot.content.problems import ERROR, blocking
from bot.content.texts import PLACEHOLDER, RUNTIME_VARIABLES, country_name, format_fact
from bot.content.yamledit import LanguageFiles, write_files

# The project's limit for one screen as read (tests/test_content.py), well under Telegram's
# 4096: a person in a hurry reads a phone screen, not a page.
SCREEN_BUDGET = 1200
RUNTIME_MEANINGS = {
    "country": "the reader's country, in the reader's language (like Poland)",
    "language": "the name of the reader's language, in that language",
    "n": "the number of the question the reader is on",
    "total": "how many questions or items there are in all",
    "done": "how many items the reader has ticked",
    "code": "the campaign's short code (like PL-WORK)",
    "bot": "the bot's @username",
    "date": "the day a person confirmed the source (like 4 March 2027)",
    "organisation": "the name of the organisation whose counsellors answer",
    "hours": "when the counsellors answer, with their time zone (like Mon–Fri 9:00–17:00 "
             "(Central European Time))",
    "period": "how long the link to the counsellors is kept after the last message (like "
              "1 week)",
}
FACT_KINDS_IN_WORDS = {
    "phone": "a phone number", "url": "a link", "email": "an e-mail address", "date": "a date",
    "money": "an amount of money", "hours": "opening hours", "text": "a text",
}
SCREEN_KINDS_IN_WORDS = {
    "menu": "a menu", "info": "an information screen", "quiz": "a quiz",
    "checklist": "a checklist", "helplines": "the helplines", "language": "the language choice",
    "country": "the country choice",
}
_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)((?:\s[^>]*)?)>")
_HREF = re.compile(r"""href\s*=\s*["']?([^"'\s>]+)""")
_NUMERIC_ENTITY = re.compile(r"&#\w+;")


# ---------------------------------------------------------------- export
def _screen_note(entry: Entry, catalog: Catalog, source: str) -> list[str]:
    screen = entry.screen
    node = catalog.nodes.get(screen)
    texts = catalog.texts.get(source, {}).get(screen)
    title = f'"{texts.title}" ' if texts and texts.title else ""
    kind = f", {SCREEN_KINDS_IN_WORDS[node.kind]}" if node else ""
    notes = [f"Screen {title}({screen}{kind})."]
    if entry.kind == "title":
        notes.append("Its heading, also the label of every button that opens it.")
    elif entry.kind == "text" and len(entry.path) == 3:
        country = entry.path[2]
        if country in catalog.settings.other_countries:
            named = catalog.ui.get(source, {}).get(f"country_{country}", country)
            notes.append(f'Its text for people who chose "{named}".')
        else:
            notes.append(f"Its text for people in {country_name(country, source)}.")
    elif entry.kind == "text" and texts and len(texts.text) > 1:
        notes.append("Its text for people who chose no country, or a country without a text "
                     "of its own.")
    elif entry.kind == "question":
        notes.append("A yes/no question of the quiz.")
    elif entry.kind == "item":
        notes.append("An item of the checklist; people tick it off when it is done.")
    elif entry.kind == "keywords":
        notes.append("Words people may type to find this screen, separated by commas. Write "
                     "the words people really type; they need not match the source's words one "
                     "for one.")
    return notes


def _other_note(entry: Entry) -> list[str]:
    if entry.kind == "ui":
        name = entry.path[1]
        if name in UI_LABELS or name.startswith("country_"):
            return [f"Interface: the button '{name}'."]
        return [f"Interface: the notice '{name}', shown on many screens."]
    if entry.kind == "sos_words":
        return ["Words that open the helplines at once when a message holds one, separated "
                "by commas: what a person in danger would type."]
    if entry.path[1] == "commands":
        return [f"The description of the command /{entry.path[2]} in Telegram's menu."]
    if entry.path[1] == "description":
        return ["What Telegram shows about the bot before the chat starts."]
    return ["What Telegram shows on the bot's profile and in shared links."]


def _budget(entry: Entry) -> str | None:
    label = entry.kind == "title" or (entry.kind == "ui" and (
        entry.path[1] in UI_LABELS or entry.path[1].startswith("country_")))
    if label:
        return (f"At most {MAX_LABEL_CHARS} characters: it is shown on buttons. Plain text, "
                "no tags.")
    if entry.kind == "profile":
        limit = {"description": MAX_DESCRIPTION, "short_description": MAX_SHORT_DESCRIPTION}
        most = limit.get(entry.path[1], MAX_COMMAND_DESCRIPTION)
        return f"At most {most} characters (Telegram's limit). Plain text, no tags."
    if entry.kind in ("text", "question", "item"):
        length = len(to_plain(entry.text).strip())
        return (f"The whole screen must stay under {SCREEN_BUDGET:,} characters as read; "
                f"this text has {length}.")
    return None


def _placeholder_notes(text: str, catalog: Catalog, source: str) -> list[str]:
    notes = []
    for name in dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text)):
        fact = catalog.facts.get(name)
        if fact is not None:
            value = html.unescape(format_fact(fact, source))
            notes.append(f"{{{name}}}: {FACT_KINDS_IN_WORDS[fact.kind]} from flows/facts.yaml, "
                         f"now {value}. Keep it as it is.")
        elif name in RUNTIME_VARIABLES:
            notes.append(f"{{{name}}}: {RUNTIME_MEANINGS[name]}, filled in by the bot. Keep it "
                         "as it is.")
    return notes


def _comments(entry: Entry, catalog: Catalog, source: str) -> list[str]:
    notes = (_screen_note(entry, catalog, source) if entry.screen
             else _other_note(entry))
    notes += _placeholder_notes(entry.text, catalog, source)
    if _TAG.search(entry.text):
        notes.append("Keep the HTML tags (like <b>…</b>) around the same words; add no others.")
    budget = _budget(entry)
    if budget:
        notes.append(budget)
    return notes


def export_catalog(catalog: Catalog, root: Path, lang: str) -> PoCatalog:
    """The PO catalog of ``lang``: every source text, with the translation so far."""
    source = catalog.settings.source_language
    stale = {s.key: s.previous for s in stale_texts(catalog, root) if s.lang == lang}
    translated = entries(catalog, lang)
    names = Locale.parse(source).get_display_name("en"), Locale.parse(lang).get_display_name("en")
    po = PoCatalog(
        locale=lang, project="Stay Safe", version=dt.date.today().isoformat(),
        language_team=f"{names[1]} translators", fuzzy=False, header_comment=(
            f"# Stay Safe: the bot's texts in {names[1]}, translated from {names[0]}.\n"
            "# Made by `stay-safe po export`; brought back by `stay-safe po import`.\n"
            "# Translate each msgstr. An entry marked fuzzy was translated from an\n"
            "# older text, shown as \"#| msgid\": check it, then remove the mark."))
    for key, entry in entries(catalog, source).items():
        mine = translated.get(key)
        message = po.add(entry.text, mine.text if mine else "",
                         locations=[(entry.pos.file, entry.pos.line)],
                         auto_comments=_comments(entry, catalog, source), context=key,
                         flags=["fuzzy"] if key in stale else [],
                         previous_id=stale.get(key, ()))
        message.flags.discard("python-format")  # a "%" in a text is only a per cent sign
    return po


@dataclass
class Exported:
    path: Path
    texts: int
    stale: int
    untranslated: int


def export_files(catalog: Catalog, root: Path, out: Path,
                 langs: tuple[str, ...] = ()) -> list[Exported]:
    """One ``<lang>.po`` per language in ``out`` (every language but the source by default)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in langs or target_languages(catalog):
        po = export_catalog(catalog, root, lang)
        path = out / f"{lang}.po"
        with path.open("wb") as stream:
            write_po(stream, po, include_previous=True)
        messages = [m for m in po if m.id]
        written.append(Exported(path, len(messages), sum(1 for m in messages if m.fuzzy),
                                sum(1 for m in messages if not m.string)))
    return written


# ---------------------------------------------------------------- import
@dataclass
class Imported:
    """What an import did, or why it did nothing (``problems``: then no file was written)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


@dataclass
class _Translation:
    po_file: str
    line: int
    entry: Entry  # the source text now
    made_from: str  # the source text the translator saw (msgid)
    text: str

    def at(self) -> str:
        return f"{self.po_file}:{self.line}"


def _blank(match: re.Match) -> str:
    return " " * len(match.group(0))


def _typed(text: str) -> tuple[Counter, Counter]:
    """Links and numbers written in a text itself (not as placeholders), as validate sees them."""
    masked = PLACEHOLDER.sub(_blank, text)
    links = Counter(m.group(0) for m in URL_RE.finditer(masked))
    masked = _NUMERIC_ENTITY.sub(_blank, URL_RE.sub(_blank, masked))
    numbers = Counter(re.sub(r"\D", "", m.group(0)) for m in NUMBER_RE.finditer(masked))
    return links, numbers


def _tags(text: str) -> Counter:
    found = Counter()
    for name, attrs in _TAG.findall(text):
        href = _HREF.search(attrs) if name.lower() == "a" else None
        found[f'<a href="{href.group(1)}">' if href else f"<{name.lower()}>"] += 1
    return found


def _differ(source: Counter, mine: Counter, source_lang: str, lang: str) -> str:
    missing = ", ".join(sorted((source - mine).elements())) or "none"
    extra = ", ".join(sorted((mine - source).elements())) or "none"
    return f"{source_lang} has {missing} where {lang} has {extra}"


def _check(item: _Translation, catalog: Catalog, source: str, lang: str) -> list[str]:
    """Why this translation cannot be taken: placeholders, HTML or facts that differ."""
    problems = []
    theirs, mine = item.made_from, item.text
    marks = [Counter(m.group(0) for m in PLACEHOLDER.finditer(t)) for t in (theirs, mine)]
    if marks[0] != marks[1]:
        problems.append(f"placeholders differ from the {source} text "
                        f"({_differ(*marks, source, lang)}): keep each {{…}} as it is")
    html_problems = check_html(mine)
    problems += [message for _offset, message in html_problems]
    tags = _tags(theirs), _tags(mine)
    if not html_problems and tags[0] != tags[1]:
        problems.append(f"HTML tags differ from the {source} text ({_differ(*tags, source, lang)})"
                        ": keep the same tags")
    (their_links, their_numbers), (my_links, my_numbers) = _typed(theirs), _typed(mine)
    for link in sorted((my_links - their_links).elements()):
        problems.append(f"link '{link}' typed into the translation: links come from "
                        "flows/facts.yaml, written as {fact_id} like the source text")
    for number in sorted((my_numbers - their_numbers).elements()):
        known = [f.id for f in catalog.facts.values()
                 if re.sub(r"\D", "", str(f.value)) == number]
        hint = (f"write {{{known[0]}}}" if known else
                "numbers come from flows/facts.yaml, written as {fact_id}")
        problems.append(f"number '{number}' typed into the translation, but not in the "
                        f"{source} text: {hint}")
    if item.entry.kind in ("keywords", "sos_words") and not split_list(mine):
        problems.append("needs at least one word")
    return problems


def _read(path: Path, catalog: Catalog, sources: dict[str, Entry], out: Imported,
          seen: dict[str, str]) -> tuple[str | None, list[_Translation], int]:
    """The language and reviewed translations of one PO file; problems go to ``out``."""
    display = str(path)
    settings = catalog.settings
    try:
        with path.open("rb") as stream:
            po = read_po(stream, abort_invalid=True)
    except PoFileError as exc:
        reason = str(exc).rsplit(" on ", 1)[0]
        out.problems.append(f"{display}:{exc.lineno + 1}: this is not a valid PO file: {reason}")
        return None, [], 0
    except (OSError, UnicodeDecodeError, ValueError, UnknownLocaleError) as exc:
        out.problems.append(f"{display}:1: this file cannot be read as a PO file: {exc}")
        return None, [], 0
    lang = po.locale.language if po.locale else path.stem
    if lang not in settings.languages or lang == settings.source_language:
        out.problems.append(f"{display}:1: the language '{lang}' is not one translated from "
                            f"{settings.source_language} (those are "
                            f"{', '.join(target_languages(catalog))}); check its Language "
                            "header")
        return None, [], 0
    if lang in seen:
        out.problems.append(f"{display}:1: a second file for '{lang}' (the first is "
                            f"{seen[lang]})")
        return None, [], 0
    seen[lang] = display
    found, lines, fuzzy = [], {}, 0
    for message in po:
        if not message.id:
            continue  # the header
        at = f"{display}:{message.lineno}"
        key = message.context
        if key is None:
            out.problems.append(f"{at}: this entry has no msgctxt (the key of the text); "
                                "export again and translate the new file")
            continue
        if key not in sources:
            out.problems.append(f"{at}: '{key}' is not a text of the {settings.source_language} "
                                "content (renamed or removed since the export?); export again")
            continue
        if key in lines:
            out.problems.append(f"{at}: '{key}' is translated twice (also at line {lines[key]})")
            continue
        lines[key] = message.lineno
        if message.fuzzy:
            fuzzy += 1
            continue
        if not message.string.strip():
            continue
        found.append(_Translation(display, message.lineno, sources[key], message.id,
                                  message.string))
    return lang, found, fuzzy


def _after_import(root: Path, changed: dict[Path, str], moved: dict[tuple[str, str], str],
                  out: Imported) -> None:
    """Validate the content as it would be after the import; new problems are reported at
    the translation that caused them when it can be told (``moved``: (file, key) → PO line)."""
    before = validate(root)
    with tempfile.TemporaryDirectory() as temporary:
        copy = Path(temporary)
        for folder in ("flows", "content"):
            if (root / folder).is_dir():
                shutil.copytree(root / folder, copy / folder)
        for path, text in changed.items():
            target = copy / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        after = validate(copy)
    old = Counter((p.pos.file, p.severity, p.message) for p in before.problems)
    spans = []
    for lang in after.catalog.settings.languages if after.catalog else ():
        for key, entry in entries(after.catalog, lang).items():
            if (entry.pos.file, key) in moved:
                last = entry.pos.line + entry.text.rstrip("\n").count("\n")
                spans.append((entry.pos.file, entry.pos.line, last, moved[entry.pos.file, key]))
    for problem in after.problems:
        what = (problem.pos.file, problem.severity, problem.message)
        if problem.code == STALE:
            continue  # the record is written after the files
        if old[what] > 0:
            old[what] -= 1
            continue
        where = next((at for file, first, last, at in spans
                      if file == problem.pos.file and first <= problem.pos.line <= last), None)
        warning = "" if problem.severity == ERROR else "warning: "
        line = (f"{where}: {warning}{problem.message}" if where else
                f"{problem.pos}: {warning}{problem.message} (after the import)")
        (out.problems if problem.severity == ERROR else out.warnings).append(line)


def import_files(root: Path, paths: list[Path]) -> Imported:
    """Bring translations back from PO files; writes nothing at all when anything is wrong."""
    out = Imported()
    catalog, problems = load_catalog(root)
    if catalog is None or blocking(problems):
        out.problems += [str(p) for p in blocking(problems)] or ["no usable content"]
        out.problems.append("fix the content first (stay-safe validate), then import again")
        return out
    source = catalog.settings.source_language
    sources = entries(catalog, source)
    try:
        source_files = LanguageFiles(root, source)
    except YAMLError as exc:
        out.problems.append(f"content/{source}: a file cannot be read for editing: {exc}")
        return out
    seen: dict[str, str] = {}
    plans = []
    for path in paths:
        lang, found, fuzzy = _read(path, catalog, sources, out, seen)
        if lang is None:
            continue
        current = entries(catalog, lang)
        try:
            files = LanguageFiles(root, lang, source_files)
        except YAMLError as exc:
            out.problems.append(f"content/{lang}: a file cannot be read for editing: {exc}")
            continue
        moved, changes, behind = {}, 0, 0
        for item in found:
            out.problems += [f"{item.at()}: {p}" for p in _check(item, catalog, source, lang)]
            value = split_list(item.text) if item.entry.kind in ("keywords", "sos_words") \
                else item.text
            mine = current.get(item.entry.key)
            text = join_list(value) if isinstance(value, list) else value
            if mine is None or _norm(mine.text) != _norm(text):
                files.put(item.entry.path, value)
                changes += 1
                file = f"content/{lang}/{files.file_of(item.entry.path[0])}"
                moved[file, item.entry.key] = item.at()
            if item.made_from != item.entry.text:
                behind += 1
                out.warnings.append(f"{item.at()}: warning: the {source} text changed since "
                                    "this file was exported: the translation stays marked stale")
        plans.append((lang, files, found, current, moved))
        out.summary.append(f"{path}: {changes} text(s) changed, {len(found) - behind} "
                           f"reviewed, {fuzzy} fuzzy left for review")
    if out.problems:
        return out
    changed = {p: t for _lang, files, *_ in plans for p, t in files.texts().items()}
    moved = {k: v for *_, plan_moved in plans for k, v in plan_moved.items()}
    if changed:
        _after_import(root, changed, moved, out)
    if out.problems:
        return out
    write_files(changed)
    out.written = sorted(changed)
    for lang, _files, found, current, _moved in plans:
        made_from = {item.entry.key: item.made_from for item in found}
        update_record(catalog, root, lang, made_from, {*current, *made_from})
    return out


def _norm(text: str) -> str:
    """Texts compared as a reader sees them change: a final line break is only layout."""
    return text.rstrip("\n")
