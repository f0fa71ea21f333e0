"""Turns: one update of a conversation at a time, lowest update_id first, each update once; in
one process (memory) and across replicas (a real redis-server), with a fake clock."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from bot.conversations import Conversations
from bot.engine.events import Command, Start, Tap
from bot.ordering import (
    DONE_SECONDS,
    LOCK_PREFIX,
    MAX_HOLD_SECONDS,
    WAITING_PREFIX,
    LocalOrdering,
    RedisOrdering,
    TurnTimeout,
)
from bot.storage import RedisStore
from tests.conftest import FakeClock
from tests.redis_server import free_port


async def nothing(rider):
    return None


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


# ---------------------------------------------------------------- one process

async def test_one_update_of_a_conversation_at_a_time_others_go_on():
    ordering = LocalOrdering(FakeClock())
    first = await ordering.claim("a", 1, nothing)
    other = await ordering.claim("b", 2, nothing)  # another conversation: not held up
    second = asyncio.create_task(ordering.claim("a", 3, nothing))
    await settle()
    assert not second.done()
    await ordering.finish(first, handled=True)
    turn = await second
    assert (turn.update_id, turn.duplicate, turn.late) == (3, False, False)
    await ordering.finish(turn, handled=True)
    await ordering.finish(other, handled=True)


async def test_the_lowest_waiting_update_goes_first_whatever_came_first():
    ordering = LocalOrdering(FakeClock())
    order: list[int] = []

    async def handle(update_id: int) -> None:
        turn = await ordering.claim("chat", update_id, nothing)
        order.append(update_id)
        await ordering.finish(turn, handled=True)

    holder = await ordering.claim("chat", 10, nothing)
    waiting = [asyncio.create_task(handle(i)) for i in (13, 11, 12)]
    await settle()
    await ordering.finish(holder, handled=True)
    await asyncio.gather(*waiting)
    assert order == [11, 12, 13]


async def test_an_update_delivered_twice_is_handled_once_and_remembered_for_a_while():
    clock = FakeClock()
    ordering = LocalOrdering(clock)
    first = await ordering.claim("chat", 7, nothing)
    again = asyncio.create_task(ordering.claim("chat", 7, nothing))  # while the first runs
    await settle()
    await ordering.finish(first, handled=True)
    assert (await again).duplicate
    await ordering.finish(await again, handled=True)
    assert (await ordering.claim("chat", 7, nothing)).duplicate  # delivered again later
    clock.now += DONE_SECONDS + 1
    late_again = await ordering.claim("chat", 7, nothing)
    assert not late_again.duplicate  # forgotten after DONE_SECONDS
    await ordering.finish(late_again, handled=True)


async def test_a_poller_remembers_no_update_ids():
    ordering = LocalOrdering(FakeClock(), remember=False)
    for _ in range(2):
        turn = await ordering.claim("chat", 7, nothing)
        assert not turn.duplicate
        await ordering.finish(turn, handled=True)
    assert not ordering._done._ids


async def test_an_update_cut_short_is_handled_again_when_delivered_again():
    ordering = LocalOrdering(FakeClock())
    turn = await ordering.claim("chat", 5, nothing)
    await ordering.finish(turn, handled=False)
    again = await ordering.claim("chat", 5, nothing)
    assert not again.duplicate
    await ordering.finish(again, handled=True)


async def test_an_update_overtaken_by_a_later_one_is_still_handled_and_marked_late():
    ordering = LocalOrdering(FakeClock())
    later = await ordering.claim("chat", 12, nothing)
    await ordering.finish(later, handled=True)
    earlier = await ordering.claim("chat", 11, nothing)
    assert not earlier.duplicate and earlier.late
    await ordering.finish(earlier, handled=True)


async def test_a_waiter_given_up_does_not_hold_the_conversation():
    ordering = LocalOrdering(FakeClock())
    holder = await ordering.claim("chat", 1, nothing)
    gone = asyncio.create_task(ordering.claim("chat", 2, nothing))
    behind = asyncio.create_task(ordering.claim("chat", 3, nothing))
    await settle()
    gone.cancel()  # e.g. a shutdown ended its request
    await ordering.finish(holder, handled=True)
    turn = await asyncio.wait_for(behind, 5)
    assert turn.update_id == 3
    await ordering.finish(turn, handled=True)
    assert ordering._lines == {}


async def test_a_duplicate_found_at_once_does_not_free_the_conversation():
    ordering = LocalOrdering(FakeClock())
    done = await ordering.claim("chat", 1, nothing)
    await ordering.finish(done, handled=True)
    holder = await ordering.claim("chat", 2, nothing)
    twin = await ordering.claim("chat", 1, nothing)
    assert twin.duplicate
    await ordering.finish(twin, handled=True)
    waiter = asyncio.create_task(ordering.claim("chat", 3, nothing))
    await settle()
    assert not waiter.done()  # 2 still has the turn
    await ordering.finish(holder, handled=True)
    await ordering.finish(await waiter, handled=True)


# ---------------------------------------------------------------- across replicas

class Replica:
    """One process's view: its own Redis client, store and ordering, and a fake clock."""

    def __init__(self, url: str, tmp_path, name: str, lock_seconds: float = 30,
                 wait_seconds: float = 50):
        self.clock = FakeClock()
        self.store = RedisStore.from_url(url, 3600, journal_path=tmp_path / f"{name}.pending")
        self.ordering = RedisOrdering(self.store, lock_seconds=lock_seconds,
                                      wait_seconds=wait_seconds, clock=self.clock,
                                      sleep=self.clock.sleep)

    def read(self, key: str):
        return lambda rider: self.store.load(key, rider)

    def write(self, key: str, data: dict):
        async def write(rider):
            await self.store.save(key, data, rider)
        return write

    async def close(self) -> None:
        await self.store.close()


