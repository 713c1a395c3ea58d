"""Logging setup: one place, with a filter that masks personal data and the bot token."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sized

from telegram import TelegramObject, Update

from workflow.redaction import redact_for_log

_TOKEN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{20,}")


def _clean(text: str, limit: int) -> str:
    # The token first: masking digits would hide the pattern that finds it.
    return redact_for_log(_TOKEN.sub("<token>", text), limit=limit)


class _Withheld:
    """Stands in for Bot API data in a PTB log record (for %s and %r alike)."""

    def __init__(self, value: object) -> None:
        size = f" of {len(value)}" if isinstance(value, Sized) else ""
        name = type(value).__name__ + (f" {value.update_id}" if isinstance(value, Update) else "")
        self.text = f"<{name}{size} withheld>"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _shield(value: object) -> object:
    """Bot API data (updates, a call's parameters or result, decoded or not) withheld: it may
    quote a citizen's whole message, name included. A list of update ids is kept."""
    if isinstance(value, dict | TelegramObject) or (
        isinstance(value, list | tuple) and not all(isinstance(i, int) for i in value)
    ):
        return _Withheld(value)
    return value


def _withhold_api_data(record: logging.LogRecord) -> None:
    if isinstance(record.args, Mapping):  # a lone dict argument, unpacked by LogRecord
        whole = "%(" not in str(record.msg)
        args = record.args
        record.args = (_Withheld(args),) if whole else {k: _shield(v) for k, v in args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_shield(a) for a in record.args)


class RedactionFilter(logging.Filter):
    """Mask phone/ID numbers and bot tokens in every record before it is written, its
    traceback included (a database error quotes the row it failed to write). PTB's records
    (loggers "telegram.*") leave out the Bot API data they carry: PTB logs a getUpdates batch
    it cannot decode and an update it cannot build a context for at CRITICAL, every call's
    parameters and result at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] == "telegram":
            _withhold_api_data(record)
        message = record.getMessage()
        cleaned = _clean(message, 2000)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            trace = logging.Formatter().formatException(record.exc_info)
            record.exc_text = _clean(trace, 20000)
            record.exc_info = None  # the formatter would print the raw traceback again
        elif record.exc_text:
            record.exc_text = _clean(record.exc_text, 20000)
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactionFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # PTB request URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
