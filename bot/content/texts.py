"""Placeholders and locale data: how a text template becomes the HTML a user reads.

Facts (numbers, links, dates, amounts, opening hours) are written once in the registry and
referenced as ``{fact_id}``. Runtime values such as ``{country}`` are filled by the engine.
Names of languages and countries, dates, weekdays and money come from Babel's CLDR data, so
"Poland" reads "Польща" / "Польша" and "Mo-Fr 09:00-15:00" reads "пн–пт 9:00–15:00" by itself.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import lru_cache

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_time, format_timedelta, get_day_names
from babel.numbers import format_currency

from bot.content.model import Fact

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]*)(?:\.([A-Za-z_]+))?\}")
# Values the engine supplies while talking; everything else must be a fact id.
RUNTIME_VARIABLES = frozenset({"country", "language", "n", "total", "done", "code", "bot",
                               "date", "organisation", "hours", "period"})
OVERDUE_MARK = " ⚠️"  # after a fact past its review date (the screen then says what it means)
WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAYS = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_TIME = r"(?:[01][0-9]|2[0-4]):[0-5][0-9]"
_RULE = rf"{_DAYS}(?:-{_DAYS})?(?:,{_DAYS}(?:-{_DAYS})?)* {_TIME}-{_TIME}(?:,{_TIME}-{_TIME})*"
HOURS_RE = re.compile(rf"{_RULE}(?:; {_RULE})*")


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


def format_day(day: dt.date, lang: str) -> str:
    """"4 березня 2027", "4 марта 2027", "4 March 2027": no trailing "р."/"г." to clash with
    the full stop of the sentence."""
    return format_date(day, "d MMMM y", locale=lang)


def format_hours(value: str, lang: str) -> str:
    """Opening hours written as "Mo-Fr 08:30-16:30; Sa 10:00-14:00" (a small subset of
    OpenStreetMap's opening_hours), in the reader's words: "пн–пт 8:30–16:30; сб 10:00–14:00"."""
    names = get_day_names("abbreviated", locale=lang)
    rules = []
    for rule in value.split("; "):
        days, times = rule.split(" ")
        day_text = ", ".join("–".join(names[WEEKDAYS.index(d)] for d in span.split("-"))
                             for span in days.split(","))
        time_text = ", ".join("–".join(_clock(t, lang) for t in span.split("-"))
                              for span in times.split(","))
        rules.append(f"{day_text} {time_text}")
    return "; ".join(rules)


def language_name_in(code: str, lang: str) -> str:
    """A language in the reader's words ("Ukrainian" in English, "украинский" in Russian)."""
    return _locale(lang).languages.get(code, code)


def format_period(period: dt.timedelta, lang: str) -> str:
    """A length of time in words: "7 днів", "1 неделя", "12 hours"."""
    return format_timedelta(period, locale=lang)


@lru_cache(maxsize=256)
def format_zone(zone: str, lang: str) -> str:
    """A time zone as people name it ("за центральноєвропейським часом", "Central European
    Time"), from CLDR; the zone's city when CLDR has no name for it ("Kyiv")."""
    meta_zones = get_global("meta_zones")
    names = (zone, *(old for old, new in get_global("zone_aliases").items() if new == zone))
    meta = next((meta_zones[name] for name in names if name in meta_zones), None)
    long_names = _locale(lang).meta_zones.get(meta, {}).get("long", {}) if meta else {}
    return (long_names.get("generic") or long_names.get("standard")
            or zone.rsplit("/", 1)[-1].replace("_", " "))


def _clock(text: str, lang: str) -> str:
    hour, minute = (int(part) for part in text.split(":"))
    if hour == 24:
        return "24:00"
    return format_time(dt.time(hour, minute), "H:mm", locale=lang)


def format_fact(fact: Fact, lang: str) -> str:
    """A fact's value as HTML-safe text in the reader's language."""
    if fact.kind == "date":
        return html.escape(format_day(fact.value, lang))
    if fact.kind == "hours":
        return html.escape(format_hours(str(fact.value), lang))
    if fact.kind == "money":
        pattern = _locale(lang).currency_formats["standard"].pattern
        if float(fact.value).is_integer():
            pattern = pattern.replace("0.00", "0")  # 4 806 PLN, not 4 806,00 PLN
        return html.escape(format_currency(fact.value, fact.currency, locale=lang,
                                           format=pattern, currency_digits=False))
    return html.escape(str(fact.value))


class Formatter:
    """Fills templates; fact values are formatted once per language and cached.

    Facts in ``overdue`` (past their review date) carry a visible mark after their value.
    """

    def __init__(self, facts: dict[str, Fact], overdue: frozenset[str] = frozenset()):
        self.facts = facts
        self.overdue = overdue
        self._cache: dict[tuple[str, str], str] = {}

    def fact(self, fact_id: str, lang: str) -> str:
        key = (fact_id, lang)
        value = self._cache.get(key)
        if value is None:
            value = format_fact(self.facts[fact_id], lang)
            if fact_id in self.overdue:
                value += OVERDUE_MARK
            self._cache[key] = value
        return value

    def fill(self, template: str, lang: str, variables: dict[str, str] | None = None) -> str:
        """Replace placeholders; runtime ``variables`` must already be HTML-escaped."""
        if "{" not in template:
            return template
        variables = variables or {}

        def replace(match: re.Match) -> str:
            name, attribute = match.group(1), match.group(2)
            if attribute is not None:
                return match.group(0)
            if name in variables:
                return variables[name]
            if name in self.facts:
                return self.fact(name, lang)
            return match.group(0)

        return PLACEHOLDER.sub(replace, template)
