"""Settings from the environment, checked once at start-up with one clear line per mistake.

``SETTINGS`` names every variable the bot reads, with its default and a line of help: the
code reads variables only through ``value``, and ``stay-safe run --help``, the README,
``.env.example`` and docker-compose.yml are checked against it. An empty variable means its
default, so a deployment can pass every variable through, set or not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # what an unset or empty variable means
    help: str


SETTINGS = (
    Setting("BOT_TOKEN", "", "the bot's token from @BotFather (required; never logged)"),
    Setting("REDIS_URL", "", "redis://host:6379/0 keeps sessions and campaign counts "
            "(empty: in memory, lost on restart)"),
    Setting("BOT_API_URL", "", "base URL of a Bot API server (empty: Telegram's own)"),
    Setting("SESSION_TTL_DAYS", "30", "days without use after which a session is forgotten"),
    Setting("CONTENT_DIR", "", "folder holding flows/ and content/ (empty: the project)"),
    Setting("CONTENT_RELOAD_SECONDS", "5", "seconds between checks for edited content "
            "(0: off)"),
    Setting("ADMIN_IDS", "", "Telegram user ids allowed to use /stats, comma-separated"),
    Setting("STATS_TTL_DAYS", "400", "days after which campaign counters expire"),
    Setting("BOT_USERNAME", "", "the bot's @username, for `stay-safe qr` (empty: ask "
            "Telegram with BOT_TOKEN)"),
    Setting("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Setting("HANDOFF_CHAT_ID", "", "the counsellors' supergroup (topics on, the bot an admin "
            "that may manage topics), like -1001234567890; empty: no \"talk to a person\" "
            "(docs/handoff.md)"),
    Setting("HANDOFF_TTL_DAYS", "7", "days after the last message at which the link between a "
            "person and their counsellors' topic is erased"),
    Setting("LOG_FORMAT", "text", "text, or json: one JSON object a line"),
    Setting("WEBHOOK_URL", "", "the public https:// address Telegram sends updates to; its "
            "path is the path served (empty: long polling)"),
    Setting("WEBHOOK_SECRET", "", "1-256 letters, digits, _ or -, sent back by Telegram with "
            "every update (required with WEBHOOK_URL; never logged)"),
    Setting("WEBHOOK_MAX_CONNECTIONS", "40", "connections Telegram may open to the webhook at "
            "once (1 to 100)"),
    Setting("HOST", "0.0.0.0", "address the webhook, /healthz, /readyz and /metrics listen on"),
    Setting("PORT", "", "their port (empty: 8080 with a webhook; when polling, they are served "
            "only if PORT is set)"),
    Setting("CONVERSATION_LOCK_SECONDS", "10", "how long a replica that died can keep a "
            "conversation waiting (renewed while it works; 1 to 60)"),
    Setting("SHUTDOWN_SECONDS", "20", "on SIGTERM, how long updates in flight may take to "
            "finish (0 to 600)"),
)
_BY_NAME = {s.name: s for s in SETTINGS}

TOKEN_RE = re.compile(r"[0-9]{3,20}:[A-Za-z0-9_-]{30,80}")
# Telegram usernames: 5-32 letters, digits and underscores, starting with a letter.
USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
# http(s)://[user@]host[:port][/path]: no query, fragment, spaces or braces (aiogram formats
# the URL as a template), since the Bot API path is appended to it.
API_URL_RE = re.compile(
    r"(?i:https?)://(?:[^\s/?#@{}]+@)?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?:/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*")
ADMIN_ID_RE = re.compile(r"[0-9]{1,20}")  # ASCII digits only: str.isdigit() accepts "²"
NUMBER_RE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")  # no inf, nan, 1e999 or 1_000
# A supergroup's id: -100 and then the group's own number (a basic group's id lacks the -100).
SUPERGROUP_ID_RE = re.compile(r"-100[0-9]{1,15}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a secret_token
# https://host[:port][/path]: no user, query or fragment (Telegram posts to exactly this URL).
WEBHOOK_URL_RE = re.compile(
    r"(?i:https)://"
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*)")
TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)  # the only ports Telegram's own servers post to
OPS_PATHS = ("/healthz", "/readyz", "/metrics")
DEFAULT_WEBHOOK_PORT = 8080
MAX_TTL_DAYS = 3650
MAX_RELOAD_SECONDS = 86400
MAX_HANDOFF_TTL_DAYS = 365


class ConfigError(Exception):
    """A setting that stops start-up; the message is meant for the person starting the bot."""


@dataclass(frozen=True)
class Config:
    token: str
    api_url: str | None
    redis_url: str | None
    session_ttl_seconds: int
    content_dir: Path
    reload_seconds: float
    admin_ids: frozenset[int] = frozenset()
    stats_ttl_days: int = 400
    bot_username: str | None = None
    log_level: str = "INFO"
    handoff_chat_id: int | None = None
    handoff_ttl_seconds: int = 7 * 86400
    log_format: str = "text"
    webhook_url: str | None = None  # None: long polling
    webhook_secret: str = ""
    max_connections: int = 40
    host: str = "0.0.0.0"
    port: int | None = None  # None: no HTTP server (polling without PORT)
    lock_seconds: float = 10.0
    shutdown_seconds: float = 20.0

    @property
    def webhook_path(self) -> str:
        """The path the webhook is served on: WEBHOOK_URL's own."""
        match = WEBHOOK_URL_RE.fullmatch(self.webhook_url or "")
        return (match["path"] if match else "") or "/"

    def __repr__(self) -> str:  # the token and the webhook secret are secrets: never print them
        return (f"Config(api_url={_redact(self.api_url)!r}, "
                f"redis_url={_redact(self.redis_url)!r}, "
                f"session_ttl_seconds={self.session_ttl_seconds}, "
                f"content_dir={str(self.content_dir)!r}, reload_seconds={self.reload_seconds}, "
                f"webhook_url={self.webhook_url!r}, port={self.port})")


