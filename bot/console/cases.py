"""The cases pages: the same cases the group's case cards show, worked through the same
`workflow.cases` functions as the Telegram buttons (same operator check, same history, same
audit, same card refresh in the group).

    GET  /cases                          list, filtered by status, kind and assignee
    GET  /cases/{ticket}                 one case: message (redacted), checklist, history
    POST /cases/{case_id}/{action}       assign | status | comment | tick | close
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from bot.console import texts
from bot.console.context import render, run, see_other, user_id, wake_delivery
from workflow import cases
from workflow.errors import GovReplyError, NotFound
from workflow.models import CaseKind, CaseStatus, ChecklistStep
from workflow.operators import list_operators

logger = logging.getLogger(__name__)

OPEN = "open_all"  # status filter: every case not closed (the default, like /cases open)
ALL = "all"
ACTIONS = "assign|status|comment|tick|close"
SETTABLE = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)


def _filters(request: web.Request) -> tuple[dict[str, str], dict[str, object]]:
    """The page's filter values and the `list_cases` arguments they mean (bad values: ignored)."""
    q = request.query
    want = {
        "status": q.get("status", OPEN),
        "kind": q.get("kind", ""),
        "assignee": q.get("assignee", ""),
    }
    args: dict[str, object] = {"limit": 200}
    if want["status"] == ALL:
        args["include_closed"] = True
    elif want["status"] in CaseStatus._value2member_map_:
        args["status"] = CaseStatus(want["status"])
    if want["kind"] in CaseKind._value2member_map_:
        args["kind"] = CaseKind(want["kind"])
    if want["assignee"] == "me":
        args["assignee_id"] = user_id(request)
    elif want["assignee"] == "none":
        args["assignee_id"] = cases.UNASSIGNED
    elif want["assignee"].isdigit():
        args["assignee_id"] = int(want["assignee"])
    return want, args


async def cases_page(request: web.Request) -> web.StreamResponse:
    want, args = _filters(request)
    views = await run(request, cases.list_cases, **args)
    operators = await run(request, list_operators)
    return render(
        "cases.html",
        request,
        {
            "views": views,
            "want": want,
            "operators": [op for op in operators if op.active],
            "OPEN": OPEN,
            "ALL": ALL,
        },
    )


async def case_page(
    request: web.Request, ticket: str | None = None, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    try:
        view = await run(
            request, cases.get_case, ticket or request.match_info["ticket"], events=500
        )
    except NotFound:
        raise web.HTTPNotFound(text="没有这个案件编号。", content_type="text/plain") from None
    ok = request.query.get("ok") if error is None else None
    return render(
        "case.html",
        request,
        {
            "v": view,
            "settable": [s for s in SETTABLE if s is not view.status],
            "error": error,
            "ok": texts.ok_notice(ok),
            "event_detail": texts.case_event_detail,
        },
        status=status,
    )


async def case_action(request: web.Request) -> web.StreamResponse:
    case_id = int(request.match_info["case_id"])
    action = request.match_info["action"]
    form = await request.post()
    uid = user_id(request)
    try:
        view = await run(request, cases.load_case, case_id)
    except NotFound:
        raise web.HTTPNotFound(text="没有这个案件。", content_type="text/plain") from None
    try:
        if action == "assign":
            await run(request, cases.assign, case_id, uid)
        elif action == "status":
            status = CaseStatus(_choice(form.get("status"), CaseStatus._value2member_map_))
            await run(request, cases.set_status, case_id, uid, status)
        elif action == "tick":
            step = ChecklistStep(_choice(form.get("step"), ChecklistStep._value2member_map_))
            await run(request, cases.tick_step, case_id, uid, step)
        elif action == "comment":
            await run(request, cases.comment, case_id, uid, str(form.get("text", "")))
        else:
            await run(request, cases.close, case_id, uid, str(form.get("outcome", "")))
    except GovReplyError as exc:
        logger.info("console case action refused: case=%s user=%s %s", case_id, uid, type(exc))
        code = 403 if texts.status_for(exc) == 403 else 409
        return await case_page(request, view.ticket, texts.error_text(exc), code)
    finally:
        wake_delivery(request)  # the group's case card is refreshed through the outbox
    ok = {"assign": "case_assigned", "status": "case_status", "tick": "case_ticked"}.get(
        action, "case_commented" if action == "comment" else "case_closed"
    )
    url = request.app.router["case"].url_for(ticket=view.ticket).with_query(ok=ok)
    return see_other(url)


def _choice(given: object, allowed: Mapping[str, object]) -> str:
    """A form value that must be one of `allowed` (a hand-made POST gets 400)."""
    value = str(given or "")
    if value not in allowed:
        raise web.HTTPBadRequest(text=f"无效的取值：{value}", content_type="text/plain")
    return value


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/cases", cases_page, name="cases")
    app.router.add_get("/cases/{ticket:[A-Za-z]+-\\d{4}-\\d+}", case_page, name="case")
    app.router.add_post(
        f"/cases/{{case_id:\\d+}}/{{action:{ACTIONS}}}", case_action, name="case_action"
    )
