"""The body of each studio page, as HTML. Every value from content or the request is escaped
here; only message texts go through ``message.text_html``, which keeps Telegram's tags alone."""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import urlencode

from bot.checks.translations import Stale
from bot.content.model import Fact
from bot.content.problems import SOFT_CODES, Problem
from bot.content.texts import country_name, language_name
from bot.engine.events import Tap
from bot.engine.output import Reply
from bot.engine.runtime import UNKNOWN_BOT, Engine
from bot.engine.session import Session
from bot.studio.chat import ChatState, describe, open_screen, session_json
from bot.studio.coverage import Coverage, TextRef
from bot.studio.facts import FactRow
from bot.studio.graph import Graph, Screen
from bot.studio.message import message_html

NOTHING_TO_SHOW = ('<p class="muted">Nothing to show until the content loads without errors '
                   "(see above).</p>")


# ---------------------------------------------------------------- chat
def chat_body(engine: Engine, state: ChatState, reply: Reply, bot: str | None) -> str:
    after = reply.session

    def tap_href(action: str) -> str:
        return ChatState(after, Tap(action), state.hint).href()

    messages = "".join(message_html(m, tap_href) for m in reply.messages)
    phone = (f'<div class="phone" id="chat"><div class="mine">{escape(describe(engine, state))}'
             f"</div>{messages}"
             f'<form class="compose" method="get" action="/chat">{_state_fields(after, state)}'
             '<input type="text" name="text" placeholder="Write a message…" '
             'aria-label="Message" autocomplete="off"><button>Send</button></form></div>')
    return (f'<h1>Chat</h1><div class="studio">{phone}'
            f'<div class="panel">{_controls(engine, state, after, bot)}'
            f"{_this_screen(engine, reply.node, after.lang)}</div></div>")


def _state_fields(session: Session, state: ChatState) -> str:
    fields = f'<input type="hidden" name="s" value="{escape(session_json(session))}">'
    if state.hint:
        fields += f'<input type="hidden" name="hint" value="{escape(state.hint)}">'
    return fields


def _controls(engine: Engine, state: ChatState, after: Session, bot: str | None) -> str:
    settings = engine.settings
    lang = next((code for code in (after.lang, state.hint) if code in settings.languages),
                engine.default_lang)
    languages = [(f"l:{code}", language_name(code)) for code in settings.languages]
    countries = [(f"c:{code}", _country(engine, code, lang)) for code in settings.countries]
    if after.country is None:
        countries.insert(0, ("", "— none chosen —"))
    fields = _state_fields(after, state)
    chosen_country = f"c:{after.country}" if after.country else ""
    new_user = "/chat?" + urlencode({"start": "", "hint": lang})
    link = f"https://t.me/{bot or UNKNOWN_BOT.lstrip('@')}?start=…"
    return (
        '<form method="get" action="/chat"><label for="lang">Language</label>'
        f'{fields}{_select("tap", "lang", languages, f"l:{after.lang}")}'
        "<noscript><button>Switch</button></noscript></form>"
        '<form method="get" action="/chat"><label for="country">Country</label>'
        f'{fields}{_select("tap", "country", countries, chosen_country)}'
        "<noscript><button>Switch</button></noscript></form>"
        f'<p><a class="button" id="new-user" href="{escape(new_user)}">New user</a> '
        f'<span class="muted">starts again as someone whose app is in '
        f"{escape(language_name(lang))}</span></p>"
        '<form method="get" action="/chat"><label for="payload">Deep link</label>'
        f'<input type="hidden" name="new" value="1"><input type="hidden" name="hint" '
        f'value="{escape(lang)}"><span class="muted">/start </span><input type="text" '
        'id="payload" name="start" placeholder="uk-PL-work" autocomplete="off"> '
        '<button>Open as a new user</button>'
        f'<div class="muted" id="deep-link">what a poster\'s link {escape(link)} opens</div></form>'
    )


def _select(name: str, element_id: str, options: list[tuple[str, str]], chosen: str) -> str:
    items = "".join(f'<option value="{escape(value)}"{" selected" if value == chosen else ""}'
                    f'{" disabled" if not value else ""}>{escape(label)}</option>'
                    for value, label in options)
    return (f'<select name="{name}" id="{element_id}" onchange="this.form.submit()">'
            f"{items}</select>")


def _country(engine: Engine, code: str, lang: str) -> str:
    if code in engine.settings.other_countries:
        text = engine.catalog.ui.get(lang, {}).get(f"country_{code}")
        return str(text) if text else code
    return f"{country_name(code, lang)} ({code})"


def _this_screen(engine: Engine, node_id: str | None, lang: str | None) -> str:
    node = engine.catalog.nodes.get(node_id or "")
    if node is None:
        return ""
    places = [f"structure: <span class=\"where\">{escape(str(node.pos))}</span>"]
    texts = engine.catalog.texts.get(lang or "", {}).get(node.id)
    if texts and texts.title:
        places.append(f"texts: <span class=\"where\">{escape(str(texts.title.pos))}</span>")
    return (f'<h2>This screen</h2><p><b id="screen-id">{escape(node.id)}</b> '
            f'<span class="badge">{escape(node.kind)}</span> · '
            f'<a href="/map#screen-{escape(node.id)}">on the map</a></p>'
            f'<p>{"<br>".join(places)}</p>')


