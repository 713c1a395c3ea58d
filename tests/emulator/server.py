"""BotApiEmulator: a Bot API over real HTTP for tests, with a simulated world behind it.

The aiohttp app serves `/bot{token}/{method}` and `/file/bot{token}/{path}` on 127.0.0.1.
Anything it can't serve faithfully (unknown method, missing parameter, wrong token) is
answered in Bot API form *and* recorded in `errors`, which fails the test on exit.
"""

from __future__ import annotations

import copy
import logging
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from . import chats, driving, messaging, updates
from .faults import BAD_GATEWAY_HTML, SENDING_METHODS, Fault, FaultBook, RateLimiter
from .params import ApiError, Method, Params, read_params
from .state import World
from .world import Call, CallbackQuery, SimChat, SimMessage, SimUser

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:EMULATOR-test-token"  # noqa: S105 -- a fake token for tests


class CallbackHandle:
    """A pressed button; `await handle.answer()` waits for the bot's answerCallbackQuery."""

    def __init__(self, world: World, query: CallbackQuery) -> None:
        self._world = world
        self.query = query

    @property
    def id(self) -> str:
        return self.query.id

    @property
    def answered(self) -> bool:
        return self.query.answered

    async def answer(self, timeout: float = 10) -> tuple[str | None, bool]:  # noqa: ASYNC109
        """(text, show_alert) of the bot's answer.

        Raises:
            AssertionError: the bot didn't answer within `timeout` seconds.
        """
        query = self.query
        await self._world.wait_until(
            lambda: query if query.answered else None, timeout, f"an answer to query {query.id}"
        )
        return query.text, query.show_alert


