"""Every console response carries the security headers: a Content-Security-Policy with
frame-ancestors 'none' and no 'unsafe-inline', X-Frame-Options and a Referrer-Policy, on pages,
error pages, the login page, redirects, downloads and static files alike."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import ClientResponse

from bot.console import build_console
from tests.support.console import add_admin, console_client, login
from tests.support.journey import World

TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "console" / "templates"


def assert_secured(resp: ClientResponse) -> None:
    where = f"{resp.method} {resp.url.path} ({resp.status})"
    policy = resp.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("script-src") == ["'self'"], where
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, where
    assert resp.headers.get("X-Frame-Options") == "DENY", where
    assert resp.headers.get("Referrer-Policy") == "same-origin", where


async def test_every_console_response_carries_the_security_headers(desk: World) -> None:
    pages = sorted(
        "/console" + route.resource.canonical
        for route in build_console(desk.runtime).router.routes()
        if route.method == "GET" and route.resource is not None
        if "{" not in route.resource.canonical
    )
    assert "/console/kb" in pages and "/console/login" in pages
    admin = await add_admin(desk)
    async with console_client(desk) as client:
        signed_out = [
            await client.get("/console/"),  # the sign-in page (401)
            await client.get("/console/login?token=x"),
            await client.post("/console/login", data={"token": "x"}),  # refused (403)
            await client.get("/console/static/console.css"),
        ]
        for resp in signed_out:
            assert_secured(resp)
        csrf = await login(desk, client, admin)
        for path in pages:
            resp = await client.get(path, allow_redirects=False)
            assert resp.status < 500, path
            assert_secured(resp)
        errors = [
            await client.get("/console/no-such-page"),
            await client.get("/console/kb/entry/NO-SUCH-ENTRY"),
            await client.get("/console/kb/export?format=exe"),
            await client.post("/console/kb/entry/HJ001/retire", data={"reason": "无令牌"}),
        ]
        assert [r.status for r in errors] == [404, 404, 400, 403]
        for resp in errors:
            assert_secured(resp)
        redirect = await client.post(
            "/console/kb/entry/HJ001/retire",
            data={"csrf": csrf, "reason": "测试"},
            allow_redirects=False,
        )
        assert redirect.status == 303
        assert_secured(redirect)
        download = await client.get("/console/kb/export?format=csv")
        assert download.status == 200
        assert_secured(download)


def test_no_template_needs_inline_script_or_style() -> None:
    """What the policy forbids, the pages must not use (the browser test sees it live)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)
    offenders = [
        f"{path.name}: {match.group(0).strip()}"
        for path in sorted(TEMPLATES.glob("*.html"))
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
