"""The real bot, over real HTTP, against a fake Bot API server and a real redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import html
import itertools
import json
import logging
import re
import shutil

import pytest
from redis.asyncio import Redis

from bot.config import load_config
from bot.content.loader import load_catalog
from bot.ops.metrics import Metrics
from bot.publish import load_checked
from bot.storage import KEY_PREFIX
from bot.telegram import app
from bot.telegram.app import run_bot
from bot.telegram.handlers import STATS_PRIVATE_ONLY
from tests.conftest import PROJECT, TOKEN, FakeSleep
from tests.fake_botapi import FakeBotAPI
from tests.redis_server import RedisServer

CATALOG, _ = load_catalog(PROJECT)


@functools.cache
def _shipped_content():
    return load_checked(PROJECT)


@pytest.fixture(autouse=True)
def shipped_content_checked_once(monkeypatch):
    """Start-up validates its content (a fifth of a second); the shipped content, unchanged
    between tests, is validated once per run. Other folders are validated at every start."""
    monkeypatch.setattr(app, "load_checked",
                        lambda root: _shipped_content() if root == PROJECT else load_checked(root))


@contextlib.asynccontextmanager
async def running(api: FakeBotAPI, redis_url: str | None, sleep=asyncio.sleep,
                  metrics: Metrics | None = None, **env: str):
    values = {"BOT_TOKEN": TOKEN, "BOT_API_URL": api.url, "CONTENT_DIR": str(PROJECT),
              "CONTENT_RELOAD_SECONDS": "0", **env}
    if redis_url:
        values["REDIS_URL"] = redis_url
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(load_config(values), stop, handle_signals=False,
                                       sleep=sleep, metrics=metrics))
    try:
        await api.wait_call("setMyCommands", 4)
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


def title(node: str, lang: str) -> str:
    return str(CATALOG.texts[lang][node].title)


def text_of(call) -> str:
    return str(call.params.get("text", ""))


def callbacks(call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
            if "callback_data" in b]


async def say(api: FakeBotAPI, chat: int, text: str, **kw) -> str:
    before = len(api.sent(chat))
    api.push_message(chat, text, **kw)
    return text_of((await api.wait_sent(before + 1, chat))[-1])


async def tap(api: FakeBotAPI, chat: int, data: str, **kw) -> str:
    before = len(api.sent(chat))
    api.push_callback(chat, data, **kw)
    return text_of((await api.wait_sent(before + 1, chat))[-1])


async def eventually(check, timeout: float = 15.0) -> None:
    """Wait until ``check()`` holds (for answers that come as several messages)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_every_screen_is_reachable_by_real_buttons_from_the_start(api, redis, redis_url,
                                                                        lang):
    """Breadth first over the buttons the bot really sent, from /start and the language picker.

    Each button of a screen is tapped by a new person who stands exactly where the screen was
    shown (their session is a copy of the one that showed it), so a tap acts as it would for
    the person who saw that screen. Each button is followed once, except quiz answers, which
    are followed along every path: the score behind the result screens is not on the screen.
    """
    chats = itertools.count(10_000 * (1 + CATALOG.settings.languages.index(lang)))
    first = next(chats)

    at_once = asyncio.Semaphore(50)  # people tapping at the same time (the quiz has many paths)
    metrics = Metrics()

    def idle() -> bool:
        """Every update's turn has ended: its session is written (after its answers)."""
        return metrics.registry.get_sample_value("stay_safe_updates_in_flight") == 0

    async def follow(chat: int, data: str) -> tuple[int, object]:
        async with at_once:
            person = next(chats)
            await redis.copy(f"{KEY_PREFIX}{chat}", f"{KEY_PREFIX}{person}")
            await tap(api, person, data)
            return person, api.sent(person)[-1]

    async with running(api, redis_url, metrics=metrics):
        picker = await say(api, first, "/start", language_code=None)
        assert "Оберіть мову" in picker and "Choose your language" in picker
        assert f"l:{lang}" in callbacks(api.sent(first)[-1])
        frontier = [(first, f"l:{lang}")]
        tapped: set[str] = set()
        shown: list[str] = []
        while frontier:
            await eventually(idle)
            screens = await asyncio.gather(*(follow(chat, data) for chat, data in frontier))
            frontier = []
            for chat, screen in screens:
                assert screen.params.get("parse_mode") == "HTML"
                shown.append(text_of(screen))
                for data in callbacks(screen):
                    if data in tapped or (data.startswith("l:") and data != f"l:{lang}"):
                        continue
                    if not data.startswith("q:"):
                        tapped.add(data)
                    frontier.append((chat, data))
    assert title("country", lang) in shown[0]  # the country is asked right after the language
    assert [n for n in CATALOG.nodes if not any(title(n, lang) in t for t in shown)] == []


