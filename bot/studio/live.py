"""The content as the studio shows it: the validator's latest findings and the last good engine.

The folder is watched with the same ``snapshot`` the running bot uses, and each change is
validated at once. A change with errors replaces the findings but not the engine, so while an
editor's file is broken the chat keeps showing the last version that worked, under the errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.checks.validate import Report, validate
from bot.config import value
from bot.content.problems import Problem, blocking
from bot.engine.handoff import Offer
from bot.engine.runtime import Engine
from bot.publish import snapshot

# The link to a person's topic outlives their last message by HANDOFF_TTL_DAYS, as in the bot.
PREVIEW_OFFER = Offer(keep=dt.timedelta(days=float(value("HANDOFF_TTL_DAYS"))))

log = logging.getLogger("stay_safe.studio")


@dataclass(frozen=True)
class Loaded:
    """One look at the content; swapped whole, so a page never mixes two versions."""

    version: int = 0  # counts every look that found a change: pages reload when it moves
    engine: Engine | None = None  # the last content without blocking errors
    report: Report | None = None  # the latest findings, good or bad
    fatal: list[Problem] = field(default_factory=list)  # what keeps the latest from the chat
    good_at: dt.datetime | None = None  # when ``engine`` was loaded
    checked_at: dt.datetime | None = None  # when ``report`` was made


class LiveContent:
    """The content under ``root``; ``refresh`` looks again, ``watch`` keeps looking."""

    def __init__(self, root: Path, today: Callable[[], dt.date] = dt.date.today,
                 bot: str | None = None, clock: Callable[[], dt.datetime] = dt.datetime.now):
        self.root = root
        self.today = today
        self.bot = bot
        self.clock = clock
        self.loaded = Loaded()
        self._seen: tuple | None = None

    def engine(self) -> Engine | None:
        """The last good engine, as of today (a studio left running overnight moves on).

        Talking to a person is offered as if HANDOFF_CHAT_ID were set, so editors see its
        button and consent screen (at any hour: the preview has no counsellors to reach)."""
        engine = self.loaded.engine
        return engine.for_day(self.today(), self.bot, PREVIEW_OFFER) if engine else None

    def refresh(self) -> bool:
        """Validate again if any content file changed since the last look; True if one did."""
        current = snapshot(self.root)
        if current == self._seen:
            return False
        self._seen = current
        report = validate(self.root, self.today())
        fatal = blocking(report.problems)
        previous, now = self.loaded, self.clock()
        engine, good_at = previous.engine, previous.good_at
        if not fatal and report.engine is not None:
            engine, good_at = report.engine.for_day(report.engine.today, self.bot), now
        self.loaded = Loaded(previous.version + 1, engine, report, fatal, good_at, now)
        return True

    async def watch(self, interval: float, stop: asyncio.Event) -> None:
        """Look every ``interval`` seconds until ``stop``; a failure is logged, never fatal."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:
                log.exception("could not check the content; still showing the previous version")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
