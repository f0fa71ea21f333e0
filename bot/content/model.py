"""The content model: what editors write in ``flows/`` and ``content/``, as plain frozen data.

Structure (nodes, buttons, quiz weights, facts) is language-free; texts are per language and
keyed by node id. Everything here is immutable so one ``Catalog`` can be shared by every
conversation and swapped atomically when editors publish a change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.content.yamlsafe import Pos, Text

NODE_KINDS = ("menu", "info", "quiz", "checklist", "language", "country", "helplines")
FACT_KINDS = ("phone", "url", "email", "date", "money", "hours", "text")
# What a phone line (or address) is for: the helplines screens are checked against it (the
# emergency number first) and the tests find each country's trafficking and child lines by it.
FACT_ROLES = ("emergency", "trafficking", "child", "missing_child", "labour", "consular",
              "violence", "migration", "support", "police")
DEFAULT_VARIANT = "default"


@dataclass(frozen=True)
class Question:
    """A yes/no question. "Yes" adds ``weight``; a "yes" to a ``decisive`` question leads to
    the quiz's highest result whatever the total (a passport kept, a fee for the job)."""

    id: str
    weight: int
    decisive: bool = False


@dataclass(frozen=True)
class QuizResult:
    min_score: int
    node: str
    pos: Pos


@dataclass(frozen=True)
class Node:
    """One screen. ``buttons`` are target node ids; labels come from the targets' titles."""

    id: str
    kind: str
    pos: Pos
    buttons: tuple[str, ...] = ()
    button_pos: tuple[Pos, ...] = ()
    questions: tuple[Question, ...] = ()
    results: tuple[QuizResult, ...] = ()
    items: tuple[str, ...] = ()
    phones: dict[str, tuple[str, ...]] = field(default_factory=dict)
    phones_pos: dict[str, Pos] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeTexts:
    """Texts of one node in one language. ``text`` maps a country code (or 'default') to text."""

    title: Text | None = None
    text: dict[str, Text] = field(default_factory=dict)
    questions: dict[str, Text] = field(default_factory=dict)
    items: dict[str, Text] = field(default_factory=dict)
    keywords: tuple[Text, ...] = ()
    pos: Pos | None = None  # where the screen id stands in this language's file


@dataclass(frozen=True)
class Source:
    """Where a fact can be confirmed: who published it, which page, its address."""

    organisation: str
    page: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Fact:
    """A fact written once for every language: a number, a link, a date, an amount, hours.

    Its dates say honestly how fresh it is: ``source_date`` is the date the source itself
    shows ("2025-06-27", "2025-06" or "2025"; None when it shows none), ``checked`` the day a
    person last confirmed it at the source (None: not yet confirmed by a person), and
    ``review_by`` the day by which someone must look at it again. ``upcoming`` marks a date
    the texts present as still to come (an end date, a deadline).
    """

    id: str
    kind: str
    value: str | dt.date | float
    source: Source
    review_by: dt.date
    pos: Pos
    source_date: str | None = None
    checked: dt.date | None = None
    currency: str | None = None
    upcoming: bool = False
    note: str | None = None
    role: str | None = None

    def overdue(self, today: dt.date) -> bool:
        """Past its review date, or an upcoming date that has come and gone."""
        return today > self.review_by or (self.upcoming and today > self.value)


@dataclass(frozen=True)
class Settings:
    languages: tuple[str, ...]
    # The language translators translate from (``source_language``; the first language
    # when it is not given): stale translations are measured against its texts.
    source_language: str
    fallback: dict[str, tuple[str, ...]]
    countries: tuple[str, ...]
    # Choices that are not one country ("another EU country", "outside the EU"): each is
    # named by the ui text country_<CODE> instead of by CLDR.
    other_countries: tuple[str, ...]
    start: str
    sos: str
    language_node: str
    country_node: str
    commands: dict[str, str]
    history_limit: int
    pos: Pos


@dataclass(frozen=True)
class Campaign:
    """An NGO's poster or leaflet: its QR code presets language, country and topic."""

    id: str
    organisation: str
    description: str
    code: str
    pos: Pos
    lang: str | None = None
    country: str | None = None
    topic: str | None = None
    logo: str | None = None  # an image under flows/, printed on the sheet


@dataclass(frozen=True)
class Profile:
    """The bot's description and command list in one language (set with the Bot API)."""

    description: Text | None = None
    short_description: Text | None = None
    commands: dict[str, Text] = field(default_factory=dict)


@dataclass(frozen=True)
class Organisation:
    """Who answers people who ask to talk to a person (flows/handoff.yaml): ``name`` is shown
    to them, ``hours`` is a fact of kind hours read in ``time_zone`` (an IANA name such as
    Europe/Warsaw), and ``language`` is the one its counsellors read the bot's notices in."""

    id: str
    name: str
    hours: str
    time_zone: str
    language: str
    pos: Pos
    hours_pos: Pos


@dataclass(frozen=True)
class Handoff:
    """Talking to a person: the screens that offer it and who answers whom.

    An organisation for the person's host country wins over one for their language, which
    wins over the default.
    """

    screens: tuple[str, ...]
    screen_pos: tuple[Pos, ...]
    organisations: dict[str, Organisation]
    default: str
    by_country: dict[str, str]
    by_language: dict[str, str]
    pos: Pos

    def answering(self, lang: str | None, country: str | None) -> Organisation:
        chosen = self.by_country.get(country or "") or self.by_language.get(lang or "")
        return self.organisations[chosen or self.default]


@dataclass(frozen=True)
class Catalog:
    """Everything the engine needs, loaded and cross-checked."""

    settings: Settings
    nodes: dict[str, Node]
    texts: dict[str, dict[str, NodeTexts]]
    ui: dict[str, dict[str, Text]]
    sos_words: dict[str, tuple[Text, ...]]
    facts: dict[str, Fact]
    profiles: dict[str, Profile] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    handoff: Handoff | None = None  # None: flows/handoff.yaml is absent
    version: str = ""  # a hash of the files it was read from (bot/content/loader.py)
