"""Files → ``Catalog``: reads ``flows/`` and ``content/<lang>/`` and checks each field's shape.

Loading never stops at the first mistake: every problem is collected with its position so an
editor sees them all at once. Cross-file checks (links, translations, HTML, lengths) live in
``validate.py``; this module only answers "is each file well-formed content?".
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import logging
import math
import re
import zoneinfo
from functools import cache
from pathlib import Path

from bot.content.model import (
    DEFAULT_VARIANT,
    FACT_KINDS,
    FACT_ROLES,
    NODE_KINDS,
    Campaign,
    Catalog,
    Fact,
    Handoff,
    Node,
    NodeTexts,
    Organisation,
    Profile,
    Question,
    QuizResult,
    Settings,
    Source,
)
from bot.content.problems import ERROR, WARNING, Problem
from bot.content.yamlsafe import Map, Pos, Seq, Text, YamlError, load_text, read_source

log = logging.getLogger("stay_safe.content")

ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
SETTINGS_FILE = "settings.yaml"
FACTS_FILE = "facts.yaml"
CAMPAIGNS_FILE = "campaigns.yaml"
HANDOFF_FILE = "handoff.yaml"
HANDOFF_FIELDS = {"screens", "organisations", "default", "countries", "languages"}
ORGANISATION_FIELDS = {"name", "hours", "time_zone", "language"}
CAMPAIGN_ID_RE = re.compile(r"^[a-z0-9]{2,20}$")
SHORT_CODE_RE = re.compile(r"^[A-Z0-9]{2,10}(-[A-Z0-9]{2,10})?$")
CAMPAIGN_FIELDS = {"organisation", "description", "code", "language", "country", "topic", "logo"}
LOGO_TYPES = (".png", ".jpg", ".jpeg", ".svg")
MAX_LOGO_BYTES = 512 * 1024

NODE_FIELDS = {
    "menu": {"kind", "buttons"},
    "info": {"kind", "buttons"},
    "language": {"kind", "buttons"},
    "country": {"kind", "buttons"},
    "quiz": {"kind", "buttons", "questions", "results"},
    "checklist": {"kind", "buttons", "items"},
    "helplines": {"kind", "buttons", "phones"},
}
TEXT_FIELDS = {"title", "text", "questions", "items", "keywords"}
FACT_FIELDS = {"kind", "value", "currency", "source", "source_date", "checked", "review_by",
               "upcoming", "note", "role"}
SOURCE_FIELDS = {"organisation", "page", "address"}
SOURCE_DATE_RE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])(-[0-3][0-9])?)?$")
SETTINGS_FIELDS = {
    "languages", "source_language", "fallback", "countries", "other_countries", "start", "sos",
    "language_node", "country_node", "commands", "history_limit",
}


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.sources: dict[str, str] = {}  # each file read, by its relative path: its text

    def version(self) -> str:
        """A short hash of the files read (names and texts): the same content gives the same
        one on every replica, so a dashboard shows which version each one serves."""
        digest = hashlib.sha256()
        for display in sorted(self.sources):
            digest.update(display.encode() + b"\0" + self.sources[display].encode() + b"\0")
        return digest.hexdigest()[:12]

    def error(self, pos: Pos, message: str, code: str = "content") -> None:
        self.problems.append(Problem(pos, ERROR, message, code))

    def warning(self, pos: Pos, message: str, code: str = "content") -> None:
        self.problems.append(Problem(pos, WARNING, message, code))

    def mapping(self, value, pos: Pos, what: str) -> Map | None:
        if isinstance(value, Map):
            return value
        self.error(pos, f"{what} must be a mapping (key: value), got {_describe(value)}")
        return None

    def unknown_fields(self, m: Map, allowed: set[str], what: str) -> None:
        for key in m:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.error(m.key_pos[key], f"unknown field '{key}' in {what} (known: {known})")

    def text(self, m: Map, key: str, what: str, required: bool = True) -> Text | None:
        if key not in m:
            if required:
                self.error(m.pos, f"{what} needs the field '{key}'")
            return None
        value = m[key]
        if isinstance(value, Text) and value.strip():
            return value
        self.error(m.value_pos[key], f"'{key}' of {what} must be non-empty text, got "
                   f"{_describe(value)}")
        return None

    def integer(self, m: Map, key: str, what: str, default: int | None = None) -> int | None:
        if key not in m:
            if default is None:
                self.error(m.pos, f"{what} needs the field '{key}'")
            return default
        value = m[key]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.error(m.value_pos[key], f"'{key}' of {what} must be a whole number, got "
                   f"{_describe(value)}")
        return default

    def date(self, m: Map, key: str, what: str) -> dt.date | None:
        if key not in m:
            return None
        value = m[key]
        if isinstance(value, dt.date):
            return value
        self.error(m.value_pos[key], f"'{key}' of {what} must be a date like 2026-11-23, got "
                   f"{_describe(value)}")
        return None

    def words(self, value, pos: Pos, what: str, pattern: re.Pattern = ID_RE) -> list[Text]:
        """A list of identifiers; each bad item is reported at its own position."""
        if not isinstance(value, Seq):
            self.error(pos, f"{what} must be a list, got {_describe(value)}")
            return []
        result = []
        for item, item_pos in zip(value, value.item_pos, strict=True):
            if isinstance(item, Text) and pattern.match(item):
                result.append(item)
            else:
                self.error(item_pos, f"{what}: '{item}' is not a valid identifier "
                           f"({_pattern_hint(pattern)})")
        return result


def _pattern_hint(pattern: re.Pattern) -> str:
    if pattern is COUNTRY_RE:
        return "two capital letters, like PL"
    if pattern is LANG_RE:
        return "a language code, like uk"
    return "lowercase letters, digits and _, starting with a letter, at most 60 characters"


def _describe(value) -> str:
    if isinstance(value, bool):
        return f"yes/no ({str(value).lower()})"
    if value is None:
        return "nothing"
    if isinstance(value, Map):
        return "a mapping"
    if isinstance(value, Seq):
        return "a list"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return "empty text" if not value.strip() else "text"
    return type(value).__name__


def content_files(folder: Path) -> list[Path]:
    """The ``*.yaml`` files of ``folder``, sorted. Hidden files are never content: they are an
    editor's lock file (``.#main.yaml``, a broken link while Emacs edits ``main.yaml``) or
    macOS's ``._main.yaml``."""
    return sorted(path for path in folder.glob("*.yaml") if not path.name.startswith("."))


