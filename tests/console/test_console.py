"""The web console over real HTTP on the running desk: login links, CSRF, roles, Q&A edits
the bot then matches, imports that report errors, approvals that publish via the emulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlmodel import select

from knowledge_base import store
from knowledge_base.models import KBEntry, KBEntryVersion
from knowledge_base.sqltypes import utcnow
from tests.support.console import ADMIN_ID, add_admin, console_client, login, login_link, token_of
from tests.support.journey import World
from workflow import audit
from workflow.models import AuditRecord, ConsoleToken, Draft, DraftState, KBChange


async def test_login_link_starts_a_session_and_works_once(desk: World) -> None:
    async with console_client(desk) as client:
        before = await client.get("/console/")
        assert before.status == 401
        assert "/console" in await before.text()
        await login(desk, client, desk.reviewer)
        page = await client.get("/console/")
        assert page.status == 200
        assert "王审核" in await page.text()
        cookie = next(c for c in client.session.cookie_jar if c.key == "govreply_console")
        assert cookie["httponly"] and cookie["samesite"] == "Strict"

    async with console_client(desk) as other:
        link = await login_link(desk, desk.reviewer2)
        token = token_of(link)
        first = await other.post("/console/login", data={"token": token})
        assert first.status == 200
    async with console_client(desk) as thief:
        again = await thief.post("/console/login", data={"token": token})
        assert again.status == 403
        assert "已使用" in await again.text()
        assert (await thief.get("/console/")).status == 401


async def test_a_login_posted_from_another_site_is_refused(desk: World) -> None:
    """Login CSRF: another site's page posting someone's token would sign the visitor in as
    that person. Refused, and the token stays good for its owner."""
    token = token_of(await login_link(desk, desk.reviewer2))
    async with console_client(desk) as victim:
        forged = await victim.post(
            "/console/login",
            data={"token": token},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert forged.status == 403 and "其他网站" in await forged.text()
        assert (await victim.get("/console/")).status == 401
        own = await victim.post("/console/login", data={"token": token})
        assert own.status == 200


async def test_expired_login_link_is_refused(desk: World) -> None:
    link = await login_link(desk, desk.reviewer)

    def age_tokens(session):  # type: ignore[no-untyped-def]
        for row in session.exec(select(ConsoleToken)):
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)

    await desk.db().run(age_tokens)
    async with console_client(desk) as client:
        resp = await client.post("/console/login", data={"token": token_of(link)})
        assert resp.status == 403
        assert "过期" in await resp.text()
        assert (await client.get("/console/kb")).status == 401


async def test_stranger_gets_no_login_link(desk: World) -> None:
    chat = desk.emu.private_chat(desk.stranger)
    await desk.emu.send_message(desk.stranger, None, "/console")
    reply = await desk.emu.wait_for_message(chat, timeout=20)
    assert "/console/login" not in (reply.text or "")
    assert "不是已登记的工作人员" in (reply.text or "")


async def test_post_without_csrf_token_is_refused_and_changes_nothing(desk: World) -> None:
    admin = await add_admin(desk)
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        form = {"question": "如何办理居住证？", "answer": "被篡改", "reason": "x"}
        resp = await client.post("/console/kb/entry/HJ001/edit", data=form)
        assert resp.status == 403
        resp = await client.post("/console/kb/entry/HJ001/edit", data={**form, "csrf": "0" * 64})
        assert resp.status == 403
        assert csrf  # the real token works: see test_kb_edit_*
    entry = await desk.db().run(lambda s: s.get(KBEntry, "HJ001"))
    assert entry.version == 1 and "被篡改" not in entry.answer


async def test_reviewer_cannot_edit_the_qa_base(desk: World) -> None:
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer)
        resp = await client.post(
            "/console/kb/entry/HJ001/edit",
            data={"csrf": csrf, "answer": "审核人想改", "reason": "试试"},
        )
        assert resp.status == 403
        assert "权限" in await resp.text()
        resp = await client.post("/console/kb/import", data={"csrf": csrf})
        assert resp.status == 403
    entry = await desk.db().run(lambda s: s.get(KBEntry, "HJ001"))
    assert entry.version == 1


async def test_kb_edit_creates_a_version_and_the_bot_matches_the_new_text(desk: World) -> None:
    admin = await add_admin(desk)
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        resp = await client.post(
            "/console/kb/entry/SB001/edit",
            data={
                "csrf": csrf,
                "question": "社保卡丢了怎么补办？",
                "variants": "社保卡遗失补卡\n医保卡掉了怎么办\n市民卡不见了去哪里挂失",
                "answer": "社保卡遗失请拨打12333挂失，再到任一社保网点补卡，当场可取新卡。",
                "category": "社保",
                "department": "人社局",
                "sensitivity": "ordinary",
                "reason": "补充市民卡问法，更新补卡地点",
            },
        )
        assert resp.status == 200
        assert "新版本已生效" in await resp.text()
        diff = await client.get("/console/kb/entry/SB001/diff?a=1&b=2")
        assert "<ins>" in await diff.text()

    versions = await desk.db().run(
        lambda s: list(s.exec(select(KBEntryVersion).where(KBEntryVersion.entry_id == "SB001")))
    )
    assert [v.version for v in versions] == [1, 2]
    assert versions[-1].reason == "补充市民卡问法，更新补卡地点"
    assert versions[-1].changed_by == ADMIN_ID

    await desk.citizen_says("市民卡不见了去哪里挂失")
    card = await desk.card()
    assert "SB001" in card.text
    await desk.press(desk.reviewer, card, "ap")
    reply = await desk.citizen_reply()
    assert "当场可取新卡" in (reply.text or "")
    draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
    assert draft.matched_entry_version == 2


async def test_important_entry_edit_waits_for_deputy_head_sign_off(desk: World) -> None:
    admin = await add_admin(desk)
    entry = await desk.db().run(
        lambda s: s.exec(select(KBEntry).where(KBEntry.sensitivity != "ordinary")).first()
    )
    if entry is None:  # the sample has none: make one important first (as head)
        async with console_client(desk) as head_client:
            csrf = await login(desk, head_client, desk.head)
            await head_client.post(
                "/console/kb/entry/GJ001/edit",
                data={"csrf": csrf, "sensitivity": "important", "reason": "涉及资金，列为重要"},
            )
        entry = await desk.db().run(lambda s: s.get(KBEntry, "GJ001"))
    assert str(entry.sensitivity) in ("important", "major")
    start_version = entry.version
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        resp = await client.post(
            f"/console/kb/entry/{entry.id}/edit",
            data={"csrf": csrf, "answer": entry.answer + "（新口径）", "reason": "更新口径"},
        )
        assert resp.status == 200
        assert "签批后生效" in await resp.text()
    live = await desk.db().run(lambda s: s.get(KBEntry, entry.id))
    assert live.version == start_version
    change = await desk.db().run(lambda s: s.exec(select(KBChange)).one())

    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer)
        resp = await client.post(f"/console/kb/changes/{change.id}/approve", data={"csrf": csrf})
        assert resp.status == 403
    async with console_client(desk) as client:
        csrf = await login(
            desk, client, desk.head if str(entry.sensitivity) == "major" else desk.deputy
        )
        resp = await client.post(f"/console/kb/changes/{change.id}/approve", data={"csrf": csrf})
        assert resp.status == 200
    live = await desk.db().run(lambda s: s.get(KBEntry, entry.id))
    assert live.version == start_version + 1 and live.answer.endswith("（新口径）")
    actions = await desk.db().run(lambda s: [r.action for r in s.exec(select(AuditRecord))])
    assert "kb_change_proposed" in actions and "kb_change_approved" in actions


async def test_import_with_an_error_shows_the_report_and_imports_nothing(desk: World) -> None:
    admin = await add_admin(desk)
    bad = (
        '{"id": "NEW1", "question": "新问题一", "answer": "答案一"}\n'
        '{"id": "NEW2", "question": "新问题二", "answer": ""}\n'
        '{"id": "NEW3", "question": "新问题三", "answer": "答案三", "sensitivity": "secret"}\n'
    ).encode()
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        import aiohttp

        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        form.add_field("file", bad, filename="new.jsonl", content_type="application/jsonl")
        resp = await client.post("/console/kb/import", data=form)
        assert resp.status == 400
        html = await resp.text()
        assert "未导入任何条目" in html
        assert "<td>2</td><td>答案</td>" in html
        assert "<td>3</td><td>敏感级别</td>" in html
    ids = await desk.db().run(lambda s: [e.id for e in s.exec(select(KBEntry))])
    assert not any(i.startswith("NEW") for i in ids)


async def test_import_preview_then_apply_makes_entries_searchable(desk: World) -> None:
    admin = await add_admin(desk)
    good = (
        "id,question,variants,answer,category,department,sensitivity,valid_from,valid_until\n"
        "WS001,狂犬疫苗在哪里打？,被狗咬了去哪打针|狂犬疫苗接种点,"
        "请到各区疾控中心或社区卫生服务中心狂犬病暴露处置门诊接种。,卫生,卫健委,ordinary,,\n"
    ).encode()
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        import aiohttp

        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        form.add_field("file", good, filename="new.csv", content_type="text/csv")
        resp = await client.post("/console/kb/import", data=form)
        html = await resp.text()
        assert resp.status == 200 and "尚未导入" in html and "新增" in html
        assert await desk.db().run(lambda s: s.get(KBEntry, "WS001")) is None
        import re

        key = re.search(r'name="key" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        resp = await client.post("/console/kb/import/apply", data={"csrf": csrf, "key": key})
        html = await resp.text()
        assert "新增 1 条" in html and "正在更新检索索引" in html
        # The index is re-embedded in the background; the page polls the job's progress.
        url = re.search(r'data-url="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        job = await _index_job_done(client, url)
        live = await desk.db().run(store.live_docs)
        assert job["total"] == len(live) and job["done"] == job["total"]
        assert job["error"] is None
        search = await client.get("/console/kb/search", params={"q": "被狗咬了去哪打针"})
        assert "WS001" in await search.text()


async def _index_job_done(client: Any, url: str) -> dict[str, Any]:
    """Poll an index job's JSON until it has finished (as the page's script does)."""
    for _ in range(600):
        resp = await client.get(url)
        assert resp.status == 200
        job: dict[str, Any] = await resp.json()
        assert 0 <= job["done"] <= max(job["total"], 0)
        if job["finished"]:
            return job
        await asyncio.sleep(0.05)
    msg = f"index job {url} did not finish"
    raise AssertionError(msg)


async def test_approve_from_the_queue_publishes_to_the_citizen(desk: World) -> None:
    await desk.citizen_says("请问外地人怎么办居住证？要带什么材料")
    card = await desk.card()
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer)
        page = await client.get("/console/queue")
        html = await page.text()
        draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
        assert f"草稿 #{draft.id}" in html
        resp = await client.post(
            f"/console/queue/{draft.id}/approve",
            data={"csrf": csrf, "version": str(draft.version)},
        )
        assert resp.status == 200
        assert "答复进入发送队列" in await resp.text()
    reply = await desk.citizen_reply()
    assert "派出所" in (reply.text or "")
    assert "审核人：王审核" in (reply.text or "")
    closed = await desk.card_edit(card, lambda m: "已发布" in (m.text or ""))
    # Review is over: what is left on a published reply is correcting or withdrawing it.
    assert {data.split(":")[1] for data in closed.callback_data} == {"co", "wd"}

    def facts(session):  # type: ignore[no-untyped-def]
        d = session.exec(select(Draft)).one()
        actions = [r.action for r in session.exec(select(AuditRecord))]
        return d.state, actions, audit.verify(session).ok

    state, actions, chain_ok = await desk.db().run(facts)
    assert state is DraftState.PUBLISHED and "approved" in actions and chain_ok


async def test_admin_cannot_sign_a_draft_from_the_queue(desk: World) -> None:
    admin = await add_admin(desk)
    await desk.citizen_says("社保卡丢了怎么办")
    await desk.card()
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
        resp = await client.post(f"/console/queue/{draft.id}/approve", data={"csrf": csrf})
        assert resp.status == 403
    draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
    assert draft.state is DraftState.PENDING


async def test_a_drafter_edits_in_the_queue_but_is_offered_no_signature(desk: World) -> None:
    """RULES §1: an outsourced drafter (代运维) writes, a reviewer signs."""
    from workflow.models import Role
    from workflow.operators import add_operator

    await desk.db().run(add_operator, 1005, Role.DRAFTER, "周代运维")
    drafter = desk.emu.user(1005, "周代运维", "zhou_ops")
    await desk.citizen_says("社保卡丢了怎么办")
    await desk.card()
    async with console_client(desk) as client:
        csrf = await login(desk, client, drafter)
        html = await (await client.get("/console/queue")).text()
        assert "✅ 签批" not in html and "❌ 驳回" not in html and "✏️ 保存修改" in html
        draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
        edit = await client.post(
            f"/console/queue/{draft.id}/edit",
            data={"csrf": csrf, "text": "您好，社保卡丢失请先拨打12333挂失，再到窗口补办。"},
        )
        assert edit.status == 200
        refused = await client.post(f"/console/queue/{draft.id}/approve", data={"csrf": csrf})
        assert refused.status == 403
    draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
    assert draft.state is DraftState.PENDING and draft.drafter_id == 1005


async def test_dashboard_and_gap_report_show_unanswered_questions(desk: World) -> None:
    for text in ("请问图书馆周六开门吗", "请问图书馆周日开门吗"):
        await desk.citizen_says(text)
        await desk.card()
    # A complaint gets a case, not a Q&A entry: it is no gap in the base.
    await desk.citizen_says("窗口工作人员态度太差了 问一句就吼人 我要投诉")
    await desk.card(lambda m: "吼人" in (m.text or ""))
    async with console_client(desk) as client:
        await login(desk, client, desk.reviewer)
        gaps = await (await client.get("/console/gaps")).text()
        assert "图书馆" in gaps and "2 条" in gaps
        assert "吼人" not in gaps
        board = await client.get("/console/")
        html = await board.text()
        assert board.status == 200 and "<svg" in html and "图书馆" in html
        assert "今日暂无热点" in html
        # No channel post seen yet: the account's update frequency is flagged.
        assert 'class="stat warn"><b>—</b><span>频道最近发布' in html
        await desk.emu.channel_post(desk.channel, "示例市发布：本周政务服务安排")
        for _ in range(100):
            html = await (await client.get("/console/")).text()
            if "（0 天前）" in html:
                break
            await asyncio.sleep(0.1)
        assert f"<b>{utcnow().date().isoformat()}</b><span>频道最近发布（0 天前）" in html


async def test_assessment_figures_on_screen_and_as_excel(desk: World) -> None:
    """RULES §8: what the supervising office checks, for heads who do not use the CLI."""
    await desk.citizen_says("社保卡丢了怎么办")
    card = await desk.card()
    await desk.press(desk.reviewer, card, "ap")
    await desk.citizen_reply()
    today = utcnow().date()
    period = {
        "from": (today - timedelta(days=7)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    async with console_client(desk) as client:
        await login(desk, client, desk.head)
        page = await client.get("/console/report", params=period)
        html = await page.text()
        assert page.status == 200
        assert "<td>其中咨询</td><td>1</td>" in html and "<td>答复率</td><td>100.0%</td>" in html
        assert "/console/report.xlsx?from=" in html
        sheet = await client.get("/console/report.xlsx", params=period)
        body = await sheet.read()
        assert sheet.status == 200 and body[:2] == b"PK"  # a zip: an XLSX workbook
        assert "attachment" in sheet.headers["Content-Disposition"]
        csv_text = (await (await client.get("/console/report.csv", params=period)).read()).decode(
            "utf-8-sig"
        )
        assert "已发布答复（条）,1" in csv_text
        bad = await client.get("/console/report", params={"quarter": "2026Q7"})
        assert bad.status == 400 and "不是季度" in await bad.text()
        this_quarter = await client.get("/console/report")  # default: the current quarter
        assert this_quarter.status == 200 and "统计区间" in await this_quarter.text()


async def test_channel_posts_are_listed_with_their_stamp(desk: World) -> None:
    from workflow import posts
    from workflow.models import PostKind

    def propose(session: Any) -> int:
        post = posts.submit(session, desk.reviewer.id, "本周政务服务安排", [])
        posts.submit(
            session,
            desk.reviewer2.id,
            "转载：供暖保障",
            [],
            kind=PostKind.REPOST,
            source="中国政府网",
        )
        assert post.id is not None
        return post.id

    post_id = await desk.db().run(propose)
    await desk.db().run(posts.approve, post_id, desk.reviewer2.id)
    async with console_client(desk) as client:
        await login(desk, client, desk.reviewer)
        page = await (await client.get("/console/posts")).text()
    assert "频道稿件（2）" in page and "来源：中国政府网" in page
    row = page[page.index(f'id="post-{post_id}"') :].split("</tr>")[0]
    assert "王审核" in row and "赵审核" in row and "本周政务服务安排" in row


async def test_a_channel_post_is_signed_or_refused_from_the_console(desk: World) -> None:
    from workflow import posts

    post_id = await desk.db().run(
        lambda s: posts.submit(s, desk.reviewer.id, "示例市发布：周六照常办公", []).id
    )
    version = (await desk.db().run(posts.load, post_id)).version
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer)
        own = await client.post(
            f"/console/posts/{post_id}/approve", data={"csrf": csrf, "version": str(version)}
        )
        assert own.status == 409 and "修改人不能单独审批" in await own.text()
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer2)
        stale = await client.post(
            f"/console/posts/{post_id}/reject",
            data={"csrf": csrf, "version": str(version - 1), "reason": "重复"},
        )
        assert stale.status == 409
        signed = await client.post(
            f"/console/posts/{post_id}/approve", data={"csrf": csrf, "version": str(version)}
        )
        assert signed.status == 200 and "进入频道发布队列" in await signed.text()
    view = await desk.db().run(posts.load, post_id)
    # Signed; this desk has no channel configured, so its publication is undeliverable.
    assert view.state in (DraftState.APPROVED, DraftState.UNDELIVERABLE)
    assert view.reviewer == "赵审核"
    queued = await desk.db().run(
        lambda s: s.exec(select(AuditRecord).where(AuditRecord.action == "post_approved")).all()
    )
    assert len(queued) == 1


async def test_a_pending_channel_post_is_edited_from_the_console(desk: World) -> None:
    from workflow import posts

    post_id = await desk.db().run(
        lambda s: posts.submit(s, desk.reviewer.id, "示例市发布：周六照常办公", []).id
    )
    await desk.db().run(posts.approve, post_id, desk.reviewer2.id)  # ordinary: this publishes
    other = await desk.db().run(
        lambda s: posts.submit(s, desk.reviewer.id, "示例市发布：周日闭馆", []).id
    )
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.deputy)
        page = await (await client.get("/console/posts")).text()
        assert f'action="/console/posts/{other}/edit"' in page
        resp = await client.post(
            f"/console/posts/{other}/edit", data={"csrf": csrf, "text": "示例市发布：周日下午闭馆"}
        )
        assert resp.status == 200 and "稿件已修改" in await resp.text()
        refused = await client.post(
            f"/console/posts/{post_id}/edit", data={"csrf": csrf, "text": "改一下"}
        )
        assert refused.status == 409  # signed already: not pending any more
    view = await desk.db().run(posts.load, other)
    assert view.text == "示例市发布：周日下午闭馆" and view.drafter == "王审核"


async def test_a_file_over_the_limit_is_refused_in_words_not_by_the_server(desk: World) -> None:
    """Files up to 10 MB are accepted; a bigger one gets the page's own message (the server's
    body limit is above it, not aiohttp's 1 MB default)."""
    import aiohttp

    admin = await add_admin(desk)
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        import io

        big = io.BytesIO(b'{"id": "X", "question": "q", "answer": "a"}\n' * 250_000)  # 11 MB
        form.add_field("file", big, filename="big.jsonl", content_type="application/jsonl")
        resp = await client.post("/console/kb/import", data=form)
        assert resp.status == 400
        assert "文件超过 10 MB" in await resp.text()