async def test_profile_is_set_for_every_language(api, redis_url):
    async with running(api, redis_url):
        commands = await api.wait_call("setMyCommands", 4)
        assert [c.params.get("language_code") for c in commands] == ["uk", "ru", "en", None]
        names = [c["command"] for c in commands[0].params["commands"]]
        assert names == ["start", "menu", "sos", "help", "language", "country", "forget"]
        described = await api.wait_call("setMyShortDescription", 4)
        assert "безпечна робота" in described[0].params["short_description"]


async def test_helplines_numbers_are_copy_buttons(api, redis_url):
    async with running(api, redis_url):
        await say(api, 7, "/start uk-PL")
        await tap(api, 7, "s")
        markup = api.sent(7)[-1].params["reply_markup"]
        copies = [b["copy_text"]["text"] for row in markup["inline_keyboard"] for b in row
                  if "copy_text" in b]
        assert copies == ["112", "+48 22 628 01 20", "+48 605 687 750", "512 105 371",
                          "116 111", "116 000", "459 599 000", "+38 044 238 1588"]


async def test_a_failing_spinner_answer_never_holds_back_the_screen(api, redis_url, caplog):
    # Real sleeps: a retried answer would really wait, and the screen would come late or never.
    async with running(api, redis_url):
        await say(api, 24, "/start en")
        api.faults["answerCallbackQuery"] = [("500",)] * 4
        api.push_callback(24, "n:work", message_id=5)
        edited = (await api.wait_sent(2, 24, timeout=10))[-1]
        assert edited.method == "editMessageText" and title("work", "en") in text_of(edited)
        await api.wait_call("answerCallbackQuery")  # beside the screen: it may come after it
        api.faults["answerCallbackQuery"] = [("429", 30)]
        api.push_callback(24, "n:work_wage", message_id=5)
        # Sooner than the 30 s Telegram asked to wait before answering that query again.
        edited = (await api.wait_sent(3, 24, timeout=10))[-1]
        assert title("work_wage", "en") in text_of(edited)
    assert len([c for c in api.calls if c.method == "answerCallbackQuery"]) == 2  # no retries
    assert "could not answer a button tap (TelegramServerError)" in caplog.text
    assert "could not answer a button tap (TelegramRetryAfter)" in caplog.text


async def test_tap_edits_the_message_and_always_answers_the_query(api, redis_url):
    async with running(api, redis_url):
        await say(api, 8, "/start en")
        api.push_callback(8, "n:work", message_id=77)
        edited = (await api.wait_sent(2, 8))[-1]
        assert edited.method == "editMessageText" and int(edited.params["message_id"]) == 77
        answers = await api.wait_call("answerCallbackQuery")
        assert len(answers) == 1


async def test_stale_and_garbage_buttons_lead_somewhere_sensible(api, redis_url):
    async with running(api, redis_url):
        await say(api, 9, "/start en")
        stale = await tap(api, 9, "n:screen_removed_last_year")
        assert stale.startswith("This button is out of date")
        old_quiz = await tap(api, 9, "q:job_check:3:1")
        assert title("job_check", "en") in old_quiz
        garbage = await tap(api, 9, "\x00🙂" * 10)
        assert title("home", "en") in garbage
        await api.wait_call("answerCallbackQuery", 3)


async def test_a_restart_keeps_everyones_place(api, redis, redis_url):
    async with running(api, redis_url):
        await say(api, 10, "/start ru-PL")
        await tap(api, 10, "n:work")
        await tap(api, 10, "n:work_wage")
    async with running(api, redis_url):
        back = await tap(api, 10, "b")
        assert title("work", "ru") in back
        wage = await tap(api, 10, "n:work_wage")
        assert "Минимальная зарплата в Польше" in wage


