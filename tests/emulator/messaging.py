"""Bot API methods that send, edit, delete, copy and forward messages, and answer buttons."""

from __future__ import annotations

import copy
import uuid

from .markup import MAX_CAPTION, inline_keyboard, plain_text
from .params import ApiError, MethodTable, Params, bad_request
from .state import World
from .world import TELEGRAM_SERVICE_USER_ID, Json, SimChat, SimFile, SimMessage, SimUser

METHODS = MethodTable()

# Bot API deleteMessage: "A message can only be deleted if it was sent less than 48 hours ago."
# An administrator allowed to delete (as the emulated bot is in supergroups and channels) can
# delete any message there, so the limit binds in private chats and basic groups.
DELETE_WINDOW_SECONDS = 48 * 3600

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def reply_json(message: SimMessage) -> Json:
    """A message as it appears in reply_to_message: one level deep, no nested reply."""
    data = copy.deepcopy(message.data)
    data.pop("reply_to_message", None)
    return data


def reply_fields(world: World, chat: SimChat, params: Params) -> Json:
    """reply_to_message and message_thread_id from reply_parameters or reply_to_message_id.

    Raises:
        ApiError: 400 "message to be replied not found" unless allow_sending_without_reply.
    """
    fields: Json = {}
    if "message_thread_id" in params:
        fields["message_thread_id"] = params.int("message_thread_id")
    reply = params.get("reply_parameters")
    if reply is None and "reply_to_message_id" in params:
        reply = {
            "message_id": params.get("reply_to_message_id"),
            "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
        }
    if reply is None:
        return fields
    if not isinstance(reply, dict) or "message_id" not in reply:
        raise bad_request("can't parse reply parameters JSON object")
    target_chat = chat
    if reply.get("chat_id") is not None:
        target_chat = world.find_chat(reply["chat_id"])
    target = world.message(target_chat, int(reply["message_id"]))
    if target is None:
        if reply.get("allow_sending_without_reply"):
            return fields
        raise bad_request("message to be replied not found")
    if target_chat is not chat:
        fields["external_reply"] = {
            "origin": origin_of(target),
            "chat": target_chat.to_json(),
            "message_id": target.message_id,
        }
        return fields
    fields["reply_to_message"] = reply_json(target)
    # Replies inside a discussion thread stay in that thread.
    thread = target.data.get("message_thread_id")
    if thread is None and target.data.get("is_automatic_forward"):
        thread = target.message_id
    if thread is not None:
        fields.setdefault("message_thread_id", thread)
    return fields


def origin_of(message: SimMessage) -> Json:
    """The forward_origin a forward or external reply of `message` carries."""
    if message.chat.type == "channel":
        return {
            "type": "channel",
            "date": message.data["date"],
            "chat": message.chat.to_json(),
            "message_id": message.message_id,
        }
    if "sender_chat" in message.data:
        return {
            "type": "chat",
            "date": message.data["date"],
            "sender_chat": message.data["sender_chat"],
        }  # noqa: E501
    return {"type": "user", "date": message.data["date"], "sender_user": message.data["from"]}


def options(params: Params) -> Json:
    fields: Json = {}
    if params.get("link_preview_options") is not None:
        fields["link_preview_options"] = params.get("link_preview_options")
    markup = inline_keyboard(params.get("reply_markup"))
    if markup is not None:
        fields["reply_markup"] = markup
    return fields


