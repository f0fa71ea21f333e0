"""A conversation's state: only what the conversation needs, nothing that names a person.

Stored as a compact dict (short keys) so a session stays well under 512 bytes in Redis.
``from_dict`` never fails: a damaged or foreign record yields a fresh session, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True, slots=True)
class Session:
    lang: str | None = None
    country: str | None = None
    node: str | None = None
    history: tuple[str, ...] = ()
    quiz_index: int = 0
    quiz_score: int = 0
    checks: dict[str, int] = field(default_factory=dict)
    campaign: str | None = None  # the poster that brought this person, for anonymous counts

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
        if self.quiz_index or self.quiz_score:
            data["q"] = [self.quiz_index, self.quiz_score]
        if self.checks:
            data["k"] = dict(self.checks)
        if self.campaign:
            data["g"] = self.campaign
        return data

    @classmethod
    def from_dict(cls, data) -> Session:
        if not isinstance(data, dict):
            return cls()
        try:
            quiz = data.get("q") or [0, 0]
            checks = data.get("k") or {}
            return cls(
                lang=_str_or_none(data.get("l")),
                country=_str_or_none(data.get("c")),
                node=_str_or_none(data.get("n")),
                history=tuple(str(h) for h in data.get("h") or ()),
                quiz_index=int(quiz[0]),
                quiz_score=int(quiz[1]),
                checks={str(k): int(v) for k, v in checks.items()},
                campaign=_str_or_none(data.get("g")),
            )
        except (TypeError, ValueError, IndexError, AttributeError):
            return cls()

    def evolve(self, **changes) -> Session:
        """A copy with ``changes``; cheaper than ``dataclasses.replace`` on this hot path."""
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update(changes)
        return Session(**values)


def _str_or_none(value) -> str | None:
    return value if isinstance(value, str) and value else None


_FIELDS = tuple(f.name for f in fields(Session))
