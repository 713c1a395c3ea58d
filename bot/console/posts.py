"""The channel posts page: every post proposed in the operators' group, its tier, state and
stamp (read-only: posts are signed on their card in the group, like replies)."""

from __future__ import annotations

from aiohttp import web

from bot.console.context import render, run
from workflow import posts


async def posts_page(request: web.Request) -> web.StreamResponse:
    views = await run(request, posts.list_posts)
    return render("posts.html", request, {"views": views})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/posts", posts_page, name="posts")
