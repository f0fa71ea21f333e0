"""The commands editors and operators type: as real processes where the process itself matters
(signals, the environment, asking Telegram), called in-process otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from bot.cli import main
from bot.config import SETTINGS
from tests.conftest import PROJECT
from tests.redis_server import free_port


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


async def test_stay_safe_run_answers_refuses_redirects_never_logs_the_token_and_stops(
        redis_url):
    """The real process at DEBUG, every logger writing to stderr, against a Bot API that
    redirects (as a misconfigured proxy does): no redirect is followed, the token is written
    nowhere, the bot keeps answering, and SIGTERM stops it cleanly."""
    from tests.conftest import TOKEN
    from tests.fake_botapi import FakeBotAPI

    api = await FakeBotAPI(TOKEN).start()
    api.faults["getUpdates"] = [("redirect", 302)]
    api.faults["sendMessage"] = [("redirect", 307), ("redirect", 302)]  # answer and apology
    env = {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": api.url, "REDIS_URL": redis_url,
           "CONTENT_RELOAD_SECONDS": "0", "LOG_LEVEL": "DEBUG"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_call("setMyCommands", 4, timeout=30)
        api.push_message(31, "/start en-PL")
        await api.wait_call("sendMessage", 2)
        api.push_message(32, "/start en-PL")
        (shown,) = await api.wait_sent(1, 32)
        assert "Main menu" in shown.params["text"]
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()
    output = (stdout + stderr).decode()
    assert process.returncode == 0, output
    assert "connected to Telegram as @staysafe_test_bot" in output
    assert "Bot API server redirects - HTTP 302, not followed" in output  # from getUpdates
    assert "Bot API server redirects - HTTP 307, not followed" in output  # from sendMessage
    assert api.followed == []
    assert TOKEN not in output and TOKEN.partition(":")[2] not in output
    assert api.violations == []


@pytest.fixture
def clean_env(monkeypatch):
    """No setting from the machine running the tests leaks into a command."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    return monkeypatch


def status_of(argv: list[str]) -> int:
    """``main``'s exit status, also when argparse refuses the arguments (it exits)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("stay-safe"), err
    return err


@pytest.mark.parametrize(("env", "says"), [
    ({"SESSION_TTL_DAYS": "inf"}, "SESSION_TTL_DAYS must be a number"),
    ({"SESSION_TTL_DAYS": "nan"}, "SESSION_TTL_DAYS must be a number"),
    ({"CONTENT_RELOAD_SECONDS": "nan"}, "CONTENT_RELOAD_SECONDS must be a number"),
    ({"ADMIN_IDS": "²"}, "ADMIN_IDS must be Telegram user ids"),
    ({"BOT_API_URL": "http://exa mple"}, "BOT_API_URL must be an http:// or https:// address"),
    ({"BOT_USERNAME": "https://evil.example/x"}, "BOT_USERNAME must be a Telegram username"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
])
def test_run_refuses_a_malformed_setting_in_one_line(clean_env, capsys, env, says):
    async def started(*args, **kwargs):
        raise AssertionError("the bot started with a malformed setting")

    clean_env.setattr("bot.telegram.app.run_bot", started)
    clean_env.setenv("BOT_TOKEN", "123456789:TEST_token_abcdefghijklmnopqrstuvwxyz_0123")
    for name, raw in env.items():
        clean_env.setenv(name, raw)
    assert main(["run"]) == 2
    assert says in one_line_error(capsys)


@pytest.mark.parametrize(("args", "status", "says"), [
    (["--payload", "work\n"], 2, "a payload is at most 64 characters"),
    (["--payload", "uk-PL-"], 2, "a payload is at most 64 characters"),
    (["--username", "t.me/evil?start=x#"], 2, "--username must be a Telegram username"),
    (["--username", "ab"], 2, "--username must be a Telegram username"),
    (["--out", "{file}"], 2, "is a file, not a folder"),
    (["--out", "{file}/codes"], 2, "cannot write to --out"),
    (["--campaign", "nowhere"], 1, "no campaign 'nowhere' in flows/campaigns.yaml"),
])
def test_qr_refuses_bad_input_in_one_line(clean_env, capsys, tmp_path, args, status, says):
    (tmp_path / "file").write_text("not a folder")
    args = [a.format(file=tmp_path / "file") for a in args]
    defaults = {"--username": "staysafe_bot", "--out": str(tmp_path / "qr")}
    for option, default in defaults.items():
        if option not in args:
            args += [option, default]
    assert main(["qr", *args]) == status
    assert says in one_line_error(capsys)
    assert not (tmp_path / "qr").exists()


def test_qr_checks_the_username_from_the_environment_too(clean_env, capsys, tmp_path):
    clean_env.setenv("BOT_USERNAME", "evil.example/?start=")
    assert main(["qr", "--payload", "uk", "--out", str(tmp_path)]) == 2
    assert "BOT_USERNAME must be a Telegram username" in one_line_error(capsys)


def test_qr_for_one_campaign_writes_only_its_files(clean_env, capsys, tmp_path):
    assert main(["qr", "--username", "@staysafe_bot", "--campaign", "plwork",
                 "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plwork.html", "plwork.png",
                                                          "plwork.svg"]
    assert capsys.readouterr().out.startswith("https://t.me/staysafe_bot?start=plwork\n")


@contextlib.contextmanager
def fake_api_in_a_thread():
    """The fake Bot API on its own event loop, for commands that run their own (asyncio.run)."""
    from tests.conftest import TOKEN
    from tests.fake_botapi import FakeBotAPI

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    api = asyncio.run_coroutine_threadsafe(FakeBotAPI(TOKEN).start(), loop).result(10)
    try:
        yield api
    finally:
        asyncio.run_coroutine_threadsafe(api.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_qr_asks_telegram_for_the_username_when_none_is_given(clean_env, capsys, tmp_path):
    from tests.fake_botapi import BOT_USER

    with fake_api_in_a_thread() as api:
        clean_env.setenv("BOT_TOKEN", api.token)
        clean_env.setenv("BOT_API_URL", api.url)
        assert main(["qr", "--payload", "uk-PL", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"https://t.me/{BOT_USER['username']}?start=uk-PL\n")
    assert [c.method for c in api.calls] == ["getMe"]


def test_qr_says_in_one_line_when_telegram_refuses_the_token(clean_env, capsys, tmp_path):
    with fake_api_in_a_thread() as api:
        clean_env.setenv("BOT_TOKEN", "987654321:" + "x" * 35)
        clean_env.setenv("BOT_API_URL", api.url)
        assert main(["qr", "--payload", "uk-PL", "--out", str(tmp_path)]) == 2
    assert "Telegram does not accept BOT_TOKEN (401)" in one_line_error(capsys)


@pytest.fixture
def counts(redis_url):
    """Counts as the bot keeps them: one hash per campaign and day."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    today = dt.datetime.now(dt.UTC).date()
    for day, campaign, fields in [
        (today, "plwork", {"start": 5, "helplines": 2, "lang_uk": 4, "lang_ru": 1}),
        (today - dt.timedelta(days=3), "plwork", {"start": 1, "quiz_done": 1, "lang_uk": 1}),
        (today, "desos", {"start": 3, "helplines": 3, "lang_ru": 3}),
        (today - dt.timedelta(days=45), "desos", {"start": 100}),  # older than 30 days
    ]:
        client.hset(f"ss:c:{campaign}:{day.isoformat()}", mapping=fields)
    yield today
    client.flushdb()
    client.close()


