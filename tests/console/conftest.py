"""Browser fixtures: Debian's Chromium driven by Playwright, and the desk served on a real port.

Chromium comes from apt (`apt-get install chromium chromium-driver`), never from
`playwright install`. If it is missing the browser tests fail, they never skip.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    """A fresh page in headless Chromium."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - one stat before the browser starts
        pytest.fail(
            f"{CHROMIUM} not found: install it with "
            "`apt-get install -y chromium chromium-driver` (see .ci/run)"
        )
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail(
            "playwright is not installed: pip install playwright "
            "(do not run `playwright install`; the tests use Debian's Chromium)"
        )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(locale="zh-CN")
        page = await context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()


async def serve(web_app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve an aiohttp app on a free 127.0.0.1 port; returns the runner and base URL."""
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"
