"""`govreply sandbox`: try GovReply in a browser without Telegram.

Starts the Bot API emulator (the same module the tests use, tests/emulator, so the sandbox
runs from a repository checkout), the real bot against it on a SQLite database under
<data_dir>/sandbox with the sample Q&A base and demo operators, and one HTTP server with
a page of two panes: a citizen's private chat and the operators' group. The page polls a
small JSON endpoint; its buttons ask the emulator to act as the citizen or a demo operator.
The web console is mounted on the same server (/console).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import SecretStr

from bot.db import Database, upgrade
from bot.runtime import running
from bot.services import open_services
from bot.settings import Mode, Settings
from bot.webhook import build_web_app, make_runner
from knowledge_base import io as kb_io
from knowledge_base import store
from workflow.models import Role
from workflow.operators import add_operator

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from tests.emulator import BotApiEmulator, SimChat, SimMessage, SimUser

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_KB = ROOT / "examples" / "kb_sample.jsonl"
PACKAGED_KB = ROOT / "knowledge_base" / "data" / "sample" / "kb.jsonl"
PAGE = Path(__file__).parent / "console" / "static" / "sandbox.html"
OPS_CHAT = -100100
DISCUSSION_CHAT = -100200  # the comments under the demo channel's posts
CHANNEL_CHAT = -100300
CITIZEN = (5001, "市民小李", "citizen_li")
DEMO_OPERATORS = (
    (1001, "王审核", "wang_rev", Role.REVIEWER),
    (1002, "赵审核", "zhao_rev", Role.REVIEWER),
    (1003, "陈分管", "chen_dep", Role.DEPUTY_HEAD),
    (1004, "刘主任", "liu_head", Role.HEAD),
    (1009, "孙管理", "sun_admin", Role.ADMIN),
)
HEADER = "X-Sandbox"  # a custom header: cross-site pages can't send it without CORS


class Sandbox:
    """The simulated world behind the page: one citizen, the operators' group, demo staff,
    and the account's channel with its comment section."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu
        self.ops: SimChat = emu.group(OPS_CHAT, "审核工作群（沙盒）")
        self.discussion: SimChat = emu.group(DISCUSSION_CHAT, "示例市发布 评论区")
        self.channel: SimChat = emu.channel(
            CHANNEL_CHAT, "示例市发布", discussion_group=self.discussion
        )
        self.last_post: SimMessage | None = None
        self.citizen: SimUser = emu.user(*CITIZEN)
        emu.private_chat(self.citizen)
        self.staff: dict[int, SimUser] = {}
        for uid, name, username, _role in DEMO_OPERATORS:
            user = emu.user(uid, name, username)
            emu.set_member(self.ops, user, "member")
            emu.private_chat(user)
            self.staff[uid] = user

    def _message(self, chat: SimChat, message_id: int) -> SimMessage:
        for m in self.emu.messages(chat):
            if m.message_id == message_id:
                return m
        raise web.HTTPNotFound(text=f"no message {message_id}")

    def state(self) -> dict[str, Any]:
        def dump(chat: SimChat) -> list[dict[str, Any]]:
            out = []
            for m in self.emu.messages(chat):
                sender = m.data.get("from") or {}
                out.append(
                    {
                        "id": m.message_id,
                        "bot": m.from_bot,
                        "from": sender.get("first_name", ""),
                        "text": m.text or "",
                        "edits": m.version,
                        "reply_to": m.reply_to_message_id,
                        "buttons": [
                            [
                                {
                                    "text": b["text"],
                                    "data": b.get("callback_data", ""),
                                    "url": b.get("url", ""),
                                }
                                for b in row
                            ]
                            for row in m.buttons
                        ],
                        "force_reply": bool((m.reply_markup or {}).get("force_reply")),
                    }
                )
            return out

        return {
            "citizen": dump(self.emu.private_chat(self.citizen)),
            "ops": dump(self.ops),
            "discussion": dump(self.discussion),
            "staff": [
                {"id": uid, "name": name, "role": role.value}
                for uid, name, _u, role in DEMO_OPERATORS
            ],
        }

    async def say(self, text: str) -> None:
        await self.emu.send_message(self.citizen, None, text)

    async def post(self, text: str) -> None:
        """The account posts in its channel (mirrored into the comment section)."""
        self.last_post = await self.emu.channel_post(self.channel, text)

    async def comment(self, text: str) -> None:
        """The citizen comments under the latest post (a first post is made if none)."""
        if self.last_post is None:
            await self.post("示例市发布：本周政务服务安排")
        assert self.last_post is not None
        await self.emu.send_message(
            self.citizen, self.discussion, text, reply_to=self.last_post.discussion
        )

    async def edit(self, message_id: int, text: str) -> None:
        """The citizen edits one of their own messages (Telegram's edited_message)."""
        message = self._message(self.emu.private_chat(self.citizen), message_id)
        if message.from_bot:
            raise web.HTTPBadRequest(text="only the citizen's own messages can be edited")
        await self.emu.edit_message(message, text)

    async def press(self, user_id: int, message_id: int, data: str) -> tuple[str | None, bool]:
        handle = await self.emu.press(
            self._user(user_id), self._message(self.ops, message_id), data
        )
        return await handle.answer(timeout=30)

    async def staff_says(self, user_id: int, text: str) -> None:
        """An operator writes in the group (a command such as /post, /duty, /inspect)."""
        await self.emu.send_message(self._user(user_id), self.ops, text)

    async def reply(self, user_id: int, message_id: int, text: str) -> None:
        target = self._message(self.ops, message_id)
        await self.emu.send_message(self._user(user_id), self.ops, text, reply_to=target)

    async def console_link(self, user_id: int) -> str:
        user = self._user(user_id)
        chat = self.emu.private_chat(user)
        await self.emu.send_message(user, None, "/console")
        reply = await self.emu.wait_for_message(
            chat, lambda m: "/console/login" in (m.text or ""), timeout=30
        )
        text = reply.text or ""
        return text[text.index("http") :].split()[0]

    def _user(self, user_id: int) -> SimUser:
        if user_id not in self.staff:
            raise web.HTTPBadRequest(text=f"unknown demo operator {user_id}")
        return self.staff[user_id]


SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)


async def _body(request: web.Request) -> dict[str, Any]:
    if request.headers.get(HEADER) != "1":
        raise web.HTTPForbidden(text="missing X-Sandbox header")
    data = await request.json()
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="JSON object expected")
    return data


def _text(data: dict[str, Any], what: str) -> str:
    """The request's non-empty `text`, or 400 naming what was empty."""
    text = str(data.get("text", "")).strip()
    if not text:
        raise web.HTTPBadRequest(text=f"empty {what}")
    return text


async def on_page(_request: web.Request) -> web.StreamResponse:
    return web.FileResponse(PAGE)


async def on_state(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[SANDBOX].state())


async def on_say(request: web.Request) -> web.StreamResponse:
    await request.app[SANDBOX].say(_text(await _body(request), "message"))
    return web.json_response({"ok": True})


async def on_post(request: web.Request) -> web.StreamResponse:
    await request.app[SANDBOX].post(_text(await _body(request), "post"))
    return web.json_response({"ok": True})


async def on_comment(request: web.Request) -> web.StreamResponse:
    await request.app[SANDBOX].comment(_text(await _body(request), "comment"))
    return web.json_response({"ok": True})


async def on_edit(request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    await request.app[SANDBOX].edit(int(data["message_id"]), _text(data, "message"))
    return web.json_response({"ok": True})


async def on_press(request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    text, alert = await request.app[SANDBOX].press(
        int(data["as"]), int(data["message_id"]), str(data["data"])
    )
    return web.json_response({"text": text, "alert": alert})


async def on_reply(request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    await request.app[SANDBOX].reply(
        int(data["as"]), int(data["message_id"]), str(data.get("text", ""))
    )
    return web.json_response({"ok": True})


async def on_staff(request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    await request.app[SANDBOX].staff_says(int(data["as"]), _text(data, "group message"))
    return web.json_response({"ok": True})


async def on_console(request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    link = await request.app[SANDBOX].console_link(int(data["as"]))
    return web.json_response({"link": link})


def add_sandbox_routes(web_app: web.Application, sandbox: Sandbox) -> None:
    web_app[SANDBOX] = sandbox
    web_app.router.add_get("/", on_page)
    web_app.router.add_get("/sandbox/state", on_state)
    web_app.router.add_post("/sandbox/say", on_say)
    web_app.router.add_post("/sandbox/edit", on_edit)
    web_app.router.add_post("/sandbox/post", on_post)
    web_app.router.add_post("/sandbox/comment", on_comment)
    web_app.router.add_post("/sandbox/press", on_press)
    web_app.router.add_post("/sandbox/reply", on_reply)
    web_app.router.add_post("/sandbox/staff", on_staff)
    web_app.router.add_post("/sandbox/console", on_console)


def prepare_database(url: str) -> None:
    """Migrate; import the sample Q&A base if the base is empty; register demo operators."""
    upgrade(url)
    db = Database(url)
    try:
        if not db.call(store.list_entries, include_retired=True):
            path = SAMPLE_KB if SAMPLE_KB.exists() else PACKAGED_KB
            records = kb_io.parse(path.read_bytes(), str(path))
            db.call(store.import_records, records, None, "sandbox sample")
        for uid, name, _username, role in DEMO_OPERATORS:
            db.call(add_operator, uid, role, name)
    finally:
        db.dispose()


def sandbox_settings(settings: Settings, emu: BotApiEmulator, port: int) -> Settings:
    """The user's settings pointed at the emulator and a sandbox database and folder."""
    data_dir = Path(settings.data_dir) / "sandbox"
    data_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(
        update={
            "token": SecretStr(emu.token),
            "base_url": emu.base_url,
            "base_file_url": emu.base_file_url,
            "operators_chat_id": OPS_CHAT,
            "discussion_chat_ids": [DISCUSSION_CHAT],
            "channel_id": CHANNEL_CHAT,  # operators can /post through sign-off
            "database_url": f"sqlite:///{data_dir / 'sandbox.db'}",
            "data_dir": data_dir,
            "mode": Mode.POLLING,
            "rate_limit": False,
            "console_url": f"http://127.0.0.1:{port}",
        }
    )


async def serve_sandbox(
    settings: Settings,
    port: int | None = None,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    model: SentenceTransformer | None = None,
) -> None:
    """Run the sandbox on 127.0.0.1:`port` until Ctrl-C (or until `stop` is set).

    `ready` is set once the page is served; `model` reuses a loaded embedding model.
    """
    if (ROOT / "tests" / "emulator").is_dir() and str(ROOT) not in sys.path:
        # The emulator lives with the tests in the checkout, not in the installed packages.
        sys.path.insert(0, str(ROOT))
    try:
        from tests.emulator import BotApiEmulator
    except ImportError:
        msg = (
            "the sandbox needs the Bot API emulator from a GovReply repository checkout "
            "(tests/emulator); run `govreply sandbox` from the repository folder"
        )
        raise SystemExit(msg) from None
    port = port if port is not None else settings.listen_port
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with BotApiEmulator(bot_username="govreply_sandbox_bot", fail_on_error=False) as emu:
        sandbox = Sandbox(emu)
        local = sandbox_settings(settings, emu, port)
        await asyncio.to_thread(prepare_database, local.database_url)
        async with open_services(local, model=model) as services, running(services) as runtime:
            web_app = build_web_app(runtime)
            add_sandbox_routes(web_app, sandbox)
            runner = make_runner(web_app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", port)
            await site.start()
            logger.info("sandbox on http://127.0.0.1:%s (console: /console)", port)
            print(f"GovReply sandbox: open http://127.0.0.1:{port}  (Ctrl-C to stop)")  # noqa: T201
            if ready is not None:
                ready.set()
            try:
                await stop.wait()
            finally:
                await runner.cleanup()
