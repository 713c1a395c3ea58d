"""Scripted failures (429, 5xx, dropped connections, slow answers) and optional rate limits."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass

from .params import ApiError
from .world import SimChat

_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Time-out"}  # fmt: skip


def nginx_page(status: int) -> str:
    """The HTML page nginx in front of api.telegram.org answers when its backend fails."""
    title = f"{status} {_REASONS.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


@dataclass
class Fault:
    """One scripted failure for the next call(s) of a method.

    A consumed fault does not perform the method, unless `perform` is set on a delay fault
    (the message is delivered but the answer comes too late: the classic duplicate-send trap).
    """

    status: int | None = None
    retry_after: int | None = None
    drop: bool = False
    delay: float | None = None
    description: str | None = None
    perform: bool = False
    times: int = 1

    @property
    def label(self) -> str:
        if self.drop:
            return "drop"
        if self.delay is not None:
            return "delay"
        return str(self.status)

    def api_error(self) -> ApiError | None:
        """The Bot API JSON error to answer with, or None for an HTML/transport fault."""
        if self.status is None or (self.status in _REASONS and not self.description):
            return None
        if self.status == 429:
            after = self.retry_after if self.retry_after is not None else 1
            return ApiError(429, f"Too Many Requests: retry after {after}", retry_after=after)
        return ApiError(self.status, self.description or f"Error {self.status}")


class FaultBook:
    """Scripted faults per method name, consumed first in, first out."""

    def __init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)

    def add(self, method: str, fault: Fault) -> None:
        self._faults[method.lower()].append(fault)

    def take(self, method: str) -> Fault | None:
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        return fault

    def pending(self) -> dict[str, int]:
        """Faults not yet consumed, by method: a test may assert they all fired."""
        return {m: sum(f.times for f in q) for m, q in self._faults.items() if q}


SENDING_METHODS = frozenset({"sendmessage", "senddocument", "copymessage", "forwardmessage"})


class RateLimiter:
    """Telegram's documented limits: 1 message/s per private chat, 20/min per group."""

    def __init__(self) -> None:
        self.enabled = False
        self._sent: dict[int, deque[float]] = defaultdict(deque)

    def check(self, method: str, chat: SimChat | None) -> None:
        """Count one send to `chat`.

        Raises:
            ApiError: 429 with retry_after when the chat's limit is exceeded.
        """
        if not self.enabled or chat is None or method.lower() not in SENDING_METHODS:
            return
        window, limit = (1.0, 1) if chat.is_private else (60.0, 20)
        now = time.monotonic()
        sent = self._sent[chat.id]
        while sent and now - sent[0] >= window:
            sent.popleft()
        if len(sent) >= limit:
            after = max(1, int(window - (now - sent[0]) + 0.999))
            raise ApiError(429, f"Too Many Requests: retry after {after}", retry_after=after)
        sent.append(now)