async def test_the_access_log_never_holds_a_login_token(
    desk: World, caplog: Any  # noqa: ANN401 - pytest's LogCaptureFixture
) -> None:
    """A console login link's one-time token travels in the query string; the server that
    `govreply run` starts logs method, path and status only."""
    import logging

    import aiohttp
    from aiohttp import web

    from bot.webhook import build_web_app, make_runner

    link = await login_link(desk, desk.reviewer)
    runner = make_runner(build_web_app(desk.runtime))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{port}/console/login?token={token_of(link)}"
                async with http.get(url, headers={"Referer": url}) as resp:
                    assert resp.status == 200
    finally:
        await runner.cleanup()
    logged = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any("/console/login" in line and " 200 " in line for line in logged), logged
    assert not any(token_of(link) in line for line in logged)


async def test_an_edit_from_a_page_opened_before_a_newer_version_is_refused(desk: World) -> None:
    """Two curators: the second saves from a page opened before the first saved. Saving would
    put back the old answer unnoticed (the form sends every field), so it is refused."""
    import re

    admin = await add_admin(desk)
    fields = {
        "question": "社保卡丢了怎么补办？",
        "variants": "社保卡遗失补卡",
        "category": "社保",
        "department": "人社局",
        "sensitivity": "ordinary",
    }
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        page = await (await client.get("/console/kb/entry/SB001")).text()
        seen = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
        newer = "社保卡遗失请拨打12333挂失，当场可取新卡。"
        first = await client.post(
            "/console/kb/entry/SB001/edit",
            data={"csrf": csrf, "version": seen, **fields, "answer": newer, "reason": "更新"},
        )
        assert first.status == 200
        stale = await client.post(
            "/console/kb/entry/SB001/edit",
            data={
                "csrf": csrf,
                "version": seen,
                **fields,
                "question": "社保卡丢失如何补办？",
                "answer": "旧答案",
                "reason": "改问题措辞",
            },
        )
        assert stale.status == 400
        assert "已被他人修改" in await stale.text()
    entry = await desk.db().run(lambda s: s.get(KBEntry, "SB001"))
    assert entry.answer == newer and entry.version == int(seen) + 1


