"""Webhook against polling, one replica against two, and Redis round trips per update.

Run: python benchmarks/webhook_bench.py [--updates 3000] [--users 50] [--rounds 2]

Every set-up runs `stay-safe run` processes against the same fake Bot API
(tests/fake_botapi.py, limit checks off) and the same redis-server, in one run, taking turns
(polling, webhook ×1, webhook ×2, polling, …), so that the machine's noise falls on all alike:

- polling: one process that asks the fake for updates (getUpdates);
- webhook ×1, ×2: replicas posted to as Telegram does (tests/fake_botapi.py's WebhookSender;
  with two, in turn, as a load balancer would), the turns of conversations kept in Redis.

``--users`` people each send a message and wait for the answer (and, with a webhook, for the
replica's 200) before the next, ``--updates`` messages in all after a warm-up. Latency: from the
moment the update is queued or posted to the moment its answer reaches the Bot API. CPU: the bot
processes' own, per update; "driver": this process's (the fake Bot API and, with a webhook, the
fake Telegram posting), which shares the machine's cores with the bots.

Redis round trips per update: redis-server's ``total_reads_processed`` (each request or
pipeline a client sends is read at once) over the measured updates, less the benchmark's own
requests; ``total_commands_processed`` gives the commands (a script's inner commands count).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
import time
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from telegram_bench import (  # noqa: E402
    TOKEN,
    alternate,
    closed_loop,
    cpu_seconds,
    latency_ms,
    one,
    redis_counts,
)

from tests.fake_botapi import FakeBotAPI, WebhookSender  # noqa: E402
from tests.redis_server import free_port  # noqa: E402

SECRET = "bench-secret-0123456789"


class Bot:
    """The bot processes of one set-up and how to send them an update."""

    def __init__(self, api: FakeBotAPI, redis_url: str, replicas: int):
        self.api = api
        self.webhook = replicas > 0
        self.ports = [free_port() for _ in range(max(1, replicas))]
        self.processes: list[asyncio.subprocess.Process] = []
        self.env = {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": api.url,
                    "REDIS_URL": redis_url, "CONTENT_RELOAD_SECONDS": "0",
                    "LOG_LEVEL": "WARNING", "HOST": "127.0.0.1"}
        if self.webhook:
            self.env.update(WEBHOOK_URL="https://bot.example.org/telegram",
                            WEBHOOK_SECRET=SECRET, WEBHOOK_MAX_CONNECTIONS="100")
        self.sender: WebhookSender | None = None

    async def start(self) -> None:
        for port in self.ports:
            env = {**self.env, "PORT": str(port)} if self.webhook else self.env
            self.processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=env, cwd=ROOT,
                stderr=asyncio.subprocess.DEVNULL))
        if self.webhook:
            await self.api.wait_call("setWebhook", len(self.ports), timeout=120)
            self.sender = WebhookSender([f"http://127.0.0.1:{p}/telegram" for p in self.ports],
                                        SECRET)
            await self.sender.__aenter__()
        else:
            await self.api.wait_call("getMe", timeout=120)
        await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self.sender is not None:
            await self.sender.__aexit__()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            await process.wait()
        self.api.webhook = None

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)

    async def one(self, chat: int, text: str) -> float:
        if not self.webhook:
            return await one(self.api, chat, text, timeout=60)
        reply = self.api.next_reply(chat)
        started = time.perf_counter()
        update = self.api.update(self.api.message_update(chat, text, language_code="en"))
        posted = asyncio.create_task(self.sender.send(update))
        await asyncio.wait_for(reply, timeout=60)
        latency = time.perf_counter() - started
        await posted
        return latency


async def measure(name: str, replicas: int, redis_url: str, args) -> dict:
    api = await FakeBotAPI(TOKEN, check_limits=False).start()
    client = Redis.from_url(redis_url)
    await client.flushdb()
    bot = Bot(api, redis_url, replicas)
    try:
        await bot.start()
        await closed_loop(bot.one, args.users, 500, first_chat=1)  # warm-up
        reads, commands = await redis_counts(client)
        cpu_before, driver_before = bot.cpu(), cpu_seconds(os.getpid())
        elapsed, latencies = await closed_loop(bot.one, args.users, args.updates, first_chat=1)
        cpu, driver = bot.cpu() - cpu_before, cpu_seconds(os.getpid()) - driver_before
        reads_after, commands_after = await redis_counts(client)
        turn_keys = len([k async for k in client.scan_iter("ss:u:*")])
        done_bytes = [await client.memory_usage(k) or 0 async for k in client.scan_iter("ss:u:*")]
    finally:
        await bot.stop()
        await client.aclose()
        await api.stop()
    latencies.sort()
    count = len(latencies)
    return {
        "name": name,
        "per_second": count / elapsed,
        **latency_ms(latencies),
        "cpu_ms": cpu / count * 1000,
        "driver_ms": driver / count * 1000,
        "round_trips": (reads_after - reads - 1) / count,  # less the second INFO itself
        "commands": (commands_after - commands - 1) / count,
        "turn_keys": turn_keys,
        "done_bytes": max(done_bytes) if done_bytes else 0,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each set-up, in turn")
    args = parser.parse_args()
    setups = {"polling": 0, "webhook x1": 1, "webhook x2": 2}
    runs = await alternate(setups, functools.partial(measure, args=args), args.rounds)
    print(f"{'set-up':12} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/upd':>10} "
          f"{'driver ms':>9} {'Redis RT/upd':>12} {'cmds/upd':>9}")
    for name in setups:
        for r in runs[name]:
            print(f"{name:12} {r['per_second']:10.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
                  f"{r['cpu_ms']:10.2f} {r['driver_ms']:9.2f} {r['round_trips']:12.2f} "
                  f"{r['commands']:9.2f}")
    best = {name: max(r["per_second"] for r in runs[name]) for name in setups}
    print(f"best throughput, webhook x1 / polling: {best['webhook x1'] / best['polling']:.2f}; "
          f"webhook x2 / webhook x1: {best['webhook x2'] / best['webhook x1']:.2f}")
    last = runs["webhook x2"][-1]
    print(f"turn memory: {last['turn_keys']} conversations remembered, at most "
          f"{last['done_bytes']} bytes each (MEMORY USAGE of ss:u:<chat>)")


if __name__ == "__main__":
    asyncio.run(main())
