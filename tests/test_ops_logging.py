"""The token never reaches a log line: message, arguments, traceback or stack."""

from __future__ import annotations

import io
import logging

import pytest

from bot.ops.logging import hide_token
from tests.conftest import TOKEN

SECRET = TOKEN.partition(":")[2]
URL = f"http://127.0.0.1:8081/bot{TOKEN}/sendMessage"


@pytest.fixture
def output():
    """A root-like logger whose only handler writes to a string, with the redaction on."""
    top = logging.getLogger("redaction-test")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    top.addHandler(handler)
    top.setLevel(logging.DEBUG)
    hide_token(TOKEN, top)
    yield stream
    top.removeHandler(handler)


def test_message_arguments_traceback_and_stack_are_redacted(output):
    child = logging.getLogger("redaction-test.aiogram.dispatcher")  # writes on its own
    child.error("Failed to fetch updates - %s: %s", "TelegramNetworkError", f"url='{URL}'")
    child.debug(f"POST {URL}")
    try:
        try:
            raise OSError(f"cannot reach {URL}")
        except OSError as exc:
            raise RuntimeError(f"retrying {SECRET}") from exc
    except RuntimeError:
        child.exception("could not answer")
    child.warning("stack follows", stack_info=True, extra={"url": URL})
    text = output.getvalue()
    assert "Failed to fetch updates - TelegramNetworkError" in text
    assert "Traceback (most recent call last)" in text and "OSError: cannot reach" in text
    assert "Stack (most recent call last)" in text
    assert TOKEN not in text and SECRET not in text
    assert "/bot<token>/sendMessage" in text


def test_any_token_shaped_text_and_bot_path_is_hidden(output):
    other = "987654321:ANOTHER_bots_token_abcdefghijklmnopqrstu"
    logging.getLogger("redaction-test").info("%s and %s and %s", other,
                                             other.replace(":", "%3A"), "/botXYZ/getMe")
    text = output.getvalue()
    assert "ANOTHER_bots_token" not in text and "XYZ" not in text
    assert "/bot<token>/getMe" in text


def test_a_malformed_logging_call_still_logs_without_raising(output):
    logging.getLogger("redaction-test").info("%d updates for %s", "many", TOKEN)
    text = output.getvalue()
    assert "arguments could not be formatted" in text and TOKEN not in text


@pytest.fixture
def root_restored():
    """``setup`` configures the root logger: put back what pytest had there."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    event_level = logging.getLogger("aiogram.event").level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("aiogram.event").setLevel(event_level)


def test_json_logs_are_one_object_a_line_with_the_structured_fields(root_restored, capsys):
    import json

    from bot.ops.logging import setup

    setup("INFO", "json", (TOKEN, "webhook-secret-value"))
    log = logging.getLogger("stay_safe.telegram.updates")
    log.info("update handled", extra={"kind": "message", "outcome": "handled",
                                      "duration_ms": 12.5, "update_id": 7})
    log.warning("Telegram said %s", f"no to {URL} with webhook-secret-value",
                extra={"url": URL})
    try:
        raise OSError(f"cannot reach {URL}")
    except OSError:
        log.exception("could not answer")
    logging.getLogger("aiogram.event").info("Update id=7 is handled")  # ours says more
    lines = capsys.readouterr().err.splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 3
    first, second, third = entries
    assert first["message"] == "update handled" and first["level"] == "INFO"
    assert first["logger"] == "stay_safe.telegram.updates" and first["time"].endswith("Z")
    assert (first["kind"], first["outcome"], first["duration_ms"], first["update_id"]) == (
        "message", "handled", 12.5, 7)
    assert "/bot<token>/sendMessage" in second["message"] and "<token>" in second["url"]
    assert "OSError: cannot reach" in third["exception"]
    text = "\n".join(lines)
    assert TOKEN not in text and SECRET not in text and "webhook-secret-value" not in text


def test_text_logs_stay_as_they_were(root_restored, capsys):
    from bot.ops.logging import setup

    setup("INFO", "text", (TOKEN,))
    logging.getLogger("stay_safe").info("sessions are kept in Redis", extra={"kind": "x"})
    err = capsys.readouterr().err
    assert err.rstrip().endswith(" INFO stay_safe: sessions are kept in Redis")
