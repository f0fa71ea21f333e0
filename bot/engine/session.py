"""A conversation's state: only what the conversation needs, nothing that names a person.

Stored as a compact dict (short keys) so a session stays well under 512 bytes in Redis.
``from_dict`` never fails: a damaged or foreign record (wrong types, ``1e400``, ``Infinity``,
huge lists) yields a fresh session, never a crash, so one bad record cannot lock a person out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

MAX_ID = 60  # screen, campaign and language ids are short words (the loader enforces 60)
MAX_HISTORY = 50  # far above any history_limit; a longer list is not ours
MAX_BITS = 64  # quiz answers and checklist ticks are bit masks of at most 64 items
MAX_STARTED = 8  # campaigns remembered as already counted (see ``started``)
_ID = re.compile(rf"[A-Za-z0-9_]{{1,{MAX_ID}}}")


class Unreadable(ValueError):
    """A stored record that is not a session of ours."""


@dataclass(frozen=True, slots=True)
class Session:
    lang: str | None = None
    country: str | None = None
    node: str | None = None
    history: tuple[str, ...] = ()
    quiz_index: int = 0
    quiz_yes: int = 0  # bit i set: "yes" to question i of the quiz in progress
    checks: dict[str, int] = field(default_factory=dict)
    campaign: str | None = None  # the poster that brought this person, for anonymous counts
    started: tuple[str, ...] = ()  # campaigns whose "start" was counted for this session

    def to_dict(self) -> dict:
        data: dict = {}
        if self.lang:
            data["l"] = self.lang
        if self.country:
            data["c"] = self.country
        if self.node:
            data["n"] = self.node
        if self.history:
            data["h"] = list(self.history)
        if self.quiz_index or self.quiz_yes:
            data["a"] = [self.quiz_index, self.quiz_yes]
        if self.checks:
            data["k"] = dict(self.checks)
        if self.campaign:
            data["g"] = self.campaign
        if self.started:
            data["s"] = list(self.started)
        return data

    @classmethod
    def from_dict(cls, data) -> Session:
        """The session in ``data``, or a fresh one when ``data`` is not a session of ours."""
        try:
            return cls.parse(data)
        except Unreadable:
            return cls()

    @classmethod
    def parse(cls, data) -> Session:
        """Like ``from_dict`` but raises ``Unreadable``, so a caller can log the fact."""
        if not isinstance(data, dict):
            raise Unreadable("not a mapping")
        quiz = data.get("a", [0, 0])
        if not (isinstance(quiz, list) and len(quiz) == 2):
            raise Unreadable("quiz")
        checks = data.get("k", {})
        if not isinstance(checks, dict) or len(checks) > MAX_HISTORY:
            raise Unreadable("checks")
        return cls(
            lang=_id(data.get("l")),
            country=_id(data.get("c")),
            node=_id(data.get("n")),
            history=_ids(data.get("h", []), MAX_HISTORY),
            quiz_index=_small(quiz[0], MAX_BITS - 1),
            quiz_yes=_small(quiz[1], (1 << MAX_BITS) - 1),
            checks={_word(k): _small(v, (1 << MAX_BITS) - 1) for k, v in checks.items()},
            campaign=_id(data.get("g")),
            started=_ids(data.get("s", []), MAX_STARTED),
        )

    def evolve(self, **changes) -> Session:
        """A copy with ``changes``; cheaper than ``dataclasses.replace`` on this hot path."""
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update(changes)
        return Session(**values)


def _id(value) -> str | None:
    return None if value is None else _word(value)


def _word(value) -> str:
    if isinstance(value, str) and _ID.fullmatch(value):
        return value
    raise Unreadable("id")


def _ids(value, limit: int) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > limit:
        raise Unreadable("list")
    return tuple(_word(item) for item in value)


def _small(value, limit: int) -> int:
    """A whole number in 0..limit (bool, float, ``1e400`` and ``Infinity`` are refused)."""
    if type(value) is not int or not 0 <= value <= limit:
        raise Unreadable("number")
    return value


_FIELDS = tuple(f.name for f in fields(Session))
