"""Shared fixtures: the shipped content, a small base content set for broken fixtures, a real
Redis, the fake Bot API, and fake time."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.content.loader import load_catalog
from bot.engine.runtime import Engine

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = FIXTURES / "base"
TOKEN = "123456789:TEST_token_abcdefghijklmnopqrstuvwxyz_0123"


class FakeClock:
    """A monotonic clock that moves only when told (``advance``) or slept on (``sleep``)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class FakeSleep:
    """Stands in for ``asyncio.sleep`` in retries: records the waits asked for, waits none."""

    def __init__(self):
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    catalog, problems = load_catalog(PROJECT)
    assert catalog is not None, problems
    return Engine(catalog)


@pytest.fixture(scope="session")
def base_engine() -> Engine:
    catalog, problems = load_catalog(BASE)
    assert catalog is not None and not problems, problems
    return Engine(catalog)


@pytest.fixture
def base_copy(tmp_path: Path) -> Path:
    """A writable copy of the small base content set."""
    root = tmp_path / "content-root"
    shutil.copytree(BASE, root)
    return root


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A real Redis for the whole run: REDIS_URL if set, else a redis-server started here."""
    import os

    from tests.redis_server import RedisServer

    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
async def redis(redis_url):
    """A client of the test Redis, emptied first."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def api():
    """The fake Bot API; at the end, no request Telegram would have refused."""
    from tests.fake_botapi import FakeBotAPI

    server = await FakeBotAPI(TOKEN).start()
    yield server
    await server.stop()
    assert server.violations == [], "a request Telegram would refuse"
