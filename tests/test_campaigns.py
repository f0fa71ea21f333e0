"""Deep-link payloads, short codes and the anonymous counts, through the engine."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from bot.content.loader import load_catalog
from bot.conversations import Conversations
from bot.engine.events import Start, Tap, Text
from bot.engine.payload import MAX_PAYLOAD, Preset, normalise_code, parse_payload
from bot.engine.runtime import Engine
from bot.stats import MemoryCounter, summary, to_csv
from bot.storage import MemoryStore
from tests.conftest import PROJECT

CATALOG, _ = load_catalog(PROJECT)


@pytest.mark.parametrize(("payload", "expected"), [
    ("uk-PL-work", Preset("uk", "PL", "work", None)),
    ("work-PL-uk", Preset("uk", "PL", "work", None)),
    ("plwork", Preset("uk", "PL", "work", "plwork")),
    ("plwork-ru", Preset("ru", "PL", "work", "plwork")),           # written parts win
    ("desos-CZ-registration", Preset("ru", "CZ", "registration", "desos")),
    ("plwork-X!Y-en", Preset("en", "PL", "work", "plwork")),        # a damaged part is ignored
    ("uk-QQ-nowhere-lastyear", Preset("uk", None, None, None)),
    ("", Preset()),
    ("-" * 10, Preset()),
    ("plwork-" + "x" * 60, Preset()),                               # over 64: ignored whole
    ("uk-PL\n", Preset("uk", None, None, None)),                   # "PL\n" is not a part
])
def test_payload_grammar(payload, expected):
    assert parse_payload(payload, CATALOG) == expected


@pytest.mark.parametrize("typed", ["PL-WORK", "pl-work", " pl work ", "PL_WORK", "pl–work",
                                   "– pl-work"])
def test_short_codes_are_forgiving(typed):
    assert normalise_code(typed) == "PL-WORK"


def test_a_typed_short_code_opens_the_campaign(shipped_engine):
    reply = shipped_engine.step(None, Text("pl work"))
    assert reply.node == "work" and reply.session.lang == "uk"
    assert reply.session.country == "PL" and reply.session.campaign == "plwork"
    assert "start" in reply.counts


def test_counts_name_what_happened_and_nothing_else(shipped_engine):
    start = shipped_engine.step(None, Start("uago"))
    assert start.counts == ("start", "lang_uk", "topic_travel_checklist")
    sos = shipped_engine.step(start.session, Tap("s"))
    assert sos.counts == ("helplines",)
    session = shipped_engine.step(sos.session, Tap("n:job_check")).session
    for index in range(len(shipped_engine.catalog.nodes["job_check"].questions)):
        reply = shipped_engine.step(session, Tap(f"q:job_check:{index}:0"))
        session = reply.session
    assert reply.counts == ("quiz_done",)
    assert shipped_engine.step(session, Tap("l:en")).counts[0] == "lang_en"


async def test_counts_are_kept_per_campaign_and_day_without_any_id(shipped_engine):
    counter = MemoryCounter()
    day = dt.date(2026, 11, 23)
    conversations = Conversations(shipped_engine, MemoryStore(3600), counter, today=lambda: day)
    await conversations.handle("555", Start("desos"))
    await conversations.handle("555", Tap("n:work"))
    await conversations.handle("556", Start("desos"))
    await conversations.handle("777", Start("en-PL"))          # no campaign: not counted
    await conversations.handle("888", Start("plwork"))
    rows = await counter.rows(day, 1)
    assert rows == [(day, "desos", "helplines", 2), (day, "desos", "lang_ru", 2),
                    (day, "desos", "start", 2), (day, "desos", "topic_work", 1),
                    (day, "plwork", "lang_uk", 1), (day, "plwork", "start", 1),
                    (day, "plwork", "topic_work", 1)]
    assert not any(i in repr(rows) for i in ("555", "556", "777", "888"))
    table = [line.split() for line in summary(rows, 1).splitlines()[2:]]
    assert table == [["desos", "2", "2", "0", "ru", "2;", "work", "1"],
                     ["plwork", "1", "0", "0", "uk", "1;", "work", "1"]]
    assert list(csv.reader(io.StringIO(to_csv(rows)))) == [
        ["day", "campaign", "event", "count"],
        ["2026-11-23", "desos", "helplines", "2"], ["2026-11-23", "desos", "lang_ru", "2"],
        ["2026-11-23", "desos", "start", "2"], ["2026-11-23", "desos", "topic_work", "1"],
        ["2026-11-23", "plwork", "lang_uk", "1"], ["2026-11-23", "plwork", "start", "1"],
        ["2026-11-23", "plwork", "topic_work", "1"]]


def test_a_code_containing_sos_opens_its_campaign_not_just_the_helplines(shipped_engine):
    reply = shipped_engine.step(None, Text("de-sos"))
    assert reply.session.campaign == "desos" and reply.session.lang == "ru"


def test_a_payload_of_exactly_64_characters_is_read_and_65_is_not():
    tail = "-" + "x" * (MAX_PAYLOAD - len("uk-PL-work") - 1)
    assert len("uk-PL-work" + tail) == MAX_PAYLOAD
    assert parse_payload("uk-PL-work" + tail, CATALOG) == Preset("uk", "PL", "work", None)
    assert parse_payload("uk-PL-work" + tail + "x", CATALOG) == Preset()


def test_a_poster_that_presets_nothing_still_asks_language_and_country(base_copy):
    (base_copy / "flows/campaigns.yaml").write_text(
        'xkinfo:\n  organisation: "Example NGO"\n  description: "A poster, nothing preset"\n'
        "  code: XK-INFO\n", encoding="utf-8")
    engine = Engine(load_catalog(base_copy)[0])
    for first in (Start("xkinfo"), Text("xk info")):
        reply = engine.step(None, first)
        assert "[en] choose language" in "\n".join(m.text for m in reply.messages)
        assert reply.session.campaign == "xkinfo" and "start" in reply.counts
        reply = engine.step(reply.session, Tap("l:en"))
        assert reply.node == "country" and reply.session.country is None


def test_ticking_items_of_a_posters_checklist_counts_the_topic_once(shipped_engine):
    start = shipped_engine.step(None, Start("uago"))
    assert "topic_travel_checklist" in start.counts
    assert shipped_engine.step(start.session, Tap("k:travel_checklist:0")).counts == ()


async def test_following_many_posters_in_turn_never_makes_the_bot_forget_the_person(base_copy):
    (base_copy / "flows/campaigns.yaml").write_text("".join(
        f"poster{i}:\n  organisation: x\n  description: y\n  code: PO-{i}A\n" for i in range(12)))
    conversations = Conversations(Engine(load_catalog(base_copy)[0]), MemoryStore(3600))
    await conversations.handle("1", Start("en-PL"))
    for i in range(12):
        reply = await conversations.handle("1", Start(f"poster{i}"))
        assert reply.session.lang == "en", i
