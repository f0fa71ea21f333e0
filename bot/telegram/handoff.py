"""The relay: carries a person's messages to their counsellors' topic and the replies back.

Everything is copied (``copyMessage``), never forwarded: no name, username or id travels
either way. A person's messages go through the pacer (in order, a flood slowed); a counsellor's
reply reaches the person with "end" and "help" buttons under it. In the counsellors' group
(``HANDOFF_CHAT_ID``, a forum) one topic is one conversation, named by its anonymous ticket
(``K7Q2 · uk · PL``); ``/end`` there ends it, ``/info`` shows the person's language and country,
and closing the topic ends it too.

Whatever breaks the link ends the conversation cleanly and tells whoever can still be told:
the person blocked the bot (the counsellors), the topic was deleted (the person), the bot left
the group or lost its rights (every person with an open conversation; the offer disappears).
While the ticket store (Redis) cannot answer, a person's messages are handled by the engine as
usual and no conversation opens. Logs say what happened, never to whom.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import weakref
from dataclasses import replace

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus, ChatType, ContentType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
)
from aiogram.types import ChatMemberAdministrator, ChatMemberUpdated, User
from aiogram.types import Message as TgMessage
from redis.exceptions import RedisError

from bot.conversations import Conversations
from bot.engine.handoff import END, OPEN, Offer
from bot.engine.output import Message, Reply
from bot.handoff import (
    TOPIC_NAME_RE,
    MemoryTickets,
    Pacer,
    RedisTickets,
    Ticket,
    Tickets,
    new_code,
    topic_name,
)
from bot.stats import HANDOFF_PREFIX, MemoryCounter, RedisCounter
from bot.telegram.render import keyboard

log = logging.getLogger("stay_safe.handoff")

# Messages a person or a counsellor writes; service messages (a topic renamed, someone joined)
# are not passed on.
COPYABLE = frozenset({
    ContentType.TEXT, ContentType.PHOTO, ContentType.VOICE, ContentType.DOCUMENT,
    ContentType.VIDEO, ContentType.AUDIO, ContentType.ANIMATION, ContentType.VIDEO_NOTE,
    ContentType.STICKER, ContentType.LOCATION, ContentType.VENUE, ContentType.CONTACT,
    ContentType.POLL, ContentType.DICE,
})
COMMANDS = ("end", "info")  # counsellors' commands in a topic
STORE_DOWN = (RedisError, OSError)
GONE_TOPIC = ("thread not found", "topic_deleted", "topic_id_invalid")
CLOSED_TOPIC = ("topic_closed",)
# How long a person's update waits for its message to reach the topic before it is answered:
# until then Telegram holds their next message back, so another replica cannot overtake it.
PASS_ON_WAIT = 5.0


class Relay:
    """Talking to a person, on Telegram's side. ``conversations.handoff`` is the offer the
    engine shows (None while the group is unusable); the relay turns it on and off."""

    def __init__(self, conversations: Conversations, tickets: Tickets, counter, group: int,
                 keep: dt.timedelta, pacer: Pacer | None = None):
        self.conversations = conversations
        self.tickets = tickets
        self.counter = counter  # anonymous counts per organisation (bot/stats.py)
        self.group = group
        self.offer = Offer(keep)
        self.pacer = pacer or Pacer()
        self._me: User | None = None
        self._locks: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    @classmethod
    def build(cls, conversations: Conversations, group: int, ttl_seconds: int,
              redis_url: str | None, stats_ttl_days: int, sleep=None) -> Relay:
        if redis_url:
            tickets = RedisTickets.from_url(redis_url, ttl_seconds)
            counter = RedisCounter.from_url(redis_url, stats_ttl_days, prefix=HANDOFF_PREFIX)
        else:
            tickets, counter = MemoryTickets(ttl_seconds), MemoryCounter()
        pacer = Pacer(sleep=sleep) if sleep else Pacer()
        return cls(conversations, tickets, counter, group, dt.timedelta(seconds=ttl_seconds),
                   pacer)

    @property
    def available(self) -> bool:
        return self.conversations.handoff is not None

    def _offer(self, on: bool) -> None:
        self.conversations.handoff = self.offer if on else None

    # ------------------------------------------------------------ start and stop
    async def start(self, bot: Bot, me: User) -> None:
        """Check the counsellors' group; offer talking to a person only if it is usable."""
        self._me = me
        missing = await check_group(bot, self.group, me.id)
        if self.conversations.engine.catalog.handoff is None:
            missing.append("flows/handoff.yaml is missing (who answers, and when)")
        if missing:
            self._offer(False)
            log.warning("talking to a person is off: %s (see docs/handoff.md); the bot runs "
                        "without it", "; ".join(missing))
            return
        self._offer(True)
        log.info("talking to a person is on: the counsellors' group is a forum and the bot "
                 "may manage its topics")

    async def close(self) -> None:
        await self.pacer.close()
        await self.tickets.close()
        await self.counter.close()

    def register(self, router: Router) -> None:
        @router.my_chat_member()
        async def on_my_membership(update: ChatMemberUpdated, bot: Bot) -> None:
            if update.chat.id == self.group:
                await self.membership_changed(bot, update)
            elif (update.chat.type == ChatType.PRIVATE
                  and update.new_chat_member.status == ChatMemberStatus.KICKED):
                await self._person_blocked(bot, update.chat.id)

    # ------------------------------------------------------------ the person's side
    async def take(self, message: TgMessage, bot: Bot) -> bool:
        """Handle ``message`` if it is the relay's: everything in the counsellors' group, and
        a person's message while their conversation is open (commands go to the engine)."""
        if message.chat.id == self.group:
            async with self._lock(("topic", message.message_thread_id)):  # replies in order
                await self._from_counsellors(message, bot)
            return True
        if (message.chat.type != ChatType.PRIVATE or not self.available
                or (message.text or "").startswith("/")):
            return False
        chat = message.chat.id
        async with self._lock(chat):  # one person's messages keep their order
            try:
                ticket = await self.tickets.by_chat(chat)
            except STORE_DOWN as exc:
                log.warning("open conversations cannot be looked up (%s); the bot answers "
                            "as usual", type(exc).__name__)
                return False
            if ticket is None:
                return False
            copyable = message.content_type in COPYABLE
            passed_on = asyncio.get_running_loop().create_future()
            slowed = copyable and await self.pacer.submit(chat, functools.partial(
                self._pass_on, bot, ticket, message.message_id, passed_on))
        if not copyable:
            await self._tell_person(bot, ticket, "handoff_not_sent")
            return True
        if slowed:
            await self._tell_person(bot, ticket, "handoff_slow")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(passed_on), PASS_ON_WAIT)
        return True

    async def _pass_on(self, bot: Bot, ticket: Ticket, message_id: int,
                       passed_on: asyncio.Future) -> None:
        try:
            await self._to_counsellors(bot, ticket, message_id)
        finally:
            if not passed_on.done():
                passed_on.set_result(None)

    async def follow(self, bot: Bot, chat: int, reply: Reply) -> Reply:
        """Carry out what the engine asked (``Reply.handoff``); the reply to show, which says
        so honestly when a conversation could not be opened."""
        if reply.handoff == OPEN:
            return await self._open(bot, chat, reply)
        if reply.handoff == END:
            await self._end_by_person(bot, chat)
        return reply

    async def _open(self, bot: Bot, chat: int, reply: Reply) -> Reply:
        session = reply.session
        engine = self.conversations.current()
        unavailable = Reply((engine.person_notice("handoff_unavailable", session.lang,
                                                  session.country),), session, node=reply.node)
        if not self.available or engine.catalog.handoff is None:
            return unavailable
        try:
            if await self.tickets.by_chat(chat) is not None:
                return reply  # already connected: say so again
            if not await self.tickets.claim(chat):
                return reply  # being opened right now (a second tap, another replica)
        except STORE_DOWN as exc:
            log.warning("a conversation could not be opened: tickets unavailable (%s)",
                        type(exc).__name__)
            return unavailable
        org = engine.catalog.handoff.answering(session.lang, session.country)
        ticket = Ticket(new_code(), chat, 0, session.lang, session.country, org.id)
        try:
            topic = await bot.create_forum_topic(self.group, topic_name(ticket))
            ticket = replace(ticket, topic=topic.message_thread_id)
            await self.tickets.save(ticket)
        except TelegramForbiddenError:
            await self._release(chat)
            await self._group_lost(bot, "the bot was removed from the counsellors' group")
            return unavailable
        except (TelegramAPIError, ClientDecodeError, *STORE_DOWN) as exc:
            await self._release(chat)
            log.error("a conversation could not be opened (%s: %s)", type(exc).__name__,
                      getattr(exc, "message", ""))
            return unavailable
        await self._post(bot, ticket, "handoff_group_opened")
        await self._count(ticket, "opened")
        log.info("a conversation with a person was opened")
        return reply

    async def _release(self, chat: int) -> None:
        with contextlib.suppress(*STORE_DOWN):
            await self.tickets.release(chat)

    async def _to_counsellors(self, bot: Bot, ticket: Ticket, message_id: int) -> None:
        """One of the person's messages, copied into their topic (run by the pacer)."""
        try:
            if await self.tickets.by_topic(ticket.topic) is None:
                return  # the conversation ended while this message waited its turn
            await bot.copy_message(self.group, ticket.chat, message_id,
                                   message_thread_id=ticket.topic)
        except TelegramForbiddenError:
            await self._group_lost(bot, "the bot was removed from the counsellors' group")
        except TelegramBadRequest as exc:
            reason = exc.message.lower()
            if any(phrase in reason for phrase in GONE_TOPIC):
                await self._topic_gone(bot, ticket)
            elif any(phrase in reason for phrase in CLOSED_TOPIC):
                await self._ended_by_counsellors(bot, ticket, close=False)
            else:
                log.warning("a message could not be passed on to the counsellors: %s",
                            exc.message)
                await self._tell_person(bot, ticket, "handoff_not_sent")
        except (TelegramAPIError, ClientDecodeError, *STORE_DOWN) as exc:
            log.warning("a message could not be passed on to the counsellors (%s)",
                        type(exc).__name__)
            await self._tell_person(bot, ticket, "handoff_not_sent")

    async def _end_by_person(self, bot: Bot, chat: int) -> None:
        try:
            ticket = await self.tickets.by_chat(chat)
            if ticket is None or not await self.tickets.end(ticket):
                return
        except STORE_DOWN as exc:
            log.warning("a conversation could not be ended: tickets unavailable (%s)",
                        type(exc).__name__)
            return
        await self._post(bot, ticket, "handoff_group_person_ended")
        await self._close_topic(bot, ticket)
        await self._count(ticket, "ended")
        log.info("a person ended their conversation")

    # ------------------------------------------------------------ the counsellors' side
    async def _from_counsellors(self, message: TgMessage, bot: Bot) -> None:
        topic = message.message_thread_id
        if message.forum_topic_closed is not None and topic is not None:
            ticket = await self._ticket_of_topic(topic)
            if ticket is not None:
                await self._ended_by_counsellors(bot, ticket, close=False)
            return
        if (not message.is_topic_message or topic is None
                or message.content_type not in COPYABLE
                or (message.from_user is not None and self._me is not None
                    and message.from_user.id == self._me.id)):
            return  # the General topic, a service message, or the bot itself
        command = counsellor_command(message.text, self._me.username if self._me else None)
        try:
            ticket = await self.tickets.by_topic(topic)
        except STORE_DOWN as exc:
            log.warning("a counsellor's message could not be passed on: tickets unavailable "
                        "(%s)", type(exc).__name__)
            await self._post_in(bot, topic, None, "handoff_group_not_sent")
            return
        if ticket is None:
            if self._conversation_topic(message):  # not a topic the counsellors made
                await self._post_in(bot, topic, None, "handoff_group_gone")
        elif command == "end":
            await self._ended_by_counsellors(bot, ticket, close=True)
        elif command == "info":
            await self._post(bot, ticket, "handoff_group_info")
        else:
            await self._to_person(bot, ticket, message.message_id)

    def _conversation_topic(self, message: TgMessage) -> bool:
        """Whether a message without a ticket was written in a conversation's topic (then
        "not delivered" is said), not one the counsellors made for themselves (silence).
        Telegram points a message in a topic to the topic's first message, or to the message
        it answers."""
        start = message.reply_to_message
        if start is None:
            return False
        if start.forum_topic_created is not None:
            return bool(TOPIC_NAME_RE.fullmatch(start.forum_topic_created.name))
        return (start.from_user is not None and self._me is not None
                and start.from_user.id == self._me.id)

    async def _to_person(self, bot: Bot, ticket: Ticket, message_id: int) -> None:
        buttons = keyboard_of(self.conversations.current().ongoing_buttons(ticket.lang))
        try:
            await bot.copy_message(ticket.chat, self.group, message_id, reply_markup=buttons)
        except TelegramForbiddenError:
            await self._blocked(bot, ticket)
            return
        except (TelegramAPIError, ClientDecodeError) as exc:
            log.warning("a counsellor's message could not be delivered (%s: %s)",
                        type(exc).__name__, getattr(exc, "message", ""))
            await self._post(bot, ticket, "handoff_group_not_sent")
            return
        try:
            first = await self.tickets.answered(ticket)
        except STORE_DOWN:
            first = False
        if first:
            await self._count(ticket, "answered")

    async def _person_blocked(self, bot: Bot, chat: int) -> None:
        """Telegram says the person blocked the bot (a my_chat_member update)."""
        try:
            ticket = await self.tickets.by_chat(chat)
        except STORE_DOWN:
            return  # the next reply finds out (403)
        if ticket is not None:
            await self._blocked(bot, ticket)

    async def _blocked(self, bot: Bot, ticket: Ticket) -> None:
        if await self._end_quietly(ticket):
            await self._post(bot, ticket, "handoff_group_blocked")
            await self._close_topic(bot, ticket)
            await self._count(ticket, "ended")
            log.info("a conversation ended: the person blocked the bot")

    async def _ended_by_counsellors(self, bot: Bot, ticket: Ticket, close: bool) -> None:
        if not await self._end_quietly(ticket):
            return
        await self._tell_person(bot, ticket, "handoff_closed")
        await self._post(bot, ticket, "handoff_group_ended")
        if close:
            await self._close_topic(bot, ticket)
        await self._count(ticket, "ended")
        log.info("counsellors ended a conversation")

    async def _topic_gone(self, bot: Bot, ticket: Ticket) -> None:
        if await self._end_quietly(ticket):
            await self._tell_person(bot, ticket, "handoff_unavailable")
            await self._count(ticket, "ended")
            log.warning("a conversation ended: its topic was deleted in the counsellors' group")

    async def membership_changed(self, bot: Bot, update: ChatMemberUpdated) -> None:
        """The bot's own rights in the group changed: an admin that may manage topics keeps
        (or gets back) the offer; anything less ends every conversation."""
        member = update.new_chat_member
        usable = isinstance(member, ChatMemberAdministrator) and member.can_manage_topics
        if usable and not self.available:
            missing = await check_group(bot, self.group, member.user.id)
            if missing:
                log.warning("talking to a person stays off: %s", "; ".join(missing))
                return
            self._offer(True)
            log.warning("the bot may manage the counsellors' topics again: talking to a "
                        "person is on")
        elif not usable:
            left = member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.KICKED)
            await self._group_lost(bot, "the bot was removed from the counsellors' group"
                                   if left else "the bot may no longer manage its topics")

    async def _group_lost(self, bot: Bot, reason: str) -> None:
        """The group cannot be used: no new conversations, and every open one ends."""
        was_on = self.available
        self._offer(False)
        try:
            open_tickets = await self.tickets.every()
        except STORE_DOWN:
            open_tickets = []
        ended = 0
        for ticket in open_tickets:
            if await self._end_quietly(ticket):
                ended += 1
                await self._tell_person(bot, ticket, "handoff_unavailable")
                await self._count(ticket, "ended")
        if was_on or ended:
            log.warning("talking to a person is off: %s; %d open conversation(s) ended (see "
                        "docs/handoff.md)", reason, ended)

    # ------------------------------------------------------------ helpers
    async def _ticket_of_topic(self, topic: int) -> Ticket | None:
        try:
            return await self.tickets.by_topic(topic)
        except STORE_DOWN:
            return None

    async def _end_quietly(self, ticket: Ticket) -> bool:
        """End the ticket; True when this call ended it (then this replica tells people)."""
        try:
            return await self.tickets.end(ticket)
        except STORE_DOWN as exc:
            log.warning("a conversation could not be ended: tickets unavailable (%s)",
                        type(exc).__name__)
            return False

    async def _tell_person(self, bot: Bot, ticket: Ticket, key: str) -> None:
        message = self.conversations.current().person_notice(key, ticket.lang, ticket.country)
        try:
            await bot.send_message(ticket.chat, message.text, reply_markup=keyboard(message))
        except (TelegramAPIError, ClientDecodeError) as exc:
            log.info("a person could not be told about their conversation (%s)",
                     type(exc).__name__)

    async def _post(self, bot: Bot, ticket: Ticket, key: str) -> None:
        await self._post_in(bot, ticket.topic, ticket, key)

    async def _post_in(self, bot: Bot, topic: int, ticket: Ticket | None, key: str) -> None:
        """A notice in a topic, in its organisation's language (the default organisation's
        when the ticket is gone)."""
        engine = self.conversations.current()
        desk = engine.catalog.handoff
        if desk is None:
            return
        if ticket is None:  # a notice that names nobody: in the default organisation's words
            org = desk.organisations[desk.default]
            message = engine.counsellor_notice(key, org.id, "", org.language, None)
        else:
            message = engine.counsellor_notice(key, ticket.organisation, ticket.code,
                                               ticket.lang, ticket.country)
        try:
            await bot.send_message(self.group, message.text, message_thread_id=topic)
        except (TelegramAPIError, ClientDecodeError) as exc:
            log.info("a notice could not be posted in the counsellors' group (%s)",
                     type(exc).__name__)

    async def _close_topic(self, bot: Bot, ticket: Ticket) -> None:
        with contextlib.suppress(TelegramAPIError, ClientDecodeError):
            await bot.close_forum_topic(self.group, ticket.topic)

    async def _count(self, ticket: Ticket, name: str) -> None:
        try:
            await self.counter.add(ticket.organisation, (name,), self.conversations.today())
        except Exception as exc:  # a count is worth less than the conversation
            log.warning("could not count a conversation event (%s)", type(exc).__name__)

    def _lock(self, key) -> asyncio.Lock:
        """One lock per person's chat, one per topic: updates are handled concurrently, and
        each side's messages must arrive in the order they were written."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock


def counsellor_command(text: str | None, bot_username: str | None) -> str | None:
    """``end`` or ``info`` for "/end", "/info@this_bot"; None for anything else."""
    if not text or not text.startswith("/"):
        return None
    head = text.split(maxsplit=1)[0][1:]
    name, _, addressee = head.partition("@")
    if addressee and (not bot_username or addressee.lower() != bot_username.lower()):
        return None
    return name.lower() if name.lower() in COMMANDS else None


def keyboard_of(rows):
    """The inline keyboard for ``rows`` of engine buttons (under a copied message)."""
    return keyboard(Message("", rows))


async def check_group(bot: Bot, chat_id: int, bot_id: int) -> list[str]:
    """What keeps the counsellors' group from being used, in plain words (empty: nothing)."""
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramForbiddenError:
        return ["the bot is not a member of the HANDOFF_CHAT_ID group (add it as an admin)"]
    except TelegramBadRequest as exc:
        return [f"Telegram does not show the bot the HANDOFF_CHAT_ID group ({exc.message}): "
                "check the id and add the bot to the group"]
    except (TelegramAPIError, ClientDecodeError, OSError) as exc:
        return [f"the group could not be checked ({type(exc).__name__}); restart the bot to "
                "check again"]
    missing = []
    if chat.type != ChatType.SUPERGROUP:
        missing.append("the group is not a supergroup (turning Topics on makes it one)")
    elif not chat.is_forum:
        missing.append("Topics are off in the group (turn them on in its settings)")
    try:
        member = await bot.get_chat_member(chat_id, bot_id)
    except (TelegramAPIError, ClientDecodeError, OSError) as exc:
        missing.append(f"the bot's rights could not be checked ({type(exc).__name__})")
        return missing
    if member.status != ChatMemberStatus.ADMINISTRATOR:
        missing.append("the bot is not an admin of the group")
    elif not getattr(member, "can_manage_topics", False):
        missing.append("the bot, an admin, may not manage topics (give it that right)")
    return missing