@pytest.fixture
async def replicas(redis, redis_url, tmp_path):
    made: list[Replica] = []

    def make(**kw) -> Replica:
        made.append(Replica(redis_url, tmp_path, f"r{len(made)}", **kw))
        return made[-1]

    yield make
    for replica in made:
        await replica.close()


async def test_across_replicas_one_at_a_time_and_the_next_reads_what_the_first_wrote(
        replicas):
    a, b = replicas(), replicas()
    first = await a.ordering.claim("chat", 1, a.read("chat"))
    assert first.shared and first.data is None
    second = asyncio.create_task(b.ordering.claim("chat", 2, b.read("chat")))
    await settle()
    assert not second.done()
    await a.ordering.finish(first, handled=True, write=a.write("chat", {"l": "uk"}))
    turn = await asyncio.wait_for(second, 5)
    assert turn.shared and turn.data == {"l": "uk"}
    await b.ordering.finish(turn, handled=True)


async def test_across_replicas_a_redelivered_update_is_handled_once(replicas):
    a, b = replicas(), replicas()
    first = await a.ordering.claim("chat", 7, a.read("chat"))
    twin = asyncio.create_task(b.ordering.claim("chat", 7, b.read("chat")))
    await settle()
    await a.ordering.finish(first, handled=True)
    assert (await asyncio.wait_for(twin, 5)).duplicate
    await b.ordering.finish(await twin, handled=True)
    later = await b.ordering.claim("chat", 7, b.read("chat"))  # its memory says so too now
    assert later.duplicate and not later.shared


async def test_across_replicas_the_lowest_waiting_update_goes_first(replicas, redis):
    a, b, c = replicas(), replicas(), replicas()
    holder = await a.ordering.claim("chat", 10, a.read("chat"))
    twelve = asyncio.create_task(b.ordering.claim("chat", 12, b.read("chat")))
    await settle()
    eleven = asyncio.create_task(c.ordering.claim("chat", 11, c.read("chat")))
    while await redis.zcard(WAITING_PREFIX + "chat") < 2:
        await asyncio.sleep(0.001)
    await a.ordering.finish(holder, handled=True)
    turn = await asyncio.wait_for(eleven, 5)
    assert not twelve.done()
    await c.ordering.finish(turn, handled=True)
    await b.ordering.finish(await asyncio.wait_for(twelve, 5), handled=True)


async def test_a_replica_that_died_holds_a_conversation_only_until_its_lock_expires(
        replicas, redis):
    dead, alive = replicas(lock_seconds=5), replicas()
    turn = await dead.ordering.claim("chat", 1, dead.read("chat"))
    turn._renewer.cancel()  # the process is gone: nobody renews, nobody finishes
    assert 0 < await redis.pttl(LOCK_PREFIX + "chat") <= 5000
    waiting = asyncio.create_task(alive.ordering.claim("chat", 2, alive.read("chat")))
    await settle()
    assert not waiting.done()
    await redis.pexpire(LOCK_PREFIX + "chat", 1)  # the 5 s pass
    taken = await asyncio.wait_for(waiting, 5)
    assert taken.shared
    await alive.ordering.finish(taken, handled=True)
    await dead.ordering.finish(turn, handled=True)  # too late: it must not free anything
    assert dead.ordering.lost_locks == 1


