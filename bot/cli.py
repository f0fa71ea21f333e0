"""``stay-safe``: run the bot, validate content, preview it in the terminal."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path

from bot import config as settings
from bot.checks.validate import validate
from bot.content.problems import sort_key

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPORT_FILE = "docs/content.md"  # the committed content report
MAX_DAYS = settings.MAX_TTL_DAYS  # counts older than the longest TTL are gone anyway


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, like every other mistake (``--help`` shows the usage)."""
        self.exit(2, f"{self.prog}: {message}\n")


def fail(message: str, status: int = 2) -> int:
    print(f"stay-safe: {message}", file=sys.stderr)
    return status


def default_root() -> Path:
    """Content lives beside the package in a checkout; ``CONTENT_DIR`` points elsewhere."""
    content = settings.value("CONTENT_DIR")
    if content:
        return Path(content)
    if (PROJECT_DIR / "flows").is_dir():
        return PROJECT_DIR
    return Path.cwd()


def add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=str(default_root()),
                        help="folder holding flows/, content/")


def days(text: str) -> int:
    """``--days``: a whole number of days the counters can still hold."""
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of days from 1 to {MAX_DAYS}, got {text[:20]!r}")
    return int(text)


def cmd_validate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    today = dt.date.fromisoformat(args.today) if args.today else None
    report = validate(Path(args.path), today=today)
    problems = [*report.problems, *_stale_report(Path(args.path), report)]
    if args.spelling and report.catalog is not None:
        from bot.checks.spelling import SpellingUnavailable, misspelled

        try:
            typos = misspelled(report.catalog, Path(args.path))
        except SpellingUnavailable as exc:
            print(f"stay-safe: {exc}", file=sys.stderr)
            return 2
        problems = sorted([*problems, *typos], key=sort_key)
        report.problems.extend(typos)
    for problem in problems:
        print(problem)
    elapsed = time.perf_counter() - started
    status = "FAILED" if report.errors else "OK"
    warnings = sum(1 for p in problems if p.severity == "warning")
    print(f"{status}: {len(report.errors)} error(s), {warnings} warning(s) "
          f"in {args.path} ({elapsed:.2f} s)", file=sys.stderr)
    return 1 if report.errors else 0


def _stale_report(root: Path, report) -> list:
    """A committed content report that no longer matches the content: a warning with the
    command to run, never a failure (an editor's change must not fail only because of it)."""
    from bot.checks.report import content_report
    from bot.content.problems import WARNING, Problem
    from bot.content.yamlsafe import Pos

    committed = root / REPORT_FILE
    if report.catalog is None or report.errors or not committed.is_file():
        return []
    if committed.read_text(encoding="utf-8") == content_report(report.catalog, root):
        return []
    return [Problem(Pos(REPORT_FILE, 1, 1), WARNING, "the content report is out of date: run "
                    f"`stay-safe report --output {REPORT_FILE}`")]


def load_engine(root: Path):
    """The engine over ``root``, or None after printing why content cannot be used at all."""
    from bot.publish import load_checked

    engine, fatal, gaps = load_checked(root)
    for problem in fatal:
        print(problem, file=sys.stderr)
    if engine is None and not fatal:
        print(f"{root}: no usable content (flows/settings.yaml missing?)", file=sys.stderr)
    if engine and gaps:
        print(f"note: {len(gaps)} missing translation(s); readers see the fallback language "
              "with a notice (run `stay-safe validate` for the list)", file=sys.stderr)
    return engine


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.preview import ChatPreview, transcript

    engine = load_engine(Path(args.root))
    if engine is None:
        return 1
    country = args.country.upper() if args.country else None
    if not sys.stdin.isatty():
        # Scripted: one line per step, answered as a transcript (the golden tests' format).
        inputs = [line.strip() for line in sys.stdin if line.strip()]
        if not inputs or not inputs[0].startswith("/start"):
            inputs.insert(0, "/start")
        print(transcript(engine, inputs, lang=args.lang, country=country), end="")
        return 0
    chat = ChatPreview(engine, lang=args.lang, country=country)
    print("Stay Safe preview. Type a number to tap a button, /start, /sos, /menu, or any "
          "text. Ctrl-D to quit.\n")
    print(chat.send("/start"))
    while True:
        try:
            line = input("\n> ")
        except EOFError:
            print()
            return 0
        if line.strip():
            print(chat.send(line))


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    try:
        config = settings.load_config(default_content=default_root())
    except settings.ConfigError as exc:
        return fail(str(exc))
    from bot.ops.logging import setup, token_secrets

    setup(config.log_level, config.log_format,
          (*token_secrets(config.token), config.webhook_secret))
    from bot.telegram.app import StartupError, run_bot

    try:
        asyncio.run(run_bot(config))
    except StartupError as exc:
        return fail(str(exc), 1)
    except KeyboardInterrupt:
        pass
    return 0