async def test_session_holds_no_personal_data_and_its_ttl_is_refreshed(api, redis, redis_url):
    async with running(api, redis_url, SESSION_TTL_DAYS="30"):
        await say(api, 11, "/start uk-PL", user_id=11)
        await say(api, 11, "Мене звати Оксана, шукаю роботу")
        keys = [k.decode() async for k in redis.scan_iter("*")]
        assert keys == ["ss:s:11"]
        raw = (await redis.get("ss:s:11")).decode()
        assert json.loads(raw)["l"] == "uk" and "Оксана" not in raw and "Test" not in raw
        assert len(raw.encode()) < 512
        await redis.expire("ss:s:11", 100)
        await tap(api, 11, "n:work")
        assert 29 * 86400 < await redis.ttl("ss:s:11") <= 30 * 86400


async def test_redis_killed_and_restarted(api, tmp_path, monkeypatch):
    # Try Redis again at every update instead of 2 s later: no waiting in the test.
    monkeypatch.setattr("bot.storage.REDIS_RETRY_SECONDS", 0.0)
    server = RedisServer(tmp_path / "redis").start()
    client = Redis.from_url(server.url)
    try:
        async with running(api, server.url):
            await say(api, 12, "/start en-DE")
            server.stop()
            during = await tap(api, 12, "n:work")
            assert title("work", "en") in during
            during = await tap(api, 12, "n:work_wage")
            assert "Germany" in during
            server.start()
            after = await tap(api, 12, "b")
            assert title("work", "en") in after  # the place reached during the outage
            stored = json.loads(await client.get("ss:s:12"))
            assert stored["n"] == "work" and stored["c"] == "DE"
    finally:
        await client.aclose()
        server.stop()


async def test_429_5xx_and_proxy_pages_are_retried_after_the_wait_asked(api, redis_url):
    sleep = FakeSleep()
    metrics = Metrics()
    async with running(api, redis_url, sleep=sleep, metrics=metrics):
        api.faults["sendMessage"] = [("429", 7), ("500",), ("html502",)]
        shown = await say(api, 13, "/start en-PL")
        assert title("home", "en") in shown
        assert len([c for c in api.calls if c.method == "sendMessage"]) == 4
    assert sleep.asked == [7, 0.5, 1.0]  # retry_after as Telegram asked, then a growing delay
    counted = {(s.labels["status"], s.value) for f in metrics.registry.collect()
               for s in f.samples if s.name == "stay_safe_bot_api_requests_total"
               and s.labels["method"] == "sendMessage"}
    assert counted == {("429", 1), ("5xx", 1), ("bad_response", 1), ("200", 1)}
    retries = {s.labels["reason"]: s.value for f in metrics.registry.collect()
               for s in f.samples if s.name == "stay_safe_bot_api_retries_total"}
    assert retries == {"429": 1, "5xx": 1, "bad_response": 1}


async def test_a_person_who_blocked_the_bot_does_not_stop_it(api, redis_url):
    async with running(api, redis_url):
        api.faults["sendMessage"] = [("403",)]
        api.push_message(14, "/start")
        await api.wait_call("sendMessage", 1)
        assert title("home", "uk") in await say(api, 15, "/start uk-PL")


async def test_harmless_400s_are_ignored(api, redis_url):
    async with running(api, redis_url):
        await say(api, 16, "/start en")
        api.faults["answerCallbackQuery"] = [("400", "query is too old and response timeout "
                                                     "expired or query ID is invalid")]
        assert title("work", "en") in await tap(api, 16, "n:work")
        api.faults["editMessageText"] = [("400", "message is not modified: specified new "
                                                 "message content and reply markup are exactly "
                                                 "the same")]
        api.push_callback(16, "n:work")
        await api.wait_call("editMessageText", 2)
        await asyncio.sleep(0.3)
        assert [c.method for c in api.sent(16)].count("sendMessage") == 1


