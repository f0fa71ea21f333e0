"""What a person notices when talking to the engine, without Telegram."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bot.content.loader import load_catalog
from bot.content.model import Node, Question, QuizResult
from bot.content.yamlsafe import Pos
from bot.engine.events import Command, Other, Start, Tap, Text
from bot.engine.runtime import Engine, quiz_result
from bot.engine.search import KeywordIndex
from bot.engine.session import Session
from tests.conftest import BASE

POS = Pos("flows/test.yaml", 1, 1)


def actions(reply) -> list[str]:
    return [b.action for m in reply.messages for row in m.buttons for b in row if b.action]


def text_of(reply) -> str:
    return "\n".join(m.text for m in reply.messages)


def talk(engine: Engine, *events, session: Session | None = None, lang_hint=None):
    reply = None
    for event in events:
        reply = engine.step(session, event, lang_hint=lang_hint)
        session = reply.session
    return reply


def test_new_person_is_asked_for_a_language_in_every_language(base_engine):
    reply = base_engine.step(None, Start())
    assert "[uk] choose language" in text_of(reply)
    assert "[ru] choose language" in text_of(reply)
    assert "[en] choose language" in text_of(reply)
    assert actions(reply) == ["l:uk", "l:ru", "l:en", "s"]
    after = base_engine.step(reply.session, Tap("l:ru"))
    assert after.session.lang == "ru"
    # The country decides numbers and rules, so it is asked at once; it can be skipped.
    assert "[ru] Country" in text_of(after) and "c:" in actions(after)
    home = base_engine.step(after.session, Tap("c:"))
    assert "[ru] Home" in text_of(home) and home.session.country is None


@pytest.mark.parametrize(("hint", "lang"), [("uk", "uk"), ("ru-RU", "ru"), ("en_GB", "en")])
def test_app_language_is_used_when_it_is_one_of_ours(base_engine, hint, lang):
    reply = base_engine.step(None, Start(), lang_hint=hint)
    assert f"[{lang}] Country" in text_of(reply)  # asked next, in the app's language
    assert f"[{lang}] Home" in text_of(base_engine.step(reply.session, Tap("c:PL")))


@pytest.mark.parametrize("hint", ["pl", "be", "", None, "kk"])
def test_other_app_languages_make_the_bot_ask(base_engine, hint):
    reply = base_engine.step(None, Start(), lang_hint=hint)
    assert actions(reply)[:3] == ["l:uk", "l:ru", "l:en"]


def test_deep_link_presets_language_country_and_topic(base_engine):
    reply = base_engine.step(None, Start("ru-PL-helplines"))
    assert "[ru] Helplines" in text_of(reply)
    assert "+48 22 628 01 20" in text_of(reply)
    copies = [b.copy for row in reply.messages[0].buttons for b in row if b.copy]
    assert copies == ["112", "+48 22 628 01 20"]


@pytest.mark.parametrize("payload", ["x!!-zz", "-" * 80, "zz-XX-nowhere", "🙂"])
def test_broken_deep_links_still_reach_a_working_start(base_engine, payload):
    reply = base_engine.step(Session(lang="en", country="PL", node="work"), Start(payload))
    assert "[en] Home" in text_of(reply)


def test_deep_link_topic_waits_for_the_language_choice(base_engine):
    reply = base_engine.step(None, Start("PL-work"))
    assert actions(reply)[:3] == ["l:uk", "l:ru", "l:en"]
    after = base_engine.step(reply.session, Tap("l:uk"))
    assert "[uk] Work in <b>Poland</b>." in text_of(after)


def test_sos_is_one_tap_away_on_every_screen(base_engine):
    catalog = base_engine.catalog
    for node_id in catalog.nodes:
        for lang in catalog.settings.languages:
            session = Session(lang=lang, node=node_id, history=("home",))
            message = base_engine.render(session)
            found = [b.action for row in message.buttons for b in row]
            to_helplines = found.count("s") + found.count(f"n:{catalog.settings.sos}")
            assert to_helplines == (0 if node_id == catalog.settings.sos else 1), (node_id, lang)


def test_sos_works_before_any_language_is_known(base_engine):
    reply = base_engine.step(None, Tap("s"))
    assert "[uk] Helplines" in text_of(reply)


def test_back_is_bounded_and_ends_at_home(base_engine):
    reply = talk(base_engine, Start(), Tap("n:work"), Tap("n:quiz"), Tap("h"), Tap("n:list"),
                 Tap("n:helplines"), Tap("n:country"), Tap("n:language"), lang_hint="en")
    assert len(reply.session.history) == 3  # history_limit of the base content
    for expected in ("[en] Country", "[en] Helplines", "[en] List", "[en] Home"):
        reply = base_engine.step(reply.session, Tap("b"))
        assert expected in text_of(reply)


def test_stale_button_for_a_removed_screen_leads_home_with_a_notice(base_engine):
    reply = base_engine.step(Session(lang="uk", node="work"), Tap("n:removed_screen"))
    assert text_of(reply).startswith("[uk] stale button")
    assert reply.session.node == "home"


@pytest.mark.parametrize("data", [
    "", "zzz", "q:", "q:home:0:1", "k:quiz:x", "c:XX", "l:de", "s:x", "n:",
    # forged digits that str.isdigit() accepts and int() does not (or reads as another number)
    "k:list:²", "k:list:٣", "q:quiz:²:1", "q:quiz:0:²", "q:quiz:0:1:extra", "k:list:0:1",
])
def test_garbage_callback_data_leads_home_with_the_stale_button_notice(base_engine, data):
    reply = base_engine.step(Session(lang="en", node="work"), Tap(data))
    assert reply.node == "home" and reply.session.node == "home"
    assert text_of(reply).startswith("[en] stale button")
    assert reply.session.lang == "en"


def test_quiz_result_follows_the_answers(base_engine):
    fee_only = talk(base_engine, Start("en-quiz"), Tap("q:quiz:0:1"), Tap("q:quiz:1:0"))
    assert "[en] Safe" in text_of(fee_only)  # weight 2 is below the risky result's min of 3
    passport_only = talk(base_engine, Start("en-quiz"), Tap("q:quiz:0:0"), Tap("q:quiz:1:1"))
    assert "[en] Risky" in text_of(passport_only)  # decisive: high risk on its own
    assert passport_only.counts == ("quiz_done",)


def test_quiz_weights_add_up_and_a_decisive_yes_wins_whatever_the_total():
    questions = (Question("a", 1), Question("b", 2), Question("keeps_passport", 0, True))
    results = (QuizResult(0, "low", POS), QuizResult(3, "high", POS))
    quiz = Node("q", "quiz", POS, questions=questions, results=results)
    assert quiz_result(quiz, 0b000) == "low"
    assert quiz_result(quiz, 0b001) == "low"
    assert quiz_result(quiz, 0b011) == "high"  # 1 + 2 reaches 3
    assert quiz_result(quiz, 0b100) == "high"  # decisive alone, total 0


def test_old_quiz_answer_does_not_count_twice(base_engine):
    first = talk(base_engine, Start("en-quiz"), Tap("q:quiz:0:1"))
    again = base_engine.step(first.session, Tap("q:quiz:0:1"))  # the same button, tapped again
    assert again.session.quiz_yes == first.session.quiz_yes == 0b1
    assert "[en] question 2/2" in text_of(again)


def test_checklist_ticks_and_unticks(base_engine):
    reply = talk(base_engine, Start("en-list"), Tap("k:list:1"))
    assert "⬜ 1. [en] Contract" in text_of(reply)
    assert "✅ 2. [en] Copies" in text_of(reply)
    assert "[en] done 1/2" in text_of(reply)
    ticks = [(b.label, b.action) for b in reply.messages[0].buttons[0]]
    assert ticks == [("⬜ 1", "k:list:0"), ("✅ 2", "k:list:1")]
    reply = base_engine.step(reply.session, Tap("k:list:1"))
    assert "[en] done 0/2" in text_of(reply)


def test_choosing_a_country_returns_to_the_screen_being_read(base_engine):
    reply = talk(base_engine, Start("en-helplines"), Tap("n:country"), Tap("c:PL"))
    assert "[en] Helplines" in text_of(reply)
    assert "+48 22 628 01 20" in text_of(reply)
    assert reply.session.country == "PL"


def test_country_names_come_from_cldr_in_the_readers_language(base_engine):
    uk = base_engine.step(Session(lang="uk"), Tap("n:country"))
    ru = base_engine.step(Session(lang="ru"), Tap("n:country"))
    labels = lambda r: [b.label for row in r.messages[0].buttons for b in row]  # noqa: E731
    assert "Польща" in labels(uk) and "Польша" in labels(ru)
    assert "[uk] other country" in labels(uk)


def test_forget_asks_then_erases(base_engine):
    asked = base_engine.step(Session(lang="en", country="PL", node="work"), Command("forget"))
    assert "[en] forget?" in text_of(asked)
    assert actions(asked)[:2] == ["f:y", "b"]
    kept = base_engine.step(asked.session, Tap("b"))
    assert "[en] Work" in text_of(kept) and not kept.erase
    gone = base_engine.step(asked.session, Tap("f:y"))
    assert gone.erase and gone.session == Session()
    assert "[en] forgotten" in text_of(gone)


def test_free_text_suggests_topics_in_any_language_or_script(shipped_engine):
    for typed in ("робота", "шукаю роботу", "работа", "rabota", "robotu", "job"):
        reply = shipped_engine.step(Session(lang="uk", node="home"), Text(typed))
        assert "n:work" in actions(reply), typed


def test_help_words_open_the_helplines_at_once(shipped_engine):
    for typed in ("help", "HELP!!!", "допоможіть", "Помогите пожалуйста", "SOS", "pomogite"):
        reply = shipped_engine.step(Session(lang="ru", node="work"), Text(typed))
        assert reply.node == "helplines", typed


def test_unknown_text_gets_a_friendly_answer_and_the_menu(base_engine):
    reply = base_engine.step(Session(lang="uk", node="work"), Text("qwrtzx"))
    assert text_of(reply).startswith("[uk] not understood")
    assert "n:work" in actions(reply)


def test_stickers_and_unknown_commands_get_the_menu(base_engine):
    sticker = base_engine.step(Session(lang="ru"), Other("sticker"))
    assert text_of(sticker).startswith("[ru] text only")
    command = base_engine.step(Session(lang="ru"), Command("frobnicate"))
    assert text_of(command).startswith("[ru] unknown command")


def test_missing_translation_falls_back_with_a_visible_notice(tmp_path: Path):
    root = tmp_path / "c"
    shutil.copytree(BASE, root)
    ru = root / "content/ru/main.yaml"
    ru.write_text(ru.read_text().replace(
        'safe:\n  title: "[ru] Safe"\n  text: "[ru] Result text"\n', ""))
    catalog, _ = load_catalog(root)
    engine = Engine(catalog)
    reply = talk(engine, Start("ru-quiz"), Tap("q:quiz:0:0"), Tap("q:quiz:1:0"))
    assert text_of(reply).startswith("<i>[ru] not translated</i>")
    assert "[en] Safe" in text_of(reply)
    assert "{" not in text_of(reply)


def test_engine_is_deterministic(base_engine):
    events = [Start("en"), Tap("n:quiz"), Tap("q:quiz:0:1"), Text("work"), Tap("b")]
    first = [dataclasses.asdict(talk(base_engine, *events[:i + 1])) for i in range(len(events))]
    second = [dataclasses.asdict(talk(base_engine, *events[:i + 1])) for i in range(len(events))]
    assert first == second


def test_phrase_keywords_need_all_their_words(shipped_engine):
    def suggested(text):
        return actions(shipped_engine.step(Session(lang="uk", node="home"), Text(text)))

    assert "n:registration" in suggested("тимчасового захисту")
    assert "n:work_wage" not in suggested("мінімальна")  # one word of "мінімальна зарплата"
    assert "n:work_wage" in suggested("яка мінімальна зарплата в Польщі")


def test_a_reload_that_shortens_the_quiz_does_not_break_people_mid_way(base_copy):
    """Defect: an old "Yes" for question 3 of a quiz cut to 2 raised IndexError."""
    before = Engine(load_catalog(base_copy)[0])
    flows = base_copy / "flows/main.yaml"
    three = flows.read_text().replace("    - {id: passport, decisive: true}\n",
                                      "    - {id: passport, decisive: true}\n"
                                      "    - {id: hurry, weight: 1}\n")
    flows.write_text(three)
    for lang in ("uk", "ru", "en"):
        texts = base_copy / f"content/{lang}/main.yaml"
        texts.write_text(texts.read_text().replace(
            "    passport:", f'    hurry: "[{lang}] Hurry?"\n    passport:'))
    longer = Engine(load_catalog(base_copy)[0])
    session = talk(longer, Start("en-quiz"), Tap("q:quiz:0:0"), Tap("q:quiz:1:0")).session
    assert session.quiz_index == 2
    reply = before.step(session, Tap("q:quiz:2:1"))  # the content went back to two questions
    assert "[en] Quiz" in text_of(reply) and "[en] question 2/2" in text_of(reply)
    finished = before.step(reply.session, Tap("q:quiz:1:0"))
    assert "[en] Safe" in text_of(finished)


def test_a_reload_that_shortens_a_checklist_masks_old_ticks(base_engine):
    """Defect: a checklist cut from 10 items to 2 showed "Done: 10 of 2"."""
    session = Session(lang="en", node="list", checks={"list": (1 << 10) - 1, "gone": 1})
    reply = base_engine.step(session, Tap("k:list:0"))
    assert "[en] done 1/2" in text_of(reply)
    assert reply.session.checks == {"list": 0b10}


def test_following_two_posters_in_turn_counts_each_start_once(shipped_engine):
    """Defect: one chat alternating campaign links inflated the counts."""
    session, starts = None, []
    for payload in ("plwork", "desos", "plwork", "desos", "plwork"):
        reply = shipped_engine.step(session, Start(payload))
        session = reply.session
        starts.append((payload, "start" in reply.counts))
    assert starts == [("plwork", True), ("desos", True), ("plwork", False), ("desos", False),
                      ("plwork", False)]


@pytest.mark.parametrize("event", [Text("help"), Text("SOS"), Text("допоможіть"),
                                   Command("sos")], ids=["help", "SOS", "uk", "/sos"])
@pytest.mark.parametrize("phone_language", ["pl", "de", None])
def test_a_new_person_asking_for_help_gets_the_helplines_before_any_question(
        shipped_engine, event, phone_language):
    reply = shipped_engine.step(None, event, lang_hint=phone_language)
    assert reply.node == "helplines"
    assert "112" in [b.copy for m in reply.messages for row in m.buttons for b in row]
    assert "l:uk" not in actions(reply)  # not the language picker
    # They were not asked, so the language is still theirs to choose.
    assert reply.session.lang is None
    assert actions(shipped_engine.step(reply.session, Tap("h")))[:3] == ["l:uk", "l:ru", "l:en"]


def test_choosing_a_language_at_the_picker_asks_the_country_whatever_the_app_language(
        base_engine):
    """Regression: the app's language was applied before the tap, so the choice looked like a
    change of language and the country question was skipped."""
    picker = base_engine.step(None, Start())
    reply = base_engine.step(picker.session, Tap("l:ru"), lang_hint="uk")
    assert reply.session.lang == "ru" and "[ru] Country" in text_of(reply)


@pytest.mark.parametrize("event", [Other("sticker"), Text("hello"), Command("menu")],
                         ids=["sticker", "text", "/menu"])
def test_whatever_a_new_person_sends_first_they_are_asked_for_a_language(base_engine, event):
    reply = base_engine.step(None, event)
    assert actions(reply) == ["l:uk", "l:ru", "l:en", "s"]
    assert "[en] choose language" in text_of(reply)


def test_the_menu_command_leads_home(base_engine):
    reply = base_engine.step(Session(lang="en", node="work"), Command("menu"))
    assert text_of(reply).startswith("<b>[en] Home</b>")


def test_forget_me_is_confirmed_first_and_help_stays_one_tap_away(base_engine):
    session = Session(lang="en", country="PL", node="work")
    for event in (Command("forget"), Tap("f")):
        asked = base_engine.step(session, event)
        assert "[en] forget?" in text_of(asked) and not asked.erase
        assert actions(asked) == ["f:y", "b", "s"]
    gone = base_engine.step(asked.session, Tap("f:y"))
    # Forgotten: the language is asked again, and help is still there.
    assert actions(gone) == ["l:uk", "l:ru", "l:en", "s"]


def test_forget_me_from_a_person_who_never_chose_a_language_erases_at_once(base_engine):
    gone = base_engine.step(Session(node="helplines"), Command("forget"))
    assert gone.erase and gone.session == Session()
    assert text_of(gone) == "[uk] forgotten"  # in the first language: none was chosen
    assert actions(gone) == ["l:uk", "l:ru", "l:en", "s"]


def test_a_deep_link_starts_afresh_so_back_leads_home(base_engine):
    reply = talk(base_engine, Start("en"), Tap("n:work"), Tap("n:quiz"), Start("en-helplines"))
    assert "[en] Helplines" in text_of(reply)
    assert "[en] Home" in text_of(base_engine.step(reply.session, Tap("b")))


def test_home_is_where_back_ends(base_engine):
    reply = talk(base_engine, Start("en"), Tap("n:work"), Tap("n:quiz"), Tap("h"), Tap("n:list"),
                 Tap("b"), Tap("b"))
    assert "[en] Home" in text_of(reply)  # not the screens read before going home


def test_a_quiz_answer_from_an_older_message_reopens_the_quiz(base_engine):
    reply = base_engine.step(Session(lang="en", node="work"), Tap("q:quiz:1:1"))
    assert "[en] Quiz" in text_of(reply) and "[en] question 1/2" in text_of(reply)


def test_a_tick_for_an_item_the_checklist_no_longer_has_changes_nothing(base_engine):
    reply = base_engine.step(Session(lang="en", node="list"), Tap("k:list:2"))
    assert "[en] done 0/2" in text_of(reply)


def test_help_first_then_the_language_then_the_country_then_back_to_help(base_engine):
    reply = talk(base_engine, Tap("s"), Tap("l:en"))
    assert "[en] Country" in text_of(reply)
    reply = base_engine.step(reply.session, Tap("c:PL"))
    assert "[en] Helplines" in text_of(reply) and "+48 22 628 01 20" in text_of(reply)


@pytest.mark.parametrize(("node", "shown"), [("work", "[ru] Work in <b>Poland</b>."),
                                             ("removed_screen", "[ru] Home")])
def test_a_language_button_from_an_older_message_keeps_the_screen_being_read(base_engine, node,
                                                                             shown):
    session = Session(lang="en", country="PL", node=node, history=("home",))
    assert shown in text_of(base_engine.step(session, Tap("l:ru")))


def test_content_without_fallback_languages_still_answers(base_copy):
    settings = base_copy / "flows/settings.yaml"
    settings.write_text(settings.read_text().replace(
        "fallback:\n  uk: [en]\n  ru: [en]\n  en: [uk]\n", ""))
    engine = Engine(load_catalog(base_copy)[0])
    assert "[en] Helplines" in text_of(engine.step(None, Start("en-PL-helplines")))


def test_a_screen_with_only_a_title_shows_only_its_title(base_engine):
    reply = base_engine.step(Session(lang="en", country="PL"), Tap("n:country"))
    assert reply.messages[0].text == "<b>[en] Country</b>"


def test_a_screen_written_for_one_country_says_which_country(base_engine):
    text = text_of(base_engine.step(None, Start("en-PL-work")))
    assert "[en] country_line Poland" in text


def test_the_screens_name_the_real_bot_and_the_readers_language(base_copy):
    home = base_copy / "content/en/main.yaml"
    home.write_text(home.read_text().replace("[en] Home text.", "[en] {bot} in {language}."))
    engine = Engine(load_catalog(base_copy)[0])
    assert "[en] @… in English." in text_of(engine.step(None, Start("en-PL")))
    named = engine.for_day(None, "StaySafeBot")
    assert "[en] @StaySafeBot in English." in text_of(named.step(None, Start("en-PL")))


def test_opening_a_quiz_again_starts_it_afresh(shipped_engine):
    quiz = shipped_engine.catalog.nodes["job_check"]
    fresh = shipped_engine.step(None, Start("en-job_check"))
    reply = talk(shipped_engine, Start("en-job_check"), Tap("q:job_check:0:1"),
                 Tap("n:job_check"))
    assert text_of(reply) == text_of(fresh)  # the first question again
    for index in range(len(quiz.questions)):  # "no" to everything this time
        reply = shipped_engine.step(reply.session, Tap(f"q:job_check:{index}:0"))
    assert reply.node == quiz.results[0].node  # the earlier "yes" no longer counts


def test_the_screen_shown_is_the_screen_the_next_tap_acts_on(base_engine):
    """The studio's "this screen" panel shows ``reply.node``; taps act on ``session.node``."""
    events = [Text("hello"), Tap("l:en"), Tap("c:PL"), Text("work"), Tap("n:quiz"),
              Tap("q:quiz:0:1"), Tap("q:quiz:0:1"), Tap("n:list"), Tap("k:list:0"),
              Tap("n:work"), Tap("k:list:1"), Tap("q:quiz:1:1"), Command("forget"), Tap("b"),
              Tap("s"), Other("sticker"), Tap("zzz")]
    session = None
    for event in events:
        reply = base_engine.step(session, event)
        assert reply.node == reply.session.node, event
        session = reply.session


