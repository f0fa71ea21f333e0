"""Webhook replicas: `stay-safe run` processes on one redis-server, posted to as Telegram does.

Each replica is a real process on its own port; tests/fake_botapi.py plays the Bot API and, with
``WebhookSender``, Telegram's webhook delivery (each chat's updates one at a time, sent again
when a request fails or gets anything but 2xx, replicas taken in turn as a load balancer does).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.content.loader import load_catalog
from bot.telegram.app import ALLOWED_UPDATES
from tests.conftest import PROJECT, TOKEN
from tests.fake_botapi import FakeBotAPI, WebhookSender
from tests.redis_server import RedisServer, free_port

SECRET = "webhook-Secret_0123456789abcdefghij"
CATALOG, _ = load_catalog(PROJECT)
# Each command's answer is one screen, whatever came before: the order shows in the answers.
SCRIPT = [("/start en-PL-work", "work"), ("/sos", "helplines"), ("/help", "help"),
          ("/menu", "home"), ("/country", "country"), ("/sos", "helplines"),
          ("/language", "language"), ("/menu", "home")]
NAME, USERNAME = "Olena", "olena_kyiv"  # must never reach a log


def title(node: str) -> str:
    return str(CATALOG.texts["en"][node].title)


class Replica:
    """One `stay-safe run` process serving the webhook on its own port."""

    def __init__(self, api: FakeBotAPI, redis_url: str, folder: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        self.base = f"http://127.0.0.1:{self.port}"
        self.output = folder / f"replica-{self.port}.log"
        self.env = {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": api.url,
                    "REDIS_URL": redis_url, "CONTENT_DIR": str(PROJECT),
                    "CONTENT_RELOAD_SECONDS": "0", "WEBHOOK_URL": "https://bot.example.org/telegram",
                    "WEBHOOK_SECRET": SECRET, "HOST": "127.0.0.1", "PORT": str(self.port),
                    "CONVERSATION_LOCK_SECONDS": "2", "SHUTDOWN_SECONDS": "10",
                    "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", **env}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Replica:
        with self.output.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=self.env, cwd=PROJECT,
                stdout=out, stderr=out)
        return self

    async def ready(self, timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (await self.readyz())[0] != 200:
            assert self.process.returncode is None, self.log()
            assert loop.time() < deadline, f"never ready:\n{self.log()}"
            await asyncio.sleep(0.1)

    async def get(self, path: str) -> tuple[int, str]:
        try:
            async with aiohttp.ClientSession() as session, session.get(
                    self.base + path, timeout=aiohttp.ClientTimeout(total=10)) as response:
                return response.status, await response.text()
        except aiohttp.ClientError:
            return 0, ""

    async def readyz(self) -> tuple[int, dict]:
        status, text = await self.get("/readyz")
        return status, (json.loads(text) if status else {})

    async def metrics(self) -> dict[tuple, float]:
        """Every sample, by (name, sorted labels): parsed by prometheus-client's own parser."""
        status, text = await self.get("/metrics")
        assert status == 200
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples}

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode


def total(samples: dict, name: str, **labels: str) -> float:
    return sum(value for (sample, sample_labels), value in samples.items()
               if sample == name and labels.items() <= dict(sample_labels).items())


@pytest.fixture
async def replicas(api, redis, redis_url, tmp_path):
    started: list[Replica] = []

    async def start(count: int, url: str | None = None, **env: str) -> list[Replica]:
        made = [await Replica(api, url or redis_url, tmp_path, **env).start()
                for _ in range(count)]
        started.extend(made)
        await asyncio.gather(*(replica.ready() for replica in made))
        return made

    yield start
    for replica in started:
        if replica.process.returncode is None:
            replica.process.kill()
            await replica.process.wait()


def conversations(api: FakeBotAPI, first_chat: int, count: int) -> dict[int, list[dict]]:
    return {chat: [api.update(api.message_update(chat, text, language_code="en",
                                                 first_name=NAME, username=USERNAME))
                   for text, _ in SCRIPT]
            for chat in range(first_chat, first_chat + count)}


def answers(api: FakeBotAPI, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in api.sent(chat)]


def in_order(shown: list[str]) -> bool:
    return len(shown) == len(SCRIPT) and all(
        title(node) in text for (_, node), text in zip(SCRIPT, shown, strict=True))


