"""The studio's pages over HTTP (aiohttp's test server), what an editor sees on each tab."""

from __future__ import annotations

import datetime as dt
import html
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.studio.live import LiveContent
from bot.studio.message import text_html
from bot.studio.server import StudioError, build_app, check_root
from tests.conftest import PROJECT
from tests.test_architecture import project_imports

TODAY = dt.date(2026, 11, 23)


class Studio:
    """The studio over a content folder, with the content looked at only when asked."""

    def __init__(self, root: Path, today: dt.date = TODAY):
        self.live = LiveContent(root, today=lambda: today, bot="StaySafeTestBot",
                                clock=lambda: dt.datetime(2026, 11, 23, 10, 0, 0))
        self.live.refresh()
        self.client = TestClient(TestServer(build_app(self.live, watch_seconds=None)))

    async def get(self, url: str) -> str:
        response = await self.client.get(url)
        assert response.status == 200, url
        return await response.text()


@pytest.fixture
async def studio(base_copy: Path):
    s = Studio(base_copy)
    await s.client.start_server()
    yield s
    await s.client.close()


def key(page: str, label: str) -> str:
    """The link of the keyboard button labelled ``label``."""
    match = re.search(rf'<a class="key" href="([^"]*)">{re.escape(html.escape(label))}</a>', page)
    assert match, f"no button {label!r}"
    return html.unescape(match.group(1))


def chat(**query: str) -> str:
    return "/chat?" + urlencode(query)


def state_of(page: str) -> str:
    """The conversation's state after the page (what its forms send on)."""
    return html.unescape(re.search(r'name="s" value="([^"]*)"', page).group(1))


def bubbles(page: str) -> str:
    return "\n".join(re.findall(r'<div class="bubble">(.*?)</div>', page, re.S))


def screen_id(page: str) -> str:
    return re.search(r'<b id="screen-id">([^<]*)</b>', page).group(1)


async def test_a_new_user_is_asked_the_language_then_taps_and_types(studio: Studio):
    page = await studio.get("/chat")
    assert "[en] choose language" in bubbles(page)
    page = await studio.get(key(page, "English"))
    assert "[en] Country" in bubbles(page)  # a new person is asked the country at once
    page = await studio.get(key(page, "Poland"))
    assert "Country: Poland" in bubbles(page) and screen_id(page) == "home"
    page = await studio.get(key(page, "Work"))
    assert "[en] Work in <b>Poland</b>." in bubbles(page)
    assert '<div class="mine">Tapped “Work”</div>' in page
    page = await studio.get(chat(s=state_of(page), text="work"))
    assert "[en] suggestions" in bubbles(page)
    assert '<div class="mine">work</div>' in page


async def test_switching_language_and_country_keeps_the_screen(studio: Studio):
    page = await studio.get(chat(s='{"l":"en","n":"home"}', tap="n:work"))
    assert "[en] Work text." in bubbles(page)
    state = state_of(page)
    page = await studio.get(chat(s=state, tap="l:uk"))
    assert "[uk] Work text." in bubbles(page) and screen_id(page) == "work"
    page = await studio.get(chat(s=state, tap="c:PL"))
    assert "[en] Work in <b>Poland</b>." in bubbles(page)


async def test_a_deep_link_opens_as_a_new_user_would_see_it(studio: Studio):
    page = await studio.get(chat(new="1", start="ru-PL-work", s='{"l":"en","n":"home"}'))
    assert screen_id(page) == "work"
    assert "[ru] Work in <b>Poland</b>." in bubbles(page)
    assert '<div class="mine">/start ru-PL-work</div>' in page


async def test_a_forged_or_damaged_state_starts_a_fresh_conversation(studio: Studio):
    too_long = '{"l": "en",' + " " * 5000 + "}"
    for state in ("[" * 1500, "not json", '{"l": 1e400}', '{"l": "../../etc"}', too_long,
                  '{"l": "xx", "c": "QQ", "n": "home"}'):
        page = await studio.get(chat(s=state, tap="h"))
        assert "[en] choose language" in bubbles(page)
    page = await studio.get(chat(start="", hint="xx"))  # an app language we do not speak
    assert "[en] choose language" in bubbles(page)


