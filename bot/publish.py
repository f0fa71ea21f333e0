"""Content that goes live: validated before it is used, swapped in without a restart.

A change that does not validate is refused and the bot keeps serving the previous version, so
an editor's typo can never break the running bot. Missing translations do not block: readers
see the fallback language with a notice. Whatever goes wrong during one reload is logged and the
watcher keeps watching, so the next good edit still goes live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.checks.validate import validate
from bot.content.loader import content_files
from bot.content.problems import SOFT_CODES, Problem, blocking

if TYPE_CHECKING:
    from bot.engine.runtime import Engine

log = logging.getLogger("stay_safe.content")


def load_checked(root: Path) -> tuple[Engine | None, list[Problem], list[Problem]]:
    """(engine or None, blocking problems, translation gaps) for the content under ``root``."""
    report = validate(root)
    fatal = blocking(report.problems)
    gaps = [p for p in report.problems if p.code in SOFT_CODES]
    if fatal or report.engine is None:
        return None, fatal, gaps
    return report.engine, fatal, gaps  # its screens are already rendered by the checks


def snapshot(root: Path) -> tuple:
    """What changes when an editor saves a file: names, types, sizes and modification times.

    Only ``stat`` is called, never ``open``, so a pipe or a device cannot block it; a broken link
    or a loop of links is seen through ``lstat``, so creating one counts as a change."""
    try:
        folders = [root / "flows", *sorted((root / "content").glob("*"))]
        files = [path for folder in folders for path in content_files(folder)]
    except OSError as exc:
        return (("unlisted", str(exc)),)
    result = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            try:
                info = path.lstat()
            except OSError:  # gone since it was listed
                continue
        result.append((str(path), info.st_mode, info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(result)


async def watch(root: Path, use, interval: float, stop: asyncio.Event,
                refused: Callable[[], None] | None = None) -> None:
    """Every ``interval`` seconds, publish changed content through ``use(engine)`` if valid;
    ``refused()`` is called for a change that is not (for a metric: no Prometheus here).

    Each change is tried once: a refused one waits for the editor's next save, and an unexpected
    failure is logged with its traceback, never ending the watch."""
    seen = snapshot(root)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        try:
            current = snapshot(root)
            if current != seen:
                seen = current
                if not await _publish(root, use) and refused is not None:
                    refused()
        except Exception:
            log.exception("content reload failed; still serving the previous version")
            if refused is not None:
                refused()


async def _publish(root: Path, use) -> bool:
    engine, fatal, gaps = await asyncio.to_thread(load_checked, root)
    if engine is None:
        log.error("content change refused (%d error(s)); still serving the previous "
                  "version. First: %s", len(fatal), fatal[0] if fatal else "no settings")
        return False
    use(engine)
    log.info("content reloaded: %d screens%s", len(engine.catalog.nodes),
             f", {len(gaps)} missing translation(s)" if gaps else "")
    return True
