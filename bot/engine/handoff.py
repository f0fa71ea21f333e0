"""Talking to a person, as the engine sees it: the screens and texts, never the conversation.

The engine decides what a person sees: the "Talk to a person" button on the screens named in
flows/handoff.yaml (only when the adapter offers it: ``Offer``), the consent screen, the
outside-hours notice followed by the helplines, and the texts the relay shows on both sides.
Opening a topic, copying messages and reading the clock belong to the adapter
(bot/telegram/handoff.py): it passes the moment in (``now``) and carries out ``Reply.handoff``.

Actions: ``p`` asks (consent, or outside hours) · ``p:y`` starts · ``p:x`` ends · ``p:s`` the
helplines from within a conversation.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, replace

from bot.content.hours import is_open
from bot.content.model import Organisation
from bot.content.texts import format_period, format_zone, language_name_in
from bot.engine.output import Button, Message, Reply
from bot.engine.session import Session

OPEN, END = "open", "end"  # Reply.handoff: what the adapter carries out
END_COMMAND = "end"
# Texts every language defines under ``ui:`` when flows/handoff.yaml exists. Those starting
# with handoff_group_ are read by counsellors, in their organisation's language.
HANDOFF_UI_KEYS = (
    "handoff_button", "handoff_consent", "handoff_start", "handoff_outside",
    "handoff_connected", "handoff_end", "handoff_ended", "handoff_closed",
    "handoff_unavailable", "handoff_slow", "handoff_not_sent",
    "handoff_group_opened", "handoff_group_info", "handoff_group_person_ended",
    "handoff_group_ended", "handoff_group_blocked", "handoff_group_gone",
    "handoff_group_not_sent",
)
HANDOFF_LABELS = ("handoff_button", "handoff_start", "handoff_end")
# Notices to a person whose conversation goes on (they keep the "end" button) and those that
# say it is over (they lead home).
ONGOING = ("handoff_connected", "handoff_slow", "handoff_not_sent")
# Taps under a counsellor's reply: the answer comes as a new message, so the reply stays.
KEEP_MESSAGE = frozenset({"p:x", "p:s"})


@dataclass(frozen=True)
class Offer:
    """Talking to a person is available (HANDOFF_CHAT_ID is set and the group was checked).
    ``keep`` is how long the link to a person's topic outlives their last message: the
    consent screen says so."""

    keep: dt.timedelta


class PersonScreens:
    """The handoff part of ``Engine`` (a mixin: it uses the engine's texts and navigation)."""

    handoff: Offer | None

    def _person(self, session: Session, rest: str, now: dt.datetime | None) -> Reply:
        desk = self.catalog.handoff
        if rest == "s":  # help stays one tap away, whatever else has changed
            return self._sos(session)
        if self.handoff is None or desk is None or rest not in ("", "y", "x"):
            return self._home(session, notice="stale_button")
        lang = session.lang
        if rest == "x":
            return self.conversation_ended(session)
        org = desk.answering(lang, session.country)
        if now is not None and not self.open_at(org, now):
            # When someone is there, then the helplines: help now does not wait for hours.
            shown = self._open(session, self.settings.sos)
            notice = Message(self._person_text("handoff_outside", lang, org))
            return replace(shown, messages=(notice, *shown.messages))
        if rest == "y":
            message = self.person_notice("handoff_connected", lang, session.country)
            return Reply((message,), session, node=session.node, handoff=OPEN)
        back = session.node or self.settings.start
        title = html.escape(self._ui("handoff_button", lang))
        text = f"<b>{title}</b>\n\n{self._person_text('handoff_consent', lang, org)}"
        rows = ((Button(self._ui("handoff_start", lang), action="p:y"),),
                (Button(self._ui("back", lang), action=f"n:{back}"),
                 Button(self._ui("sos", lang), action="s")))
        return Reply((Message(text, rows),), session, node=session.node)

    def conversation_ended(self, session: Session) -> Reply:
        """The person ended the conversation (button or /end): the adapter ends it, if open."""
        lang = session.lang or self.default_lang
        message = Message(self._ui_html("handoff_ended", lang), self._leave_row(lang))
        return Reply((message,), session, node=session.node, handoff=END)

    def open_at(self, org: Organisation, now: dt.datetime) -> bool:
        return is_open(str(self.catalog.facts[org.hours].value), org.time_zone, now)

    def _handoff_row(self, node_id: str, lang: str) -> tuple[Button, ...]:
        if self.handoff is None or node_id not in self._handoff_screens:
            return ()
        return (Button(self._ui("handoff_button", lang), action="p"),)

    # ------------------------------------------------------------ for the relay
    def person_notice(self, key: str, lang: str, country: str | None = None) -> Message:
        """A notice to the person (``handoff_closed``, ``handoff_slow``, …), with the end and
        SOS buttons while the conversation goes on, home and SOS once it is over."""
        lang = lang if lang in self.settings.languages else self.default_lang
        org = self.catalog.handoff.answering(lang, country)
        rows = self.ongoing_buttons(lang) if key in ONGOING else self._leave_row(lang)
        return Message(self._person_text(key, lang, org), rows)

    def ongoing_buttons(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        """Under each counsellor's reply: ending stays visible, and help one tap away (both
        answer in a new message: the reply is not replaced)."""
        return ((Button(self._ui("handoff_end", lang), action="p:x"),
                 Button(self._ui("sos", lang), action="p:s")),)

    def counsellor_notice(self, key: str, org_id: str, code: str, lang: str,
                          country: str | None) -> Message:
        """A notice in the counsellors' topic, in their organisation's language: the person's
        language and country by name, never anything that identifies them."""
        desk = self.catalog.handoff
        org = desk.organisations.get(org_id) or desk.organisations[desk.default]
        reader = org.language
        variables = {"code": html.escape(code),
                     "language": html.escape(language_name_in(lang, reader)),
                     "country": html.escape(self._country_label(country, reader))}
        return Message(self.format.fill(self._ui(key, reader), reader, variables))

    # ------------------------------------------------------------ texts
    def _person_text(self, key: str, lang: str, org: Organisation) -> str:
        zone = html.escape(format_zone(org.time_zone, lang))
        hours = f"{self.format.fact(org.hours, lang)} ({zone})"
        variables = {"organisation": html.escape(org.name), "hours": hours,
                     "period": html.escape(format_period(self.handoff.keep, lang)
                                           if self.handoff else "")}
        return self.format.fill(self._ui(key, lang), lang, variables)

    def _leave_row(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(self._ui("home", lang), action="h"),
                 Button(self._ui("sos", lang), action="s")),)
