"""Where sessions live: Redis when configured, memory otherwise, and memory while Redis is away.

A session is a small JSON object (language, country, screen, history): no names, no message
texts. Every write sets the TTL and every read refreshes it, so an active person never loses
their place and an inactive one is forgotten after the TTL. One update costs at most two Redis
round trips: one read (``GETRANGE`` + ``EXPIRE``, pipelined), one write (or delete).

A record nobody could have written (bad JSON, ``Infinity``, not an object, too long, a key of
another Redis type) is that person's problem only: it is logged without its content, the person
starts afresh, and their next save overwrites it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from typing import Protocol

log = logging.getLogger("stay_safe.storage")

KEY_PREFIX = "ss:s:"
MAX_SESSION_BYTES = 4096  # ours are ~100 bytes; a longer value is read no further than this
MEMORY_LIMIT = 200_000  # sessions kept in memory at most (least recently used go first)
CACHE_LIMIT = 50_000  # recently used sessions kept in memory beside Redis, for outages
REDIS_RETRY_SECONDS = 2.0  # how long to answer from memory before trying Redis again
POOL_SIZE = 32  # Redis connections at most; more concurrent updates wait for one


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number a session holds")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as infinity
        raise ValueError("number out of range")
    return value


def encode(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(raw: bytes | str | None) -> dict | None:
    """The session in ``raw``; None when there is none or it cannot be a session of ours."""
    if not raw:
        return None
    try:
        if len(raw) > MAX_SESSION_BYTES:
            raise ValueError("too long")
        data = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
        if not isinstance(data, dict):
            raise TypeError("not an object")
    except (ValueError, TypeError, RecursionError) as exc:
        # ValueError also covers bad JSON, bad UTF-8 and integers longer than Python accepts.
        log.warning("an unreadable session was treated as a new one (%s)", type(exc).__name__)
        return None
    return data


class SessionStore(Protocol):
    async def load(self, key: str) -> dict | None: ...
    async def save(self, key: str, data: dict) -> None: ...
    async def erase(self, key: str) -> None: ...
    async def close(self) -> None: ...


class MemoryStore:
    """Sessions in this process, with the same TTL rule as Redis and a size bound."""

    def __init__(self, ttl_seconds: int, limit: int = MEMORY_LIMIT, clock=time.monotonic):
        self.ttl = ttl_seconds
        self.limit = limit
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    async def load(self, key: str) -> dict | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] < self.clock():
            del self._items[key]
            return None
        self._items[key] = (self.clock() + self.ttl, item[1])
        self._items.move_to_end(key)
        return decode(item[1])

    async def save(self, key: str, data: dict) -> None:
        self._items[key] = (self.clock() + self.ttl, encode(data))
        self._items.move_to_end(key)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    async def erase(self, key: str) -> None:
        self._items.pop(key, None)

    async def close(self) -> None:
        self._items.clear()


class RedisStore:
    """Sessions in Redis; keeps answering from memory while Redis is unreachable.

    Recently used sessions are also kept in a bounded memory cache, so an outage does not
    lose anyone's language or place. Sessions changed during an outage are marked dirty; once
    Redis answers again, a dirty session wins over the older copy in Redis and is written back
    on its next use.
    """

    def __init__(self, client, ttl_seconds: int, clock=time.monotonic):
        self.client = client
        self.ttl = ttl_seconds
        self.clock = clock
        self.fallback = MemoryStore(ttl_seconds, limit=CACHE_LIMIT, clock=clock)
        self._dirty: set[str] = set()
        self._erase_later: set[str] = set()
        self._down_until = 0.0
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def from_url(cls, url: str, ttl_seconds: int) -> RedisStore:
        from redis.asyncio import Redis

        client = Redis.from_url(url, max_connections=POOL_SIZE, socket_timeout=1.0,
                                socket_connect_timeout=1.0, health_check_interval=30)
        return cls(client, ttl_seconds)

    def _slot(self) -> asyncio.Semaphore:
        """A burst of updates waits here for one of the pool's connections.

        redis-py's pool raises "Too many connections" when it runs out, which would look like
        an outage; its blocking pool waits, but arms a timer on every command (measured: a
        fifth of this store's CPU). A semaphore costs nothing while connections are free.
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(POOL_SIZE)
        return self._slots

    @property
    def degraded(self) -> bool:
        return self._down_until > 0

    def _available(self) -> bool:
        return self._down_until <= self.clock()

    def _failed(self, exc: Exception) -> None:
        if not self._down_until:
            log.warning("Redis is unreachable (%s); answering from memory until it is back",
                        type(exc).__name__)
        self._down_until = self.clock() + REDIS_RETRY_SECONDS

    async def _recovered(self) -> None:
        if self._down_until:
            log.warning("Redis is back; %d session(s) changed meanwhile will be written back",
                        len(self._dirty))
            self._down_until = 0.0
        if self._erase_later:
            # "Forget me" asked while Redis was away: honour it now.
            from redis.exceptions import RedisError

            keys, self._erase_later = self._erase_later, set()
            try:
                async with self._slot():
                    await self.client.delete(*(KEY_PREFIX + key for key in keys))
            except (RedisError, OSError) as exc:
                self._erase_later |= keys
                self._failed(exc)

    @staticmethod
    def _wrong_type(exc: BaseException) -> bool:
        from redis.exceptions import ResponseError

        return isinstance(exc, ResponseError) and "WRONGTYPE" in str(exc)

    async def _read(self, key: str) -> bytes | None:
        """At most MAX_SESSION_BYTES + 1 bytes of the value, refreshing its TTL: one round
        trip, never the whole of a huge value. A key of another type reads as unreadable."""
        pipe = self.client.pipeline(transaction=False)
        pipe.getrange(KEY_PREFIX + key, 0, MAX_SESSION_BYTES)
        pipe.expire(KEY_PREFIX + key, self.ttl)
        async with self._slot():
            raw, refreshed = await pipe.execute(raise_on_error=False)
        for result in (raw, refreshed):
            if isinstance(result, Exception) and not self._wrong_type(result):
                raise result
        if isinstance(raw, Exception):
            log.warning("a session key holds another Redis type; treated as a new session")
            return None
        return raw

    async def load(self, key: str) -> dict | None:
        if key in self._dirty or not self._available():
            return await self.fallback.load(key)
        from redis.exceptions import RedisError

        try:
            raw = await self._read(key)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return await self.fallback.load(key)
        await self._recovered()
        data = decode(raw)
        if data is not None:
            await self.fallback.save(key, data)  # kept to answer from if Redis goes away
        return data

    async def save(self, key: str, data: dict) -> None:
        if self._available():
            from redis.exceptions import RedisError

            try:
                async with self._slot():
                    await self.client.set(KEY_PREFIX + key, encode(data), ex=self.ttl)
            except (RedisError, OSError) as exc:
                self._failed(exc)
            else:
                self._erase_later.discard(key)
                self._dirty.discard(key)
                await self.fallback.save(key, data)
                await self._recovered()
                return
        self._dirty.add(key)
        await self.fallback.save(key, data)

    async def erase(self, key: str) -> None:
        await self.fallback.erase(key)
        self._dirty.discard(key)
        if self._available():
            from redis.exceptions import RedisError

            try:
                async with self._slot():
                    await self.client.delete(KEY_PREFIX + key)
                await self._recovered()
                return
            except (RedisError, OSError) as exc:
                self._failed(exc)
        # Redis could not delete it now: forget it here at once, and in Redis once it is back.
        self._erase_later.add(key)
        self._dirty.add(key)
        await self.fallback.save(key, {})

    async def close(self) -> None:
        await self.client.aclose()
