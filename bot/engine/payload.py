"""Deep-link payloads and short codes: how a printed QR code presets a conversation.

Grammar (docs/qr-codes.md): parts joined by "-", in any order, each one of
  a language (``uk``), a host country (``PL``), a campaign id (``lastrada1``), a topic (a screen
  id, ``work``). A campaign brings its own defaults; parts written out win over them.
Telegram allows ``A-Za-z0-9_-`` and 64 characters. A part that is not understood is ignored and
the rest still applies; a payload over 64 characters is ignored whole (Telegram never sends one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.content.model import Catalog

MAX_PAYLOAD = 64
PART_RE = re.compile(r"[A-Za-z0-9_]{1,64}")  # use with fullmatch: "$" would let "\n" in


@dataclass(frozen=True)
class Preset:
    lang: str | None = None
    country: str | None = None
    topic: str | None = None
    campaign: str | None = None


def parse_payload(payload: str, catalog: Catalog) -> Preset:
    if not payload or len(payload) > MAX_PAYLOAD:
        return Preset()
    settings = catalog.settings
    found: dict[str, str] = {}
    for part in payload.split("-"):
        if not PART_RE.fullmatch(part):
            continue
        if part in settings.languages:
            found.setdefault("lang", part)
        elif part.upper() in settings.countries and len(part) == 2:
            found.setdefault("country", part.upper())
        elif part in catalog.campaigns:
            found.setdefault("campaign", part)
        elif part in catalog.nodes:
            found.setdefault("topic", part)
    campaign = catalog.campaigns.get(found.get("campaign", ""))
    if campaign:
        found.setdefault("lang", campaign.lang or "")
        found.setdefault("country", campaign.country or "")
        found.setdefault("topic", campaign.topic or "")
    return Preset(lang=found.get("lang") or None, country=found.get("country") or None,
                  topic=found.get("topic") or None, campaign=found.get("campaign"))


def normalise_code(text: str) -> str:
    """'pl work', 'PL_WORK', 'pl–work' → 'PL-WORK' (how people retype a code from a poster)."""
    return re.sub(r"[\s_‐-―-]+", "-", text.strip().upper()).strip("-")


