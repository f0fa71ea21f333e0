"""Tickets for talking to a person: the link between a chat and a topic, and a fair pace.

A ticket is one conversation between a person and an organisation's counsellors: an anonymous
code (what counsellors see, like K7Q2), the person's private chat, the topic in the counsellors'
group, the person's chosen language and country, the organisation that answers, and whether a
counsellor has answered yet. That link is all that is kept, and only here:

  ``ss:hp:<chat id>``   the topic's id     (person → topic)
  ``ss:ht:<topic id>``  the ticket, a hash (topic → person)

Both keys share one TTL, restarted by every message either way, so a conversation left alone is
forgotten; ending a ticket deletes both at once. No message text is ever stored: messages are
copied between the chats by Telegram. ``RedisTickets`` lets several replicas share tickets;
``MemoryTickets`` has the same interface for a bot without Redis (one process, lost on restart).

``Pacer`` sends one conversation's messages in order and slows a person who floods: a short
burst goes at once, then one message every few seconds. Nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

log = logging.getLogger("stay_safe.handoff")

PERSON_PREFIX = "ss:hp:"
TOPIC_PREFIX = "ss:ht:"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed back
CODE_LENGTH = 4
# The names ``topic_name`` gives: a topic counsellors created for themselves has another.
TOPIC_NAME_RE = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}} · [a-z]{{2,3}}( · [A-Z]{{2}})?")
CLAIM_SECONDS = 30  # how long a chat is reserved while its topic is being created
BURST = 5  # messages of one conversation passed on at once
INTERVAL = 3.0  # then one every this many seconds: a group takes about 20 a minute
QUEUE_LIMIT = 500  # messages waiting per conversation; beyond, the sender waits its turn
CLOSE_SECONDS = 5.0  # how long shutting down waits for messages still waiting to go


@dataclass(frozen=True)
class Ticket:
    code: str
    chat: int
    topic: int
    lang: str
    country: str | None
    organisation: str
    answered: bool = False

    def to_hash(self) -> dict[str, str]:
        data = {"k": self.code, "c": str(self.chat), "l": self.lang, "n": self.country or "",
                "o": self.organisation}
        if self.answered:
            data["a"] = "1"  # absent until then: HSETNX sets it once
        return data

    @classmethod
    def from_hash(cls, topic: int, data: dict) -> Ticket | None:
        """The ticket in a Redis hash; None when it is not one of ours (logged, not quoted)."""
        fields = {_text(k): _text(v) for k, v in data.items()}
        try:
            return cls(code=fields["k"], chat=int(fields["c"]), topic=topic, lang=fields["l"],
                       country=fields.get("n") or None, organisation=fields["o"],
                       answered=fields.get("a") == "1")
        except (KeyError, ValueError):
            log.warning("an unreadable ticket was ignored")
            return None


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """An anonymous ticket code: it labels a topic, it routes nothing (topics do)."""
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def topic_name(ticket: Ticket) -> str:
    """What counsellors see in their list of topics: "K7Q2 · uk · PL", never who it is."""
    return " · ".join(part for part in (ticket.code, ticket.lang, ticket.country) if part)


class Tickets(Protocol):
    """Where tickets live (``RedisTickets`` or ``MemoryTickets``)."""

    async def claim(self, chat: int) -> bool:
        """Reserve ``chat`` while its topic is created; False when it has a ticket or a claim
        already (another replica may be opening one)."""
        ...

    async def release(self, chat: int) -> None:
        """Give up a claim whose topic could not be created."""
        ...

    async def save(self, ticket: Ticket) -> None: ...
    async def by_chat(self, chat: int) -> Ticket | None: ...
    async def by_topic(self, topic: int) -> Ticket | None: ...

    async def answered(self, ticket: Ticket) -> bool:
        """Note that a counsellor answered; True the first time only (to count it once)."""
        ...

    async def end(self, ticket: Ticket) -> bool:
        """Forget the ticket; True when this call ended it (so only one replica says so)."""
        ...

    async def every(self) -> list[Ticket]:
        """Every open ticket (when the bot leaves the counsellors' group, all of them end)."""
        ...

    async def close(self) -> None: ...


# Deletes the person's key only if it still points to this topic: a late end of an old
# conversation must not cut a newer one. Returns 1 when the ticket itself was deleted.
_END_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('DEL', KEYS[2])
"""

# Marks a ticket answered, never bringing back one that has ended meanwhile.
_ANSWERED_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'a', '1')
"""


class RedisTickets:
    """Tickets in Redis, shared by every replica. A failure raises ``RedisError``/``OSError``:
    the relay then says it cannot pass the message on, rather than guess."""

    def __init__(self, client, ttl_seconds: int):
        self.client = client
        self.ttl = ttl_seconds
        self._end = client.register_script(_END_SCRIPT)
        self._answered = client.register_script(_ANSWERED_SCRIPT)

    @classmethod
    def from_url(cls, url: str, ttl_seconds: int) -> RedisTickets:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url, max_connections=16, socket_timeout=1.0,
                                  socket_connect_timeout=1.0), ttl_seconds)

    async def claim(self, chat: int) -> bool:
        return bool(await self.client.set(f"{PERSON_PREFIX}{chat}", "", nx=True,
                                          ex=CLAIM_SECONDS))

    async def release(self, chat: int) -> None:
        key = f"{PERSON_PREFIX}{chat}"
        if await self.client.get(key) == b"":
            await self.client.delete(key)

    async def save(self, ticket: Ticket) -> None:
        topic_key = f"{TOPIC_PREFIX}{ticket.topic}"
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(topic_key)
        pipe.hset(topic_key, mapping=ticket.to_hash())
        pipe.expire(topic_key, self.ttl)
        pipe.set(f"{PERSON_PREFIX}{ticket.chat}", str(ticket.topic), ex=self.ttl)
        await pipe.execute()

    async def by_chat(self, chat: int) -> Ticket | None:
        raw = await self.client.get(f"{PERSON_PREFIX}{chat}")
        if not raw:  # none, or a claim while the topic is created
            return None
        try:
            topic = int(raw)
        except ValueError:
            return None
        return await self._read(topic, refresh_person=chat)

    async def by_topic(self, topic: int) -> Ticket | None:
        return await self._read(topic)

    async def _read(self, topic: int, refresh_person: int | None = None) -> Ticket | None:
        """The ticket of ``topic``, its TTL restarted (and the person's key's with it)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(f"{TOPIC_PREFIX}{topic}")
        pipe.expire(f"{TOPIC_PREFIX}{topic}", self.ttl)
        if refresh_person is not None:
            pipe.expire(f"{PERSON_PREFIX}{refresh_person}", self.ttl)
        data, *_ = await pipe.execute()
        ticket = Ticket.from_hash(topic, data) if data else None
        if ticket is not None and refresh_person is None:
            await self.client.expire(f"{PERSON_PREFIX}{ticket.chat}", self.ttl)
        return ticket

    async def answered(self, ticket: Ticket) -> bool:
        return bool(await self._answered(keys=[f"{TOPIC_PREFIX}{ticket.topic}"]))

    async def end(self, ticket: Ticket) -> bool:
        keys = [f"{PERSON_PREFIX}{ticket.chat}", f"{TOPIC_PREFIX}{ticket.topic}"]
        return bool(await self._end(keys=keys, args=[str(ticket.topic)]))

    async def every(self) -> list[Ticket]:
        found = []
        async for raw in self.client.scan_iter(match=f"{TOPIC_PREFIX}*", count=500):
            key = _text(raw)
            try:
                topic = int(key[len(TOPIC_PREFIX):])
            except ValueError:
                continue
            ticket = Ticket.from_hash(topic, await self.client.hgetall(key))
            if ticket is not None:
                found.append(ticket)
        return found

    async def close(self) -> None:
        await self.client.aclose()


class MemoryTickets:
    """Tickets in this process, with the same TTL rule (a bot without Redis)."""

    def __init__(self, ttl_seconds: int, clock=time.monotonic):
        self.ttl = ttl_seconds
        self.clock = clock
        self._people: dict[int, tuple[float, int | None]] = {}  # None: a claim
        self._topics: dict[int, tuple[float, Ticket]] = {}

    def _alive(self, table: dict, key: int):
        item = table.get(key)
        if item is not None and item[0] < self.clock():
            del table[key]
            return None
        return item

    async def claim(self, chat: int) -> bool:
        if self._alive(self._people, chat) is not None:
            return False
        self._people[chat] = (self.clock() + CLAIM_SECONDS, None)
        return True

    async def release(self, chat: int) -> None:
        item = self._alive(self._people, chat)
        if item is not None and item[1] is None:
            del self._people[chat]

    async def save(self, ticket: Ticket) -> None:
        expires = self.clock() + self.ttl
        self._people[ticket.chat] = (expires, ticket.topic)
        self._topics[ticket.topic] = (expires, ticket)

    async def by_chat(self, chat: int) -> Ticket | None:
        item = self._alive(self._people, chat)
        return None if item is None or item[1] is None else await self.by_topic(item[1])

    async def by_topic(self, topic: int) -> Ticket | None:
        item = self._alive(self._topics, topic)
        if item is None:
            return None
        ticket = item[1]
        expires = self.clock() + self.ttl
        self._topics[topic] = (expires, ticket)
        if self._people.get(ticket.chat, (0, None))[1] == topic:
            self._people[ticket.chat] = (expires, topic)
        return ticket

    async def answered(self, ticket: Ticket) -> bool:
        item = self._alive(self._topics, ticket.topic)
        if item is None or item[1].answered:
            return False
        self._topics[ticket.topic] = (item[0], replace(item[1], answered=True))
        return True

    async def end(self, ticket: Ticket) -> bool:
        if self._people.get(ticket.chat, (0, None))[1] == ticket.topic:
            del self._people[ticket.chat]
        return self._topics.pop(ticket.topic, None) is not None

    async def every(self) -> list[Ticket]:
        return [item[1] for topic in list(self._topics)
                if (item := self._alive(self._topics, topic)) is not None]

    async def close(self) -> None:
        self._people.clear()
        self._topics.clear()


class TokenBucket:
    """``burst`` sends at once, then one per ``interval`` seconds (tokens refill with time)."""

    def __init__(self, burst: int, interval: float, now: float):
        self.burst = burst
        self.interval = interval
        self.tokens = float(burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) / self.interval)
        self.stamp = now

    def available(self, now: float) -> float:
        """Tokens left now (below 1: the next send waits)."""
        self._refill(now)
        return self.tokens

    def delay(self, now: float) -> float:
        """Seconds to wait before the next send (0: send now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * self.interval

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


Job = Callable[[], Awaitable[None]]


class Pacer:
    """One queue per conversation, sent in order by one worker each, at the bucket's pace.

    ``submit`` returns at once (it waits only when ``queue_limit`` messages are already
    waiting) and says whether this message starts being slowed, so the person can be told
    once per burst. ``clock`` and ``sleep`` are injected: tests use a fake pair.
    """

    def __init__(self, burst: int = BURST, interval: float = INTERVAL, clock=time.monotonic,
                 sleep=asyncio.sleep, queue_limit: int = QUEUE_LIMIT):
        self.burst = burst
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.queue_limit = queue_limit
        self._queues: dict[int, asyncio.Queue[Job]] = {}
        self._buckets: dict[int, TokenBucket] = {}
        self._workers: set[asyncio.Task] = set()
        self._slowed: set[int] = set()

    async def submit(self, key: int, job: Job) -> bool:
        """Queue ``job`` for conversation ``key``; True when it is the first to wait."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue(self.queue_limit)
            worker = asyncio.create_task(self._work(key, queue))
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        bucket, now = self._bucket(key), self.clock()
        if queue.empty() and bucket.full(now):  # a pause long enough: a new burst is told again
            self._slowed.discard(key)
        waits = queue.qsize() + 1 > bucket.available(now)
        await queue.put(job)
        if waits and key not in self._slowed:
            self._slowed.add(key)
            return True
        return False

    def _bucket(self, key: int) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            now = self.clock()
            if len(self._buckets) >= self.queue_limit:  # forget those that are full again
                for old in [k for k, b in self._buckets.items()
                            if k not in self._queues and b.full(now)]:
                    del self._buckets[old]
                    self._slowed.discard(old)
            bucket = self._buckets[key] = TokenBucket(self.burst, self.interval, now)
        return bucket

    async def _work(self, key: int, queue: asyncio.Queue[Job]) -> None:
        bucket = self._bucket(key)
        while not queue.empty():
            job = queue.get_nowait()
            wait = bucket.delay(self.clock())
            if wait > 0:
                await self.sleep(wait)
            bucket.take(self.clock())
            try:
                await job()
            except Exception:  # one message's failure must not stop the conversation's queue
                log.exception("could not pass a message on")
        # No await between the last check and here: a submit sees either this queue with its
        # worker running, or no queue at all.
        del self._queues[key]

    async def close(self) -> None:
        """Let waiting messages go for a moment, then stop (the rest is not sent: logged)."""
        if self._workers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*self._workers, return_exceptions=True),
                                       timeout=CLOSE_SECONDS)
        left = sum(queue.qsize() for queue in self._queues.values())
        for worker in list(self._workers):
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if left:
            log.warning("%d message(s) waiting to be passed on were not sent before shutdown",
                        left)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
