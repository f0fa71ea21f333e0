"""How complete each language is: every text the screens need, present or missing.

A missing text does not stop the bot (readers see the fallback language with a notice), so a
translator needs the list of what is left, each with a link to the screen it belongs on. What a
screen needs is what the validator compares between languages: a title, its text (and each
country's own text, where any language has one), its questions and items; and the interface
texts every screen uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.model import DEFAULT_VARIANT, Catalog
from bot.engine.runtime import UI_KEYS

# Screens whose body the engine builds itself: they need a title only.
TITLE_ONLY = ("language", "country")


@dataclass(frozen=True)
class TextRef:
    """One text a language needs: ``field`` of ``screen`` (``key`` names a question, item or
    country), or an interface text (``screen`` is None)."""

    screen: str | None
    field: str
    key: str = ""

    @property
    def label(self) -> str:
        if self.screen is None:
            return f"interface text '{self.key}'"
        if self.field == "text" and self.key != DEFAULT_VARIANT:
            return f"text of '{self.screen}' for {self.key}"
        if self.field in ("questions", "items"):
            return f"{self.field[:-1]} '{self.key}' of '{self.screen}'"
        return f"{self.field} of '{self.screen}'"

    @property
    def country(self) -> str | None:
        """The country whose screen shows this text, if only one country's does."""
        return self.key if self.field == "text" and self.key != DEFAULT_VARIANT else None


@dataclass(frozen=True)
class Coverage:
    lang: str
    present: int
    expected: int
    missing: tuple[TextRef, ...]


def expected_texts(catalog: Catalog) -> list[TextRef]:
    refs: list[TextRef] = []
    for node in catalog.nodes.values():
        refs.append(TextRef(node.id, "title"))
        variants = {v for texts in catalog.texts.values() if node.id in texts
                    for v in texts[node.id].text}
        if node.kind not in TITLE_ONLY:
            variants.add(DEFAULT_VARIANT)
        refs.extend(TextRef(node.id, "text", v) for v in sorted(variants, key=_default_first))
        refs.extend(TextRef(node.id, "questions", q.id) for q in node.questions)
        refs.extend(TextRef(node.id, "items", item) for item in node.items)
    keys = (*UI_KEYS, *(f"country_{code}" for code in catalog.settings.other_countries))
    refs.extend(TextRef(None, "ui", key) for key in keys)
    return refs


def has_text(catalog: Catalog, lang: str, ref: TextRef) -> bool:
    if ref.screen is None:
        return ref.key in catalog.ui.get(lang, {})
    texts = catalog.texts.get(lang, {}).get(ref.screen)
    if texts is None:
        return False
    if ref.field == "title":
        return texts.title is not None
    return ref.key in getattr(texts, ref.field)


def coverage(catalog: Catalog) -> list[Coverage]:
    """Per language, in the order of the settings: how many texts it has of those needed."""
    refs = expected_texts(catalog)
    result = []
    for lang in catalog.settings.languages:
        missing = tuple(ref for ref in refs if not has_text(catalog, lang, ref))
        result.append(Coverage(lang, len(refs) - len(missing), len(refs), missing))
    return result


def _default_first(variant: str) -> tuple[bool, str]:
    return variant != DEFAULT_VARIANT, variant