def _catalog(root: Path):
    """The catalog under ``root``, or None after printing why it cannot be read."""
    from bot.content.loader import load_catalog

    catalog, problems = load_catalog(root)
    if catalog is None:
        for problem in problems:
            print(problem, file=sys.stderr)
    return catalog


def cmd_report(args: argparse.Namespace) -> int:
    from bot.checks.report import content_report

    catalog = _catalog(Path(args.root))
    if catalog is None:
        return 1
    text = content_report(catalog, Path(args.root))
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    else:
        print(text, end="")
    return 0


def _bot_username(args: argparse.Namespace) -> str:
    """--username, else BOT_USERNAME, else ask Telegram (getMe) with BOT_TOKEN.

    Checked whichever way it comes: it goes into every link and QR code.
    """
    if args.username:
        return settings.check_username(args.username, "--username")
    if settings.value("BOT_USERNAME"):
        return settings.check_username(settings.value("BOT_USERNAME"))
    if not settings.value("BOT_TOKEN"):
        raise settings.ConfigError("give --username, or set BOT_USERNAME, or BOT_TOKEN to "
                                   "ask Telegram")
    import asyncio

    from bot.telegram.app import StartupError, ask_username

    config = settings.load_config(default_content=Path(args.root))
    try:
        username = asyncio.run(ask_username(config))
    except StartupError as exc:
        raise settings.ConfigError(f"{exc}: give --username") from None
    return settings.check_username(username, "the username Telegram gave")


