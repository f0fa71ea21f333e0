"""Whatever an editor saves, `validate`, `run` and the live reload answer with a positioned error.

Each case is a real editor's mistake: an impossible date, characters pasted from a word
processor, a broken link or an Emacs lock file, a pipe or a folder named ``*.yaml``. None may end
in a traceback, block a reload, or stop the watcher that publishes the next good edit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import shutil
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.checks.validate import validate
from bot.content.loader import load_catalog
from bot.publish import watch
from tests.conftest import BASE, PROJECT

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


def _restore(root: Path, title: str) -> None:
    """The editor undoes the mistake and makes a good edit, in one step the watcher sees."""
    for part in ("flows", "content"):
        shutil.rmtree(root / part)
        shutil.copytree(BASE / part, root / part)
    main = root / "content/en/main.yaml"
    main.write_text(main.read_text().replace('"[en] Home"', f'"[en] {title}"'))


class _Operator(logging.Handler):
    """What an operator would notice: error logs and published content, in order."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: asyncio.Queue = asyncio.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.put_nowait(("logged", record.getMessage(), record.exc_info is not None))

    def use(self, engine) -> None:
        self.seen.put_nowait(("published", engine.catalog.texts["en"]["home"].title))

    async def next(self, watcher: asyncio.Task):
        """The next thing noticed; fails at once if the watcher died."""
        getter = asyncio.ensure_future(self.seen.get())
        await asyncio.wait({getter, watcher}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            getter.cancel()
            died = watcher.done() and (watcher.exception() or "it returned")
            raise AssertionError(f"the watcher stopped: {died}" if died else "nothing happened")
        return getter.result()


async def _watching(root: Path, operator: _Operator, stop: asyncio.Event) -> asyncio.Task:
    logging.getLogger("stay_safe.content").addHandler(operator)
    watcher = asyncio.create_task(watch(root, operator.use, 0.01, stop))
    await asyncio.sleep(0)  # the watcher takes its first look at the files
    return watcher


async def _stop(watcher: asyncio.Task, operator: _Operator, stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.gather(watcher, return_exceptions=True)
    logging.getLogger("stay_safe.content").removeHandler(operator)


async def test_watcher_refuses_each_broken_edit_and_publishes_the_next_good_one(base_copy: Path):
    operator, stop = _Operator(), asyncio.Event()
    watcher = await _watching(base_copy, operator, stop)
    try:
        # A digit in a title would differ from the other languages: letters mark each edit.
        for letter, (_, make, line) in zip(string.ascii_uppercase, REFUSED, strict=False):
            make(base_copy)
            assert await operator.next(watcher) == (
                "logged", "content change refused (1 error(s)); still serving the previous "
                f"version. First: {line}", False)
            _restore(base_copy, f"Home {letter}")
            assert await operator.next(watcher) == ("published", f"[en] Home {letter}")
        for letter, (_, make) in zip(string.ascii_lowercase, IGNORED, strict=False):
            _restore(base_copy, f"Home {letter}")
            make(base_copy)
            assert await operator.next(watcher) == ("published", f"[en] Home {letter}")
    finally:
        await _stop(watcher, operator, stop)


async def test_watcher_logs_a_failed_publish_and_keeps_watching(base_copy: Path):
    operator, stop = _Operator(), asyncio.Event()
    publish = operator.use
    failures = [RuntimeError("the bot could not take the new content")]

    def use(engine) -> None:
        if failures:
            raise failures.pop()
        publish(engine)

    operator.use = use
    watcher = await _watching(base_copy, operator, stop)
    try:
        _restore(base_copy, "Home A")
        assert await operator.next(watcher) == (
            "logged", "content reload failed; still serving the previous version", True)
        _restore(base_copy, "Home B")
        assert await operator.next(watcher) == ("published", "[en] Home B")
    finally:
        await _stop(watcher, operator, stop)


def test_validate_command_answers_a_pipe_at_once_with_its_position(base_copy: Path):
    os.mkfifo(base_copy / EXTRA)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "validate", str(base_copy),
                             "--today", "2026-11-23"], capture_output=True, text=True,
                            cwd=PROJECT, timeout=60)
    assert result.returncode == 1
    assert result.stdout == f"{EXTRA}:1:1: error: {PIPE}\n"
    assert result.stderr.startswith("FAILED: 1 error(s), 0 warning(s)")


def test_run_refuses_to_start_on_a_pipe_with_its_position(base_copy: Path):
    from tests.conftest import TOKEN

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


def test_the_content_version_names_the_texts_that_were_read(base_copy: Path):
    """The version on /metrics comes from the bytes loaded, not from a second read of the
    folder (which an editor may have changed meanwhile, or turned into a pipe)."""
    first = load_catalog(base_copy)[0].version
    assert len(first) == 12 and load_catalog(base_copy)[0].version == first
    texts = base_copy / "content/en/main.yaml"
    texts.write_text(texts.read_text().replace("[en] Home text.", "[en] Home, new text."))
    assert load_catalog(base_copy)[0].version != first