@pytest.mark.parametrize("extra", [
    {"sticker": {"file_id": "x", "file_unique_id": "y", "type": "regular", "width": 1,
                 "height": 1, "is_animated": False, "is_video": False}},
    {"photo": [{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}]},
    {"voice": {"file_id": "x", "file_unique_id": "y", "duration": 1}},
    {"location": {"latitude": 50.45, "longitude": 30.52}},
    {"document": {"file_id": "x", "file_unique_id": "y"}},
], ids=["sticker", "photo", "voice", "location", "document"])
async def test_non_text_gets_a_friendly_answer_and_the_menu(api, redis_url, extra):
    async with running(api, redis_url):
        await say(api, 17, "/start ru")
        answer = await say(api, 17, None, extra=extra)
        assert answer.startswith("Я понимаю только текст и кнопки")
        assert "n:work" in callbacks(api.sent(17)[-1])


async def test_in_groups_the_bot_speaks_only_when_commanded(api, redis_url):
    async with running(api, redis_url):
        group = -500
        api.push_message(group, "всем привет", user_id=21, chat_type="group")
        api.push_message(group, "/sos@some_other_bot", user_id=21, chat_type="group")
        shown = await say(api, group, "/sos@staysafe_test_bot", user_id=21, chat_type="group")
        assert title("helplines", "uk") in shown
        await asyncio.sleep(0.3)
        assert len(api.sent(group)) == 1


async def test_unknown_commands_and_broken_payloads_reach_the_start(api, redis_url):
    async with running(api, redis_url):
        unknown = await say(api, 18, "/frobnicate", language_code="en")
        assert unknown.startswith("There is no such command")
        for payload in ("%%%", "x" * 80, "en-QQ-nowhere-at-all"):
            assert title("home", "en") in await say(api, 18, f"/start {payload}")


async def test_forget_me_erases_the_session(api, redis, redis_url):
    async with running(api, redis_url):
        await say(api, 19, "/start en-PL")
        assert await redis.exists("ss:s:19")
        await say(api, 19, "/forget")
        gone = await tap(api, 19, "f:y")
        assert gone.startswith("Done: your data has been deleted")
        assert not await redis.exists("ss:s:19")


async def test_without_redis_sessions_live_in_memory(api, caplog):
    with caplog.at_level("WARNING"):
        async with running(api, None):
            await say(api, 20, "/start en-PL")
            assert title("work", "en") in await tap(api, 20, "n:work")
    assert "REDIS_URL is not set" in caplog.text


async def test_telegram_down_at_start_up_is_waited_for_longer_each_time(api, redis_url,
                                                                       caplog):
    # More failures than one call's retries: start-up itself must keep waiting.
    api.faults["getMe"] = [("500",), ("html502",)] * 4 + [("500",)]
    sleep = FakeSleep()
    with caplog.at_level("WARNING"):
        async with running(api, redis_url, sleep=sleep):
            assert title("home", "en") in await say(api, 22, "/start en-PL")
    assert "Telegram is not reachable yet" in caplog.text
    retries = [0.5, 1.0, 2.0]  # each getMe's own retries
    assert sleep.asked == [*retries, 1.0, *retries, 2.0, 0.5]


async def test_content_changes_go_live_and_broken_ones_are_refused(api, redis_url, tmp_path,
                                                                   caplog):
    caplog.set_level(logging.INFO, "stay_safe.content")
    root = tmp_path / "live"
    shutil.copytree(PROJECT / "flows", root / "flows")
    shutil.copytree(PROJECT / "content", root / "content")
    texts = root / "content/en/work.yaml"
    metrics = Metrics()

    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    def version() -> str:
        (family,) = [f for f in metrics.registry.collect() if f.name == "stay_safe_content"]
        return family.samples[0].labels["version"]

    async with running(api, redis_url, metrics=metrics, CONTENT_DIR=str(root),
                       CONTENT_RELOAD_SECONDS="0.1"):
        await say(api, 23, "/start en")
        first = version()
        texts.write_text(texts.read_text().replace("🔎 Check an agency", "🔎 Check the agency"))
        await eventually(lambda: "content reloaded" in caplog.text)
        assert "Check the agency" in await tap(api, 23, "n:work_agency")
        assert sample("stay_safe_content_reloads_total", result="accepted") == 1
        second = version()
        assert second != first and len(second) == 12
        texts.write_text("work_agency: [this is: not valid\n")
        await eventually(lambda: "content change refused" in caplog.text)
        assert "Check the agency" in await tap(api, 23, "n:work_agency")
        assert sample("stay_safe_content_reloads_total", result="refused") == 1
        assert version() == second  # still serving the last good one


