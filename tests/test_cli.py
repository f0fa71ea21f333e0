"""The commands editors type, run as real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT


def run(*args: str, stdin: str = "", cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=cwd, timeout=60)


def test_validate_passes_on_the_shipped_content():
    result = run("validate", "--today", "2026-11-23")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("OK: 0 error(s), 0 warning(s)")


def test_validate_lists_every_problem_and_fails(base_copy: Path):
    main = base_copy / "flows/main.yaml"
    main.write_text(main.read_text().replace("buttons: [quiz]", "buttons: [quiz, nowhere]")
                    .replace("kind: checklist", "kind: checklist\n  colour: red"))
    result = run("validate", str(base_copy), "--today", "2026-11-23")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "flows/main.yaml:6:19: error: button of 'work' leads to missing node 'nowhere'",
        "flows/main.yaml:22:3: error: unknown field 'colour' in node 'list' (checklist) "
        "(known: buttons, items, kind)",
    ]
    assert result.stderr.startswith("FAILED: 2 error(s), 0 warning(s)")


def test_chat_is_scriptable_one_line_per_step():
    result = run("chat", "--lang", "en", "--country", "PL", stdin="/sos\n1\nhelp\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("> /start\n🏠 Main menu")
    assert "> /sos\n🆘 Helplines" in out
    assert "(copied: 112)" in out
    assert "512 105 371" in out


def test_chat_refuses_broken_content_with_the_reason(base_copy: Path):
    (base_copy / "content/uk/ui.yaml").write_text("ui: [unclosed\n")
    result = run("chat", "--root", str(base_copy), stdin="1\n")
    assert result.returncode == 1
    assert "content/uk/ui.yaml:2:1: error: YAML syntax error" in result.stderr


def test_chat_previews_content_with_translation_gaps(base_copy: Path):
    ru = base_copy / "content/ru/main.yaml"
    ru.write_text(ru.read_text().replace('  text: "[ru] Tick:"\n', ""))
    result = run("chat", "--root", str(base_copy), "--lang", "ru", stdin="/start ru-list\n")
    assert result.returncode == 0, result.stderr
    assert "[ru] not translated" in result.stdout and "[en] Tick:" in result.stdout
    assert "1 missing translation(s)" in result.stderr
