"""The simulated Telegram world: users, chats, messages, files and recorded calls.

These are plain records. `state.World` owns the collections; the method modules change them.
Every `to_json` returns the object exactly as the Bot API would put it in a response.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

# Telegram's service account: the sender of automatic forwards into discussion groups.
TELEGRAM_SERVICE_USER_ID = 777000


@dataclass(eq=False)
class SimUser:
    """A Telegram account: a citizen, an operator, or the bot itself."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    # True once the user has opened a private chat with the bot (/start).
    started: bool = False
    # True when the user blocked the bot: sends to them answer 403.
    blocked: bool = False

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass(eq=False)
class SimChat:
    """A chat the emulator knows: private, group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: SimUser | None = None  # the other party of a private chat
    linked_chat_id: int | None = None  # channel <-> discussion group
    bot_is_member: bool = True
    member_status: dict[int, str] = field(default_factory=dict)  # user id -> ChatMember status
    pinned_message_ids: list[int] = field(default_factory=list)

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "type": self.type}
        if self.is_private and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        data["title"] = self.title or str(self.id)
        if self.username:
            data["username"] = self.username
        return data


@dataclass(eq=False)
class SimFile:
    """A file the bot uploaded or a simulated user sent (photo, document)."""

    file_id: str
    file_unique_id: str
    name: str
    content: bytes
    mime_type: str | None = None

    @property
    def file_path(self) -> str:
        return f"files/{self.file_unique_id}/{self.name}"

    def to_json(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass(eq=False)
class SimMessage:
    """One message in a chat. `data` is the Bot API Message JSON in its current state.

    Messages returned by `wait_for_message` and `messages` are live: later edits and deletes
    show through. `wait_for_edit` returns a `snapshot()` taken at the edit it matched.
    """

    chat: SimChat
    message_id: int
    data: Json
    from_bot: bool
    deleted: bool = False
    version: int = 0  # number of edits so far
    sent_text: str | None = None  # text or caption as the bot sent it, before parse_mode
    document: SimFile | None = None
    discussion: SimMessage | None = None  # channel post -> its automatic forward

    @property
    def text(self) -> str | None:
        """The plain text (markup removed, as Telegram returns it), or the caption."""
        return self.data.get("text", self.data.get("caption"))

    @property
    def reply_markup(self) -> Json | None:
        return self.data.get("reply_markup")

    @property
    def buttons(self) -> list[list[Json]]:
        """Inline keyboard rows, each a list of button dicts ({"text", "callback_data"...})."""
        markup = self.reply_markup or {}
        rows: list[list[Json]] = markup.get("inline_keyboard", [])
        return rows

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values on the inline keyboard, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def button(self, label: str) -> Json:
        """The first button whose text contains `label`.

        Raises:
            AssertionError: no button matches; the message lists the buttons it has.
        """
        for row in self.buttons:
            for button in row:
                if label in button["text"]:
                    return button
        labels = [b["text"] for row in self.buttons for b in row]
        msg = f"message {self.message_id} has no button {label!r}; buttons: {labels}"
        raise AssertionError(msg)

    @property
    def reply_to_message_id(self) -> int | None:
        reply = self.data.get("reply_to_message")
        return None if reply is None else int(reply["message_id"])

    @property
    def thread_id(self) -> int | None:
        return self.data.get("message_thread_id")

    def snapshot(self) -> SimMessage:
        """A frozen copy of this message as it is now."""
        return SimMessage(
            chat=self.chat,
            message_id=self.message_id,
            data=copy.deepcopy(self.data),
            from_bot=self.from_bot,
            deleted=self.deleted,
            version=self.version,
            sent_text=self.sent_text,
            document=self.document,
            discussion=self.discussion,
        )

    def __repr__(self) -> str:
        text = (self.text or "")[:40]
        return f"SimMessage(chat={self.chat.id}, id={self.message_id}, text={text!r})"


@dataclass(eq=False)
class Call:
    """One Bot API request as the emulator saw and answered it."""

    method: str
    params: Json
    time: float
    status: int | None = None  # HTTP status answered; None while in flight or when dropped
    result: Any = None
    error: str | None = None  # Bot API description, or the fault applied
    fault: str | None = None  # "429", "502", "drop", "delay" when a scripted fault answered

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.fault is None


@dataclass(eq=False)
class CallbackQuery:
    """A button press the emulator sent, and the bot's answer once it comes."""

    id: str
    user: SimUser
    message: SimMessage
    data: str
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
