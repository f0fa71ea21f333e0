"""Logs that never carry the bot token, whichever library writes them; as text or JSON lines.

Every Bot API URL holds the token (``/bot<token>/<method>``) and aiohttp's exception texts quote
URLs; aiogram's polling loop logs such errors on its own, and a traceback repeats them. So the
redaction sits on the root logger's handlers, where every record ends up, and rewrites the whole
record before any formatter sees it: the message with its arguments, the formatted traceback
(``exc_text``, which formatters reuse once it is set), the stack, and every structured field
passed with ``extra=`` (the JSON format prints them).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

MASK = "<token>"
# Anything shaped like a bot token (its colon maybe percent-encoded), and whatever follows /bot
# in a URL path: tokens of other bots, or ones a proxy rewrote, are hidden too.
TOKEN_LIKE = re.compile(r"[0-9]{3,20}(?::|%3[Aa])[A-Za-z0-9_-]{30,80}")
BOT_PATH = re.compile(r"/bot[^/\s'\"<>]+(?=/)")
_TRACEBACKS = logging.Formatter()
# What every LogRecord has; anything else on a record came with ``extra=``.
STANDARD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return BOT_PATH.sub(f"/bot{MASK}", TOKEN_LIKE.sub(MASK, text))


class RedactSecrets(logging.Filter):
    """Rewrites each record so that no secret (nor anything token-like) is left in it."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        # Longest first: the whole token before its secret half.
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what can be kept, never raise from a filter
            message = f"{record.msg!s} (arguments could not be formatted)"
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        for name in extra_fields(record):
            field = getattr(record, name)
            if not isinstance(field, int | float | bool | type(None)):
                setattr(record, name, redact(str(field), self.secrets))
        return True


def extra_fields(record: logging.LogRecord) -> list[str]:
    """The names of the fields a call passed with ``extra=``."""
    return [name for name in vars(record) if name not in STANDARD_FIELDS]


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the ``extra=``
    fields (such as an update's kind and duration), and the traceback if there is one.

    Nothing personal is added here: a record holds what its call put in it, and the bot's own
    calls never pass a user id, name or message text.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in extra_fields(record):
            entry.setdefault(name, getattr(record, name))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup(level: str, fmt: str, secrets: tuple[str, ...] = ()) -> RedactSecrets:
    """Log to stderr at ``level`` as ``fmt`` (text or json), with every secret redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # aiogram logs a line per update at INFO; ours (bot/telegram/updates.py) says more.
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    redaction = RedactSecrets(secrets)
    handler.addFilter(redaction)
    return redaction


def token_secrets(token: str) -> tuple[str, ...]:
    """The token, and its secret half (after the colon) on its own."""
    return (token, token.partition(":")[2]) if token else ()


def hide_token(token: str, root: logging.Logger | None = None,
               others: tuple[str, ...] = ()) -> RedactSecrets:
    """Install the redaction on every handler of the root logger (call after configuring it);
    ``others`` are further secrets (the webhook's)."""
    redaction = RedactSecrets((*token_secrets(token), *others))
    for handler in (root or logging.getLogger()).handlers:
        handler.addFilter(redaction)
    return redaction