# ---------------------------------------------------------------- map
def map_body(graph: Graph, engine: Engine, lang: str, country: str | None) -> str:
    def link(screen_id: str) -> str:
        title = next((s.title for s in graph.screens if s.id == screen_id), None)
        if title is None:
            return f'<span class="error">{escape(screen_id)} (missing)</span>'
        href = open_screen(engine, screen_id, lang, country).href()
        return f'<a href="{escape(href)}">{escape(title)}</a>'

    rows = []
    for screen in graph.screens:
        leads = ", ".join(link(e.target) for e in graph.outgoing(screen.id) if e.kind == "button")
        results = "<br>".join(f"{escape(e.label)} → {link(e.target)}"
                              for e in graph.outgoing(screen.id) if e.kind == "result")
        sources = ", ".join(link(s) for s in dict.fromkeys(e.source for e in
                                                           graph.incoming(screen.id)))
        commands = ", ".join(escape(e.command) for e in graph.entries if e.target == screen.id)
        rows.append(
            f'<tr id="screen-{escape(screen.id)}"><td>{link(screen.id)}<br>'
            f'<span class="where muted">{escape(screen.id)}</span></td>'
            f'<td><span class="badge">{escape(screen.kind)}</span></td>'
            f"<td>{_depth(screen)}</td><td>{leads}{'<br>' if leads and results else ''}"
            f"{results}</td><td>{sources}{'<br>' if sources and commands else ''}{commands}"
            "</td></tr>")
    settings = engine.settings
    languages = [(code, language_name(code)) for code in settings.languages]
    countries = [("", "— none —"), *((c, _country(engine, c, lang)) for c in settings.countries)]
    form = ('<form method="get" action="/map">Open screens in '
            f'{_plain_select("lang", languages, lang)} for '
            f'{_plain_select("country", countries, country or "")} '
            "<noscript><button>Apply</button></noscript></form>")
    return (
        f"<h1>Map</h1><p>Every screen, where its buttons lead and where it is reached from. Each "
        f"title opens that screen in the chat. Every screen also has Back, Home and SOS. The "
        f'same graph as Mermaid text: <a href="/graph.mmd">graph.mmd</a> '
        f"(<code>stay-safe graph</code>).</p>{form}"
        "<table><thead><tr><th>Screen</th><th>Kind</th><th>Taps from start</th>"
        "<th>Leads to</th><th>Reached from</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>")


def _depth(screen: Screen) -> str:
    return '<span class="error">unreachable</span>' if screen.depth is None else str(screen.depth)


def _plain_select(name: str, options: list[tuple[str, str]], chosen: str) -> str:
    items = "".join(f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
                    f"{escape(label)}</option>" for value, label in options)
    return f'<select name="{name}" onchange="this.form.submit()">{items}</select>'


