"""Settings: each mistake stops start-up with one line that names it, never a silent default."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config
from tests.conftest import PROJECT, TOKEN


def config(**env: str):
    return load_config({"BOT_TOKEN": TOKEN, "CONTENT_DIR": str(PROJECT), **env})


@pytest.mark.parametrize(("name", "raw", "says"), [
    ("SESSION_TTL_DAYS", "inf", "SESSION_TTL_DAYS must be a number from 0 to 3650"),
    ("SESSION_TTL_DAYS", "nan", "SESSION_TTL_DAYS must be a number"),
    ("SESSION_TTL_DAYS", "1e999", "SESSION_TTL_DAYS must be a number"),
    ("SESSION_TTL_DAYS", "0", "SESSION_TTL_DAYS must be more than 0"),
    ("SESSION_TTL_DAYS", "-3", "SESSION_TTL_DAYS must be a number"),
    ("SESSION_TTL_DAYS", "99999", "SESSION_TTL_DAYS must be a number from 0 to 3650"),
    ("CONTENT_RELOAD_SECONDS", "nan", "CONTENT_RELOAD_SECONDS must be a number from 0"),
    ("CONTENT_RELOAD_SECONDS", "1_000", "CONTENT_RELOAD_SECONDS must be a number"),
    ("STATS_TTL_DAYS", "0", "STATS_TTL_DAYS must be a whole number from 1 to 3650"),
    ("STATS_TTL_DAYS", "1.5", "STATS_TTL_DAYS must be a whole number"),
    ("STATS_TTL_DAYS", "٣", "STATS_TTL_DAYS must be a whole number"),  # an Arabic-Indic 3
    ("ADMIN_IDS", "²", "ADMIN_IDS must be Telegram user ids"),
    ("ADMIN_IDS", "5001, x", "ADMIN_IDS must be Telegram user ids"),
    ("BOT_API_URL", "http://", "BOT_API_URL must be an http:// or https:// address"),
    ("BOT_API_URL", "http://exa mple", "BOT_API_URL must be"),
    ("BOT_API_URL", "ftp://x", "BOT_API_URL must be"),
    ("BOT_API_URL", "localhost:8081", "BOT_API_URL must be"),
    ("BOT_API_URL", "http://x/?proxy=1", "BOT_API_URL must be"),
    ("BOT_API_URL", "http://x/#top", "BOT_API_URL must be"),
    ("BOT_API_URL", "http://x:99999", "BOT_API_URL must be"),
    ("BOT_API_URL", "http://x/{token}", "BOT_API_URL must be"),
    ("REDIS_URL", "http://redis", "REDIS_URL must start with redis://"),
    ("REDIS_URL", "redis://redis:port", "REDIS_URL is not a usable Redis address"),
    ("REDIS_URL", "redis://re dis:6379", "REDIS_URL is not a usable Redis address"),
    ("BOT_USERNAME", "https://evil.example/x", "BOT_USERNAME must be a Telegram username"),
    ("BOT_USERNAME", "ab", "BOT_USERNAME must be a Telegram username"),
    ("BOT_USERNAME", "1staysafe_bot", "BOT_USERNAME must be a Telegram username"),
    ("LOG_LEVEL", "verbose", "LOG_LEVEL must be one of DEBUG, INFO"),
    ("HANDOFF_CHAT_ID", "-123456789", "HANDOFF_CHAT_ID must be the id of a supergroup"),
    ("HANDOFF_CHAT_ID", "1001234567890", "HANDOFF_CHAT_ID must be the id of a supergroup"),
    ("HANDOFF_CHAT_ID", "@counsellors", "HANDOFF_CHAT_ID must be the id of a supergroup"),
    ("HANDOFF_CHAT_ID", "-100١٢٣", "HANDOFF_CHAT_ID must be the id of a supergroup"),
    ("HANDOFF_TTL_DAYS", "0", "HANDOFF_TTL_DAYS must be more than 0"),
    ("HANDOFF_TTL_DAYS", "400", "HANDOFF_TTL_DAYS must be a number from 0 to 365"),
    ("BOT_TOKEN", "123:short", "BOT_TOKEN does not look like a Telegram bot token"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be text or json"),
    ("WEBHOOK_URL", "http://bot.example.org/tg", "WEBHOOK_URL must be an https:// address"),
    ("WEBHOOK_URL", "bot.example.org/tg", "WEBHOOK_URL must be an https:// address"),
    ("WEBHOOK_URL", "https://bot.example.org/tg?x=1", "WEBHOOK_URL must be an https://"),
    ("WEBHOOK_URL", "https://user:pw@bot.example.org/", "WEBHOOK_URL must be an https://"),
    ("WEBHOOK_URL", "https://bot.example.org:8080/tg", "WEBHOOK_URL must use port 443, 80, 88"),
    ("WEBHOOK_URL", "https://bot.example.org/metrics", "WEBHOOK_URL's path must not be"),
    ("WEBHOOK_URL", "https://bot.example.org/tg", "WEBHOOK_SECRET is not set"),
    ("WEBHOOK_SECRET", "no spaces allowed", "WEBHOOK_SECRET must be 1-256 letters"),
    ("WEBHOOK_SECRET", "x" * 257, "WEBHOOK_SECRET must be 1-256 letters"),
    ("WEBHOOK_MAX_CONNECTIONS", "0", "WEBHOOK_MAX_CONNECTIONS must be a whole number from 1 "
     "to 100"),
    ("WEBHOOK_MAX_CONNECTIONS", "101", "WEBHOOK_MAX_CONNECTIONS must be a whole number"),
    ("PORT", "0", "PORT must be a whole number from 1 to 65535"),
    ("PORT", "65536", "PORT must be a whole number from 1 to 65535"),
    ("PORT", "http", "PORT must be a whole number from 1 to 65535"),
    ("HOST", "0.0.0.0 1", "HOST must be an address to listen on"),
    ("CONVERSATION_LOCK_SECONDS", "0", "CONVERSATION_LOCK_SECONDS must be a number from 1 "
     "to 60"),
    ("SHUTDOWN_SECONDS", "-1", "SHUTDOWN_SECONDS must be a number from 0 to 600"),
])
def test_a_malformed_setting_is_named_in_one_line(name, raw, says):
    with pytest.raises(ConfigError) as error:
        config(**{name: raw})
    assert str(error.value).startswith(says)
    assert "\n" not in str(error.value)


def test_good_settings_are_read_as_written():
    loaded = config(SESSION_TTL_DAYS="0.5", CONTENT_RELOAD_SECONDS="0", ADMIN_IDS="5001, 5002",
                    STATS_TTL_DAYS="30", BOT_API_URL="https://bot-api.example.org:8443/tg/",
                    REDIS_URL="redis://redis:6379/0", BOT_USERNAME="@StaySafe_bot",
                    LOG_LEVEL="debug")
    assert loaded.session_ttl_seconds == 43200 and loaded.reload_seconds == 0
    assert loaded.admin_ids == {5001, 5002} and loaded.stats_ttl_days == 30
    assert loaded.api_url == "https://bot-api.example.org:8443/tg"
    assert loaded.bot_username == "StaySafe_bot" and loaded.log_level == "DEBUG"
    assert config(BOT_API_URL="http://[::1]:8081").api_url == "http://[::1]:8081"


def test_the_handoff_is_off_unless_a_supergroup_is_named():
    assert config().handoff_chat_id is None
    assert config().handoff_ttl_seconds == 7 * 86400
    loaded = config(HANDOFF_CHAT_ID=" -1001234567890 ", HANDOFF_TTL_DAYS="2")
    assert loaded.handoff_chat_id == -1001234567890
    assert loaded.handoff_ttl_seconds == 2 * 86400


def test_the_token_is_never_in_the_repr_nor_a_password_in_a_url():
    loaded = config(REDIS_URL="redis://:hunter2@redis:6379/0",
                    BOT_API_URL="https://user:s3cret@bot-api.example.org")
    assert TOKEN not in repr(loaded) and "hunter2" not in repr(loaded)
    assert "s3cret" not in repr(loaded)


def test_webhook_settings_are_read_as_written_and_the_port_defaults_to_8080():
    loaded = config(WEBHOOK_URL="https://bot.example.org/tg/updates", WEBHOOK_SECRET="a-b_C9",
                    WEBHOOK_MAX_CONNECTIONS="100", LOG_FORMAT="JSON",
                    CONVERSATION_LOCK_SECONDS="2.5", SHUTDOWN_SECONDS="0")
    assert loaded.webhook_url == "https://bot.example.org/tg/updates"
    assert loaded.webhook_path == "/tg/updates" and loaded.webhook_secret == "a-b_C9"
    assert (loaded.host, loaded.port, loaded.max_connections) == ("0.0.0.0", 8080, 100)
    assert (loaded.log_format, loaded.lock_seconds, loaded.shutdown_seconds) == ("json", 2.5, 0)
    assert config(WEBHOOK_URL="https://bot.example.org", WEBHOOK_SECRET="s").webhook_path == "/"


def test_polling_serves_health_and_metrics_only_when_a_port_is_set():
    assert config().port is None and config().webhook_url is None
    assert config(PORT="9100", HOST="127.0.0.1").port == 9100


def test_any_port_is_allowed_with_a_self_hosted_bot_api_server():
    loaded = config(BOT_API_URL="http://127.0.0.1:8081", WEBHOOK_SECRET="s",
                    WEBHOOK_URL="https://bot.internal:9443/tg")
    assert loaded.webhook_url == "https://bot.internal:9443/tg"


def test_the_webhook_secret_is_never_repeated_back():
    secret = "not a valid secret: it has spaces"
    with pytest.raises(ConfigError) as error:
        config(WEBHOOK_SECRET=secret)
    assert secret not in str(error.value)
    assert "s3cretvalue" not in repr(config(WEBHOOK_URL="https://x.example/t",
                                            WEBHOOK_SECRET="s3cretvalue"))