def _present(path: Path) -> bool:
    """True when ``path`` exists, even as a broken link, so reading it says what is wrong."""
    return path.exists() or path.is_symlink()


def _load(path: Path, root: Path, out: _Collector):
    display = path.relative_to(root).as_posix()
    try:
        text = read_source(path, display)
        out.sources[display] = text
        return load_text(text, display)
    except YamlError as exc:
        out.error(exc.pos, exc.message, code="yaml")
    except Exception as exc:  # a last resort: one unreadable file must not stop validate or run
        log.debug("unexpected error reading %s", display, exc_info=True)
        out.error(Pos(display, 1, 1), f"this file could not be read ({type(exc).__name__}: "
                  f"{exc}); please tell the developers", code="yaml")
    return None


def _load_mapping(path: Path, root: Path, out: _Collector, what: str) -> Map | None:
    """A file that must hold one mapping; None when it does not (reported once)."""
    reported = len(out.problems)
    data = _load(path, root, out)
    if data is None and len(out.problems) > reported:
        return None  # unreadable, and already reported where it went wrong
    return out.mapping(data, Pos(path.relative_to(root).as_posix(), 1, 1), what)


def _read_settings(root: Path, out: _Collector) -> Settings | None:
    path = root / "flows" / SETTINGS_FILE
    pos = Pos(f"flows/{SETTINGS_FILE}", 1, 1)
    if not _present(path):
        out.error(pos, "missing settings file (languages, countries, start node)")
        return None
    data = _load_mapping(path, root, out, "settings")
    if data is None:
        return None
    out.unknown_fields(data, SETTINGS_FIELDS, "settings")
    languages = out.words(data.get("languages"), data.value_pos.get("languages", data.pos),
                          "languages", LANG_RE)
    countries = out.words(data.get("countries"), data.value_pos.get("countries", data.pos),
                          "countries", COUNTRY_RE)
    source_language = str(languages[0]) if languages else ""
    if "source_language" in data:
        value = data["source_language"]
        if isinstance(value, Text) and value in languages:
            source_language = str(value)
        else:
            got = f"'{value}'" if isinstance(value, Text) else _describe(value)
            out.error(data.value_pos["source_language"], "source_language must be one of the "
                      f"languages ({', '.join(languages)}), got {got}")
    fallback: dict[str, tuple[str, ...]] = {}
    chain_map = out.mapping(data.get("fallback", Map()), data.value_pos.get("fallback", data.pos),
                            "fallback")
    if chain_map:
        for lang, chain in chain_map.items():
            if lang not in languages:
                out.error(chain_map.key_pos[lang], f"fallback for unknown language '{lang}'")
            chain = out.words(chain, chain_map.value_pos[lang], f"fallback of {lang}", LANG_RE)
            for item in chain:
                if item not in languages or item == lang:
                    out.error(item.pos, f"fallback of {lang}: '{item}' is not another "
                              "configured language")
            fallback[lang] = tuple(str(item) for item in chain)
    commands: dict[str, str] = {}
    cmd_map = out.mapping(data.get("commands", Map()), data.value_pos.get("commands", data.pos),
                          "commands")
    if cmd_map:
        for name, target in cmd_map.items():
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                out.error(cmd_map.key_pos[name], f"command '{name}' must be 1-32 characters of "
                          "a-z, 0-9 and _")
            if isinstance(target, Text) and ID_RE.match(target):
                commands[name] = str(target)
            else:
                out.error(cmd_map.value_pos[name], f"command '{name}' must name a node")
    names = {}
    for key in ("start", "sos", "language_node", "country_node"):
        names[key] = str(out.text(data, key, "settings") or "")
    others = []
    if "other_countries" in data:
        others = out.words(data["other_countries"], data.value_pos["other_countries"],
                           "other_countries", COUNTRY_RE)
        for code in others:
            if code not in countries:
                out.error(code.pos, f"other_countries: '{code}' is not in countries")
    return Settings(
        languages=tuple(str(lang) for lang in languages),
        source_language=source_language,
        fallback=fallback,
        countries=tuple(str(code) for code in countries),
        other_countries=tuple(str(code) for code in others),
        start=names["start"],
        sos=names["sos"],
        language_node=names["language_node"],
        country_node=names["country_node"],
        commands=commands,
        history_limit=out.integer(data, "history_limit", "settings", 10) or 10,
        pos=data.pos,
    )


