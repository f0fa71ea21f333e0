"""The safe loader refuses what PyYAML would silently accept, and keeps exact positions."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.content.yamlsafe import MAX_FILE_BYTES, Text, YamlError, load_text


def test_values_keep_their_line_and_column():
    data = load_text("home:\n  title: Hello\n  text: |\n    line one\n    line two\n", "f.yaml")
    title = data["home"]["title"]
    assert isinstance(title, Text)
    assert str(title.pos) == "f.yaml:2:10"
    text = data["home"]["text"]
    assert str(text.pos) == "f.yaml:4:5"
    assert str(text.pos_at(text.index("two"))) == "f.yaml:5:10"


def test_duplicate_keys_are_refused_with_both_lines():
    with pytest.raises(YamlError) as err:
        load_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert str(err.value) == (
        "f.yaml:3:1: duplicate key 'a' (first defined at line 1); "
        "YAML would silently keep only the last one"
    )


def test_python_tags_are_refused_not_executed(tmp_path):
    marker = tmp_path / "owned"
    source = f'x: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(YamlError) as err:
        load_text(source, "f.yaml")
    assert "!!python/object/apply:os.system is not allowed" in str(err.value)
    assert not marker.exists()


def test_custom_tags_are_refused():
    with pytest.raises(YamlError, match="tag !secret is not allowed"):
        load_text("x: !secret value\n", "f.yaml")


def test_alias_bomb_is_refused_before_expansion():
    levels = zip("abcdefgh", "bcdefghi", strict=True)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in levels
    )
    with pytest.raises(YamlError) as err:
        load_text(bomb, "f.yaml")
    assert str(err.value) == (
        "f.yaml:2:8: aliases (*name) are not allowed in content; write the value out"
    )


def test_merge_keys_are_refused():
    with pytest.raises(YamlError):
        load_text("base: &b {x: 1}\nother:\n  <<: *b\n", "f.yaml")


def test_oversized_file_is_refused_without_parsing():
    source = "x: " + "a" * MAX_FILE_BYTES + "\n"
    with pytest.raises(YamlError, match="larger than 256 KiB"):
        load_text(source, "big.yaml")


def test_syntax_error_points_at_the_line():
    with pytest.raises(YamlError) as err:
        load_text("a: [1, 2\nb: 3\n", "f.yaml")
    assert err.value.pos.line == 2
    assert err.value.message.startswith("YAML syntax error")


def test_dates_and_numbers_are_typed():
    data = load_text("checked: 2026-11-23\nweight: 3\n", "f.yaml")
    assert data["checked"] == dt.date(2026, 11, 23)
    assert data["weight"] == 3


def test_merge_key_on_its_own_is_refused_where_it_stands():
    # No alias involved: the merge key itself must be refused, not read as a key named "<<".
    with pytest.raises(YamlError) as err:
        load_text("base:\n  <<: {a: 1}\n", "f.yaml")
    assert str(err.value) == "f.yaml:2:3: merge keys (<<) are not allowed in content"