# ---------------------------------------------------------------- problems
def problems_body(problems: list[Problem], checked_at: str) -> str:
    if not problems:
        return (f'<h1>Problems</h1><p class="ok" id="no-problems">No problems: the content is '
                f"ready to publish (checked at {escape(checked_at)}).</p>")
    rows = "".join(
        f'<tr><td class="{escape(p.severity)}">{escape(p.severity)}</td>'
        f'<td class="where">{escape(str(p.pos))}</td><td>{escape(p.message)}'
        f'{_soft_note(p)}</td></tr>' for p in problems)
    errors = sum(p.severity == "error" for p in problems)
    return (f"<h1>Problems</h1><p>{errors} error(s), {len(problems) - errors} warning(s), "
            f"checked at {escape(checked_at)}. Each line says the file, line and column to "
            "edit; saving the file checks it again.</p>"
            '<table id="problems"><thead><tr><th>Severity</th><th>Where</th><th>What</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def _soft_note(problem: Problem) -> str:
    if problem.code not in SOFT_CODES:
        return ""
    return ('<br><span class="muted">Blocks a release, not the preview: the bot shows the '
            "fallback or a “may be out of date” notice meanwhile.</span>")


# ---------------------------------------------------------------- facts
def facts_body(rows: list[FactRow], engine: Engine | None, lang: str) -> str:
    def screen_link(screen_id: str) -> str:
        if engine is None or screen_id not in engine.catalog.nodes:
            return escape(screen_id)
        href = open_screen(engine, screen_id, lang, None).href()
        return f'<a href="{escape(href)}">{escape(screen_id)}</a>'

    body = []
    for row in rows:
        fact = row.fact
        shown = [screen_link(s) for s in row.screens]
        shown.extend(f"interface text '{escape(key)}'" for key in row.ui)
        dates = (f"source: {escape(fact.source_date or 'undated')}<br>"
                 f"checked: {escape(_day(fact.checked) or 'not yet')}<br>"
                 f"review by: <b>{escape(_day(fact.review_by))}</b>")
        role = f' <span class="badge">{escape(fact.role)}</span>' if fact.role else ""
        body.append(
            f'<tr id="fact-{escape(fact.id)}"><td class="{row.status.replace(" ", "-")}">'
            f'{escape(row.status)}</td><td><b>{escape(fact.id)}</b><br>'
            f'<span class="badge">{escape(fact.kind)}</span>{role}<br>'
            f'<span class="where muted">{escape(str(fact.pos))}</span></td>'
            f"<td>{escape(_value(fact))}{' (upcoming)' if fact.upcoming else ''}</td>"
            f"<td>{_source(fact)}</td><td>{dates}</td>"
            f"<td>{', '.join(shown) or '<span class=warning>not shown anywhere</span>'}</td>"
            "</tr>")
    return ("<h1>Facts</h1><p>Every number, link, date and amount the bot shows, written once in "
            "<code>flows/facts.yaml</code>. Overdue facts first, then those due for review "
            "within 30 days. The bot marks an overdue fact as possibly out of date.</p>"
            '<table id="facts"><thead><tr><th>Review</th><th>Fact</th><th>Value</th>'
            "<th>Source</th><th>Dates</th><th>Shown on</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _value(fact: Fact) -> str:
    if isinstance(fact.value, dt.date):
        return fact.value.isoformat()
    if fact.currency:
        return f"{fact.value:g} {fact.currency}"
    return str(fact.value)


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _source(fact: Fact) -> str:
    source = fact.source
    text = escape(source.organisation)
    if source.page:
        text += f"<br><i>{escape(source.page)}</i>"
    if source.address and source.address.startswith(("https://", "http://")):
        text += (f'<br><a href="{escape(source.address)}" target="_blank" '
                 f'rel="noopener noreferrer">{escape(source.address)}</a>')
    elif source.address:
        text += f"<br>{escape(source.address)}"
    return text


# ---------------------------------------------------------------- translations
def translations_body(engine: Engine | None, report: list[Coverage],
                      stale: list[Stale]) -> str:
    rows = "".join(
        f'<tr><td>{escape(language_name(c.lang))} ({escape(c.lang)})</td>'
        f"<td>{c.present} / {c.expected}</td><td>{_bar(c)}</td>"
        f"<td>{len(c.missing)}</td></tr>" for c in report)
    sections = []
    for cov in report:
        if not cov.missing:
            continue
        items = "".join(f"<li>{_missing(ref, engine, cov.lang)}</li>" for ref in cov.missing)
        sections.append(f'<h2 id="missing-{escape(cov.lang)}">Missing in '
                        f"{escape(language_name(cov.lang))}</h2><ul>{items}</ul>")
    if not sections:
        sections.append('<p class="ok">No text is missing in any language.</p>')
    return ("<h1>Translations</h1><p>Texts each language has, of those the screens need "
            "(titles, texts, questions, checklist items, interface texts). A missing text is "
            f"shown in the fallback language with a notice.</p>"
            '<table id="coverage"><thead><tr><th>Language</th><th>Texts</th><th></th>'
            f"<th>Missing</th></tr></thead><tbody>{rows}</tbody></table>"
            f"{''.join(sections)}{_stale(stale, engine)}")


def _bar(cov: Coverage) -> str:
    width = round(120 * cov.present / cov.expected) if cov.expected else 0
    return f'<span class="track"><span class="bar" style="width:{width}px"></span></span>'


def _missing(ref: TextRef, engine: Engine | None, lang: str) -> str:
    label = escape(ref.label)
    if ref.screen is None or engine is None or ref.screen not in engine.catalog.nodes:
        return label
    href = open_screen(engine, ref.screen, lang, ref.country).href()
    return f'<a href="{escape(href)}">{label}</a>'


def _stale(stale: list[Stale], engine: Engine | None) -> str:
    """Translations made from an older version of the source text (bot/checks/translations):
    each with the text it followed, the text now, and a link to its screen in that language."""
    if not stale:
        body = '<p class="ok">No stale translations.</p>'
    else:
        items = []
        for item in stale:
            screen, *field = item.key.split(".")
            label = escape(item.key)
            if engine is not None and screen in engine.catalog.nodes:
                country = field[1] if len(field) == 2 and field[0] == "text" else None
                href = open_screen(engine, screen, item.lang, country).href()
                label = f'<a href="{escape(href)}">{label}</a>'
            items.append(f'<li>{label} ({escape(item.lang)}) <span class="where">'
                         f'{escape(str(item.pos))}</span><br><span class="muted">was: '
                         f"{escape(item.previous)}</span><br>now: {escape(item.source)}</li>")
        body = ("<p>The source text changed since these translations were made; readers still "
                "see the old translation until it is updated.</p><ul>" + "".join(items) + "</ul>")
    return f'<section class="stale" id="stale"><h2>Stale translations</h2>{body}</section>'