def _redact(url: str | None) -> str | None:
    return re.sub(r"//[^@/]*@", "//***@", url) if url else url


def value(name: str, env: Mapping[str, str] | None = None) -> str:
    """The variable ``name`` (one of SETTINGS) from ``env`` (default: the process's
    environment), stripped; its default when unset or empty."""
    setting = _BY_NAME[name]
    return (os.environ if env is None else env).get(name, "").strip() or setting.default


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def _number(env: Mapping[str, str], name: str, low: float, high: float,
            whole: bool = False) -> float:
    """A plain decimal number (no inf, nan or exponent) from ``low`` to ``high``."""
    raw = value(name, env)
    kind = "a whole number" if whole else "a number"
    if (not (re.fullmatch(r"[0-9]{1,9}", raw) if whole else NUMBER_RE.fullmatch(raw))
            or not low <= float(raw) <= high):
        raise ConfigError(f"{name} must be {kind} from {low:g} to {high:g}, got {_shown(raw)}")
    return float(raw)


def check_username(raw: str, what: str = "BOT_USERNAME") -> str:
    """A Telegram username without its @, or ConfigError: it goes into links and QR codes."""
    name = raw.strip().removeprefix("@")
    if not USERNAME_RE.fullmatch(name):
        raise ConfigError(f"{what} must be a Telegram username (5-32 letters, digits or _, "
                          f"starting with a letter), got {_shown(raw)}")
    return name


def check_redis_url(raw: str) -> str:
    from redis.connection import parse_url

    if not re.match(r"(redis|rediss|unix)://", raw):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    try:
        if re.search(r"\s", raw):
            raise ValueError("it contains a space")
        parse_url(raw)
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL is not a usable Redis address: {exc}") from None
    return raw


def _api_url(env: Mapping[str, str]) -> str | None:
    raw = value("BOT_API_URL", env).rstrip("/")
    if not raw:
        return None
    match = API_URL_RE.fullmatch(raw)
    if not match or not 0 < int(match["port"] or 80) <= 65535:
        raise ConfigError("BOT_API_URL must be an http:// or https:// address such as "
                          "http://localhost:8081 (a host, maybe a port and a path; no query), "
                          f"got {_shown(_redact(raw))}")
    return raw


def _admin_ids(env: Mapping[str, str]) -> frozenset[int]:
    ids = [part for part in re.split(r"[,\s]+", value("ADMIN_IDS", env)) if part]
    if not all(ADMIN_ID_RE.fullmatch(part) for part in ids):
        raise ConfigError("ADMIN_IDS must be Telegram user ids (numbers), separated by commas")
    return frozenset(int(part) for part in ids)


def _handoff_chat_id(env: Mapping[str, str]) -> int | None:
    raw = value("HANDOFF_CHAT_ID", env)
    if not raw:
        return None
    if not SUPERGROUP_ID_RE.fullmatch(raw):
        raise ConfigError("HANDOFF_CHAT_ID must be the id of a supergroup, a negative number "
                          f"starting with -100 (docs/handoff.md says how to find it), got "
                          f"{_shown(raw)}")
    return int(raw)


def log_level(env: Mapping[str, str]) -> str:
    level = value("LOG_LEVEL", env).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                          f"got {_shown(level)}")
    return level


def log_format(env: Mapping[str, str]) -> str:
    fmt = value("LOG_FORMAT", env).lower()
    if fmt not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {_shown(fmt)}")
    return fmt


