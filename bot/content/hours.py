"""Whether opening hours ("Mo-Fr 09:00-17:00; Sa 10:00-14:00") include a moment.

The hours are those of a fact of kind ``hours`` (bot/content/texts.py formats them for people),
read in an organisation's time zone. A range that ends at or before its start runs past
midnight ("Fr 22:00-02:00": Friday night into Saturday). The caller passes the moment: nothing
here reads a clock.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

from bot.content.texts import WEEKDAYS

DAY_MINUTES = 24 * 60


def is_open(hours: str, time_zone: str, now: dt.datetime) -> bool:
    """True when ``now`` (an aware datetime) falls within ``hours`` in ``time_zone``."""
    local = now.astimezone(ZoneInfo(time_zone))
    day, minute = local.weekday(), local.hour * 60 + local.minute
    for days, start, end in _rules(hours):
        if end > start:
            if day in days and start <= minute < end:
                return True
        elif (day in days and minute >= start) or ((day - 1) % 7 in days and minute < end):
            return True
    return False


@cache
def _rules(hours: str) -> tuple[tuple[frozenset[int], int, int], ...]:
    """(weekdays 0-6, start minute, end minute) for each time range of each rule."""
    rules = []
    for rule in hours.split("; "):
        day_text, time_text = rule.split(" ")
        days: set[int] = set()
        for span in day_text.split(","):
            first, _, last = span.partition("-")
            low, high = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
            days.update(range(low, high + 1) if low <= high else (*range(low, 7),
                                                                  *range(high + 1)))
        for span in time_text.split(","):
            start, end = (_minutes(t) for t in span.split("-"))
            rules.append((frozenset(days), start, end))
    return tuple(rules)


def _minutes(text: str) -> int:
    hour, minute = (int(part) for part in text.split(":"))
    return min(hour * 60 + minute, DAY_MINUTES)
