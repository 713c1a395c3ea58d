"""RULES §7, end to end: the channel's posts reach the desk (as channel_post and as their
mirror in the discussion group, counted once, never taken for a comment); the periodic job
reminds the operators' group, and at last the head by name, when the account falls silent;
the read-through inspection (读网巡检) reports dead links in answers, on /inspect and
weekly. Real PTB Application over HTTP to the emulator, real DB, real HTTP for links."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from sentence_transformers import SentenceTransformer
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from knowledge_base import store
from knowledge_base.io import EntryRecord
from knowledge_base.sqltypes import utcnow
from tests.support.console import console_client, login
from tests.support.journey import World, open_desk
from workflow import activity, assessment, inspection
from workflow.models import ChannelPost, CitizenMessage, Draft, InboxStatus


@pytest.fixture
async def world(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> AsyncIterator[World]:
    async with open_desk(db_url, tmp_path, st_model, periodic_seconds=0.2) as w:
        yield w


RULES = activity.ActivityRules(operators_chat_id=-100100)


async def _posts(world: World, n: int) -> list[ChannelPost]:
    """The recorded posts once there are `n` (handlers finish after the update is stored)."""
    for _ in range(200):
        posts: list[ChannelPost] = await world.db().run(
            lambda s: list(s.exec(select(ChannelPost).order_by(col(ChannelPost.id))))
        )
        if len(posts) >= n:
            return posts
        await asyncio.sleep(0.1)
    raise AssertionError(f"{n} posts expected, {len(posts)} recorded")


async def test_channel_posts_are_counted_once_and_are_not_comments(world: World) -> None:
    other = world.emu.channel(-100999, "示例省发布")
    other.bot_is_member = False  # not ours: the bot sees none of its posts
    source = await world.emu.channel_post(other, "省里的通知")
    await world.emu.channel_post(world.channel, "示例市发布：本周政务服务安排")
    await world.emu.channel_post(world.channel, "转发：省里的通知", repost_of=source)
    # Each post arrived twice (channel_post + mirror); the desk keeps one row per post.
    posts = await _posts(world, 2)
    await asyncio.sleep(0.5)  # a second copy, were it stored, would have landed by now
    posts = await _posts(world, 2)
    assert [(p.channel_id, p.original) for p in posts] == [
        (world.channel.id, True),
        (world.channel.id, False),  # the forward is a repost, not original content
    ]
    # Without admin rights in the channel the bot still sees the mirror in the group.
    world.channel.bot_is_member = False
    await world.emu.channel_post(world.channel, "示例市发布：停水通知")
    posts = await _posts(world, 3)
    assert (posts[-1].channel_id, posts[-1].original) == (world.channel.id, True)
    messages = await world.db().run(lambda s: list(s.exec(select(CitizenMessage))))
    drafts = await world.db().run(lambda s: list(s.exec(select(Draft))))
    assert messages == [] and drafts == []


async def test_a_silent_account_reminds_the_group_and_then_the_head(world: World) -> None:
    await world.emu.channel_post(world.channel, "示例市发布：本周政务服务安排")
    await _posts(world, 1)
    assert await world.db().run(activity.check, RULES) == []  # nothing is due yet
    # Time passes: the account's last post is now 65 days old.
    await world.db().run(
        lambda s: [
            setattr(p, "posted_at", utcnow() - timedelta(days=65)) or s.add(p)
            for p in s.exec(select(ChannelPost))
        ]
    )
    alert = await world.emu.wait_for_message(
        world.ops, lambda m: "僵尸账号" in (m.text or ""), timeout=20
    )
    assert "65 天未更新" in alert.text and "还剩 25 天" in alert.text
    assert "tg://user?id=1004" in (alert.sent_text or "")  # the head, by name
    await world.emu.wait_for_message(world.ops, lambda m: "原创提醒" in (m.text or ""), timeout=20)
    # Once a day: further rounds of the periodic job send nothing more today.
    assert await world.db().run(activity.check, RULES) == []


@pytest.fixture
async def dead_page() -> AsyncIterator[str]:
    """A local web server on which /gone is a dead page (404) and /slow answers in 4 s."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(4)  # long enough for a second /inspect to arrive meanwhile
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/gone"
    await runner.cleanup()


def _link_entry(url: str) -> list[EntryRecord]:
    return [EntryRecord(id="link1", question="网上怎么办居住证", answer=f"请登录{url}在线办理。")]


