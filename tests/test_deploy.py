"""Deployment files: checked here because no container engine runs on the CI machines."""

from __future__ import annotations

import ast
import json
import re
from importlib import resources

import jsonschema
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


def test_an_empty_setting_means_its_default():
    token = {"BOT_TOKEN": "123456789:" + "a" * 35, "CONTENT_DIR": str(PROJECT)}
    empty = {name: "" for name in NAMES - set(token)}
    assert load_config({**token, **empty}) == load_config(token)


def test_every_setting_is_documented_in_readme_and_env_example():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    assert table == NAMES
    assert set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M)) == NAMES
