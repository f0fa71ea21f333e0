"""Talking to a person, end to end: the real bot over real HTTP, the fake Bot API's forum and a
real redis-server. A person and counsellors write to each other; nothing reveals the person."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from zoneinfo import ZoneInfo

import pytest
from aiogram import Dispatcher
from redis.asyncio import Redis

from bot.config import load_config
from bot.conversations import Conversations
from bot.handoff import RedisTickets
from bot.stats import HANDOFF_PREFIX, RedisCounter
from bot.storage import RedisStore
from bot.telegram.app import build_bot, run_bot
from bot.telegram.handlers import register
from bot.telegram.handoff import Relay
from tests.conftest import PROJECT, TOKEN, FakeSleep
from tests.fake_botapi import BOT_USER, FakeBotAPI, bot_admin
from tests.test_telegram_e2e import (  # noqa: F401 - the fixture validates content once
    _shipped_content,
    callbacks,
    eventually,
    shipped_content_checked_once,
    tap,
    text_of,
)

GROUP = -1001234567890
COUNSELLOR = 5551
PERSON = 73519842
WARSAW = ZoneInfo("Europe/Warsaw")


class Now:
    """The clock that says whether counsellors are there (Monday noon in Warsaw unless set)."""

    def __init__(self):
        self.value = dt.datetime(2026, 11, 30, 12, 0, tzinfo=WARSAW)

    def __call__(self) -> dt.datetime:
        return self.value.astimezone(dt.UTC)


@pytest.fixture
def api(api):
    """The fake Bot API with the counsellors' forum group."""
    api.forum(GROUP)
    return api


@contextlib.asynccontextmanager
async def running(api: FakeBotAPI, redis_url: str | None, now=None, sleep=asyncio.sleep,
                  **env: str):
    values = {"BOT_TOKEN": TOKEN, "BOT_API_URL": api.url, "CONTENT_DIR": str(PROJECT),
              "CONTENT_RELOAD_SECONDS": "0", "HANDOFF_CHAT_ID": str(GROUP), **env}
    if redis_url:
        values["REDIS_URL"] = redis_url
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(load_config(values), stop, handle_signals=False,
                                       sleep=sleep, now=now or Now()))
    try:
        await api.wait_call("setMyCommands", 4)
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


def say_in(api: FakeBotAPI, chat: int, text: str | None = None, **kw) -> int:
    return api.push_message(chat, text, **kw)


async def say(api: FakeBotAPI, chat: int, text: str, **kw) -> str:
    before = len(api.sent(chat))
    api.push_message(chat, text, **kw)
    return text_of((await api.wait_sent(before + 1, chat))[-1])


def group_notices(api: FakeBotAPI, thread: int | None = None) -> list[str]:
    return [text_of(c) for c in api.sent(GROUP)
            if thread is None or int(c.params.get("message_thread_id") or 0) == thread]


async def connect(api: FakeBotAPI, person: int = PERSON, start: str = "/start en-PL",
                  **who) -> int:
    """The person opens a red-flag screen, asks for a person and starts: the topic's id."""
    await say(api, person, start, user_id=person, **who)
    screen = await tap(api, person, "n:red_flags_work", user_id=person, **who)
    assert "p" in callbacks(api.sent(person)[-1]), screen
    topics = len(api.topics)
    consent = await tap(api, person, "p", user_id=person, **who)
    assert "p:y" in callbacks(api.sent(person)[-1]), consent
    await tap(api, person, "p:y", user_id=person, **who)
    await eventually(lambda: len(api.topics) == topics + 1)
    thread = max(thread for chat, thread in api.topics if chat == GROUP)
    await eventually(lambda: len(group_notices(api, thread)) == 1)  # the opening notice
    return thread


async def counts(redis: Redis) -> dict[str, int]:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    raw = await redis.hgetall(f"{HANDOFF_PREFIX}staysafe:{today}")
    return {k.decode(): int(v) for k, v in raw.items()}


async def links(redis: Redis) -> list[str]:
    return sorted([k.decode() async for k in redis.scan_iter("ss:h[pt]:*")])


PHOTO = {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}],
         "caption": "my contract"}
VOICE = {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 3}}
DOCUMENT = {"document": {"file_id": "d1", "file_unique_id": "u3", "file_name": "scan.pdf"}}