async def test_two_replicas_answer_every_update_once_and_in_order_per_chat(api, replicas):
    """Chats at once, each chat's updates alternately to both replicas, some updates sent to
    both at the same moment (Telegram sending again while the first delivery is handled); and
    before that, an update with a wrong or no secret: 401, and nothing handled."""
    a, b = await replicas(2)
    chats = conversations(api, 770_001, 12)
    twice = {updates[i]["update_id"] for updates in chats.values() for i in (1, 4, 6)}
    async with WebhookSender([a.url, b.url], SECRET) as telegram:
        forged = api.update(api.message_update(770_001, "/sos", language_code="en"))
        assert await telegram.post(a.url, forged, secret="not-the-secret") == 401
        assert await telegram.post(b.url, forged, header=False) == 401
        refused = len(telegram.log)
        await telegram.send_all(chats, twice)
    for chat in chats:
        assert in_order(answers(api, chat)), (chat, [t[:30] for t in answers(api, chat)])
    assert {target for _, target, _ in telegram.log} == {a.url, b.url}
    samples = [await a.metrics(), await b.metrics()]
    outcomes = {outcome: sum(total(s, "stay_safe_updates_total", outcome=outcome)
                             for s in samples)
                for outcome in ("handled", "duplicate", "late", "unfinished", "failed")}
    assert outcomes == {"handled": 12 * len(SCRIPT), "duplicate": len(twice), "late": 0,
                        "unfinished": 0, "failed": 0}
    assert all(total(s, "stay_safe_updates_total", kind="message") > 0 for s in samples)
    # The forged update was never handled (770001's answers are its script's, nothing more);
    # every other request was answered 200, duplicates too: Telegram must not send them again.
    assert sum(total(s, "stay_safe_webhook_answers_total", status="401") for s in samples) == 2
    assert sum(total(s, "stay_safe_webhook_answers_total", status="200") for s in samples
               ) == len(telegram.log) - refused
    assert all(status == 200 for _, _, status in telegram.log[refused:])
    assert api.webhook["url"] == "https://bot.example.org/telegram"
    assert api.webhook["secret_token"] == SECRET
    assert api.webhook["allowed_updates"] == ALLOWED_UPDATES
    assert int(api.webhook["max_connections"]) == 40
    await a.stop(), await b.stop()
    for replica in (a, b):
        lines = [json.loads(line) for line in replica.log().splitlines()]  # all JSON
        handled = [line for line in lines if line["message"] == "update handled"]
        assert handled and all(line["kind"] == "message" and line["duration_ms"] >= 0
                               for line in handled)
        text = replica.log()
        assert NAME not in text and USERNAME not in text and "770" + "0" not in text
        assert TOKEN.partition(":")[2] not in text and SECRET not in text


