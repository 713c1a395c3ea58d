"""BotApiEmulator: a Bot API over real HTTP for tests, with a simulated world behind it.

The aiohttp app serves `/bot{token}/{method}` and `/file/bot{token}/{path}` on 127.0.0.1.
Anything it can't serve faithfully (unknown method, missing parameter, wrong token) is
answered in Bot API form *and* recorded in `errors`, which fails the test on exit.
This module is the public face: lifecycle, the simulated world, driving and observing.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram.ext import ApplicationBuilder
from telegram.request import HTTPXRequest

from . import driving, updates
from .dispatch import Dispatcher
from .faults import Fault, FaultBook, RateLimiter
from .state import World
from .world import Call, CallbackQuery, Json, SimChat, SimMessage, SimUser

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
        self._dispatcher = Dispatcher(self.world, self.faults, self.limiter)
        self._webhook = updates.WebhookSender(self.world)
        self._server: TestServer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatcher.on_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._dispatcher.on_file)
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

    def application_builder(self, *, read_timeout: float = 5) -> ApplicationBuilder:  # type: ignore[type-arg]
        """A PTB ApplicationBuilder with token, base_url and base_file_url set to this emulator."""
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
            .request(HTTPXRequest(read_timeout=read_timeout, connect_timeout=5))
            .get_updates_request(HTTPXRequest(read_timeout=5, connect_timeout=5))
        )

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
        voice: bool = False,
    ) -> SimMessage:
        """`user` writes `text` in `chat` (None: their private chat); queues the Update."""
        return driving.send_user_message(
            self.world, user, chat, text, reply_to=reply_to, photo=photo, voice=voice
        )

    async def send_album(
        self, user: SimUser, chat: SimChat, caption: str | None, count: int = 2
    ) -> list[SimMessage]:
        """`user` sends an album of `count` photos in a group (one update per photo)."""
        return driving.send_user_album(self.world, user, chat, caption, count)

    async def edit_message(self, message: SimMessage, text: str) -> SimMessage:
        """The author edits their message; queues an edited_message Update."""
        return driving.edit_user_message(self.world, message, text)

    def queue_raw_update(self, kind: str, payload: Any) -> Json:
        """Queue an update whose `kind` field is `payload` exactly as given, with the next
        update_id: what a newer Bot API (a shape PTB cannot decode) or a broken one delivers.
        It goes out through getUpdates or the webhook like any other; returns the update."""
        return self.world.queue_update(kind, copy.deepcopy(payload))

    def delete_by_hand(self, message: SimMessage) -> None:
        """Someone deletes `message` in their client (bots get no update for that)."""
        current = self.world.message(message.chat, message.message_id)
        assert current is not None, f"message {message.message_id} is already gone"
        current.deleted = True
        self.world.notify()

    def age(self, message: SimMessage, hours: float) -> None:
        """Make `message` `hours` older (Telegram's time limits, e.g. deleting after 48 h)."""
        current = self.world.message(message.chat, message.message_id)
        assert current is not None
        current.data["date"] = int(current.data["date"] - hours * 3600)

    async def channel_post(
        self, channel: SimChat, text: str, *, repost_of: SimMessage | None = None
    ) -> SimMessage:
        """Post in `channel` (forwarding `repost_of`, if given); `.discussion` is the automatic
        forward in its discussion group."""
        return driving.post_to_channel(self.world, channel, text, repost_of)

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

    async def wait_until(
        self,
        check: Callable[[], Any],
        timeout: float = 10,  # noqa: ASYNC109
        what: str = "a condition",
    ) -> Any:
        """Return check()'s first truthy value, re-checked after every emulator change."""
        return await self.world.wait_until(lambda: check() or None, timeout, what)

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
