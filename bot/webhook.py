"""The bot's own HTTP server (aiohttp, on PTB's event loop): /telegram for webhook updates,
/healthz for probes. Updates are stored in the inbox before we answer 200, so Telegram
re-delivers anything we did not store.
"""

from __future__ import annotations

import hmac
import json
import logging

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
    try:
        payload = await request.json()
    except json.JSONDecodeError:
        return web.Response(status=400, text="body is not JSON")
    if not isinstance(payload, dict) or "update_id" not in payload:
        return web.Response(status=400, text="not a Telegram update")
    await store_and_enqueue(runtime.app, runtime.services.db, payload)
    return web.Response(text="ok")


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