async def test_inspect_reports_dead_links_and_refuses_strangers(
    world: World, dead_page: str
) -> None:
    await world.db().run(store.import_records, _link_entry(dead_page))
    await world.emu.send_message(world.stranger, world.ops, "/inspect")
    refused = await world.emu.wait_for_message(
        world.ops, lambda m: "不是已登记的工作人员" in (m.text or ""), timeout=20
    )
    assert refused.from_bot
    slow = dead_page.replace("/gone", "/slow")
    entry = EntryRecord(id="link2", question="公积金提取", answer=f"详见 {slow} 页面说明")
    await world.db().run(store.import_records, [entry])
    await world.emu.send_message(world.reviewer, world.ops, "/inspect")
    await world.emu.wait_for_message(world.ops, lambda m: "正在巡检" in (m.text or ""))
    await world.emu.send_message(world.head, world.ops, "/inspect")  # while links are tried
    await world.emu.wait_for_message(world.ops, lambda m: "巡检正在进行" in (m.text or ""))
    report = await world.emu.wait_for_message(
        world.ops, lambda m: "读网巡检报告" in (m.text or ""), timeout=30
    )
    assert f"{dead_page}（HTTP 404；条目 link1）" in report.text
    assert "检查 2 个，失效 1 个" in report.text and "待审草稿 0 条" in report.text
    assert "【备案】尚无本账号的备案记录" in report.text  # RULES §8: never filed
    security = report.text.split("【安全】")[1]  # RULES §7: the installation's files
    assert "仅本用户可读" in security or "chmod 600" in security
    await asyncio.sleep(0.5)
    assert sum("读网巡检报告" in (m.text or "") for m in world.emu.messages(world.ops)) == 1


