"""Import (validation report, dry-run preview, then apply) and export of the Q&A base."""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.console import index_jobs, texts
from bot.console.context import OPERATOR, render, run, user_id
from knowledge_base import io as kb_io
from knowledge_base import store
from knowledge_base.models import KBEntry
from workflow import kb_changes
from workflow.errors import GovReplyError, ImportFailed, NotAuthorised

UPLOADS: web.AppKey[OrderedDict[str, tuple[str, bytes]]] = web.AppKey("uploads", OrderedDict)
MAX_UPLOADS = 20  # previews kept in memory until applied
MAX_BYTES = 10 * 1024 * 1024
FORMATS = ("jsonl", "csv", "xlsx")


def _preview_rows(session: Any, records: list[kb_io.EntryRecord]) -> list[dict[str, Any]]:
    """What applying would do to each row: new, updated (which fields), or unchanged."""
    rows = []
    for rec in records:
        entry = session.get(KBEntry, rec.id)
        if entry is None:
            action, fields = "new", []
        else:
            fields = [
                texts.FIELD.get(k, k)
                for k in kb_io.CONTENT_FIELDS
                if getattr(entry, k) != getattr(rec, k)
            ]
            action = "updated" if fields or entry.retired else "unchanged"
        needed = kb_changes.needed_role(
            str(entry.sensitivity) if entry else None, str(rec.sensitivity)
        )
        rows.append({"rec": rec, "action": action, "fields": fields, "needed": needed})
    return rows


async def import_page(request: web.Request) -> web.StreamResponse:
    return render("kb_import.html", request, {"stage": "upload"})


async def import_preview(request: web.Request) -> web.StreamResponse:
    if request[OPERATOR].role not in kb_changes.CURATORS:
        raise web.HTTPForbidden(text="此操作需要管理员、分管负责人或主要负责人权限。")
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        return render(
            "kb_import.html", request, {"stage": "upload", "error": "请选择文件。"}, status=400
        )
    name = str(upload.filename or "upload")
    data = upload.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return render(
            "kb_import.html", request, {"stage": "upload", "error": "文件超过 10 MB。"}, status=400
        )
    # Parsing a large workbook takes seconds: off the event loop the bot shares.
    problems = await asyncio.to_thread(kb_io.validation_report, data, name)
    if problems:
        # Nothing is imported while any row has a problem (all or nothing).
        return render(
            "kb_import.html",
            request,
            {
                "stage": "report",
                "name": name,
                "problems": problems,
            },
            status=400,
        )
    try:
        records = await asyncio.to_thread(kb_io.parse, data, name)
    except ImportFailed as exc:
        return render(
            "kb_import.html",
            request,
            {"stage": "report", "name": name, "problems": [kb_io.Problem.of(exc)]},
            status=400,
        )
    uploads = request.app[UPLOADS]
    key = secrets.token_urlsafe(12)
    uploads[key] = (name, data)
    while len(uploads) > MAX_UPLOADS:
        uploads.popitem(last=False)
    rows = await run(request, _preview_rows, records)
    return render(
        "kb_import.html",
        request,
        {
            "stage": "preview",
            "name": name,
            "rows": rows,
            "key": key,
        },
    )


async def import_apply(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    upload = request.app[UPLOADS].pop(str(form.get("key", "")), None)
    if upload is None:
        return render(
            "kb_import.html",
            request,
            {"stage": "upload", "error": "预览已失效，请重新上传文件。"},
            status=400,
        )
    name, data = upload
    try:
        records = await asyncio.to_thread(kb_io.parse, data, name)
        summary, held = await run(
            request, kb_changes.import_entries, user_id(request), records, name
        )
    except NotAuthorised as exc:
        raise web.HTTPForbidden(text=texts.error_text(exc)) from None
    except GovReplyError as exc:
        return render(
            "kb_import.html",
            request,
            {"stage": "upload", "error": texts.error_text(exc)},
            status=400,
        )
    job = index_jobs.start(request)  # re-embedding runs in the background; the page polls
    return render(
        "kb_import.html",
        request,
        {
            "stage": "done",
            "name": name,
            "job": job,
            "held": held,
            "notice": texts.notice(
                "imported",
                created=len(summary.created),
                updated=len(summary.updated),
                unchanged=len(summary.unchanged),
                held=len(held),
            ),
        },
    )


async def export(request: web.Request) -> web.StreamResponse:
    fmt = request.query.get("format", "jsonl")
    if fmt not in FORMATS:
        raise web.HTTPBadRequest(text=f"未知格式 {fmt}；可用 jsonl、csv、xlsx")
    retired = request.query.get("retired") == "1"
    rows = await run(
        request, lambda s: store.export_dicts(store.list_entries(s, include_retired=retired))
    )
    body = kb_io.export_rows(rows, fmt)
    name = f"kb-{datetime.now().astimezone().date().isoformat()}.{fmt}"
    kinds = {
        "jsonl": "application/jsonl",
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    return web.Response(
        body=body,
        content_type=kinds[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def setup_routes(app: web.Application) -> None:
    app[UPLOADS] = OrderedDict()
    app.router.add_get("/kb/import", import_page, name="kb_import")
    app.router.add_post("/kb/import", import_preview, name="kb_import_preview")
    app.router.add_post("/kb/import/apply", import_apply, name="kb_import_apply")
    app.router.add_get("/kb/export", export, name="kb_export")