async def test_what_an_editor_types_is_shown_as_text_never_as_markup(studio: Studio):
    page = await studio.get(chat(s='{"l":"en","n":"home"}', text="<script>alert(1)</script>"))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_message_html_keeps_telegram_tags_and_nothing_else():
    assert text_html('<b>Bold</b> <i>it</i> <a href="https://x.org/?a=1&amp;b=2">x</a>') == (
        '<b>Bold</b> <i>it</i> <a href="https://x.org/?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">x</a>')
    assert text_html("<strong>s</strong><em>e</em><tg-spoiler>p</tg-spoiler>") == (
        '<b>s</b><i>e</i><span class="spoiler">p</span>')
    assert text_html('<a href="javascript:alert(1)">x</a>') == "<a>x</a>"
    assert text_html('<img src=x onerror="alert(1)">1 &lt; 2 <b>open') == "1 &lt; 2 <b>open</b>"
    assert text_html('<b onclick="x()">a</b><code class="language-py">c</code>') == (
        "<b>a</b><code>c</code>")
    assert text_html("line 1\nline 2") == "line 1\nline 2"


async def test_copy_buttons_are_shown_as_copy_buttons(studio: Studio):
    page = await studio.get(chat(s='{"l":"en","c":"PL","n":"home"}', tap="n:helplines"))
    assert ('<button type="button" class="key copy" data-copy="+48 22 628 01 20" '
            'title="Copies +48 22 628 01 20">📋 +48 22 628 01 20</button>') in page


async def test_a_saved_edit_shows_and_a_broken_one_keeps_the_last_good_chat(studio: Studio,
                                                                             base_copy: Path):
    url = chat(s='{"l":"en","n":"home"}', tap="n:work")
    assert (await studio.client.get("/api/version")).status == 200
    before = (await (await studio.client.get("/api/version")).json())["version"]
    texts = base_copy / "content/en/main.yaml"
    original = texts.read_text(encoding="utf-8")
    texts.write_text(original.replace("[en] Work text.", "[en] Work text, edited."),
                     encoding="utf-8")
    assert studio.live.refresh()
    assert "[en] Work text, edited." in bubbles(await studio.get(url))
    version = (await (await studio.client.get("/api/version")).json())
    assert version == {"version": before + 1, "errors": 0}

    texts.write_text(original.replace('title: "Work"', 'title: "Work'), encoding="utf-8")
    assert studio.live.refresh()
    page = await studio.get(url)
    assert "[en] Work text, edited." in bubbles(page)  # the last version that worked
    banner = re.search(r'<div class="banner" id="broken">(.*?)</div>', page, re.S).group(1)
    assert "content/en/main.yaml:" in banner
    assert "loaded at 10:00:00" in banner
    assert page.index('id="broken"') < page.index('id="chat"')  # errors above the chat
    problems = await studio.get("/problems")
    assert "checked at 10:00:00" in problems
    assert re.search(r'<td class="where">content/en/main\.yaml:\d+:\d+</td>', problems)
    assert (await (await studio.client.get("/api/version")).json())["errors"] >= 1

    texts.write_text(original, encoding="utf-8")
    assert studio.live.refresh()
    page = await studio.get(url)
    assert 'id="broken"' not in page and "[en] Work text." in bubbles(page)
    assert not studio.live.refresh()  # nothing changed since: nothing is checked again


async def test_content_that_never_worked_shows_only_the_errors(base_copy: Path):
    (base_copy / "flows/main.yaml").write_text("home: [", encoding="utf-8")
    studio = Studio(base_copy)
    async with studio.client:
        page = await studio.get("/chat")
        assert "No version of the content has worked yet" in page
        banner = re.search(r'<div class="banner" id="broken">(.*?)</div>', page, re.S).group(1)
        first = re.search(r'<li><span class="where">([^<]*)</span> ([^<]*)</li>', banner)
        assert first.groups()[0] == "flows/main.yaml:1:7"
        assert first.groups()[1].startswith("the list that starts with [ here is never closed")
        for tab in ("/map", "/facts", "/translations"):
            assert (await studio.client.get(tab)).status == 200
        assert (await studio.client.get("/graph.mmd")).status == 503


async def test_every_screen_on_the_map_opens_in_the_chat(studio: Studio):
    page = await studio.get("/map?lang=ru&country=PL")
    rows = re.findall(r'<tr id="screen-([a-z_]+)"><td><a href="([^"]*)">', page)
    assert {screen for screen, _ in rows} == set(studio.live.loaded.engine.catalog.nodes)
    for screen, href in rows:
        opened = await studio.get(html.unescape(href))
        assert screen_id(opened) == screen
        if screen == "work":
            assert "[ru] Work in <b>Poland</b>." in bubbles(opened)
    assert "quiz -->" in await studio.get("/graph.mmd")