def _read_facts(root: Path, out: _Collector) -> dict[str, Fact]:
    path = root / "flows" / FACTS_FILE
    if not _present(path):
        return {}
    data = _load_mapping(path, root, out, "facts")
    facts: dict[str, Fact] = {}
    for fact_id, spec in (data or {}).items():
        what = f"fact '{fact_id}'"
        if not ID_RE.match(fact_id):
            out.error(data.key_pos[fact_id], f"{what}: {_pattern_hint(ID_RE)}")
            continue
        spec = out.mapping(spec, data.value_pos[fact_id], what)
        if spec is not None:
            fact = _read_fact(fact_id, spec, data.key_pos[fact_id], out)
            if fact is not None:
                facts[fact_id] = fact
    return facts


def _read_fact(fact_id: str, spec: Map, pos: Pos, out: _Collector) -> Fact | None:
    what = f"fact '{fact_id}'"
    out.unknown_fields(spec, FACT_FIELDS, what)
    kind = out.text(spec, "kind", what)
    if kind and kind not in FACT_KINDS:
        out.error(spec.value_pos["kind"], f"{what}: kind must be one of "
                  f"{', '.join(FACT_KINDS)}, got '{kind}'")
        return None
    source = _read_source(spec, what, out)
    source_date = _read_source_date(spec, what, out)
    checked = out.date(spec, "checked", what)
    review_by = out.date(spec, "review_by", what)
    if "review_by" not in spec:
        out.error(spec.pos, f"{what} needs the field 'review_by' (the date by which someone "
                  "must confirm it at its source again)")
    upcoming = spec.get("upcoming", False)
    if not isinstance(upcoming, bool):
        out.error(spec.value_pos["upcoming"], f"{what}: 'upcoming' must be yes or no "
                  f"(true/false), got {_describe(upcoming)}")
    elif upcoming and kind != "date":
        out.error(spec.value_pos["upcoming"], f"{what}: only a date can be upcoming")
        upcoming = False  # reported; an upcoming phone would be compared with today's date
    note = out.text(spec, "note", what, required=False)
    role = out.text(spec, "role", what, required=False)
    if role and role not in FACT_ROLES:
        out.error(spec.value_pos["role"], f"{what}: role must be one of "
                  f"{', '.join(FACT_ROLES)}, got '{role}'")
        role = None
    if "value" not in spec:
        out.error(spec.pos, f"{what} needs the field 'value'")
        return None
    value = spec["value"]
    currency = None
    if kind == "date" and not isinstance(value, dt.date):
        out.error(spec.value_pos["value"], f"{what}: a date fact needs a date like 2027-03-04")
        return None
    if kind == "money":
        currency = out.text(spec, "currency", what)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value >= 0):
            out.error(spec.value_pos["value"], f"{what}: a money fact needs an amount like 4806 "
                      "or 13.90")
            return None
    elif kind not in ("date", "money") and not (isinstance(value, Text) and value.strip()):
        out.error(spec.value_pos["value"], f"{what}: value must be text in quotes, got "
                  f"{_describe(value)}")
        return None
    if not (kind and source and review_by) or source_date is False:
        return None
    return Fact(id=fact_id, kind=kind, value=value, source=source, review_by=review_by,
                pos=pos, source_date=source_date, checked=checked, currency=currency,
                upcoming=upcoming is True, note=str(note) if note else None,
                role=str(role) if role else None)


