"""Each update takes its turn in its conversation: one at a time, lowest update_id first, once.

Telegram keeps a chat's messages in order by itself as long as the webhook answers only when an
update is handled (bot/telegram/webhook.py does): it sends a chat's next message only after the
previous one was answered. What it does not serialise: button taps travel in a queue of their
own per person, beside the chat's messages, so a tap and a message of one conversation can
reach two replicas at once; and an update whose answer was slow or lost is delivered again,
perhaps while the first delivery is still being handled. So an update waits for its turn:

- **claim**: not handled before (else it is a *duplicate*: nothing to do); the conversation's
  lock is free; no lower update_id of the conversation is waiting for it. Otherwise it waits
  (short, growing pauses) and asks again, for at most ``wait_seconds``.
- **finish**: the update is remembered as handled (the last ``DONE_KEEP`` ids of each
  conversation, for ``DONE_SECONDS``), the lock is released, the next update goes.

An update that arrives after a later one of its conversation was already handled is *late*: it
is handled all the same (a person's message is never dropped) and counted.

``RedisOrdering`` does this across replicas. Its lock expires after ``lock_seconds`` unless
renewed; the holder renews it while it works, for at most ``MAX_HOLD_SECONDS``, so a replica
that died keeps a conversation waiting for ``lock_seconds`` at most. Its commands ride in the
round trips the session store makes anyway (``storage.Rider``): the claim with the session read,
the finish with the session write (alone when the session did not change). Two round trips per
update in all, measured in benchmarks/webhook_bench.py. While Redis cannot be reached, each
replica orders and deduplicates its own updates only (``LocalOrdering``, which always runs first
and is all a single process needs).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import itertools
import logging
import math
import secrets
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("stay_safe.ordering")

DONE_SECONDS = 3600  # how long a handled update_id is remembered: Telegram re-sends within minutes
DONE_KEEP = 16  # handled update_ids remembered per conversation
MEMORY_LIMIT = 200_000  # conversations whose handled updates this process remembers
WAIT_SECONDS = 50.0  # an update waits this long for its turn at most (Telegram's limit is 60)
MAX_HOLD_SECONDS = 60.0  # renewals stop then: Telegram has delivered the update again anyway
FIRST_PAUSE = 0.005  # seconds between asking for a turn, doubling...
MAX_PAUSE = 0.1  # ...up to this
WAITING_MS = 1000  # a waiting update that stops asking (its replica died) loses its place then
LOCK_PREFIX, WAITING_PREFIX, DONE_PREFIX = "ss:l:", "ss:w:", "ss:u:"

# The turn's outcome, as the claim script returns it.
GRANTED, BUSY, DUPLICATE, BEHIND = 0, 1, 2, 3

Read = Callable[[Any], Awaitable[Any]]  # the session read, carrying a rider (or None)
Write = Callable[[Any], Awaitable[None]]  # the session write, carrying a rider (or None)


class TurnTimeout(Exception):
    """The update waited too long for its turn: answer so that Telegram delivers it again."""


@dataclass(eq=False)
class Turn:
    key: str
    update_id: int | None
    duplicate: bool = False  # handled before: nothing to do
    late: bool = False  # a later update of this conversation was handled before this one
    data: Any = None  # what the read returned (the session) when the turn began
    shared: bool = False  # holds the conversation's lock in Redis too
    token: str = ""
    _holds_line: bool = False  # has the conversation's turn in this process
    _asked: bool = False  # has a place among the conversation's waiting updates in Redis
    _renewer: asyncio.Task | None = None


class Ordering(ABC):
    """One update of a conversation at a time, lowest update_id first, each update_id once."""

    @abstractmethod
    async def claim(self, key: str, update_id: int | None, read: Read) -> Turn:
        """Wait for this update's turn, then ``read`` (the session read, carrying this
        ordering's own commands when it has any); what it returns is ``turn.data``.
        A duplicate is returned at once, without reading. Always ``finish`` the turn."""

    @abstractmethod
    async def finish(self, turn: Turn, handled: bool, write: Write | None = None) -> None:
        """Let the conversation's next update go. ``handled``: remember the update as handled
        (else a new delivery of it is handled again); ``write``: the session write, if the
        session changed, which carries the release."""


class _Done:
    """The last handled update_ids per conversation, for a while, in bounded memory."""

    def __init__(self, clock, seconds: float, keep: int, limit: int):
        self.clock, self.seconds, self.keep, self.limit = clock, seconds, keep, limit
        self._ids: OrderedDict[str, tuple[float, list[int]]] = OrderedDict()

    def _live(self, key: str) -> list[int]:
        item = self._ids.get(key)
        if item is None:
            return []
        if item[0] < self.clock():
            del self._ids[key]
            return []
        return item[1]

    def seen(self, key: str, update_id: int) -> bool:
        return update_id in self._live(key)

    def latest(self, key: str) -> int | None:
        ids = self._live(key)
        return max(ids) if ids else None

    def add(self, key: str, update_id: int) -> None:
        if not self.limit:
            return
        ids = [*self._live(key), update_id][-self.keep:]
        self._ids[key] = (self.clock() + self.seconds, ids)
        self._ids.move_to_end(key)
        while len(self._ids) > self.limit:
            self._ids.popitem(last=False)


@dataclass
class _Line:
    """Who has a conversation's turn now, and who waits for it (lowest update_id first)."""

    busy: bool = False
    waiting: list[tuple[float, int, asyncio.Future]] = field(default_factory=list)