async def test_the_lock_is_renewed_while_the_update_is_handled_and_no_longer_than_a_minute(
        replicas, redis):
    a = replicas(lock_seconds=30)
    turn = await a.ordering.claim("chat", 1, a.read("chat"))
    await redis.pexpire(LOCK_PREFIX + "chat", 10_000_000)
    await asyncio.wait_for(turn._renewer, 5)
    assert await redis.pttl(LOCK_PREFIX + "chat") <= 30_000  # renewed to the lock's length
    assert sum(a.clock.slept) < MAX_HOLD_SECONDS  # then it stopped renewing
    await a.ordering.finish(turn, handled=True)


async def test_waiting_too_long_gives_up_and_leaves_the_queue(replicas, redis):
    a, b = replicas(), replicas(wait_seconds=1)
    holder = await a.ordering.claim("chat", 1, a.read("chat"))
    with pytest.raises(TurnTimeout):
        await b.ordering.claim("chat", 2, b.read("chat"))
    assert await redis.zcard(WAITING_PREFIX + "chat") == 0
    await a.ordering.finish(holder, handled=True)
    again = await b.ordering.claim("chat", 2, b.read("chat"))  # Telegram sends it again
    assert again.shared and not again.duplicate
    await b.ordering.finish(again, handled=True)


async def test_scripts_flushed_from_redis_are_loaded_again(replicas, redis):
    a = replicas()
    turn = await a.ordering.claim("chat", 1, a.read("chat"))
    await redis.script_flush()
    await a.ordering.finish(turn, handled=True)
    assert not await redis.exists(LOCK_PREFIX + "chat")
    await redis.script_flush()
    again = await a.ordering.claim("chat", 2, a.read("chat"))
    assert again.shared
    await a.ordering.finish(again, handled=True)


async def test_without_redis_each_replica_still_keeps_its_own_order(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    a = Replica(url, tmp_path, "a")
    try:
        first = await a.ordering.claim("chat", 1, a.read("chat"))
        assert not first.shared
        second = asyncio.create_task(a.ordering.claim("chat", 2, a.read("chat")))
        await settle()
        assert not second.done()
        await a.ordering.finish(first, handled=True)
        await a.ordering.finish(await asyncio.wait_for(second, 5), handled=True)
    finally:
        await a.close()


class CountingPipelines:
    """Counts the round trips a Redis client makes (pipelines and single commands)."""

    def __init__(self, client):
        self.count = 0
        original_pipeline, original_execute = client.pipeline, client.execute_command

        def pipeline(*args, **kwargs):
            pipe = original_pipeline(*args, **kwargs)
            execute = pipe.execute

            async def counted(*a, **kw):
                self.count += 1
                return await execute(*a, **kw)

            pipe.execute = counted
            return pipe

        async def command(*args, **kwargs):
            self.count += 1
            return await original_execute(*args, **kwargs)

        client.pipeline, client.execute_command = pipeline, command


async def test_an_update_costs_two_round_trips_turn_included(replicas, shipped_engine):
    a = replicas()
    counting = CountingPipelines(a.store.client)
    conversations = Conversations(shipped_engine, a.store, ordering=a.ordering)
    async with conversations.turn("warm-up", 0):  # Redis learns the scripts on first use
        pass
    steps = [(1, Start("en-PL")), (2, Tap("n:work")), (3, Command("menu")), (4, Command("menu"))]
    for update_id, event in steps:
        before = counting.count
        async with conversations.turn("chat", update_id) as turn:
            assert not turn.duplicate
            await conversations.handle("chat", event)
        assert counting.count - before == 2, event  # claim + read; write + finish (or finish)
    before = counting.count
    async with conversations.turn("chat", 4) as turn:  # delivered again, to this replica
        assert turn.duplicate
    assert counting.count == before  # its own memory knows
    b = replicas()
    counting = CountingPipelines(b.store.client)
    async with Conversations(shipped_engine, b.store, ordering=b.ordering).turn(
            "chat", 4) as turn:  # delivered again, to another replica
        assert turn.duplicate
    assert counting.count == 1


async def test_a_turn_cut_short_writes_nothing_and_the_update_is_handled_again(
        replicas, shipped_engine, redis):
    a = replicas()
    conversations = Conversations(shipped_engine, a.store, ordering=a.ordering)
    with contextlib.suppress(asyncio.CancelledError):
        async with conversations.turn("chat", 1):
            await conversations.handle("chat", Start("en-PL"))
            raise asyncio.CancelledError  # a shutdown that could not wait for it
    assert not await redis.exists("ss:s:chat")
    async with conversations.turn("chat", 1) as turn:
        assert not turn.duplicate
        await conversations.handle("chat", Start("en-PL"))
    assert await redis.exists("ss:s:chat")
