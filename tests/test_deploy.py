"""Deployment files: checked here because no container engine runs on the CI machines."""

from __future__ import annotations

import json
import re
from importlib import resources

import jsonschema
import yaml

from tests.conftest import PROJECT


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


def test_every_setting_is_documented_in_readme_and_env_example():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    config = (PROJECT / "bot" / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"([A-Z][A-Z_]+)"', config)) | {"LOG_LEVEL"}
    assert names >= {"BOT_TOKEN", "BOT_API_URL", "REDIS_URL", "SESSION_TTL_DAYS"}
    for name in names:
        assert f"`{name}`" in readme, name
        assert re.search(rf"^#?\s*{name}=", example, re.M), name
