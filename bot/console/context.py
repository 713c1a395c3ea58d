"""What every console page reaches for: the running desk, reindexing, waking the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.runtime import Runtime
from bot.services import Services, sync_index

RUNTIME: web.AppKey[Runtime] = web.AppKey("console_runtime", Runtime)


def services_of(request: web.Request) -> Services:
    return request.app[RUNTIME].services


async def run(request: web.Request, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Run a domain function in one transaction off the event loop."""
    return await services_of(request).db.run(fn, *args, **kwargs)


async def reindex(request: web.Request) -> int:
    """Make the matcher hold exactly the live entries (only changed texts are embedded)."""
    services = services_of(request)
    return await asyncio.to_thread(sync_index, services.db, services.matcher)


def wake_delivery(request: web.Request) -> None:
    """Tell the outbox worker there is work (a published reply, a refreshed card)."""
    request.app[RUNTIME].delivery.wake()


def user_id(request: web.Request) -> int:
    return int(request[OPERATOR].telegram_id)


OPERATOR: web.RequestKey[Any] = web.RequestKey("console_operator", object)
SESSION_ID: web.RequestKey[str] = web.RequestKey("console_session_id", str)
CSRF: web.RequestKey[str] = web.RequestKey("console_csrf", str)


def render(
    template: str, request: web.Request, context: dict[str, Any], status: int = 200
) -> web.Response:
    """Render a page with what every page shows (operator, CSRF token, texts)."""
    import aiohttp_jinja2

    from bot.console import texts

    base = {
        "operator": request.get(OPERATOR),
        "csrf": request.get(CSRF, ""),
        "T": texts,
        "path": request.path,
    }
    return aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)


def see_other(url: Any) -> web.Response:
    """303 to `url` (after a POST), as a plain response so cookies can be set on it."""
    return web.Response(status=303, headers={"Location": str(url)})
