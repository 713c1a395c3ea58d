"""The assessment page (RULES §8): a quarter's or date range's figures on screen, and the
same table as XLSX or CSV for the supervising office (`govreply report` writes it too)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiohttp import web

from bot.console.context import render, run
from bot.tables import CONTENT_TYPES, table_bytes
from handlers.texts import report_label
from workflow import assessment
from workflow.calendar import LOCAL_TZ

HEADER = ("指标", "数值")


def _this_quarter() -> str:
    today = datetime.now(LOCAL_TZ).date()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def _period(request: web.Request) -> tuple[datetime, datetime, dict[str, str]]:
    """The period asked for (a quarter, or from/to dates; default: this quarter).

    Raises:
        ValueError: a malformed quarter or date, or an empty range (said in Chinese).
    """
    query = request.query
    start_text, end_text = query.get("from", "").strip(), query.get("to", "").strip()
    if start_text or end_text:
        try:
            start = datetime.combine(date.fromisoformat(start_text), datetime.min.time(), UTC)
            end = datetime.combine(date.fromisoformat(end_text), datetime.min.time(), UTC)
        except ValueError:
            msg = "起止日期格式应为 YYYY-MM-DD，且两者都要填写"
            raise ValueError(msg) from None
        if end <= start:
            msg = "结束日期须晚于开始日期"
            raise ValueError(msg)
        return start, end, {"from": start_text, "to": end_text}
    quarter = query.get("quarter", "").strip() or _this_quarter()
    try:
        start, end = assessment.quarter(quarter)
    except ValueError:
        msg = f"“{quarter}”不是季度（例如 2026Q4）"
        raise ValueError(msg) from None
    return start, end, {"quarter": quarter.upper()}


async def report_page(request: web.Request) -> web.StreamResponse:
    try:
        start, end, asked = _period(request)
    except ValueError as exc:
        return render("report.html", request, {"rows": [], "asked": {}, "error": str(exc)}, 400)
    figures = await run(request, assessment.period_report, start, end)
    rows = [(report_label(key), value) for key, value in figures.rows()]
    return render("report.html", request, {"rows": rows, "asked": asked})


async def report_download(request: web.Request) -> web.StreamResponse:
    fmt = request.match_info["fmt"]
    try:
        start, end, asked = _period(request)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    figures = await run(request, assessment.period_report, start, end)
    rows = [(report_label(key), value) for key, value in figures.rows()]
    name = f"assessment-{asked.get('quarter') or asked['from'] + '_' + asked['to']}.{fmt}"
    return web.Response(
        body=table_bytes(fmt, HEADER, rows),
        content_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/report", report_page, name="report")
    app.router.add_get("/report.{fmt:xlsx|csv}", report_download, name="report_download")
