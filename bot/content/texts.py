"""Placeholders and locale data: how a text template becomes the HTML a user reads.

Facts (numbers, links, dates, amounts) are written once in the registry and referenced as
``{fact_id}``; ``{fact_id.checked}`` shows when a person last checked it. Runtime values such
as ``{country}`` or ``{score}`` are filled by the engine. Names of languages and countries and
date formats come from Babel's CLDR data, so "Poland" reads "Польща" / "Польша" by itself.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

from bot.content.model import Fact

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]*)(?:\.([A-Za-z_]+))?\}")
FACT_ATTRIBUTES = ("checked", "source")
# Values the engine supplies while talking; everything else must be a fact id.
RUNTIME_VARIABLES = frozenset({"country", "language", "n", "total", "done", "code", "bot"})


def placeholders(template: str) -> set[str]:
    """The placeholders of a template, as written (``kcik_pl``, ``kcik_pl.checked``)."""
    return {m.group(0)[1:-1] for m in PLACEHOLDER.finditer(template)}


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def language_name(code: str) -> str:
    """A language in its own words ("Українська", "Русский", "English")."""
    name = _locale(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def country_name(code: str, lang: str) -> str:
    """A country in the reader's language, from CLDR."""
    return _locale(lang).territories.get(code, code)


def month_year(day: dt.date, lang: str) -> str:
    """"листопад 2026" / "ноябрь 2026" / "November 2026": when a fact was last checked."""
    return format_date(day, "LLLL y", locale=lang)


def format_fact(fact: Fact, attribute: str | None, lang: str) -> str:
    """A fact's value as HTML-safe text in the reader's language."""
    if attribute == "checked":
        return html.escape(month_year(fact.checked, lang))
    if attribute == "source":
        return html.escape(fact.source)
    if fact.kind == "date":
        # "4 березня 2027", "4 марта 2027", "4 March 2027": no trailing "р."/"г." to clash
        # with the full stop of the sentence.
        return html.escape(format_date(fact.value, "d MMMM y", locale=lang))
    if fact.kind == "money":
        pattern = _locale(lang).currency_formats["standard"].pattern
        if float(fact.value).is_integer():
            pattern = pattern.replace("0.00", "0")  # 4 806 PLN, not 4 806,00 PLN
        return html.escape(format_currency(fact.value, fact.currency, locale=lang,
                                           format=pattern, currency_digits=False))
    return html.escape(str(fact.value))


class Formatter:
    """Fills templates; fact values are formatted once per language and cached."""

    def __init__(self, facts: dict[str, Fact]):
        self.facts = facts
        self._cache: dict[tuple[str, str | None, str], str] = {}

    def fact(self, fact_id: str, attribute: str | None, lang: str) -> str:
        key = (fact_id, attribute, lang)
        value = self._cache.get(key)
        if value is None:
            value = format_fact(self.facts[fact_id], attribute, lang)
            self._cache[key] = value
        return value

    def fill(self, template: str, lang: str, variables: dict[str, str] | None = None) -> str:
        """Replace placeholders; runtime ``variables`` must already be HTML-escaped."""
        if "{" not in template:
            return template
        variables = variables or {}

        def replace(match: re.Match) -> str:
            name, attribute = match.group(1), match.group(2)
            if attribute is None and name in variables:
                return variables[name]
            if name in self.facts:
                return self.fact(name, attribute, lang)
            return match.group(0)

        return PLACEHOLDER.sub(replace, template)
