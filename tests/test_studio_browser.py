"""The studio in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

An editor's afternoon: click through the chat, type, switch language, save an edit and see it
appear, save a broken file and see the error above the last good screen, open a screen from the
map. ``stay-safe preview`` runs as a real process on a free port. Never skipped: without
Chromium the test fails and says how to install it.

The README's screenshot is written again, on purpose only, with
``STUDIO_SCREENSHOT=docs/studio.png .venv/bin/pytest tests/test_studio_browser.py``.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import PROJECT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # where Debian installs it
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_SECONDS = 30  # a studio that has not said where it listens by then is broken
WAIT_MS = 10_000  # the page polls every second; an edit shows within a couple of seconds


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("the browser test needs Debian's Chromium: apt-get install -y chromium "
                    "(.ci/run installs it when it is missing)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1100, "height": 820})
        yield context
        context.close()


class StudioProcess:
    """``stay-safe preview`` on a free port (``--port 0``), stopped at the end."""

    def __init__(self, root: Path, *options: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "preview", "--root", str(root), "--port", "0",
             *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT)
        self.url = self._address()

    def _address(self) -> str:
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if selector.select(timeout=deadline - time.monotonic()):
                line = self.process.stdout.readline()
                if "open http://" in line:
                    return line.split("open ", 1)[1].split()[0]
        self.stop()
        pytest.fail(f"the studio did not start: {self.process.stderr.read()}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def studio_over(tmp_path: Path):
    started: list[StudioProcess] = []

    def start(root: Path, *options: str) -> StudioProcess:
        started.append(StudioProcess(root, *options))
        return started[-1]

    yield start
    for studio in started:
        studio.stop()


def bubble(page: Page):
    return page.locator("#chat .bubble").last


def test_an_editor_clicks_types_switches_language_and_sees_saved_edits(
        browser, studio_over, base_copy: Path, tmp_path: Path):
    studio = studio_over(base_copy, "--username", "StaySafeTestBot")
    page = browser.new_page()
    page.goto(studio.url + "chat")
    expect(page.locator("#deep-link")).to_contain_text(
        "https://t.me/StaySafeTestBot?start=")
    expect(bubble(page)).to_contain_text("[en] choose language")
    page.locator("a.key", has_text="English").click()
    expect(bubble(page)).to_contain_text("[en] Country")
    page.locator("a.key", has_text="Poland").click()
    expect(bubble(page)).to_contain_text("Country: Poland")
    page.locator("a.key", has_text="Work").click()
    expect(bubble(page)).to_contain_text("[en] Work in Poland.")
    expect(bubble(page).locator("b", has_text="Poland")).to_be_visible()

    page.fill("input[name=text]", "work")
    page.press("input[name=text]", "Enter")
    expect(page.locator("#chat .mine")).to_have_text("work")
    expect(bubble(page)).to_contain_text("[en] suggestions")

    page.select_option("#lang", "l:uk")
    expect(bubble(page)).to_contain_text("[uk] Work in Poland.")
    expect(page.locator("#screen-id")).to_have_text("work")

    texts = base_copy / "content/uk/main.yaml"
    original = texts.read_text(encoding="utf-8")
    texts.write_text(original.replace("[uk] Work in <b>Poland</b>.",
                                      "[uk] Work in <b>Poland</b>, edited."), encoding="utf-8")
    expect(bubble(page)).to_contain_text("[uk] Work in Poland, edited.", timeout=WAIT_MS)

    texts.write_text(texts.read_text(encoding="utf-8").replace('title: "Робота"',
                                                                'title: "Робота'),
                     encoding="utf-8")
    banner = page.locator("#broken")
    expect(banner).to_contain_text("content/uk/main.yaml:", timeout=WAIT_MS)
    expect(banner).to_contain_text("the last version that worked")
    expect(bubble(page)).to_contain_text("[uk] Work in Poland, edited.")  # still shown
    page.screenshot(path=str(tmp_path / "broken.png"), full_page=True)

    page.click("nav >> text=Problems")
    expect(page.locator("#problems")).to_contain_text("content/uk/main.yaml:")
    page.click("nav >> text=Map")
    page.locator("#screen-list a").first.click()
    expect(page.locator("#screen-id")).to_have_text("list")
    expect(bubble(page)).to_contain_text("[uk] Tick:")
    page.locator("a.key", has_text="1").first.click()
    expect(bubble(page)).to_contain_text("✅ 1. [uk] Contract")

    texts.write_text(original, encoding="utf-8")
    expect(page.locator("#broken")).to_have_count(0, timeout=WAIT_MS)
    page.screenshot(path=str(tmp_path / "studio.png"), full_page=True)
    assert (tmp_path / "studio.png").read_bytes().startswith(b"\x89PNG")


def test_the_shipped_content_in_the_browser(browser, studio_over, tmp_path: Path):
    studio = studio_over(PROJECT)
    page = browser.new_page()
    page.goto(studio.url + "chat?start=&hint=en")
    page.locator("a.key", has_text="Poland").click()
    expect(bubble(page)).to_contain_text("Main menu")
    page.fill("input[name=text]", "/sos")
    page.press("input[name=text]", "Enter")
    expect(page.locator("#screen-id")).to_have_text("helplines")
    copy = page.locator("button.copy").first
    expect(copy).to_contain_text("📋 112")
    page.click("nav >> text=Translations")
    expect(page.locator("#coverage")).to_contain_text("English (en)")
    page.click("nav >> text=Facts")
    expect(page.locator("#facts tbody tr").first).to_be_visible()
    page.go_back()
    page.go_back()
    expect(page.locator("#screen-id")).to_have_text("helplines")
    shot = tmp_path / "studio.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("STUDIO_SCREENSHOT"):
        shutil.copyfile(shot, PROJECT / os.environ["STUDIO_SCREENSHOT"])


def test_a_poster_prints_on_one_a4_page_with_the_code_whole(browser, tmp_path: Path):
    """The printed sheet of a campaign, laid out by a real browser: one A4 page, the QR code
    at least 8 cm wide and centred, the short code and the bot's name never broken."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "qr", "--username", "StaySafeTestBot", "--campaign",
         "desos", "--out", str(tmp_path)], capture_output=True, text=True, timeout=60,
        cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    page = browser.new_page()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.goto((tmp_path / "desos.html").as_uri())
    px_per_mm = 96 / 25.4
    qr = page.locator(".qr svg").bounding_box()
    assert qr["width"] >= 80 * px_per_mm
    assert abs((qr["x"] + qr["width"] / 2) - 794 / 2) < 2  # centred
    sheet = page.locator(".page").bounding_box()
    assert sheet["height"] <= 297 * px_per_mm + 1  # one page
    for locator in (page.locator(".code b").last, page.locator(".code b").first):
        box = locator.bounding_box()
        assert box["height"] < 2 * 20 * 96 / 72  # one line of 20 pt text: not broken
    expect(page.locator("h1")).to_contain_text("Германия")
    expect(page.locator(".numbers")).to_contain_text("112")
    shot = tmp_path / "poster.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # exactly one page
