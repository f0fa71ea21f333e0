"""Problems found in content, reported as ``file:line:column: severity: message``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.yamlsafe import Pos

ERROR = "error"
WARNING = "warning"

REVIEW_OVERDUE = "review-overdue"
# Problems that block a release (``stay-safe validate``) but not a preview or a live reload:
# the engine covers a missing translation with the fallback chain and a visible notice, and
# shows a fact past its review date with a visible "may be out of date" notice.
SOFT_CODES = frozenset({"missing-text", REVIEW_OVERDUE})


@dataclass(frozen=True, order=True)
class Problem:
    pos: Pos
    severity: str
    message: str
    code: str = "content"

    def __str__(self) -> str:
        return f"{self.pos}: {self.severity}: {self.message}"


def sort_key(problem: Problem) -> tuple:
    return (problem.pos.file, problem.pos.line, problem.pos.col, problem.message)


def blocking(problems: list[Problem]) -> list[Problem]:
    """Errors that make content unusable even for a preview."""
    return [p for p in problems if p.severity == ERROR and p.code not in SOFT_CODES]
