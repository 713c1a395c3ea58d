"""The console and the sandbox in a real browser (Playwright + Debian's Chromium)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sentence_transformers import SentenceTransformer
from sqlmodel import select

from bot.settings import Settings
from bot.webhook import build_web_app
from tests.console.conftest import serve
from tests.emulator import SimUser
from tests.support.console import add_admin, login_link, token_of
from tests.support.journey import World
from workflow.models import Draft


@pytest.fixture
async def site(desk: World) -> AsyncIterator[str]:
    """The desk's own web app (/telegram, /healthz, /console) on a real port."""
    runner, base = await serve(build_web_app(desk.runtime))
    try:
        yield base
    finally:
        await runner.cleanup()


async def browser_login(page: Any, desk: World, base: str, user: SimUser) -> None:
    """Send /console to the bot, open the link it returns, press the button."""
    token = token_of(await login_link(desk, user))
    await page.goto(f"{base}/console/login?token={token}")
    await page.click("#login")
    await expect(page.locator("header .who")).to_contain_text(user.first_name)


async def test_login_through_a_console_link(desk: World, site: str, browser_page: Any) -> None:
    page = browser_page
    await page.goto(f"{site}/console/")
    await expect(page.locator("body")).to_contain_text("/console")
    await browser_login(page, desk, site, desk.reviewer)
    await expect(page.locator("h1")).to_contain_text("概览")
    await expect(page.locator("svg.chart").first).to_be_visible()


async def test_import_with_an_error_shows_the_report(
    desk: World, site: str, browser_page: Any
) -> None:
    page = browser_page
    admin = await add_admin(desk)
    await browser_login(page, desk, site, admin)
    await page.goto(f"{site}/console/kb/import")
    bad = (
        "id,question,variants,answer,sensitivity\n"
        "NEW1,新问题一,,答案一,ordinary\n"
        "NEW2,新问题二,,,ordinary\n"
    ).encode()
    await page.set_input_files(
        "#import-file", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    await page.click("#preview")
    await expect(page.locator("[role=alert]")).to_contain_text("未导入任何条目")
    row = page.locator("#report tr").nth(1)
    await expect(row).to_contain_text("3")
    await expect(row).to_contain_text("答案")
    ids = await desk.db().run(lambda s: [d for d in s.exec(select(Draft.id))])
    assert ids == []


async def test_edit_an_entry_and_the_new_version_is_matched(
    desk: World, site: str, browser_page: Any
) -> None:
    page = browser_page
    admin = await add_admin(desk)
    await browser_login(page, desk, site, admin)
    await page.goto(f"{site}/console/kb/entry/SB001")
    variants = page.locator("#edit-form textarea[name=variants]")
    await variants.fill((await variants.input_value()) + "\n市民卡不见了去哪里挂失")
    await page.fill(
        "#edit-form textarea[name=answer]",
        "社保卡遗失请拨打12333挂失，再到任一社保网点补卡，当场可取新卡。",
    )
    await page.fill("#edit-form input[name=reason]", "补充市民卡问法")
    await page.click("#save")
    await expect(page.locator("[role=status]")).to_contain_text("新版本已生效")
    await expect(page.locator("#versions")).to_contain_text("v2")

    await page.goto(f"{site}/console/kb/search")
    await page.fill("#search-q", "市民卡不见了去哪里挂失")
    await page.click("#search-go")
    await expect(page.locator("#matches tr").nth(1)).to_contain_text("SB001")

    await desk.citizen_says("市民卡不见了去哪里挂失")
    card = await desk.card()
    assert "SB001" in (card.text or "")


async def test_approve_a_draft_from_the_queue_page(
    desk: World, site: str, browser_page: Any
) -> None:
    page = browser_page
    await desk.citizen_says("请问外地人怎么办居住证？要带什么材料")
    await desk.card()
    draft_id = await desk.db().run(lambda s: s.exec(select(Draft.id)).one())
    await browser_login(page, desk, site, desk.reviewer)
    await page.goto(f"{site}/console/queue")
    await page.click(f"#draft-{draft_id} button.approve")
    await expect(page.locator("[role=status]")).to_contain_text("答复进入发送队列")
    reply = await desk.citizen_reply()
    assert "审核人：王审核" in (reply.text or "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_sandbox_round_trip(
    tmp_path: Path, st_model: SentenceTransformer, browser_page: Any
) -> None:
    from bot.sandbox import serve_sandbox

    page = browser_page
    port = free_port()
    stop = asyncio.Event()
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    ready = asyncio.Event()
    task = asyncio.create_task(
        serve_sandbox(settings, port=port, stop=stop, ready=ready, model=st_model)
    )
    try:
        started = asyncio.create_task(ready.wait())
        await asyncio.wait([task, started], timeout=120, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the sandbox failed to start: show why
        assert ready.is_set(), "the sandbox did not start within 120 s"
        await page.goto(f"http://127.0.0.1:{port}/")
        await page.fill("#say", "请问外地人怎么办居住证？要带什么材料")
        await page.click("#send")
        card = page.locator("#ops-chat .msg", has_text="草稿 #")
        await expect(card).to_be_visible()
        # The citizen edits the message: the card follows the new words.
        edited = "请问外地人怎么办居住证？我是来读书的学生"
        page.once("dialog", lambda dialog: dialog.accept(edited))
        await page.locator("#citizen-chat .msg.mine button.edit").click()
        await expect(card).to_contain_text("市民已修改留言")
        await expect(card).to_contain_text("来读书的学生")
        await page.select_option("#as", "1001")
        await card.locator("button", has_text="通过").click()
        reply = page.locator("#citizen-chat .msg", has_text="审核人：王审核")
        await expect(reply).to_be_visible()
        await expect(reply).to_contain_text("拟稿人：GovReply")
        # The comment section: the account posts, the citizen comments, the reply is public.
        await page.fill("#post", "示例市发布：本周政务服务安排")
        await page.click("#send-post")
        mirrored = page.locator("#discussion-chat .msg", has_text="本周政务服务安排")
        await expect(mirrored).to_contain_text("频道（示例市发布）")
        await page.fill("#comment", "社保卡丢了怎么办？")
        await page.click("#send-comment")
        comment_card = page.locator("#ops-chat .msg", has_text="社保卡丢了怎么办")
        await expect(comment_card).to_contain_text("评论区")
        await comment_card.locator("button", has_text="通过").click()
        public = page.locator("#discussion-chat .msg", has_text="审核人：王审核")
        await expect(public).to_be_visible()
        # A channel post under sign-off: proposed in the group, signed by someone else,
        # published with its stamp (its mirror shows in the comment section).
        await page.fill("#ops-say", "/post 示例市发布：市民中心周六照常办公")
        await page.click("#send-ops")
        post_card = page.locator("#ops-chat .msg", has_text="频道稿件 #1")
        await expect(post_card).to_contain_text("拟稿人：王审核")
        await page.select_option("#as", "1002")
        await post_card.locator("button", has_text="通过").click()
        published = page.locator("#discussion-chat .msg", has_text="周六照常办公")
        await expect(published).to_contain_text("审核人：赵审核")
    finally:
        stop.set()
        await task
