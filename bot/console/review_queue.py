"""The review queue page: the same pending drafts the group sees, worked through the same
`Desk` methods as the Telegram buttons (one workflow, two front ends: same rules, same audit);
and the published replies page, with 更正 and 撤回 as on a published reply's card.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.console import texts
from bot.console.context import render, run, see_other, services_of, user_id, wake_delivery
from workflow.desk_queue import pending_views
from workflow.errors import ComplianceBlocked, GovReplyError
from workflow.views import recent_published

logger = logging.getLogger(__name__)


async def queue_page(
    request: web.Request, error: str | None = None, status: int = 200, blocked: int | None = None
) -> web.StreamResponse:
    q = request.query
    want = {k: q.get(k, "") for k in ("tier", "label", "kind")}
    views = await run(request, pending_views, **want)
    ok = q.get("ok")
    return render(
        "queue.html",
        request,
        {
            "views": views,
            "want": want,
            "error": error,
            "blocked": blocked,
            "ok": texts.ok_notice(ok),
        },
        status=status,
    )


async def queue_action(request: web.Request) -> web.StreamResponse:
    draft_id = int(request.match_info["draft_id"])
    action = request.match_info["action"]
    form = await request.post()
    desk = services_of(request).desk
    uid = user_id(request)
    version_raw = str(form.get("version", ""))
    version = int(version_raw) if version_raw.isdigit() else None
    try:
        if action == "approve":
            override = str(form.get("override", "")).strip() or None
            outcome = await desk.approve(draft_id, uid, version, override)
            ok = "approved_final" if outcome.completed else "approved"
        elif action == "reject":
            await desk.reject(draft_id, uid, str(form.get("reason", "")).strip())
            ok = "rejected"
        elif action == "edit":
            await desk.edit(draft_id, uid, str(form.get("text", "")).strip())
            ok = "edited"
        else:
            await desk.choose(draft_id, uid, str(form.get("entry_id", "")), version)
            ok = "chosen"
    except ComplianceBlocked as exc:
        return await queue_page(request, texts.error_text(exc), 409, blocked=exc.draft_id)
    except GovReplyError as exc:
        logger.info("console action refused: draft=%s user=%s %s", draft_id, uid, type(exc))
        status = 403 if texts.status_for(exc) == 403 else 409
        return await queue_page(request, f"草稿 #{draft_id}：{texts.error_text(exc)}", status)
    finally:
        wake_delivery(request)
    url = request.app.router["queue"].url_for().with_query(ok=ok)
    return see_other(url)


async def published_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    """Recent published replies, each with 更正 and 撤回 as on its card in the group."""
    views = await run(request, recent_published)
    ok = request.query.get("ok")
    return render(
        "published.html",
        request,
        {
            "views": views,
            "error": error,
            "ok": texts.ok_notice(ok, id=request.query.get("id", "")),
        },
        status=status,
    )


async def published_action(request: web.Request) -> web.StreamResponse:
    draft_id = int(request.match_info["draft_id"])
    action = request.match_info["action"]
    form = await request.post()
    desk = services_of(request).desk
    uid = user_id(request)
    try:
        if action == "correct":
            correction = await desk.propose_correction(
                draft_id, uid, str(form.get("text", "")).strip()
            )
            ok, query = "correction_proposed", {"id": str(correction.id)}
        else:
            await desk.withdraw_reply(draft_id, uid, str(form.get("reason", "")).strip())
            ok, query = "reply_withdrawn", {}
    except GovReplyError as exc:
        logger.info("console reply action refused: draft=%s user=%s %s", draft_id, uid, type(exc))
        status = 403 if texts.status_for(exc) == 403 else 409
        return await published_page(request, f"草稿 #{draft_id}：{texts.error_text(exc)}", status)
    finally:
        wake_delivery(request)
    url = request.app.router["published"].url_for().with_query(ok=ok, **query)
    return see_other(url)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/queue", queue_page, name="queue")
    app.router.add_get("/published", published_page, name="published")
    app.router.add_post(
        "/published/{draft_id:\\d+}/{action:correct|withdraw}",
        published_action,
        name="published_action",
    )
    app.router.add_post(
        "/queue/{draft_id:\\d+}/{action:approve|reject|edit|choose}",
        queue_action,
        name="queue_action",
    )
