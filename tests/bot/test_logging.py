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


def test_a_traceback_is_masked_too() -> None:
    """An exception's text (a database error quotes the row it failed to write) is masked
    like the message: the handler prints the traceback after the filter ran."""
    import sys

    try:
        raise ValueError("insert failed: 电话13812345678 身份证439901199207181537")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "govreply.test", logging.ERROR, __file__, 1, "storing failed", None, exc_info
    )
    assert RedactionFilter().filter(record)
    line = logging.Formatter("%(message)s").format(record)
    assert "storing failed" in line and "ValueError: insert failed" in line
    assert "13812345678" not in line and "439901199207181537" not in line


def test_database_errors_do_not_quote_the_row(tmp_path) -> None:  # noqa: ANN001
    """SQL parameters (a citizen's message) are left out of database errors."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from bot.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (1, 'a')"))
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1, :body)"), {"body": "我叫王小明 13812345678"})
    assert "13812345678" not in str(caught.value)
    engine.dispose()
