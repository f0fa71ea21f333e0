"""One place where an event meets a session: load it, let the engine decide, save it.

Telegram-free, so the same code serves the bot and its tests. Updates of one conversation are
handled one at a time (two quick taps must not race on the same session); different
conversations run concurrently. A stored session the engine cannot use is treated as a new one,
so one bad record never locks a person out (not even of /forget), and the answer's save
replaces it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref

from bot.engine.events import Event
from bot.engine.handoff import Offer
from bot.engine.output import Reply
from bot.engine.runtime import Engine
from bot.engine.session import Session, Unreadable
from bot.storage import SessionStore

log = logging.getLogger("stay_safe.conversations")


class Conversations:
    def __init__(self, engine: Engine, store: SessionStore, counter=None, today=None,
                 bot: str | None = None, now=None):
        self.engine = engine
        self.store = store
        self.counter = counter  # anonymous campaign counts (bot/stats.py), optional
        self.today = today or (lambda: dt.datetime.now(dt.UTC).date())
        self.now = now or (lambda: dt.datetime.now(dt.UTC))  # are counsellors there now?
        self.bot = bot  # the bot's @username, once Telegram has told it
        self.handoff: Offer | None = None  # talking to a person, while its group is usable
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def use(self, engine: Engine) -> None:
        """Serve new content from the next update on (conversations in flight finish first)."""
        self.engine = engine

    def current(self) -> Engine:
        """The engine for today and for this bot: facts past their review date are marked from
        the day they pass, the fake-bot screen names the real bot, and talking to a person is
        offered while it works."""
        engine = self.engine.for_day(self.today(), self.bot, self.handoff)
        if engine is not self.engine:
            self.engine = engine
        return engine

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, key: str, event: Event, lang_hint: str | None = None) -> Reply:
        lock = self._lock(key)
        async with lock:
            data = await self.store.load(key)
            session = None
            if data:
                try:
                    session = Session.parse(data)
                except Unreadable:
                    log.warning("an unreadable session was treated as a new one")
            engine = self.current()
            reply = engine.step(session, event, lang_hint=lang_hint, now=self.now())
            if reply.erase:
                if not await self.store.erase(key):
                    reply = engine.forget_pending(reply, session.lang if session else None)
            else:
                changed = reply.session.to_dict()
                if changed != data:  # reading already refreshed the TTL: no write needed
                    await self.store.save(key, changed)
        if reply.counts and reply.session.campaign and self.counter is not None:
            await self._count(reply.session.campaign, reply.counts)
        return reply

    async def _count(self, campaign: str, names: tuple[str, ...]) -> None:
        """Counting is best effort: a failure never costs the person their answer (and the
        Redis counter only queues: it never waits for Redis)."""
        try:
            await self.counter.add(campaign, names, self.today())
        except Exception as exc:
            log.warning("could not count a campaign event (%s)", type(exc).__name__)