@pytest.mark.parametrize(("fee", "result"), [("1", "[en] Risky"), ("0", "[en] Safe")])
def test_a_reload_that_shortens_the_quiz_keeps_the_answers_to_the_questions_left(
        base_copy, fee, result):
    flows = base_copy / "flows/main.yaml"
    flows.write_text(flows.read_text().replace("{min: 3, to: risky}", "{min: 2, to: risky}"))
    short = Engine(load_catalog(base_copy)[0])  # here a fee alone is risky
    flows.write_text(flows.read_text().replace(
        "    - {id: passport, decisive: true}\n",
        "    - {id: passport, decisive: true}\n    - {id: hurry, weight: 1}\n"
        "    - {id: alone, weight: 1}\n"))
    texts = base_copy / "content/en/main.yaml"
    texts.write_text(texts.read_text().replace(
        "    passport:", '    hurry: "[en] Hurry?"\n    alone: "[en] Alone?"\n    passport:'))
    longer = Engine(load_catalog(base_copy)[0])
    session = talk(longer, Start("en-quiz"), Tap(f"q:quiz:0:{fee}"), Tap("q:quiz:1:0"),
                   Tap("q:quiz:2:1")).session  # "yes" to a question the reload removes
    reply = short.step(session, Tap("q:quiz:3:0"))
    assert "[en] question 2/2" in text_of(reply)
    assert result in text_of(short.step(reply.session, Tap("q:quiz:1:0")))


