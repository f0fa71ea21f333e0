"""The session store: TTLs, Redis outages, bad records. A real redis-server, a fake clock.

Outages are made by ``RedisSwitch``, a relay in front of the real Redis that can be cut
(connections refused, as when Redis is down) and restored with the data still there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os

import pytest
from redis.asyncio import Redis

from bot import storage
from bot.conversations import Conversations
from bot.engine.events import Command, Start, Tap
from bot.storage import KEY_PREFIX, MemoryStore, RedisStore, encode
from tests.conftest import FakeClock
from tests.redis_server import free_port

TTL = 30 * 86400
CHAT = "987654321"  # a person's key: must never reach the logs


class RedisSwitch:
    """A TCP relay to Redis: ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, redis_url: str) -> None:
        self.target = redis_url.removeprefix("redis://").split("/")[0].split(":")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._server: asyncio.Server | None = None
        self._streams: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        self._server.close()
        for writer in self._streams:
            writer.close()
        await self._server.wait_closed()

    async def _relay(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._streams |= {writer, up_writer}

        async def pump(source, sink) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._streams -= {writer, up_writer}


@pytest.fixture
async def switch(redis_url):
    relay = RedisSwitch(redis_url)
    await relay.restore()
    yield relay
    with contextlib.suppress(Exception):
        await relay.cut()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def store_via(url: str, clock: FakeClock, **options) -> RedisStore:
    return RedisStore(Redis.from_url(url), TTL, clock=clock, **options)


async def back_again(store: RedisStore, switch: RedisSwitch, clock: FakeClock) -> None:
    """Redis returns; the store notices on its next request (someone else's)."""
    await switch.restore()
    clock.advance(storage.REDIS_RETRY_SECONDS + 1)
    await store.load("someone-else")
    await store.settled()


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
    "quiz of the wrong type": b'{"l":"en","a":{"a":1}}',
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
    reply = await conversations.handle(CHAT, Start("en-PL"))
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
    reply = await Conversations(shipped_engine, store).handle(CHAT, Start("en-PL"))
    assert reply.node == "home" and (await stored(redis, CHAT)) == reply.session.to_dict()
    await store.close()


# ------------------------------------------------------------------ "forget me" during an outage

async def test_forget_during_an_outage_completes_when_redis_is_back(redis, switch, clock,
                                                                    tmp_path):
    journal = storage.EraseJournal(tmp_path / "state" / "erase.pending")
    store = store_via(switch.url, clock, journal=journal)
    await store.save(CHAT, {"l": "en", "c": "PL"})
    await switch.cut()
    assert await store.erase(CHAT) is False  # not done yet: the person must be told so
    assert await store.load(CHAT) is None  # meanwhile, a new person
    assert await stored(redis, CHAT) is not None
    await back_again(store, switch, clock)
    assert not await redis.exists(KEY_PREFIX + CHAT)
    assert store.pending_erasures == 0 and not journal.path.exists()
    await store.close()


async def test_forget_during_an_outage_survives_a_restart(redis, redis_url, tmp_path, caplog):
    dead_url = f"redis://127.0.0.1:{free_port()}/0"
    path = tmp_path / "state" / "erase.pending"
    await redis.set(KEY_PREFIX + CHAT, encode({"l": "en", "c": "PL"}))
    during = RedisStore(Redis.from_url(dead_url), TTL, journal=storage.EraseJournal(path))
    assert await during.erase(CHAT) is False
    await during.close()
    # Restarted while Redis is still away: the person is still forgotten.
    still_down = RedisStore(Redis.from_url(dead_url), TTL, journal=storage.EraseJournal(path))
    assert await still_down.load(CHAT) is None
    await still_down.close()
    # Restarted with Redis back: the first request of anyone finishes the erasure.
    after = RedisStore(Redis.from_url(redis_url), TTL, journal=storage.EraseJournal(path))
    assert await after.load("someone-else") is None
    await after.settled()
    assert not await redis.exists(KEY_PREFIX + CHAT)
    assert not path.exists()
    await after.close()
    assert CHAT not in caplog.text


async def test_starting_again_after_forget_during_an_outage_keeps_the_new_session(
        redis, switch, clock, tmp_path):
    store = store_via(switch.url, clock, journal=storage.EraseJournal(tmp_path / "e.pending"))
    await store.save(CHAT, {"l": "en", "c": "PL", "n": "work"})
    await switch.cut()
    assert await store.erase(CHAT) is False
    await store.save(CHAT, {"l": "uk"})
    await back_again(store, switch, clock)
    assert await stored(redis, CHAT) == {"l": "uk"}  # the old one deleted, the new one kept
    assert await store.load(CHAT) == {"l": "uk"}
    await store.close()


async def test_replicas_on_one_machine_keep_each_others_pending_erasures(
        redis, switch, clock, tmp_path):
    # Regression: the replica whose Redis came back rewrote the journal they share (same user,
    # same Redis) with its own pending erasures only, dropping the other replica's.
    path = tmp_path / "state" / "erase.pending"
    first = store_via(switch.url, clock, journal=storage.EraseJournal(path))
    second = RedisStore(Redis.from_url(f"redis://127.0.0.1:{free_port()}/0"), TTL,
                        journal=storage.EraseJournal(path))
    await switch.cut()
    assert await first.erase(CHAT) is False
    assert await second.erase("2002") is False
    await back_again(first, switch, clock)  # the first one's erasure is done
    assert storage.EraseJournal(path).read() == {"2002"}  # the second one's still to do
    await first.close()
    await second.close()


def test_the_erase_journal_ignores_a_line_cut_short_by_a_crash(tmp_path):
    path = tmp_path / "erase.pending"
    path.write_text("1001\n1002:77\n100")
    assert storage.EraseJournal(path).read() == {"1001", "1002:77"}


async def test_the_erase_journal_is_not_used_in_a_folder_others_can_write(tmp_path, caplog):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    journal = storage.EraseJournal(folder / "erase.pending")
    dead_url = f"redis://127.0.0.1:{free_port()}/0"
    store = RedisStore(Redis.from_url(dead_url), TTL, journal=journal)
    assert await store.erase(CHAT) is False
    assert not journal.path.exists()
    assert "could not note a pending erasure" in caplog.text
    await store.close()
    journal.path.write_text("planted by someone else\n")
    assert journal.read() == set()


# ------------------------------------------------------------------ changes during an outage

async def test_changes_during_an_outage_reach_redis_though_their_owners_never_return(
        redis, switch, clock):
    store = store_via(switch.url, clock, cache_limit=2)
    people = [f"{CHAT}{i}" for i in range(5)]
    for key in people:
        await store.save(key, {"l": "en"})
    await switch.cut()
    for key in people:
        await store.save(key, {"l": "en", "n": "work"})
    for key in people:  # more people than the cache holds: nobody's change is lost
        assert await store.load(key) == {"l": "en", "n": "work"}
    await back_again(store, switch, clock)
    for key in people:
        assert await stored(redis, key) == {"l": "en", "n": "work"}
    assert len(store.changed) == 0 and not store.degraded
    await store.close()


async def test_a_person_back_after_an_outage_is_saved_before_their_answer(redis, switch,
                                                                          clock):
    store = store_via(switch.url, clock)
    await switch.cut()
    await store.save(CHAT, {"l": "en", "n": "work"})
    await switch.restore()
    clock.advance(storage.REDIS_RETRY_SECONDS + 1)
    await store.save(CHAT, {"l": "en", "n": "work_wage"})  # their next tap
    assert await stored(redis, CHAT) == {"l": "en", "n": "work_wage"}
    await store.settled()
    assert await stored(redis, CHAT) == {"l": "en", "n": "work_wage"}
    assert len(store.changed) == 0
    await store.close()


async def test_changes_kept_during_an_outage_are_bounded_and_drops_are_counted(
        redis, switch, clock, caplog):
    store = store_via(switch.url, clock, changed_limit=2)
    await switch.cut()
    for index in range(3):
        await store.save(f"{CHAT}{index}", {"l": "en", "n": f"screen{index}"})
    assert len(store.changed) == 2 and store.lost_changes == 1
    assert "least recently used changes are dropped" in caplog.text
    await back_again(store, switch, clock)
    assert await stored(redis, f"{CHAT}0") is None
    assert await stored(redis, f"{CHAT}2") == {"l": "en", "n": "screen2"}
    await store.close()


async def test_a_change_older_than_the_ttl_is_not_written_back(redis, switch, clock):
    store = store_via(switch.url, clock)
    await switch.cut()
    await store.save(CHAT, {"l": "en"})
    clock.advance(TTL + 1)
    await back_again(store, switch, clock)
    assert await stored(redis, CHAT) is None and len(store.changed) == 0
    await store.close()


async def test_forget_during_an_outage_tells_the_person_the_truth(shipped_engine, redis, switch,
                                                                  clock, tmp_path):
    """The promise and the behaviour agree: 'deleted' only when it is."""
    store = store_via(switch.url, clock, journal=storage.EraseJournal(tmp_path / "e.pending"))
    conversations = Conversations(shipped_engine, store)
    await conversations.handle(CHAT, Start("uk-PL"))
    await switch.cut()
    asked = await conversations.handle(CHAT, Command("forget"))
    gone = await conversations.handle(CHAT, Tap("f:y"))
    assert asked.messages and gone.erase
    text = gone.messages[0].text
    assert text.startswith("Готово: бот вас забув. Наше сховище зараз недоступне")
    assert [b.action for row in gone.messages[0].buttons for b in row][:3] == [
        "l:uk", "l:ru", "l:en"]
    await back_again(store, switch, clock)
    assert not await redis.exists(KEY_PREFIX + CHAT)
    done = await conversations.handle(CHAT, Command("forget"))  # nothing stored: erased at once
    assert done.erase and "Готово: ваші дані видалено" in done.messages[0].text
    await store.close()
