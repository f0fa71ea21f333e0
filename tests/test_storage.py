"""The session store: TTLs and bad records. A real redis-server, a fake clock."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from bot.conversations import Conversations
from bot.engine.events import Command, Start, Tap
from bot.storage import KEY_PREFIX, MemoryStore, RedisStore, encode

TTL = 30 * 86400
CHAT = "987654321"  # a person's key: must never reach the logs


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def redis(redis_url):
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def store_via(url: str, clock: FakeClock, **options) -> RedisStore:
    return RedisStore(Redis.from_url(url), TTL, clock=clock, **options)


async def stored(redis: Redis, key: str) -> dict | None:
    raw = await redis.get(KEY_PREFIX + key)
    return None if raw is None else json.loads(raw)


# ------------------------------------------------------------------ TTL: refreshed on read

async def test_reading_a_session_restarts_its_ttl_in_redis(redis, redis_url, clock):
    store = store_via(redis_url, clock)
    await store.save(CHAT, {"l": "en", "n": "work"})
    await redis.expire(KEY_PREFIX + CHAT, 100)
    assert await store.load(CHAT) == {"l": "en", "n": "work"}
    assert TTL - 60 < await redis.ttl(KEY_PREFIX + CHAT) <= TTL
    await store.close()


async def test_reading_a_session_keeps_it_alive_in_memory(clock):
    store = MemoryStore(100, clock=clock)
    await store.save(CHAT, {"l": "uk"})
    clock.advance(99)
    assert await store.load(CHAT) == {"l": "uk"}
    clock.advance(99)  # 198 s after the write, 99 s after the read
    assert await store.load(CHAT) == {"l": "uk"}
    clock.advance(101)
    assert await store.load(CHAT) is None


# ------------------------------------------------------------------ records nobody could write

BAD_RECORDS = {
    "infinity": b"1e400",
    "Infinity": b"Infinity",
    "not an object": b"[1]",
    "huge integer": b"9" * 4000,
    "not JSON": b"\xff\xfe{",
    "infinite quiz index": b'{"l":"en","q":[1e400,0]}',
    "Infinity in a tick": b'{"l":"en","k":{"work_docs":Infinity}}',
    "NaN": b'{"l":"en","q":[NaN,0]}',
    "quiz of the wrong type": b'{"l":"en","q":{"a":1}}',
    "nested too deep": b"[" * 2000 + b"]" * 2000,
}


@pytest.mark.parametrize("raw", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
async def test_an_unreadable_session_is_a_new_one_and_is_replaced(shipped_engine, redis,
                                                                  redis_url, clock, caplog, raw):
    await redis.set(KEY_PREFIX + CHAT, raw)
    store = store_via(redis_url, clock)
    conversations = Conversations(shipped_engine, store)
    reply = await conversations.handle(CHAT, Start("ru-PL"), lang_hint="en")
    assert reply.node == "home" and reply.session.lang == "ru"
    assert (await stored(redis, CHAT))["l"] == "ru"  # the bad record is gone
    assert not store.degraded
    assert "treated as a new one" in caplog.text
    assert CHAT not in caplog.text and raw.decode("utf-8", "replace")[:12] not in caplog.text
    await store.close()


@pytest.mark.parametrize("raw", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
async def test_forget_works_whatever_the_record_holds(shipped_engine, redis, redis_url, clock,
                                                      raw):
    await redis.set(KEY_PREFIX + CHAT, raw)
    store = store_via(redis_url, clock)
    conversations = Conversations(shipped_engine, store)
    reply = await conversations.handle(CHAT, Command("forget"), lang_hint="en")
    if not reply.erase:  # a readable language: the person confirms first
        reply = await conversations.handle(CHAT, Tap("f:y"))
    assert reply.erase
    assert not await redis.exists(KEY_PREFIX + CHAT)
    await store.close()


async def test_a_key_of_another_redis_type_is_that_persons_problem_only(
        shipped_engine, redis, redis_url, clock, caplog):
    await redis.lpush(KEY_PREFIX + CHAT, "x")
    store = store_via(redis_url, clock)
    conversations = Conversations(shipped_engine, store)
    reply = await conversations.handle(CHAT, Start("en"))
    assert reply.node == "home"
    assert (await stored(redis, CHAT))["l"] == "en"  # replaced by a session
    # Everyone else is still served from Redis, not from memory.
    assert not store.degraded
    await redis.set(KEY_PREFIX + "other", encode({"l": "uk", "n": "work"}))
    assert await store.load("other") == {"l": "uk", "n": "work"}
    assert "unreachable" not in caplog.text and CHAT not in caplog.text
    await store.close()


async def test_a_huge_value_is_not_read_whole(shipped_engine, redis, redis_url, clock):
    huge = encode({"l": "en", "n": "x" * 1_000_000})
    await redis.set(KEY_PREFIX + CHAT, huge)
    store = store_via(redis_url, clock)
    sent_before = (await redis.info("stats"))["total_net_output_bytes"]
    assert await store.load(CHAT) is None  # unreadable: a new person
    sent = (await redis.info("stats"))["total_net_output_bytes"] - sent_before
    assert sent < len(huge) // 10
    reply = await Conversations(shipped_engine, store).handle(CHAT, Start("en"))
    assert reply.node == "home" and (await stored(redis, CHAT)) == reply.session.to_dict()
    await store.close()