def bot_message_or_error(world: World, params: Params, action: str) -> SimMessage:
    """The bot message an edit targets (chat_id + message_id).

    Raises:
        ApiError: 400 not found, or can't be edited (not the bot's own message).
    """
    if "inline_message_id" in params:
        msg = "inline_message_id is not emulated; pass chat_id and message_id"
        raise ApiError(501, msg)
    if "chat_id" not in params or "message_id" not in params:
        raise bad_request("message identifier is not specified")
    chat = world.writable_chat(params.get("chat_id"))
    message = world.message(chat, params.int("message_id"))
    if message is None:
        raise bad_request(f"message to {action} not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


@METHODS.add("sendMessage", "chat_id", "text")
async def send_message(world: World, params: Params) -> Json:
    chat = world.writable_chat(params.get("chat_id"))
    text = plain_text(params.get("text"), params.get("parse_mode"))
    fields = reply_fields(world, chat, params) | {"text": text} | options(params)
    message = world.new_bot_message(chat, fields)
    message.sent_text = str(params.get("text"))
    if chat.type == "channel":
        mirror_into_discussion(world, chat, message)
    return message.data


@METHODS.add("editMessageText", "text")
async def edit_message_text(world: World, params: Params) -> Json:
    message = bot_message_or_error(world, params, "edit")
    if "text" not in message.data:
        raise bad_request("there is no text in the message to edit")
    text = plain_text(params.get("text"), params.get("parse_mode"))
    # As in Telegram, an edit without reply_markup removes the inline keyboard.
    markup = inline_keyboard(params.get("reply_markup"))
    if text == message.data["text"] and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.data["text"] = text
    message.sent_text = str(params.get("text"))
    set_markup(message, markup)
    world.record_edit(message)
    return message.data


@METHODS.add("editMessageCaption")
async def edit_message_caption(world: World, params: Params) -> Json:
    message = bot_message_or_error(world, params, "edit")
    if not any(k in message.data for k in ("photo", "video", "document", "animation", "audio")):
        raise bad_request("there is no caption in the message to edit")
    caption = plain_text(params.get("caption", ""), params.get("parse_mode"), limit=MAX_CAPTION)
    markup = inline_keyboard(params.get("reply_markup"))
    if caption == message.data.get("caption") and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.data["caption"] = caption
    message.sent_text = str(params.get("caption", ""))
    set_markup(message, markup)
    world.record_edit(message)
    return message.data


@METHODS.add("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, params: Params) -> Json:
    message = bot_message_or_error(world, params, "edit")
    markup = inline_keyboard(params.get("reply_markup"))
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    set_markup(message, markup)
    world.record_edit(message)
    return message.data


def set_markup(message: SimMessage, markup: Json | None) -> None:
    if markup is None:
        message.data.pop("reply_markup", None)
    else:
        message.data["reply_markup"] = markup


@METHODS.add("deleteMessage", "chat_id", "message_id")
async def delete_message(world: World, params: Params) -> bool:
    chat = world.find_chat(params.get("chat_id"))
    message = world.message(chat, params.int("message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    too_old = world.now() - int(message.data.get("date", 0)) > DELETE_WINDOW_SECONDS
    if too_old and chat.type in ("private", "group"):
        raise bad_request("message can't be deleted")
    message.deleted = True
    world.notify()
    return True


@METHODS.add("answerCallbackQuery", "callback_query_id")
async def answer_callback_query(world: World, params: Params) -> bool:
    query = world.callback_queries.get(str(params.get("callback_query_id")))
    if query is None or query.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query.answered = True
    query.text = params.get("text")
    query.show_alert = bool(params.get("show_alert", False))
    world.notify()
    return True


def store_file(world: World, name: str, content: bytes, mime_type: str | None) -> SimFile:
    unique = uuid.uuid4().hex[:16]
    sim_file = SimFile(f"BQAC{unique}{uuid.uuid4().hex}", unique, name, content, mime_type)
    world.files[sim_file.file_id] = sim_file
    return sim_file


@METHODS.add("sendDocument", "chat_id", "document")
async def send_document(world: World, params: Params) -> Json:
    chat = world.writable_chat(params.get("chat_id"))
    upload = params.upload("document")
    if upload is None:
        raise bad_request("there is no document in the request")
    if isinstance(upload, str):
        sim_file = world.files.get(upload)
        if sim_file is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
    else:
        sim_file = store_file(world, upload.filename, upload.content, upload.content_type)
    document: Json = {
        "file_id": sim_file.file_id,
        "file_unique_id": sim_file.file_unique_id,
        "file_name": sim_file.name,
        "file_size": len(sim_file.content),
    }
    if sim_file.mime_type:
        document["mime_type"] = sim_file.mime_type
    fields = reply_fields(world, chat, params) | {"document": document} | options(params)
    if params.get("caption"):
        caption = plain_text(params.get("caption"), params.get("parse_mode"), limit=MAX_CAPTION)
        fields["caption"] = caption
    message = world.new_bot_message(chat, fields)
    message.document = sim_file
    message.sent_text = params.get("caption")
    return message.data


@METHODS.add("getFile", "file_id")
async def get_file(world: World, params: Params) -> Json:
    sim_file = world.files.get(str(params.get("file_id")))
    if sim_file is None:
        raise bad_request("invalid file_id")
    return sim_file.to_json()


_CONTENT_KEYS = ("text", "caption", "document", "photo", "video")


def source_message(world: World, params: Params) -> SimMessage:
    chat = world.find_chat(params.get("from_chat_id"))
    source = world.message(chat, params.int("message_id"))
    if source is None:
        raise bad_request("message to copy not found")
    return source


@METHODS.add("copyMessage", "chat_id", "from_chat_id", "message_id")
async def copy_message(world: World, params: Params) -> Json:
    source = source_message(world, params)
    chat = world.writable_chat(params.get("chat_id"))
    fields = {k: copy.deepcopy(v) for k, v in source.data.items() if k in _CONTENT_KEYS}
    if "caption" in params:
        fields["caption"] = plain_text(params.get("caption"), params.get("parse_mode"))
    fields |= reply_fields(world, chat, params) | options(params)
    message = world.new_bot_message(chat, fields)
    message.document = source.document
    if chat.type == "channel":
        mirror_into_discussion(world, chat, message)
    return {"message_id": message.message_id}


@METHODS.add("forwardMessage", "chat_id", "from_chat_id", "message_id")
async def forward_message(world: World, params: Params) -> Json:
    source = source_message(world, params)
    chat = world.writable_chat(params.get("chat_id"))
    fields = {k: copy.deepcopy(v) for k, v in source.data.items() if k in _CONTENT_KEYS}
    fields["forward_origin"] = origin_of(source)
    if "message_thread_id" in params:
        fields["message_thread_id"] = params.int("message_thread_id")
    message = world.new_bot_message(chat, fields)
    message.document = source.document
    return message.data


@METHODS.add("sendMediaGroup", "chat_id", "media")
async def send_media_group(world: World, params: Params) -> list[Json]:
    """An album: 2-10 photos, videos or files given by file id, one message each, sharing a
    media_group_id; a caption may sit on any item (Telegram shows the first one's)."""
    chat = world.writable_chat(params.get("chat_id"))
    items = params.get("media")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media in the album: 2-10 are allowed")
    group_id = str(uuid.uuid4().int % 10**18)
    sent = []
    for n, item in enumerate(items):
        kind, file_id = item.get("type"), item.get("media")
        if kind not in ("photo", "video", "document"):
            raise bad_request(f"media {n}: unsupported type {kind!r}")
        sim_file = world.files.get(str(file_id))
        if sim_file is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        described: Json = {
            "file_id": sim_file.file_id,
            "file_unique_id": sim_file.file_unique_id,
            "file_size": len(sim_file.content),
        }
        fields: Json = {"media_group_id": group_id}
        fields[kind] = (
            [described | {"width": 1280, "height": 960}] if kind == "photo" else described
        )
        if item.get("caption"):
            fields["caption"] = plain_text(
                item["caption"], item.get("parse_mode"), limit=MAX_CAPTION
            )
        if n == 0:
            fields |= reply_fields(world, chat, params)
        sent.append(world.new_bot_message(chat, fields))
    for message in sent:
        if chat.type == "channel":
            mirror_into_discussion(world, chat, message)
    return [m.data for m in sent]


def mirror_into_discussion(world: World, channel: SimChat, post: SimMessage) -> None:
    """Telegram's automatic forward of a channel post (the bot's own too) into the linked
    discussion group, where the comments hang under it."""
    if channel.linked_chat_id is None:
        return
    group = world.chats[channel.linked_chat_id]
    service = world.users.get(TELEGRAM_SERVICE_USER_ID)
    if service is None:
        service = SimUser(TELEGRAM_SERVICE_USER_ID, "Telegram")
        world.users[service.id] = service
    fields = {k: copy.deepcopy(v) for k, v in post.data.items() if k in _CONTENT_KEYS}
    fields |= {"is_automatic_forward": True, "forward_origin": origin_of(post)}
    if "media_group_id" in post.data:  # an album's forwards form an album of their own
        fields["media_group_id"] = f"f{post.data['media_group_id']}"
    forward = world.new_message(group, sender=service, sender_chat=channel, fields=fields)
    world.queue_update("message", copy.deepcopy(forward.data))
    post.discussion = forward
