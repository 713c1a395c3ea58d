"""Console sign-in and request guards: signed session cookie, CSRF tokens, role checks.

Login is a single-use link the bot sends on /console. Opening it shows a button; pressing it
POSTs the token (so link previews and prefetchers can't burn it, and the SameSite=Strict
cookie is set by a same-site request). The cookie holds the session id and its HMAC; the
CSRF token of a session is another HMAC of its id, checked on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlparse

from aiohttp import web

from bot.console.context import CSRF, OPERATOR, SESSION_ID, render, see_other
from bot.settings import Settings
from workflow.console_access import end_session, operator_for_session, redeem_login
from workflow.errors import TokenInvalid
from workflow.models import ConsoleSession, Operator, Role

logger = logging.getLogger(__name__)

COOKIE = "govreply_console"
PUBLIC_ROUTES = frozenset({"login", "login_post", "static"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def console_secret(settings: Settings) -> bytes:
    """The signing key: the setting, else a random key generated once under data_dir."""
    if settings.console_secret is not None:
        return settings.console_secret.get_secret_value().encode()
    path = Path(settings.data_dir) / "console_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def cookie(self, session_id: str) -> str:
        return f"{session_id}.{self.mac('session', session_id)}"

    def session_id(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie:
            return None
        session_id, mac = cookie.rsplit(".", 1)
        return session_id if hmac.compare_digest(mac, self.mac("session", session_id)) else None

    def csrf(self, session_id: str) -> str:
        return self.mac("csrf", session_id)


def require_role(request: web.Request, roles: frozenset[Role] | set[Role]) -> Operator:
    """The signed-in operator if their role is one of `roles`, else 403."""
    op: Operator = request[OPERATOR]
    if op.role not in roles:
        raise web.HTTPForbidden(text="此页面需要更高权限。", content_type="text/plain")
    return op


def make_guard(signer: Signer, runner: Callable[..., Awaitable[object]]) -> object:
    """The middleware: sign-in on every page but login and static; CSRF on every POST."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.name
        if route in PUBLIC_ROUTES:
            return await handler(request)
        session_id = signer.session_id(request.cookies.get(COOKIE))
        op: Operator | None = (
            await runner(operator_for_session, session_id) if session_id else None  # type: ignore[assignment]
        )
        if op is None:
            return render("signin.html", request, {}, status=401)
        request[OPERATOR] = op
        request[SESSION_ID] = session_id or ""
        request[CSRF] = signer.csrf(session_id or "")
        if request.method == "POST":
            form = await request.post()
            given = str(form.get("csrf") or request.headers.get("X-CSRF-Token", ""))
            if not hmac.compare_digest(given, request[CSRF]):
                logger.warning(
                    "console POST without a valid CSRF token refused (op=%s)", op.telegram_id
                )
                raise web.HTTPForbidden(
                    text="CSRF 校验失败，请刷新页面后重试。", content_type="text/plain"
                )
        return await handler(request)

    return guard


def setup_routes(
    app: web.Application,
    signer: Signer,
    settings: Settings,
    runner: Callable[..., Awaitable[object]],
) -> None:

    secure = settings.console_url.startswith("https://")

    async def login(request: web.Request) -> web.StreamResponse:
        token = request.query.get("token", "")
        return render("login.html", request, {"token": token})

    own_hosts = {urlparse(settings.console_url).netloc} - {""}

    def cross_site(request: web.Request) -> bool:
        """A login posted from another site's page (login CSRF: it would sign the victim in
        as whoever's token it carries, and their actions would be recorded as that person's)."""
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            return True
        origin = request.headers.get("Origin")
        return bool(origin) and urlparse(origin).netloc not in own_hosts | {request.host}

    async def login_post(request: web.Request) -> web.StreamResponse:
        if cross_site(request):
            logger.warning("console login posted from another site refused")
            from bot.console.texts import LOGIN_ERRORS

            error = LOGIN_ERRORS["cross_site"]
            return render("signin.html", request, {"error": error}, status=403)
        form = await request.post()
        token = str(form.get("token", ""))
        try:
            started: ConsoleSession = await runner(  # type: ignore[assignment]
                redeem_login, token, settings.console_session_hours
            )
        except TokenInvalid as exc:
            from bot.console.texts import LOGIN_ERRORS

            return render(
                "signin.html",
                request,
                {"error": LOGIN_ERRORS.get(exc.reason, exc.reason)},
                status=403,
            )
        response = see_other(request.app.router["dashboard"].url_for())
        response.set_cookie(
            COOKIE,
            signer.cookie(started.id),
            httponly=True,
            samesite="Strict",
            secure=secure,
            path="/console",
            max_age=int(settings.console_session_hours * 3600),
        )
        return response

    async def logout(request: web.Request) -> web.StreamResponse:
        await runner(end_session, request[SESSION_ID])
        response = render("signin.html", request, {"notice": "已退出登录。"})
        response.del_cookie(COOKIE, path="/console")
        return response

    app.router.add_get("/login", login, name="login")
    app.router.add_post("/login", login_post, name="login_post")
    app.router.add_post("/logout", logout, name="logout")
