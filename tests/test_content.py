"""The shipped content: facts only from the registry, safety order of numbers, the report."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from bot.checks.validate import validate
from bot.content.html import to_plain
from bot.content.loader import load_catalog
from bot.content.texts import format_day, format_fact
from bot.engine.events import Text
from bot.engine.session import Session
from tests.conftest import PROJECT

CATALOG, _ = load_catalog(PROJECT)
EU_MEMBERS = {"PL", "DE", "CZ", "SK", "RO", "LT", "IT", "ES"}
# Numbers the checked facts mark SINGLE-SOURCE or UNVERIFIED (docs/facts-to-confirm.md), or
# superseded: they must not reach users until a person confirms them at the source.
NOT_CONFIRMED = ["116 006", "8 800 91119", "08000 116 016", "602 224 938", "0757 749 845",
                 "974 801 802", "800 12 12 12", "0800 111 0 550", "22 49 94 00", "238 15 50",
                 "238 16 57", "22 111 35 29", "348 725 4038", "227 020"]
COUNTRY_SCREENS = ("helplines", "registration", "work_wage")


def every_screen(engine, langs=None):
    for lang in langs or CATALOG.settings.languages:
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


def helpline_facts(country: str | None):
    phones = CATALOG.nodes["helplines"].phones
    return [CATALOG.facts[i] for i in phones.get(country or "default", phones["default"])]


OUTSIDE_EU = "ZZ"  # "a country outside the EU": no emergency number is verified for all of them


@pytest.mark.parametrize("country", [None, *sorted(set(CATALOG.settings.countries) - {OUTSIDE_EU})])
def test_helplines_start_with_the_emergency_number_then_a_line_to_call_first(country):
    facts = helpline_facts(country)
    assert facts[0].role == "emergency"
    assert str(facts[0].value) == ("102" if country == "UA" else "112")
    if country in EU_MEMBERS or country in ("MD", "UA"):
        # "Call this first" for trafficking and exploitation comes right after.
        assert facts[1].role == "trafficking", [f.id for f in facts]


@pytest.mark.parametrize("country", [None, *CATALOG.settings.countries])
def test_every_country_shows_a_child_line(country):
    assert any(f.role in ("child", "missing_child") for f in helpline_facts(country))
def test_every_country_has_helplines_and_a_registration_answer(shipped_engine):
    for country in CATALOG.settings.countries:
        for lang in CATALOG.settings.languages:
            helplines = shipped_engine.render(Session(lang=lang, country=country,
                                                      node="helplines"))
            assert sum(1 for row in helplines.buttons for b in row if b.copy) >= 2
            registration = shipped_engine.render(Session(lang=lang, country=country,
                                                         node="registration"))
            assert len(to_plain(registration.text)) > 100


def test_a_stale_content_report_is_a_warning_with_the_command_to_run(base_copy):
    """An editor's change must not fail CI only because the generated report is stale."""
    import subprocess
    import sys

    (base_copy / "docs").mkdir()
    (base_copy / "docs/content.md").write_text("# an old report\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "validate", str(base_copy)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ("docs/content.md:1:1: warning: the content report is out of date: "
                             "run `stay-safe report --output docs/content.md`\n")
    subprocess.run([sys.executable, "-m", "bot.cli", "report", "--root", str(base_copy),
                    "--output", str(base_copy / "docs/content.md")], check=True, timeout=60)
    again = subprocess.run([sys.executable, "-m", "bot.cli", "validate", str(base_copy)],
                           capture_output=True, text=True, timeout=60)
    assert again.stdout == "" and "0 warning(s)" in again.stderr


def test_outside_the_eu_no_eu_date_is_shown(shipped_engine):
    """Switzerland, the UK and Norway do not apply the EU directive: its dates are not theirs."""
    eu_dates = {format_fact(f, lang) for f in CATALOG.facts.values() if f.kind == "date"
                and f.id.startswith("eu_") for lang in CATALOG.settings.languages}
    for lang in CATALOG.settings.languages:
        for node in CATALOG.nodes:
            text = shipped_engine.render(Session(lang=lang, country=OUTSIDE_EU, node=node)).text
            assert not any(date in text for date in eu_dates), (lang, node)


@pytest.mark.parametrize("screen", COUNTRY_SCREENS)
def test_every_country_has_its_own_text(screen):
    """No country falls back to the general text that asks to choose a country (a loop)."""
    countries = CATALOG.settings.countries
    if screen.startswith("work"):
        countries = [c for c in countries if c not in CATALOG.settings.other_countries]
    for lang in CATALOG.settings.languages:
        missing = [c for c in countries if c not in CATALOG.texts[lang][screen].text]
        assert missing == [], (lang, screen)


def screen_lengths(engine):
    return [len(to_plain(message.text)) for _lang, message in every_screen(engine)]


