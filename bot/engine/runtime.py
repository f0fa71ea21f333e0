"""The conversation engine: ``Engine(catalog).step(session, event) → Reply``.

Pure and deterministic: no I/O, no clock, no Telegram. The adapter (Telegram, the terminal
preview, the tests) turns its input into an event, calls ``step`` and shows the reply.

Button actions (Telegram callback data, at most 64 bytes):
  ``n:<node>`` open · ``b`` back · ``h`` home · ``s`` helplines (SOS) · ``l:<lang>`` language ·
  ``c:<CC>`` country · ``q:<node>:<i>:<1|0>`` quiz answer · ``k:<node>:<i>`` tick an item ·
  ``f`` forget me (asks) · ``f:y`` forget me (confirmed) · ``p``, ``p:y``, ``p:x`` talk to a
  person (bot/engine/handoff.py)
Callback data comes from the person's app and may be forged: it is parsed with explicit ASCII
patterns, and anything else leads home with the "stale button" notice.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import replace

from bot.content.model import DEFAULT_VARIANT, Catalog, Node
from bot.content.texts import PLACEHOLDER, Formatter, country_name, format_day, language_name
from bot.engine.events import Command, Event, Start, Tap, Text
from bot.engine.handoff import END, END_COMMAND, Offer, PersonScreens
from bot.engine.output import Button, Message, Reply
from bot.engine.payload import Preset, normalise_code, parse_payload
from bot.engine.search import KeywordIndex
from bot.engine.session import MAX_STARTED, Session

# Interface texts every language must define in ``content/<lang>/*.yaml`` under ``ui:``.
UI_KEYS = (
    "back", "home", "sos", "yes", "no", "choose_language", "no_country",
    "translation_missing", "unknown_text", "unknown_command", "suggestions", "stale_button",
    "non_text", "quiz_progress", "checklist_progress", "forget_confirm", "forget_yes",
    "forget_no", "forget_done", "forget_pending", "skip_country", "country_line",
    # where the facts on a screen come from (see Engine._sources)
    "source", "sources", "source_undated", "source_confirmed", "fact_overdue",
    # the printed QR sheet (bot/qr.py), in the campaign's language
    "sheet_title", "sheet_scan", "sheet_code", "sheet_about", "sheet_emergency",
    "sheet_first_line",
)
FORGET_COMMAND = "forget"
MAX_SUGGESTIONS = 3
MAX_CODE_TEXT = 30  # longer messages are never a short code
COUNTRY_COLUMNS = 2
PHONE_COLUMNS = 2
CHECK_COLUMNS = 4
_ANSWER = re.compile(r"([a-z][a-z0-9_]*):([0-9]{1,2}):([01])")
_TICK = re.compile(r"([a-z][a-z0-9_]*):([0-9]{1,2})")


UNKNOWN_BOT = "@…"  # the bot's @username where it is not known (the preview, the validator)


class Engine(PersonScreens):
    """Holds one validated catalog and everything precomputed from it.

    ``today`` decides which facts are past their ``review_by`` date (shown with a visible
    "may be out of date" notice) and ``bot`` is the bot's own @username (the fake-bot screen
    names it); ``handoff`` offers talking to a person (only when the content says who answers).
    All are inputs, not read from a clock or the network: the engine stays pure; ``for_day``
    gives the engine for another day, identity or offer.
    """

    def __init__(self, catalog: Catalog, today: dt.date | None = None, bot: str | None = None,
                 handoff: Offer | None = None):
        self.catalog = catalog
        self.settings = catalog.settings
        self.today = today
        self.bot = bot
        self.handoff = handoff if catalog.handoff else None
        self._handoff_screens = frozenset(catalog.handoff.screens if catalog.handoff else ())
        overdue = frozenset(f.id for f in catalog.facts.values() if today and f.overdue(today))
        self.format = Formatter(catalog.facts, overdue)
        self.default_lang = self.settings.languages[0]
        self._topics = KeywordIndex()
        self._help_words = KeywordIndex()
        for lang, texts in catalog.texts.items():
            for node_id, node_texts in texts.items():
                if node_id not in catalog.nodes:
                    continue
                for keyword in node_texts.keywords:
                    self._topics.add(keyword, node_id)
            for word in catalog.sos_words.get(lang, ()):
                self._help_words.add(word, self.settings.sos)
        self._static: dict[tuple[str, str, str | None], Message] = {}
        self._codes = {c.code: c.id for c in catalog.campaigns.values()}
        self._quiz_of_result = {r.node: n.id for n in catalog.nodes.values() for r in n.results}
        self._by_country = frozenset(n.id for n in catalog.nodes.values() if varies_by_country(
            catalog, n))

    def for_day(self, today: dt.date | None, bot: str | None = None,
                handoff: Offer | None = None) -> Engine:
        """This engine's content as seen on ``today`` by the bot ``bot``, offering ``handoff``
        (self if unchanged)."""
        if (today == self.today and bot == self.bot
                and (handoff if self.catalog.handoff else None) == self.handoff):
            return self
        return Engine(self.catalog, today, bot, handoff)

    # ---------------------------------------------------------------- entry point
    def step(self, session: Session | None, event: Event, lang_hint: str | None = None,
             now: dt.datetime | None = None) -> Reply:
        """Handle one event. ``lang_hint`` is the user's app language, used only for new people;
        ``now`` (aware) decides whether counsellors are there (None: they are)."""
        before = self._reconciled(session or Session())
        session = before
        choosing = isinstance(event, Tap) and event.data.startswith("l:")
        if session.lang not in self.settings.languages and not choosing:
            # The app's language stands in only until the person chooses one.
            session = session.evolve(lang=self._hinted(lang_hint))
        if isinstance(event, Start):
            reply = self._start(session, parse_payload(event.payload, self.catalog))
        elif isinstance(event, Tap):
            reply = self._tap(session, event.data, now)
        elif isinstance(event, Command):
            reply = self._command(session, event.name)
        elif isinstance(event, Text):
            reply = self._text(session, event.text)
        else:
            reply = self._home(session, notice="non_text")
        return self._counted(before, reply)

    def _reconciled(self, session: Session) -> Session:
        """The session made to fit the content in use, which may have changed since it was
        saved (a live reload can shorten a quiz or a checklist, or remove a screen)."""
        node = self.catalog.nodes.get(session.node or "")
        changes: dict = {}
        if node is not None and node.kind == "quiz":
            size = len(node.questions)
            if session.quiz_index >= size:
                changes["quiz_index"] = size - 1
            if session.quiz_yes >> size:
                changes["quiz_yes"] = session.quiz_yes & ((1 << size) - 1)
        elif session.quiz_index or session.quiz_yes:
            changes.update(quiz_index=0, quiz_yes=0)
        if session.checks:
            checks = {}
            for node_id, mask in session.checks.items():
                checklist = self.catalog.nodes.get(node_id)
                if checklist is not None and checklist.kind == "checklist":
                    mask &= (1 << len(checklist.items)) - 1
                    if mask:
                        checks[node_id] = mask
            if checks != session.checks:
                changes["checks"] = checks
        return session.evolve(**changes) if changes else session

    def _counted(self, before: Session, reply: Reply) -> Reply:
        """Name what happened, for anonymous counts per campaign (no one is identified).

        A campaign's ``start`` counts once per session, so following two posters' links in
        turn does not inflate either count.
        """
        after, counts = reply.session, []
        if after.campaign and after.campaign not in before.started and not reply.erase:
            counts.append("start")
            started = (*after.started, after.campaign)[-MAX_STARTED:]
            reply = replace(reply, session=after.evolve(started=started))
            after = reply.session
        if after.lang and after.lang != before.lang:
            counts.append(f"lang_{after.lang}")
        if reply.node and reply.node != before.node:
            if reply.node == self.settings.sos:
                counts.append("helplines")
            elif reply.node in self._quiz_of_result and before.node == self._quiz_of_result[
                    reply.node]:
                counts.append("quiz_done")
            elif reply.node not in (self.settings.start, self.settings.language_node,
                                    self.settings.country_node):
                counts.append(f"topic_{reply.node}")
        if not counts:
            return reply
        return replace(reply, counts=tuple(counts))

    # ---------------------------------------------------------------- events
    def _start(self, session: Session, preset: Preset) -> Reply:
        changes = {k: v for k, v in (("lang", preset.lang), ("country", preset.country),
                                     ("campaign", preset.campaign)) if v}
        session = session.evolve(**changes) if changes else session
        target = preset.topic
        if not session.lang:
            return self._ask_language(session, then=target)
        new = session.node is None
        session = session.evolve(history=(), quiz_index=0, quiz_yes=0)
        if new and not session.country and not target:
            # The country decides numbers and rules: ask a new person at once (it can be
            # skipped). A link to a topic opens the topic: the poster chose it.
            return self._ask_country(session)
        return self._open(session, target or self.settings.start, push=False)

    def _sos(self, session: Session) -> Reply:
        """The helplines at once, even before a language is chosen: a person in danger is
        never asked anything first (they see the first language; the choice comes later)."""
        if session.lang:
            return self._open(session, self.settings.sos)
        session = session.evolve(node=self.settings.sos)
        message = self.render(session.evolve(lang=self.default_lang))
        return Reply((message,), session, node=self.settings.sos)

    def _tap(self, session: Session, data: str, now: dt.datetime | None = None) -> Reply:
        kind, _, rest = data.partition(":")
        if kind == "s" and not rest:
            return self._sos(session)
        if kind == "l" and rest in self.settings.languages:
            first = not session.lang
            session = session.evolve(lang=rest)
            if first and not session.country:
                return self._ask_country(session)
            return self._after_choice(session)
        if not session.lang:
            return self._ask_language(session)
        if kind == "n" and rest in self.catalog.nodes:
            return self._open(session, rest)
        if kind == "b":
            return self._back(session)
        if kind == "h":
            return self._home(session)
        if kind == "c" and rest in self.settings.countries:
            return self._after_choice(session.evolve(country=rest))
        if kind == "c" and not rest:  # "skip": no country for now
            return self._after_choice(session)
        if kind == "q":
            return self._answer(session, rest)
        if kind == "k":
            return self._tick(session, rest)
        if kind == "f":
            return self._forget(session) if rest == "y" else self._confirm_forget(session)
        if kind == "p":
            return self._person(session, rest, now)
        return self._home(session, notice="stale_button")

    def _command(self, session: Session, name: str) -> Reply:
        target = self.settings.commands.get(name)
        if name == FORGET_COMMAND:
            return self._confirm_forget(session) if session.lang else self._forget(session)
        if name == END_COMMAND and self.handoff is not None:
            return self.conversation_ended(session)
        if target == self.settings.sos:
            return self._sos(session)
        if not session.lang:
            return self._ask_language(session)
        if target in self.catalog.nodes:
            if target == self.settings.start:
                return self._home(session)
            return self._open(session, target)
        return self._home(session, notice="unknown_command")

    def _text(self, session: Session, text: str) -> Reply:
        campaign = self._codes.get(normalise_code(text)) if len(text) <= MAX_CODE_TEXT else None
        if campaign:
            # The short code printed beside a QR code, for apps that lost the link's payload.
            # Checked first: it is exact, and a code like DE-SOS must not read as a help word.
            return self._start(session, parse_payload(campaign, self.catalog))
        topics = [t for t in self._topics.search(text, MAX_SUGGESTIONS)
                  if t in self.catalog.nodes and t != self.settings.sos]
        if self._help_words.search(text, limit=1):
            # Help first; what else the words point to ("they don't pay me": unpaid wages)
            # follows in a second message.
            help_reply = self._sos(session)
            if not topics:
                return help_reply
            lang = session.lang or self.default_lang
            more = self._suggestions(topics, lang, self.settings.sos)
            return Reply((*help_reply.messages, more), help_reply.session, node=help_reply.node)
        if not session.lang:
            return self._ask_language(session)
        if not topics:
            return self._home(session, notice="unknown_text")
        message = self._suggestions(topics, session.lang, session.node or self.settings.start)
        return Reply((message,), session, node=session.node)

    def _suggestions(self, topics: list[str], lang: str, node_id: str) -> Message:
        rows = [(Button(self._title(t, lang), action=f"n:{t}"),) for t in topics]
        rows.append(self._nav_row(lang, node_id))
        return Message(self._ui_html("suggestions", lang), tuple(row for row in rows if row))

    # ---------------------------------------------------------------- navigation
    def _open(self, session: Session, node_id: str, push: bool = True) -> Reply:
        if push and session.node and session.node != node_id:
            limit = self.settings.history_limit
            history = (*session.history, session.node)[-limit:]
            session = session.evolve(history=history)
        session = session.evolve(node=node_id)
        if self.catalog.nodes[node_id].kind == "quiz":
            session = session.evolve(quiz_index=0, quiz_yes=0)
        return Reply((self.render(session),), session, node=node_id)

    def _back(self, session: Session) -> Reply:
        history = list(session.history)
        while history:
            previous = history.pop()
            if previous in self.catalog.nodes:
                session = session.evolve(history=tuple(history))
                return self._open(session, previous, push=False)
        return self._home(session)

    def _home(self, session: Session, notice: str | None = None) -> Reply:
        if not session.lang:
            return self._ask_language(session)
        session = session.evolve(node=self.settings.start, history=())
        message = self.render(session)
        if notice:
            message = Message(f"{self._ui_html(notice, session.lang)}\n\n{message.text}",
                              message.buttons)
        return Reply((message,), session, node=self.settings.start)

    def _after_choice(self, session: Session) -> Reply:
        """After choosing a language or country, go back to what the person was reading."""
        current = session.node
        if current in (self.settings.language_node, self.settings.country_node, None):
            return self._back(session) if session.history else self._home(session)
        if current in self.catalog.nodes:
            return self._open(session, current, push=False)
        return self._home(session)

    def _ask_country(self, session: Session) -> Reply:
        """The country question, then back to what the person was doing (or home)."""
        current = session.node
        if current and current not in (self.settings.language_node, self.settings.country_node):
            session = session.evolve(history=(*session.history, current))
        return self._open(session, self.settings.country_node, push=False)

    def _ask_language(self, session: Session, then: str | None = None) -> Reply:
        """Ask in every language at once; ``then`` is opened once the language is chosen."""
        session = session.evolve(node=self.settings.language_node,
                                 history=(then,) if then else ())
        question = "\n".join(self._ui_html("choose_language", lang)
                             for lang in self.settings.languages)
        rows = tuple((Button(language_name(lang), action=f"l:{lang}"),)
                     for lang in self.settings.languages)
        sos = (Button(self._ui("sos", self.default_lang), action="s"),)
        return Reply((Message(question, (*rows, sos)),), session,
                     node=self.settings.language_node)

    def _confirm_forget(self, session: Session) -> Reply:
        lang = session.lang
        buttons = ((Button(self._ui("forget_yes", lang), action="f:y"),
                    Button(self._ui("forget_no", lang), action="b")),
                   (Button(self._ui("sos", lang), action="s"),))
        back = session.evolve(history=(*session.history, session.node or self.settings.start))
        # Asking to be forgotten ends a conversation with a person at once, and its link.
        return Reply((Message(self._ui_html("forget_confirm", lang), buttons),), back,
                     node=session.node, handoff=self._end_handoff())

    def _forget(self, session: Session) -> Reply:
        lang = session.lang or self.default_lang
        rows = tuple((Button(language_name(code), action=f"l:{code}"),)
                     for code in self.settings.languages)
        sos = (Button(self._ui("sos", lang), action="s"),)
        message = Message(self._ui_html("forget_done", lang), (*rows, sos))
        return Reply((message,), Session(), erase=True, handoff=self._end_handoff())

    def _end_handoff(self) -> str | None:
        return END if self.handoff is not None else None

    def forget_pending(self, reply: Reply, lang: str | None) -> Reply:
        """The answer to "forget me" when storage could not delete at once: the bot has
        forgotten the person, and says honestly that storage deletes it once it is back."""
        lang = lang if lang in self.settings.languages else self.default_lang
        first, *rest = reply.messages
        notice = Message(self._ui_html("forget_pending", lang), first.buttons)
        return replace(reply, messages=(notice, *rest))

    # ---------------------------------------------------------------- quiz and checklist
    def _answer(self, session: Session, rest: str) -> Reply:
        match = _ANSWER.fullmatch(rest)
        node = self.catalog.nodes.get(match.group(1)) if match else None
        if node is None or node.kind != "quiz":
            return self._home(session, notice="stale_button")
        index, yes = int(match.group(2)), match.group(3) == "1"
        if session.node != node.id or index != session.quiz_index:
            # An answer from an older message: show where this quiz really stands.
            if session.node != node.id:
                return self._open(session, node.id)
            return Reply((self.render(session),), session, node=node.id)
        answers = session.quiz_yes | (1 << index) if yes else session.quiz_yes
        if index + 1 < len(node.questions):
            session = session.evolve(quiz_index=index + 1, quiz_yes=answers)
            return Reply((self.render(session),), session, node=node.id)
        return self._open(session.evolve(quiz_index=0, quiz_yes=0), quiz_result(node, answers))

    def _tick(self, session: Session, rest: str) -> Reply:
        match = _TICK.fullmatch(rest)
        node = self.catalog.nodes.get(match.group(1)) if match else None
        if node is None or node.kind != "checklist":
            return self._home(session, notice="stale_button")
        index = int(match.group(2))
        checks = dict(session.checks)
        if index < len(node.items):
            checks[node.id] = checks.get(node.id, 0) ^ (1 << index)
        session = session.evolve(node=node.id, checks={k: v for k, v in checks.items() if v})
        return Reply((self.render(session),), session, node=node.id)

    # ---------------------------------------------------------------- rendering
    def render(self, session: Session) -> Message:
        """The screen for ``session.node`` in the session's language and country."""
        node = self.catalog.nodes[session.node]
        if node.kind in ("quiz", "checklist"):
            return self._render(node, session)
        key = (node.id, session.lang, session.country)
        message = self._static.get(key)
        if message is None:
            message = self._static[key] = self._render(node, session)
        return message

    def _render(self, node: Node, session: Session) -> Message:
        lang, country = session.lang, session.country
        variables = {"country": html.escape(self._country_label(country, lang)),
                     "language": html.escape(language_name(lang)),
                     "bot": html.escape(f"@{self.bot}" if self.bot else UNKNOWN_BOT)}
        template, used = self._text_template(node.id, lang, country)
        fallbacks = {used}
        rows: list[tuple[Button, ...]] = []
        facts: list[str] = []  # facts shown besides those in the template
        extra = ""
        if node.kind == "quiz":
            total = len(node.questions)
            index = min(session.quiz_index, total - 1)
            raw, q_used = self._part(node.id, "questions", node.questions[index].id, lang)
            fallbacks.add(q_used)
            facts.extend(fact_ids(raw))
            question = self.format.fill(raw, q_used)
            progress = self.format.fill(self._ui("quiz_progress", lang), lang,
                                        {"n": str(index + 1), "total": str(total)})
            extra = f"<i>{progress}</i>\n{question}"
            if index:
                template = ""  # the introduction is shown with the first question only
            rows.append((Button(self._ui("yes", lang), action=f"q:{node.id}:{index}:1"),
                         Button(self._ui("no", lang), action=f"q:{node.id}:{index}:0")))
        elif node.kind == "checklist":
            mask = session.checks.get(node.id, 0)
            lines = []
            for index, item in enumerate(node.items):
                raw, item_used = self._part(node.id, "items", item, lang)
                fallbacks.add(item_used)
                facts.extend(fact_ids(raw))
                item_text = self.format.fill(raw, item_used)
                lines.append(f"{_tick_mark(mask, index)} {index + 1}. {item_text}")
            progress = self.format.fill(self._ui("checklist_progress", lang), lang, {
                "done": str(mask.bit_count()), "total": str(len(node.items))})
            extra = "\n".join(lines) + f"\n\n<i>{progress}</i>"
            ticks = [Button(f"{_tick_mark(mask, i)} {i + 1}", action=f"k:{node.id}:{i}")
                     for i in range(len(node.items))]
            rows.extend(_chunk(ticks, CHECK_COLUMNS))
        elif node.kind == "language":
            rows.extend((Button(("✓ " if code == lang else "") + language_name(code),
                                action=f"l:{code}"),) for code in self.settings.languages)
        elif node.kind == "country":
            choices = [Button(("✓ " if code == country else "")
                              + self._country_label(code, lang), action=f"c:{code}")
                       for code in self.settings.countries]
            rows.extend(_chunk(choices, COUNTRY_COLUMNS))
            if not country:
                rows.append((Button(self._ui("skip_country", lang), action="c:"),))
        elif node.kind == "helplines":
            phones = node.phones.get(country or "", node.phones.get(DEFAULT_VARIANT, ()))
            copies = [Button(f"📋 {self.catalog.facts[p].value}",
                             copy=str(self.catalog.facts[p].value)) for p in phones]
            rows.extend(_chunk(copies, PHONE_COLUMNS))
            facts.extend(phones)
        for target in node.buttons:
            if target in self.catalog.nodes:
                rows.append((Button(self._title(target, lang), action=f"n:{target}"),))
        rows.append(self._handoff_row(node.id, lang))
        rows.append(self._nav_row(lang, node.id, self.settings.sos in node.buttons))
        title = f"<b>{html.escape(self._title(node.id, lang))}</b>"
        if node.id in self._by_country:
            title += "\n" + self.format.fill(self._ui("country_line", lang), lang, variables)
        parts = [title]
        if fallbacks != {lang}:
            parts.insert(0, f"<i>{self._ui_html('translation_missing', lang)}</i>")
        body = self.format.fill(template, lang, variables).strip()
        parts.extend(part for part in (body, extra) if part)
        sources = self._sources([*fact_ids(template), *facts], lang)
        if sources:
            parts.append(sources)
        return Message("\n\n".join(parts), tuple(row for row in rows if row))

    def _sources(self, ids: list[str], lang: str) -> str:
        """Where the facts on a screen come from, as honestly as the registry says: the source
        (linked), the date it shows or "undated", and "confirmed by a person" only where a
        person did; then a notice when a fact is past its review date."""
        seen, items = set(), []
        facts = [self.catalog.facts[i] for i in dict.fromkeys(ids) if i in self.catalog.facts]
        for fact in facts:
            source = fact.source
            key = (source.organisation, source.address, fact.source_date, fact.checked)
            if key in seen:
                continue
            seen.add(key)
            name = html.escape(source.organisation)
            if source.address:
                name = f'<a href="{html.escape(source.address)}">{name}</a>'
            when = (html.escape(fact.source_date[:4]) if fact.source_date
                    else self._ui_html("source_undated", lang))
            item = f"{name}, {when}"
            if fact.checked:
                item += ", " + self.format.fill(self._ui("source_confirmed", lang), lang, {
                    "date": html.escape(format_day(fact.checked, lang))})
            items.append(item)
        if not items:
            return ""
        label = self._ui_html("source" if len(items) == 1 else "sources", lang)
        line = f"<i>{label} {'; '.join(items)}</i>"
        if any(f.id in self.format.overdue for f in facts):
            line += f"\n⚠️ {self._ui_html('fact_overdue', lang)}"
        return line

    def _nav_row(self, lang: str, node_id: str, sos_shown: bool = False) -> tuple[Button, ...]:
        """Back, home and SOS: on every screen, so help is always one tap away (once: not
        where the message's own buttons already open the helplines)."""
        row = []
        if node_id != self.settings.start:
            row.append(Button(self._ui("back", lang), action="b"))
            row.append(Button(self._ui("home", lang), action="h"))
        if node_id != self.settings.sos and not sos_shown:
            row.append(Button(self._ui("sos", lang), action="s"))
        return tuple(row)

    # ---------------------------------------------------------------- texts
    def _chain(self, lang: str) -> tuple[str, ...]:
        return (lang, *self.settings.fallback.get(lang, ()))

    def _text_template(self, node_id: str, lang: str, country: str | None) -> tuple[str, str]:
        for candidate in self._chain(lang):
            texts = self.catalog.texts.get(candidate, {}).get(node_id)
            if texts and texts.text:
                variant = texts.text.get(country or "") or texts.text.get(DEFAULT_VARIANT)
                if variant is not None:
                    return str(variant), candidate
        return "", lang

    def _part(self, node_id: str, field: str, key: str, lang: str) -> tuple[str, str]:
        """A question's or item's template and the language it was found in."""
        for candidate in self._chain(lang):
            texts = self.catalog.texts.get(candidate, {}).get(node_id)
            value = getattr(texts, field).get(key) if texts else None
            if value is not None:
                return str(value), candidate
        return html.escape(key), lang

    def _title(self, node_id: str, lang: str) -> str:
        for candidate in self._chain(lang):
            texts = self.catalog.texts.get(candidate, {}).get(node_id)
            if texts and texts.title:
                return str(texts.title)
        return node_id

    def _ui(self, key: str, lang: str) -> str:
        for candidate in self._chain(lang):
            value = self.catalog.ui.get(candidate, {}).get(key)
            if value is not None:
                return str(value)
        return key

    def _ui_html(self, key: str, lang: str) -> str:
        """A UI text as HTML: UI texts may use the same tags and facts as any other text."""
        return self.format.fill(self._ui(key, lang), lang)

    def _country_label(self, code: str | None, lang: str) -> str:
        if not code:
            return self._ui("no_country", lang)
        if code in self.settings.other_countries:
            return self._ui(f"country_{code}", lang)
        return country_name(code, lang)

    def _hinted(self, lang_hint: str | None) -> str | None:
        if not lang_hint:
            return None
        base = lang_hint.replace("_", "-").split("-")[0].lower()
        return base if base in self.settings.languages else None