def _real_day(text: str) -> bool:
    try:
        return len(text) < 10 or bool(dt.date.fromisoformat(text))
    except ValueError:
        return False


def _read_source(spec: Map, what: str, out: _Collector) -> Source | None:
    """``source: {organisation: …, page: …, address: https://…}``: who, which page, where."""
    if "source" not in spec:
        out.error(spec.pos, f"{what} needs a 'source' with its organisation, page and address")
        return None
    m = out.mapping(spec["source"], spec.value_pos["source"], f"the source of {what}")
    if m is None:
        return None
    out.unknown_fields(m, SOURCE_FIELDS, f"the source of {what}")
    organisation = out.text(m, "organisation", f"the source of {what}")
    page = out.text(m, "page", f"the source of {what}", required=False)
    address = out.text(m, "address", f"the source of {what}", required=False)
    if address and not address.startswith("https://"):
        out.error(m.value_pos["address"], f"the source of {what}: an address starts with "
                  "https://")
        address = None
    if organisation is None:
        return None
    return Source(str(organisation), str(page) if page else None,
                  str(address) if address else None)


def _read_source_date(spec: Map, what: str, out: _Collector) -> str | bool | None:
    """The date the source shows: a day, a month ("2025-06"), a year, or none (left out).
    False when it is written wrong (already reported)."""
    if "source_date" not in spec:
        return None
    value = spec["source_date"]
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(value, bool) or not SOURCE_DATE_RE.match(text) or not _real_day(text):
        out.error(spec.value_pos["source_date"], f"{what}: source_date is the date the source "
                  "shows, like 2025-06-27, 2025-06 or 2025 (leave it out when it shows none)")
        return False
    return text


