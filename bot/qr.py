"""QR codes and printable sheets for NGOs' posters and leaflets (``stay-safe qr``).

Each sheet carries the code, the link written out, and the short code to type for apps that open
the bot without the link's payload (Telegram Desktop does). segno makes the codes: pure Python,
standard-conformant, PNG and SVG without further dependencies.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path

import segno

from bot.config import USERNAME_RE
from bot.content.model import DEFAULT_VARIANT, Campaign, Catalog
from bot.content.texts import Formatter, country_name

QR_ERROR_LEVEL = "m"  # survives about 15 % damage: a torn or stained poster still scans
PNG_SCALE = 12
BORDER = 4
_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
_LEADING_SYMBOLS = re.compile(r"^[^\w«\"(]+")


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


def sheet_html(catalog: Catalog, campaign: Campaign, username: str, link: str,
               logo: bytes | None = None) -> str:
    """A one-page A4 poster in the campaign's language: the headline names the campaign's
    topic and country, the QR code is large and centred, and the numbers a person needs are
    printed for anyone who cannot scan (the emergency number and the line to call first)."""
    lang = campaign.lang or catalog.settings.languages[0]
    ui = catalog.ui[lang]
    fill = Formatter(catalog.facts).fill
    variables = {"code": f'<b class="nobreak">{html.escape(campaign.code)}</b>',
                 "bot": f'<b class="nobreak">@{html.escape(username.lstrip("@"))}</b>'}
    svg = make_code(link).svg_inline(scale=10, border=BORDER)
    numbers = "".join(
        f'<div class="number"><span>{fill(str(ui[label]), lang)}</span>'
        f'<b class="nobreak">{html.escape(str(fact.value))}</b></div>'
        for label, fact in _printed_numbers(catalog, campaign.country))
    brand = html.escape(campaign.organisation)
    if logo is not None and campaign.logo:
        brand = (f'<img src="data:{_MIME[Path(campaign.logo).suffix.lower()]};base64,'
                 f'{base64.b64encode(logo).decode()}" alt="">{brand}')
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>Stay Safe — {html.escape(campaign.code)}</title>
<style>
  @page {{ size: A4; margin: 0; }}
  * {{ box-sizing: border-box; }}
  html, body {{ margin: 0; }}
  body {{ font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #111; }}
  .page {{ width: 210mm; height: 297mm; padding: 14mm 16mm; display: flex;
           flex-direction: column; align-items: center; justify-content: space-between;
           text-align: center; }}
  .brand {{ display: flex; align-items: center; gap: 5mm; font-size: 14pt; font-weight: 600;
            min-height: 14mm; }}
  .brand img {{ max-height: 18mm; max-width: 60mm; }}
  h1 {{ font-size: 30pt; line-height: 1.15; margin: 0; }}
  .qr svg {{ width: 95mm; height: 95mm; display: block; }}
  .scan {{ font-size: 17pt; margin: 0; }}
  .code {{ font-size: 15pt; margin: 0; }}
  .code b {{ font-size: 20pt; letter-spacing: 0.5pt; }}
  .nobreak {{ white-space: nowrap; }}
  .numbers {{ display: flex; gap: 8mm; justify-content: center; flex-wrap: wrap; }}
  .number {{ border: 0.6mm solid #111; border-radius: 3mm; padding: 3mm 6mm; }}
  .number span {{ display: block; font-size: 12pt; }}
  .number b {{ font-size: 24pt; }}
  .link {{ font-family: "DejaVu Sans Mono", monospace; font-size: 10pt;
           overflow-wrap: anywhere; margin: 0; }}
  .about {{ font-size: 9.5pt; color: #333; margin: 0; max-width: 150mm; }}
</style>
</head>
<body>
<div class="page">
<div class="brand">{brand}</div>
<h1>{_headline(catalog, campaign, lang)}</h1>
<div class="qr">{svg}</div>
<p class="scan">{fill(str(ui["sheet_scan"]), lang)}</p>
<p class="code">{fill(str(ui["sheet_code"]), lang, variables)}</p>
<div class="numbers">{numbers}</div>
<p class="link">{html.escape(link)}</p>
<p class="about">{fill(str(ui["sheet_about"]), lang)}</p>
</div>
</body>
</html>
"""


def _headline(catalog: Catalog, campaign: Campaign, lang: str) -> str:
    """"Телефони допомоги — Литва": the campaign's topic and country in its language; the
    general line when the campaign presets neither."""
    texts = catalog.texts[lang].get(campaign.topic or "")
    topic = _LEADING_SYMBOLS.sub("", str(texts.title)) if texts and texts.title else ""
    country = ""
    if campaign.country in catalog.settings.other_countries:
        country = str(catalog.ui[lang][f"country_{campaign.country}"])
    elif campaign.country:
        country = country_name(campaign.country, lang)
    if not topic:
        headline = Formatter(catalog.facts).fill(str(catalog.ui[lang]["sheet_title"]), lang)
        return f"{headline}<br>{html.escape(country)}" if country else headline
    return html.escape(" — ".join(part for part in (topic, country) if part))


def _printed_numbers(catalog: Catalog, country: str | None):
    """(ui label, fact) for the emergency number and the line to call first there."""
    node = catalog.nodes[catalog.settings.sos]
    ids = node.phones.get(country or DEFAULT_VARIANT, node.phones.get(DEFAULT_VARIANT, ()))
    facts = [catalog.facts[i] for i in ids if i in catalog.facts]
    for label, role in (("sheet_emergency", "emergency"), ("sheet_first_line", "trafficking")):
        fact = next((f for f in facts if f.role == role), None)
        if fact is not None:
            yield label, fact


def campaign_outputs(catalog: Catalog, username: str, folder: Path,
                     only: str | None = None, root: Path | None = None) -> list[Output]:
    """QR code (PNG, SVG) and a printable sheet for every campaign (or one); logos are read
    from ``root``/flows."""
    outputs = []
    for campaign in catalog.campaigns.values():
        if only and campaign.id != only:
            continue
        link = deep_link(username, campaign.id)
        png, svg = write_code(link, folder, campaign.id)
        sheet = folder / f"{campaign.id}.html"
        logo = (root / "flows" / campaign.logo).read_bytes() if root and campaign.logo else None
        sheet.write_text(sheet_html(catalog, campaign, username, link, logo), encoding="utf-8")
        outputs.append(Output(link, png, svg, sheet))
    return outputs
