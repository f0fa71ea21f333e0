"""The facts registry for people who keep it true: what is due for review, and where it shows.

A wrong phone number can cost a person their safety, so the facts page lists the overdue facts
first, then those due soon, each with the screens that show it: what to re-check, and where the
change will be seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.content.model import Catalog, Fact
from bot.engine.runtime import fact_ids

DUE_SOON_DAYS = 30
OVERDUE, DUE_SOON, OK = "overdue", "due soon", "ok"
_ORDER = {OVERDUE: 0, DUE_SOON: 1, OK: 2}


@dataclass(frozen=True)
class FactRow:
    fact: Fact
    status: str
    screens: tuple[str, ...]  # screen ids, in flow order
    ui: tuple[str, ...]  # interface texts (shown on many screens) that use it


def fact_rows(catalog: Catalog, today: dt.date) -> list[FactRow]:
    """Every fact with its review status and where it is shown; overdue first, then due soon,
    then by review date."""
    screens, ui = fact_usage(catalog)
    rows = [FactRow(fact, review_status(fact, today), tuple(screens.get(fact.id, ())),
                    tuple(ui.get(fact.id, ())))
            for fact in catalog.facts.values()]
    return sorted(rows, key=lambda r: (_ORDER[r.status], r.fact.review_by, r.fact.id))


def review_status(fact: Fact, today: dt.date) -> str:
    if fact.overdue(today):
        return OVERDUE
    if (fact.review_by - today).days <= DUE_SOON_DAYS:
        return DUE_SOON
    return OK


def fact_usage(catalog: Catalog) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(fact id → screens showing it, fact id → interface texts using it), in any language."""
    screens: dict[str, list[str]] = {}
    for node in catalog.nodes.values():
        used = {fact for ids in node.phones.values() for fact in ids}
        for texts in catalog.texts.values():
            node_texts = texts.get(node.id)
            if node_texts is None:
                continue
            for template in (*node_texts.text.values(), *node_texts.questions.values(),
                             *node_texts.items.values()):
                used.update(fact_ids(template))
        for fact in sorted(used & catalog.facts.keys()):
            screens.setdefault(fact, []).append(node.id)
    ui: dict[str, list[str]] = {}
    for texts in catalog.ui.values():
        for key, template in texts.items():
            for fact in fact_ids(template):
                if fact in catalog.facts and key not in ui.get(fact, []):
                    ui.setdefault(fact, []).append(key)
    return screens, ui