def _read_campaigns(root: Path, out: _Collector) -> dict[str, Campaign]:
    path = root / "flows" / CAMPAIGNS_FILE
    if not _present(path):
        return {}
    data = _load_mapping(path, root, out, "campaigns")
    campaigns: dict[str, Campaign] = {}
    for campaign_id, spec in (data or {}).items():
        what = f"campaign '{campaign_id}'"
        if not CAMPAIGN_ID_RE.match(campaign_id):
            out.error(data.key_pos[campaign_id], f"{what}: an id is 2-20 lowercase letters and "
                      "digits (it goes into a printed link)")
            continue
        spec = out.mapping(spec, data.value_pos[campaign_id], what)
        if spec is None:
            continue
        out.unknown_fields(spec, CAMPAIGN_FIELDS, what)
        code = out.text(spec, "code", what)
        if code and not SHORT_CODE_RE.match(code):
            out.error(spec.value_pos["code"], f"{what}: a short code is capital letters and "
                      "digits, at most one dash, like PL-WORK")
            code = None
        organisation = out.text(spec, "organisation", what)
        description = out.text(spec, "description", what)
        logo = out.text(spec, "logo", what, required=False)
        if logo and not _logo_ok(root, logo, spec.value_pos["logo"], what, out):
            logo = None
        if not (code and organisation and description):
            continue
        campaigns[campaign_id] = Campaign(
            id=campaign_id, organisation=str(organisation), description=str(description),
            code=str(code), pos=data.key_pos[campaign_id],
            lang=str(spec["language"]) if spec.get("language") else None,
            country=str(spec["country"]) if spec.get("country") else None,
            topic=str(spec["topic"]) if spec.get("topic") else None,
            logo=str(logo) if logo else None)
    return campaigns


def _read_handoff(root: Path, settings: Settings, out: _Collector) -> Handoff | None:
    """flows/handoff.yaml: who answers people who ask to talk to a person (docs/handoff.md).
    None when the file is absent (nothing of it is offered) or names no usable default.

    A mistake in it is reported and the rest still read, so that one mistake does not bring
    others in its wake (such as "fact not used"); content with an error is never served."""
    path = root / "flows" / HANDOFF_FILE
    if not _present(path):
        return None
    data = _load_mapping(path, root, out, "handoff")
    if data is None:
        return None
    what = "flows/handoff.yaml"
    out.unknown_fields(data, HANDOFF_FIELDS, what)
    screens = out.words(data.get("screens"), data.value_pos.get("screens", data.pos),
                        "screens of flows/handoff.yaml")
    table = out.mapping(data.get("organisations"), data.value_pos.get("organisations",
                                                                         data.pos),
                        "organisations of flows/handoff.yaml")
    organisations = {}
    for org_id, spec in (table or {}).items():
        org = _read_organisation(org_id, table.key_pos[org_id], spec, table.value_pos[org_id],
                                 settings, out)
        if org is not None:
            organisations[org_id] = org

    def answering(value, pos: Pos, who: str) -> str | None:
        if isinstance(value, Text) and value in organisations:
            return str(value)
        if isinstance(value, Text) and value in (table or {}):
            return None  # that organisation's own mistake is reported already
        got = f"'{value}'" if isinstance(value, Text) else _describe(value)
        out.error(pos, f"{what}: {who} must be one of the organisations "
                  f"({', '.join(sorted(table or {})) or 'none yet'}), got {got}")
        return None

    default = None
    if "default" not in data:
        out.error(data.pos, f"{what} needs 'default': the organisation that answers everyone "
                  "no other line names")
    else:
        default = answering(data["default"], data.value_pos["default"], "default")
    chosen: dict[str, dict[str, str]] = {}
    for field, allowed, noun in (("countries", settings.countries, "country"),
                                 ("languages", settings.languages, "language")):
        chosen[field] = {}
        m = out.mapping(data.get(field, Map()), data.value_pos.get(field, data.pos),
                        f"{field} of {what}")
        for key, value in (m or {}).items():
            if key not in allowed:
                out.error(m.key_pos[key], f"{what}: '{key}' is not a configured {noun} "
                          f"({', '.join(allowed)})")
                continue
            org_id = answering(value, m.value_pos[key], f"the organisation for {key}")
            if org_id:
                chosen[field][key] = org_id
    if default is None:
        return None
    return Handoff(screens=tuple(str(s) for s in screens),
                   screen_pos=tuple(s.pos for s in screens), organisations=organisations,
                   default=default, by_country=chosen["countries"],
                   by_language=chosen["languages"], pos=data.pos)


