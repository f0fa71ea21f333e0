"""The JSON Schemas editors' tools use (schemas/, wired in .vscode/settings.json) and the loader
agree: the shipped content passes the schemas, the schemas refuse what the loader refuses, and
their field lists are the loader's, so neither can drift from the other."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from pathlib import Path

import jsonschema
import pytest

from bot.checks.validate import PHONE_VALUE_RE, validate
from bot.content import loader
from bot.content.model import FACT_KINDS, FACT_ROLES, NODE_KINDS
from bot.content.yamlsafe import YamlError, load_text
from bot.engine.handoff import HANDOFF_UI_KEYS
from bot.engine.runtime import UI_KEYS
from tests.conftest import BASE, FIXTURES, PROJECT

SCHEMAS = PROJECT / "schemas"
ASSOCIATIONS = json.loads((PROJECT / ".vscode" / "settings.json").read_text())["yaml.schemas"]
BROKEN = sorted((FIXTURES / "broken").glob("*.yaml"))
# Defects a schema sees by itself: a field it does not know, a value of the wrong type or
# shape. The others need the whole content (links, translations, facts, dates) and are left
# to validate; YAML the loader refuses (syntax, duplicates, aliases, tags) is no data at all.
SCHEMA_REFUSES = {"unknown_field", "wrong_type", "missing_default_variant", "phone_not_a_phone",
                  "profile_too_long", "handoff_unknown_field", "campaigns_wrong",
                  "fact_sources_wrong", "facts_fields_wrong", "upcoming_not_a_date",
                  "buttons_not_a_list"}
TODAY = dt.date(2026, 11, 23)


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def schema_for(relative: str) -> dict | None:
    """The schema the YAML language server gives a file: one of its patterns matches and the
    last matching one is not a "!" exclusion (the Red Hat YAML extension's rule)."""
    found = []
    for schema, patterns in ASSOCIATIONS.items():
        matched = False
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            if fnmatch.fnmatchcase(relative, pattern.removeprefix("!")):
                matched = not pattern.startswith("!")
        if matched:
            found.append(schema)
    assert len(found) <= 1, f"{relative} matches {found}"
    return _schema(Path(found[0]).name) if found else None


def as_json(value):
    """What the language server sees: a date written as 2027-02-01 is text."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def schema_errors(relative: str, text: str) -> list[str]:
    schema = schema_for(relative)
    assert schema is not None, f"no schema for {relative}"
    data = as_json(load_text(text, relative))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in jsonschema.Draft7Validator(schema).iter_errors(data)]


def test_every_schema_is_a_valid_draft_7_schema():
    for path in sorted(SCHEMAS.glob("*.json")):
        jsonschema.Draft7Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("root", [PROJECT, BASE], ids=["shipped", "base"])
def test_every_content_file_has_a_schema_and_passes_it(root: Path):
    files = [*sorted((root / "flows").glob("*.yaml")),
             *sorted((root / "content").glob("*/*.yaml"))]
    assert files
    for path in files:
        relative = path.relative_to(root).as_posix()
        assert schema_errors(relative, path.read_text(encoding="utf-8")) == [], relative


@pytest.mark.parametrize("fixture", BROKEN, ids=[f.stem for f in BROKEN])
def test_schemas_and_loader_agree_on_each_broken_fixture(fixture: Path, base_copy: Path):
    text = fixture.read_text(encoding="utf-8")
    (target,) = [line.split(":", 1)[1].strip() for line in text.splitlines()
                 if line.startswith("# replaces:")]
    (base_copy / target).write_text(text, encoding="utf-8")
    try:
        errors = schema_errors(target, text)
    except YamlError:  # not data: the loader refuses it before any schema could look
        assert validate(base_copy, today=TODAY).errors
        return
    assert bool(errors) == (fixture.stem in SCHEMA_REFUSES), errors
    if errors:  # and the loader refuses it too
        assert validate(base_copy, today=TODAY).errors


def test_the_schemas_know_the_fields_the_loader_knows():
    screen = _schema("flow.schema.json")["definitions"]["screen"]
    assert set(screen["properties"]["kind"]["enum"]) == set(NODE_KINDS)
    assert set(screen["properties"]) == set().union(*loader.NODE_FIELDS.values())
    per_kind = {rule["if"]["properties"]["kind"]["const"]:
                set(rule["then"]["propertyNames"]["enum"]) for rule in screen["allOf"]}
    assert per_kind == loader.NODE_FIELDS

    content = _schema("content.schema.json")
    assert set(content["definitions"]["screen"]["properties"]) == loader.TEXT_FIELDS
    assert set(content["properties"]["ui"]["properties"]) == {*UI_KEYS, *HANDOFF_UI_KEYS}

    fact = _schema("facts.schema.json")["definitions"]["fact"]
    assert set(fact["properties"]) == loader.FACT_FIELDS
    assert fact["properties"]["kind"]["enum"] == list(FACT_KINDS)
    assert fact["properties"]["role"]["enum"] == list(FACT_ROLES)
    source = _schema("facts.schema.json")["definitions"]["source"]
    assert set(source["properties"]) == loader.SOURCE_FIELDS

    assert set(_schema("settings.schema.json")["properties"]) == loader.SETTINGS_FIELDS
    campaign = _schema("campaigns.schema.json")["additionalProperties"]
    assert set(campaign["properties"]) == loader.CAMPAIGN_FIELDS

    handoff = _schema("handoff.schema.json")
    assert set(handoff["properties"]) == loader.HANDOFF_FIELDS
    organisation = handoff["definitions"]["organisation"]
    assert set(organisation["properties"]) == loader.ORGANISATION_FIELDS


def test_the_schemas_use_the_loaders_patterns():
    settings = _schema("settings.schema.json")["definitions"]
    assert settings["screen_id"]["pattern"] == loader.ID_RE.pattern
    assert settings["language"]["pattern"] == loader.LANG_RE.pattern
    assert settings["country"]["pattern"] == loader.COUNTRY_RE.pattern
    assert _schema("flow.schema.json")["propertyNames"]["pattern"] == loader.ID_RE.pattern
    facts = _schema("facts.schema.json")
    assert facts["propertyNames"]["pattern"] == loader.ID_RE.pattern
    fact = facts["definitions"]["fact"]
    assert fact["properties"]["source_date"]["pattern"] == loader.SOURCE_DATE_RE.pattern
    phone = next(rule["then"] for rule in fact["allOf"]
                 if rule["if"]["properties"].get("kind") == {"const": "phone"})
    assert phone["properties"]["value"]["pattern"] == PHONE_VALUE_RE.pattern
    campaigns = _schema("campaigns.schema.json")
    assert campaigns["propertyNames"]["pattern"] == loader.CAMPAIGN_ID_RE.pattern
    code = campaigns["additionalProperties"]["properties"]["code"]
    assert code["pattern"] == loader.SHORT_CODE_RE.pattern
