"""Retiring and restoring Q&A entries from the console under the same sign-off as an edit
(RULES §1): an admin's word takes an important entry out of use only once a deputy head signs."""

from __future__ import annotations

from sqlmodel import select

from knowledge_base.models import KBEntry
from tests.support.console import add_admin, console_client, login
from tests.support.journey import World
from workflow.models import KBChange, KBChangeState


async def test_an_admin_retires_an_important_entry_only_with_a_deputy_heads_sign_off(
    desk: World,
) -> None:
    admin = await add_admin(desk)
    entry = await desk.db().run(lambda s: s.get(KBEntry, "ZF001"))
    assert str(entry.sensitivity) == "important" and not entry.retired

    for action, retired in (("retire", True), ("restore", False)):
        async with console_client(desk) as client:
            csrf = await login(desk, client, admin)
            resp = await client.post(
                f"/console/kb/entry/ZF001/{action}", data={"csrf": csrf, "reason": "政策调整"}
            )
            assert resp.status == 200
            assert "签批后生效" in await resp.text()
            listed = await (await client.get("/console/kb/changes")).text()
            assert ("停用" if retired else "恢复") in listed
        live = await desk.db().run(lambda s: s.get(KBEntry, "ZF001"))
        assert live.retired is not retired  # nothing changed on the admin's word alone
        change = await desk.db().run(
            lambda s: s.exec(select(KBChange).where(KBChange.state == KBChangeState.PENDING)).one()
        )
        assert change.kind == action

        async with console_client(desk) as client:
            csrf = await login(desk, client, desk.deputy)
            resp = await client.post(
                f"/console/kb/changes/{change.id}/approve", data={"csrf": csrf}
            )
            assert resp.status == 200
        live = await desk.db().run(lambda s: s.get(KBEntry, "ZF001"))
        assert live.retired is retired


async def test_an_ordinary_entry_is_retired_at_once(desk: World) -> None:
    admin = await add_admin(desk)
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        resp = await client.post(
            "/console/kb/entry/HJ001/retire", data={"csrf": csrf, "reason": "已合并到 HJ002"}
        )
        assert resp.status == 200
        assert "条目已停用" in await resp.text()
    assert (await desk.db().run(lambda s: s.get(KBEntry, "HJ001"))).retired