def test_screens_are_short_enough_for_a_phone(shipped_engine):
    lengths = sorted(screen_lengths(shipped_engine))
    assert lengths[len(lengths) // 2] < 600, "median screen"
    assert lengths[-1] <= 1200, "longest screen"


@pytest.mark.parametrize("fact", sorted(f.id for f in CATALOG.facts.values() if f.upcoming))
def test_an_upcoming_date_that_has_passed_is_never_shown_as_upcoming(shipped_engine, fact):
    """With "today" just after an end date, every screen showing it says it may be out of
    date (and validate fails: see test_facts.py)."""
    value = CATALOG.facts[fact].value
    later = shipped_engine.for_day(value + dt.timedelta(days=1))
    shown = 0
    for lang in CATALOG.settings.languages:
        date = format_fact(CATALOG.facts[fact], lang)
        notice = to_plain(str(CATALOG.ui[lang]["fact_overdue"]))
        for _lang, message in every_screen(later, langs=(lang,)):
            text = to_plain(message.text)
            if date in text:
                shown += 1
                assert f"{date} ⚠️" in text and notice in text
    assert shown, f"{fact} is not shown on any screen"


# What a person in trouble types, in each language and in Latin letters: each must open the
# helplines at once, before anything else.
HELP_PHRASES = {
    "uk": ["допоможіть", "рятуйте", "мене б'ють", "мене побили", "мене зачинили",
           "мене не відпускають", "не дають піти", "забрали паспорт", "забрали документи",
           "мені не платять", "змушують працювати", "змушують до сексу",
           "дитина в небезпеці"],
    "ru": ["помогите", "спасите", "меня бьют", "меня избили", "меня заперли",
           "меня не отпускают", "не дают уйти", "забрали паспорт", "отобрали документы",
           "мне не платят", "заставляют работать", "принуждают к сексу",
           "ребёнок в опасности"],
    "en": ["help", "they beat me", "I am locked in", "they won't let me leave",
           "they took my passport", "my documents were taken", "I am not paid",
           "forced to work", "forced to have sex", "a child is in danger"],
    "translit": ["pomogite", "dopomozhit", "menya byut", "mene bjut", "zabrali pasport",
                 "ne platyat", "ne vidpuskayut", "ne otpuskayut"],
}
# Everyday questions that must NOT be taken for a cry for help.
NOT_HELP = ["робота в Польщі", "як зареєструватися", "мінімальна зарплата", "паспорт",
            "работа в Германии", "документы для регистрации", "дитина", "квартира",
            "minimum wage", "where to register"]
# Words for the topics, typed as people type them: each must offer its screen.
TOPIC_WORDS = {
    "дроп": "forced_crime", "дропи": "forced_crime", "закладки": "forced_crime",
    "кладмен": "forced_crime", "money mule": "forced_crime", "вебкам": "lure_offers",
    "вебкам модель": "lure_offers", "хостес": "lure_offers", "масаж": "lure_offers",
    "квартира": "transport_housing", "житло": "transport_housing",
    "підвезти": "transport_housing", "дитина": "children", "ребенок": "children",
    "консульство": "consular", "посольство": "consular", "embassy": "consular",
    "телеграм канал робота": "online_recruitment", "не платять": "labour_rights",
    "не платят зарплату": "labour_rights", "інспекція праці": "labour_rights",
    "права постраждалих": "victim_rights",
}


@pytest.mark.parametrize(("lang", "phrase"), [(lang, p) for lang, phrases in
                                              HELP_PHRASES.items() for p in phrases])
def test_help_phrases_open_the_helplines_at_once(shipped_engine, lang, phrase):
    reply = shipped_engine.step(Session(lang="uk", country="PL", node="work"), Text(phrase))
    assert reply.node == "helplines", phrase


@pytest.mark.parametrize("text", NOT_HELP)
def test_everyday_questions_are_not_taken_for_a_cry_for_help(shipped_engine, text):
    reply = shipped_engine.step(Session(lang="uk", country="PL", node="home"), Text(text))
    assert reply.node != "helplines", text


@pytest.mark.parametrize(("typed", "topic"), TOPIC_WORDS.items())
def test_topic_words_find_their_screen(shipped_engine, typed, topic):
    reply = shipped_engine.step(Session(lang="uk", country="PL", node="home"), Text(typed))
    offered = [b.action for m in reply.messages for row in m.buttons for b in row]
    assert f"n:{topic}" in offered, (typed, offered)


def test_the_shipped_content_passes_validate_as_the_release_check_does():
    """In the test run too, not only in CI's `stay-safe validate`: a loader change that
    refuses good content (an upcoming date taken for a wrong field) fails here."""
    report = validate(PROJECT, today=dt.date(2026, 11, 24))
    assert [str(p) for p in report.problems] == []