class LocalOrdering(Ordering):
    """Turns within this process: enough for one process; the first half of RedisOrdering.

    ``remember=False`` keeps no handled update_ids (no duplicates, no late updates): for a
    poller, which never gets an update twice while it runs, and would forget on a restart."""

    def __init__(self, clock=time.monotonic, done_seconds: float = DONE_SECONDS,
                 keep: int = DONE_KEEP, limit: int = MEMORY_LIMIT, remember: bool = True):
        self._done = _Done(clock, done_seconds, keep, limit if remember else 0)
        self._lines: dict[str, _Line] = {}
        self._arrivals = itertools.count()

    async def enter(self, key: str, update_id: int | None) -> Turn:
        """Wait for the turn in this process (no reading)."""
        turn = Turn(key, update_id)
        if update_id is not None and self._done.seen(key, update_id):
            turn.duplicate = True
            return turn
        line = self._lines.setdefault(key, _Line())
        if line.busy:
            place = (math.inf if update_id is None else update_id, next(self._arrivals))
            waiter = asyncio.get_running_loop().create_future()
            heapq.heappush(line.waiting, (*place, waiter))
            try:
                await waiter  # handed the turn by ``leave``
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed over just now: pass it on
                    self._pass(key, line)
                raise
        line.busy = True
        turn._holds_line = True
        if update_id is not None:
            if self._done.seen(key, update_id):  # its twin was handled while it waited
                turn.duplicate = True
            else:
                latest = self._done.latest(key)
                turn.late = latest is not None and latest > update_id
        return turn

    def leave(self, turn: Turn, handled: bool) -> None:
        if (handled and turn.update_id is not None
                and not self._done.seen(turn.key, turn.update_id)):
            self._done.add(turn.key, turn.update_id)
        if turn._holds_line:
            turn._holds_line = False
            self._pass(turn.key, self._lines[turn.key])

    def _pass(self, key: str, line: _Line) -> None:
        """Hand the turn to the lowest waiting update, or free the conversation."""
        while line.waiting:
            *_place, waiter = heapq.heappop(line.waiting)
            if not waiter.done():
                waiter.set_result(None)
                return
        line.busy = False
        del self._lines[key]

    async def claim(self, key: str, update_id: int | None, read: Read) -> Turn:
        turn = await self.enter(key, update_id)
        if not turn.duplicate:
            try:
                turn.data = await read(None)
            except BaseException:
                self.leave(turn, handled=False)
                raise
        return turn

    async def finish(self, turn: Turn, handled: bool, write: Write | None = None) -> None:
        try:
            if write is not None and handled and not turn.duplicate:
                await write(None)
        finally:
            self.leave(turn, handled)


class _Script:
    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


CLAIM = _Script("""
local id = ARGV[1]
if id ~= '' and redis.call('ZSCORE', KEYS[3], id) then
  redis.call('ZREM', KEYS[2], id)
  return {2, 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = tonumber(ARGV[4])
local function queue(status)
  if id ~= '' then
    redis.call('ZADD', KEYS[2], now + wait, id)
    redis.call('PEXPIRE', KEYS[2], wait)
  end
  return {status, 0}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('EXISTS', KEYS[1]) == 1 then return queue(1) end
if id ~= '' then
  for _, other in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if tonumber(other) < tonumber(id) then return queue(3) end
  end
  redis.call('ZREM', KEYS[2], id)
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
local late = 0
if id ~= '' then
  local last = redis.call('ZRANGE', KEYS[3], -1, -1)
  if last[1] and tonumber(last[1]) > tonumber(id) then late = 1 end
end
return {0, late}
""")

FINISH = _Script("""
local id = ARGV[1]
if id ~= '' then
  redis.call('ZREM', KEYS[2], id)
  if ARGV[3] == '1' then
    redis.call('ZADD', KEYS[3], id, id)
    redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[4]) + 1))
    redis.call('EXPIRE', KEYS[3], ARGV[5])
  end
end
if redis.call('GET', KEYS[1]) == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
""")

RENEW = _Script("""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
""")

SCRIPTS = (CLAIM, FINISH, RENEW)


class _Call:
    """One script call riding a store round trip (a ``storage.Rider``)."""

    def __init__(self, script: _Script, keys: list[str], args: list):
        self.script, self.keys, self.args = script, keys, args
        self.result: Any = None  # None: it did not travel (Redis not reached)

    def queue(self, pipe) -> int:
        pipe.execute_command("EVALSHA", self.script.sha, len(self.keys), *self.keys, *self.args)
        return 1

    def answered(self, results: list) -> None:
        self.result = results[0]

    @property
    def unknown_script(self) -> bool:
        from redis.exceptions import NoScriptError

        return isinstance(self.result, NoScriptError)