def fact_ids(template: str) -> list[str]:
    """The placeholders of a template, in order (facts among them; others are ignored)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(template)]


def varies_by_country(catalog: Catalog, node: Node) -> bool:
    """Whether a screen shows something different per host country (it then says which)."""
    if node.kind == "helplines" or node.phones:
        return True
    return any(len(texts[node.id].text) > 1 for texts in catalog.texts.values()
               if node.id in texts)


def _tick_mark(mask: int, index: int) -> str:
    return "✅" if mask >> index & 1 else "⬜"


def _chunk(buttons: list[Button], size: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i:i + size]) for i in range(0, len(buttons), size)]


def quiz_result(quiz: Node, answers: int) -> str:
    """The result screen for a quiz's answers (bit i set: "yes" to question i).

    A "yes" to a decisive question (the employer keeps your passport, you must pay for the job)
    leads to the highest result on its own; otherwise the weights of the "yes" answers add up
    and the highest result whose ``min`` the total reaches is chosen.
    """
    yes = [q for i, q in enumerate(quiz.questions) if answers >> i & 1]
    if any(q.decisive for q in yes):
        return quiz.results[-1].node
    score, result = sum(q.weight for q in yes), quiz.results[0].node
    for candidate in quiz.results:  # sorted by min
        if score >= candidate.min_score:
            result = candidate.node
    return result
