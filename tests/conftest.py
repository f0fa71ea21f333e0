"""Shared fixtures: the shipped content, and a small base content set for broken fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.loader import load_catalog
from bot.engine.runtime import Engine

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = FIXTURES / "base"


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
