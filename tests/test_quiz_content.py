"""The shipped job-offer quiz: a decisive warning sign is never outweighed, one warning sign is
never waved through, and the result reads as advice, not as a test score."""

from __future__ import annotations

import re

import pytest

from bot.content.html import to_plain
from bot.engine.events import Tap
from bot.engine.session import Session

QUIZ, LOW, HIGH = "job_check", "job_check_low", "job_check_high"
# Each of these alone means high risk (issue 10 §2), whatever the other answers.
DECISIVE = {"pay_fee", "passport", "cannot_leave"}


def questions(engine) -> list[str]:
    return [q.id for q in engine.catalog.nodes[QUIZ].questions]


def answer(engine, yes: set[str], lang: str = "uk"):
    """Open the quiz and tap "Yes" for the questions in ``yes``, "No" for the rest."""
    reply = engine.step(Session(lang=lang, country="PL", node="red_flags_offer"),
                        Tap(f"n:{QUIZ}"))
    for index, question in enumerate(questions(engine)):
        reply = engine.step(reply.session, Tap(f"q:{QUIZ}:{index}:{int(question in yes)}"))
    return reply


def test_the_decisive_questions_are_still_asked(shipped_engine):
    assert set(questions(shipped_engine)) >= DECISIVE


@pytest.mark.parametrize("question", sorted(DECISIVE))
def test_each_decisive_yes_alone_gives_the_high_risk_result(shipped_engine, question):
    assert answer(shipped_engine, {question}).node == HIGH


def test_each_other_single_yes_gives_at_least_the_middle_result(shipped_engine):
    others = [q for q in questions(shipped_engine) if q not in DECISIVE]
    assert others
    for question in others:
        assert answer(shipped_engine, {question}).node != LOW, question


def test_only_all_no_gives_the_lowest_result_and_it_still_says_what_to_check(shipped_engine):
    reply = answer(shipped_engine, set())
    assert reply.node == LOW
    text = to_plain(reply.messages[-1].text)
    assert "KRAZ" in text and "договір" in text


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
def test_results_show_no_test_like_score(shipped_engine, lang):
    """A result reads as advice: "3 of 14" would read as a test a person passed or failed."""
    score = re.compile(r"\d+\s*(?:з|из|of|/)\s*\d+")
    everything = set(questions(shipped_engine))
    for yes in (set(), {"stranger"}, everything):
        text = to_plain(answer(shipped_engine, yes, lang).messages[-1].text)
        assert not score.search(text), (lang, text)


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
def test_no_question_is_asked_in_the_negative(shipped_engine, lang):
    """"Yes" must mean "yes, this is happening": a question that opens with a negation
    ("Is there no contract?", "Вам не дають договору?") turns the answer around."""
    negative = re.compile(r"^(?:(?:Вам|Вас|Is there|Are you|Do you|Does)\s+)?(?:не|no|not)\b",
                          re.IGNORECASE)
    asked = shipped_engine.catalog.texts[lang][QUIZ].questions
    assert set(asked) == set(questions(shipped_engine))
    for question in asked.values():
        assert not negative.match(str(question)), (lang, question)