async def test_the_weekly_inspection_goes_to_the_group_by_itself(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    async with open_desk(
        db_url, tmp_path, st_model, periodic_seconds=0.2, inspection_weekly=True
    ) as w:

        def reports() -> list[str]:
            return [m.text for m in w.emu.messages(w.ops) if "读网巡检报告" in (m.text or "")]

        if inspection.weekly_key(utcnow()) is None:  # Monday before 09:00 in Beijing: not due
            await asyncio.sleep(1)
            assert reports() == []
            return
        report = await w.emu.wait_for_message(
            w.ops, lambda m: "读网巡检报告" in (m.text or ""), timeout=30
        )
        assert "【留言办理】" in report.text and "【链接】" in report.text
        assert "【备案】尚无本账号的备案记录" in report.text
        await asyncio.sleep(1)  # more rounds of the periodic job: still one report
        assert len(reports()) == 1


async def test_many_people_on_one_matter_raise_a_hot_topic_in_the_group(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    """RULES §5: a hot public concern is answered by inviting the competent department."""
    async with open_desk(
        db_url,
        tmp_path,
        st_model,
        periodic_seconds=0.2,
        hot_topic_messages=3,
        hot_topic_check_minutes=0.001,
    ) as w:
        for n, text in enumerate(
            [
                "我们小区怎么又停水了？什么时候来水",
                "停水了！！家里一滴水都没有，请问何时恢复",
                "今天为什么突然停水，通知都没有",
            ]
        ):
            citizen = w.emu.user(7001 + n, f"市民{n}", f"c{n}")
            await w.emu.send_message(citizen, None, text)
        alert = await w.emu.wait_for_message(
            w.ops, lambda m: "热点关注" in (m.text or ""), timeout=30
        )
        assert "3 位市民" in alert.text and "停水" in alert.text
        await asyncio.sleep(1)  # later rounds: the same topic is not announced again today
        assert sum("热点关注" in (m.text or "") for m in w.emu.messages(w.ops)) == 1
        async with console_client(w) as client:  # the dashboard lists today's topics
            await login(w, client, w.head)
            board = await (await client.get("/console/")).text()
            assert "今日热点" in board and "3 位市民（3 条留言）" in board

        # One reply to the alert drafts the answer for all three; each is still signed off.
        unified = "您好，因幸福路供水管道抢修，今日停水，预计18时恢复供水，敬请谅解。"
        await w.reply_to(w.reviewer, alert, unified)
        await w.emu.wait_for_message(
            w.ops, lambda m: "已为 3 条待审草稿统一拟稿" in (m.text or ""), timeout=20
        )
        drafts = await w.db().run(lambda s: list(s.exec(select(Draft).order_by(col(Draft.id)))))
        assert [d.text for d in drafts] == [unified] * 3
        assert all(d.state.value == "pending" and d.edited_by == [1001] for d in drafts)
        card = await w.card(lambda m: "18时恢复供水" in (m.text or ""))
        await w.press(w.reviewer2, card, "ap")
        reply = await w.emu.wait_for_message(
            w.emu.private_chat(w.emu.world.users[7001]), timeout=20
        )
        assert unified in reply.text and "拟稿人：王审核" in reply.text


async def test_the_assessment_report_counts_what_happened(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RULES §8: the supervising office's figures, from a real run of the desk."""
    start = utcnow() - timedelta(days=14, seconds=5)  # Telegram dates are whole seconds
    await world.citizen_says("社保卡丢了怎么办")
    card = await world.card()
    await world.press(world.reviewer, card, "ap")
    await world.citizen_reply()
    await world.citizen_says("我要投诉，窗口工作人员态度太差了")
    await world.card(lambda m: "投诉" in (m.text or ""))
    await world.emu.channel_post(world.channel, "示例市发布：本周政务服务安排")
    await _posts(world, 1)
    end = utcnow() + timedelta(days=1)

    figures = await world.db().run(assessment.period_report, start, end)
    assert figures.messages == {"consultation": 1, "complaint": 1}
    assert (figures.drafts, figures.published, figures.rejected) == (2, 1, 0)
    assert figures.published_by_tier == {"ordinary": 1}
    assert figures.first_reply.count == 1 and figures.cases_opened == {"complaint": 1}
    assert (figures.posts, figures.originals, figures.weeks, figures.weeks_with_post) == (
        1,
        1,
        3,
        1,
    )
    assert figures.longest_silence_days == 14  # from the start of the period to the post

    monkeypatch.setenv("GOVREPLY_DATABASE_URL", world.settings.database_url)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "report.md"
    args = ["report", str(out), "--from", start.date().isoformat(), "--to", end.date().isoformat()]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    table = out.read_text(encoding="utf-8")
    assert "| 其中咨询 | 1 |" in table and "| 新开案件：投诉 | 1 |" in table
    assert "| 答复率 | 50.0% |" in table and "| 有更新的周数 / 总周数 | 1 / 3 |" in table
    bad = CliRunner().invoke(app, ["report", str(out), "--quarter", "2026Q5"])
    assert bad.exit_code == 1 and "not a quarter" in bad.stderr


async def test_a_signer_invites_the_department_of_a_hot_topic_to_answer(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    """RULES §5: the competent department is invited to answer a hot concern, once."""
    directory = tmp_path / "departments.json"
    water = {"name": "水务集团", "keywords": ["停水", "供水", "来水"], "chat_id": -100500}
    directory.write_text(json.dumps({"departments": [water]}, ensure_ascii=False), "utf-8")
    async with open_desk(
        db_url,
        tmp_path,
        st_model,
        periodic_seconds=0.2,
        hot_topic_messages=3,
        hot_topic_check_minutes=0.001,
        departments_file=directory,
    ) as w:
        dept = w.emu.group(-100500, "水务集团工作群")
        for n, text in enumerate(
            ["停水了，电话13812345678，什么时候来水", "小区又停水了", "为什么突然停水"]
        ):
            citizen = w.emu.user(7001 + n, f"市民{n}", f"c{n}")
            await w.emu.send_message(citizen, None, text)
        alert = await w.emu.wait_for_message(
            w.ops, lambda m: "热点关注" in (m.text or "") and bool(m.buttons), timeout=30
        )
        data = alert.button("📨 转请水务集团答复")["callback_data"]
        answer, refused = await (await w.emu.press(w.stranger, alert, data)).answer(timeout=20)
        assert refused, answer
        answer, refused = await (await w.emu.press(w.reviewer, alert, data)).answer(timeout=20)
        assert not refused and "水务集团" in (answer or "")
        forwarded = await w.emu.wait_for_message(dept, timeout=20)
        assert "3 位市民" in forwarded.text and "统一答复口径" in forwarded.text
        assert "13812345678" not in forwarded.text and "138****5678" in forwarded.text
        answer, refused = await (await w.emu.press(w.head, alert, data)).answer(timeout=20)
        assert refused and "不再重复" in (answer or "")
        await asyncio.sleep(0.5)
        assert len([m for m in w.emu.messages(dept) if m.from_bot]) == 1


async def test_the_periodic_job_purges_old_originals(world: World) -> None:
    """RULES §4: after the retention period the unmasked original of an answered message
    is gone; the de-identified question and the reply stay."""
    from bot.runtime import run_periodic_once
    from workflow.models import InboxUpdate

    await world.citizen_says("社保卡丢了怎么办？我的身份证号110101199003074514")
    card = await world.card()
    await world.press(world.reviewer, card, "ap")
    await world.citizen_reply()
    # A finished update is marked done just after its handler returns (the reply can be out
    # before): only a done update is purged, so wait for the desk to finish them all.
    for _ in range(200):
        statuses = await world.db().run(lambda s: [u.status for u in s.exec(select(InboxUpdate))])
        if statuses and all(status is InboxStatus.DONE for status in statuses):
            break
        await asyncio.sleep(0.05)

    def age(session):  # type: ignore[no-untyped-def]
        old = utcnow() - timedelta(days=world.settings.retain_personal_data_days + 1)
        for row in [*session.exec(select(CitizenMessage)), *session.exec(select(InboxUpdate))]:
            row.received_at = old
            session.add(row)

    await world.db().run(age)
    # The loop runs its own rounds meanwhile: one that looked before the rows were aged may
    # mark the hour as done after we cleared it, and one purging now holds the rows ours
    # skips. So clear the mark and run a round until a round (ours or the loop's) purged.
    for _ in range(100):
        world.runtime.retention_checked = None
        await run_periodic_once(world.runtime)
        message = await world.db().run(lambda s: s.exec(select(CitizenMessage)).one())
        if "110101199003074514" not in message.text:
            break
        await asyncio.sleep(0.05)
    assert "110101199003074514" not in message.text and "社保卡" in message.text
    payloads = await world.db().run(lambda s: [u.payload for u in s.exec(select(InboxUpdate))])
    assert "110101199003074514" not in json.dumps(payloads, ensure_ascii=False)
