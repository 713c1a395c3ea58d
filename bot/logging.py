"""Logging setup: one place, with a filter that masks personal data and the bot token."""

from __future__ import annotations

import logging
import re

from workflow.redaction import redact_for_log

_TOKEN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{20,}")


def _clean(text: str, limit: int) -> str:
    # The token first: masking digits would hide the pattern that finds it.
    return redact_for_log(_TOKEN.sub("<token>", text), limit=limit)


class RedactionFilter(logging.Filter):
    """Mask phone/ID numbers and bot tokens in every record before it is written, its
    traceback included (a database error quotes the row it failed to write)."""

    def filter(self, record: logging.LogRecord) -> bool:
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
