"""Settings from the environment, checked once at start-up with one clear line per mistake."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

TOKEN_RE = re.compile(r"^[0-9]{3,20}:[A-Za-z0-9_-]{30,80}$")
DEFAULT_SESSION_TTL_DAYS = 30


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

    def __repr__(self) -> str:  # the token is a secret: never print it
        return (f"Config(api_url={self.api_url!r}, redis_url={_redact(self.redis_url)!r}, "
                f"session_ttl_seconds={self.session_ttl_seconds}, "
                f"content_dir={str(self.content_dir)!r}, reload_seconds={self.reload_seconds})")


def _redact(url: str | None) -> str | None:
    return re.sub(r"//[^@/]*@", "//***@", url) if url else url


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def load_config(env: dict[str, str] | None = None, default_content: Path | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    token = env.get("BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError("BOT_TOKEN is not set: get a token from @BotFather and set BOT_TOKEN")
    if not TOKEN_RE.match(token):
        raise ConfigError("BOT_TOKEN does not look like a Telegram bot token "
                          "(expected digits, a colon and at least 30 letters, digits, _ or -)")
    api_url = env.get("BOT_API_URL", "").strip().rstrip("/") or None
    if api_url and not re.match(r"^https?://", api_url):
        raise ConfigError(f"BOT_API_URL must start with http:// or https://, got {api_url!r}")
    redis_url = env.get("REDIS_URL", "").strip() or None
    if redis_url and not re.match(r"^(redis|rediss|unix)://", redis_url):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    ttl_days = _number(env, "SESSION_TTL_DAYS", DEFAULT_SESSION_TTL_DAYS)
    if ttl_days <= 0:
        raise ConfigError("SESSION_TTL_DAYS must be more than 0")
    content = env.get("CONTENT_DIR", "").strip()
    content_dir = Path(content) if content else (default_content or Path.cwd())
    if not (content_dir / "flows").is_dir():
        raise ConfigError(f"CONTENT_DIR {str(content_dir)!r} has no flows/ folder")
    admins = env.get("ADMIN_IDS", "").replace(",", " ").split()
    if not all(a.isdigit() for a in admins):
        raise ConfigError("ADMIN_IDS must be Telegram user ids (numbers), separated by commas")
    stats_days = _number(env, "STATS_TTL_DAYS", 400)
    if stats_days < 1:
        raise ConfigError("STATS_TTL_DAYS must be at least 1")
    username = env.get("BOT_USERNAME", "").strip().lstrip("@") or None
    return Config(
        admin_ids=frozenset(int(a) for a in admins),
        stats_ttl_days=int(stats_days),
        bot_username=username,
        token=token,
        api_url=api_url,
        redis_url=redis_url,
        session_ttl_seconds=max(1, int(ttl_days * 86400)),
        content_dir=content_dir,
        reload_seconds=_number(env, "CONTENT_RELOAD_SECONDS", 5.0),
    )
