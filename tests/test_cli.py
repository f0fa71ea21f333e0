"""The commands editors type, run as real processes."""

from __future__ import annotations

import asyncio
import os
import signal
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
    assert ("content/uk/ui.yaml:1:5: error: the list that starts with [ here is never closed: "
            "end it with ] on the same line") in result.stderr


def test_chat_previews_content_with_translation_gaps(base_copy: Path):
    ru = base_copy / "content/ru/main.yaml"
    ru.write_text(ru.read_text().replace('  text: "[ru] Tick:"\n', ""))
    result = run("chat", "--root", str(base_copy), "--lang", "ru", stdin="/start ru-list\n")
    assert result.returncode == 0, result.stderr
    assert "[ru] not translated" in result.stdout and "[en] Tick:" in result.stdout
    assert "1 missing translation(s)" in result.stderr


def test_run_without_a_token_stops_with_one_clear_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr == ("stay-safe: BOT_TOKEN is not set: get a token from @BotFather "
                             "and set BOT_TOKEN\n")


def test_run_with_a_malformed_token_does_not_echo_it(tmp_path: Path):
    env = {**os.environ, "BOT_TOKEN": "secret-but-wrong"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "secret-but-wrong" not in result.stderr


async def test_stay_safe_run_answers_over_http_and_stops_on_sigterm(redis_url):
    from tests.fake_botapi import FakeBotAPI
    from tests.test_telegram_e2e import TOKEN

    api = await FakeBotAPI(TOKEN).start()
    env = {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": api.url, "REDIS_URL": redis_url,
           "CONTENT_RELOAD_SECONDS": "0"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_call("setMyCommands", 4, timeout=30)
        api.push_message(31, "/start en-PL")
        (shown,) = await api.wait_sent(1, 31)
        assert "Main menu" in shown.params["text"]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, stderr.decode()
        assert "connected to Telegram as @staysafe_test_bot" in stderr.decode()
        assert TOKEN not in stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()
    assert api.violations == []