def _webhook(env: Mapping[str, str], telegram_servers: bool) -> tuple[str | None, str]:
    """(WEBHOOK_URL or None, WEBHOOK_SECRET), both checked; the secret is checked even when
    polling, so that a typo shows before the day the webhook is switched on."""
    raw = value("WEBHOOK_URL", env)
    secret = value("WEBHOOK_SECRET", env)
    if secret and not SECRET_RE.fullmatch(secret):  # never echoed: it is a secret
        raise ConfigError("WEBHOOK_SECRET must be 1-256 letters, digits, _ or - "
                          "(Telegram refuses anything else)")
    if not raw:
        return None, secret
    match = WEBHOOK_URL_RE.fullmatch(raw)
    port = int(match["port"] or 443) if match else 0
    if not match or not 0 < port <= 65535:
        raise ConfigError("WEBHOOK_URL must be an https:// address such as "
                          f"https://bot.example.org/telegram, got {_shown(raw)}")
    if telegram_servers and port not in TELEGRAM_WEBHOOK_PORTS:
        raise ConfigError(f"WEBHOOK_URL must use port 443, 80, 88 or 8443 (Telegram posts to no "
                          f"other), got {port}")
    if (match["path"] or "/").rstrip("/") in OPS_PATHS:
        raise ConfigError(f"WEBHOOK_URL's path must not be {', '.join(OPS_PATHS)}: those "
                          "serve health and metrics")
    if not secret:
        raise ConfigError("WEBHOOK_SECRET is not set: with WEBHOOK_URL, set WEBHOOK_SECRET to "
                          "1-256 random letters and digits so that only Telegram can post updates")
    return raw, secret


def _port(env: Mapping[str, str], webhook: bool) -> int | None:
    raw = value("PORT", env)
    if not raw:
        return DEFAULT_WEBHOOK_PORT if webhook else None
    if not re.fullmatch(r"[0-9]{1,5}", raw) or not 0 < int(raw) <= 65535:
        raise ConfigError(f"PORT must be a whole number from 1 to 65535, got {_shown(raw)}")
    return int(raw)


def _host(env: Mapping[str, str]) -> str:
    raw = value("HOST", env)
    if not re.fullmatch(r"[A-Za-z0-9.:-]{1,253}|\[[0-9A-Fa-f:.]+\]", raw):
        raise ConfigError(f"HOST must be an address to listen on such as 0.0.0.0 or 127.0.0.1, "
                          f"got {_shown(raw)}")
    return raw.strip("[]")


def load_config(env: Mapping[str, str] | None = None,
                default_content: Path | None = None) -> Config:
    env = os.environ if env is None else env
    token = value("BOT_TOKEN", env)
    if not token:
        raise ConfigError("BOT_TOKEN is not set: get a token from @BotFather and set BOT_TOKEN")
    if not TOKEN_RE.fullmatch(token):
        raise ConfigError("BOT_TOKEN does not look like a Telegram bot token "
                          "(expected digits, a colon and at least 30 letters, digits, _ or -)")
    redis_url = value("REDIS_URL", env)
    content = value("CONTENT_DIR", env)
    content_dir = Path(content) if content else (default_content or Path.cwd())
    if not (content_dir / "flows").is_dir():
        raise ConfigError(f"CONTENT_DIR {str(content_dir)!r} has no flows/ folder")
    ttl_days = _number(env, "SESSION_TTL_DAYS", 0, MAX_TTL_DAYS)
    if ttl_days <= 0:
        raise ConfigError("SESSION_TTL_DAYS must be more than 0")
    username = value("BOT_USERNAME", env)
    api_url = _api_url(env)
    webhook_url, secret = _webhook(env, telegram_servers=api_url is None)
    return Config(
        token=token,
        api_url=api_url,
        redis_url=check_redis_url(redis_url) if redis_url else None,
        session_ttl_seconds=max(1, int(ttl_days * 86400)),
        content_dir=content_dir,
        reload_seconds=_number(env, "CONTENT_RELOAD_SECONDS", 0, MAX_RELOAD_SECONDS),
        admin_ids=_admin_ids(env),
        stats_ttl_days=int(_number(env, "STATS_TTL_DAYS", 1, MAX_TTL_DAYS, whole=True)),
        bot_username=check_username(username) if username else None,
        log_level=log_level(env),
        handoff_chat_id=_handoff_chat_id(env),
        handoff_ttl_seconds=_handoff_ttl_seconds(env),
        log_format=log_format(env),
        webhook_url=webhook_url,
        webhook_secret=secret,
        max_connections=int(_number(env, "WEBHOOK_MAX_CONNECTIONS", 1, 100, whole=True)),
        host=_host(env),
        port=_port(env, webhook=webhook_url is not None),
        lock_seconds=_number(env, "CONVERSATION_LOCK_SECONDS", 1, 60),
        shutdown_seconds=_number(env, "SHUTDOWN_SECONDS", 0, 600),
    )


def _handoff_ttl_seconds(env: Mapping[str, str]) -> int:
    days = _number(env, "HANDOFF_TTL_DAYS", 0, MAX_HANDOFF_TTL_DAYS)
    if days <= 0:
        raise ConfigError("HANDOFF_TTL_DAYS must be more than 0")
    return max(60, int(days * 86400))
