"""Golden conversations: scripted inputs replayed through the engine, compared word for word.

Each file in tests/golden is a transcript as ``stay-safe chat`` prints it (``> input`` lines,
then the bot's answer). The first line may hold options: ``# lang: uk country: PL``.
After a deliberate content change, regenerate with ``UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.preview import transcript

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.txt"))


def _inputs(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("> ")]


def _options(text: str) -> dict[str, str]:
    first = text.splitlines()[0]
    if not first.startswith("# "):
        return {}
    words = first[2:].replace(":", "").split()
    return dict(zip(words[::2], words[1::2], strict=True))


@pytest.mark.parametrize("golden", GOLDEN, ids=[g.stem for g in GOLDEN])
def test_conversation_matches_its_golden_transcript(golden: Path, shipped_engine):
    text = golden.read_text(encoding="utf-8")
    options = _options(text)
    header = text.splitlines()[0] + "\n" if options else ""
    actual = header + transcript(shipped_engine, _inputs(text), lang=options.get("lang"),
                                 country=options.get("country"))
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
        text = actual
    assert actual == text


def test_golden_transcripts_cover_all_three_languages():
    langs = set()
    for golden in GOLDEN:
        langs.add(golden.stem.split("_")[0])
    assert {"uk", "ru", "en"} <= langs
