"""What simulated people do: write to the bot, comment under channel posts, press buttons.

Each action stores the message in the world and queues the Update Telegram would send.
"""

from __future__ import annotations

import copy
import uuid

from .markup import utf16_len
from .messaging import mirror_into_discussion, origin_of, reply_json, store_file
from .state import World
from .world import CallbackQuery, Json, SimChat, SimMessage, SimUser

# A tiny valid JPEG header: enough for code that sniffs the type of a screenshot.
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def open_private_chat(world: World, user: SimUser, *, started: bool = True) -> SimChat:
    """The user's private chat; created (and started, unless told otherwise) on first use.

    Asking again never changes whether the user started the bot, so a test can look at the
    chat of a user who never wrote without opening the conversation for them.
    """
    chat = world.chats.get(user.id)
    if chat is None:
        chat = world.add_chat(SimChat(user.id, "private", user=user))
        user.started = user.started or started
    return chat


def command_entities(text: str) -> list[Json]:
    """The bot_command entity Telegram adds for "/cmd" or "/cmd@bot" at the start."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


def thread_fields(reply_to: SimMessage) -> Json:
    """reply_to_message, and message_thread_id when replying inside a discussion thread."""
    fields: Json = {"reply_to_message": reply_json(reply_to)}
    thread = reply_to.data.get("message_thread_id")
    if thread is None and reply_to.data.get("is_automatic_forward"):
        thread = reply_to.message_id
    if thread is not None:
        fields["message_thread_id"] = thread
    return fields


def photo_sizes(world: World, content: bytes) -> list[Json]:
    """Two PhotoSize entries (thumbnail and full), each a downloadable file."""
    sizes = []
    for width, height in ((90, 67), (1280, 960)):
        name = f"photo_{width}x{height}.jpg"
        sim_file = store_file(world, name, content, "image/jpeg")
        sizes.append(
            {
                "file_id": sim_file.file_id,
                "file_unique_id": sim_file.file_unique_id,
                "file_size": len(content),
                "width": width,
                "height": height,
            }
        )
    return sizes


def send_user_message(
    world: World,
    user: SimUser,
    chat: SimChat | None,
    text: str | None,
    *,
    reply_to: SimMessage | None = None,
    photo: bool | bytes = False,
    voice: bool = False,
) -> SimMessage:
    """Store a message from `user` and queue its "message" update (`voice`: a voice note).

    Raises:
        AssertionError: the chat is a channel, or reply_to is in another chat.
    """
    chat = chat if chat is not None else open_private_chat(world, user)
    if chat.type == "channel":
        msg = "users can't write into a channel; use channel_post()"
        raise AssertionError(msg)
    if chat.is_private:
        if chat.user is not user:
            msg = f"chat {chat.id} is the private chat of another user, not of {user.id}"
            raise AssertionError(msg)
        user.started = True  # writing to the bot opens the conversation
    else:
        chat.member_status.setdefault(user.id, "member")
    fields: Json = {}
    if reply_to is not None:
        if reply_to.chat is not chat:
            msg = f"reply_to is in chat {reply_to.chat.id}, not in chat {chat.id}"
            raise AssertionError(msg)
        fields |= thread_fields(reply_to)
    if voice:
        content = b"OggS\x00\x02" + bytes(64)
        sim_file = store_file(world, "voice.ogg", content, "audio/ogg")
        fields["voice"] = {
            "file_id": sim_file.file_id,
            "file_unique_id": sim_file.file_unique_id,
            "duration": 4,
            "mime_type": "audio/ogg",
            "file_size": len(content),
        }
        if text:
            fields["caption"] = text
    elif photo:
        fields["photo"] = photo_sizes(world, photo if isinstance(photo, bytes) else FAKE_JPEG)
        if text:
            fields["caption"] = text
    else:
        fields["text"] = text or ""
        entities = command_entities(text or "")
        if entities:
            fields["entities"] = entities
    message = world.new_message(chat, sender=user, fields=fields)
    world.queue_update("message", copy.deepcopy(message.data))
    return message


def send_user_album(
    world: World, user: SimUser, chat: SimChat, caption: str | None, count: int = 2
) -> list[SimMessage]:
    """`user` sends an album of `count` photos (the caption on the first) in a group: one
    message and one "message" update per photo, sharing a media_group_id, as Telegram does."""
    if chat.is_private or chat.type == "channel":
        msg = "albums are emulated in groups only"
        raise AssertionError(msg)
    chat.member_status.setdefault(user.id, "member")
    group_id = str(uuid.uuid4().int % 10**18)
    album = []
    for n in range(count):
        fields: Json = {"photo": photo_sizes(world, FAKE_JPEG), "media_group_id": group_id}
        if n == 0 and caption:
            fields["caption"] = caption
        message = world.new_message(chat, sender=user, fields=fields)
        world.queue_update("message", copy.deepcopy(message.data))
        album.append(message)
    return album


def edit_user_message(world: World, message: SimMessage, text: str) -> SimMessage:
    """The user edits their own message: an "edited_message" update."""
    key = "caption" if "caption" in message.data else "text"
    message.data[key] = text
    world.record_edit(message)
    world.queue_update("edited_message", copy.deepcopy(message.data))
    return message


def post_to_channel(
    world: World, channel: SimChat, text: str, repost_of: SimMessage | None = None
) -> SimMessage:
    """A channel post (a forward of `repost_of` if given), plus its automatic forward into
    the linked discussion group."""
    if channel.type != "channel":
        msg = f"chat {channel.id} is a {channel.type}, not a channel"
        raise AssertionError(msg)
    fields: Json = {"text": text}
    if repost_of is not None:
        fields["forward_origin"] = origin_of(repost_of)
    post = world.new_message(channel, sender=None, sender_chat=channel, fields=fields)
    if channel.bot_is_member:  # a bot gets channel posts only where it is an administrator
        world.queue_update("channel_post", copy.deepcopy(post.data))
    mirror_into_discussion(world, channel, post)
    return post


def press_button(
    world: World, user: SimUser, message: SimMessage, data: str, *, force: bool = False
) -> CallbackQuery:
    """Queue the "callback_query" update of `user` pressing a button on a bot message.

    Raises:
        AssertionError: the message is gone, not the bot's, or has no such button (unless
            `force`, which simulates a forged or stale payload).
    """
    current = world.message(message.chat, message.message_id)
    if current is None or not current.from_bot:
        msg = f"message {message.message_id} in chat {message.chat.id} is deleted or not the bot's"
        raise AssertionError(msg)
    if not force and data not in current.callback_data:
        msg = f"message {current.message_id} has no button with data {data!r}; it has {current.callback_data}"  # noqa: E501
        raise AssertionError(msg)
    query = CallbackQuery(str(uuid.uuid4().int % 10**19), user, current, data)
    world.callback_queries[query.id] = query
    payload = {
        "id": query.id,
        "from": user.to_json(),
        "message": copy.deepcopy(current.data),
        "chat_instance": str(abs(current.chat.id) * 1_000_003 % 10**18),
        "data": data,
    }
    world.queue_update("callback_query", payload)
    return query
