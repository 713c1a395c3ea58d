"""Driving the web console in tests: a real HTTP client on the bot's own aiohttp app, and
login the way an operator does it (send /console to the bot, open the link, press the button).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import build_web_app
from tests.emulator import SimUser
from tests.support.journey import World

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@asynccontextmanager
async def console_client(world: World) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """An HTTP client for the real web app (/telegram, /healthz, /console) of a running desk."""
    client = TestClient(TestServer(build_web_app(world.runtime), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def login_link(world: World, user: SimUser) -> str:
    """The user sends /console to the bot privately and returns the link the bot sends back."""
    chat = world.emu.private_chat(user)
    await world.emu.send_message(user, None, "/console")
    reply = await world.emu.wait_for_message(
        chat, lambda m: "/console/login" in (m.text or ""), timeout=20
    )
    match = re.search(r"https?://\S+", reply.text or "")
    assert match, reply.text
    return match.group(0)


def token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


async def login(world: World, client: TestClient, user: SimUser) -> str:  # type: ignore[type-arg]
    """Sign `user` in; returns the page's CSRF token."""
    token = token_of(await login_link(world, user))
    page = await client.get(f"/console/login?token={token}")
    assert page.status == 200
    resp = await client.post("/console/login", data={"token": token})
    assert resp.status == 200, await resp.text()
    return csrf_of(await resp.text())


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


ADMIN_ID = 1009


async def add_admin(world: World) -> SimUser:
    """Register an admin (孙管理) the way `govreply users add` would; returns their user."""
    from workflow.models import Role
    from workflow.operators import add_operator

    await world.db().run(add_operator, ADMIN_ID, Role.ADMIN, "孙管理")
    return world.emu.user(ADMIN_ID, "孙管理", "sun_admin")
