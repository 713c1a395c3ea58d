"""The cases pages over real HTTP on the running desk: a complaint sent through the emulator
opens a case the console lists, and assigning, commenting, ticking and closing from the console
go through workflow.cases exactly like the case card buttons (history, audit, card refresh)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from tests.emulator import SimMessage
from tests.support.console import console_client, csrf_of, login
from tests.support.journey import World
from workflow import audit
from workflow.models import AuditRecord, Case, CaseEvent, CaseKind, CaseStatus
from workflow.operators import deactivate_operator

COMPLAINT = "我要投诉城管执法人员态度恶劣，还乱收费"
IMPERSONATION = "舉報：抖音上有個叫「示例市公安局」的帳號冒充你們，抖音號 shili110 在騙錢"


def _case_card(m: SimMessage) -> bool:
    return "🗂 案件" in (m.text or "")


async def _open_case(desk: World, text: str) -> Case:
    await desk.citizen_says(text)
    await desk.emu.wait_for_message(desk.ops, _case_card, timeout=20)
    return await desk.db().run(lambda s: s.exec(select(Case)).one())


async def _case(desk: World, case_id: int) -> Case:
    return await desk.db().run(lambda s: s.get(Case, case_id))


async def _history(desk: World, case_id: int) -> list[str]:
    rows = await desk.db().run(
        lambda s: list(s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)))
    )
    return [e.action for e in rows]


async def _audits(desk: World, ticket: str) -> list[AuditRecord]:
    return await desk.db().run(
        lambda s: list(s.exec(select(AuditRecord).where(AuditRecord.subject_id == ticket)))
    )


async def test_complaint_case_is_listed_and_worked_from_the_console(desk: World) -> None:
    case = await _open_case(desk, COMPLAINT)
    assert case.kind is CaseKind.COMPLAINT and case.id is not None
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer)

        listing = await client.get("/console/cases")
        html = await listing.text()
        assert listing.status == 200
        assert case.ticket in html and "投诉" in html and "待处理" in html
        filtered = await client.get("/console/cases?kind=impersonation_report")
        assert case.ticket not in await filtered.text()
        unassigned = await client.get("/console/cases?assignee=none")
        assert case.ticket in await unassigned.text()

        page = await client.get(f"/console/cases/{case.ticket}")
        html = await page.text()
        assert page.status == 200 and "城管执法人员" in html and "立案" in html

        base = f"/console/cases/{case.id}"
        resp = await client.post(f"{base}/assign", data={"csrf": csrf})
        assert resp.status == 200 and "承办人：王审核" in await resp.text()
        resp = await client.post(f"{base}/status", data={"csrf": csrf, "status": "in_progress"})
        assert resp.status == 200
        resp = await client.post(f"{base}/comment", data={"csrf": csrf, "text": "已电话联系市民"})
        assert "已电话联系市民" in await resp.text()
        mine = await client.get("/console/cases?assignee=me&status=in_progress")
        assert case.ticket in await mine.text()

        empty = await client.post(f"{base}/close", data={"csrf": csrf, "outcome": " "})
        assert empty.status == 409 and "办结须填写办理结果" in await empty.text()
        resp = await client.post(f"{base}/close", data={"csrf": csrf, "outcome": "已督促整改"})
        html = await resp.text()
        assert "已办结" in html and "已督促整改" in html
        again = await client.post(f"{base}/comment", data={"csrf": csrf, "text": "再备注"})
        assert again.status == 200  # comments on a closed case are allowed, as on Telegram
        reopen = await client.post(f"{base}/status", data={"csrf": csrf, "status": "open"})
        assert reopen.status == 409 and "已办结" in await reopen.text()

    closed = await _case(desk, case.id)
    assert closed.status is CaseStatus.CLOSED and closed.outcome == "已督促整改"
    assert closed.assignee_id == desk.reviewer.id
    history = await _history(desk, case.id)
    assert history == ["opened", "assigned", "status_changed", "commented", "closed", "commented"]
    actions = [r.action for r in await _audits(desk, case.ticket)]
    for action in ("case_assigned", "case_status_changed", "case_commented", "case_closed"):
        assert action in actions
    assert all(
        r.actor_id == desk.reviewer.id
        for r in await _audits(desk, case.ticket)
        if r.action != "case_opened"
    )
    assert (await desk.db().run(audit.verify)).ok

    # The group's case card is refreshed by the same outbox work as a button press.
    await desk.emu.wait_for_edit(
        desk.ops,
        closed.card_message_id or 0,
        lambda m: "已督促整改" in (m.text or ""),
        timeout=20,
    )


async def test_impersonation_checklist_step_is_ticked_from_the_console(desk: World) -> None:
    case = await _open_case(desk, IMPERSONATION)
    assert case.kind is CaseKind.IMPERSONATION_REPORT and case.id is not None
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer2)
        page = await client.get(f"/console/cases/{case.ticket}")
        assert "已排查核实" in await page.text()
        resp = await client.post(
            f"/console/cases/{case.id}/tick", data={"csrf": csrf, "step": "verified"}
        )
        assert resp.status == 200 and "赵审核" in await resp.text()
        bad = await client.post(f"/console/cases/{case.id}/tick", data={"csrf": csrf, "step": "x"})
        assert bad.status == 400
    ticked = await _case(desk, case.id)
    assert ticked.checklist["verified"]["by"] == desk.reviewer2.id
    assert "case_step_ticked" in [r.action for r in await _audits(desk, case.ticket)]


async def test_illegal_content_case_is_reported_from_the_console(desk: World) -> None:
    case = await _open_case(desk, "出售仿真枪 气枪 货到付款 加微信")
    assert case.kind is CaseKind.ILLEGAL_CONTENT and case.id is not None
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer2)
        page = await (await client.get(f"/console/cases/{case.ticket}")).text()
        assert "疑似违法信息处置" in page and "已保存证据" in page and "仿冒账号处置" not in page
        wrong = await client.post(
            f"/console/cases/{case.id}/tick", data={"csrf": csrf, "step": "platform_letter_sent"}
        )
        assert wrong.status == 409 and "没有这一步骤" in await wrong.text()
        resp = await client.post(
            f"/console/cases/{case.id}/tick",
            data={"csrf": csrf, "step": "reported_to_authorities"},
        )
        assert resp.status == 200 and "赵审核" in await resp.text()
    ticked = await _case(desk, case.id)
    assert set(ticked.checklist) == {"evidence_kept", "reported_to_authorities"}


async def test_case_post_without_csrf_is_refused_and_changes_nothing(desk: World) -> None:
    case = await _open_case(desk, COMPLAINT)
    async with console_client(desk) as client:
        await login(desk, client, desk.reviewer)
        resp = await client.post(f"/console/cases/{case.id}/close", data={"outcome": "伪造"})
        assert resp.status == 403
        resp = await client.post(f"/console/cases/{case.id}/assign", data={"csrf": "0" * 64})
        assert resp.status == 403
    after = await _case(desk, case.id or 0)
    assert after.status is CaseStatus.OPEN and after.assignee_id is None
    assert await _history(desk, case.id or 0) == ["opened"]


async def test_non_operators_cannot_see_or_work_cases(desk: World) -> None:
    case = await _open_case(desk, COMPLAINT)
    async with console_client(desk) as anonymous:
        for path in ("/console/cases", f"/console/cases/{case.ticket}"):
            resp = await anonymous.get(path)
            assert resp.status == 401 and case.ticket not in await resp.text()
    async with console_client(desk) as client:
        page = await _login_page(desk, client)
        csrf = csrf_of(page)
        # Deactivated after signing in: no longer an operator, so no page and no action.
        await desk.db().run(deactivate_operator, desk.reviewer2.id)
        resp = await client.get("/console/cases")
        assert resp.status == 401 and case.ticket not in await resp.text()
        resp = await client.post(f"/console/cases/{case.id}/assign", data={"csrf": csrf})
        assert resp.status == 401
    assert await _history(desk, case.id or 0) == ["opened"]


async def _login_page(desk: World, client: Any) -> str:
    await login(desk, client, desk.reviewer2)
    resp = await client.get("/console/cases")
    assert resp.status == 200
    return str(await resp.text())
