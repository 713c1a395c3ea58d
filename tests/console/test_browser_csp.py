"""The console in a real browser under its Content-Security-Policy: login, the dashboard's
chart legend, an import whose page script polls the index job, with no violation reported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect

from bot.console import texts
from bot.webhook import build_web_app
from tests.console.conftest import serve
from tests.console.test_browser import browser_login
from tests.support.console import add_admin
from tests.support.journey import World

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
});
"""


@pytest.fixture
async def site(desk: World) -> AsyncIterator[str]:
    """The desk's own web app (/telegram, /healthz, /console) on a real port."""
    runner, base = await serve(build_web_app(desk.runtime))
    try:
        yield base
    finally:
        await runner.cleanup()


async def test_console_pages_work_under_their_content_security_policy(
    desk: World, site: str, browser_page: Any
) -> None:
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    await page.add_init_script(REPORT_VIOLATIONS)
    await desk.citizen_says("请问外地人怎么办居住证？要带什么材料")  # the chart has a bar
    await desk.card()
    admin = await add_admin(desk)
    await browser_login(page, desk, site, admin)  # the login POST passes the Origin check

    resp = await page.goto(f"{site}/console/")
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert resp.headers["referrer-policy"] == "same-origin"
    await expect(page.locator(".legend .swatch").first).to_be_visible()
    box = await page.locator(".legend .swatch").first.bounding_box()
    assert box is not None and box["width"] > 4  # sized by the stylesheet

    await page.goto(f"{site}/console/kb/import")
    good = (
        "id,question,variants,answer,sensitivity\n"
        "WS001,狂犬疫苗在哪里打？,被狗咬了去哪打针,请到社区卫生服务中心接种。,ordinary\n"
    ).encode()
    await page.set_input_files(
        "#import-file", files=[{"name": "new.csv", "mimeType": "text/csv", "buffer": good}]
    )
    await page.click("#preview")
    await page.click("#apply")
    # index_progress.js (a script from /console/static) polls the job until it is done.
    done = texts.INDEX_DONE.split("：")[0]
    await expect(page.locator("#index-progress")).to_contain_text(done, timeout=60_000)

    for path in ("/console/kb/entry/WS001", "/console/report", "/console/kb/changes"):
        await page.goto(f"{site}{path}")
        await expect(page.locator("h1")).to_be_visible()
    assert violations == []
