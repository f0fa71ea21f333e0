"""This bot against a bare aiogram bot, in one run, on the same fake Bot API and the same Redis.

Run: python benchmarks/telegram_bench.py [--updates 4000] [--users 50] [--sessions 10000]

For each bot (a separate process: `stay-safe run`, then benchmarks/bare_bot.py):
1. throughput and latency: ``--users`` people each send a message and wait for the answer
   before sending the next (closed loop), ``--updates`` messages in all, after a warm-up;
   latency is from the moment the update is queued to the moment the answer reaches the API;
2. Redis round trips per update, from redis-server's ``total_reads_processed`` (a request or
   a pipeline is read at once), and commands per update, from ``total_commands_processed``;
3. memory: RSS of the bot process after ``--sessions`` different people have each started a
   conversation (so that many sessions are in use).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_botapi import FakeBotAPI  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

TOKEN = "123456789:BENCH_token_abcdefghijklmnopqrstuvwxyz_0123"
MESSAGES = ["/start en-PL", "work", "rabota", "/menu", "registration", "/sos", "помогите",
            "паспорт", "/start uk-DE", "hello"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: steadier than wall time on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def redis_counts(client: Redis) -> tuple[int, int]:
    """(requests or pipelines read, commands run) by redis-server so far."""
    stats = await client.info("stats")
    return stats["total_reads_processed"], stats["total_commands_processed"]


Send = Callable[[int, str], Awaitable[float]]  # one message to a chat: the answer's latency


async def one(api: FakeBotAPI, chat: int, text: str, timeout: float = 30) -> float:
    reply = api.next_reply(chat)
    started = time.perf_counter()
    api.push_message(chat, text, language_code="en")
    await asyncio.wait_for(reply, timeout=timeout)
    return time.perf_counter() - started


async def closed_loop(send: Send, users: int, total: int, first_chat: int) -> tuple:
    """``users`` people, each sending the next message once answered: (seconds, latencies)."""
    latencies: list[float] = []
    per_user = total // users

    async def person(index: int) -> None:
        chat = first_chat + index
        for step in range(per_user):
            latencies.append(await send(chat, MESSAGES[(index + step) % len(MESSAGES)]))

    started = time.perf_counter()
    await asyncio.gather(*(person(i) for i in range(users)))
    return time.perf_counter() - started, latencies


def latency_ms(latencies: list[float]) -> dict[str, float]:
    """The median and 99th percentile of sorted latencies, in milliseconds."""
    return {"p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


async def alternate(setups: dict, measure, rounds: int) -> dict[str, list[dict]]:
    """``rounds`` runs of each set-up, taking turns, on one redis-server:
    ``measure(name, setup, redis_url)`` gives each run's figures."""
    runs: dict[str, list[dict]] = {name: [] for name in setups}
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp)).start()
        try:
            for _ in range(rounds):
                for name, setup in setups.items():
                    runs[name].append(await measure(name, setup, server.url))
        finally:
            server.stop()
    return runs


async def fill_sessions(api: FakeBotAPI, count: int, first_chat: int, batch: int = 50):
    for start in range(0, count, batch):
        chats = range(first_chat + start, first_chat + min(start + batch, count))
        await asyncio.gather(*(one(api, chat, "/start en-PL") for chat in chats))


async def measure(name: str, command: list[str], redis_url: str, args) -> dict:
    api = await FakeBotAPI(TOKEN, check_limits=args.check_limits).start()
    client = Redis.from_url(redis_url)
    await client.flushdb()
    env = {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": api.url, "REDIS_URL": redis_url,
           "CONTENT_RELOAD_SECONDS": "0", "LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT,
                                                   stderr=asyncio.subprocess.DEVNULL)
    try:
        await api.wait_call("getMe", timeout=60)
        await asyncio.sleep(1.0)
        send = functools.partial(one, api)
        await closed_loop(send, args.users, 500, first_chat=1)  # warm-up
        reads, commands = await redis_counts(client)
        cpu_before = cpu_seconds(process.pid)
        elapsed, latencies = await closed_loop(send, args.users, args.updates, first_chat=1)
        cpu = cpu_seconds(process.pid) - cpu_before
        reads_after, commands_after = await redis_counts(client)
        round_trips, commands = reads_after - reads - 1, commands_after - commands - 1
        rss_before = rss_mb(process.pid)
        await fill_sessions(api, args.sessions, first_chat=100_000)
        await asyncio.sleep(0.5)
        rss_after = rss_mb(process.pid)
        sizes = [await client.memory_usage(k) or 0 async for k in client.scan_iter("ss:s:*")]
        values = [len(await client.get(k) or b"") async for k in client.scan_iter("ss:s:*")]
    finally:
        process.terminate()
        await process.wait()
        await client.aclose()
        await api.stop()
    latencies.sort()
    return {
        "name": name,
        "updates": len(latencies),
        "per_second": len(latencies) / elapsed,
        **latency_ms(latencies),
        "redis_per_update": round_trips / len(latencies),
        "commands_per_update": commands / len(latencies),
        "cpu_ms_per_update": cpu / len(latencies) * 1000,
        "rss_mb": rss_before,
        "rss_sessions_mb": rss_after,
        "session_bytes_max": max(values) if values else 0,
        "session_redis_bytes_max": max(sizes) if sizes else 0,
        "violations": len(api.violations),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=4000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs per bot")
    parser.add_argument("--check-limits", action="store_true",
                        help="check every request against Telegram's limits (slower fake)")
    args = parser.parse_args()
    bots = {"stay-safe": [sys.executable, "-m", "bot.cli", "run"],
            "bare aiogram": [sys.executable, "benchmarks/bare_bot.py"]}
    runs = await alternate(bots, functools.partial(measure, args=args), args.rounds)
    print(f"{'bot':14} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/upd':>10} "
          f"{'Redis RT/upd':>12} {'cmds/upd':>8} {'RSS MB':>8} {'RSS+sess':>8}")
    for name in bots:
        for r in runs[name]:
            print(f"{name:14} {r['per_second']:10.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
                  f"{r['cpu_ms_per_update']:10.2f} {r['redis_per_update']:12.2f} "
                  f"{r['commands_per_update']:8.2f} {r['rss_mb']:8.1f} "
                  f"{r['rss_sessions_mb']:8.1f}")
    ours = max(runs["stay-safe"], key=lambda r: r["per_second"])
    bare = max(runs["bare aiogram"], key=lambda r: r["per_second"])
    cpu_ours = min(r["cpu_ms_per_update"] for r in runs["stay-safe"])
    cpu_bare = min(r["cpu_ms_per_update"] for r in runs["bare aiogram"])
    ratio = ours["per_second"] / bare["per_second"]
    print(f"best throughput ratio (stay-safe / bare): {ratio:.2f}")
    print(f"CPU per update ratio (bare / stay-safe): {cpu_bare / cpu_ours:.2f}")
    print(f"RSS above bare with {args.sessions} sessions in use: "
          f"{ours['rss_sessions_mb'] - bare['rss_sessions_mb']:.1f} MB")
    print(f"largest session: {ours['session_bytes_max']} bytes of JSON, "
          f"{ours['session_redis_bytes_max']} bytes in Redis (MEMORY USAGE)")
    if args.check_limits:
        print(f"requests refused by Telegram's limits: {ours['violations']} / "
              f"{bare['violations']}")


if __name__ == "__main__":
    asyncio.run(main())
