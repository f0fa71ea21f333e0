"""Facts say honestly how fresh they are, in validate and in the running bot."""

from __future__ import annotations

import datetime as dt

from bot.checks.validate import validate
from bot.content.html import to_plain
from bot.content.loader import load_catalog
from bot.content.texts import format_hours
from bot.engine.events import Other, Start
from bot.engine.runtime import Engine
from bot.engine.session import Session
from tests.conftest import PROJECT


def test_a_fact_past_its_review_date_blocks_a_release_but_not_the_running_bot(base_copy):
    facts = base_copy / "flows/facts.yaml"
    facts.write_text(facts.read_text().replace("review_by: 2027-02-01", "review_by: 2026-12-01",
                                               1))
    before = validate(base_copy, today=dt.date(2026, 12, 1))
    assert before.errors == []
    after = validate(base_copy, today=dt.date(2026, 12, 2))
    assert [p.code for p in after.errors] == ["review-overdue"]
    assert "was due for review on 2026-12-01" in after.errors[0].message
    # The bot keeps serving the content, with the fact marked in the reader's language.
    reply = after.engine.step(Session(lang="uk"), Start("uk-PL-helplines"))
    text = to_plain(reply.messages[0].text)
    assert "112 ⚠️" in text and "[uk] fact_overdue" in text
    assert "[uk] sources European Commission" in text  # the sources are still named


def test_screens_name_the_source_and_never_claim_a_check_nobody_made(base_copy):
    facts = base_copy / "flows/facts.yaml"
    facts.write_text(facts.read_text().replace(
        '    organisation: "European Commission"\n',
        '    organisation: "European Commission"\n'
        '    address: "https://ec.europa.eu/112"\n  source_date: 2009-02-12\n'))
    engine = Engine(load_catalog(base_copy)[0], dt.date(2026, 11, 24))
    text = engine.step(Session(lang="en"), Start("en-PL-helplines")).messages[0].text
    assert '<a href="https://ec.europa.eu/112">European Commission</a>, 2009' in text
    assert "example source, [en] source_undated" in text
    assert "source_confirmed" not in text  # no person confirmed these facts
    facts.write_text(facts.read_text().replace("  source_date: 2009-02-12\n",
                                               "  source_date: 2009-02-12\n"
                                               "  checked: 2026-11-20\n"))
    engine = Engine(load_catalog(base_copy)[0], dt.date(2026, 11, 24))
    text = engine.step(Session(lang="en"), Start("en-PL-helplines")).messages[0].text
    assert "2009, [en] source_confirmed 20 November 2026" in text
    uk = engine.step(Session(lang="uk"), Start("uk-PL-helplines")).messages[0].text
    assert "2009, [uk] source_confirmed 20 листопада 2026" in uk
    # One source is "source", two are "sources".
    alone = engine.step(Session(lang="en"), Start("en-helplines")).messages[0].text
    assert "<i>[en] source <a href" in alone and "<i>[en] sources <a href" in text


def test_opening_hours_read_in_each_language():
    assert format_hours("Mo-Fr 08:30-16:30", "uk") == "пн–пт 8:30–16:30"
    assert format_hours("Mo-Fr 08:30-16:30", "ru") == "пн–пт 8:30–16:30"
    assert format_hours("Mo,We,Th 10:00-12:00; Sa 14:00-20:00", "en") == (
        "Mon, Wed, Thu 10:00–12:00; Sat 14:00–20:00")


def test_every_shipped_fact_can_be_reviewed_in_time():
    catalog, _ = load_catalog(PROJECT)
    for fact in catalog.facts.values():
        assert fact.source.organisation
        if fact.upcoming:
            assert fact.review_by < fact.value, fact.id


def test_an_amount_that_is_not_a_finite_number_is_refused(base_copy):
    facts = base_copy / "flows/facts.yaml"
    original = facts.read_text()
    for value in (".inf", ".nan", "-5"):
        facts.write_text(original + (
            "wage:\n  kind: money\n  currency: PLN\n  value: " + value + "\n"
            "  source:\n    organisation: x\n  review_by: 2027-02-01\n"))
        report = validate(base_copy, today=dt.date(2026, 11, 24))
        assert any("a money fact needs an amount" in p.message for p in report.errors), value


def test_a_date_reads_in_the_readers_language_in_every_kind_of_text(base_copy):
    facts = base_copy / "flows/facts.yaml"
    facts.write_text(facts.read_text().replace("  review_by: 2027-02-01\n",
                                               "  review_by: 2027-02-01\n  checked: 2026-11-20\n",
                                               1) + (
        "deadline:\n  kind: date\n  value: 2027-03-04\n"
        "  source:\n    organisation: x\n  review_by: 2027-02-01\n"))
    texts = base_copy / "content/uk/main.yaml"
    texts.write_text(texts.read_text().replace('"[uk] Contract"', '"[uk] до {deadline}"')
                     .replace('"[uk] Pay a fee?"', '"[uk] до {deadline}?"'))
    ui = base_copy / "content/uk/ui.yaml"
    keys = ("quiz_progress", "checklist_progress", "country_line", "source_confirmed", "non_text")
    ui.write_text("\n".join(line[:-1] + ' {deadline}"' if line.strip().split(":")[0] in keys
                            else line for line in ui.read_text().splitlines()) + "\n")
    engine = Engine(load_catalog(base_copy)[0])
    session = Session(lang="uk", country="PL")
    for event in (Start("uk-PL-list"), Start("uk-PL-quiz"), Start("uk-PL-work"),
                  Start("uk-PL-helplines"), Other("sticker")):
        text = engine.step(session, event).messages[0].text
        assert "4 березня 2027" in text and "March" not in text, event