def test_a_new_person_asking_for_help_about_a_topic_reads_both_in_the_first_language(
        shipped_engine):
    reply = shipped_engine.step(None, Text("help, they don't pay me"))
    assert reply.node == "helplines" and reply.session.lang is None
    _, more = reply.messages
    wage = shipped_engine.catalog.texts["uk"]["work_wage"].title
    assert more.buttons[0][0].label == wage
    # Already on the helplines: back and home, no second SOS button.
    assert [b.action for row in more.buttons for b in row] == ["n:work_wage", "b", "h"]


def test_suggestions_are_the_three_best_topics_best_first(shipped_engine):
    reply = shipped_engine.step(Session(lang="uk", node="home"),
                                Text("мінімальна зарплата, робота, договір, житло, реєстрація"))
    topics = [a for a in actions(reply) if a.startswith("n:")]
    assert len(topics) == 3 and topics[0] == "n:work_wage"  # a whole phrase beats one word


@pytest.mark.parametrize("typed", ["heeelp", "помооогите", "SOOOS"])
def test_help_words_typed_in_a_hurry_still_open_the_helplines(shipped_engine, typed):
    assert shipped_engine.step(Session(lang="ru", node="work"), Text(typed)).node == "helplines"


def test_a_typed_word_matches_keywords_that_begin_like_it_not_merely_share_letters():
    index = KeywordIndex()
    index.add("contract", "work_contract")
    index.add("fake bot", "fake_bots")  # a short word in a phrase must be typed whole
    assert index.search("contracts") == ["work_contract"]
    assert index.search("control") == []
    assert index.search("fake bot") == ["fake_bots"]
    assert index.search("fake news") == index.search("fake bottle") == []


def test_the_topic_most_words_point_to_comes_first_and_ties_read_alphabetically():
    index = KeywordIndex()
    for keyword, topic in (("minimum wage", "wage"), ("wage", "wage"), ("minimum", "pension"),
                           ("pension", "pension"), ("fraud", "red_flags"), ("scam", "red_flags"),
                           ("fraud", "fake_bots")):
        index.add(keyword, topic)
    assert index.search("minimum wage pension") == ["wage", "pension"]  # a phrase counts more
    assert index.search("fraud scam") == ["red_flags", "fake_bots"]
    for topic in ("e", "d", "c", "b", "a"):
        index.add("help", f"{topic}_topic")
    assert index.search("help", 5) == ["a_topic", "b_topic", "c_topic", "d_topic", "e_topic"]


def test_the_country_picker_marks_the_country_chosen(base_engine):
    chosen = base_engine.step(Session(lang="en", country="PL"), Tap("n:country"))
    assert [b.label for b in chosen.messages[0].buttons[0]] == ["✓ Poland", "[en] other country"]
    other = base_engine.step(Session(lang="en", country="EU"), Tap("n:country"))
    assert [b.label for b in other.messages[0].buttons[0]] == ["Poland", "✓ [en] other country"]
