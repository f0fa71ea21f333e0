"""The validator: every mistake an editor can make, found before it reaches a refugee.

``validate(root)`` loads everything, runs every check and returns all problems at once, each with
``file:line:column``. Rendering checks go through the real engine, so what is measured is exactly
what Telegram would receive.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

from bot.checks.translations import stale_problems
from bot.content.html import MAX_MESSAGE_UTF16, check_html, to_plain, utf16_length
from bot.content.loader import load_catalog
from bot.content.model import DEFAULT_VARIANT, Catalog
from bot.content.problems import ERROR, REVIEW_OVERDUE, WARNING, Problem, blocking, sort_key
from bot.content.texts import HOURS_RE, PLACEHOLDER, RUNTIME_VARIABLES
from bot.content.yamlsafe import Pos, Text
from bot.engine.events import Tap
from bot.engine.handoff import HANDOFF_LABELS, HANDOFF_UI_KEYS, Offer
from bot.engine.runtime import UI_KEYS, Engine, varies_by_country
from bot.engine.session import MAX_BITS, Session

FACTS = "flows/facts.yaml"  # in _Checks.unreadable when that file could not be read
FIELD_LINE = re.compile(
    r"^[ \t]*(title|text|keywords|questions|items|default|[A-Z]{2}):(?:[ \t]|$)", re.M)
MAX_CALLBACK_BYTES = 64
MAX_LABEL_CHARS = 30
MAX_KEYBOARD_ROWS = 8
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
MAX_COMMAND_DESCRIPTION = 256
# UI texts shown on buttons: plain text, short.
UI_LABELS = ("back", "home", "sos", "yes", "no", "forget_yes", "forget_no", "skip_country",
             *HANDOFF_LABELS)
# The link's lifetime the rendering checks assume (the consent screen says it in words).
SAMPLE_OFFER = Offer(keep=dt.timedelta(days=7))
# Screens whose content changes with each answer cannot offer to talk to a person: the
# consent screen's "back" reopens the screen, which would start the quiz again.
NO_HANDOFF_KINDS = ("quiz", "language", "country")
COUNSELLOR_NOTICES = tuple(k for k in HANDOFF_UI_KEYS if k.startswith("handoff_group_"))
PERSON_NOTICES = tuple(k for k in HANDOFF_UI_KEYS
                       if k not in COUNSELLOR_NOTICES and k not in HANDOFF_LABELS)

URL_RE = re.compile(r"(?:https?://|www\.|t\.me/)[^\s<>\"']+|[\w.+-]+@[\w-]+\.[\w.-]+")
# Any number typed into a text, whole: "50", "+48 22 628 01 20", "8:30–16:30", "24/7".
NUMBER_RE = re.compile(r"\+?\d(?:[\d \-‑–().:/]*\d)?")
PHONE_VALUE_RE = re.compile(r"^\+?[0-9][0-9 ]*[0-9]$")


@dataclass
class Report:
    problems: list[Problem]
    catalog: Catalog | None
    # The engine the rendering checks ran on (None when errors stopped them before): every
    # screen is already rendered and cached in it, so publishing content reuses it.
    engine: Engine | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]


class _Checks:
    def __init__(self, catalog: Catalog, today: dt.date, unreadable: set[str]):
        self.catalog = catalog
        self.settings = catalog.settings
        self.today = today
        # Languages with a file that could not be read: their texts are not "missing", the
        # file is broken, and that error is already reported once.
        self.unreadable = unreadable
        self.problems: list[Problem] = []

    def error(self, pos: Pos, message: str, code: str = "content") -> None:
        self.problems.append(Problem(pos, ERROR, message, code))

    def warning(self, pos: Pos, message: str) -> None:
        self.problems.append(Problem(pos, WARNING, message))

    # ------------------------------------------------------------ structure
    def structure(self) -> None:
        nodes, s = self.catalog.nodes, self.settings
        for key, kind in (("start", None), ("sos", "helplines"), ("language_node", "language"),
                          ("country_node", "country")):
            node_id = getattr(s, key)
            if node_id and node_id not in nodes:
                self.error(s.pos, f"settings: {key} '{node_id}' is not a node")
            elif node_id and kind and nodes[node_id].kind != kind:
                self.error(s.pos, f"settings: {key} '{node_id}' must be a {kind} node")
        for name, target in s.commands.items():
            if target not in nodes:
                self.error(s.pos, f"settings: command /{name} leads to missing node '{target}'")
        for node in nodes.values():
            for target, pos in zip(node.buttons, node.button_pos, strict=True):
                if target not in nodes:
                    self.error(pos, f"button of '{node.id}' leads to missing node '{target}'")
            for result in node.results:
                if result.node not in nodes:
                    self.error(result.pos, f"result of quiz '{node.id}' leads to missing node "
                               f"'{result.node}'")
            if node.kind == "quiz" and node.results and node.results[0].min_score > 0:
                self.error(node.pos, f"quiz '{node.id}' needs a result with min: 0")
            if len(node.questions) > MAX_BITS:  # the session keeps the answers as 64 bits
                self.error(node.pos, f"quiz '{node.id}' has {len(node.questions)} questions; a "
                           f"conversation remembers the answers to at most {MAX_BITS}: split it")
            if len(node.results) == 1 and any(q.decisive for q in node.questions):
                self.error(node.pos, f"quiz '{node.id}' has decisive questions, which lead to "
                           "its highest result, but only one result: add the others")
            for variant, ids in node.phones.items():
                pos = node.phones_pos[variant]
                roles = [f.role for f in map(self.catalog.facts.get, ids) if f is not None]
                needs_emergency = variant not in s.other_countries or "emergency" in roles
                if roles and needs_emergency and roles[0] != "emergency":
                    self.error(pos, f"phones of '{node.id}' for {variant} must start with the "
                               "emergency number (a fact with role: emergency), so a person "
                               f"in danger sees it first; '{ids[0]}' is first")
                if variant != DEFAULT_VARIANT and variant not in s.countries:
                    self.error(pos, f"phones of '{node.id}': '{variant}' is neither 'default' "
                               "nor a configured country")
                for fact_id in ids:
                    fact = self.catalog.facts.get(fact_id)
                    if fact is None:
                        if FACTS not in self.unreadable:
                            self.error(pos, f"phones of '{node.id}': no fact '{fact_id}' in "
                                       "flows/facts.yaml")
                    elif fact.kind != "phone":
                        self.error(pos, f"phones of '{node.id}': fact '{fact_id}' is a "
                                   f"{fact.kind}, not a phone")
            if node.kind == "helplines" and DEFAULT_VARIANT not in node.phones:
                self.error(node.pos, f"helplines '{node.id}' needs phones for 'default'")
        self._reachability()
        self._campaigns()
        self._handoff()

    def _handoff(self) -> None:
        """flows/handoff.yaml against the screens and the facts (its own shape is the
        loader's)."""
        handoff = self.catalog.handoff
        if handoff is None:
            return
        for screen, pos in zip(handoff.screens, handoff.screen_pos, strict=True):
            node = self.catalog.nodes.get(screen)
            if node is None:
                self.error(pos, f"flows/handoff.yaml: screens: '{screen}' is not a screen")
            elif node.kind in NO_HANDOFF_KINDS:
                self.error(pos, f"flows/handoff.yaml: screens: '{screen}' is a {node.kind} "
                           "screen, which cannot offer to talk to a person (offer it on the "
                           "quiz's result screens instead)")
        for org in handoff.organisations.values():
            fact = self.catalog.facts.get(org.hours)
            if fact is None:
                if FACTS not in self.unreadable:
                    self.error(org.hours_pos, f"flows/handoff.yaml: organisation '{org.id}': "
                               f"no fact '{org.hours}' in flows/facts.yaml (its hours, a fact "
                               "of kind hours like Mo-Fr 09:00-17:00)")
            elif fact.kind != "hours":
                self.error(org.hours_pos, f"flows/handoff.yaml: organisation '{org.id}': fact "
                           f"'{org.hours}' is a {fact.kind}, not opening hours")

    def _campaigns(self) -> None:
        s, codes = self.settings, {}
        for campaign in self.catalog.campaigns.values():
            what = f"campaign '{campaign.id}'"
            if campaign.id in self.catalog.nodes or campaign.id in s.languages:
                self.error(campaign.pos, f"{what}: its id is also a screen or language id, so a "
                           "link could not tell them apart")
            if campaign.lang and campaign.lang not in s.languages:
                self.error(campaign.pos, f"{what}: language '{campaign.lang}' is not one of "
                           f"{', '.join(s.languages)}")
            if campaign.country and campaign.country not in s.countries:
                self.error(campaign.pos, f"{what}: country '{campaign.country}' is not one of "
                           f"{', '.join(s.countries)}")
            if campaign.topic and campaign.topic not in self.catalog.nodes:
                self.error(campaign.pos, f"{what}: topic '{campaign.topic}' is not a screen")
            if campaign.code in codes:
                self.error(campaign.pos, f"{what}: short code {campaign.code} is already used "
                           f"by '{codes[campaign.code]}'")
            codes[campaign.code] = campaign.id

    def _reachability(self) -> None:
        nodes, s = self.catalog.nodes, self.settings
        roots = [s.start, s.sos, s.language_node, s.country_node, *s.commands.values()]
        seen = set()
        queue = deque(r for r in roots if r in nodes)
        while queue:
            node_id = queue.popleft()
            if node_id in seen:
                continue
            seen.add(node_id)
            node = nodes[node_id]
            queue.extend(t for t in (*node.buttons, *(r.node for r in node.results)) if t in nodes)
        for node_id, node in nodes.items():
            if node_id not in seen:
                self.error(node.pos, f"node '{node_id}' cannot be reached from '{s.start}' "
                           "(no button or command leads to it)")

    # ------------------------------------------------------------ facts
    def facts(self) -> None:
        used = set()
        for template in self._all_texts():
            used.update(m.group(1) for m in PLACEHOLDER.finditer(template))
        for node in self.catalog.nodes.values():
            for ids in node.phones.values():
                used.update(ids)
        if self.catalog.handoff:
            used.update(org.hours for org in self.catalog.handoff.organisations.values())
        for fact in self.catalog.facts.values():
            self._freshness(fact)
            if fact.kind == "hours" and not HOURS_RE.fullmatch(str(fact.value)):
                self.error(fact.pos, f"fact '{fact.id}': opening hours are written like "
                           "Mo-Fr 08:30-16:30 or Mo,We 10:00-12:00; Sa 10:00-14:00")
            if fact.kind == "phone" and not PHONE_VALUE_RE.match(str(fact.value)):
                self.error(fact.pos, f"fact '{fact.id}': a phone number may hold only digits, "
                           "spaces and a leading +")
            if fact.kind == "url" and not str(fact.value).startswith("https://"):
                self.error(fact.pos, f"fact '{fact.id}': a link must start with https://")
            if fact.id not in used:
                self.warning(fact.pos, f"fact '{fact.id}' is not used by any text")

    def _freshness(self, fact) -> None:
        """A fact past its review date blocks a release (the running bot marks it instead)."""
        where = fact.source.organisation + (f" ({fact.source.address})" if fact.source.address
                                            else "")
        if self.today > fact.review_by:
            self.error(fact.pos, f"fact '{fact.id}' was due for review on "
                       f"{fact.review_by.isoformat()}: confirm it at {where} and set a new "
                       "review_by (until then the bot shows it as possibly out of date)",
                       code=REVIEW_OVERDUE)
        if fact.upcoming and fact.review_by >= fact.value:
            self.error(fact.pos, f"fact '{fact.id}' is an upcoming date: its review_by must "
                       f"come before {fact.value.isoformat()}, so it is looked at in time")
        if fact.upcoming and self.today > fact.value:
            self.error(fact.pos, f"fact '{fact.id}' ({fact.value.isoformat()}) has passed, but "
                       "the texts present it as upcoming: rewrite them and the fact",
                       code=REVIEW_OVERDUE)
        if fact.checked and fact.checked > self.today:
            self.error(fact.pos, f"fact '{fact.id}': checked is in the future "
                       f"({fact.checked.isoformat()}); it is the day a person confirmed it")

    def _all_texts(self):
        for texts in self.catalog.texts.values():
            for node_texts in texts.values():
                yield from node_texts.text.values()
                yield from node_texts.questions.values()
                yield from node_texts.items.values()
        for ui in self.catalog.ui.values():
            yield from ui.values()

    # ------------------------------------------------------------ texts
    def texts(self, ui_keys: tuple[str, ...], known: tuple[str, ...] = ()) -> None:
        """Every screen's and every ``ui_keys`` text in every language; a ui text that is
        neither required nor ``known`` (allowed without being required) is a mistake."""
        languages = self.settings.languages
        for lang in languages:
            texts = self.catalog.texts.get(lang, {})
            for node_id, node_texts in texts.items():
                if node_id not in self.catalog.nodes:
                    pos = (node_texts.title or next(iter(node_texts.text.values()), None))
                    self.error(pos.pos if pos else Pos(f"content/{lang}", 1, 1),
                               f"texts for '{node_id}', which is not a node in flows/")
            ui = self.catalog.ui.get(lang, {})
            for key, value in ui.items():
                if key not in ui_keys and key not in known:
                    self.error(value.pos, f"unknown ui text '{key}' (known: "
                               f"{', '.join(ui_keys)})")
            if not self.catalog.sos_words.get(lang):
                self.error(Pos(f"content/{lang}", 1, 1), f"content/{lang} needs 'sos_words' "
                           "(words that open the helplines at once)", code="missing-text")
        for node in self.catalog.nodes.values():
            self._node_texts(node)
        for key in ui_keys:
            self._compare({lang: self.catalog.ui.get(lang, {}).get(key) for lang in languages},
                          f"ui text '{key}'", Pos(f"content/{languages[0]}", 1, 1),
                          label=key in UI_LABELS or key.startswith("country_"),
                          add=lambda lang, key=key: (self._section_pos(lang, "ui"),
                                                     f"add `{key}: \"…\"` under `ui:`"))
        for template in self._all_texts():
            self._template(template)
        self._profiles()

    def _profiles(self) -> None:
        """Bot description and commands per language, within the Bot API's limits."""
        languages = self.settings.languages
        expected = {"start", "forget", *self.settings.commands}
        fallback = Pos(f"content/{languages[0]}", 1, 1)
        profiles = {lang: self.catalog.profiles.get(lang) for lang in languages}
        for field, limit in (("description", MAX_DESCRIPTION), ("short_description",
                                                                 MAX_SHORT_DESCRIPTION)):
            texts = {lang: getattr(p, field) if p else None for lang, p in profiles.items()}
            self._compare(texts, f"profile {field}", fallback,
                          add=lambda lang, field=field: (self._section_pos(lang, "profile"),
                                                         f"add `{field}:` under `profile:`"))
            for text in texts.values():
                if text is not None and len(text) > limit:
                    self.error(text.pos, f"profile {field} is {len(text)} characters; Telegram "
                               f"allows {limit}")
        for name in sorted(expected):
            texts = {lang: p.commands.get(name) if p else None for lang, p in profiles.items()}
            self._compare(texts, f"description of command /{name}", fallback,
                          add=lambda lang, name=name: (
                              self._section_pos(lang, "profile"),
                              f"add `{name}: \"…\"` under `profile:` → `commands:`"))
            for text in texts.values():
                if text is not None and len(text) > MAX_COMMAND_DESCRIPTION:
                    self.error(text.pos, f"description of /{name} is {len(text)} characters; "
                               f"Telegram allows {MAX_COMMAND_DESCRIPTION}")
        for profile in profiles.values():
            for name, text in (profile.commands.items() if profile else ()):
                if name not in expected:
                    self.error(text.pos, f"/{name} is not a command of the bot (known: "
                               f"{', '.join('/' + c for c in sorted(expected))})")
            for text in (profile.description, profile.short_description) if profile else ():
                if text is not None:
                    self._literals(text)

    def _node_texts(self, node) -> None:
        languages = self.settings.languages
        per_lang = {lang: self.catalog.texts.get(lang, {}).get(node.id) for lang in languages}
        for lang in [lang for lang, t in per_lang.items() if t is None]:
            # One error for a screen missing from a language, not one per field.
            del per_lang[lang]
            if lang in self.unreadable:
                continue
            where = self._node_pos(lang, node.id)
            other = next((t for t in per_lang.values() if t is not None and t.pos), None)
            copy = f" (copy them from {other.pos.file}:{other.pos.line} and translate)" if (
                other) else ""
            self.error(where, f"screen '{node.id}' has no texts in '{lang}': add `{node.id}:` "
                       f"with its title and text{copy}", code="missing-text")
        needs_text = node.kind not in ("language", "country")

        def adding(what: str):
            return lambda lang: (self._node_pos(lang, node.id), f"add {what}")

        self._compare({lang: t.title if t else None for lang, t in per_lang.items()},
                      f"title of '{node.id}'", node.pos, label=True,
                      add=adding(f"`title: \"…\"` under `{node.id}:`"))
        variants = {v for t in per_lang.values() if t for v in t.text}
        if needs_text:
            variants.add(DEFAULT_VARIANT)
        for variant in sorted(variants):
            suffix = "" if variant == DEFAULT_VARIANT else f" for {variant}"
            name = f"text of '{node.id}'{suffix}"
            where = (f"`text: |` under `{node.id}:`" if variant == DEFAULT_VARIANT else
                     f"`{variant}: |` under `{node.id}:` → `text:`")
            self._compare({lang: t.text.get(variant) if t else None
                           for lang, t in per_lang.items()}, name, node.pos, add=adding(where))
        self._fields_alike(node.id, per_lang)
        if node.phones:
            self._phones_explained(node, per_lang)
        parts = (("questions", [q.id for q in node.questions]), ("items", list(node.items)))
        for field, keys in parts:
            for key in keys:
                self._compare({lang: getattr(t, field).get(key) if t else None
                               for lang, t in per_lang.items()},
                              f"{field[:-1]} '{key}' of '{node.id}'", node.pos,
                              add=adding(f"`{key}: \"…\"` under `{node.id}:` → `{field}:`"))
            for t in per_lang.values():
                for key, value in (getattr(t, field).items() if t else ()):
                    if key not in keys:
                        self.error(value.pos, f"'{node.id}' has no {field[:-1]} '{key}' "
                                   f"(known: {', '.join(keys) or 'none'})")

    def _fields_alike(self, node_id: str, per_lang: dict) -> None:
        """Silent mistakes: a field indented into a text (people would read 'keywords: […]'
        and the language loses its keywords), and keywords in some languages only."""
        for texts in per_lang.values():
            for text in texts.text.values():
                for match in FIELD_LINE.finditer(text):
                    self.warning(text.pos_at(match.start(1)), f"this line of the text of "
                                 f"'{node_id}' looks like the field '{match.group(1)}:': it is "
                                 "indented as part of the text, so people would read it; if it "
                                 "is a field, move it left to line up with 'text:'")
        having = [lang for lang, t in per_lang.items() if t.keywords]
        if having:
            for lang, texts in per_lang.items():
                if not texts.keywords:
                    self.warning(self._node_pos(lang, node_id), f"'{node_id}' has keywords in "
                                 f"{', '.join(having)} but none in '{lang}': add `keywords: "
                                 f"[…]` under `{node_id}:` so people who type in {lang} find it")

    def _phones_explained(self, node, per_lang: dict) -> None:
        """Every number with a copy button is also said in words in that country's text."""
        for variant, ids in node.phones.items():
            for texts in per_lang.values():
                text = texts.text.get(variant) or texts.text.get(DEFAULT_VARIANT)
                if text is None or _typed_numbers(text):
                    continue  # a typed number is reported already, where it was typed
                said = {m.group(1) for m in PLACEHOLDER.finditer(text)}
                for fact_id in ids:
                    if fact_id not in said:
                        self.warning(text.pos, f"{fact_id} is listed for the helplines of "
                                     f"{variant} but this text never says what it is: write "
                                     f"{{{fact_id}}} with a few words about it")

    def _compare(self, by_lang: dict[str, Text | None], name: str, fallback: Pos,
                 label: bool = False, add=None) -> None:
        """One text in every language: present, same placeholders.

        A missing text is reported in the file to edit, saying what to add there
        (``add(lang)`` gives that position and instruction) and where another language has it.
        """
        present = {lang: t for lang, t in by_lang.items() if t is not None}
        for lang, text in by_lang.items():
            if text is None and lang not in self.unreadable:
                where, message = fallback, f"{name} is missing in '{lang}'"
                if add is not None:
                    where, instruction = add(lang)
                    message += f": {instruction}"
                if present:
                    other_lang, other = next(iter(present.items()))
                    message += f" (the {other_lang} text is at {other.pos})"
                self.error(where, message, code="missing-text")
        if label:
            for text in present.values():
                if "<" in text or "&" in text:
                    self.error(text.pos, f"{name} is shown on a button: plain text only, no "
                               "tags or entities")
                elif len(text) > MAX_LABEL_CHARS:
                    self.warning(text.pos, f"{name} is {len(text)} characters; over "
                                 f"{MAX_LABEL_CHARS} it is hard to read on a small phone")
        if len(present) < 2 or any(_typed_numbers(t) for t in present.values()):
            return  # a number typed in place of a fact is reported once, where it was typed
        first_lang, first = next(iter(present.items()))
        first_marks = _placeholder_names(first)
        for lang, text in list(present.items())[1:]:
            marks = _placeholder_names(text)
            if marks != first_marks:
                detail = _difference(first_marks, marks, first_lang, lang)
                self.error(text.pos, f"{name}: placeholders differ between languages ({detail})")

    def _node_pos(self, lang: str, node_id: str) -> Pos:
        """Where a screen's texts stand in ``lang``'s files, or the file they belong in."""
        texts = self.catalog.texts.get(lang, {}).get(node_id)
        if texts is not None and texts.pos is not None:
            return texts.pos
        for other in self.settings.languages:
            found = self.catalog.texts.get(other, {}).get(node_id)
            if found is not None and found.pos is not None:
                name = found.pos.file.rsplit("/", 1)[-1]
                return Pos(f"content/{lang}/{name}", 1, 1)
        return Pos(f"content/{lang}", 1, 1)

    def _section_pos(self, lang: str, section: str) -> Pos:
        """The file (and line) holding ``ui:`` or ``profile:`` in ``lang``, or its folder."""
        values = (self.catalog.ui.get(lang, {}).values() if section == "ui" else
                  [t for p in [self.catalog.profiles.get(lang)] if p for t in
                   (p.description, p.short_description, *p.commands.values()) if t])
        lines = sorted((t.pos for t in values), key=lambda pos: pos.line)
        if lines:
            return Pos(lines[0].file, max(1, lines[0].line - 1), 1)
        return Pos(f"content/{lang}", 1, 1)

    def _template(self, template: Text) -> None:
        for match in PLACEHOLDER.finditer(template):
            name, attribute = match.group(1), match.group(2)
            pos = template.pos_at(match.start())
            if name in self.catalog.facts:
                if attribute:
                    self.error(pos, f"unknown placeholder {match.group(0)}: write {{{name}}}; "
                               "every screen lists the sources of its facts by itself")
            elif (name not in RUNTIME_VARIABLES or attribute) and FACTS not in self.unreadable:
                self.error(pos, f"unknown placeholder {match.group(0)}: not a fact in "
                           "flows/facts.yaml nor one of "
                           f"{', '.join('{' + v + '}' for v in sorted(RUNTIME_VARIABLES))}")
        for offset, message in check_html(template):
            self.error(template.pos_at(offset), message)
        self._literals(template)

    def _literals(self, template: Text) -> None:
        """Numbers and links typed into a text instead of taken from the facts registry."""
        # Placeholders and links are blanked out, not removed, so offsets still point into the file.
        masked = PLACEHOLDER.sub(_blank, template)
        for match in URL_RE.finditer(masked):
            self.error(template.pos_at(match.start()), f"link or address '{match.group(0)}' "
                       "typed into a text: put it in flows/facts.yaml and write {fact_id}")
        for match in _typed_numbers(URL_RE.sub(_blank, masked)):
            typed = match.group(0)
            known = [f.id for f in self.catalog.facts.values()
                     if _digits_of(str(f.value)) == _digits_of(typed)]
            hint = (f": the registry already has it, write {{{known[0]}}}" if known else
                    ": numbers, dates, hours and amounts go in flows/facts.yaml, written as "
                    "{fact_id}")
            self.error(template.pos_at(match.start()),
                       f"number '{typed}' typed into a text{hint}")

    # ------------------------------------------------------------ rendering
    def rendering(self) -> Engine:
        engine = Engine(self.catalog, self.today)
        all_countries = (None, *self.settings.countries)
        for node in self.catalog.nodes.values():
            # A screen that neither varies by country nor names it renders the same everywhere.
            countries = all_countries if self._varies_by_country(node) else (None,)
            states = [Session()]
            if node.kind == "quiz":
                states = [Session(quiz_index=i) for i in range(len(node.questions))]
            if node.kind == "checklist":
                states = [Session(checks={node.id: (1 << len(node.items)) - 1})]
            reported: set[str] = set()
            for lang in self.settings.languages:
                for country in countries:
                    for state in states:
                        session = state.evolve(lang=lang, country=country, node=node.id)
                        message = engine.render(session)
                        self._message(node, lang, country, message, reported)
        if self.catalog.handoff:
            self._handoff_rendering()
        return engine

    def _handoff_rendering(self) -> None:
        """The screens that offer to talk to a person, with the button (one more fixed row,
        like the navigation row), and the handoff's texts as each organisation fills them."""
        engine = Engine(self.catalog, self.today, handoff=SAMPLE_OFFER)
        desk = self.catalog.handoff
        countries = (None, *self.settings.countries)
        for screen in desk.screens:
            node = self.catalog.nodes.get(screen)
            if node is None or node.kind in NO_HANDOFF_KINDS:
                continue
            reported: set[str] = set()
            for lang in self.settings.languages:
                for country in countries:
                    session = Session(lang=lang, country=country, node=screen)
                    self._message(node, lang, country, engine.render(session), reported,
                                  fixed_rows=2)
        reported = set()
        for lang in self.settings.languages:
            for country in countries:
                org = desk.answering(lang, country)
                session = Session(lang=lang, country=country, node=self.settings.start)
                shown = [*engine.step(session, Tap("p")).messages,
                         *(engine.person_notice(key, lang, country) for key in PERSON_NOTICES),
                         *(engine.counsellor_notice(key, org.id, "K7Q2", lang, country)
                           for key in COUNSELLOR_NOTICES)]
                for message in shown:
                    problems = [problem for _offset, problem in check_html(message.text)]
                    length = utf16_length(to_plain(message.text))
                    if length > MAX_MESSAGE_UTF16:
                        problems.append(f"it is {length} characters long (the limit is "
                                        f"{MAX_MESSAGE_UTF16})")
                    for problem in problems:
                        if problem not in reported:
                            reported.add(problem)
                            self.error(desk.pos, f"a handoff text in {lang} would be refused "
                                       f"by Telegram: {problem}")

    def _varies_by_country(self, node) -> bool:
        if node.kind == "country" or varies_by_country(self.catalog, node):
            return True
        return any("{country}" in t for texts in self.catalog.texts.values()
                   if node.id in texts for t in texts[node.id].text.values())

    def _message(self, node, lang, country, message, reported: set[str],
                 fixed_rows: int = 1) -> None:
        where = f"'{node.id}' in {lang}" + (f" for {country}" if country else "")
        length = utf16_length(to_plain(message.text))
        if length > MAX_MESSAGE_UTF16 and "length" not in reported:
            reported.add("length")
            texts = self.catalog.texts.get(lang, {}).get(node.id)
            variant = texts and (texts.text.get(country or "") or texts.text.get(DEFAULT_VARIANT))
            self.error(variant.pos if variant else node.pos,
                       f"message {where} is {length} characters long (Telegram counts UTF-16 "
                       f"units); the limit is {MAX_MESSAGE_UTF16}")
        for _offset, problem in check_html(message.text):
            if problem not in reported:
                reported.add(problem)
                self.error(node.pos, f"message {where} would be refused by Telegram: {problem}")
        if len(message.buttons) > MAX_KEYBOARD_ROWS + fixed_rows and "rows" not in reported:
            reported.add("rows")
            self.warning(node.pos, f"message {where} has {len(message.buttons)} rows of "
                         f"buttons; more than {MAX_KEYBOARD_ROWS} is hard to use on a phone")
        for row in message.buttons:
            for button in row:
                data = button.action or ""
                size = len(data.encode("utf-8"))
                if size > MAX_CALLBACK_BYTES and data not in reported:
                    reported.add(data)
                    self.error(node.pos, f"button '{button.label}' of {where} carries {size} "
                               f"bytes of callback data; Telegram allows {MAX_CALLBACK_BYTES} "
                               "(use a shorter node id)")


def _blank(match: re.Match) -> str:
    return " " * len(match.group(0))


def _placeholder_names(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def _typed_numbers(text: str) -> list[re.Match]:
    """Numbers written in a text outside placeholders and character references (&#160;)."""
    masked = re.sub(r"&#\w+;", _blank, PLACEHOLDER.sub(_blank, text))
    return list(NUMBER_RE.finditer(masked))


def _digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _difference(first: list[str], other: list[str], first_lang: str, lang: str) -> str:
    only_first = sorted((Counter(first) - Counter(other)).elements())
    only_other = sorted((Counter(other) - Counter(first)).elements())
    return (f"{first_lang} has {', '.join(only_first) or 'none'} where "
            f"{lang} has {', '.join(only_other) or 'none'}")


def validate(root: Path, today: dt.date | None = None) -> Report:
    """Every problem of the content under ``root``, sorted by file and line."""
    catalog, problems = load_catalog(root)
    engine = None
    if catalog is not None:
        unreadable = {p.pos.file.split("/")[1] for p in problems
                      if p.code == "yaml" and p.pos.file.startswith("content/")}
        if any(p.code == "yaml" and p.pos.file == "flows/facts.yaml" for p in problems):
            unreadable.add(FACTS)  # its error is the one to fix: no "unknown fact" after it
        checks = _Checks(catalog, today or dt.date.today(), unreadable)
        checks.structure()
        checks.facts()
        ui_keys = (*UI_KEYS, *(f"country_{c}" for c in catalog.settings.other_countries))
        # The handoff's texts are needed once flows/handoff.yaml exists, and allowed before.
        checks.texts((*ui_keys, *HANDOFF_UI_KEYS) if catalog.handoff else ui_keys,
                     known=HANDOFF_UI_KEYS)
        if not blocking(problems + checks.problems):
            engine = checks.rendering()
        problems = problems + checks.problems + stale_problems(catalog, root)
    return Report(sorted(set(problems), key=sort_key), catalog, engine)
