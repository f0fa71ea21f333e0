"""Deployment files: checked here because no container engine runs on the CI machines."""

from __future__ import annotations

import ast
import json
import re
from importlib import resources

import jsonschema
import pytest
import yaml

from bot.config import SETTINGS, load_config
from tests.conftest import PROJECT

NAMES = {s.name for s in SETTINGS}


def compose_schema() -> dict:
    """The Compose specification's JSON schema, as vendored by check-jsonschema."""
    text = (resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json")
    return json.loads(text.read_text(encoding="utf-8"))


def test_compose_file_follows_the_compose_specification():
    compose = yaml.safe_load((PROJECT / "docker-compose.yml").read_text(encoding="utf-8"))
    jsonschema.validate(compose, compose_schema())


def test_the_schema_check_would_catch_a_mistake():
    broken = {"services": {"bot": {"image": "x", "restart": "sometimes", "ports": [{"x": 1}]}}}
    errors = list(jsonschema.Draft7Validator(compose_schema()).iter_errors(broken))
    assert errors


def test_compose_runs_the_bot_with_redis_healthcheck_volume_and_restart():
    compose = yaml.safe_load((PROJECT / "docker-compose.yml").read_text(encoding="utf-8"))
    bot, redis = compose["services"]["bot"], compose["services"]["redis"]
    assert bot["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    assert redis["healthcheck"]["test"][-1] == "ping"
    assert "redis-data:/data" in redis["volumes"] and "redis-data" in compose["volumes"]
    assert bot["restart"] == redis["restart"] == "unless-stopped"


def test_dockerfile_runs_the_bot_as_documented():
    dockerfile = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^CMD \["stay-safe", "run"\]$', dockerfile, re.M)
    assert re.search(r"^USER \w+", dockerfile, re.M)
    for folder in ("bot", "flows", "content"):
        assert re.search(rf"^COPY {folder} ", dockerfile, re.M)


def test_settings_names_every_variable_the_code_reads():
    """SETTINGS is complete: start-up reads each of its variables, and no module but
    bot/config.py touches the environment (the rest asks ``config.value``)."""

    class Recording(dict):
        def get(self, key, default=None):
            read.add(key)
            return super().get(key, default)

    read: set[str] = set()
    load_config(Recording(BOT_TOKEN="123456789:" + "a" * 35, CONTENT_DIR=str(PROJECT)))
    assert read == NAMES
    for path in sorted((PROJECT / "bot").rglob("*.py")):
        if path.name == "config.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        touches = [node.lineno for node in ast.walk(tree)
                   if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"))
                   or (isinstance(node, ast.Name) and node.id in ("environ", "getenv"))]
        assert not touches, f"{path.relative_to(PROJECT)}:{touches[0]} reads the environment"


def compose() -> dict:
    return yaml.safe_load((PROJECT / "docker-compose.yml").read_text(encoding="utf-8"))


def compose_only_variables() -> set[str]:
    """Variables docker-compose.yml reads that are not the bot's settings (Caddy's domain)."""
    text = (PROJECT / "docker-compose.yml").read_text(encoding="utf-8")
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text)) - NAMES


def test_compose_passes_every_setting_to_the_bot():
    environment = compose()["services"]["bot"]["environment"]
    assert set(environment) == NAMES
    # Fixed inside the container: its own Redis, the content mounted under /app, and polling
    # (the webhook profile's replicas take the webhook; a poller beside them would get 409).
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["CONTENT_DIR"] == "/app"
    assert environment["WEBHOOK_URL"] == ""
    for name in NAMES - {"REDIS_URL", "CONTENT_DIR", "BOT_TOKEN", "WEBHOOK_URL"}:
        # Unset in .env means empty in the container, which the bot reads as its default.
        assert environment[name] == f"${{{name}:-}}", name
    assert environment["BOT_TOKEN"].startswith("${BOT_TOKEN:?")


def test_the_default_services_are_one_polling_bot_and_redis():
    services = compose()["services"]
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == {"bot", "redis"}
    assert "ports" not in services["bot"]  # polling needs no open port


def resolved(environment: dict, **shell: str) -> dict:
    """The environment as compose hands it over, with ``shell`` set and nothing else."""
    def fill(match: re.Match) -> str:
        return shell.get(match[1], "")
    env = {k: re.sub(r"\$\{([A-Z_]+):[-?][^}]*\}", fill, str(v))
           for k, v in environment.items()}
    return {**env, "CONTENT_DIR": str(PROJECT)}  # /app in the container


def test_the_webhook_profile_runs_two_replicas_behind_caddy_on_one_redis():
    services = compose()["services"]
    profile = {name for name, service in services.items()
               if "webhook" in service.get("profiles", [])}
    assert profile == {"webhook-1", "webhook-2", "caddy"}
    caddyfile = (PROJECT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)[1].split()
    assert upstreams == ["webhook-1:8080", "webhook-2:8080"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])
    assert services["caddy"]["environment"]["WEBHOOK_DOMAIN"] == "${WEBHOOK_DOMAIN:-}"
    for name in ("webhook-1", "webhook-2"):
        replica = services[name]
        assert services["caddy"]["depends_on"][name]["condition"] == "service_healthy"
        assert replica["depends_on"]["redis"]["condition"] == "service_healthy"
        assert set(replica["environment"]) == NAMES
        config = load_config(resolved(replica["environment"], BOT_TOKEN="123456789:" + "a" * 35,
                                      WEBHOOK_SECRET="s3cret", WEBHOOK_DOMAIN="bot.example.org"))
        assert config.webhook_url == "https://bot.example.org/telegram"
        assert config.redis_url == "redis://redis:6379/0" and config.port == 8080
        # Caddy forwards exactly the path the bot serves, and the health check asks the port.
        assert re.search(rf"handle {config.webhook_path} {{", caddyfile)
        assert f"127.0.0.1:{config.port}/healthz" in " ".join(replica["healthcheck"]["test"])
    redis = services["redis"]
    assert "--appendonly" in redis["command"] and redis["healthcheck"]["test"][-1] == "ping"


def test_docker_waits_for_the_updates_in_flight_before_killing_a_bot():
    shutdown = load_config({"BOT_TOKEN": "123456789:" + "a" * 35,
                            "CONTENT_DIR": str(PROJECT)}).shutdown_seconds
    for name in ("bot", "webhook-1", "webhook-2"):
        # Docker's default is 10 s, then SIGKILL: less than the bot's own wait.
        grace = int(compose()["services"][name]["stop_grace_period"].rstrip("s"))
        assert grace > shutdown, name


def test_a_replica_without_a_domain_refuses_to_start_in_one_line():
    from bot.config import ConfigError

    replica = compose()["services"]["webhook-1"]
    env = resolved(replica["environment"], BOT_TOKEN="123456789:" + "a" * 35,
                   WEBHOOK_SECRET="s3cret")
    with pytest.raises(ConfigError, match="WEBHOOK_URL must be an https:// address"):
        load_config(env)


def test_an_empty_setting_means_its_default():
    token = {"BOT_TOKEN": "123456789:" + "a" * 35, "CONTENT_DIR": str(PROJECT)}
    empty = {name: "" for name in NAMES - set(token)}
    assert load_config({**token, **empty}) == load_config(token)


def test_every_setting_is_documented_in_readme_and_env_example():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    assert table == NAMES
    extra = compose_only_variables()
    assert extra == {"WEBHOOK_DOMAIN"}
    assert set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M)) == NAMES | extra
    for name in extra:
        assert f"`{name}`" in readme, name