def _read_organisation(org_id: str, key_pos: Pos, spec, pos: Pos, settings: Settings,
                       out: _Collector) -> Organisation | None:
    what = f"organisation '{org_id}' in flows/handoff.yaml"
    if not ID_RE.match(org_id):
        out.error(key_pos, f"{what}: an id is {_pattern_hint(ID_RE)} (it names the counts)")
        return None
    spec = out.mapping(spec, pos, what)
    if spec is None:
        return None
    out.unknown_fields(spec, ORGANISATION_FIELDS, what)
    name = out.text(spec, "name", what)
    hours = out.text(spec, "hours", what)
    zone = out.text(spec, "time_zone", what)
    if zone and zone not in _time_zones():
        near = difflib.get_close_matches(str(zone), _time_zones(), n=1)
        hint = f"did you mean {near[0]}?" if near else "write one like Europe/Warsaw"
        out.error(spec.value_pos["time_zone"], f"{what}: '{zone}' is not a time zone "
                  f"(an IANA name): {hint}")
    language = out.text(spec, "language", what, required=False) or settings.source_language
    if language not in settings.languages:
        out.error(spec.value_pos["language"], f"{what}: language (of the notices its "
                  f"counsellors read) must be one of {', '.join(settings.languages)}, got "
                  f"'{language}'")
    if not (name and hours):
        return None
    return Organisation(id=org_id, name=str(name), hours=str(hours), time_zone=str(zone or ""),
                        language=str(language), pos=key_pos, hours_pos=spec.value_pos["hours"])


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _logo_ok(root: Path, logo: str, pos: Pos, what: str, out: _Collector) -> bool:
    """A logo is an image file inside flows/ (a relative path like logos/ngo.png)."""
    flows = (root / "flows").resolve()
    path = (flows / logo).resolve()
    if Path(logo).is_absolute() or not path.is_relative_to(flows):
        out.error(pos, f"{what}: the logo must be a file inside flows/, written like "
                  "logos/organisation.png")
    elif path.suffix.lower() not in LOGO_TYPES:
        out.error(pos, f"{what}: the logo must be a PNG, JPEG or SVG image")
    elif not path.is_file():
        out.error(pos, f"{what}: there is no file flows/{logo}")
    elif path.stat().st_size > MAX_LOGO_BYTES:
        out.error(pos, f"{what}: the logo is larger than {MAX_LOGO_BYTES // 1024} KiB; use a "
                  "smaller image")
    else:
        return True
    return False


def _read_node(node_id: str, spec: Map, key_pos: Pos, out: _Collector) -> Node | None:
    what = f"node '{node_id}'"
    kind = out.text(spec, "kind", what)
    if kind is None:
        return None
    if kind not in NODE_KINDS:
        out.error(spec.value_pos["kind"], f"{what}: kind must be one of {', '.join(NODE_KINDS)}, "
                  f"got '{kind}'")
        return None
    out.unknown_fields(spec, NODE_FIELDS[kind], f"{what} ({kind})")
    buttons: list[Text] = []
    if "buttons" in spec:
        buttons = out.words(spec["buttons"], spec.value_pos["buttons"], f"buttons of {node_id}")
    questions: list[Question] = []
    results: list[QuizResult] = []
    items: list[str] = []
    phones: dict[str, tuple[str, ...]] = {}
    phones_pos: dict[str, Pos] = {}
    if kind == "quiz":
        for index, q in enumerate(_seq(spec, "questions", what, out)):
            q = out.mapping(q, spec["questions"].item_pos[index], f"question of {node_id}")
            if q is None:
                continue
            what_q = f"question of {node_id}"
            out.unknown_fields(q, {"id", "weight", "decisive"}, what_q)
            qid = out.text(q, "id", what_q)
            decisive = q.get("decisive", False)
            if not isinstance(decisive, bool):
                out.error(q.value_pos["decisive"], f"'decisive' of {what_q} must be yes or no "
                          f"(true/false), got {_describe(decisive)}")
                decisive = False
            weight = out.integer(q, "weight", what_q, 0 if decisive else None)
            if qid and weight is not None:
                questions.append(Question(str(qid), weight, decisive))
        for index, r in enumerate(_seq(spec, "results", what, out)):
            r = out.mapping(r, spec["results"].item_pos[index], f"result of {node_id}")
            if r is None:
                continue
            out.unknown_fields(r, {"min", "to"}, f"result of {node_id}")
            low = out.integer(r, "min", f"result of {node_id}")
            target = out.text(r, "to", f"result of {node_id}")
            if low is not None and target:
                results.append(QuizResult(low, str(target), r.value_pos["to"]))
    if kind == "checklist":
        items = [str(i) for i in out.words(spec.get("items"), spec.value_pos.get("items", spec.pos),
                                           f"items of {node_id}")]
    if kind == "helplines":
        table = out.mapping(spec.get("phones"), spec.value_pos.get("phones", spec.pos),
                            f"phones of {node_id}")
        for variant, ids in (table or {}).items():
            phones[variant] = tuple(str(i) for i in out.words(
                ids, table.value_pos[variant], f"phones of {node_id} for {variant}"))
            phones_pos[variant] = table.key_pos[variant]
    return Node(
        id=node_id, kind=kind, pos=key_pos, buttons=tuple(str(b) for b in buttons),
        button_pos=tuple(spec["buttons"].item_pos) if buttons else (),
        questions=tuple(questions), results=tuple(sorted(results, key=lambda r: r.min_score)),
        items=tuple(items), phones=phones, phones_pos=phones_pos,
    )


