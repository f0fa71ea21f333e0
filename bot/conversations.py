"""One place where an event meets a session: load it, let the engine decide, save it.

Telegram-free, so the same code serves the bot and its tests. Each update takes its turn in its
conversation (bot/ordering.py: one at a time, in update_id order, each update once, across
replicas when the ordering is Redis's); different conversations run concurrently. The Telegram
adapter opens the turn around the whole update (``turn``), so that its answers are sent before
the next update of the conversation starts; the session is read when the turn begins and
written when it ends, in the round trips that also claim and release the turn. A stored session
the engine cannot use is treated as a new one, so one bad record never locks a person out (not
even of /forget), and the answer's save replaces it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass

from bot.engine.events import Event
from bot.engine.handoff import Offer
from bot.engine.output import Reply
from bot.engine.runtime import Engine
from bot.engine.session import Session, Unreadable
from bot.ordering import LocalOrdering, Ordering, Turn
from bot.storage import SessionStore

log = logging.getLogger("stay_safe.conversations")


@dataclass(eq=False)
class _Open:
    """A turn in progress: the session as it stands, and whether it must be written."""

    turn: Turn
    data: dict | None
    changed: bool = False


_OPEN: ContextVar[_Open | None] = ContextVar("stay_safe_turn", default=None)


class Conversations:
    def __init__(self, engine: Engine, store: SessionStore, counter=None, today=None,
                 bot: str | None = None, now=None, ordering: Ordering | None = None):
        self.engine = engine
        self.store = store
        self.counter = counter  # anonymous campaign counts (bot/stats.py), optional
        self.today = today or (lambda: dt.datetime.now(dt.UTC).date())
        self.now = now or (lambda: dt.datetime.now(dt.UTC))  # are counsellors there now?
        self.bot = bot  # the bot's @username, once Telegram has told it
        self.handoff: Offer | None = None  # talking to a person, while its group is usable
        self.ordering = ordering or LocalOrdering()

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

    @contextlib.asynccontextmanager
    async def turn(self, key: str, update_id: int | None = None) -> AsyncIterator[Turn]:
        """This update's turn in conversation ``key``; ``handle`` inside it uses it. A
        duplicate (``turn.duplicate``) must not be handled. The session changed is written when
        the block ends without an exception; then the update also counts as handled, so that
        one cut short (a shutdown) is handled again when Telegram delivers it again."""
        turn = await self.ordering.claim(key, update_id,
                                         lambda rider: self.store.load(key, rider))
        opened = _Open(turn, turn.data)
        reset = _OPEN.set(opened)
        handled = False
        try:
            yield turn
            handled = True
        finally:
            _OPEN.reset(reset)
            write = None
            if opened.changed and opened.data is not None:
                data = opened.data

                async def write(rider):
                    await self.store.save(key, data, rider)

            await self.ordering.finish(turn, handled, write)

    async def handle(self, key: str, event: Event, lang_hint: str | None = None) -> Reply:
        opened = _OPEN.get()
        if opened is None or opened.turn.key != key:
            async with self.turn(key):
                return await self.handle(key, event, lang_hint)
        data = opened.data
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
            opened.data, opened.changed = None, False
        else:
            changed = reply.session.to_dict()
            if changed != data:  # reading already refreshed the TTL: no write needed
                opened.data, opened.changed = changed, True
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
