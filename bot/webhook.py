"""The bot's own HTTP server (aiohttp, on PTB's event loop): /telegram for webhook updates,
/healthz for probes. Updates are stored in the inbox before we answer 200, so Telegram
re-delivers anything we did not store.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from bot.console import build_console
from bot.polling import store_and_enqueue
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


async def on_telegram(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    secret = runtime.services.settings.webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(given, secret.get_secret_value()):
        logger.warning("webhook request with a wrong secret token refused")
        return web.Response(status=403)
    payload = read_update(await request.read())
    if payload is None:
        # Telegram sends UTF-8 JSON objects with an integer update_id: anything else is not
        # from Telegram (or is broken); 400, never 500, and nothing stored.
        logger.warning("webhook body is not a Telegram update: refused")
        return web.Response(status=400, text="not a Telegram update")
    # Stored first; one that cannot be decoded as an Update is quarantined there, and the 200
    # stops Telegram from sending it again and again.
    await store_and_enqueue(runtime.app, runtime.services.db, payload)
    return web.Response(text="ok")


MAX_UPDATE_ID = 2**63 - 1  # the inbox keys updates by a BIGINT


def read_update(body: bytes) -> dict[str, Any] | None:
    """The JSON object a webhook body holds, or None unless it is UTF-8 JSON with an integer
    update_id. Strict, as Telegram writes it and the database stores it: no NaN or infinite
    numbers (PostgreSQL refuses them in JSON), no unpaired surrogate escapes (not text)."""
    try:
        payload = json.loads(
            body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite
        )
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return None
    if not isinstance(payload, dict):
        return None
    update_id = payload.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        return None
    if not 0 <= update_id <= MAX_UPDATE_ID:
        return None
    return payload


def _refuse_constant(name: str) -> float:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        msg = f"{text} is out of range"
        raise ValueError(msg)
    return value


async def on_healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    from sqlalchemy import text

    def ping(session):  # type: ignore[no-untyped-def]
        return session.exec(text("SELECT 1")).one()[0]

    await runtime.services.db.run(ping)
    return web.json_response({"ok": True, "entries": len(runtime.services.matcher)})


class AccessLogger(AbstractAccessLogger):
    """Method, path, status and time: no query string or Referer, because a console login
    link carries its one-time token in the query (RULES §7: secure accounts)."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.3fs",
            request.remote,
            request.method,
            request.path,
            response.status,
            time,
        )


def make_runner(web_app: web.Application) -> web.AppRunner:
    """The HTTP server's runner, with the access log that keeps login tokens out."""
    return web.AppRunner(web_app, access_log_class=AccessLogger)


# The console's Q&A import takes files up to 10 MB (aiohttp's default body limit is 1 MB).
MAX_REQUEST_BYTES = 12 * 1024 * 1024


def build_web_app(runtime: Runtime) -> web.Application:
    web_app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    web_app[RUNTIME_KEY] = runtime
    web_app.router.add_post("/telegram", on_telegram)
    web_app.router.add_get("/healthz", on_healthz)
    web_app.add_subapp("/console", build_console(runtime))
    return web_app