async def test_an_entry_starting_tomorrow_goes_live_with_the_day(desk: World) -> None:
    """valid_from is judged when the index takes the live entries; the bot does that again
    when Beijing's day changes, so a scheduled entry goes live without anyone touching it."""
    from datetime import timedelta

    from bot.runtime import keep_index_current
    from knowledge_base import io as kb_io
    from knowledge_base.sqltypes import local_today

    tomorrow = local_today() + timedelta(days=1)
    row = (
        '{"id": "NEXT1", "question": "明年的新生儿医保怎么参保？", '
        '"answer": "出生后在户籍地医保窗口或线上办理参保登记。", '
        f'"valid_from": "{tomorrow.isoformat()}"}}\n'
    )
    records = kb_io.parse(row.encode(), "new.jsonl")
    await desk.db().run(store.import_records, records)
    await keep_index_current(desk.runtime, local_today() - timedelta(days=1))  # a day ago
    matcher = desk.services.matcher
    assert "NEXT1" not in matcher.state.docs  # not yet
    await keep_index_current(desk.runtime, tomorrow)
    assert "NEXT1" in matcher.state.docs
    found = matcher.search("新生儿医保怎么参保")
    assert found.best is not None and found.best.entry_id == "NEXT1"


async def test_an_import_by_another_process_reaches_the_running_bots_index(desk: World) -> None:
    """`govreply kb import` writes the database only (the bot owns the index files); the
    running bot sees the Q&A base move and takes the new entry in its next round."""
    from bot.runtime import keep_index_current
    from knowledge_base import io as kb_io

    await keep_index_current(desk.runtime)  # up to date
    row = '{"id": "CLI1", "question": "电动自行车上牌去哪里办？", "answer": "到车管所办理。"}\n'
    await desk.db().run(store.import_records, kb_io.parse(row.encode(), "cli.jsonl"))
    assert "CLI1" not in desk.services.matcher.state.docs
    await keep_index_current(desk.runtime)
    assert "CLI1" in desk.services.matcher.state.docs
