"""Campaign counters: counting never delays an answer, and counts add up."""

from __future__ import annotations

import asyncio
import datetime as dt

from redis.asyncio import Redis

from bot import stats
from bot.conversations import Conversations
from bot.engine.events import Start
from bot.stats import MemoryCounter, RedisCounter
from bot.storage import MemoryStore
from tests.conftest import FakeClock
from tests.test_storage import RedisSwitch

DAY = dt.date(2026, 11, 23)
KEY = f"ss:c:plwork:{DAY.isoformat()}"


async def counts(redis: Redis, key: str = KEY) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in (await redis.hgetall(key)).items()}


async def test_a_memory_counter_adds_up():
    counter = MemoryCounter()
    await counter.add("plwork", ("start", "lang_uk"), DAY)
    await counter.add("plwork", ("start",), DAY)
    assert await counter.rows(DAY, 1) == [(DAY, "plwork", "lang_uk", 1),
                                          (DAY, "plwork", "start", 2)]


async def test_a_silent_redis_does_not_delay_anyones_answer(shipped_engine):
    """Redis accepts the connection and never answers: people must not wait for it."""
    asked = asyncio.Event()

    async def swallow(reader, writer):
        while await reader.read(65536):
            asked.set()
        writer.close()

    silent = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    socket_timeout = 60.0
    client = Redis(host="127.0.0.1", port=port, socket_timeout=socket_timeout,
                   socket_connect_timeout=socket_timeout)
    counter = RedisCounter(client)
    counter.drain_seconds = 0  # nothing will ever be written: do not wait at close
    conversations = Conversations(shipped_engine, MemoryStore(3600), counter,
                                  today=lambda: DAY)
    people = [conversations.handle(str(chat), Start("plwork")) for chat in range(1000, 1030)]
    # Well within one socket timeout: anyone waiting for the counter would still be waiting.
    replies = await asyncio.wait_for(asyncio.gather(*people), timeout=socket_timeout / 6)
    assert all(reply.node == "work" and reply.session.campaign == "plwork"
               for reply in replies)
    await asyncio.wait_for(asked.wait(), timeout=socket_timeout / 6)  # the counter did try
    await counter.close()
    silent.close()
    await silent.wait_closed()


async def test_counting_skips_redis_while_it_is_down_and_resumes(redis, redis_url, caplog):
    switch = RedisSwitch(redis_url)
    clock = FakeClock()
    counter = RedisCounter(Redis.from_url(switch.url), clock=clock)
    await counter.add("plwork", ("start",), DAY)  # Redis is down: the write fails
    await counter.drained()
    assert counter.dropped == 1
    assert "Redis is unreachable for counting" in caplog.text
    await switch.restore()
    await counter.add("plwork", ("start", "lang_uk"), DAY)  # still within the retry delay
    await counter.drained()
    assert counter.dropped == 3 and await counts(redis) == {}
    clock.advance(stats.RETRY_SECONDS + 1)
    await counter.add("plwork", ("start",), DAY)
    await counter.add("plwork", ("start",), DAY)
    await counter.close()
    assert await counts(redis) == {"start": 2}
    assert "3 event(s) were not counted" in caplog.text
    await switch.cut()


async def test_a_full_queue_drops_and_counts_instead_of_waiting(redis, redis_url):
    counter = RedisCounter(Redis.from_url(redis_url), queue_limit=2)
    for _ in range(3):  # nothing is written until this task yields
        await counter.add("plwork", ("start", "lang_uk"), DAY)
    assert counter.dropped == 2
    await counter.close()  # writes what was queued before closing
    assert await counts(redis) == {"start": 2, "lang_uk": 2}
    assert 0 < await redis.ttl(KEY) <= stats.DEFAULT_TTL_DAYS * 86400
