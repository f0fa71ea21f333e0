"""Each file in fixtures/broken holds one defect; its ``# expect:`` lines are the exact report.

A fixture replaces one file of fixtures/base (named on its ``# replaces:`` line), so its line
numbers are the fixture's own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.checks.validate import validate
from bot.content.html import check_html
from tests.conftest import FIXTURES

TODAY = dt.date(2026, 11, 23)
BROKEN = sorted((FIXTURES / "broken").glob("*.yaml"))


def _header(text: str, key: str) -> list[str]:
    prefix = f"# {key}:"
    return [line[len(prefix):].strip() for line in text.splitlines() if line.startswith(prefix)]


def test_base_content_is_clean(base_copy: Path):
    assert [str(p) for p in validate(base_copy, today=TODAY).problems] == []


@pytest.mark.parametrize("fixture", BROKEN, ids=[f.stem for f in BROKEN])
def test_broken_fixture_reports_exactly_its_defect(fixture: Path, base_copy: Path):
    text = fixture.read_text(encoding="utf-8")
    (target,) = _header(text, "replaces")
    expected = _header(text, "expect")
    assert expected, "a broken fixture must say what it expects"
    (base_copy / target).write_text(text, encoding="utf-8")
    report = validate(base_copy, today=TODAY)
    assert [str(p) for p in report.problems] == expected


def test_a_missing_settings_file_is_named_where_it_should_be(base_copy: Path):
    (base_copy / "flows/settings.yaml").unlink()
    problems = [str(p) for p in validate(base_copy, today=TODAY).problems]
    assert problems[0] == ("flows/settings.yaml:1:1: error: missing settings file (languages, "
                           "countries, start node)")


def test_a_spoiler_is_the_one_span_telegram_takes():
    assert check_html('Tap <span class="tg-spoiler">here</span>') == []
    assert check_html('<span class="note">x</span>') == [
        (0, '<span> is only allowed as <span class="tg-spoiler">')]
