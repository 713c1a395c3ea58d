"""The dashboard page: traffic by label, answered share, reply and sign-off times, SLA
breaches, operator workload, entries about to expire, top unanswered clusters, and how
often the account itself publishes (RULES §7), today's hot topics (RULES §5)."""

from __future__ import annotations

from aiohttp import web

from bot.console import charts, texts
from bot.console.context import render, run, services_of
from bot.console.gaps import clusters_for
from knowledge_base.sqltypes import utcnow
from workflow import hot_topics
from workflow.activity import summary
from workflow.stats import dashboard


async def dashboard_page(request: web.Request) -> web.StreamResponse:
    board = await run(request, dashboard)
    posts = await run(request, summary)
    topics = await run(request, hot_topics.announced)
    limit = services_of(request).settings.update_every_days
    silent = (utcnow() - posts.last_post).days if posts.last_post else None
    clusters = (await clusters_for(request))[:5]
    workload = sorted(board.workload.items(), key=lambda kv: -sum(kv[1].values()))
    return render(
        "dashboard.html",
        request,
        {
            "board": board,
            "traffic": charts.stacked_days(board.days, board.per_day, board.labels, texts.LABEL),
            "workload": workload,
            "workload_chart": charts.bars([(name, sum(c.values())) for name, c in workload]),
            "clusters": clusters,
            "posts": posts,
            "topics": topics,
            "posts_silent": silent,
            "posts_overdue": bool(limit) and (silent is None or silent >= limit),
        },
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard_page, name="dashboard")
