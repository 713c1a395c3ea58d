"""The gap report page: unanswered messages clustered by meaning, with one-step fixes
(a new Q&A entry from a cluster, or the messages as variants of an existing entry)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.console import texts
from bot.console.context import OPERATOR, reindex, render, run, see_other, services_of, user_id
from knowledge_base import store
from knowledge_base.similarity import for_model
from workflow import gaps, kb_changes
from workflow.errors import GovReplyError, NotAuthorised


async def clusters_for(request: web.Request) -> list[gaps.Cluster]:
    """Cluster the current gap messages with the matcher's own embedding model."""
    messages = await run(request, gaps.gap_messages)
    similarity = for_model(services_of(request).matcher.model)
    return await asyncio.to_thread(gaps.cluster, messages, similarity)


async def gaps_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    clusters = await clusters_for(request)
    entries = await run(request, store.list_entries)
    ok = request.query.get("ok")
    return render(
        "gaps.html",
        request,
        {
            "clusters": clusters,
            "entries": entries,
            "error": error,
            "ok": texts.ok_notice(ok, role="分管负责人/主要负责人"),
            "can_curate": request[OPERATOR].role in kb_changes.CURATORS,
        },
        status=status,
    )


async def add_variants(request: web.Request) -> web.StreamResponse:
    """Add the cluster's messages (de-identified) as variants of an existing entry."""
    form = await request.post()
    entry_id = str(form.get("entry_id", ""))
    chosen = [str(v).strip() for v in form.getall("variant", []) if str(v).strip()]
    try:
        entry = await run(request, store.get_entry, entry_id)
        variants = list(entry.variants) + [v for v in chosen if v not in entry.variants]
        reason = str(form.get("reason", "")) or "缺口报告：补充相似问法"
        result = await run(
            request,
            kb_changes.save_entry,
            user_id(request),
            entry_id,
            {"variants": variants},
            reason,
        )
    except NotAuthorised as exc:
        return await gaps_page(request, texts.error_text(exc), 403)
    except GovReplyError as exc:
        return await gaps_page(request, texts.error_text(exc), 400)
    if result.applied:
        await reindex(request)
    url = (
        request.app.router["kb_entry"]
        .url_for(entry_id=entry_id)
        .with_query(ok="saved" if result.applied else "pending")
    )
    return see_other(url)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/gaps", gaps_page, name="gaps")
    app.router.add_post("/gaps/variants", add_variants, name="gaps_variants")
