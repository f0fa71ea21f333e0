"""Whatever an editor saves, `validate`, `run` and the live reload answer with a positioned error.

Each case is a real editor's mistake: an impossible date, characters pasted from a word
processor, a broken link or an Emacs lock file, a pipe or a folder named ``*.yaml``. None may end
in a traceback, block a reload, or stop the watcher that publishes the next good edit.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.checks.validate import validate
from tests.conftest import PROJECT

TODAY = dt.date(2026, 11, 23)
EXTRA = "flows/extra.yaml"
PIPE = "this is a named pipe, not a text file; only plain text files are read"
DEVICE = "this is a device, not a text file; only plain text files are read"
LOOP = "this is a link that leads back to itself (a loop of links); delete the link"


def invisible(code: str) -> str:
    return (f"invisible character U+{code} is not allowed (often pasted from a word processor); "
            "delete it, or retype the text around it")


def write(name: str, data: str | bytes) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return make


def link(name: str, target: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).unlink(missing_ok=True)
        (root / name).symlink_to(target)
    return make


def fifo(name: str) -> Callable[[Path], None]:
    return lambda root: os.mkfifo(root / name)


def folder(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name).mkdir()


# (id, what the editor's machine did, exactly what `validate` reports)
REFUSED = [
    ("impossible_date", write(EXTRA, "extra:\n  checked: 2026-02-30\n"),
     f"{EXTRA}:2:12: error: '2026-02-30' is not a real date (day is out of range for month)"),
    ("vertical_tab_in_a_value", write(EXTRA, "extra:\n  kind: info\x0b\n"),
     f"{EXTRA}:2:13: error: {invisible('000B')}"),
    ("escape_in_a_value", write(EXTRA, "extra:\n  kind: \x1b[0minfo\n"),
     f"{EXTRA}:2:9: error: {invisible('001B')}"),
    ("nul_in_a_key", write(EXTRA, "extra:\n  ki\x00nd: info\n"),
     f"{EXTRA}:2:5: error: {invisible('0000')}"),
    ("integer_of_thousands_of_digits", write(EXTRA, "extra:\n  weight: " + "9" * 5000 + "\n"),
     f"{EXTRA}:2:11: error: a number 5000 characters long cannot be right; if it is text, put "
     "it in quotes"),
    ("thousands_of_nested_brackets", write(EXTRA, "extra: " + "[" * 5000 + "\n"),
     f"{EXTRA}:1:39: error: lists and mappings are nested more than 32 levels deep; look for "
     "brackets [ or { that are never closed"),
    ("not_utf8", write(EXTRA, "extra:\n  title: Café\n".encode("latin-1")),
     f"{EXTRA}:2:13: error: file is not valid UTF-8 text; save it with the UTF-8 encoding"),
    ("dangling_symlink", link(EXTRA, "nowhere.yaml"),
     f"{EXTRA}:1:1: error: this is a link to a file that does not exist; delete the link or "
     "restore the file"),
    ("symlink_loop", link(EXTRA, "extra.yaml"), f"{EXTRA}:1:1: error: {LOOP}"),
    ("settings_symlink_loop", link("flows/settings.yaml", "settings.yaml"),
     f"flows/settings.yaml:1:1: error: {LOOP}"),
    ("directory", folder(EXTRA),
     f"{EXTRA}:1:1: error: this is a folder, not a file; rename it so its name does not end "
     "in .yaml"),
    ("fifo", fifo(EXTRA), f"{EXTRA}:1:1: error: {PIPE}"),
    ("fifo_among_texts", fifo("content/uk/extra.yaml"),
     f"content/uk/extra.yaml:1:1: error: {PIPE}"),
    ("symlink_to_dev_zero", link(EXTRA, "/dev/zero"), f"{EXTRA}:1:1: error: {DEVICE}"),
    ("symlink_to_dev_urandom", link("content/en/extra.yaml", "/dev/urandom"),
     f"content/en/extra.yaml:1:1: error: {DEVICE}"),
]
# Hidden files are an editor's business, not content: they are ignored.
IGNORED = [
    ("emacs_lock_file", link("flows/.#main.yaml", "editor@host.4242:1700000000")),
    ("macos_resource_fork", write("content/en/._main.yaml", b"\x00\x05\x16\x07\x00\x02\xff\xfe")),
]


@pytest.mark.parametrize(("make", "expected"), [(make, [line]) for _, make, line in REFUSED]
                         + [(make, []) for _, make in IGNORED],
                         ids=[case[0] for case in REFUSED + IGNORED])
def test_validate_reports_each_unreadable_file_with_its_position(base_copy: Path, make, expected):
    make(base_copy)
    assert [str(p) for p in validate(base_copy, today=TODAY).problems] == expected


def test_validate_command_answers_a_pipe_at_once_with_its_position(base_copy: Path):
    os.mkfifo(base_copy / EXTRA)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "validate", str(base_copy),
                             "--today", "2026-11-23"], capture_output=True, text=True,
                            cwd=PROJECT, timeout=60)
    assert result.returncode == 1
    assert result.stdout == f"{EXTRA}:1:1: error: {PIPE}\n"
    assert result.stderr.startswith("FAILED: 1 error(s), 0 warning(s)")


def test_run_refuses_to_start_on_a_pipe_with_its_position(base_copy: Path):
    from tests.test_telegram_e2e import TOKEN

    os.mkfifo(base_copy / EXTRA)
    env = {**os.environ, "BOT_TOKEN": TOKEN, "CONTENT_DIR": str(base_copy),
           "BOT_API_URL": "http://127.0.0.1:9"}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], capture_output=True,
                            text=True, env=env, cwd=base_copy, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"stay-safe: content has 1 error(s), first: {EXTRA}:1:1: error: {PIPE} "
        "(run `stay-safe validate`)")
