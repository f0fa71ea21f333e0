"""Anonymous counts per campaign and day: numbers only, nothing that identifies a person.

Redis holds one hash per campaign and day, ``ss:c:<campaign>:<YYYY-MM-DD>``, whose fields are
event names (``start``, ``lang_uk``, ``topic_work``, ``helplines``, ``quiz_done``) and whose
values are counts. No user id, chat id or hash of them is written; the keys expire after
``STATS_TTL_DAYS``. Conversations with a person are counted the same way per organisation
(``ss:h:<organisation>:<day>``: ``opened``, ``answered``, ``ended``), by a second counter.

Counting never delays an answer: events wait in a bounded queue and are written in the
background, many people's at once in one pipelined round trip. While Redis is known to be down
(or too slow to keep up) events are dropped, and how many is logged: a count is worth less than
a person's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import logging
import time
from collections import Counter, defaultdict

from bot.storage import Breaker

log = logging.getLogger("stay_safe.stats")

KEY_PREFIX = "ss:c:"
HANDOFF_PREFIX = "ss:h:"  # talking to a person, per organisation (bot/telegram/handoff.py)
HANDOFF_EVENTS = ("opened", "answered", "ended")
DEFAULT_TTL_DAYS = 400
CONNECTIONS = 8  # the background writer uses one; /stats readers the others
QUEUE_LIMIT = 10_000  # updates waiting to be counted; beyond this they are dropped
BATCH = 500  # updates counted per pipelined round trip
RETRY_SECONDS = 5.0  # after a failure, drop events this long before trying Redis again
SOCKET_SECONDS = 1.0
DRAIN_SECONDS = 2.0  # how long /stats and shutting down wait for queued events

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
    """Counts in Redis hashes, written in the background (see the module's docstring)."""

    def __init__(self, client, ttl_days: int = DEFAULT_TTL_DAYS, clock=time.monotonic,
                 queue_limit: int = QUEUE_LIMIT, drain_seconds: float = DRAIN_SECONDS,
                 prefix: str = KEY_PREFIX):
        self.client = client
        self.prefix = prefix
        self.what = "campaign events" if prefix == KEY_PREFIX else "conversation events"
        self.ttl = ttl_days * 86400
        self.breaker = Breaker(RETRY_SECONDS, clock)
        self.drain_seconds = drain_seconds
        self.dropped = 0  # events not counted (Redis down or too slow); logged
        self._dropped_unreported = 0
        self._queue: asyncio.Queue[tuple[str, tuple[str, ...], dt.date]] = asyncio.Queue(
            queue_limit)
        self._writer: asyncio.Task | None = None

    @classmethod
    def from_url(cls, url: str, ttl_days: int = DEFAULT_TTL_DAYS,
                 prefix: str = KEY_PREFIX) -> RedisCounter:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url, max_connections=CONNECTIONS, socket_timeout=SOCKET_SECONDS,
                                  socket_connect_timeout=SOCKET_SECONDS), ttl_days,
                   prefix=prefix)

    async def add(self, campaign: str, names: tuple[str, ...], day: dt.date) -> None:
        """Queue one update's events; returns at once, whatever Redis is doing."""
        if not self.breaker.available():
            self._drop(len(names))
            return
        try:
            self._queue.put_nowait((campaign, names, day))
        except asyncio.QueueFull:
            self._drop(len(names))
            return
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_forever())

    def _drop(self, count: int) -> None:
        if not self._dropped_unreported:
            log.warning("%s are not being counted (Redis is down or too slow); the number "
                        "missed is logged when counting resumes", self.what)
        self.dropped += count
        self._dropped_unreported += count

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except Exception:  # a bug here must not stop counting for good
                log.exception("could not count %d update(s)", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[tuple[str, tuple[str, ...], dt.date]]) -> None:
        from redis.exceptions import RedisError

        events = Counter((f"{self.prefix}{campaign}:{day.isoformat()}", name)
                         for campaign, names, day in batch for name in names)
        if not self.breaker.available():
            self._drop(events.total())
            return
        pipe = self.client.pipeline(transaction=False)
        for (key, name), count in events.items():
            pipe.hincrby(key, name, count)
        for key in {key for key, _ in events}:
            pipe.expire(key, self.ttl)
        try:
            await pipe.execute()
        except (RedisError, OSError) as exc:
            if self.breaker.trip():
                log.warning("Redis is unreachable for counting (%s); trying again in %.0f s",
                            type(exc).__name__, RETRY_SECONDS)
            self._drop(events.total())
            return
        self.breaker.reset()
        if self._dropped_unreported:
            log.warning("counting %s again; %d event(s) were not counted", self.what,
                        self._dropped_unreported)
            self._dropped_unreported = 0

    async def drained(self) -> None:
        """Wait (at most ``drain_seconds``) until the events queued so far are written."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout=self.drain_seconds)

    async def close(self) -> None:
        if self._writer is not None:
            await self.drained()
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        await self.client.aclose()

    async def rows(self, today: dt.date, days: int, campaign: str | None = None) -> list[Row]:
        await self.drained()  # an admin's /stats includes what was just counted
        first = today - dt.timedelta(days=days - 1)
        pattern = f"{self.prefix}{campaign or '*'}:*"
        rows: list[Row] = []
        async for raw_key in self.client.scan_iter(match=pattern, count=500):
            key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
            name, _, day_text = key[len(self.prefix):].rpartition(":")
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


def handoff_summary(rows: list[Row], days: int) -> str:
    """Conversations with a person per organisation: opened, answered (a counsellor's first
    reply), ended."""
    lines = [f"Talking to a person, last {days} day(s)",
             f"{'organisation':12} " + " ".join(f"{c:>9}" for c in HANDOFF_EVENTS)]
    for organisation, counts in sorted(totals(rows).items()):
        lines.append(f"{organisation:12} " + " ".join(f"{counts.get(c, 0):>9}"
                                                      for c in HANDOFF_EVENTS))
    if len(lines) == 2:
        lines.append("(no conversations yet)")
    return "\n".join(lines)


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "campaign", "event", "count"])
    for day, campaign, name, count in rows:
        writer.writerow([day.isoformat(), campaign, name, count])
    return out.getvalue()
