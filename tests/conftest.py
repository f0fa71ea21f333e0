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
