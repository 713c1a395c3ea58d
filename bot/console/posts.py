"""The channel posts page: every post proposed in the operators' group, its tier, state and
stamp, and for a pending one the same signature and rejection as its card in the group
(`workflow.posts`: same rules, same audit, the card refreshed).

    GET  /posts                              the list, newest first
    POST /posts/{post_id}/{approve|reject}   sign (with the override reason when a check
                                             fails) or reject with a reason
    POST /posts/{post_id}/edit               new text for a pending post (signatures void)
    POST /posts/{post_id}/correct            propose a correction of a published post
    POST /posts/{post_id}/withdraw           stop a scheduled post, or take a published one
                                             down
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.console import texts
from bot.console.context import render, run, see_other, services_of, user_id, wake_delivery
from workflow import posts
from workflow.errors import GovReplyError

logger = logging.getLogger(__name__)


async def posts_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    views = await run(request, posts.list_posts)
    ok = request.query.get("ok")
    return render(
        "posts.html",
        request,
        {
            "views": views,
            "error": error,
            "ok": texts.ok_notice(ok),
        },
        status=status,
    )


async def post_action(request: web.Request) -> web.StreamResponse:
    post_id = int(request.match_info["post_id"])
    action = request.match_info["action"]
    form = await request.post()
    uid = user_id(request)
    version_raw = str(form.get("version", ""))
    version = int(version_raw) if version_raw.isdigit() else None
    try:
        if action == "approve":
            override = str(form.get("override", "")).strip() or None
            _post, done = await run(request, posts.approve, post_id, uid, version, override)
            ok = "post_signed_final" if done else "post_signed"
        elif action == "edit":
            text = str(form.get("text", "")).strip()
            await services_of(request).desk.edit_post(post_id, uid, text)
            ok = "post_edited"
        elif action == "correct":
            text = str(form.get("text", "")).strip()
            await services_of(request).desk.propose_post_correction(post_id, uid, text)
            ok = "post_correction_proposed"
        elif action == "withdraw":  # a scheduled post before it is due, or a published one
            reason = str(form.get("reason", ""))
            post = await run(request, posts.withdraw, post_id, uid, reason)
            ok = "post_taken_down" if post.withdrawn_at else "post_withdrawn"
        else:
            reason = str(form.get("reason", ""))
            await run(request, posts.reject, post_id, uid, reason, version)
            ok = "post_rejected"
    except GovReplyError as exc:
        logger.info("console post action refused: post=%s user=%s %s", post_id, uid, type(exc))
        status = 403 if texts.status_for(exc) == 403 else 409
        return await posts_page(request, f"稿件 #{post_id}：{texts.error_text(exc)}", status)
    finally:
        wake_delivery(request)
    return see_other(request.app.router["posts"].url_for().with_query(ok=ok))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/posts", posts_page, name="posts")
    app.router.add_post(
        "/posts/{post_id:\\d+}/{action:approve|reject|edit|correct|withdraw}",
        post_action,
        name="post_action",
    )
