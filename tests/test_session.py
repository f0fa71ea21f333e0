"""A stored session is read strictly: a damaged record is a new session, never a crash."""

from __future__ import annotations

import json

import pytest

from bot.engine.events import Command, Tap
from bot.engine.session import Session, Unreadable


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
