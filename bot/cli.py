"""``stay-safe``: run the bot, validate content, preview it in the terminal."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from bot.content.validate import validate

PROJECT_DIR = Path(__file__).resolve().parent.parent


def default_root() -> Path:
    """Content lives beside the package in a checkout; ``CONTENT_DIR`` points elsewhere."""
    if os.environ.get("CONTENT_DIR"):
        return Path(os.environ["CONTENT_DIR"])
    if (PROJECT_DIR / "flows").is_dir():
        return PROJECT_DIR
    return Path.cwd()


def cmd_validate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    today = dt.date.fromisoformat(args.today) if args.today else None
    report = validate(Path(args.path), today=today)
    for problem in report.problems:
        print(problem)
    elapsed = time.perf_counter() - started
    status = "FAILED" if report.errors else "OK"
    print(f"{status}: {len(report.errors)} error(s), {len(report.warnings)} warning(s) "
          f"in {args.path} ({elapsed:.2f} s)", file=sys.stderr)
    return 1 if report.errors else 0


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
    import logging

    from bot.config import ConfigError, load_config

    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(default_content=default_root())
    except ConfigError as exc:
        print(f"stay-safe: {exc}", file=sys.stderr)
        return 2
    from bot.telegram.app import StartupError, run_bot

    try:
        asyncio.run(run_bot(config))
    except StartupError as exc:
        print(f"stay-safe: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bot.content.loader import load_catalog
    from bot.content.report import content_report

    catalog, problems = load_catalog(Path(args.root))
    if catalog is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    text = content_report(catalog)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stay-safe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the Telegram bot (long polling); settings from the "
                       "environment: BOT_TOKEN, REDIS_URL, BOT_API_URL, …")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check all content and flows; exit 1 on any error")
    p.add_argument("path", nargs="?", default=str(default_root()),
                   help="folder holding flows/ and content/ (default: the project)")
    p.add_argument("--today", help="check fact ages as of this date (YYYY-MM-DD)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("chat", help="talk to the bot in the terminal (numbers tap buttons)")
    p.add_argument("--lang", choices=None, help="start in this language (uk, ru, en)")
    p.add_argument("--country", help="start in this host country (PL, DE, …)")
    p.add_argument("--root", default=str(default_root()), help="folder holding flows/, content/")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("report", help="content report: coverage per country, words per "
                       "screen, longest message, where each fact comes from (Markdown)")
    p.add_argument("--root", default=str(default_root()), help="folder holding flows/, content/")
    p.add_argument("--output", help="write to this file (docs/content.md) instead of stdout")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