def _seq(spec: Map, key: str, what: str, out: _Collector) -> Seq:
    value = spec.get(key)
    if isinstance(value, Seq) and value:
        return value
    out.error(spec.value_pos.get(key, spec.pos), f"{what} needs a non-empty list '{key}'")
    return Seq()


def _read_nodes(root: Path, out: _Collector) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    seen: dict[str, Pos] = {}
    for path in content_files(root / "flows"):
        if path.name in (SETTINGS_FILE, FACTS_FILE, CAMPAIGNS_FILE, HANDOFF_FILE):
            continue
        data = _load(path, root, out)
        if data is None:
            continue
        data = out.mapping(data, Pos(path.relative_to(root).as_posix(), 1, 1), "a flow file")
        for node_id, spec in (data or {}).items():
            pos = data.key_pos[node_id]
            if not ID_RE.match(node_id):
                out.error(pos, f"node id '{node_id}': {_pattern_hint(ID_RE)}")
                continue
            if node_id in seen:
                out.error(pos, f"node '{node_id}' is already defined at {seen[node_id]}")
                continue
            seen[node_id] = pos
            spec = out.mapping(spec, data.value_pos[node_id], f"node '{node_id}'")
            node = _read_node(node_id, spec, pos, out) if spec is not None else None
            if node:
                nodes[node_id] = node
    return nodes


def _read_node_texts(node_id: str, spec: Map, out: _Collector, countries: set[str],
                     pos: Pos) -> NodeTexts:
    what = f"texts of '{node_id}'"
    out.unknown_fields(spec, TEXT_FIELDS, what)
    title = out.text(spec, "title", what, required=False)
    text: dict[str, Text] = {}
    if "text" in spec:
        value = spec["text"]
        if isinstance(value, Text):
            text[DEFAULT_VARIANT] = value
        elif isinstance(value, Map):
            for variant in value:
                if variant != DEFAULT_VARIANT and variant not in countries:
                    out.error(value.key_pos[variant], f"{what}: '{variant}' is neither 'default' "
                              "nor a configured country")
                    continue
                checked = out.text(value, variant, what)
                if checked:
                    text[variant] = checked
            if DEFAULT_VARIANT not in value:
                out.error(value.pos, f"{what}: country variants need a 'default' text for "
                          "people who chose no country")
        else:
            out.error(spec.value_pos["text"], f"{what}: text must be text or a mapping of "
                      f"countries to texts, got {_describe(value)}")
    parts = {}
    for field in ("questions", "items"):
        parts[field] = {}
        if field in spec:
            m = out.mapping(spec[field], spec.value_pos[field], f"{what}, {field}")
            for key in m or {}:
                checked = out.text(m, key, f"{what}, {field}")
                if checked:
                    parts[field][key] = checked
    keywords: list[Text] = []
    if "keywords" in spec:
        value = spec["keywords"]
        if isinstance(value, Seq):
            for item, item_pos in zip(value, value.item_pos, strict=True):
                if isinstance(item, Text) and item.strip():
                    keywords.append(item)
                else:
                    out.error(item_pos, f"{what}: a keyword must be a word or phrase")
        else:
            out.error(spec.value_pos["keywords"], f"{what}: keywords must be a list")
    return NodeTexts(title=title, text=text, questions=parts["questions"],
                     items=parts["items"], keywords=tuple(keywords), pos=pos)


