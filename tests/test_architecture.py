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


# Packages and the packages of ours each may import: arrows point down only (docs/architecture.md).
LAYERS = {
    "content": set(),
    "engine": {"content"},
    "checks": {"content", "engine"},
    "studio": {"content", "engine", "checks", "publish", "config"},
}


def project_imports(path: Path) -> set[str]:
    """The ``bot.<package>`` names a file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
        names.update(m.split(".")[1] for m in modules if m.startswith("bot.") and "." in m)
    return names


def test_lower_layers_never_import_higher_ones():
    bot = ENGINE.parent
    offenders = {}
    for package, allowed in LAYERS.items():
        for path in sorted((bot / package).rglob("*.py")):
            wrong = project_imports(path) - allowed - {package}
            if wrong:
                offenders[f"{package}/{path.name}"] = wrong
    assert offenders == {}


def test_the_layer_check_sees_an_upward_import(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("from bot.engine.runtime import Engine\nimport bot.checks.validate\n")
    assert project_imports(sample) == {"engine", "checks"}
