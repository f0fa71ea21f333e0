"""Content that goes live: validated before it is used, swapped in without a restart.

A change that does not validate is refused and the bot keeps serving the previous version, so
an editor's typo can never break the running bot. Missing translations do not block: readers
see the fallback language with a notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.checks.validate import validate
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
    """What changes when an editor saves a file: names, sizes and modification times."""
    files = sorted((*root.glob("flows/*.yaml"), *root.glob("content/*/*.yaml")))
    result = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        result.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(result)


async def watch(root: Path, use, interval: float, stop: asyncio.Event) -> None:
    """Every ``interval`` seconds, publish changed content through ``use(engine)`` if valid."""
    seen = snapshot(root)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        current = snapshot(root)
        if current == seen:
            continue
        seen = current
        engine, fatal, gaps = await asyncio.to_thread(load_checked, root)
        if engine is None:
            log.error("content change refused (%d error(s)); still serving the previous "
                      "version. First: %s", len(fatal), fatal[0] if fatal else "no settings")
            continue
        use(engine)
        log.info("content reloaded: %d screens%s", len(engine.catalog.nodes),
                 f", {len(gaps)} missing translation(s)" if gaps else "")
