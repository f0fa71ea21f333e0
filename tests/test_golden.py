"""Golden conversations: scripted inputs replayed through the engine, compared word for word.

To record them again after a deliberate content change: ``python -m tests.golden_transcripts
--update`` (then read the diff). This test only compares.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.html import to_plain
from tests.golden_transcripts import GOLDEN, replay

FILES = sorted(GOLDEN.glob("*.txt"))


@pytest.mark.parametrize("golden", FILES, ids=[g.stem for g in FILES])
def test_conversation_matches_its_golden_transcript(golden: Path, shipped_engine):
    text = golden.read_text(encoding="utf-8")
    assert replay(shipped_engine, text) == text


def test_golden_transcripts_cover_every_language_in_its_own_words(shipped_engine):
    """Judged by what the transcripts say, not by their file names: each language's main menu
    and helplines titles must appear in some transcript."""
    catalog = shipped_engine.catalog
    everything = "\n".join(path.read_text(encoding="utf-8") for path in FILES)
    for lang in catalog.settings.languages:
        for node in (catalog.settings.start, catalog.settings.sos):
            assert to_plain(str(catalog.texts[lang][node].title)) in everything, (lang, node)
