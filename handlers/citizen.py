"""Citizens: private messages, comments in the linked discussion group, /start deep links."""

from __future__ import annotations

import re
from dataclasses import replace

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from handlers.context import GovContext
from handlers.errors import describe
from handlers.texts import t
from workflow.errors import TokenInvalid
from workflow.intake import Incoming
from workflow.models import ChatKind
from workflow.routing_actions import ERROR_REPORT


def incoming_from(update: Update, message: Message, kind: ChatKind) -> Incoming:
    user = message.from_user
    assert user is not None
    photos = tuple(p.file_id for p in message.photo[-1:]) if message.photo else ()
    return Incoming(
        update_id=update.update_id,
        chat_id=message.chat_id,
        chat_kind=kind,
        message_id=message.message_id,
        user_id=user.id,
        user_name=user.full_name,
        text=message.text or message.caption or "",
        sent_at=message.date,
        photo_file_ids=photos,
        reply_to_message_id=message.reply_to_message.message_id
        if message.reply_to_message
        else None,
    )


# "纠错：…" (or /jiucuo …): the public's error-report entry (RULES §7).
CORRECTION = re.compile(r"^\s*纠错\s*[:：]")


def label_of(text: str) -> str | None:
    """The label the citizen gave the message themselves (a 纠错), else None: triage decides."""
    return ERROR_REPORT if CORRECTION.match(text) else None


async def _receive(context: GovContext, incoming: Incoming) -> None:
    await context.services.desk.receive(incoming, label_of(incoming.text))
    context.delivery_wake()


async def on_private_message(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    await _receive(context, incoming_from(update, message, ChatKind.PRIVATE))


async def on_correction_command(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    body = " ".join(context.args or []).strip()
    if not body:
        await message.reply_text(t("correction_how"))
        return
    incoming = incoming_from(update, message, ChatKind.PRIVATE)
    await _receive(context, replace(incoming, text=f"纠错：{body}"))


async def on_discussion_comment(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    if message.is_automatic_forward or message.sender_chat is not None:
        return  # the channel's own post mirrored into the group, or a channel speaking
    if not (message.text or message.caption):
        return
    await _receive(context, incoming_from(update, message, ChatKind.DISCUSSION))


async def on_citizen_edit(update: Update, context: GovContext) -> None:
    """A citizen corrected a private message or a comment: the draft follows the new words."""
    message = update.effective_message
    assert message is not None
    if message.chat.type == ChatType.PRIVATE:
        kind = ChatKind.PRIVATE
    elif message.is_automatic_forward or message.sender_chat is not None:
        return
    else:
        kind = ChatKind.DISCUSSION
    incoming = incoming_from(update, message, kind)
    await context.services.desk.receive_edit(incoming, label_of(incoming.text))
    context.delivery_wake()


async def on_start(update: Update, context: GovContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    if not context.args:
        await message.reply_text(t("welcome"))
        return
    try:
        await context.services.desk.redeem(context.args[0], user.id)
    except TokenInvalid as exc:
        await message.reply_text(describe(exc))
        return
    context.delivery_wake()


async def on_private_unsupported(update: Update, context: GovContext) -> None:  # noqa: ARG001
    """Voice, video, files, stickers: nothing to read, so ask for words instead of silence."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(t("citizen_unsupported"))


async def on_private_unknown_command(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(t("citizen_unknown_command"))


def register_fallback(app: Application) -> None:  # type: ignore[type-arg]
    """Registered last, so every real command gets its chance first."""
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.COMMAND,
            on_private_unknown_command,
        )
    )


def register(app: Application, discussion_chat_ids: list[int]) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE  # edits have their own handler below
    app.add_handler(CommandHandler("start", on_start, filters=private & new))
    app.add_handler(
        CommandHandler(["jiucuo", "correct"], on_correction_command, filters=private & new)
    )
    app.add_handler(
        MessageHandler(
            # A captioned video or file counts for its caption (the words operators answer).
            new & private & (filters.TEXT | filters.PHOTO | filters.CAPTION) & ~filters.COMMAND,
            on_private_message,
        )
    )
    readable = filters.TEXT | filters.PHOTO | filters.CAPTION | filters.COMMAND
    unreadable = new & private & ~readable & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(unreadable, on_private_unsupported))
    edited = filters.UpdateType.EDITED_MESSAGE & (filters.TEXT | filters.CAPTION)
    app.add_handler(MessageHandler(edited & private & ~filters.COMMAND, on_citizen_edit))
    if discussion_chat_ids:
        discussion = filters.Chat(discussion_chat_ids)
        app.add_handler(
            MessageHandler(
                new & discussion & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND,
                on_discussion_comment,
            )
        )
        app.add_handler(MessageHandler(edited & discussion & ~filters.COMMAND, on_citizen_edit))
