"""The token never reaches a log line: message, arguments, traceback or stack."""

from __future__ import annotations

import io
import logging

import pytest

from bot.ops.logging import hide_token

TOKEN = "123456789:TEST_token_abcdefghijklmnopqrstuvwxyz_0123"
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
