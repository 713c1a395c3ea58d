"""Bot API methods about the bot itself and about chats and their members."""

from __future__ import annotations

import json
from typing import Any

from .params import MethodTable, Params, bad_request
from .state import World
from .world import Json, SimChat, SimUser

METHODS = MethodTable()

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_pin_messages",
)  # fmt: skip
_SEND_RIGHTS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
    "can_invite_users", "can_pin_messages", "can_manage_topics", "can_edit_tag",
    "can_react_to_messages",
)  # fmt: skip


@METHODS.add("getMe")
async def get_me(world: World, params: Params) -> Json:  # noqa: ARG001
    return world.bot.to_json() | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def commands_key(params: Params) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)


@METHODS.add("setMyCommands", "commands")
async def set_my_commands(world: World, params: Params) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        name = str(command.get("command", ""))
        if (
            not name
            or len(name) > 32
            or not name.replace("_", "").isalnum()
            or name != name.lower()
        ):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    world.commands[commands_key(params)] = commands
    return True


@METHODS.add("getMyCommands")
async def get_my_commands(world: World, params: Params) -> list[Json]:
    return world.commands.get(commands_key(params), [])


@METHODS.add("deleteMyCommands")
async def delete_my_commands(world: World, params: Params) -> bool:
    world.commands.pop(commands_key(params), None)
    return True


@METHODS.add("getChat", "chat_id")
async def get_chat(world: World, params: Params) -> Json:
    chat = world.find_chat(params.get("chat_id"))
    info = chat.to_json() | {
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    if chat.linked_chat_id is not None:
        info["linked_chat_id"] = chat.linked_chat_id
    if chat.pinned_message_ids:
        pinned = world.message(chat, chat.pinned_message_ids[-1])
        if pinned is not None:
            info["pinned_message"] = pinned.data
    return info


def member_status(world: World, chat: SimChat, user: SimUser) -> str:
    if user is world.bot:
        return "administrator" if chat.bot_is_member else "left"
    if chat.is_private:
        return "member" if chat.user is user else "left"
    return chat.member_status.get(user.id, "left")


def member_json(world: World, chat: SimChat, user: SimUser, status: str) -> Json:
    """A ChatMember of the right variant with every field PTB requires."""
    data: Json = {"status": status, "user": user.to_json()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data |= {"can_be_edited": False, "is_anonymous": False}
        data |= dict.fromkeys(_ADMIN_RIGHTS, True)
        if chat.type == "channel":
            data |= {"can_post_messages": True, "can_edit_messages": True}
    elif status == "restricted":
        rights = chat_permissions(world, chat, user)
        data |= {"is_member": True, "until_date": 0} | rights
    elif status == "kicked":
        data["until_date"] = 0
    return data


def chat_permissions(world: World, chat: SimChat, user: SimUser) -> Json:
    stored = world.restrictions.get((chat.id, user.id), {})
    return {right: bool(stored.get(right, False)) for right in _SEND_RIGHTS}


def user_param(world: World, params: Params) -> SimUser:
    user = world.users.get(params.int("user_id"))
    if user is None:
        raise bad_request("user not found")
    return user


def group_param(world: World, params: Params, *, supergroup_only: bool = False) -> SimChat:
    chat = world.find_chat(params.get("chat_id"))
    if chat.is_private:
        raise bad_request("method is available for supergroup and channel chats only")
    if supergroup_only and chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    return chat


@METHODS.add("getChatMember", "chat_id", "user_id")
async def get_chat_member(world: World, params: Params) -> Json:
    chat = world.find_chat(params.get("chat_id"))
    user = user_param(world, params)
    return member_json(world, chat, user, member_status(world, chat, user))


@METHODS.add("restrictChatMember", "chat_id", "user_id", "permissions")
async def restrict_chat_member(world: World, params: Params) -> bool:
    chat = group_param(world, params, supergroup_only=True)
    user = user_param(world, params)
    permissions = params.get("permissions")
    if not isinstance(permissions, dict):
        raise bad_request("can't parse permissions JSON object")
    world.restrictions[(chat.id, user.id)] = permissions
    all_allowed = all(permissions.get(right, False) for right in _SEND_RIGHTS[:10])
    chat.member_status[user.id] = "member" if all_allowed else "restricted"
    world.notify()
    return True


@METHODS.add("banChatMember", "chat_id", "user_id")
async def ban_chat_member(world: World, params: Params) -> bool:
    chat = group_param(world, params)
    user = user_param(world, params)
    chat.member_status[user.id] = "kicked"
    world.notify()
    return True


@METHODS.add("unbanChatMember", "chat_id", "user_id")
async def unban_chat_member(world: World, params: Params) -> bool:
    chat = group_param(world, params)
    user = user_param(world, params)
    if chat.member_status.get(user.id) == "kicked" or not params.get("only_if_banned"):
        chat.member_status[user.id] = "left"
    world.notify()
    return True


@METHODS.add("sendChatAction", "chat_id", "action")
async def send_chat_action(world: World, params: Params) -> bool:
    world.writable_chat(params.get("chat_id"))
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@METHODS.add("pinChatMessage", "chat_id", "message_id")
async def pin_chat_message(world: World, params: Params) -> bool:
    chat = world.writable_chat(params.get("chat_id"))
    message = world.message(chat, params.int("message_id"))
    if message is None:
        raise bad_request("message to pin not found")
    chat.pinned_message_ids.append(message.message_id)
    world.notify()
    return True


@METHODS.add("unpinChatMessage", "chat_id")
async def unpin_chat_message(world: World, params: Params) -> bool:
    chat = world.writable_chat(params.get("chat_id"))
    target: Any = params.get("message_id")
    if target is None and chat.pinned_message_ids:
        target = chat.pinned_message_ids[-1]
    if target is None or int(target) not in chat.pinned_message_ids:
        raise bad_request("message to unpin not found")
    chat.pinned_message_ids.remove(int(target))
    world.notify()
    return True


@METHODS.add("leaveChat", "chat_id")
async def leave_chat(world: World, params: Params) -> bool:
    chat = world.find_chat(params.get("chat_id"))
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    chat.bot_is_member = False
    world.notify()
    return True
