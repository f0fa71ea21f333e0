"""A stored session is read strictly: a damaged record is a new session, never a crash."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.checks.validate import validate
from bot.conversations import Conversations
from bot.engine.events import Command, Start, Tap
from bot.engine.session import MAX_BITS, Session, Unreadable
from bot.storage import MemoryStore


def test_a_session_survives_a_round_trip():
    session = Session(lang="uk", country="PL", node="work", history=("home",), quiz_index=1,
                      quiz_yes=0b10, checks={"list": 3}, campaign="plwork", started=("plwork",))
    assert Session.from_dict(json.loads(json.dumps(session.to_dict()))) == session


GARBAGE = {
    "not a mapping": "[1, 2]",
    "a huge float": '{"a": [1e400, 0]}',
    "infinity": '{"a": [0, Infinity]}',
    "nan": '{"a": [NaN, 0]}',
    "a float index": '{"a": [1.0, 0]}',
    "a boolean index": '{"a": [true, 0]}',
    "a negative index": '{"a": [-1, 0]}',
    "an index past any quiz": '{"a": [64, 0]}',
    "a mask of more than 64 answers": '{"a": [0, 36893488147419103232]}',
    "a short quiz list": '{"a": [1]}',
    "a number for a language": '{"l": 5}',
    "markup for a screen": '{"n": "<b>x</b>"}',
    "a mapping for history": '{"h": {"a": 1}}',
    "a thousand history entries": json.dumps({"h": ["home"] * 1000}),
    "a list of checks": '{"k": [1]}',
    "a negative tick mask": '{"k": {"list": -1}}',
    "a text tick mask": '{"k": {"list": "3"}}',
    "a long campaign id": json.dumps({"g": "x" * 61}),
    "a number among the started campaigns": '{"s": [1]}',
}


@pytest.mark.parametrize("raw", GARBAGE.values(), ids=GARBAGE.keys())
def test_a_damaged_record_is_unreadable_and_becomes_a_new_session(raw):
    data = json.loads(raw)
    with pytest.raises(Unreadable):
        Session.parse(data)
    assert Session.from_dict(data) == Session()


@pytest.mark.parametrize("raw", GARBAGE.values(), ids=GARBAGE.keys())
def test_forget_works_whatever_was_stored(shipped_engine, raw):
    session = Session.from_dict(json.loads(raw))
    asked = shipped_engine.step(session, Command("forget"), lang_hint="en")
    assert asked.messages
    gone = shipped_engine.step(asked.session, Tap("f:y"))
    assert gone.erase and gone.session == Session()


@pytest.mark.parametrize(("answers", "result"), [
    ("00000000", "job_check_low"),     # "no" first: nothing but the position to remember
    ("10000000", "job_check_medium"),  # the first "yes" must not be lost
])
async def test_a_quiz_in_progress_survives_being_stored_between_taps(shipped_engine, answers,
                                                                     result):
    conversations = Conversations(shipped_engine, MemoryStore(3600))
    reply = await conversations.handle("1", Start("en-job_check"))
    for index, answer in enumerate(answers):
        reply = await conversations.handle("1", Tap(f"q:job_check:{index}:{answer}"))
    assert reply.node == result


def _quiz_of(root, size: int) -> None:
    """Make the base content's quiz ``size`` questions long."""
    extra = [f"extra_{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(size - 2)]
    flows = root / "flows/main.yaml"
    flows.write_text(flows.read_text().replace(
        "    - {id: passport, decisive: true}\n",
        "".join(f"    - {{id: {q}, weight: 0}}\n" for q in extra)
        + "    - {id: passport, decisive: true}\n"))
    for lang in ("uk", "ru", "en"):
        texts = root / f"content/{lang}/main.yaml"
        texts.write_text(texts.read_text().replace("    passport:", "".join(
            f'    {q}: "[{lang}] More?"\n' for q in extra) + "    passport:"))


async def test_a_quiz_of_64_questions_is_remembered_to_the_end(base_copy):
    _quiz_of(base_copy, MAX_BITS)
    report = validate(base_copy, today=dt.date(2026, 11, 23))
    assert report.problems == []
    conversations = Conversations(report.engine, MemoryStore(3600))
    await conversations.handle("1", Start("en-quiz"))
    for index in range(MAX_BITS):
        reply = await conversations.handle("1", Tap(f"q:quiz:{index}:1"))
    assert reply.node == "risky"


def test_a_quiz_longer_than_a_session_can_remember_is_refused(base_copy):
    """Defect: a quiz of 65 questions passed validate, and at question 65 the session could
    no longer be read back: the person was sent to the language question, answers lost."""
    _quiz_of(base_copy, MAX_BITS + 1)
    report = validate(base_copy, today=dt.date(2026, 11, 23))
    assert [str(p) for p in report.problems] == [
        "flows/main.yaml:7:1: error: quiz 'quiz' has 65 questions; a conversation remembers "
        "the answers to at most 64: split it"]