class _LoadScripts:
    def queue(self, pipe) -> int:
        for script in SCRIPTS:
            pipe.execute_command("SCRIPT", "LOAD", script.source)
        return len(SCRIPTS)

    def answered(self, results: list) -> None:
        pass


class RedisOrdering(Ordering):
    """Turns across every replica that shares the store's Redis (see the module docstring)."""

    def __init__(self, store, lock_seconds: float = 10.0, wait_seconds: float = WAIT_SECONDS,
                 clock=time.monotonic, sleep=asyncio.sleep, local: LocalOrdering | None = None):
        self.store = store  # a storage.RedisStore: its round trips carry the turn
        self.lock_ms = max(1, int(lock_seconds * 1000))
        self.wait_seconds = wait_seconds
        self.clock = clock
        self.sleep = sleep
        self.local = local or LocalOrdering(clock)
        self.replica = secrets.token_hex(6)  # names this process in the lock's value
        self.waited = 0  # claims that found the conversation busy (exported as a metric)
        self.lost_locks = 0  # locks that expired while their update was still being handled

    @staticmethod
    def _keys(key: str) -> list[str]:
        return [LOCK_PREFIX + key, WAITING_PREFIX + key, DONE_PREFIX + key]

    async def claim(self, key: str, update_id: int | None, read: Read) -> Turn:
        turn = await self.local.enter(key, update_id)
        if turn.duplicate:
            return turn
        turn.token = f"{self.replica}:{update_id if update_id is not None else id(turn)}"
        try:
            await self._claim_shared(turn, read)
        except BaseException:
            await self.finish(turn, handled=False)
            raise
        return turn

    async def _claim_shared(self, turn: Turn, read: Read) -> None:
        uid = "" if turn.update_id is None else str(turn.update_id)
        deadline = self.clock() + self.wait_seconds
        pause = FIRST_PAUSE
        waited = False
        while True:
            call = _Call(CLAIM, self._keys(turn.key),
                         [uid, turn.token, self.lock_ms, WAITING_MS])
            data = await read(call)
            if call.result is None:  # Redis not reached: this replica decides alone
                turn.data = data
                return
            if call.unknown_script:
                await self.store.send(_LoadScripts())
                continue
            if isinstance(call.result, Exception):
                log.error("the turn could not be claimed in Redis (%s); this replica decides "
                          "alone", type(call.result).__name__)
                turn.data = data
                return
            status, late = (int(x) for x in call.result)
            if status == DUPLICATE:
                turn.duplicate = True
                return
            if status == GRANTED:  # the script took it off the waiting list
                turn.shared, turn.late, turn.data = True, turn.late or bool(late), data
                turn._asked = False
                turn._renewer = asyncio.create_task(self._renew(turn))
                return
            turn._asked = True
            if not waited:
                waited = True
                self.waited += 1
            if self.clock() >= deadline:
                raise TurnTimeout(f"waited {self.wait_seconds:g} s for a conversation's turn")
            await self.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)

    async def _renew(self, turn: Turn) -> None:
        """Keep the lock while the update is handled, for MAX_HOLD_SECONDS at most."""
        every = self.lock_ms / 3000
        started = self.clock()
        while self.clock() - started + every < MAX_HOLD_SECONDS:
            await self.sleep(every)
            call = _Call(RENEW, self._keys(turn.key)[:1], [turn.token, self.lock_ms])
            if not await self.store.send(call):
                continue  # Redis away: the lock may lapse; nothing better to do
            if call.unknown_script:
                await self.store.send(_LoadScripts())
            elif call.result == 0:
                self.lost_locks += 1
                log.warning("a conversation's lock expired while its update was handled")
                return

    async def finish(self, turn: Turn, handled: bool, write: Write | None = None) -> None:
        if turn._renewer is not None:
            turn._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await turn._renewer
        try:
            write = write if handled and not turn.duplicate else None
            if turn.shared or turn._asked:
                await self._finish_shared(turn, handled, write)
            elif write is not None:
                await write(None)
        finally:
            self.local.leave(turn, handled)

    async def _finish_shared(self, turn: Turn, handled: bool, write: Write | None) -> None:
        uid = "" if turn.update_id is None else str(turn.update_id)
        args = [uid, turn.token, "1" if handled else "0", DONE_KEEP, DONE_SECONDS]
        call = _Call(FINISH, self._keys(turn.key), args)
        if write is not None:
            await write(call)
        for _ in range(2):  # alone when it did not ride the write; once more after a flush
            if call.unknown_script:
                await self.store.send(_LoadScripts())
            elif call.result is not None:
                break
            call = _Call(FINISH, self._keys(turn.key), args)
            if not await self.store.send(call):
                break  # Redis is away: the lock lapses by itself
        if call.result == 0 and turn.shared:
            self.lost_locks += 1
            log.warning("a conversation's lock had expired before its update was handled")
