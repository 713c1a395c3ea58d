"""The emulator's state: who exists, what was said, which updates wait, and who is waiting.

One `World` per emulator; nothing here is module-level, so tests stay isolated. Waiting is
event-driven: every change calls `notify()`, which wakes all `wait_until` callers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .params import bad_request, forbidden
from .world import Call, CallbackQuery, Json, SimChat, SimFile, SimMessage, SimUser

T = TypeVar("T")


@dataclass
class Webhook:
    """What setWebhook stored."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Edit:
    """One edit of a bot message, as a snapshot of the message after it."""

    snapshot: SimMessage
    consumed: bool = False


@dataclass
class ChatLog:
    """Per-chat message store and the test's reading position."""

    messages: dict[int, SimMessage] = field(default_factory=dict)
    next_id: int = 1
    consumed: set[int] = field(default_factory=set)  # bot message ids a wait_for_message returned
    edits: list[Edit] = field(default_factory=list)


def bot_id_from_token(token: str) -> int:
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 1_000_000


class World:
    """Everything the emulator knows, and the waits on it."""

    def __init__(
        self, token: str, bot_username: str, bot_name: str, clock: Callable[[], float]
    ) -> None:
        self.token = token
        self.clock = clock
        self.bot = SimUser(bot_id_from_token(token), bot_name, bot_username, is_bot=True)
        self.users: dict[int, SimUser] = {self.bot.id: self.bot}
        self.chats: dict[int, SimChat] = {}
        self.logs: dict[int, ChatLog] = {}
        self.pending_updates: list[Json] = []
        self.next_update_id = 1
        self.poll_generation = 0  # the newest getUpdates; older ones are answered 409
        self.calls: list[Call] = []
        self.consumed_calls: set[int] = set()  # indexes into calls
        self.errors: list[str] = []
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.files: dict[str, SimFile] = {}
        self.commands: dict[str, list[Json]] = {}
        self.restrictions: dict[tuple[int, int], Json] = {}  # (chat, user) -> permissions
        self.webhook: Webhook | None = None
        self.closing = False
        self._changed = asyncio.Event()

    # -- signalling -------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake every waiter; they re-check their condition."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def poll_until(self, check: Callable[[], T | None], timeout: float) -> T | None:  # noqa: ASYNC109
        """Return check()'s first non-None value, re-checked after every change; None on timeout.

        Returns None early once the emulator is stopping.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed  # taken before the check, so no change is missed
            found = check()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if self.closing or remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_until(self, check: Callable[[], T | None], timeout: float, what: str) -> T:  # noqa: ASYNC109
        """Like poll_until, for tests: a timeout is a failed assertion.

        Raises:
            AssertionError: nothing matched within `timeout` seconds, or the emulator stopped.
        """
        found = await self.poll_until(check, timeout)
        if found is None:
            state = "the emulator stopped" if self.closing else f"{timeout}s passed"
            msg = f"waiting for {what}: {state} without a match\n{self.diagnosis()}"
            raise AssertionError(msg)
        return found

    def diagnosis(self) -> str:
        """The last calls and any recorded problems, to say why a wait came up empty."""
        lines = [f"pending updates: {len(self.pending_updates)}", "last calls:"]
        for call in self.calls[-8:]:
            outcome = call.fault or call.error or call.status
            lines.append(f"  {call.method} chat_id={call.params.get('chat_id')} -> {outcome}")
        lines.extend(f"emulator error: {problem}" for problem in self.errors)
        return "\n".join(lines)

    def record_error(self, problem: str) -> None:
        self.errors.append(problem)
        self.notify()

    # -- chats and messages -----------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    def add_chat(self, chat: SimChat) -> SimChat:
        self.chats[chat.id] = chat
        self.logs.setdefault(chat.id, ChatLog())
        return chat

    def log(self, chat: SimChat) -> ChatLog:
        return self.logs.setdefault(chat.id, ChatLog())

    def find_chat(self, chat_id: Any) -> SimChat:
        """The chat for a chat_id parameter (an id or "@username").

        Raises:
            ApiError: 400 "chat not found".
        """
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            for chat in self.chats.values():
                if (chat.username or "").lower() == name:
                    return chat
            raise bad_request("chat not found")
        try:
            numeric = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        found = self.chats.get(numeric)
        if found is not None:
            return found
        # A known user without an opened private chat: Telegram knows the chat, but the bot
        # may not write first.
        user = self.users.get(numeric)
        if user is not None and not user.is_bot:
            raise forbidden("bot can't initiate conversation with a user")
        raise bad_request("chat not found")

    def writable_chat(self, chat_id: Any) -> SimChat:
        """The chat for a send or edit, checking the bot may write there.

        Raises:
            ApiError: 400 chat not found; 403 not started, blocked, or not a member.
        """
        chat = self.find_chat(chat_id)
        if chat.is_private and chat.user is not None:
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif not chat.bot_is_member:
            kind = "channel" if chat.type == "channel" else chat.type
            raise forbidden(f"bot is not a member of the {kind} chat")
        return chat

    def message(self, chat: SimChat, message_id: int) -> SimMessage | None:
        """The message, unless it never existed or was deleted."""
        found = self.log(chat).messages.get(message_id)
        return None if found is None or found.deleted else found

    def messages(self, chat: SimChat, *, include_deleted: bool = False) -> list[SimMessage]:
        return [m for m in self.log(chat).messages.values() if include_deleted or not m.deleted]

    def new_message(
        self,
        chat: SimChat,
        *,
        sender: SimUser | None,
        sender_chat: SimChat | None = None,
        fields: Json | None = None,
    ) -> SimMessage:
        """Store a new message in `chat` and return it; the caller queues any update."""
        log = self.log(chat)
        message_id = log.next_id
        log.next_id += 1
        data: Json = {"message_id": message_id}
        if sender is not None:
            data["from"] = sender.to_json()
        if sender_chat is not None:
            data["sender_chat"] = sender_chat.to_json()
        data["chat"] = chat.to_json()
        data["date"] = self.now()
        data.update(fields or {})
        message = SimMessage(chat, message_id, data, from_bot=sender is self.bot)
        log.messages[message_id] = message
        self.notify()
        return message

    def new_bot_message(self, chat: SimChat, fields: Json) -> SimMessage:
        """A message the bot sends: channel posts carry sender_chat instead of from."""
        if chat.type == "channel":
            message = self.new_message(chat, sender=None, sender_chat=chat, fields=fields)
            message.from_bot = True
            return message
        return self.new_message(chat, sender=self.bot, fields=fields)

    def record_edit(self, message: SimMessage) -> None:
        message.version += 1
        message.data["edit_date"] = self.now()
        self.log(message.chat).edits.append(Edit(message.snapshot()))
        self.notify()

    def count_sent(self, chat: SimChat) -> int:
        """Messages the bot sent to `chat`, deleted ones included."""
        return sum(1 for m in self.log(chat).messages.values() if m.from_bot)

    # -- updates ----------------------------------------------------------------------------

    def queue_update(self, kind: str, payload: Json) -> Json:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.pending_updates.append(update)
        self.notify()
        return update

    def confirm_updates(self, offset: int) -> None:
        """Forget updates below `offset`; a negative offset keeps only the last -offset."""
        if offset < 0:
            self.pending_updates = self.pending_updates[offset:]
        else:
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]

    # -- waits ------------------------------------------------------------------------------

    async def wait_for_message(
        self,
        chat: SimChat,
        predicate: Callable[[SimMessage], bool] | None,
        timeout: float,  # noqa: ASYNC109
    ) -> SimMessage:
        log = self.log(chat)

        def check() -> SimMessage | None:
            for message in log.messages.values():
                if not message.from_bot or message.message_id in log.consumed:
                    continue
                if predicate is None or predicate(message):
                    log.consumed.add(message.message_id)
                    return message
            return None

        return await self.wait_until(check, timeout, f"a bot message in chat {chat.id}")

    async def wait_for_edit(
        self,
        chat: SimChat,
        message_id: int,
        predicate: Callable[[SimMessage], bool] | None,
        timeout: float,  # noqa: ASYNC109
    ) -> SimMessage:
        log = self.log(chat)

        def check() -> SimMessage | None:
            for edit in log.edits:
                if edit.consumed or edit.snapshot.message_id != message_id:
                    continue
                if predicate is None or predicate(edit.snapshot):
                    edit.consumed = True
                    return edit.snapshot
            return None

        what = f"an edit of message {message_id} in chat {chat.id}"
        return await self.wait_until(check, timeout, what)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None,
        timeout: float,  # noqa: ASYNC109
    ) -> Call:
        name = method.lower()

        def check() -> Call | None:
            for index, call in enumerate(self.calls):
                if index in self.consumed_calls or call.method.lower() != name:
                    continue
                if call.status is None and call.fault is None:
                    continue  # still in flight
                if predicate is None or predicate(call):
                    self.consumed_calls.add(index)
                    return call
            return None

        return await self.wait_until(check, timeout, f"a {method} call")