async def test_metrics_counters_move_and_readyz_is_not_ready_while_redis_is_down(
        api, replicas, tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        (replica,) = await replicas(1, url=server.url)
        before = await replica.metrics()
        assert total(before, "stay_safe_redis_up") == 1
        assert total(before, "stay_safe_content_info", screens=str(len(CATALOG.nodes))) == 1
        async with WebhookSender([replica.url], SECRET) as telegram:
            await telegram.send_chat(conversations(api, 770_201, 1)[770_201])
        after = await replica.metrics()
        assert (total(after, "stay_safe_updates_total", kind="message", outcome="handled")
                - total(before, "stay_safe_updates_total", kind="message", outcome="handled")
                == len(SCRIPT))
        assert total(after, "stay_safe_update_duration_seconds_count",
                     kind="message") == len(SCRIPT)
        assert (total(after, "stay_safe_bot_api_requests_total", method="sendMessage",
                      status="200")
                - total(before, "stay_safe_bot_api_requests_total", method="sendMessage")
                == len(SCRIPT))
        assert total(after, "stay_safe_webhook_answers_total", status="200") == len(SCRIPT)
        assert total(after, "stay_safe_updates_in_flight") == 0
        labels = {label for (name, sample_labels) in after for label, _ in sample_labels}
        assert labels <= {"kind", "outcome", "method", "status", "reason", "result", "version",
                          "screens", "le"}  # nothing that names a person or a chat

        status, body = await replica.readyz()
        assert status == 200 and body == {"ready": True, "content": True, "telegram": True,
                                          "accepting": True, "redis": True}
        server.stop()
        status, body = await replica.readyz()
        assert status == 503 and body["redis"] is False and body["content"] is True
        assert total(await replica.metrics(), "stay_safe_redis_up") == 0
        async with WebhookSender([replica.url], SECRET) as telegram:  # still answers
            await telegram.send(api.update(api.message_update(770_301, "/sos",
                                                              language_code="en")))
        assert title("helplines") in answers(api, 770_301)[-1]
        assert (await replica.get("/healthz"))[0] == 200  # alive all along
        server = RedisServer(tmp_path / "redis", port=server.port).start()
        status, body = await replica.readyz()
        assert status == 200 and body["redis"] is True
        samples = await replica.metrics()
        assert total(samples, "stay_safe_redis_up") == 1
        assert total(samples, "stay_safe_redis_errors_total") > 0
    finally:
        server.stop()


async def test_a_replica_killed_mid_load_the_other_answers_everything(api, replicas):
    """SIGKILL, as a machine that dies: what it had not answered, Telegram sends again, and
    the other replica answers it (once its lock on that conversation has expired)."""
    a, b = await replicas(2)
    chats = conversations(api, 770_401, 10)
    async with WebhookSender([a.url, b.url], SECRET) as telegram:
        sending = asyncio.create_task(telegram.send_all(chats))
        while len(api.sent()) < len(chats) * len(SCRIPT) // 3:
            await asyncio.sleep(0.01)
        a.process.kill()
        await asyncio.wait_for(sending, timeout=120)
    assert "failed" in {status for _, target, status in telegram.log if target == a.url}
    for chat in chats:
        shown = answers(api, chat)
        # An update the dead replica had answered but not yet acknowledged is answered again.
        once = [text for i, text in enumerate(shown) if i == 0 or text != shown[i - 1]]
        assert in_order(once), (chat, [t[:30] for t in shown])
        assert len(shown) <= len(SCRIPT) + 1
    assert b.process.returncode is None  # the other one never stopped


async def test_sigterm_finishes_what_it_can_refuses_new_updates_and_exits_0(api, replicas,
                                                                             redis):
    """Two replicas: one has time to finish its update (SHUTDOWN_SECONDS 10), the other not
    (0.5). The first answers its update 200, the second 503 so that Telegram sends it again;
    both refuse new updates with 503 meanwhile, and both exit 0."""
    (patient,), (hasty,) = await asyncio.gather(replicas(1),
                                                replicas(1, SHUTDOWN_SECONDS="0.5"))
    api.faults["sendMessage"] = [("delay", 1.5), ("delay", 3)]  # slow answers to /sos
    async with WebhookSender([patient.url, hasty.url], SECRET) as telegram:
        finished = api.update(api.message_update(770_501, "/sos", language_code="en"))
        cut = api.update(api.message_update(770_601, "/sos", language_code="en"))
        sent = [asyncio.create_task(telegram.post(patient.url, finished))]
        while len(api.faults["sendMessage"]) > 1:
            await asyncio.sleep(0.01)  # the first slow answer has begun
        sent.append(asyncio.create_task(telegram.post(hasty.url, cut)))
        while api.faults["sendMessage"]:
            await asyncio.sleep(0.01)  # and the second
        for replica in (patient, hasty):
            replica.process.send_signal(signal.SIGTERM)
        for replica in (patient, hasty):
            while (await replica.readyz())[1].get("accepting", False):
                await asyncio.sleep(0.02)
            new = api.update(api.message_update(770_701, "/sos", language_code="en"))
            assert await telegram.post(replica.url, new) == 503  # Telegram sends it elsewhere
        assert await sent[0] == 200 and await sent[1] == 503
    for replica in (patient, hasty):
        assert await asyncio.wait_for(replica.process.wait(), timeout=30) == 0
    assert title("helplines") in answers(api, 770_501)[-1] and answers(api, 770_701) == []
    assert "cut short by the shutdown" in hasty.log()
    # The update cut short is not remembered as handled and holds no lock: the next delivery
    # (to another replica) is handled at once.
    assert not await redis.exists("ss:l:770601")
    assert not await redis.zscore("ss:u:770601", str(cut["update_id"]))
    assert await redis.zscore("ss:u:770501", str(finished["update_id"]))