class BotApiEmulator:
    """A Telegram Bot API server for one test. Use `async with BotApiEmulator() as emu:`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "govreply_bot",
        *,
        bot_name: str = "GovReply",
        fail_on_error: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.world = World(token, bot_username, bot_name, clock)
        self.faults = FaultBook()
        self.limiter = RateLimiter()
        self.fail_on_error = fail_on_error
        self._methods: dict[str, Method] = {
            **messaging.METHODS,
            **chats.METHODS,
            **updates.METHODS,
        }
        self._webhook = updates.WebhookSender(self.world)
        self._server: TestServer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._on_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._on_file)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self._webhook.start()

    async def stop(self) -> None:
        """Wake every waiting long-poll and slow answer, then close the server."""
        self.world.closing = True
        self.world.notify()
        await self._webhook.stop()
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        # Don't hide the test's own failure behind ours.
        if self.fail_on_error and exc_type is None:
            self.assert_no_errors()

    @property
    def port(self) -> int:
        if self._server is None or self._server.port is None:
            msg = "the emulator is not started; use `async with BotApiEmulator()` or start()"
            raise RuntimeError(msg)
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB `base_url`: PTB appends token + "/" + method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def bot(self) -> SimUser:
        return self.world.bot

    # -- the simulated world ----------------------------------------------------------------

    def user(
        self,
        id: int,  # noqa: A002 -- mirrors the Bot API field
        first_name: str,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> SimUser:
        user = SimUser(id, first_name, username, last_name, language_code)
        self.world.users[id] = user
        return user

    def private_chat(self, user: SimUser, *, started: bool = True) -> SimChat:
        """The user's private chat with the bot; `started=False` means they never wrote."""
        return driving.open_private_chat(self.world, user, started=started)

    def group(
        self,
        chat_id: int,
        title: str,
        type: str = "supergroup",
        *,
        username: str | None = None,  # noqa: A002
    ) -> SimChat:
        if type not in ("group", "supergroup"):
            msg = f"group type must be 'group' or 'supergroup', not {type!r}"
            raise ValueError(msg)
        return self.world.add_chat(SimChat(chat_id, type, title=title, username=username))

    def channel(
        self,
        chat_id: int,
        title: str,
        discussion_group: SimChat | None = None,
        *,
        username: str | None = None,
    ) -> SimChat:
        chat = self.world.add_chat(SimChat(chat_id, "channel", title=title, username=username))
        if discussion_group is not None:
            chat.linked_chat_id = discussion_group.id
            discussion_group.linked_chat_id = chat.id
        return chat

    def set_member(self, chat: SimChat, user: SimUser, status: str) -> None:
        """Set a ChatMember status: creator, administrator, member, restricted, left, kicked."""
        chat.member_status[user.id] = status

    def block(self, user: SimUser) -> None:
        """The user blocks the bot: sends to them answer 403."""
        user.blocked = True

    # -- driving ----------------------------------------------------------------------------

    async def send_message(
        self,
        user: SimUser,
        chat: SimChat | None,
        text: str | None,
        reply_to: SimMessage | None = None,
        photo: bool | bytes = False,
    ) -> SimMessage:
        """`user` writes `text` in `chat` (None: their private chat); queues the Update."""
        return driving.send_user_message(
            self.world, user, chat, text, reply_to=reply_to, photo=photo
        )

    async def edit_message(self, message: SimMessage, text: str) -> SimMessage:
        """The author edits their message; queues an edited_message Update."""
        return driving.edit_user_message(self.world, message, text)

    async def channel_post(self, channel: SimChat, text: str) -> SimMessage:
        """Post in `channel`; `.discussion` is the automatic forward in its discussion group."""
        return driving.post_to_channel(self.world, channel, text)

    async def press(
        self, user: SimUser, message: SimMessage, callback_data: str, *, force: bool = False
    ) -> CallbackHandle:
        """`user` presses the button with `callback_data` on a bot message."""
        query = driving.press_button(self.world, user, message, callback_data, force=force)
        return CallbackHandle(self.world, query)

    # -- observing --------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.world.calls

    @property
    def errors(self) -> list[str]:
        return self.world.errors

    def assert_no_errors(self) -> None:
        """Raises AssertionError listing every request the emulator could not serve."""
        if self.world.errors:
            listed = "\n  ".join(self.world.errors)
            msg = f"the Bot API emulator saw {len(self.world.errors)} problem(s):\n  {listed}"
            raise AssertionError(msg)

    def messages(self, chat: SimChat, *, include_deleted: bool = False) -> list[SimMessage]:
        """All messages in `chat` (users' and the bot's) in their current state."""
        return self.world.messages(chat, include_deleted=include_deleted)

    def count_sent(self, chat: SimChat) -> int:
        return self.world.count_sent(chat)

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[Call]:
        name = method.lower()
        return [c for c in self.world.calls if c.method.lower() == name and (c.ok or not ok_only)]

    @property
    def callback_queries(self) -> dict[str, CallbackQuery]:
        return self.world.callback_queries

    @property
    def webhook_deliveries(self) -> list[tuple[int, str]]:
        return self._webhook.deliveries

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self.world.pending_updates

    async def wait_for_message(
        self,
        chat: SimChat,
        predicate: Callable[[SimMessage], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> SimMessage:
        """The next bot message in `chat` matching `predicate` that no wait returned yet."""
        return await self.world.wait_for_message(chat, predicate, timeout)

    async def wait_for_edit(
        self,
        chat: SimChat,
        message_id: int,
        predicate: Callable[[SimMessage], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> SimMessage:
        """A snapshot of the next unconsumed edit of the message that matches `predicate`."""
        return await self.world.wait_for_edit(chat, message_id, predicate, timeout)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> Call:
        """The next answered call of `method` matching `predicate` that no wait returned yet."""
        return await self.world.wait_for_call(method, predicate, timeout)

    async def wait_for_updates_consumed(self, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and confirmed every queued update."""
        await self.world.wait_until(
            lambda: True if not self.world.pending_updates else None, timeout, "updates consumed"
        )

    # -- faults -----------------------------------------------------------------------------

    @property
    def rate_limits(self) -> bool:
        return self.limiter.enabled

    @rate_limits.setter
    def rate_limits(self, enabled: bool) -> None:
        self.limiter.enabled = enabled

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        *,
        retry_after: int | None = None,
        drop: bool = False,
        delay: float | None = None,
        description: str | None = None,
        perform: bool = False,
        times: int = 1,
    ) -> None:
        """Script a failure for the next `times` calls of `method`.

        status=429 answers "Too Many Requests: retry after N"; 500/502/503/504 an nginx HTML
        page; another status answers the Bot API error with `description`. drop=True closes
        the connection without an answer. delay=s answers after s seconds (a 504 page, or
        the real result when perform=True). A fault does not perform the method, except
        perform=True with delay.
        """
        if status is None and not drop and delay is None:
            msg = "fail_next needs status, drop=True or delay"
            raise ValueError(msg)
        fault = Fault(status, retry_after, drop, delay, description, perform, times)
        self.faults.add(method, fault)

    # -- HTTP -------------------------------------------------------------------------------

    async def _on_request(self, request: web.Request) -> web.StreamResponse:
        method_name = request.match_info["method"]
        if request.match_info["token"] != self.world.token:
            self.world.record_error(f"{method_name}: request with a wrong bot token")
            return self._json(ApiError(401, "Unauthorized").to_json(), 401)
        try:
            params = await read_params(request)
        except ApiError as error:
            self.world.record_error(f"{method_name}: unreadable request: {error.description}")
            return self._json(error.to_json(), error.code)
        call = Call(method_name, params.values, self.world.clock())
        self.world.calls.append(call)
        method = self._methods.get(method_name.lower())
        if method is None:
            problem = f"{method_name}: method not implemented by the emulator"
            return self._refuse(call, ApiError(404, "Not Found"), problem)
        missing = [
            name
            for name in method.required
            if params.get(name) in (None, "") and name not in params.uploads
        ]
        if missing:
            error = ApiError(400, f"Bad Request: {missing[0]} is empty")
            if missing[0] == "text":
                error = ApiError(400, "Bad Request: message text is empty")
            return self._refuse(call, error, f"{method_name}: missing required {missing}")
        fault = self.faults.take(method_name)
        if fault is not None:
            return await self._apply_fault(request, call, method, params, fault)
        return await self._perform(call, method, params)

    def _refuse(self, call: Call, error: ApiError, problem: str) -> web.Response:
        call.status, call.error = error.code, error.description
        self.world.record_error(problem)
        return self._json(error.to_json(), error.code)

    async def _perform(self, call: Call, method: Method, params: Params) -> web.Response:
        try:
            if method.name.lower() in SENDING_METHODS:
                self.limiter.check(method.name, self.world.chats.get(_int_or_none(params)))
            result = await method.handler(self.world, params)
        except ApiError as error:
            call.status, call.error = error.code, error.description
            self.world.notify()
            return self._json(error.to_json(), error.code)
        except Exception:  # noqa: BLE001 -- an emulator bug must fail the test, not hang it
            problem = f"{method.name}: emulator crashed:\n{traceback.format_exc()}"
            return self._refuse(call, ApiError(500, "Internal Server Error"), problem)
        call.status, call.result = 200, copy.deepcopy(result)
        self.world.notify()
        return self._json({"ok": True, "result": result}, 200)

    async def _apply_fault(
        self, request: web.Request, call: Call, method: Method, params: Params, fault: Fault
    ) -> web.Response:
        call.fault = fault.label
        logger.debug("emulator fault %s on %s", fault.label, method.name)
        if fault.drop:
            self.world.notify()
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=499)  # never reaches the client
        if fault.delay is not None:
            response = await self._perform(call, method, params) if fault.perform else None
            call.fault = fault.label
            self.world.notify()
            await self.world.poll_until(lambda: None, fault.delay)  # returns early on stop()
            if response is not None:
                return response
            call.status = 504
            return web.Response(status=504, text="<html>504 Gateway Time-out</html>",
                                content_type="text/html")  # fmt: skip
        error = fault.api_error()
        if error is None:
            call.status, call.error = fault.status, f"{fault.status} (nginx HTML page)"
            self.world.notify()
            return web.Response(
                status=fault.status or 502, text=BAD_GATEWAY_HTML, content_type="text/html"
            )  # noqa: E501
        call.status, call.error = error.code, error.description
        self.world.notify()
        return self._json(error.to_json(), error.code)

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            self.world.record_error("file download with a wrong bot token")
            return web.Response(status=401)
        path = request.match_info["path"]
        for sim_file in self.world.files.values():
            if sim_file.file_path == path:
                return web.Response(body=sim_file.content, content_type="application/octet-stream")
        self.world.record_error(f"file download of unknown path {path!r}")
        return web.Response(status=404)

    @staticmethod
    def _json(body: dict[str, Any], status: int) -> web.Response:
        return web.json_response(body, status=status)


def _int_or_none(params: Params) -> int | None:
    try:
        return int(params.get("chat_id"))
    except (TypeError, ValueError):
        return None