async def test_facts_overdue_first_with_the_screens_that_show_them(base_copy: Path):
    facts = base_copy / "flows/facts.yaml"
    head, _, pl_line = facts.read_text().rpartition("pl_line:")
    facts.write_text(head + "pl_line:" + pl_line.replace("2027-02-01", "2026-12-10"))
    studio = Studio(base_copy, today=dt.date(2026, 12, 20))
    async with studio.client:
        page = await studio.get("/facts")
    rows = re.findall(r'<tr id="fact-([a-z_]+)"><td class="([a-z-]+)">', page)
    assert rows == [("pl_line", "overdue"), ("desk_hours", "ok"), ("emergency", "ok"),
                    ("kyiv_hours", "ok")]
    pl_line = page[page.index('id="fact-pl_line"'):]
    assert ">helplines</a>" in pl_line.split("</tr>")[0]


async def test_translations_list_what_is_missing_with_a_link_to_the_screen(base_copy: Path):
    ru = base_copy / "content/ru/main.yaml"
    ru.write_text(ru.read_text().replace('  title: "[ru] Risky"\n', ""), encoding="utf-8")
    studio = Studio(base_copy)
    async with studio.client:
        page = await studio.get("/translations")
        section = page[page.index('id="missing-ru"'):]
        link = re.search(r'<li><a href="([^"]*)">title of &#x27;risky&#x27;</a></li>', section)
        assert link
        assert re.search(r"<td>Русский \(ru\)</td><td>(\d+) / (\d+)</td>", page)
        opened = await studio.get(html.unescape(link.group(1)))
        assert screen_id(opened) == "risky"
        assert "<b>[en] Risky</b>" in bubbles(opened)  # the fallback language
        assert 'id="stale"' in page


async def test_a_changed_source_text_lists_its_stale_translations_with_links(base_copy: Path):
    from bot.checks.translations import accept
    from bot.content.loader import load_catalog

    accept(load_catalog(base_copy)[0], base_copy)  # the base content translates from uk
    uk = base_copy / "content/uk/main.yaml"
    uk.write_text(uk.read_text().replace('title: "[uk] Risky"', 'title: "[uk] Very risky"'),
                  encoding="utf-8")
    studio = Studio(base_copy)
    async with studio.client:
        page = await studio.get("/translations")
        section = page[page.index('id="stale"'):]
        links = re.findall(r'<li><a href="([^"]*)">risky\.title</a> \((ru|en)\)', section)
        assert sorted(lang for _, lang in links) == ["en", "ru"]
        assert "was: [uk] Risky" in section and "now: [uk] Very risky" in section
        opened = await studio.get(html.unescape(links[0][0]))
        assert screen_id(opened) == "risky"


def test_studio_imports_only_the_layers_below_it_and_nothing_imports_it():
    studio = sorted((PROJECT / "bot/studio").glob("*.py"))
    assert studio
    for path in studio:
        assert project_imports(path) <= {"content", "engine", "checks", "publish", "studio",
                                         "config"}, path
    for package in ("content", "engine", "checks"):
        for path in (PROJECT / "bot" / package).rglob("*.py"):
            assert "studio" not in project_imports(path), path


def test_a_folder_without_flows_is_refused_in_one_line(tmp_path: Path):
    with pytest.raises(StudioError, match=r"has no flows/ folder: give --root"):
        check_root(tmp_path)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "preview", "--root", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "has no flows/ folder" in result.stderr


def test_a_busy_port_is_refused_in_one_line(base_copy: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "preview", "--root", str(base_copy), "--port",
             str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Choose one with --port" in result.stderr


async def test_editors_see_the_talk_to_a_person_button_and_its_consent_screen():
    """The studio offers talking to a person as the bot does once HANDOFF_CHAT_ID is set."""
    studio = Studio(PROJECT)
    async with studio.client:
        helplines = await studio.get(chat(s='{"l":"en","c":"PL","n":"home"}', tap="n:helplines"))
        assert "💬 Talk to a person" in helplines
        consent = await studio.get(chat(s='{"l":"en","c":"PL","n":"helplines"}', tap="p:"))
        assert screen_id(consent) == "helplines"
        assert "not an emergency service" in bubbles(consent)