def test_stats_prints_each_campaigns_counts(clean_env, capsys, redis_url, counts):
    clean_env.setenv("REDIS_URL", redis_url)
    assert main(["stats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Campaigns, last 30 day(s)"
    rows = {line.split()[0]: line.split()[1:4] for line in lines[2:]}
    assert rows == {"desos": ["3", "3", "0"], "plwork": ["6", "2", "1"]}
    assert main(["stats", "--days", "60", "--campaign", "desos"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[:4] == ["desos", "103", "3", "0"]


def test_stats_prints_conversations_with_a_person_per_organisation(clean_env, capsys,
                                                                    redis_url, counts):
    client = redis.Redis.from_url(redis_url)
    client.hset(f"ss:h:staysafe:{counts.isoformat()}", mapping={"opened": 4, "answered": 3,
                                                                 "ended": 2})
    client.close()
    clean_env.setenv("REDIS_URL", redis_url)
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "desos" in out  # the campaigns first, as before
    section = out[out.index("Talking to a person, last 30 day(s)"):].splitlines()
    assert section[1].split() == ["organisation", "opened", "answered", "ended"]
    assert section[2].split() == ["staysafe", "4", "3", "2"]


def test_stats_writes_every_row_to_the_csv(clean_env, capsys, redis_url, counts, tmp_path):
    clean_env.setenv("REDIS_URL", redis_url)
    target = tmp_path / "counts.csv"
    assert main(["stats", "--campaign", "plwork", "--csv", str(target)]) == 0
    assert "7 row(s) written to" in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    old = (counts - dt.timedelta(days=3)).isoformat()
    today = counts.isoformat()
    assert rows[0] == ["day", "campaign", "event", "count"]
    assert sorted(rows[1:]) == sorted([
        [old, "plwork", "start", "1"], [old, "plwork", "quiz_done", "1"],
        [old, "plwork", "lang_uk", "1"], [today, "plwork", "start", "5"],
        [today, "plwork", "helplines", "2"], [today, "plwork", "lang_uk", "4"],
        [today, "plwork", "lang_ru", "1"]])


@pytest.mark.parametrize(("args", "env", "status", "says"), [
    (["--days", "99999999999"], {}, 2, "argument --days: must be a whole number of days"),
    (["--days", "0"], {}, 2, "argument --days: must be a whole number of days from 1"),
    (["--days=-5"], {}, 2, "argument --days: must be a whole number of days"),
    (["--days", "³"], {}, 2, "argument --days: must be a whole number of days"),
    ([], {"REDIS_URL": ""}, 2, "set REDIS_URL"),
    ([], {"REDIS_URL": "redis://redis:port"}, 2, "REDIS_URL is not a usable Redis address"),
    ([], {"REDIS_URL": "redis://127.0.0.1:{free}/0"}, 1, "cannot read the counts from "
     "REDIS_URL (ConnectionError): is Redis running?"),
    (["--csv", "{folder}"], {}, 2, "cannot write"),
])
def test_stats_refuses_bad_input_in_one_line(clean_env, capsys, redis_url, tmp_path, args, env,
                                             status, says):
    clean_env.setenv("REDIS_URL", redis_url)
    for name, raw in env.items():
        clean_env.setenv(name, raw.format(free=free_port()))
    assert status_of(["stats", *(a.format(folder=tmp_path) for a in args)]) == status
    assert says in one_line_error(capsys)


def test_report_writes_the_file(capsys, tmp_path):
    target = tmp_path / "content.md"
    assert main(["report", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == (
        PROJECT / "docs" / "content.md").read_text(encoding="utf-8")
    assert main(["report", "--output", str(tmp_path)]) == 2
    assert f"cannot write {tmp_path}" in one_line_error(capsys)
