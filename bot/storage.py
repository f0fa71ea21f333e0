"""Where sessions live: Redis when configured, memory otherwise, and memory while Redis is away.

A session is a small JSON object (language, country, screen, history): no names, no message
texts. Every write sets the TTL and every read refreshes it, so an active person never loses
their place and an inactive one is forgotten after the TTL. One update costs at most two Redis
round trips: one read (``GETRANGE`` + ``EXPIRE``, pipelined), one write (or delete); the
cross-replica turn of bot/ordering.py rides in them (``Rider``).

A record nobody could have written (bad JSON, ``Infinity``, not an object, too long, a key of
another Redis type) is that person's problem only: it is logged without its content, the person
starts afresh, and their next save overwrites it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import stat
import tempfile
import time
from collections import OrderedDict
from itertools import islice
from pathlib import Path
from typing import Protocol

log = logging.getLogger("stay_safe.storage")

KEY_PREFIX = "ss:s:"
MAX_SESSION_BYTES = 4096  # ours are ~100 bytes; a longer value is read no further than this
MEMORY_LIMIT = 200_000  # sessions kept in memory at most (least recently used go first)
CACHE_LIMIT = 50_000  # recently used sessions kept in memory beside Redis, for outages
CHANGED_LIMIT = MEMORY_LIMIT  # changes made while Redis is away, kept until written back
REDIS_RETRY_SECONDS = 2.0  # how long to answer from memory before trying Redis again
POOL_SIZE = 32  # Redis connections at most; more concurrent updates wait for one
WRITE_BACK_BATCH = 500  # sessions written back (or erased) per pipelined round trip
CLOSE_SECONDS = 5.0  # how long shutting down waits for the write-back to finish


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


class Rider(Protocol):
    """Commands of another part that travel in a round trip the store makes anyway: before a
    session read, or after a session write, in the same pipeline. The cross-replica turn of
    bot/ordering.py rides this way, so that it costs no round trip of its own.

    A rider travels only when the store talks to Redis; otherwise ``answered`` is never called.
    """

    def queue(self, pipe) -> int:
        """Add the commands to ``pipe``; return how many."""
        ...

    def answered(self, results: list) -> None:
        """Their results, in order (an error reply as its exception)."""
        ...


class SessionStore(Protocol):
    async def load(self, key: str, rider: Rider | None = None) -> dict | None: ...
    async def save(self, key: str, data: dict, rider: Rider | None = None) -> None: ...

    async def erase(self, key: str) -> bool:
        """Forget the session; False while the erasure waits for storage to come back."""
        ...

    async def close(self) -> None: ...


class MemoryStore:
    """Sessions in this process, with the same TTL rule as Redis and a size bound."""

    def __init__(self, ttl_seconds: int, limit: int = MEMORY_LIMIT, clock=time.monotonic):
        self.ttl = ttl_seconds
        self.limit = limit
        self.clock = clock
        self.evicted = 0  # sessions dropped to stay within ``limit``
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def get_raw(self, key: str) -> bytes | None:
        """The stored bytes, refreshing the TTL (as a Redis read does); None when expired."""
        item = self._items.get(key)
        if item is None:
            return None
        now = self.clock()
        if item[0] < now:
            del self._items[key]
            return None
        self._items[key] = (now + self.ttl, item[1])
        self._items.move_to_end(key)
        return item[1]

    def put_raw(self, key: str, raw: bytes, expires: float | None = None) -> int:
        """Keep ``raw``; returns how many least recently used sessions made room for it."""
        self._items[key] = (self.clock() + self.ttl if expires is None else expires, raw)
        self._items.move_to_end(key)
        dropped = 0
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
            dropped += 1
        self.evicted += dropped
        return dropped

    def oldest(self, count: int) -> list[tuple[str, tuple[float, bytes]]]:
        """Up to ``count`` entries, least recently used first, with their expiry time."""
        return list(islice(self._items.items(), count))

    def entry(self, key: str) -> tuple[float, bytes] | None:
        return self._items.get(key)

    def discard(self, key: str) -> None:
        self._items.pop(key, None)

    async def load(self, key: str, rider: Rider | None = None) -> dict | None:
        raw = self.get_raw(key)
        return None if raw is None else decode(raw)

    async def save(self, key: str, data: dict, rider: Rider | None = None) -> None:
        self.put_raw(key, encode(data))

    async def erase(self, key: str) -> bool:
        self.discard(key)
        return True

    async def close(self) -> None:
        self._items.clear()


class Breaker:
    """After a Redis failure, skip Redis for ``retry_seconds``; then one request tries again.

    An outage then costs one slow request per ``retry_seconds``, not one per update.
    """

    def __init__(self, retry_seconds: float, clock=time.monotonic):
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._down_until = 0.0

    @property
    def down(self) -> bool:
        """Redis failed and has not answered since (it may be worth trying again already)."""
        return self._down_until > 0

    def available(self) -> bool:
        return self._down_until <= self.clock()

    def trip(self) -> bool:
        """Note a failure; True if Redis was thought up until now."""
        was_up = not self.down
        self._down_until = self.clock() + self.retry_seconds
        return was_up

    def reset(self) -> bool:
        """Note a success; True if Redis was thought down until now."""
        was_down = self.down
        self._down_until = 0.0
        return was_down


def default_erase_journal(redis_url: str) -> Path:
    """Per Redis database, in this user's temporary folder: it outlives a restart of the bot
    (and of its container), not the removal of the container or a cleared temporary folder."""
    digest = hashlib.sha256(redis_url.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"stay-safe-{os.getuid()}" / f"erase-{digest}.pending"


class EraseJournal:
    """The session keys whose erasure waits for Redis, on disk, so that a restart does not undo
    a "forget me" asked during an outage.

    One key per line, appended and synced before the person is answered; a line without its
    newline (a crash mid-write) is ignored. The file exists only while erasures are pending and
    holds nothing but those keys (chat ids, as in Redis's own key names). Replicas on one machine
    share it (same user, same Redis): each change holds a lock on it, and removing the keys one
    replica erased keeps those another noted meanwhile.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = asyncio.Lock()

    def read(self) -> set[str]:
        try:
            self._check_folder()
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as exc:
            log.warning("cannot read the pending erasures (%s): %s", type(exc).__name__,
                        self.path)
            return set()
        *complete, _partial = text.split("\n")
        return {key for key in complete if key}

    async def add(self, key: str) -> None:
        async with self._lock:
            await asyncio.to_thread(self._locked, self._write, [key], os.O_APPEND)

    async def remove(self, done: set[str]) -> None:
        """Forget the keys erased in Redis (the file goes when none is left)."""
        async with self._lock:
            await asyncio.to_thread(self._locked, self._remove, done)

    def _remove(self, done: set[str]) -> None:
        left = self.read() - done
        if left:
            self._write(sorted(left), os.O_TRUNC)
        else:
            self.path.unlink(missing_ok=True)

    def _locked(self, change, *args) -> None:
        """``change(*args)`` under a lock every process using this file takes."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._check_folder()
        fd = os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            change(*args)
        finally:
            os.close(fd)

    def _write(self, keys: list[str], mode: int) -> None:
        target = self.path if mode == os.O_APPEND else self.path.with_suffix(".new")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | mode, 0o600)
        try:
            os.write(fd, "".join(f"{key}\n" for key in keys).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if target != self.path:
            os.replace(target, self.path)

    def _check_folder(self) -> None:
        """Only we may write in the folder: a shared temporary folder is open to others."""
        folder = self.path.parent
        info = os.lstat(folder)
        if (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid()
                or info.st_mode & 0o022):
            raise PermissionError(f"{folder} is writable by others")


class RedisStore:
    """Sessions in Redis; keeps answering from memory while Redis is unreachable.

    Recently used sessions are also kept in a bounded memory cache, so an outage does not lose
    anyone's language or place. Sessions changed during an outage are kept apart (``changed``,
    bounded; when full, the least recently used change is dropped, counted in ``lost_changes``
    and logged), win over Redis's older copy, and are written back in pipelined batches as soon
    as Redis answers again, whether or not their owner comes back.

    "Forget me" during an outage: the session is forgotten in memory at once (the person is
    treated as new), the key is noted in an ``EraseJournal`` and deleted from Redis as soon as
    it answers, also after a restart. ``erase`` returns False in that case, so the person can be
    told the truth: the erasure completes when storage is back.
    """

    def __init__(self, client, ttl_seconds: int, clock=time.monotonic,
                 journal: EraseJournal | None = None, retry_seconds: float | None = None,
                 cache_limit: int = CACHE_LIMIT, changed_limit: int = CHANGED_LIMIT):
        self.client = client
        self.ttl = ttl_seconds
        self.clock = clock
        self.breaker = Breaker(REDIS_RETRY_SECONDS if retry_seconds is None else retry_seconds,
                               clock)
        self.cache = MemoryStore(ttl_seconds, limit=cache_limit, clock=clock)
        self.changed = MemoryStore(ttl_seconds, limit=changed_limit, clock=clock)
        self.lost_changes = 0
        self.errors = 0  # Redis failures seen (exported as a metric)
        self.journal = journal
        self._erase_later: set[str] = journal.read() if journal else set()
        if self._erase_later:
            log.warning("%d erasure(s) asked while Redis was away are still to be done",
                        len(self._erase_later))
        self._in_flight: set[str] = set()  # changed sessions being written back right now
        self._landed = asyncio.Event()  # set when that write-back batch has finished
        self._writer: asyncio.Task | None = None
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def from_url(cls, url: str, ttl_seconds: int,
                 journal_path: Path | None = None) -> RedisStore:
        from redis.asyncio import Redis

        client = Redis.from_url(url, max_connections=POOL_SIZE, socket_timeout=1.0,
                                socket_connect_timeout=1.0, health_check_interval=30)
        path = journal_path or default_erase_journal(url)
        return cls(client, ttl_seconds, journal=EraseJournal(path))

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
        return self.breaker.down

    @property
    def pending_erasures(self) -> int:
        return len(self._erase_later)

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        if self.breaker.trip():
            log.warning("Redis is unreachable (%s); answering from memory until it is back",
                        type(exc).__name__)

    def _answered(self) -> None:
        if self.breaker.reset():
            log.warning("Redis is back (%d change(s) made meanwhile were dropped so far: memory "
                        "was full)", self.lost_changes)
        self._write_back_soon()

    def _write_back_soon(self) -> None:
        """Start writing back what Redis missed, once, in the background."""
        if ((self.changed or self._erase_later) and self._writer is None
                and self.breaker.available()):
            self._writer = asyncio.create_task(self._write_back())
            self._writer.add_done_callback(self._writer_done)

    def _writer_done(self, task: asyncio.Task) -> None:
        self._writer = None
        if not task.cancelled() and task.exception() is not None:
            log.error("writing sessions back to Redis failed", exc_info=task.exception())

    @staticmethod
    def _wrong_type(exc: BaseException) -> bool:
        from redis.exceptions import ResponseError

        return isinstance(exc, ResponseError) and "WRONGTYPE" in str(exc)

    async def _read(self, key: str, rider: Rider | None = None) -> bytes | None:
        """At most MAX_SESSION_BYTES + 1 bytes of the value, refreshing its TTL: one round
        trip (with the rider's commands first), never the whole of a huge value. A key of
        another type reads as unreadable."""
        pipe = self.client.pipeline(transaction=False)
        count = rider.queue(pipe) if rider else 0
        pipe.getrange(KEY_PREFIX + key, 0, MAX_SESSION_BYTES)
        pipe.expire(KEY_PREFIX + key, self.ttl)
        async with self._slot():
            results = await pipe.execute(raise_on_error=False)
        if rider:
            rider.answered(results[:count])
        raw, refreshed = results[count:]
        for result in (raw, refreshed):
            if isinstance(result, Exception) and not self._wrong_type(result):
                raise result
        if isinstance(raw, Exception):
            log.warning("a session key holds another Redis type; treated as a new session")
            return None
        return raw

    def _decided_here(self, key: str) -> tuple[bool, dict | None]:
        """(True, session) when memory has the last word on this session, whatever Redis holds."""
        if key in self.changed:  # newer than Redis's copy
            raw = self.changed.get_raw(key)
            if raw is not None:
                return True, decode(raw)
        if key in self._erase_later:
            return True, None  # forgotten: a new person until Redis has deleted the old copy
        return False, None

    async def load(self, key: str, rider: Rider | None = None) -> dict | None:
        """The session; a rider makes the store ask Redis even when memory has the last word."""
        self._write_back_soon()
        decided, data = self._decided_here(key)
        if decided and rider is None:
            return data
        if not self.breaker.available():
            return data if decided else await self.cache.load(key)
        from redis.exceptions import RedisError

        try:
            raw = await self._read(key, rider)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return data if decided else await self.cache.load(key)
        self._answered()
        if decided:
            return data
        data = decode(raw)
        if data is None:
            self.cache.discard(key)
        else:
            self.cache.put_raw(key, raw)  # kept to answer from if Redis goes away
        return data

    async def save(self, key: str, data: dict, rider: Rider | None = None) -> None:
        self._write_back_soon()
        raw = encode(data)
        await self._no_write_back_of(key)
        # An erasure still to be done in Redis goes first: the write-back deletes, then writes.
        if key not in self._erase_later and self.breaker.available():
            from redis.exceptions import RedisError

            self.changed.discard(key)  # superseded by this save
            try:
                await self._write(key, raw, rider)
            except (RedisError, OSError) as exc:
                self._failed(exc)
            else:
                self.cache.put_raw(key, raw)
                self._answered()
                return
        self._keep_changed(key, raw)

    async def _write(self, key: str, raw: bytes, rider: Rider | None) -> None:
        """SET with the TTL, then the rider's commands, in one round trip."""
        if rider is None:
            async with self._slot():
                await self.client.set(KEY_PREFIX + key, raw, ex=self.ttl)
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.set(KEY_PREFIX + key, raw, ex=self.ttl)
        count = rider.queue(pipe)
        async with self._slot():
            results = await pipe.execute(raise_on_error=False)
        rider.answered(results[1:1 + count])
        if isinstance(results[0], Exception):
            raise results[0]

    async def send(self, rider: Rider) -> bool:
        """A round trip carrying only ``rider``; False when Redis was not tried or failed."""
        if not self.breaker.available():
            return False
        from redis.exceptions import RedisError

        pipe = self.client.pipeline(transaction=False)
        rider.queue(pipe)
        try:
            async with self._slot():
                results = await pipe.execute(raise_on_error=False)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._answered()
        rider.answered(results)
        return True

    async def reachable(self) -> bool:
        """Ask Redis now (PING), whatever the breaker thinks: for /readyz. An answer ends the
        outage mode at once (and starts the write-back); a failure starts it."""
        from redis.exceptions import RedisError

        try:
            async with self._slot():
                await self.client.ping()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._answered()
        return True

    def _keep_changed(self, key: str, raw: bytes) -> None:
        self.cache.discard(key)
        dropped = self.changed.put_raw(key, raw)
        if dropped:
            if not self.lost_changes:
                log.warning("more than %d sessions changed while Redis is away: the least "
                            "recently used changes are dropped", self.changed.limit)
            self.lost_changes += dropped
        self._write_back_soon()

    async def _no_write_back_of(self, key: str) -> None:
        """An older copy of this session is on its way to Redis: let it land first."""
        while key in self._in_flight:
            await self._landed.wait()

    async def erase(self, key: str) -> bool:
        self._write_back_soon()
        await self._no_write_back_of(key)
        self.changed.discard(key)
        self.cache.discard(key)
        if key not in self._erase_later and self.breaker.available():
            from redis.exceptions import RedisError

            try:
                async with self._slot():
                    await self.client.delete(KEY_PREFIX + key)
            except (RedisError, OSError) as exc:
                self._failed(exc)
            else:
                self._answered()
                return True
        # Redis cannot delete it now: forgotten here at once, in Redis as soon as it is back.
        # On disk first: once in the set, the write-back may delete it and rewrite the file.
        if key not in self._erase_later:
            await self._note_erasure(key)
            self._erase_later.add(key)
        self._write_back_soon()
        return False

    async def _note_erasure(self, key: str) -> None:
        if self.journal is None:
            return
        try:
            await self.journal.add(key)
        except OSError as exc:
            log.warning("could not note a pending erasure on disk (%s); it is done when Redis "
                        "is back, unless the bot restarts first", type(exc).__name__)

    async def _write_back(self) -> None:
        """Erasures first, then changed sessions, in pipelined batches, until none is left or
        Redis fails again (the next request after ``retry_seconds`` starts this again)."""
        from redis.exceptions import RedisError

        erased = written = 0
        while (self._erase_later or self.changed) and self.breaker.available():
            try:
                if self._erase_later:
                    erased += await self._erase_batch()
                else:
                    sent = await self._write_batch()
                    written += sent
                    if not sent:
                        continue  # only expired changes: nothing was asked of Redis
            except (RedisError, OSError) as exc:
                self._failed(exc)
                break
            self._answered()
        if erased or written:
            log.warning("wrote back %d session(s) changed and %d erasure(s) asked while Redis "
                        "was away", written, erased)

    async def _erase_batch(self) -> int:
        keys = set(islice(self._erase_later, WRITE_BACK_BATCH))
        async with self._slot():
            await self.client.delete(*(KEY_PREFIX + key for key in keys))
        self._erase_later -= keys
        if self.journal is not None:
            try:
                await self.journal.remove(keys)
            except OSError as exc:
                log.warning("could not update the pending erasures on disk (%s)",
                            type(exc).__name__)
        return len(keys)

    async def _write_batch(self) -> int:
        """Write the least recently used changes; how many (0 if they had all expired)."""
        now = self.clock()
        batch = []
        for key, (expires, raw) in self.changed.oldest(WRITE_BACK_BATCH):
            if expires > now:
                batch.append((key, expires, raw))
            else:  # unused for longer than the TTL: forgotten, as Redis would have
                self.changed.discard(key)
        if not batch:
            return 0
        pipe = self.client.pipeline(transaction=False)
        for key, expires, raw in batch:
            pipe.set(KEY_PREFIX + key, raw, ex=max(1, math.ceil(expires - now)))
        self._in_flight = {key for key, _, _ in batch}
        self._landed.clear()
        try:
            async with self._slot():
                await pipe.execute()
        finally:
            self._in_flight = set()
            self._landed.set()
        for key, _expires, raw in batch:
            entry = self.changed.entry(key)
            if entry is not None and entry[1] is raw:  # not saved again meanwhile
                self.changed.discard(key)
                self.cache.put_raw(key, raw, expires=entry[0])
        return len(batch)

    async def settled(self) -> None:
        """Wait until the write-back running now has finished (done, or Redis failed again)."""
        writer = self._writer
        if writer is not None:
            await asyncio.wait({writer})

    async def close(self) -> None:
        self._write_back_soon()
        writer = self._writer
        if writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.settled(), timeout=CLOSE_SECONDS)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        if self.changed:
            log.warning("%d session change(s) made while Redis was away are lost with this "
                        "shutdown", len(self.changed))
        if self._erase_later:
            log.warning("%d erasure(s) wait for Redis; they are done after the next start",
                        len(self._erase_later))
        await self.client.aclose()
