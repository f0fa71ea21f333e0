"""Anonymous counts per campaign and day: numbers only, nothing that identifies a person.

Redis holds one hash per campaign and day, ``ss:c:<campaign>:<YYYY-MM-DD>``, whose fields are
event names (``start``, ``lang_uk``, ``topic_work``, ``helplines``, ``quiz_done``) and whose
values are counts. No user id, chat id or hash of them is written; the keys expire after
``STATS_TTL_DAYS``. One update adds at most one pipelined round trip, and only for people who
came through a campaign.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
from collections import defaultdict

log = logging.getLogger("stay_safe.stats")

KEY_PREFIX = "ss:c:"
DEFAULT_TTL_DAYS = 400
CONNECTIONS = 8  # counting waits for one of these rather than open more

Row = tuple[dt.date, str, str, int]  # day, campaign, event, count


class MemoryCounter:
    """Counts kept in this process (when there is no Redis): lost on restart."""

    def __init__(self) -> None:
        self._counts: dict[tuple[dt.date, str, str], int] = defaultdict(int)

    async def add(self, campaign: str, names: tuple[str, ...], day: dt.date) -> None:
        for name in names:
            self._counts[(day, campaign, name)] += 1

    async def close(self) -> None:
        self._counts.clear()

    async def rows(self, today: dt.date, days: int, campaign: str | None = None) -> list[Row]:
        first = today - dt.timedelta(days=days - 1)
        return sorted((day, c, name, count) for (day, c, name), count in self._counts.items()
                      if first <= day <= today and (campaign is None or c == campaign))


class RedisCounter:
    def __init__(self, client, ttl_days: int = DEFAULT_TTL_DAYS):
        self.client = client
        self.ttl = ttl_days * 86400
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def from_url(cls, url: str, ttl_days: int = DEFAULT_TTL_DAYS) -> RedisCounter:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url, max_connections=CONNECTIONS, socket_timeout=1.0,
                                  socket_connect_timeout=1.0), ttl_days)

    async def add(self, campaign: str, names: tuple[str, ...], day: dt.date) -> None:
        key = f"{KEY_PREFIX}{campaign}:{day.isoformat()}"
        if self._slots is None:
            self._slots = asyncio.Semaphore(CONNECTIONS)
        async with self._slots:
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.hincrby(key, name, 1)
            pipe.expire(key, self.ttl)
            await pipe.execute()

    async def close(self) -> None:
        await self.client.aclose()

    async def rows(self, today: dt.date, days: int, campaign: str | None = None) -> list[Row]:
        first = today - dt.timedelta(days=days - 1)
        pattern = f"{KEY_PREFIX}{campaign or '*'}:*"
        rows: list[Row] = []
        async for raw_key in self.client.scan_iter(match=pattern, count=500):
            key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
            name, _, day_text = key[len(KEY_PREFIX):].rpartition(":")
            try:
                day = dt.date.fromisoformat(day_text)
            except ValueError:
                continue
            if not first <= day <= today:
                continue
            for field, value in (await self.client.hgetall(key)).items():
                field = field.decode() if isinstance(field, bytes) else field
                rows.append((day, name, field, int(value)))
        return sorted(rows)


def totals(rows: list[Row]) -> dict[str, dict[str, int]]:
    """campaign → event → count, over all days."""
    result: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _day, campaign, name, count in rows:
        result[campaign][name] += count
    return result


def summary(rows: list[Row], days: int) -> str:
    """A short plain-text table: one line per campaign, the main events as columns."""
    columns = ("start", "helplines", "quiz_done")
    lines = [f"Campaigns, last {days} day(s)", f"{'campaign':12} " + " ".join(
        f"{c:>9}" for c in columns) + "  languages / top topics"]
    for campaign, counts in sorted(totals(rows).items()):
        langs = ", ".join(f"{k[5:]} {v}" for k, v in sorted(counts.items())
                          if k.startswith("lang_"))
        topics = sorted(((v, k[6:]) for k, v in counts.items() if k.startswith("topic_")),
                        reverse=True)[:3]
        extra = "; ".join(filter(None, [langs, ", ".join(f"{t} {v}" for v, t in topics)]))
        lines.append(f"{campaign:12} " + " ".join(f"{counts.get(c, 0):>9}" for c in columns)
                     + f"  {extra}")
    if len(lines) == 2:
        lines.append("(no counts yet)")
    return "\n".join(lines)


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "campaign", "event", "count"])
    for day, campaign, name, count in rows:
        writer.writerow([day.isoformat(), campaign, name, count])
    return out.getvalue()
