"""Logs that never carry the bot token, whichever library writes them.

Every Bot API URL holds the token (``/bot<token>/<method>``) and aiohttp's exception texts quote
URLs; aiogram's polling loop logs such errors on its own, and a traceback repeats them. So the
redaction sits on the root logger's handlers, where every record ends up, and rewrites the whole
record before any formatter sees it: the message with its arguments, the formatted traceback
(``exc_text``, which formatters reuse once it is set) and the stack.
"""

from __future__ import annotations

import logging
import re

MASK = "<token>"
# Anything shaped like a bot token (its colon maybe percent-encoded), and whatever follows /bot
# in a URL path: tokens of other bots, or ones a proxy rewrote, are hidden too.
TOKEN_LIKE = re.compile(r"[0-9]{3,20}(?::|%3[Aa])[A-Za-z0-9_-]{30,80}")
BOT_PATH = re.compile(r"/bot[^/\s'\"<>]+(?=/)")
_TRACEBACKS = logging.Formatter()


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
        return True


def token_secrets(token: str) -> tuple[str, ...]:
    """The token, and its secret half (after the colon) on its own."""
    return (token, token.partition(":")[2]) if token else ()


def hide_token(token: str, root: logging.Logger | None = None) -> RedactSecrets:
    """Install the redaction on every handler of the root logger (call after configuring it)."""
    redaction = RedactSecrets(token_secrets(token))
    for handler in (root or logging.getLogger()).handlers:
        handler.addFilter(redaction)
    return redaction
