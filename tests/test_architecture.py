"""The engine must stay testable without Telegram: no network or storage libraries in it."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"aiogram", "redis", "aiohttp", "httpx"}
ENGINE = Path(__file__).resolve().parent.parent / "bot" / "engine"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_engine_imports_no_telegram_network_or_storage_library():
    files = sorted(ENGINE.rglob("*.py"))
    assert files
    offenders = {f.name: imported_modules(f) & FORBIDDEN for f in files}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_check_itself_sees_a_forbidden_import(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom aiogram import Bot\nimport redis.asyncio as r\n")
    assert imported_modules(sample) & FORBIDDEN == {"aiogram", "redis"}