async def test_a_burst_of_people_does_not_look_like_a_redis_outage(api, redis, redis_url,
                                                                      caplog):
    # Regression: redis-py's default pool refuses more than 100 connections at once, which
    # made the store fall back to memory under a burst.
    async with running(api, redis_url):
        replies = [api.next_reply(chat) for chat in range(1000, 1150)]
        for chat in range(1000, 1150):
            api.push_message(chat, "/start en-PL")
        await asyncio.wait_for(asyncio.gather(*replies), timeout=60)
    assert "Redis is unreachable" not in caplog.text
    assert len([k async for k in redis.scan_iter("ss:s:*")]) == 150


@pytest.mark.parametrize("campaign", sorted(CATALOG.campaigns))
async def test_every_campaign_link_opens_its_language_country_and_topic(api, redis, redis_url,
                                                                        campaign):
    spec = CATALOG.campaigns[campaign]
    async with running(api, redis_url):
        shown = await say(api, 40, f"/start {campaign}", language_code="en")
        assert title(spec.topic, spec.lang) in shown
        stored = json.loads(await redis.get("ss:s:40"))
        assert (stored["l"], stored["c"], stored["n"], stored["g"]) == (
            spec.lang, spec.country, spec.topic, campaign)


@pytest.mark.parametrize("payload", ["", "plw%rk", "x" * 65, "-", "PL-WORK-extra-extra"])
async def test_damaged_empty_and_long_payloads_reach_a_working_start(api, redis_url, payload):
    async with running(api, redis_url):
        shown = await say(api, 41, f"/start {payload}".strip(), language_code="ru")
        # The country question for a new person, home for one who was here, or the topic.
        assert any(title(node, "ru") in shown for node in ("country", "home", "work"))
        assert callbacks(api.sent(41)[-1])


async def test_a_typed_short_code_works_when_the_link_lost_its_payload(api, redis, redis_url):
    async with running(api, redis_url):
        await say(api, 42, "/start", language_code=None)   # Telegram Desktop: no payload
        shown = await say(api, 42, "pl-reg")
        assert title("registration", "uk") in shown and "PESEL UKR" in shown


async def test_counters_move_and_redis_holds_no_user_or_chat_id(api, redis, redis_url):
    chat_ids = [987654321, 987654322]
    async with running(api, redis_url):
        await say(api, chat_ids[0], "/start desos", user_id=chat_ids[0])
        await tap(api, chat_ids[0], "n:work", user_id=chat_ids[0])
        await say(api, chat_ids[1], "DE-SOS", user_id=chat_ids[1])
    today = dt.datetime.now(dt.UTC).date().isoformat()
    counts = {k.decode(): int(v) for k, v in (await redis.hgetall(f"ss:c:desos:{today}")).items()}
    assert counts == {"start": 2, "lang_ru": 2, "helplines": 2, "topic_work": 1}
    assert 0 < await redis.ttl(f"ss:c:desos:{today}") <= 400 * 86400
    for key in [k async for k in redis.scan_iter("ss:c:*")]:
        text = key.decode() + repr(await redis.hgetall(key))
        assert not any(str(i) in text for i in chat_ids), text


def stats_rows(texts: list[str]) -> dict[str, tuple[int, int, int]]:
    """campaign → (start, helplines, quiz_done), read from /stats answers."""
    rows = {}
    for text in texts:
        assert text.startswith("<pre>") and text.endswith("</pre>")
        for line in html.unescape(text[5:-6]).splitlines():
            match = re.match(r"(\S+) +(\d+) +(\d+) +(\d+)(  |$)", line)
            if match:
                rows[match[1]] = (int(match[2]), int(match[3]), int(match[4]))
    return rows