def cmd_qr(args: argparse.Namespace) -> int:
    from bot.engine.payload import MAX_PAYLOAD, PART_RE
    from bot.qr import campaign_outputs, deep_link, write_code

    payload = args.payload
    if payload is not None and (len(payload) > MAX_PAYLOAD or not all(
            PART_RE.fullmatch(p) for p in payload.split("-"))):
        return fail(f"a payload is at most {MAX_PAYLOAD} characters of A-Z, a-z, 0-9, _ and -")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return fail(f"--out {str(out)!r} is a file, not a folder")
    try:
        username = _bot_username(args)
    except settings.ConfigError as exc:
        return fail(str(exc))
    try:
        if payload is not None:
            link = deep_link(username, payload)
            png, svg = write_code(link, out, payload)
            print(f"{link}\n  {png}\n  {svg}")
            return 0
        catalog = _catalog(Path(args.root))
        if catalog is None:
            return 1
        outputs = campaign_outputs(catalog, username, out, only=args.campaign,
                                   root=Path(args.root))
    except OSError as exc:
        return fail(f"cannot write to --out {str(out)!r}: {exc.strerror or exc}")
    if not outputs:
        return fail(f"no campaign {args.campaign!r} in flows/campaigns.yaml" if args.campaign
                    else "flows/campaigns.yaml has no campaigns", 1)
    for item in outputs:
        print(f"{item.link}\n  {item.png}\n  {item.svg}\n  {item.sheet}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    import asyncio

    from redis.exceptions import RedisError

    from bot.stats import (
        HANDOFF_PREFIX,
        KEY_PREFIX,
        RedisCounter,
        handoff_summary,
        summary,
        to_csv,
    )

    url = settings.value("REDIS_URL")
    if not url:
        return fail("set REDIS_URL: the counts live in Redis")
    try:
        settings.check_redis_url(url)
    except settings.ConfigError as exc:
        return fail(str(exc))

    async def read(prefix: str, campaign: str | None):
        counter = RedisCounter.from_url(url, prefix=prefix)
        try:
            return await counter.rows(dt.datetime.now(dt.UTC).date(), args.days, campaign)
        finally:
            await counter.close()

    async def both():
        return (await read(KEY_PREFIX, args.campaign),
                None if args.campaign else await read(HANDOFF_PREFIX, None))

    try:
        rows, conversations = asyncio.run(both())
    except (RedisError, OSError) as exc:
        return fail(f"cannot read the counts from REDIS_URL ({type(exc).__name__}): "
                    "is Redis running?", 1)
    print(summary(rows, args.days))
    if conversations:  # talking to a person, only where an organisation has had some
        print(f"\n{handoff_summary(conversations, args.days)}")
    if args.csv:
        try:
            Path(args.csv).write_text(to_csv(rows), encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {args.csv}: {exc.strerror or exc}")
        print(f"{len(rows)} row(s) written to {args.csv}")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    import asyncio

    from bot.studio.server import StudioError, serve

    def ready(url: str) -> None:
        print(f"Stay Safe studio: open {url} in your browser (Ctrl-C to stop)", flush=True)

    username = (args.username or settings.value("BOT_USERNAME") or "").lstrip("@") or None
    try:
        asyncio.run(serve(Path(args.root), args.host, args.port, username, ready))
    except StudioError as exc:
        print(f"stay-safe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from bot.studio.graph import build_graph, to_mermaid

    catalog = _catalog(Path(args.root))
    if catalog is None:
        return 1
    if args.lang and args.lang not in catalog.settings.languages:
        print(f"stay-safe: --lang must be one of {', '.join(catalog.settings.languages)}",
              file=sys.stderr)
        return 2
    text = to_mermaid(build_graph(catalog, args.lang))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


def _loaded(root: Path):
    """The catalog under ``root`` when it has no error that stops its use, else None (the
    errors are printed)."""
    from bot.content.loader import load_catalog
    from bot.content.problems import blocking

    catalog, problems = load_catalog(root)
    fatal = blocking(problems) if catalog is not None else problems
    for problem in fatal:
        print(problem, file=sys.stderr)
    if fatal:
        print("stay-safe: fix these first (stay-safe validate lists every problem)",
              file=sys.stderr)
        return None
    return catalog


def cmd_po_export(args: argparse.Namespace) -> int:
    from bot.checks.po import export_files
    from bot.checks.translations import target_languages

    catalog = _loaded(Path(args.root))
    if catalog is None:
        return 1
    unknown = [lang for lang in args.langs if lang not in target_languages(catalog)]
    if unknown:
        print(f"stay-safe: {', '.join(unknown)}: translated languages are "
              f"{', '.join(target_languages(catalog))}", file=sys.stderr)
        return 2
    for item in export_files(catalog, Path(args.root), Path(args.out), tuple(args.langs)):
        print(f"{item.path}: {item.texts} texts, {item.stale} stale (fuzzy), "
              f"{item.untranslated} untranslated")
    return 0


def cmd_po_import(args: argparse.Namespace) -> int:
    from bot.checks.po import import_files

    given = Path(args.dir)
    paths = sorted(given.glob("*.po")) if given.is_dir() else [given]
    if not paths or not all(path.is_file() for path in paths):
        print(f"stay-safe: no .po files in {given}", file=sys.stderr)
        return 2
    result = import_files(Path(args.root), paths)
    for line in result.problems:
        print(line)
    for line in result.warnings:
        print(line)
    if result.problems:
        print(f"stay-safe: nothing imported: {len(result.problems)} problem(s)", file=sys.stderr)
        return 1
    for line in result.summary:
        print(line, file=sys.stderr)
    for path in result.written:
        print(f"  wrote {path}", file=sys.stderr)
    return 0


def cmd_po_accept(args: argparse.Namespace) -> int:
    from bot.checks.translations import accept, entries, target_languages

    catalog = _loaded(Path(args.root))
    if catalog is None:
        return 1
    langs = (args.lang,) if args.lang else target_languages(catalog)
    if args.lang and args.lang not in target_languages(catalog):
        print(f"stay-safe: {args.lang}: translated languages are "
              f"{', '.join(target_languages(catalog))}", file=sys.stderr)
        return 2
    known = entries(catalog, catalog.settings.source_language)
    unknown = [key for key in args.keys if key not in known]
    if unknown:
        print(f"stay-safe: no such text: {', '.join(unknown)} (keys look like work.title, "
              "work_wage.text.PL, ui.back)", file=sys.stderr)
        return 2
    counts = accept(catalog, Path(args.root), langs, args.keys or None)
    for lang, count in counts.items():
        print(f"{lang}: {count} translation(s) recorded as following the current "
              f"{catalog.settings.source_language} text")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="stay-safe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the Telegram bot (long polling, or a webhook with "
                       "WEBHOOK_URL); settings from the "
                       "environment: BOT_TOKEN, REDIS_URL, BOT_API_URL, …",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="settings (environment variables; empty means the default):\n"
                       + "\n".join(f"  {s.name:26} {s.help}"
                                   + (f" (default {s.default})" if s.default else "")
                                   for s in settings.SETTINGS))
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check all content and flows; exit 1 on any error")
    p.add_argument("path", nargs="?", default=str(default_root()),
                   help="folder holding flows/ and content/ (default: the project)")
    p.add_argument("--today", help="check fact ages as of this date (YYYY-MM-DD)")
    p.add_argument("--spelling", action="store_true", help="also check the spelling of every "
                   "text with Hunspell dictionaries (uk, ru, en)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("chat", help="talk to the bot in the terminal (numbers tap buttons)")
    p.add_argument("--lang", choices=None, help="start in this language (uk, ru, en)")
    p.add_argument("--country", help="start in this host country (PL, DE, …)")
    add_root(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("report", help="content report: coverage per country, words per "
                       "screen, longest message, where each fact comes from (Markdown)")
    add_root(p)
    p.add_argument("--output", help="write to this file (docs/content.md) instead of stdout")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("qr", help="QR codes (PNG, SVG) and printable sheets for campaigns")
    p.add_argument("--payload", help="one code for this payload (e.g. uk-PL-work) instead of "
                   "the campaigns")
    p.add_argument("--campaign", help="only this campaign")
    p.add_argument("--out", default="qr", help="folder to write to (default: qr)")
    p.add_argument("--username", help="the bot's @username (else BOT_USERNAME, else getMe)")
    add_root(p)
    p.set_defaults(func=cmd_qr)

    p = sub.add_parser("stats", help="anonymous counts per campaign (from REDIS_URL)")
    p.add_argument("--campaign", help="only this campaign")
    p.add_argument("--days", type=days, default=30, help="how many days back (default 30)")
    p.add_argument("--csv", help="also write day, campaign, event, count rows to this file")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("preview", help="the editors' studio in the browser: chat, map, "
                       "problems, facts, translations; updates as files are saved")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1: this computer only)")
    add_root(p)
    p.add_argument("--username", help="the bot's @username, shown where texts name the bot "
                   "(else BOT_USERNAME; else @…)")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("graph", help="the flow as a Mermaid flowchart: every screen, button "
                       "and quiz result")
    add_root(p)
    p.add_argument("--output", help="write to this file instead of stdout")
    p.add_argument("--lang", help="titles in this language (default: the first in "
                   "flows/settings.yaml)")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("po", help="translators' files (gettext PO): export, import, accept")
    po = p.add_subparsers(dest="po_command", required=True)
    p = po.add_parser("export", help="one .po file per translated language, with the source "
                      "texts, the translations so far and notes for the translator")
    p.add_argument("langs", nargs="*", help="only these languages (default: all but the source)")
    p.add_argument("--out", default="po", help="folder to write to (default: po)")
    add_root(p)
    p.set_defaults(func=cmd_po_export)
    p = po.add_parser("import", help="write translated .po files back into content/<lang>/; "
                      "nothing is written if any translation has a problem")
    p.add_argument("dir", help="a folder of .po files, or one .po file")
    add_root(p)
    p.set_defaults(func=cmd_po_import)
    p = po.add_parser("accept", help="record that translations follow the current source "
                      "texts (after translating in YAML, or to clear stale warnings)")
    p.add_argument("lang", nargs="?", help="only this language (default: all but the source)")
    p.add_argument("keys", nargs="*", help="only these texts, like work.title or ui.back")
    add_root(p)
    p.set_defaults(func=cmd_po_accept)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
