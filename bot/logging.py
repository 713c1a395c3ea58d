"""Logging setup: one place, with a filter that masks personal data and the bot token."""

from __future__ import annotations

import logging
import re

from workflow.redaction import redact_for_log

_TOKEN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{20,}")


class RedactionFilter(logging.Filter):
    """Mask phone/ID numbers and bot tokens in every record before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # The token first: masking digits would hide the pattern that finds it.
        cleaned = redact_for_log(_TOKEN.sub("<token>", message), limit=2000)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
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