async def test_stats_command_answers_admins_only(api, redis, redis_url):
    async with running(api, redis_url, ADMIN_IDS="5001, 5002"):
        await say(api, 43, "/start plwork", user_id=43)
        await say(api, 46, "/start plwork", user_id=46, language_code="en")
        await tap(api, 46, "s", user_id=46)
        admin = await say(api, 5001, "/stats", user_id=5001)
        assert admin.startswith("<pre>Campaigns, last 30 day(s)")
        assert stats_rows([admin]) == {"plwork": (2, 1, 0)}
        other = await say(api, 44, "/stats", user_id=44, language_code="en")
        assert other.startswith("There is no such command")


async def test_stats_with_many_campaigns_comes_in_messages_telegram_accepts(api, redis,
                                                                             redis_url):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    expected = {}
    for i in range(60):  # about 80 characters a line: far over one message's 4096
        campaign = f"ngo{i:02d}_poster_at_the_station"
        expected[campaign] = (i + 1, i % 7, i % 3)
        await redis.hset(f"ss:c:{campaign}:{today}", mapping={
            "start": i + 1, "helplines": i % 7, "quiz_done": i % 3, "lang_uk": i + 1,
            "topic_work": i})
    async with running(api, redis_url, ADMIN_IDS="5001"):
        api.push_message(5001, "/stats", user_id=5001)
        await eventually(lambda: len(stats_rows([text_of(c) for c in api.sent(5001)])) == 60)
    parts = [text_of(c) for c in api.sent(5001)]
    assert len(parts) > 1 and stats_rows(parts) == expected
    # (the api fixture also asserts that Telegram would have accepted every part)


async def test_stats_in_a_group_shows_no_table(api, redis_url):
    async with running(api, redis_url, ADMIN_IDS="5001"):
        await say(api, 43, "/start plwork", user_id=43)
        group = -600
        hint = await say(api, group, "/stats", user_id=5001, chat_type="group")
        assert hint == STATS_PRIVATE_ONLY
        other = await say(api, group, "/stats@staysafe_test_bot", user_id=44,
                          chat_type="group", language_code="en")
        assert other.startswith("There is no such command")
        assert not any("plwork" in text_of(c) for c in api.sent(group))


async def test_debug_logs_name_no_person_and_quote_nothing_they_wrote(api, redis_url, caplog):
    """The README's promise, at the most talkative level, for every logger (aiogram's too)."""
    chat = 73519842
    person = {"user_id": chat, "first_name": "Оксана", "username": "oksana_k"}
    caplog.set_level(logging.DEBUG)
    async with running(api, redis_url):
        await say(api, chat, "/start", language_code=None, **person)
        await tap(api, chat, "l:uk", **person)
        await tap(api, chat, "n:work", **person)
        await say(api, chat, "Мене звати Оксана, шукаю роботу", **person)
        await say(api, chat, "/forget", **person)
        await tap(api, chat, "f:y", **person)
        await say(api, -100777, "/sos", chat_type="group", **person)
    assert len(caplog.records) > 10  # the bot and aiogram did log at DEBUG
    formatter = logging.Formatter()
    for record in caplog.records:
        text = record.getMessage() + (formatter.formatException(record.exc_info)
                                      if record.exc_info else "")
        for personal in (str(chat), "100777", "Оксана", "oksana_k", "Мене звати", "роботу"):
            assert personal not in text, (personal, text)


async def test_a_bug_in_the_engine_still_gets_the_person_an_answer(api, redis_url, monkeypatch):
    from bot.engine.events import Text
    from bot.engine.runtime import Engine

    original = Engine.step

    def broken(self, session, event, lang_hint=None, now=None):
        if event == Text("boom"):
            raise RuntimeError("a bug")
        return original(self, session, event, lang_hint, now)

    monkeypatch.setattr(Engine, "step", broken)
    async with running(api, redis_url):
        await say(api, 45, "/start en")
        answer = await say(api, 45, "boom")
        assert "Sorry, something went wrong. Send /start." in answer
        assert title("work", "en") in await tap(api, 45, "n:work")


async def test_the_fake_bot_screen_names_the_real_bot(api, redis_url):
    """The @username is known only at run time (getMe): the screen must show it, not '@…'."""
    async with running(api, redis_url):
        await say(api, 46, "/start en-PL")
        shown = await tap(api, 46, "n:fake_bots")
        assert "The real bot is <b>@staysafe_test_bot</b>" in shown
