"""读网巡检 (RULES §7) on real databases: links in live answers are found and tried over real
HTTP against a local server (dead pages, servers refusing HEAD, timeouts, nothing
listening), and the weekly report is due once a week from Monday 09:00 local time."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from aiohttp import web
from sqlmodel import Session, select

from bot.db import Database
from bot.link_check import check_links
from knowledge_base import store
from knowledge_base.io import EntryRecord
from workflow import inspection
from workflow.calendar import LOCAL_TZ
from workflow.models import OutboxItem


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """A local web server: /ok, /gone (404), /nohead (405 to HEAD, 200 to GET), /slow."""

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def nohead(request: web.Request) -> web.Response:
        return web.Response(status=405 if request.method == "HEAD" else 200)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_route("*", "/ok", ok)
    app.router.add_route("*", "/nohead", nohead)
    app.router.add_route("*", "/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _entries(db: Database, answers: dict[str, str]) -> None:
    records = [EntryRecord(id=k, question=f"问题{k}", answer=v) for k, v in answers.items()]
    db.call(store.import_records, records)


async def test_dead_links_in_live_answers_are_reported(db: Database, site: str) -> None:
    closed = f"http://127.0.0.1:{_free_port()}/x"
    _entries(
        db,
        {
            "a1": f"请登录{site}/ok办理。",  # Chinese punctuation ends the link
            "a2": f"详见 {site}/gone，或{site}/nohead（网上办）",
            "a3": f"材料清单：{site}/ok；咨询热线12345",  # same link twice: tried once
            "a4": f"暂停办理：{site}/slow 与 {closed}",
            "a5": f"已撤销的页面 {site}/gone",
        },
    )
    db.call(store.set_retired, "a5", True, None, "过期")  # retired: not checked
    past = EntryRecord(id="a6", question="旧政策", answer="已到期", valid_until=date(2020, 1, 1))
    db.call(store.import_records, [past])
    report = db.call(inspection.gather)
    assert report.links[f"{site}/ok"] == ["a1", "a3"]
    assert f"{site}/nohead" in report.links and report.links[f"{site}/gone"] == ["a2"]

    checked = await check_links(report, timeout=1.0)
    assert checked.links_checked == 5
    problems = {b.url: (b.problem, b.entries) for b in checked.broken}
    assert problems == {
        f"{site}/gone": ("HTTP 404", ["a2"]),
        f"{site}/slow": ("timeout", ["a4"]),
        closed: ("unreachable", ["a4"]),
    }
    params = checked.params()
    assert params["expired"] == "a6" and params["expiring"] == "无"
    assert params["broken_n"] == 3 and f"{site}/gone（HTTP 404；条目 a2）" in params["broken"]


def test_the_weekly_report_is_due_once_a_week_from_monday_nine(db: Database) -> None:
    monday = datetime(2026, 11, 30, 8, 30, tzinfo=LOCAL_TZ)
    assert db.call(inspection.report_due, monday) is None  # before 09:00
    key = db.call(inspection.report_due, monday + timedelta(hours=1))
    assert key == "inspection:2026-W49"
    report = db.call(inspection.gather, monday + timedelta(hours=1))
    assert db.call(inspection.queue_report, report, -100100, key)
    assert not db.call(inspection.queue_report, report, -100100, key)  # once
    assert db.call(inspection.report_due, monday + timedelta(days=3)) is None
    # Down on Monday: the report goes out when the desk is up again that week.
    assert db.call(inspection.report_due, monday + timedelta(days=8)) == "inspection:2026-W50"

    def items(session: Session) -> list[OutboxItem]:
        return list(session.exec(select(OutboxItem)))

    (item,) = db.call(items)
    assert item.payload["template"] == "inspection_report" and item.chat_id == -100100
    assert item.payload["params"]["broken"] == "· 无"
