"""Sending primitives shared by the outbox workers (drafts, cases and channel posts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from html import escape

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.db import Database
from workflow import corrections
from workflow.errors import InvalidTransition
from workflow.models import Draft, PostDraft


def mention_links(mentions: Iterable[Sequence[object]]) -> str:
    """[[user id, name], ...] as HTML tg:// links, so Telegram notifies each person named."""
    return "、".join(
        f'<a href="tg://user?id={int(str(uid))}">{escape(str(name))}</a>' for uid, name in mentions
    )


class Undeliverable(Exception):
    """The recipient can never get this item (blocked the bot, chat gone)."""


async def send_or_edit(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    card_chat_id: int | None,
    card_message_id: int | None,
) -> int:
    """Edit a card in place if it was sent before (fewer messages in the group), else send it.
    A card someone deleted in the group is sent again (its new id is recorded by the caller):
    otherwise it would never be seen, nor its buttons pressed, again."""
    if card_message_id is not None:
        try:
            await bot.edit_message_text(
                text,
                chat_id=card_chat_id or chat_id,
                message_id=card_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return card_message_id
        except BadRequest as exc:
            if not is_gone(exc):
                raise
    msg = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    return msg.message_id


def is_gone(exc: BadRequest) -> bool:
    """Telegram's answer to editing a message that was deleted."""
    return "message to edit not found" in str(exc).lower()


async def edit_text_or_caption(
    bot: Bot, chat_id: int, message_id: int, text: str, caption: bool
) -> None:
    """Replace what a published message says (plain text): its text, or the caption of a
    picture, video or file (更正 and 撤回 of replies and channel posts)."""
    if caption:
        await bot.edit_message_caption(chat_id=chat_id, message_id=message_id, caption=text)
    else:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)


async def published_at(
    db: Database, model: type[Draft] | type[PostDraft], item_id: int
) -> tuple[int, int, bool] | None:
    """Where the message a correction replaces is; a correction of something withdrawn
    meanwhile is undeliverable (it must not come back as a resend)."""
    try:
        return await db.run(corrections.where_published, model, item_id)
    except InvalidTransition as exc:
        raise Undeliverable(str(exc)) from exc


async def replace_published(
    bot: Bot,
    where: tuple[int, int, bool],
    text: str,
    resend: Callable[[], Awaitable[int]],
) -> int:
    """更正: replace a published message's text (or caption: `where` is chat id, message id,
    caption) in place and return its id; where it is gone (deleted by hand) `resend()` sends
    the correction as a new message instead."""
    chat_id, message_id, caption = where
    try:
        await edit_text_or_caption(bot, chat_id, message_id, text, caption)
        return message_id
    except BadRequest as exc:
        problem = str(exc).lower()
        if "not modified" in problem:  # edited already; the record was lost in a crash
            return message_id
        if not is_gone(exc) and "can't be edited" not in problem:
            raise  # "chat not found" and the like: the worker's error handling decides
    return await resend()
