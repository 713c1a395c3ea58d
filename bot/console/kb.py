"""Q&A base pages: search (the bot's own retrieval), list with filters, create, edit (new
version, reason required, sign-off for important/major), retire/restore (the same sign-off),
versions and diff, pending changes for deputy heads and heads."""

from __future__ import annotations

import asyncio
import difflib
from datetime import date, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.console import texts
from bot.console.context import OPERATOR, reindex, render, run, see_other, services_of, user_id
from knowledge_base import store
from knowledge_base.io import CONTENT_FIELDS
from knowledge_base.models import KBEntry
from knowledge_base.sqltypes import local_today
from workflow import kb_changes
from workflow.errors import GovReplyError
from workflow.models import Role
from workflow.review import can_give

VALIDITY = {
    "live": "有效",
    "expiring": "一周内到期",
    "expired": "已过期",
    "future": "未生效",
    "retired": "已停用",
}
EDITABLE = CONTENT_FIELDS


def validity(entry: KBEntry, today: date | None = None) -> str:
    """retired / expired (never matched) / future / expiring (warn a week ahead) / live."""
    today = today or local_today()
    if entry.retired:
        return "retired"
    if entry.valid_until is not None and entry.valid_until < today:
        return "expired"
    if entry.valid_from is not None and entry.valid_from > today:
        return "future"
    if entry.valid_until is not None and entry.valid_until <= today + timedelta(days=7):
        return "expiring"
    return "live"


