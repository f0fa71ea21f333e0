"""Talking to a person, as the engine decides it: the button, consent, hours, ending."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.content.hours import is_open
from bot.engine.events import Command, Tap
from bot.engine.handoff import END, OPEN, Offer
from bot.engine.runtime import Engine
from bot.engine.session import Session

OFFER = Offer(keep=dt.timedelta(days=7))
WARSAW_MONDAY_NOON = dt.datetime(2026, 11, 30, 11, 0, tzinfo=dt.UTC)  # 12:00 in Warsaw
WARSAW_MONDAY_NIGHT = dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC)  # 22:00 in Warsaw


@pytest.fixture
def engine(base_engine) -> Engine:
    return base_engine.for_day(None, None, OFFER)


def actions(message) -> list[str]:
    return [b.action for row in message.buttons for b in row if b.action]


def at(node: str, country: str | None = "PL", lang: str = "en") -> Session:
    return Session(lang=lang, country=country, node=node)


def test_without_the_offer_nothing_of_it_is_shown(base_engine):
    for node in base_engine.catalog.nodes:
        if base_engine.catalog.nodes[node].kind != "quiz":
            assert "p" not in actions(base_engine.render(at(node)))
    assert base_engine.step(at("work"), Tap("p")).messages[0].text.startswith(
        "[en] stale button")
    assert base_engine.step(at("work"), Command("end")).messages[0].text.startswith(
        "[en] unknown command")
    assert base_engine.step(at("work"), Command("forget")).handoff is None


def test_the_button_is_on_the_listed_screens_only(engine):
    offered = {node for node in engine.catalog.nodes if engine.catalog.nodes[node].kind != "quiz"
               and "p" in actions(engine.render(at(node)))}
    assert offered == {"helplines", "risky", "work"}
    rows = engine.render(at("work")).buttons
    assert [b.label for b in rows[-2]] == ["[en] handoff_button"]  # just above back/home/SOS


def test_for_day_keeps_the_offer_and_drops_it_when_asked(engine):
    assert engine.for_day(None, None, OFFER) is engine
    assert engine.for_day(dt.date(2026, 12, 1), None, OFFER).handoff == OFFER
    assert engine.for_day(None, None, None).handoff is None


def test_within_hours_the_consent_screen_says_who_for_how_long_and_when(engine):
    reply = engine.step(at("work"), Tap("p"), now=WARSAW_MONDAY_NOON)
    (message,) = reply.messages
    assert message.text == ("<b>[en] handoff_button</b>\n\n[en] handoff_consent Example &amp; Co,"
                            " 1 week, Mon–Fri 9:00–17:00 (Central European Time)")
    assert actions(message) == ["p:y", "n:work", "s"]  # start; back to where it was; SOS
    assert reply.handoff is None and reply.session.node == "work"


def test_starting_asks_the_adapter_to_open_the_conversation(engine):
    reply = engine.step(at("work"), Tap("p:y"), now=WARSAW_MONDAY_NOON)
    assert reply.handoff == OPEN
    assert reply.messages[0].text == "[en] handoff_connected Example &amp; Co"
    assert actions(reply.messages[0]) == ["p:x", "p:s"]


@pytest.mark.parametrize("data", ["p", "p:y"])
def test_outside_hours_it_says_when_and_shows_the_helplines(engine, data):
    reply = engine.step(at("work"), Tap(data), now=WARSAW_MONDAY_NIGHT)
    notice, helplines = reply.messages
    assert notice.text == ("[en] handoff_outside Example &amp; Co Mon–Fri 9:00–17:00 "
                           "(Central European Time)")
    assert helplines.text.startswith("<b>[en] Helplines</b>")
    assert reply.session.node == "helplines" and reply.handoff is None


def test_a_country_of_its_own_is_answered_by_its_organisation_in_its_hours(engine):
    saturday_late = dt.datetime(2026, 12, 5, 21, 30, tzinfo=dt.UTC)  # 23:30 in Kyiv
    monday_early = dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC)  # Monday 01:00 in Kyiv
    monday_morning = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)  # 10:00 in Kyiv
    for now in (saturday_late, monday_early):
        assert engine.step(at("work", "EU", "uk"), Tap("p:y"), now=now).handoff == OPEN
    closed = engine.step(at("work", "EU", "uk"), Tap("p"), now=monday_morning)
    assert closed.messages[0].text.startswith("[uk] handoff_outside Kyiv line сб–нд 20:00–2:00")
    # Poland's organisation is closed at the same Saturday night.
    assert engine.step(at("work", "PL"), Tap("p:y"), now=saturday_late).handoff is None


@pytest.mark.parametrize("event", [Tap("p:x"), Command("end"), Command("forget"), Tap("f"),
                                   Tap("f:y")], ids=str)
def test_ending_and_forgetting_end_the_conversation(engine, event):
    reply = engine.step(at("work"), event)
    assert reply.handoff == END


def test_ended_leads_home_with_help_one_tap_away(engine):
    reply = engine.step(at("work"), Tap("p:x"))
    assert reply.messages[0].text == "[en] handoff_ended"
    assert actions(reply.messages[0]) == ["h", "s"]


def test_help_from_within_a_conversation_opens_the_helplines_even_without_the_offer(
        engine, base_engine):
    for each in (engine, base_engine):
        reply = each.step(at("work"), Tap("p:s"))
        assert reply.session.node == "helplines" and reply.handoff is None


def test_a_forged_handoff_action_leads_home(engine):
    assert engine.step(at("work"), Tap("p:zz")).messages[0].text.startswith("[en] stale button")


def test_counsellors_read_the_persons_language_and_country_in_their_own_language(engine):
    notice = engine.counsellor_notice("handoff_group_info", "kyiv", "K7Q2", "ru", "PL")
    assert notice.text == "[uk] handoff_group_info K7Q2 російська Польща"
    # An organisation that names no language reads the source language (uk in this content).
    source = engine.counsellor_notice("handoff_group_opened", "desk", "AB12", "en", None)
    assert source.text == "[uk] handoff_group_opened AB12 англійська [uk] no country"
    assert notice.buttons == ()


def test_person_notices_keep_the_end_button_only_while_the_conversation_goes_on(engine):
    assert actions(engine.person_notice("handoff_slow", "ru")) == ["p:x", "p:s"]
    assert actions(engine.person_notice("handoff_closed", "ru")) == ["h", "s"]
    assert actions(engine.person_notice("handoff_unavailable", "xx")) == ["h", "s"]


@pytest.mark.parametrize(("hours", "local", "expected"), [
    ("Mo-Fr 09:00-17:00", (2026, 11, 30, 9, 0), True),  # Monday, opening minute
    ("Mo-Fr 09:00-17:00", (2026, 11, 30, 17, 0), False),  # closing minute
    ("Mo-Fr 09:00-17:00", (2026, 12, 5, 12, 0), False),  # Saturday
    ("Mo-Fr 09:00-17:00", (2026, 7, 6, 9, 30), True),  # summer time in Warsaw
    ("Mo,We 10:00-12:00,14:00-16:00", (2026, 12, 2, 15, 0), True),  # Wednesday afternoon
    ("Mo,We 10:00-12:00,14:00-16:00", (2026, 12, 2, 13, 0), False),  # the break
    ("Sa-Mo 10:00-11:00", (2026, 11, 30, 10, 30), True),  # a span over the week's end
    ("Fr 22:00-02:00", (2026, 12, 5, 1, 0), True),  # Friday night, Saturday 01:00
    ("Fr 22:00-02:00", (2026, 12, 4, 1, 0), False),  # Friday 01:00 is Thursday's night
    ("Mo-Su 00:00-24:00", (2026, 12, 6, 23, 59), True),
])
def test_opening_hours_are_read_in_the_organisations_time_zone(hours, local, expected):
    from zoneinfo import ZoneInfo

    moment = dt.datetime(*local, tzinfo=ZoneInfo("Europe/Warsaw")).astimezone(dt.UTC)
    assert is_open(hours, "Europe/Warsaw", moment) is expected


def labels(message) -> list[str]:
    return [b.label for row in message.buttons for b in row]


def test_every_button_of_the_conversation_reads_in_the_persons_language(engine):
    """A Russian reader never meets a Ukrainian button (the first language) along the way."""
    person = at("work", lang="ru")
    consent = engine.step(person, Tap("p"), now=WARSAW_MONDAY_NOON).messages[0]
    assert labels(consent) == ["[ru] handoff_start", "⬅️ Назад", "🆘 Помощь"]
    started = engine.step(person, Tap("p:y"), now=WARSAW_MONDAY_NOON).messages[0]
    assert labels(started) == ["[ru] handoff_end", "🆘 Помощь"]
    ended = engine.step(person, Tap("p:x")).messages[0]
    assert labels(ended) == ["🏠 Меню", "🆘 Помощь"]
    assert labels(engine.person_notice("handoff_closed", "ru")) == ["🏠 Меню", "🆘 Помощь"]
