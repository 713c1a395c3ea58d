"""The web console: an aiohttp sub-app mounted at /console on the bot's own HTTP server.

Pages: dashboard, Q&A base (search, list, edit with versions and sign-off, import/export),
review queue (through the same `Desk` as the Telegram buttons), cases (through the same
`workflow.cases` functions as the case card buttons), gap report, assessment figures.
Server-rendered with aiohttp-jinja2; static files are local (no CDN), and every response
carries a strict Content-Security-Policy (bot.console.headers).

    web_app.add_subapp("/console", build_console(runtime))
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import (
    auth,
    cases,
    dashboard,
    gaps,
    headers,
    index_jobs,
    kb,
    kb_files,
    posts,
    report,
    review_queue,
)
from bot.console.context import RUNTIME
from bot.runtime import Runtime
from workflow.calendar import LOCAL_TZ

HERE = Path(__file__).parent


def build_console(runtime: Runtime) -> web.Application:
    """The console sub-app for a running desk."""
    settings = runtime.services.settings
    signer = auth.Signer(auth.console_secret(settings))
    runner = runtime.services.db.run
    app = web.Application(middlewares=[auth.make_guard(signer, runner)])  # type: ignore[list-item]
    app[RUNTIME] = runtime
    headers.setup(app)  # CSP, frame-ancestors, Referrer-Policy on every response
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.0f}%"
    env.filters["mins"] = _minutes
    env.filters["when"] = _when
    app.router.add_static("/static", HERE / "static", name="static")
    auth.setup_routes(app, signer, settings, runner)
    dashboard.setup_routes(app)
    kb.setup_routes(app)
    kb_files.setup_routes(app)
    index_jobs.setup_routes(app)
    review_queue.setup_routes(app)
    cases.setup_routes(app)
    posts.setup_routes(app)
    gaps.setup_routes(app)
    report.setup_routes(app)
    return app


def _when(value: datetime | None) -> str:
    """A stored (UTC) time as local time, to the minute."""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.0f} 分钟"
    return f"{value / 60:.1f} 小时"


__all__ = ["RUNTIME", "build_console"]
