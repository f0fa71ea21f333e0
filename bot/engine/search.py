"""Free-text matching that forgives how people really type under stress.

People mix Ukrainian and Russian, type Cyrillic words in Latin letters ("robota", "pomogite"),
drop endings and make typos. Every word is reduced to a Latin "skeleton" (one spelling for
г/h/g, и/і/ы/y, я/ia/ya, …) and matched against the skeletons of every keyword of every
language, by prefix, so "роботу", "работа", "robotu" all reach the same topic.
"""

from __future__ import annotations

import re
from collections import defaultdict

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "e", "ё": "e",
    "ж": "z", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h",
    "ц": "c", "ч": "c", "ш": "s", "щ": "s", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "u",
    "я": "a", "'": "", "’": "", "ʼ": "",
}
# Latin spellings of Cyrillic sounds, longest first, folded to the same skeleton letters.
_LATIN = (
    ("shch", "s"), ("sch", "s"), ("kh", "h"), ("zh", "z"), ("ts", "c"), ("tch", "c"),
    ("ch", "c"), ("sh", "s"), ("ya", "a"), ("ia", "a"), ("yu", "u"), ("iu", "u"), ("ye", "e"),
    ("ie", "e"), ("yi", "i"), ("j", "i"), ("y", "i"), ("w", "v"), ("q", "k"), ("x", "ks"),
    ("g", "h"),
)
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*", re.UNICODE)
MIN_STEM = 4


def skeleton(word: str) -> str:
    """One spelling for a word however it was typed (Cyrillic or Latin, uk or ru)."""
    word = word.lower()
    word = "".join(_CYRILLIC.get(ch, ch) for ch in word)
    for latin, folded in _LATIN:
        word = word.replace(latin, folded)
    out = []
    for ch in word:
        if ch.isascii() and ch.isalpha() and (not out or out[-1] != ch):
            out.append(ch)
    return "".join(out)


def words(text: str) -> list[str]:
    return [s for s in (skeleton(w) for w in _WORD.findall(text)) if s]


def _stem(word: str) -> str:
    """Short words must match whole; longer ones by their beginning (endings change)."""
    if len(word) <= MIN_STEM:
        return word
    return word[: max(MIN_STEM, len(word) - 2)]


class KeywordIndex:
    """Keyword stems → topics; a phrase keyword matches when all its words are present."""

    def __init__(self) -> None:
        self._single: dict[str, set[str]] = defaultdict(set)
        # Phrases are filed under their first stem, so only those whose first word was typed
        # are checked word by word.
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)

    def add(self, keyword: str, topic: str) -> None:
        stems = tuple(_stem(w) for w in words(keyword))
        if len(stems) == 1:
            self._single[stems[0]].add(topic)
        elif stems:
            self._phrases[stems[0]].append((stems, topic))

    @staticmethod
    def _matches(word: str, stem: str) -> bool:
        return word.startswith(stem) if len(stem) >= MIN_STEM else word == stem

    def search(self, text: str, limit: int = 3) -> list[str]:
        """Best topics first (most keywords matched), at most ``limit``."""
        typed = words(text)
        scores: dict[str, int] = defaultdict(int)
        phrases = []
        for word in typed:
            hit: set[str] = set()
            for length in range(min(len(word), MIN_STEM), len(word) + 1):
                if length < MIN_STEM and length != len(word):
                    continue
                prefix = word[:length]
                hit |= self._single.get(prefix, set())
                phrases.extend(self._phrases.get(prefix, ()))
            for topic in hit:
                scores[topic] += 1
        for stems, topic in set(phrases):
            if all(any(self._matches(w, s) for w in typed) for s in stems[1:]):
                scores[topic] += len(stems)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [topic for topic, _ in ranked[:limit]]
