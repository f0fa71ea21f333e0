"""The frame every studio page shares: tabs, the broken-content banner, style and a tiny script.

Everything is inline (no CDN, no web fonts, no build step), so the studio works offline. The
script does two things only: reload the page when the content changed (it polls /api/version
every second) and copy a phone number when a copy button is pressed.
"""

from __future__ import annotations

import html

from bot.studio.live import Loaded

TABS = (("chat", "Chat"), ("map", "Map"), ("problems", "Problems"), ("facts", "Facts"),
        ("translations", "Translations"))
MAX_BANNER_PROBLEMS = 5

STYLE = """
:root { --accent: #2481cc; --bad: #c62828; --warn: #a86500; --ok: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1c1c1c; background: #f4f5f7; }
nav { display: flex; gap: 4px; padding: 8px 16px 0; background: #fff;
      border-bottom: 1px solid #d9dde3; align-items: flex-end; }
nav .brand { font-weight: 600; margin-right: 16px; padding-bottom: 8px; }
nav a { padding: 8px 14px; text-decoration: none; color: #444; border-radius: 6px 6px 0 0; }
nav a.active { background: #f4f5f7; color: #000; font-weight: 600;
               border: 1px solid #d9dde3; border-bottom-color: #f4f5f7; margin-bottom: -1px; }
nav .count { background: var(--bad); color: #fff; border-radius: 9px; padding: 0 6px;
             font-size: 12px; margin-left: 4px; }
main { padding: 16px; max-width: 1200px; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 20px 0 8px; }
.banner { background: #fdecea; border: 1px solid #f5c2c0; border-radius: 8px; padding: 10px 14px;
          margin-bottom: 14px; }
.banner ul { margin: 6px 0 0; padding-left: 20px; }
.where { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
         border-bottom: 1px solid #e3e6ea; }
th { background: #eef0f3; font-weight: 600; }
.error { color: var(--bad); font-weight: 600; }
.warning, .due-soon { color: var(--warn); font-weight: 600; }
.overdue { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); }
.muted { color: #6b7280; }
.studio { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.phone { width: 430px; background: #c8d9b4; border-radius: 12px; padding: 12px;
         min-height: 420px; display: flex; flex-direction: column; gap: 8px; }
.mine { align-self: flex-end; background: #effdde; border-radius: 12px 12px 4px 12px;
        padding: 6px 10px; max-width: 85%; white-space: pre-wrap; }
.message { max-width: 100%; }
.bubble { background: #fff; border-radius: 12px 12px 12px 4px; padding: 8px 10px;
          white-space: pre-wrap; overflow-wrap: anywhere; }
.bubble a { color: var(--accent); }
.bubble pre, .bubble code { font-family: ui-monospace, Menlo, Consolas, monospace;
                            font-size: 13px; }
.bubble pre { margin: 0; background: #f3f5f7; padding: 6px; border-radius: 4px; }
.bubble blockquote { margin: 2px 0; padding-left: 8px; border-left: 3px solid var(--accent); }
.bubble .spoiler { background: #ccc; color: transparent; border-radius: 3px; }
.bubble .spoiler:hover { color: inherit; background: none; }
.keyboard { margin-top: 4px; display: flex; flex-direction: column; gap: 4px; }
.row { display: flex; gap: 4px; }
.key { flex: 1; text-align: center; background: rgba(0, 0, 0, .22); color: #fff; border: 0;
       border-radius: 8px; padding: 8px 6px; font: inherit; font-size: 14px;
       text-decoration: none; cursor: pointer; }
.key:hover { background: rgba(0, 0, 0, .32); }
.key.copy { background: rgba(36, 90, 140, .55); }
.compose { display: flex; gap: 6px; margin-top: auto; }
.compose input { flex: 1; padding: 8px 10px; border-radius: 18px; border: 1px solid #b9c4ad; }
button, .button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #c4c9d0;
          background: #fff; cursor: pointer; text-decoration: none; color: inherit; }
.panel { flex: 1; min-width: 280px; max-width: 520px; background: #fff; border-radius: 8px;
         padding: 12px 16px; border: 1px solid #e0e3e8; }
.panel form { margin: 0 0 12px; }
.panel label { display: block; font-weight: 600; margin-bottom: 4px; }
.panel select, .panel input[type=text] { font: inherit; padding: 4px 6px; }
.badge { display: inline-block; font-size: 12px; border-radius: 4px; padding: 0 6px;
         background: #e7ebf0; color: #334; }
.track { display: inline-block; width: 120px; height: 10px; background: #e3e6ea;
         border-radius: 5px; overflow: hidden; }
.bar { display: block; height: 10px; background: var(--ok); }
.stale { border: 2px dashed #c4c9d0; border-radius: 8px; padding: 8px 14px; background: #fff; }
"""

SCRIPT = """
(function () {
  var version = document.body.getAttribute("data-version");
  setInterval(function () {
    fetch("/api/version", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (j) { if (String(j.version) !== version) location.reload(); })
      .catch(function () {});
  }, 1000);
  document.addEventListener("click", function (e) {
    var button = e.target.closest("button.copy");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard) navigator.clipboard.writeText(text).catch(function () {});
    button.setAttribute("title", "Copied " + text);
  });
})();
"""


def page(title: str, tab: str, body: str, loaded: Loaded) -> str:
    """A whole page: ``body`` is HTML already escaped by its builder."""
    errors = len(loaded.report.errors) if loaded.report else 0
    links = []
    for name, label in TABS:
        count = (f'<span class="count">{errors}</span>' if name == "problems" and errors
                 else "")
        active = ' class="active"' if name == tab else ""
        links.append(f'<a href="/{name}"{active}>{label}{count}</a>')
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · '
        "Stay Safe studio</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style></head>"
        f'<body data-version="{loaded.version}"><nav><span class="brand">Stay Safe studio</span>'
        f'{"".join(links)}</nav><main>{banner(loaded)}{body}</main>'
        f"<script>{SCRIPT}</script></body></html>"
    )


def banner(loaded: Loaded) -> str:
    """The errors that keep the latest content from the chat, above every page."""
    if not loaded.fatal:
        return ""
    # A file that cannot be read at all first: the other errors often only follow from it.
    first = sorted(loaded.fatal, key=lambda p: p.code != "yaml")[:MAX_BANNER_PROBLEMS]
    items = "".join(f'<li><span class="where">{html.escape(str(p.pos))}</span> '
                    f"{html.escape(p.message)}</li>" for p in first)
    more = len(loaded.fatal) - MAX_BANNER_PROBLEMS
    if more > 0:
        items += f'<li><a href="/problems">{more} more…</a></li>'
    if loaded.engine is not None and loaded.good_at is not None:
        shown = ("The chat shows the last version that worked, loaded at "
                 f"{loaded.good_at:%H:%M:%S}.")
    else:
        shown = "No version of the content has worked yet, so there is nothing to show."
    return (f'<div class="banner" id="broken"><strong class="error">The content has '
            f"{len(loaded.fatal)} error(s); the bot would refuse this version.</strong> "
            f"{shown} Fix the file and save: this page updates by itself.<ul>{items}</ul></div>")
