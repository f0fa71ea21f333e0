"""The shipped content: facts only from the registry, safety order of numbers, the report."""

from __future__ import annotations

import html
import re

import pytest

from bot.checks.report import content_report
from bot.content.html import to_plain
from bot.content.loader import load_catalog
from bot.content.texts import format_day, format_fact
from bot.engine.session import Session
from tests.conftest import PROJECT

CATALOG, _ = load_catalog(PROJECT)
EU_MEMBERS = {"PL", "DE", "CZ", "SK", "RO", "LT", "IT", "ES", "EU"}
# Numbers the checked facts mark SINGLE-SOURCE or UNVERIFIED (docs/facts-to-confirm.md):
# they must not reach users until a person confirms them.
NOT_CONFIRMED = ["0 800 505 501", "0800 800 678", "116 006", "8 800 91119", "08000 116 016"]


def every_screen(engine):
    for lang in CATALOG.settings.languages:
        for country in (None, *CATALOG.settings.countries):
            for node in CATALOG.nodes.values():
                states = [Session(lang=lang, country=country, node=node.id)]
                if node.kind == "quiz":
                    states = [states[0].evolve(quiz_index=i) for i in range(len(node.questions))]
                if node.kind == "checklist":
                    states = [states[0].evolve(checks={node.id: 1})]
                for session in states:
                    yield lang, engine.render(session)


def test_no_number_or_link_reaches_users_except_from_the_registry(shipped_engine):
    """Remove every registry value (as each language shows it); no number or link may remain."""
    for lang, message in every_screen(shipped_engine):
        text = to_plain(message.text)
        known = sorted((value for f in CATALOG.facts.values() for value in (
            format_fact(f, lang), (f.source_date or "")[:4], html.escape(f.source.organisation),
            format_day(f.checked, lang) if f.checked else "") if value),
            key=len, reverse=True)
        for value in known:
            text = text.replace(to_plain(value), " ")
        assert not re.search(r"\d(?:[\s\-.()]?\d){2,}", text), (lang, text)
        assert not re.search(r"https?://|www\.|\S+@\S+\.\w", text), (lang, text)
        for row in message.buttons:
            for button in row:
                if button.copy:
                    assert button.copy in {str(f.value) for f in CATALOG.facts.values()}


def test_unconfirmed_numbers_are_nowhere():
    values = {str(f.value) for f in CATALOG.facts.values()}
    texts = "\n".join(p.read_text(encoding="utf-8") for p in PROJECT.glob("content/*/*.yaml"))
    for number in NOT_CONFIRMED:
        assert number not in values and number not in texts


@pytest.mark.parametrize("country", sorted(CATALOG.settings.countries))
def test_helplines_put_the_emergency_number_first(country):
    phones = CATALOG.nodes["helplines"].phones.get(country,
                                                   CATALOG.nodes["helplines"].phones["default"])
    if country in EU_MEMBERS:
        assert phones[0] == "eu_emergency"
    elif country == "UA":
        assert phones[0] == "ua_police"
    else:  # Moldova: no general emergency number is in the checked facts yet
        assert phones[0] == "md_police_trafficking"


def test_every_country_has_helplines_and_a_registration_answer(shipped_engine):
    for country in CATALOG.settings.countries:
        for lang in CATALOG.settings.languages:
            helplines = shipped_engine.render(Session(lang=lang, country=country,
                                                      node="helplines"))
            assert sum(1 for row in helplines.buttons for b in row if b.copy) >= 2
            registration = shipped_engine.render(Session(lang=lang, country=country,
                                                         node="registration"))
            assert len(to_plain(registration.text)) > 100


def test_content_report_is_up_to_date():
    expected = content_report(CATALOG)
    committed = (PROJECT / "docs" / "content.md").read_text(encoding="utf-8")
    assert committed == expected, "run: stay-safe report --output docs/content.md"
