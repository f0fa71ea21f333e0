"""The safe loader refuses what PyYAML would silently accept, and keeps exact positions."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.content.yamlsafe import MAX_FILE_BYTES, Text, YamlError, load_text
from tests.conftest import PROJECT


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


def test_syntax_error_points_at_the_line_that_is_wrong_in_plain_words():
    with pytest.raises(YamlError) as err:
        load_text("a: [1, 2\nb: 3\n", "f.yaml")
    assert str(err.value) == ("f.yaml:1:4: the list that starts with [ here is never closed: "
                              "end it with ] on the same line")


def test_an_unrecognised_syntax_error_still_says_where_and_what_yaml_saw():
    with pytest.raises(YamlError) as err:
        load_text("a: b: c\n", "f.yaml")
    assert str(err.value) == ("f.yaml:1:5: the layout of the file cannot be read here (YAML "
                              "says: mapping values are not allowed here)")


def test_the_plain_word_hints_never_fire_on_valid_files():
    """Every shipped YAML file read as if its parser had failed at its last line."""
    from bot.content.yamlhints import explain

    for path in sorted(PROJECT.glob("*/**/*.yaml")):
        if ".venv" in path.parts or "broken" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        assert explain(source, len(source.splitlines())) is None, path


def test_dates_and_numbers_are_typed():
    data = load_text("checked: 2026-11-23\nweight: 3\n", "f.yaml")
    assert data["checked"] == dt.date(2026, 11, 23)
    assert data["weight"] == 3


def test_merge_key_on_its_own_is_refused_where_it_stands():
    # No alias involved: the merge key itself must be refused, not read as a key named "<<".
    with pytest.raises(YamlError) as err:
        load_text("base:\n  <<: {a: 1}\n", "f.yaml")
    assert str(err.value) == "f.yaml:2:3: merge keys (<<) are not allowed in content"


@pytest.mark.parametrize(("source", "expected"), [
    ("checked: 2026-02-30\n",
     "f.yaml:1:10: '2026-02-30' is not a real date (day is out of range for month)"),
    ("checked: 2026-13-01 10:00:00\n",
     "f.yaml:1:10: '2026-13-01 10:00:00' is not a real date (month must be in 1..12)"),
], ids=["day", "month"])
def test_impossible_dates_are_refused_where_they_stand(source, expected):
    with pytest.raises(YamlError) as err:
        load_text(source, "f.yaml")
    assert str(err.value) == expected


INVISIBLE = ("invisible character U+{} is not allowed (often pasted from a word processor); "
             "delete it, or retype the text around it")


@pytest.mark.parametrize(("source", "expected"), [
    ("a: one\nb: two\x0bthree\n", "f.yaml:2:7: " + INVISIBLE.format("000B")),
    ("a\x00b: 1\n", "f.yaml:1:2: " + INVISIBLE.format("0000")),
    ("# comment \x1b[0m\n", "f.yaml:1:11: " + INVISIBLE.format("001B")),
    ("a: line one\u2028line two\n", "f.yaml:1:12: " + INVISIBLE.format("2028")),
    ('a: "bell\\a"\n', "f.yaml:1:4: " + INVISIBLE.format("0007")),
    ('"key\\x00": 1\n', "f.yaml:1:1: " + INVISIBLE.format("0000")),
], ids=["pasted-in-value", "pasted-in-key", "pasted-in-comment", "line-separator",
        "escaped-in-value", "escaped-in-key"])
def test_invisible_characters_are_refused_where_they_stand(source, expected):
    with pytest.raises(YamlError) as err:
        load_text(source, "f.yaml")
    assert str(err.value) == expected


@pytest.mark.parametrize("number", ["9" * 5000, "0x" + "f" * 5000, "1" + ":59" * 80_000],
                         ids=["decimal", "hex", "base-60"])
def test_numbers_too_long_to_be_real_are_refused_without_converting(number):
    with pytest.raises(YamlError) as err:
        load_text(f"weight: {number}\n", "f.yaml")
    assert str(err.value) == (f"f.yaml:1:9: a number {len(number)} characters long cannot be "
                              "right; if it is text, put it in quotes")


@pytest.mark.parametrize(("source", "col"), [
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", 35),
    ("a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n", 125),
], ids=["lists", "mappings"])
def test_deep_nesting_is_refused_before_python_recursion_gives_up(source, col):
    with pytest.raises(YamlError) as err:
        load_text(source, "f.yaml")
    assert str(err.value) == (f"f.yaml:1:{col}: lists and mappings are nested more than 32 "
                              "levels deep; look for brackets [ or { that are never closed")
