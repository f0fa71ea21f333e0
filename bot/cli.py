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

PROJECT_DIR = Path(__file__).resolve().parent.parent
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

    try:
        config = settings.load_config(default_content=default_root())
    except settings.ConfigError as exc:
        return fail(str(exc))
    from bot.ops.logging import hide_token

    logging.basicConfig(level=config.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hide_token(config.token)
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
    text = content_report(catalog)
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
        outputs = campaign_outputs(catalog, username, out, only=args.campaign)
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

    from bot.stats import RedisCounter, summary, to_csv

    url = settings.value("REDIS_URL")
    if not url:
        return fail("set REDIS_URL: the counts live in Redis")
    try:
        settings.check_redis_url(url)
    except settings.ConfigError as exc:
        return fail(str(exc))

    async def read():
        counter = RedisCounter.from_url(url)
        try:
            return await counter.rows(dt.datetime.now(dt.UTC).date(), args.days, args.campaign)
        finally:
            await counter.close()

    try:
        rows = asyncio.run(read())
    except (RedisError, OSError) as exc:
        return fail(f"cannot read the counts from REDIS_URL ({type(exc).__name__}): "
                    "is Redis running?", 1)
    print(summary(rows, args.days))
    if args.csv:
        try:
            Path(args.csv).write_text(to_csv(rows), encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {args.csv}: {exc.strerror or exc}")
        print(f"{len(rows)} row(s) written to {args.csv}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="stay-safe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the Telegram bot (long polling); settings from the "
                       "environment: BOT_TOKEN, REDIS_URL, BOT_API_URL, …",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="settings (environment variables; empty means the default):\n"
                       + "\n".join(f"  {s.name:24} {s.help}"
                                   + (f" (default {s.default})" if s.default else "")
                                   for s in settings.SETTINGS))
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

    p = sub.add_parser("qr", help="QR codes (PNG, SVG) and printable sheets for campaigns")
    p.add_argument("--payload", help="one code for this payload (e.g. uk-PL-work) instead of "
                   "the campaigns")
    p.add_argument("--campaign", help="only this campaign")
    p.add_argument("--out", default="qr", help="folder to write to (default: qr)")
    p.add_argument("--username", help="the bot's @username (else BOT_USERNAME, else getMe)")
    p.add_argument("--root", default=str(default_root()), help="folder holding flows/, content/")
    p.set_defaults(func=cmd_qr)

    p = sub.add_parser("stats", help="anonymous counts per campaign (from REDIS_URL)")
    p.add_argument("--campaign", help="only this campaign")
    p.add_argument("--days", type=days, default=30, help="how many days back (default 30)")
    p.add_argument("--csv", help="also write day, campaign, event, count rows to this file")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