async def test_the_whole_path_both_ways(api, redis, redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        (name,) = [t["name"] for (chat, th), t in api.topics.items() if th == thread]
        code = name.split(" · ")[0]
        assert name == f"{code} · en · PL"
        opened = group_notices(api, thread)[0]
        assert f"New conversation <b>{code}</b>. Language: English; country: Poland." in opened
        connected = text_of(api.sent(PERSON)[-1])
        assert connected.startswith("You are connected with <b>Stay Safe</b>")
        # The person writes: text, a photo, a voice message, a document.
        sent = [say_in(api, PERSON, "They took my passport", user_id=PERSON),
                say_in(api, PERSON, None, user_id=PERSON, extra=PHOTO),
                say_in(api, PERSON, None, user_id=PERSON, extra=VOICE),
                say_in(api, PERSON, None, user_id=PERSON, extra=DOCUMENT)]
        copies = await api.wait_copies(4, GROUP)
        assert [int(c.params["message_thread_id"]) for c in copies] == [thread] * 4
        held = api.messages[GROUP][-4:]
        assert [m.get("text") or m.get("caption") for m in held] == [
            "They took my passport", "my contract", None, None]
        assert "voice" in held[2] and "document" in held[3]
        assert len(sent) == 4 and api.sent(PERSON)[-1].params["text"] == connected  # no echo
        # A counsellor answers in the topic: text and a photo reach the person.
        say_in(api, GROUP, "Do you know where the passport is now?", user_id=COUNSELLOR,
               thread=thread, first_name="Olena")
        say_in(api, GROUP, None, user_id=COUNSELLOR, thread=thread, extra=PHOTO)
        replies = await api.wait_copies(2, PERSON)
        arrived = api.messages[PERSON][-2:]
        assert arrived[0]["text"] == "Do you know where the passport is now?"
        assert "photo" in arrived[1] and all(m["from"] == BOT_USER for m in arrived)
        for reply in replies:  # ending and help stay one tap away under each reply
            assert callbacks(reply) == ["p:x", "p:s"]
        info = say_in(api, GROUP, "/info", user_id=COUNSELLOR, thread=thread)
        await eventually(lambda: len(group_notices(api, thread)) == 2)
        assert info and group_notices(api, thread)[1] == (
            f"Conversation <b>{code}</b>. Language: English; country: Poland.")
        assert await links(redis) == [f"ss:hp:{PERSON}", f"ss:ht:{thread}"]
        # Help from under a reply: the helplines come as a new message, the reply stays.
        before = len(api.sent(PERSON))
        api.push_callback(PERSON, "p:s", message_id=arrived[0]["message_id"])
        shown = (await api.wait_sent(before + 1, PERSON))[-1]
        assert shown.method == "sendMessage" and "Helplines" in text_of(shown)
        # The person ends it.
        ended = await tap(api, PERSON, "p:x", user_id=PERSON)
        assert ended.startswith("The conversation has ended")
        await eventually(lambda: len(group_notices(api, thread)) == 3)
        assert group_notices(api, thread)[2].startswith("The person ended the conversation")
        await eventually(lambda: api.topics[(GROUP, thread)]["closed"])
        assert await links(redis) == []
    assert await counts(redis) == {"opened": 1, "answered": 1, "ended": 1}


async def test_stats_shows_the_conversations_to_an_admin(api, redis, redis_url):
    async with running(api, redis_url, ADMIN_IDS="5001"):
        await connect(api)
        table = await say(api, 5001, "/stats", user_id=5001)
    table = table.removesuffix("</pre>")
    section = table[table.index("Talking to a person, last 30 day(s)"):].splitlines()
    assert section[2].split() == ["staysafe", "1", "0", "0"]


async def test_nothing_in_the_counsellors_group_names_the_person(api, redis, redis_url):
    person = {"first_name": "Оксана", "username": "oksana_k"}
    async with running(api, redis_url):
        thread = await connect(api, **person)
        say_in(api, PERSON, "Мене звати Оксана", user_id=PERSON, **person)
        say_in(api, PERSON, None, user_id=PERSON, extra=PHOTO, **person)
        await api.wait_copies(2, GROUP)
        say_in(api, GROUP, "/info", user_id=COUNSELLOR, thread=thread)
        await eventually(lambda: len(group_notices(api, thread)) == 2)
        await tap(api, PERSON, "p:x", user_id=PERSON, **person)
        await eventually(lambda: len(group_notices(api, thread)) == 3)
    assert not [c for c in api.calls if c.method == "forwardMessage"]
    to_group = [c for c in api.calls if str(c.params.get("chat_id")) == str(GROUP)]
    assert {c.method for c in to_group} >= {"createForumTopic", "sendMessage", "copyMessage"}
    for call in to_group:
        # from_chat_id tells Telegram where to copy from; the group never sees it.
        shown = {k: v for k, v in call.params.items() if k != "from_chat_id"}
        text = json.dumps(shown, ensure_ascii=False)
        for personal in (str(PERSON), "Оксана", "oksana_k"):
            assert personal not in text, (call.method, text)
    for message in api.messages[GROUP]:
        if message["from"]["id"] == BOT_USER["id"]:  # what the bot put there
            text = json.dumps(message, ensure_ascii=False)
            assert str(PERSON) not in text and "oksana_k" not in text
            assert "Оксана" not in json.dumps(message.get("from"), ensure_ascii=False)


async def test_a_reply_after_forget_reaches_nobody_and_redis_holds_no_link(api, redis,
                                                                          redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        confirm = await say(api, PERSON, "/forget", user_id=PERSON)
        assert confirm.startswith("Delete everything the bot remembers")
        await eventually(lambda: len(group_notices(api, thread)) == 2)
        assert group_notices(api, thread)[1].startswith("The person ended the conversation")
        await tap(api, PERSON, "f:y", user_id=PERSON)
        copies_before = len(api.copies(PERSON))
        say_in(api, GROUP, "Are you still there?", user_id=COUNSELLOR, thread=thread)
        await eventually(lambda: len(group_notices(api, thread)) == 3)
        assert group_notices(api, thread)[2] == ("This conversation has ended: your message "
                                                 "was not delivered.")
        assert len(api.copies(PERSON)) == copies_before == 0
        keys = [k.decode() async for k in redis.scan_iter("*")]
        assert not [k for k in keys if str(PERSON) in k or k.startswith(("ss:hp:", "ss:ht:"))]
        for key in keys:
            if (await redis.type(key)) == b"hash":
                assert str(PERSON).encode() not in b"".join(
                    k + v for k, v in (await redis.hgetall(key)).items())
            else:
                assert str(PERSON).encode() not in (await redis.get(key) or b"")


async def test_the_counsellors_own_topics_are_left_alone(api, redis, redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        say_in(api, GROUP, "Who takes the next one?", user_id=COUNSELLOR, thread=9)
        say_in(api, GROUP, "/end", user_id=COUNSELLOR, thread=9)
        say_in(api, GROUP, "Hello from the team", user_id=COUNSELLOR, thread=thread)
        await api.wait_copies(1, PERSON)  # handled after the two before it
    assert group_notices(api, 9) == [] and len(api.copies(PERSON)) == 1


async def test_a_message_that_cannot_be_copied_is_said_so(api, redis, redis_url):
    async with running(api, redis_url):
        await connect(api)
        before = len(api.sent(PERSON))
        say_in(api, PERSON, None, user_id=PERSON,
               extra={"giveaway": {"chats": [], "winners_selection_date": 0,
                                   "winner_count": 1}})
        notice = (await api.wait_sent(before + 1, PERSON))[-1]
        assert text_of(notice).startswith("This message could not be passed on")
        assert callbacks(notice) == ["p:x", "p:s"] and api.copies(GROUP) == []


async def test_outside_hours_it_says_when_and_shows_the_helplines(api, redis, redis_url):
    now = Now()
    now.value = dt.datetime(2026, 12, 5, 11, 0, tzinfo=WARSAW)  # a Saturday
    async with running(api, redis_url, now=now):
        await say(api, PERSON, "/start uk-PL", user_id=PERSON)
        await tap(api, PERSON, "n:work_trouble", user_id=PERSON)
        before = len(api.sent(PERSON))
        api.push_callback(PERSON, "p", user_id=PERSON)
        notice, helplines = (await api.wait_sent(before + 2, PERSON))[-2:]
        assert text_of(notice) == (
            "Консультанти організації <b>Stay Safe</b> відповідають пн–пт 9:00–17:00 (за "
            "центральноєвропейським часом) — напишіть їм, будь ласка, у цей час. Якщо допомога "
            "потрібна зараз, зателефонуйте на одну з гарячих ліній нижче.")
        assert "Телефони допомоги" in text_of(helplines)
        assert "+48 22 628 01 20" in [b["copy_text"]["text"] for row in
                                      helplines.params["reply_markup"]["inline_keyboard"]
                                      for b in row if "copy_text" in b]
        now.value = dt.datetime(2026, 12, 7, 9, 30, tzinfo=WARSAW)  # Monday morning
        consent = await tap(api, PERSON, "p", user_id=PERSON)
        assert "Це не служба екстреної допомоги" in consent and "112" in consent
    assert not [c for c in api.calls if c.method == "createForumTopic"]


async def test_the_bot_removed_from_the_group_ends_every_conversation(api, redis, redis_url,
                                                                      caplog):
    other = PERSON + 1
    async with running(api, redis_url):
        await connect(api)
        await connect(api, other, "/start ru-DE")
        api.removed.add(GROUP)
        api.push_my_chat_member(GROUP, {"status": "kicked", "user": BOT_USER,
                                        "until_date": 0}, by=COUNSELLOR)
        await eventually(lambda: "Sorry, the counsellors cannot be reached right now" in
                         text_of(api.sent(PERSON)[-1]))
        await eventually(lambda: "К сожалению, сейчас связаться с консультантами" in
                         text_of(api.sent(other)[-1]))
        assert await links(redis) == []
        screen = await tap(api, PERSON, "n:red_flags_work", user_id=PERSON)
        assert "p" not in callbacks(api.sent(PERSON)[-1]), screen  # no offer any more
        # Made an admin who may manage topics again: the offer is back.
        api.removed.discard(GROUP)
        api.push_my_chat_member(GROUP, bot_admin(True), by=COUNSELLOR)
        await eventually(lambda: "talking to a person is on" in caplog.text)
        await tap(api, PERSON, "n:red_flags_offer", user_id=PERSON)
        assert "p" in callbacks(api.sent(PERSON)[-1])
    assert "talking to a person is off: the bot was removed from the counsellors' group; " \
           "2 open conversation(s) ended" in caplog.text
    assert await counts(redis) == {"opened": 2, "ended": 2}


async def test_a_group_that_refuses_the_bot_ends_the_conversation_it_was_for(api, redis,
                                                                             redis_url):
    """Removed without the update reaching the bot: the next copy there says so (403)."""
    async with running(api, redis_url):
        await connect(api)
        api.removed.add(GROUP)
        say_in(api, PERSON, "hello?", user_id=PERSON)
        await eventually(lambda: text_of(api.sent(PERSON)[-1]).startswith(
            "Sorry, the counsellors cannot be reached"))
        assert await links(redis) == []


async def test_a_person_who_blocked_the_bot_ends_the_conversation(api, redis, redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        api.blocked.add(PERSON)
        say_in(api, GROUP, "How are you?", user_id=COUNSELLOR, thread=thread)
        await eventually(lambda: len(group_notices(api, thread)) == 2)
        assert group_notices(api, thread)[1] == (
            "The person has blocked the bot, so messages can no longer reach them. The "
            "conversation has ended.")
        await eventually(lambda: api.topics[(GROUP, thread)]["closed"])
        assert await links(redis) == []
    assert await counts(redis) == {"opened": 1, "ended": 1}


async def test_a_person_who_blocks_the_bot_is_noticed_at_once(api, redis, redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        api.blocked.add(PERSON)
        api.push_my_chat_member(PERSON, {"status": "kicked", "user": BOT_USER, "until_date": 0},
                                by=PERSON, old={"status": "member", "user": BOT_USER})
        await eventually(lambda: len(group_notices(api, thread)) == 2)
        assert group_notices(api, thread)[1].startswith("The person has blocked the bot")
        assert await links(redis) == []


async def test_a_deleted_topic_ends_the_conversation_and_the_person_is_told(api, redis,
                                                                           redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        api.deleted_topics.add((GROUP, thread))
        say_in(api, PERSON, "are you there?", user_id=PERSON)
        await eventually(lambda: text_of(api.sent(PERSON)[-1]).startswith(
            "Sorry, the counsellors cannot be reached"))
        assert callbacks(api.sent(PERSON)[-1]) == ["h", "s"]
        assert await links(redis) == []
        say_in(api, PERSON, "work", user_id=PERSON)  # the bot answers as before
        await eventually(lambda: "Were you looking for" in text_of(api.sent(PERSON)[-1]))


async def test_counsellors_end_with_end_or_by_closing_the_topic(api, redis, redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        say_in(api, GROUP, "/end", user_id=COUNSELLOR, thread=thread)
        await eventually(lambda: text_of(api.sent(PERSON)[-1]).startswith(
            "The counsellors have ended the conversation"))
        await eventually(lambda: api.topics[(GROUP, thread)]["closed"])
        assert group_notices(api, thread)[-1] == ("The conversation has ended, and the "
                                                   "person has been told.")
        second = await connect(api)
        api.push_topic_closed(GROUP, second, COUNSELLOR)
        await eventually(lambda: len(group_notices(api, second)) == 2)
        assert text_of(api.sent(PERSON)[-1]).startswith("The counsellors have ended")
        assert await links(redis) == []
    assert await counts(redis) == {"opened": 2, "ended": 2}


async def test_counsellors_replies_arrive_in_the_order_they_were_written(api, redis, redis_url):
    async with running(api, redis_url):
        thread = await connect(api)
        for n in range(12):
            say_in(api, GROUP, f"reply {n}", user_id=COUNSELLOR, thread=thread)
        await api.wait_copies(12, PERSON)
    assert [m["text"] for m in api.messages[PERSON] if m.get("text", "").startswith("reply")
            ] == [f"reply {n}" for n in range(12)]


async def test_a_person_who_floods_is_slowed_not_dropped(api, redis, redis_url):
    sleep = FakeSleep()
    async with running(api, redis_url, sleep=sleep):
        await connect(api)
        ids = [say_in(api, PERSON, f"message {n}", user_id=PERSON) for n in range(15)]
        copies = await api.wait_copies(15, GROUP)
        slowed = [text_of(c) for c in api.sent(PERSON) if "one by one" in text_of(c)]
    assert len(ids) == 15
    assert [m["text"] for m in api.messages[GROUP] if m.get("is_topic_message")
            and m["text"].startswith("message")] == [f"message {n}" for n in range(15)]
    assert [int(c.params["message_id"]) for c in copies] == sorted(
        int(c.params["message_id"]) for c in copies)
    assert len(slowed) == 1  # told once, not for every message
    assert len(sleep.asked) >= 10 and all(0 < s <= 40 for s in sleep.asked)


async def test_start_up_says_what_is_missing_and_serves_without_it(api, redis, redis_url,
                                                                  caplog):
    api.forum(GROUP, is_forum=False, can_manage_topics=False)
    with caplog.at_level(logging.WARNING):
        async with running(api, redis_url):
            screen = await tap(api, PERSON, "n:red_flags_work", user_id=PERSON,
                               language_code="en")
            assert "p" not in callbacks(api.sent(PERSON)[-1]), screen
    (line,) = [r.getMessage() for r in caplog.records if "talking to a person" in
               r.getMessage()]
    assert line == ("talking to a person is off: Topics are off in the group (turn them on in "
                    "its settings); the bot, an admin, may not manage topics (give it that "
                    "right) (see docs/handoff.md); the bot runs without it")


async def test_an_unknown_group_is_named_in_one_line(api, redis_url, caplog):
    with caplog.at_level(logging.WARNING):
        async with running(api, redis_url, HANDOFF_CHAT_ID="-1009999999999"):
            pass
    assert ("talking to a person is off: Telegram does not show the bot the HANDOFF_CHAT_ID "
            "group (Bad Request: chat not found)") in caplog.text


async def test_without_handoff_chat_id_the_button_never_appears(api, redis, redis_url):
    async with running(api, redis_url, HANDOFF_CHAT_ID=""):
        for node in ("helplines", "red_flags", "red_flags_work", "job_check_high",
                     "work_trouble"):
            await tap(api, PERSON, f"n:{node}", user_id=PERSON)
            assert "p" not in callbacks(api.sent(PERSON)[-1])
        assert (await tap(api, PERSON, "p", user_id=PERSON)).startswith(
            "Ця кнопка вже не діє")
    assert not [c for c in api.calls if c.method in ("getChat", "createForumTopic")]


async def test_without_redis_the_tickets_live_in_memory(api):
    async with running(api, None):
        thread = await connect(api)
        say_in(api, PERSON, "hello", user_id=PERSON)
        await api.wait_copies(1, GROUP)
        say_in(api, GROUP, "hello to you", user_id=COUNSELLOR, thread=thread)
        await api.wait_copies(1, PERSON)


async def test_two_replicas_share_the_tickets(api, redis, redis_url):
    """Two bots on one Redis (as behind a webhook): the person writes to one, counsellors to
    the other; the conversation is the same."""
    engine, _, _ = _shipped_content()
    replicas = []
    for _ in range(2):
        config = load_config({"BOT_TOKEN": TOKEN, "BOT_API_URL": api.url,
                              "CONTENT_DIR": str(PROJECT), "REDIS_URL": redis_url})
        bot = build_bot(config)
        conversations = Conversations(engine, RedisStore.from_url(redis_url, 3600),
                                      now=Now())
        relay = Relay(conversations, RedisTickets.from_url(redis_url, 3600),
                      RedisCounter.from_url(redis_url, prefix=HANDOFF_PREFIX), GROUP,
                      dt.timedelta(hours=1))
        dispatcher = register(Dispatcher(disable_fsm=True), conversations, frozenset(), relay)
        await relay.start(bot, await bot.get_me())
        replicas.append((bot, dispatcher, relay, conversations))

    async def feed(replica: int, update: dict) -> None:
        bot, dispatcher, *_ = replicas[replica]
        await dispatcher.feed_raw_update(bot, {"update_id": 1, **update})

    def tap_update(data: str) -> dict:
        return {"callback_query": {"id": "1", "chat_instance": "1", "data": data,
                                   "from": {"id": PERSON, "is_bot": False, "first_name": "T",
                                            "language_code": "en"},
                                   "message": {"message_id": 1, "date": 0, "text": "…",
                                               "chat": {"id": PERSON, "type": "private"}}}}

    try:
        await feed(0, api.message_update(PERSON, "/start en-PL"))
        await feed(1, tap_update("n:red_flags_work"))
        await feed(0, tap_update("p:y"))
        (thread,) = [t for (chat, t) in api.topics if chat == GROUP]
        api.faults["copyMessage"] = [("delay", 0.3)]  # the first replica's copy is slow
        await feed(0, api.message_update(PERSON, "first, to the first replica"))
        await feed(1, api.message_update(PERSON, "then to the second replica"))
        await api.wait_copies(2, GROUP)
        # Each update is answered once its message is in the topic, so the next one, on
        # whichever replica, cannot overtake it.
        assert [m["text"] for m in api.messages[GROUP]
                if m.get("text", "").endswith("replica")] == [
            "first, to the first replica", "then to the second replica"]
        await feed(0, api.message_update(GROUP, "answered on the first", user_id=COUNSELLOR,
                                         thread=thread))
        await api.wait_copies(1, PERSON)
        await feed(1, api.message_update(GROUP, "/end", user_id=COUNSELLOR, thread=thread))
        assert text_of(api.sent(PERSON)[-1]).startswith("The counsellors have ended")
        await feed(0, api.message_update(GROUP, "late", user_id=COUNSELLOR, thread=thread))
        assert group_notices(api, thread)[-1].startswith("This conversation has ended")
        assert len(api.copies(PERSON)) == 1
        assert await links(redis) == []
    finally:
        for bot, _dispatcher, relay, conversations in replicas:
            await relay.close()
            await conversations.store.close()
            await bot.session.close()
    assert await counts(redis) == {"opened": 1, "answered": 1, "ended": 1}


async def test_debug_logs_carry_no_text_id_name_or_username(api, redis_url, caplog):
    person = {"first_name": "Оксана", "username": "oksana_k"}
    caplog.set_level(logging.DEBUG)
    async with running(api, redis_url):
        thread = await connect(api, **person)
        say_in(api, PERSON, "Мене звати Оксана, мені погрожують", user_id=PERSON, **person)
        await api.wait_copies(1, GROUP)
        say_in(api, GROUP, "Де ви зараз?", user_id=COUNSELLOR, thread=thread,
               first_name="Olena", username="olena_counsellor")
        await api.wait_copies(1, PERSON)
        say_in(api, GROUP, "/info", user_id=COUNSELLOR, thread=thread)
        await eventually(lambda: len(group_notices(api, thread)) == 2)
        await say(api, PERSON, "/forget", user_id=PERSON, **person)
    (name,) = [t["name"] for t in api.topics.values()]
    assert len(caplog.records) > 10
    formatter = logging.Formatter()
    for record in caplog.records:
        text = record.getMessage() + (formatter.formatException(record.exc_info)
                                      if record.exc_info else "")
        for personal in (str(PERSON), str(GROUP), str(COUNSELLOR), "Оксана",
                         "oksana_k", "погрожують", "Де ви", "Olena", "olena_counsellor",
                         name.split(" · ")[0]):
            assert personal not in text, (personal, text)
