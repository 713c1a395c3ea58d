"""Logs never carry citizens' personal data or the bot token."""

from __future__ import annotations

import logging

import pytest

from bot.logging import RedactionFilter


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("govreply.test", logging.INFO, __file__, 1, message, args, None)


def test_phone_and_id_numbers_are_masked_in_log_records() -> None:
    record = _record("message from %s: %s", "李", "电话13812345678 身份证439901199207181537")
    assert RedactionFilter().filter(record)
    text = record.getMessage()
    assert "13812345678" not in text
    assert "439901199207181537" not in text
    assert "李" in text


def test_bot_token_in_a_url_is_masked() -> None:
    record = _record(
        "POST https://api.telegram.org/bot123456789:AAH3kd93KdlQ0xZ-abcdefghijklmn/getMe"
    )
    RedactionFilter().filter(record)
    assert "AAH3kd93KdlQ0xZ" not in record.getMessage()


def test_plain_records_pass_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    record = _record("draft %s approved by %s", 12, 1001)
    RedactionFilter().filter(record)
    assert record.getMessage() == "draft 12 approved by 1001"
