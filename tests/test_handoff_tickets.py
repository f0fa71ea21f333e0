"""Tickets keep only the link, for a limited time; the pacer slows a flood and drops nothing."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.handoff import (
    CODE_ALPHABET,
    TOPIC_NAME_RE,
    MemoryTickets,
    Pacer,
    RedisTickets,
    Ticket,
    new_code,
    topic_name,
)
from tests.conftest import FakeClock

TTL = 3600
TICKET = Ticket(code="K7Q2", chat=73519842, topic=501, lang="uk", country="PL",
                organisation="staysafe")


@pytest.fixture(params=["redis", "memory"])
async def tickets(request, redis_url):
    if request.param == "memory":
        yield MemoryTickets(TTL, clock=FakeClock())
        return
    client = Redis.from_url(redis_url)
    await client.flushdb()
    store = RedisTickets(client, TTL)
    yield store
    await store.close()


def test_codes_and_topic_names_say_nothing_about_the_person():
    codes = {new_code() for _ in range(50)}
    assert all(len(c) == 4 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert len(codes) > 40
    assert topic_name(TICKET) == "K7Q2 · uk · PL"
    assert topic_name(Ticket("AB23", 1, 2, "ru", None, "x")) == "AB23 · ru"
    # How the relay tells a conversation's topic from one the counsellors made themselves.
    assert all(TOPIC_NAME_RE.fullmatch(topic_name(Ticket(c, 1, 2, "uk", "PL", "x")))
               for c in codes)
    assert not TOPIC_NAME_RE.fullmatch("Team chat")


async def test_a_ticket_is_found_from_either_side_until_it_ends(tickets):
    assert await tickets.claim(TICKET.chat)
    assert not await tickets.claim(TICKET.chat)  # being opened (by another replica, maybe)
    assert await tickets.by_chat(TICKET.chat) is None
    await tickets.save(TICKET)
    assert not await tickets.claim(TICKET.chat)  # one conversation per person at a time
    assert await tickets.by_chat(TICKET.chat) == TICKET
    assert await tickets.by_topic(TICKET.topic) == TICKET
    assert await tickets.every() == [TICKET]
    assert await tickets.end(TICKET)
    assert not await tickets.end(TICKET)  # whoever ends it second says nothing
    assert await tickets.by_chat(TICKET.chat) is None
    assert await tickets.by_topic(TICKET.topic) is None
    assert await tickets.every() == []


async def test_the_first_answer_is_noted_once_and_never_brings_back_an_ended_ticket(tickets):
    await tickets.save(TICKET)
    assert await tickets.answered(TICKET)
    assert not await tickets.answered(TICKET)
    assert (await tickets.by_topic(TICKET.topic)).answered
    await tickets.end(TICKET)
    assert not await tickets.answered(TICKET)
    assert await tickets.by_topic(TICKET.topic) is None


async def test_ending_an_old_conversation_does_not_cut_the_newer_one(tickets):
    await tickets.save(TICKET)
    await tickets.end(TICKET)
    newer = Ticket("ZX9P", TICKET.chat, 777, "uk", "PL", "staysafe")
    await tickets.save(newer)
    assert not await tickets.end(TICKET)  # e.g. the old topic closed late
    assert await tickets.by_chat(TICKET.chat) == newer


async def test_a_released_claim_lets_the_person_try_again(tickets):
    assert await tickets.claim(TICKET.chat)
    await tickets.release(TICKET.chat)
    assert await tickets.claim(TICKET.chat)


async def test_redis_holds_only_the_link_with_a_ttl_restarted_by_use(redis, redis_url):
    store = RedisTickets(Redis.from_url(redis_url), TTL)
    try:
        await store.save(TICKET)
        keys = sorted([k.decode() async for k in redis.scan_iter("*")])
        assert keys == ["ss:hp:73519842", "ss:ht:501"]
        assert await redis.get("ss:hp:73519842") == b"501"
        stored = {k.decode(): v.decode() for k, v in (await redis.hgetall("ss:ht:501")).items()}
        assert stored == {"k": "K7Q2", "c": "73519842", "l": "uk", "n": "PL", "o": "staysafe"}
        for key in keys:
            assert 0 < await redis.ttl(key) <= TTL
            await redis.expire(key, 5)
        await store.by_topic(TICKET.topic)  # a counsellor's reply restarts both
        assert [await redis.ttl(k) > 5 for k in keys] == [True, True]
        for key in keys:
            await redis.expire(key, 5)
        await store.by_chat(TICKET.chat)  # and so does the person's message
        assert [await redis.ttl(k) > 5 for k in keys] == [True, True]
        await store.end(TICKET)
        assert [k async for k in redis.scan_iter("*")] == []
    finally:
        await store.close()


async def test_a_claim_that_was_never_completed_expires_soon(redis, redis_url):
    store = RedisTickets(Redis.from_url(redis_url), TTL)
    try:
        await store.claim(TICKET.chat)
        assert await store.by_chat(TICKET.chat) is None  # reading does not prolong it
        assert 0 < await redis.ttl("ss:hp:73519842") <= 30
    finally:
        await store.close()


async def test_a_memory_ticket_expires_after_the_ttl_without_use():
    clock = FakeClock()
    store = MemoryTickets(TTL, clock=clock)
    await store.save(TICKET)
    clock.now += TTL - 1
    assert await store.by_chat(TICKET.chat) == TICKET  # used: the TTL starts again
    clock.now += TTL - 1
    assert await store.by_topic(TICKET.topic) == TICKET
    clock.now += TTL + 1
    assert await store.by_chat(TICKET.chat) is None
    assert await store.every() == []


def appending(sent: list, item):
    """A pacer job that records ``item`` when it is sent."""
    async def send():
        sent.append(item)
    return send


async def test_a_flood_is_slowed_in_order_and_nothing_is_dropped():
    clock = FakeClock()
    pacer = Pacer(burst=5, interval=3.0, clock=clock, sleep=clock.sleep)
    sent: list[tuple[int, float]] = []

    def job(n: int):
        async def send():
            sent.append((n, clock.now - 1000.0))
        return send

    first_waits = [await pacer.submit(7, job(n)) for n in range(12)]
    assert first_waits == [False] * 5 + [True] + [False] * 6  # told once per burst
    while len(sent) < 12:
        await asyncio.sleep(0)
    assert [n for n, _ in sent] == list(range(12))
    assert [t for _, t in sent] == [0, 0, 0, 0, 0, 3, 6, 9, 12, 15, 18, 21]
    clock.now += 60  # a quiet minute: the next burst goes at once again
    assert not await pacer.submit(7, job(12))
    await pacer.close()
    assert sent[-1] == (12, 81.0)


async def test_a_flood_typed_one_by_one_is_told_once():
    """Each message is handled after the last has gone (as one chat's turns are): the queue
    empties between them, yet the person is still flooding and is told only once."""
    clock = FakeClock()
    pacer = Pacer(burst=2, interval=3.0, clock=clock, sleep=clock.sleep)
    sent: list[int] = []

    told = []
    for n in range(8):
        told.append(await pacer.submit(7, appending(sent, n)))
        while len(sent) <= n:
            await asyncio.sleep(0)
    assert sent == list(range(8))
    assert told.count(True) == 1
    await pacer.close()


async def test_one_conversations_flood_does_not_hold_back_another():
    clock = FakeClock()
    pacer = Pacer(burst=1, interval=3.0, clock=clock, sleep=clock.sleep)
    sent: list[str] = []

    for n in range(3):
        await pacer.submit(1, appending(sent, f"flood{n}"))
    await pacer.submit(2, appending(sent, "other"))
    await pacer.close()
    assert sent.index("other") < sent.index("flood1")


async def test_a_failing_message_does_not_stop_the_ones_after_it(caplog):
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    sent = []

    async def broken():
        raise RuntimeError("a bug")

    async def fine():
        sent.append("fine")

    await pacer.submit(1, broken)
    await pacer.submit(1, fine)
    await pacer.close()
    assert sent == ["fine"] and "could not pass a message on" in caplog.text


async def test_beyond_the_queue_limit_the_sender_waits_its_turn():
    clock = FakeClock()
    pacer = Pacer(burst=1, interval=3.0, clock=clock, sleep=clock.sleep, queue_limit=2)
    release = asyncio.Event()
    sent = []

    def job(n: int):
        async def send():
            await release.wait()
            sent.append(n)
        return send

    for n in range(3):  # one being sent, two waiting: the queue is full
        await pacer.submit(1, job(n))
    fourth = asyncio.create_task(pacer.submit(1, job(3)))
    await asyncio.sleep(0.01)
    assert not fourth.done()
    release.set()
    await fourth
    await pacer.close()
    assert sent == [0, 1, 2, 3]