def _read_profile(spec, pos: Pos, out: _Collector) -> Profile:
    m = out.mapping(spec, pos, "profile")
    if m is None:
        return Profile()
    out.unknown_fields(m, {"description", "short_description", "commands"}, "profile")
    commands: dict[str, Text] = {}
    if "commands" in m:
        table = out.mapping(m["commands"], m.value_pos["commands"], "profile commands")
        for name in table or {}:
            described = out.text(table, name, f"command /{name}")
            if described:
                commands[name] = described
    return Profile(description=out.text(m, "description", "profile", required=False),
                   short_description=out.text(m, "short_description", "profile", required=False),
                   commands=commands)


def _read_language(root: Path, lang: str, out: _Collector, countries: set[str]):
    texts: dict[str, NodeTexts] = {}
    ui: dict[str, Text] = {}
    sos_words: list[Text] = []
    profile = Profile()
    seen: dict[str, Pos] = {}
    folder = root / "content" / lang
    if not folder.is_dir():
        out.error(Pos(f"content/{lang}", 1, 1), f"no texts for language '{lang}' (folder missing)")
    for path in content_files(folder):
        data = _load(path, root, out)
        if data is None:
            continue
        data = out.mapping(data, Pos(path.relative_to(root).as_posix(), 1, 1), "a text file")
        for key, spec in (data or {}).items():
            pos = data.key_pos[key]
            if key in seen:
                out.error(pos, f"'{key}' is already defined at {seen[key]}")
                continue
            seen[key] = pos
            if key == "ui":
                m = out.mapping(spec, data.value_pos[key], "ui")
                for name in m or {}:
                    checked = out.text(m, name, "ui")
                    if checked:
                        ui[name] = checked
            elif key == "profile":
                profile = _read_profile(spec, data.value_pos[key], out)
            elif key == "sos_words":
                sos_words = out.words(spec, data.value_pos[key], "sos_words",
                                      re.compile(r"^\S.*$"))
            else:
                m = out.mapping(spec, data.value_pos[key], f"texts of '{key}'")
                if m is not None:
                    texts[key] = _read_node_texts(key, m, out, countries, pos)
    return texts, ui, tuple(sos_words), profile


def load_catalog(root: Path) -> tuple[Catalog | None, list[Problem]]:
    """Load everything under ``root``; returns the catalog (if settings are usable) and problems."""
    out = _Collector()
    settings = _read_settings(root, out)
    if settings is None:
        return None, out.problems
    facts = _read_facts(root, out)
    nodes = _read_nodes(root, out)
    texts, ui, sos_words, profiles = {}, {}, {}, {}
    countries = set(settings.countries)
    for lang in settings.languages:
        texts[lang], ui[lang], sos_words[lang], profiles[lang] = _read_language(
            root, lang, out, countries)
    content_dir = root / "content"
    if content_dir.is_dir():
        for extra in sorted(p for p in content_dir.iterdir() if p.is_dir()):
            if extra.name not in settings.languages:
                out.warning(Pos(f"content/{extra.name}", 1, 1), f"folder '{extra.name}' is not a "
                            "configured language and is ignored")
    catalog = Catalog(settings=settings, nodes=nodes, texts=texts, ui=ui, sos_words=sos_words,
                      facts=facts, profiles=profiles, campaigns=_read_campaigns(root, out),
                      handoff=_read_handoff(root, settings, out), version=out.version())
    return catalog, out.problems
