"""QR codes and printable sheets for NGOs' posters and leaflets (``stay-safe qr``).

Each sheet carries the code, the link written out, and the short code to type for apps that open
the bot without the link's payload (Telegram Desktop does). segno makes the codes: pure Python,
standard-conformant, PNG and SVG without further dependencies.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import segno

from bot.config import USERNAME_RE
from bot.content.model import Campaign, Catalog
from bot.content.texts import Formatter

QR_ERROR_LEVEL = "m"  # survives about 15 % damage: a torn or stained poster still scans
PNG_SCALE = 12
BORDER = 4


@dataclass(frozen=True)
class Output:
    link: str
    png: Path
    svg: Path
    sheet: Path | None = None


def deep_link(username: str, payload: str) -> str:
    """The link a code opens; a username that is not one could smuggle another URL in."""
    name = username.removeprefix("@")
    if not USERNAME_RE.fullmatch(name):
        raise ValueError(f"not a Telegram username: {username!r}")
    return f"https://t.me/{name}?start={payload}"


def make_code(link: str) -> segno.QRCode:
    return segno.make(link, error=QR_ERROR_LEVEL, micro=False)


def write_code(link: str, folder: Path, name: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    code = make_code(link)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    code.save(png, scale=PNG_SCALE, border=BORDER)
    code.save(svg, scale=1, border=BORDER, xmldecl=True, svgclass=None, lineclass=None)
    return png, svg


def sheet_html(catalog: Catalog, campaign: Campaign, username: str, link: str) -> str:
    """A one-page A4 sheet in the campaign's language."""
    lang = campaign.lang or catalog.settings.languages[0]
    ui = catalog.ui[lang]
    fill = Formatter(catalog.facts).fill
    variables = {"code": f"<b>{html.escape(campaign.code)}</b>",
                 "bot": f"<b>@{html.escape(username.lstrip('@'))}</b>"}
    svg = make_code(link).svg_inline(scale=10, border=BORDER)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>Stay Safe — {html.escape(campaign.code)}</title>
<style>
  @page {{ size: A4; margin: 18mm; }}
  body {{ font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; text-align: center;
         color: #111; }}
  h1 {{ font-size: 26pt; margin: 0 0 8mm; }}
  .qr svg {{ width: 110mm; height: 110mm; }}
  .scan {{ font-size: 18pt; margin: 6mm 0; }}
  .code {{ font-size: 16pt; margin: 6mm 0; }}
  .code b {{ font-size: 22pt; letter-spacing: 1pt; }}
  .link {{ font-family: monospace; font-size: 11pt; word-break: break-all; }}
  .about {{ font-size: 10pt; color: #444; margin-top: 10mm; }}
</style>
</head>
<body>
<h1>{fill(str(ui["sheet_title"]), lang)}</h1>
<div class="qr">{svg}</div>
<p class="scan">{fill(str(ui["sheet_scan"]), lang)}</p>
<p class="code">{fill(str(ui["sheet_code"]), lang, variables)}</p>
<p class="link">{html.escape(link)}</p>
<p class="about">{fill(str(ui["sheet_about"]), lang)}<br>{html.escape(campaign.organisation)}</p>
</body>
</html>
"""


def campaign_outputs(catalog: Catalog, username: str, folder: Path,
                     only: str | None = None) -> list[Output]:
    """QR code (PNG, SVG) and a printable sheet for every campaign (or one)."""
    outputs = []
    for campaign in catalog.campaigns.values():
        if only and campaign.id != only:
            continue
        link = deep_link(username, campaign.id)
        png, svg = write_code(link, folder, campaign.id)
        sheet = folder / f"{campaign.id}.html"
        sheet.write_text(sheet_html(catalog, campaign, username, link), encoding="utf-8")
        outputs.append(Output(link, png, svg, sheet))
    return outputs