def form_fields(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """Entry fields from a console form (variants one per line, dates may be empty)."""
    fields: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in form:
            continue
        value = str(form.get(name, "")).strip()
        if name == "variants":
            fields[name] = [v.strip() for v in value.splitlines() if v.strip()]
        elif name in ("valid_from", "valid_until"):
            fields[name] = value or None
        else:
            fields[name] = value
    return fields


def can_curate(op: Any) -> bool:
    return op.role in kb_changes.CURATORS


def _redirect(
    request: web.Request, route: str, ok: str | None = None, **parts: str
) -> web.Response:
    url = request.app.router[route].url_for(**parts)
    if ok:
        url = url.with_query(ok=ok)
    return see_other(url)


async def kb_list(request: web.Request) -> web.StreamResponse:
    q = request.query
    entries: list[KBEntry] = await run(request, store.list_entries, include_retired=True)
    today = local_today()
    rows = [(e, validity(e, today)) for e in entries]
    want = {k: q.get(k, "") for k in ("category", "department", "sensitivity", "validity")}
    text = q.get("q", "").strip()
    rows = [
        (e, v)
        for e, v in rows
        if (not want["category"] or e.category == want["category"])
        and (not want["department"] or e.department == want["department"])
        and (not want["sensitivity"] or str(e.sensitivity) == want["sensitivity"])
        and (not want["validity"] or v == want["validity"])
        and (not text or text in e.id or text in e.question or text in e.answer)
    ]
    pending = await run(request, kb_changes.pending_changes)
    return render(
        "kb_list.html",
        request,
        {
            "rows": rows,
            "want": want,
            "q": text,
            "validity_names": VALIDITY,
            "categories": sorted({e.category for e in entries if e.category}),
            "departments": sorted({e.department for e in entries if e.department}),
            "expiring": [
                e for e, v in ((e, validity(e, today)) for e in entries) if v == "expiring"
            ],
            "pending": pending,
            "can_curate": can_curate(request[OPERATOR]),
        },
    )


async def kb_search(request: web.Request) -> web.StreamResponse:
    text = request.query.get("q", "").strip()
    result = None
    if text:
        matcher = services_of(request).matcher
        result = await asyncio.to_thread(matcher.search, text, 5)
    return render(
        "kb_search.html",
        request,
        {
            "q": text,
            "result": result,
            "threshold": services_of(request).matcher.threshold,
        },
    )


async def kb_entry(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    try:
        entry = await run(request, store.get_entry, entry_id)
    except GovReplyError:
        raise web.HTTPNotFound(text=f"没有条目 {entry_id}") from None
    versions = await run(request, store.versions, entry_id)
    changes = await run(request, kb_changes.changes_for, entry_id)
    ok = request.query.get("ok")
    return render(
        "kb_entry.html",
        request,
        {
            "entry": entry,
            "versions": list(reversed(versions)),
            "changes": changes,
            "state": validity(entry),
            "validity_names": VALIDITY,
            "error": error,
            "ok": texts.ok_notice(ok, role="分管负责人/主要负责人"),
            "can_curate": can_curate(request[OPERATOR]),
            "needed": kb_changes.needed_role(str(entry.sensitivity)),
        },
        status=status,
    )


# The new-entry form's fields before anything is typed (the page shows every one of them).
BLANK_ENTRY: dict[str, Any] = {
    "id": "",
    "question": "",
    "variants": [],
    "answer": "",
    "category": "",
    "department": "",
    "sensitivity": "ordinary",
    "valid_from": None,
    "valid_until": None,
}


async def kb_new(request: web.Request) -> web.StreamResponse:
    q = request.query
    prefill = {
        **BLANK_ENTRY,
        "question": q.get("question", ""),
        "variants": q.getall("variant", []),
        "category": q.get("category", ""),
        "id": q.get("id", ""),
    }
    return render("kb_new.html", request, {"entry": prefill, "error": None})


async def kb_create(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = form_fields(form)
    entry_id = str(form.get("id", "")).strip()
    reason = str(form.get("reason", ""))
    try:
        if not entry_id:
            from workflow.errors import ImportFailed

            raise ImportFailed("console", 1, "id", "is missing or empty", code="missing")
        result = await run(
            request, kb_changes.save_entry, user_id(request), entry_id, fields, reason, create=True
        )
    except GovReplyError as exc:
        # Shown again as posted: a hand-made form may lack any field (400 in words, not 500).
        entry = {**BLANK_ENTRY, **fields, "id": entry_id}
        return render(
            "kb_new.html",
            request,
            {"entry": entry, "error": texts.error_text(exc), "reason": reason},
            status=texts.status_for(exc),
        )
    if result.applied:
        await reindex(request)
        return _redirect(request, "kb_entry", "saved", entry_id=entry_id)
    return _redirect(request, "kb_changes", "pending")


async def kb_edit(request: web.Request) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    form = await request.post()
    seen = str(form.get("version", ""))
    try:
        result = await run(
            request,
            kb_changes.save_entry,
            user_id(request),
            entry_id,
            form_fields(form),
            str(form.get("reason", "")),
            expected_version=int(seen) if seen.isdigit() else None,
        )
    except GovReplyError as exc:
        return await kb_entry(request, texts.error_text(exc), texts.status_for(exc))
    if result.applied:
        await reindex(request)
        return _redirect(request, "kb_entry", "saved", entry_id=entry_id)
    return _redirect(request, "kb_entry", "pending", entry_id=entry_id)


async def kb_retire(request: web.Request) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    retire = request.match_info["action"] == "retire"
    form = await request.post()
    try:
        result = await run(
            request,
            kb_changes.set_retired,
            user_id(request),
            entry_id,
            retire,
            str(form.get("reason", "")),
        )
    except GovReplyError as exc:
        return await kb_entry(request, texts.error_text(exc), texts.status_for(exc))
    if not result.applied:  # an important/major entry: waits for the signer it needs
        return _redirect(request, "kb_entry", "pending", entry_id=entry_id)
    await reindex(request)
    return _redirect(request, "kb_entry", "retired" if retire else "restored", entry_id=entry_id)


def field_diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Per changed field, the old and new text split into (op, text) segments."""
    out = []
    for name in (
        "question",
        "variants",
        "answer",
        "category",
        "department",
        "sensitivity",
        "valid_from",
        "valid_until",
        "retired",
    ):
        a, b = _as_text(old.get(name)), _as_text(new.get(name))
        if a == b:
            continue
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        left, right = [], []
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                left.append(("eq", a[i1:i2]))
                right.append(("eq", b[j1:j2]))
                continue
            if i2 > i1:
                left.append(("del", a[i1:i2]))
            if j2 > j1:
                right.append(("ins", b[j1:j2]))
        out.append(
            {
                "field": texts.FIELD.get(name, "停用" if name == "retired" else name),
                "left": left,
                "right": right,
            }
        )
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


async def kb_diff(request: web.Request) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    versions = {v.version: v for v in await run(request, store.versions, entry_id)}
    if not versions:
        raise web.HTTPNotFound(text=f"没有条目 {entry_id}")
    newest = max(versions)
    try:
        b = int(request.query.get("b", newest))
        a = int(request.query.get("a", b - 1))
    except ValueError:
        raise web.HTTPBadRequest(text="版本号必须是数字") from None
    if a not in versions or b not in versions:
        raise web.HTTPNotFound(text="没有该版本")
    return render(
        "kb_diff.html",
        request,
        {
            "entry_id": entry_id,
            "a": versions[a],
            "b": versions[b],
            "diff": field_diff(versions[a].snapshot, versions[b].snapshot),
            "numbers": sorted(versions),
        },
    )


async def kb_changes_page(request: web.Request) -> web.StreamResponse:
    op = request[OPERATOR]
    pending = await run(request, kb_changes.pending_changes)
    ok = request.query.get("ok")
    return render(
        "kb_changes.html",
        request,
        {
            "pending": pending,
            "can_sign": {
                c.id: can_give(op.role, c.needed_role) and c.proposed_by != op.telegram_id
                for c in pending
            },
            "ok": texts.ok_notice(ok, role="分管负责人/主要负责人"),
            "error": None,
        },
    )


async def kb_change_decide(request: web.Request) -> web.StreamResponse:
    change_id = int(request.match_info["change_id"])
    action = request.match_info["action"]
    form = await request.post()
    try:
        if action == "approve":
            await run(request, kb_changes.approve_change, change_id, user_id(request))
            await reindex(request)
        else:
            await run(
                request,
                kb_changes.reject_change,
                change_id,
                user_id(request),
                str(form.get("note", "")),
            )
    except GovReplyError as exc:
        pending = await run(request, kb_changes.pending_changes)
        return render(
            "kb_changes.html",
            request,
            {
                "pending": pending,
                "can_sign": {},
                "ok": None,
                "error": texts.error_text(exc),
            },
            status=texts.status_for(exc),
        )
    ok = "change_approved" if action == "approve" else "change_rejected"
    return _redirect(request, "kb_changes", ok)


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/kb", kb_list, name="kb_list")
    r.add_get("/kb/search", kb_search, name="kb_search")
    r.add_get("/kb/new", kb_new, name="kb_new")
    r.add_post("/kb/new", kb_create, name="kb_create")
    r.add_get("/kb/changes", kb_changes_page, name="kb_changes")
    r.add_post(
        "/kb/changes/{change_id:\\d+}/{action:approve|reject}",
        kb_change_decide,
        name="kb_change_decide",
    )
    r.add_get("/kb/entry/{entry_id}", kb_entry, name="kb_entry")
    r.add_post("/kb/entry/{entry_id}/edit", kb_edit, name="kb_edit")
    r.add_post("/kb/entry/{entry_id}/{action:retire|restore}", kb_retire, name="kb_retire")
    r.add_get("/kb/entry/{entry_id}/diff", kb_diff, name="kb_diff")


__all__ = ["Role", "setup_routes", "validity"]
