"""QR codes decode back to the exact link; the SVG draws the same modules; sheets are printable."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.cli import main
from bot.content.loader import load_catalog
from bot.content.texts import country_name
from bot.engine.payload import MAX_PAYLOAD
from bot.qr import BORDER, campaign_outputs, deep_link, make_code
from tests.conftest import PROJECT

CATALOG, _ = load_catalog(PROJECT)
USERNAME = "staysafe_test_bot"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return campaign_outputs(CATALOG, USERNAME, tmp_path_factory.mktemp("qr"))


def svg_modules(path: Path) -> set[tuple[int, int]]:
    """Dark modules drawn by segno's SVG path (horizontal runs: M x y, h n, m dx dy)."""
    root = ET.parse(path).getroot()
    (element,) = [e for e in root.iter() if e.tag.endswith("path")]
    x = y = 0.0
    dark = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s+(-?[\d.]+))?", element.get("d")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(float(a))):
                dark.add((int(y - 0.5) - BORDER, int(x) + i - BORDER))
            x += float(a)
    return dark


def test_every_campaign_gets_a_code_that_decodes_to_its_exact_link(outputs):
    assert {o.link for o in outputs} == {f"https://t.me/{USERNAME}?start={c}"
                                        for c in CATALOG.campaigns}
    for output in outputs:
        (decoded,) = zxingcpp.read_barcodes(Image.open(output.png))
        assert decoded.text == output.link
        assert decoded.format == zxingcpp.BarcodeFormat.QRCode


def test_the_svg_is_well_formed_and_draws_the_same_modules(outputs):
    for output in outputs:
        matrix = make_code(output.link).matrix
        expected = {(r, c) for r, row in enumerate(matrix) for c, v in enumerate(row) if v}
        assert svg_modules(output.svg) == expected


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.stack, self.lang = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag not in ("meta", "br", "path", "rect"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("meta", "br", "path", "rect"):
            return
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data):
        self.text.append(data)


def test_each_sheet_is_in_its_campaigns_language_with_code_link_and_short_code(outputs):
    for output in outputs:
        campaign = CATALOG.campaigns[output.link.rsplit("=", 1)[1]]
        parser = _Collect()
        parser.feed(output.sheet.read_text(encoding="utf-8"))
        assert parser.stack == [] and parser.lang == campaign.lang
        text = " ".join(parser.text)
        assert campaign.code in text and output.link in text and f"@{USERNAME}" in text
        assert str(CATALOG.ui[campaign.lang]["sheet_scan"]) in text
        assert "<svg" in output.sheet.read_text(encoding="utf-8")


def test_every_campaign_link_fits_telegrams_payload_limit():
    for campaign in CATALOG.campaigns.values():
        assert len(campaign.id) <= MAX_PAYLOAD


def test_qr_for_one_payload_and_refusal_of_a_bad_one(tmp_path, capsys):
    assert main(["qr", "--username", USERNAME, "--payload", "ru-DE-helplines",
                 "--out", str(tmp_path)]) == 0
    (decoded,) = zxingcpp.read_barcodes(Image.open(tmp_path / "ru-DE-helplines.png"))
    assert decoded.text == f"https://t.me/{USERNAME}?start=ru-DE-helplines"
    assert main(["qr", "--username", USERNAME, "--payload", "x" * 65,
                 "--out", str(tmp_path)]) == 2
    assert main(["qr", "--username", USERNAME, "--payload", "uk PL",
                 "--out", str(tmp_path)]) == 2
    assert "at most 64 characters" in capsys.readouterr().err


def test_the_poster_headline_names_the_campaigns_topic_and_country(outputs):
    for output in outputs:
        campaign = CATALOG.campaigns[output.link.rsplit("=", 1)[1]]
        text = output.sheet.read_text(encoding="utf-8")
        title = str(CATALOG.texts[campaign.lang][campaign.topic].title).split(" ", 1)[1]
        country = country_name(campaign.country, campaign.lang)
        assert f"<h1>{html.escape(title)} — {country}</h1>" in text, campaign.id


def test_the_poster_prints_the_emergency_number_and_keeps_codes_whole(outputs):
    for output in outputs:
        campaign = CATALOG.campaigns[output.link.rsplit("=", 1)[1]]
        text = output.sheet.read_text(encoding="utf-8")
        emergency = "102" if campaign.country == "UA" else "112"
        assert f'<b class="nobreak">{emergency}</b>' in text
        assert f'<b class="nobreak">{campaign.code}</b>' in text
        assert ".nobreak { white-space: nowrap; }" in text
        size = re.search(r"\.qr svg \{ width: (\d+)mm; height: (\d+)mm", text)
        assert int(size.group(1)) >= 80 and size.group(1) == size.group(2)  # at least 8 cm


def test_an_organisations_logo_is_printed_from_the_campaign(base_copy, tmp_path):
    from PIL import Image

    (base_copy / "flows/logos").mkdir()
    Image.new("RGB", (40, 20), "navy").save(base_copy / "flows/logos/ngo.png")
    (base_copy / "flows/campaigns.yaml").write_text(
        "ngo:\n  organisation: 'La Strada'\n  description: 'x'\n  code: NGO-PL\n"
        "  language: en\n  country: PL\n  topic: helplines\n  logo: logos/ngo.png\n")
    catalog, problems = load_catalog(base_copy)
    assert problems == []
    (output,) = campaign_outputs(catalog, USERNAME, tmp_path, root=base_copy)
    text = output.sheet.read_text(encoding="utf-8")
    assert '<div class="brand"><img src="data:image/png;base64,' in text and "La Strada" in text


@pytest.mark.parametrize(("logo", "message"), [
    ("logos/missing.png", "there is no file flows/logos/missing.png"),
    ("../README.md", "the logo must be a file inside flows/, written like logos/organisation.png"),
    ("settings.yaml", "the logo must be a PNG, JPEG or SVG image"),
])
def test_a_wrong_logo_is_a_clear_error(base_copy, logo, message):
    (base_copy / "flows/campaigns.yaml").write_text(
        "ngo:\n  organisation: 'La Strada'\n  description: 'x'\n  code: NGO-PL\n"
        f"  logo: {logo}\n")
    _, problems = load_catalog(base_copy)
    assert [p.message for p in problems] == [f"campaign 'ngo': {message}"]


@pytest.mark.parametrize("username", ["evil.example/x?a=", "t.me/evil#", "ab", "_staysafe_bot",
                                      "staysafe bot", "staysafe_bot\n"])
def test_a_link_carries_nothing_but_a_telegram_username(username):
    with pytest.raises(ValueError, match="not a Telegram username"):
        deep_link(username, "uk")
    assert deep_link("@StaySafe_bot", "uk") == "https://t.me/StaySafe_bot?start=uk"
