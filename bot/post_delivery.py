"""Sending the outbox kinds of channel posts: a post's card in the operators' group and the
signed-off post itself in the channel. bot/delivery.py's worker calls `send` for these kinds
and `record` after a success; retries and error handling stay the worker's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session
from telegram import InputMediaDocument, InputMediaPhoto, InputMediaVideo

from bot.sending import Undeliverable, published_at, replace_published, send_or_edit
from bot.settings import Settings
from handlers.post_cards import render_post, render_post_card
from handlers.texts import t
from workflow import outbox, posts
from workflow.models import OutboxItem, PostDraft
from workflow.posts import PostView

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker

KINDS = frozenset({outbox.Kind.POST_CARD, outbox.Kind.CHANNEL_POST})


async def send(worker: DeliveryWorker, item: OutboxItem) -> int | None:
    """Send one item of KINDS; returns the Telegram message id."""
    settings = worker.settings
    view = await worker.db.run(posts.load, item.payload["post_id"])
    if item.kind == outbox.Kind.POST_CARD:
        if settings.operators_chat_id is None:
            raise Undeliverable("GOVREPLY_OPERATORS_CHAT_ID is not set")
        text, markup = render_post_card(view)
        return await send_or_edit(
            worker.bot,
            settings.operators_chat_id,
            text,
            markup,
            view.card_chat_id,
            view.card_message_id,
        )
    if settings.channel_id is None:
        raise Undeliverable("GOVREPLY_CHANNEL_ID is not set")
    if view.corrects_id is not None:
        return await _send_correction(worker, view)
    sent, album_ids = await _publish(worker, settings.channel_id, view, render_post(view))
    if album_ids:
        item.payload = {**item.payload, "album_ids": album_ids}  # for record(), below
    return sent


_ALBUM_INPUT = {"photo": InputMediaPhoto, "video": InputMediaVideo, "document": InputMediaDocument}


async def _publish(
    worker: DeliveryWorker, channel_id: int, view: PostView, text: str
) -> tuple[int, list[int]]:
    """Send the post; (its message id, an album's message ids). Plain text, as the readers
    see it: no HTML parsing of the unit's own words."""
    if view.media is not None and view.media.album:
        # One media group in one request: the caption (text and stamp) on its first item.
        media = [
            _ALBUM_INPUT[i["kind"]](i["file_id"], caption=text if n == 0 else None)
            for n, i in enumerate(view.media.album)
        ]
        messages = await worker.bot.send_media_group(channel_id, media)
        ids = [m.message_id for m in messages]
        return ids[0], ids
    if view.media is not None:
        # The operator's message with the picture or video, copied with the post's caption.
        copied = await worker.bot.copy_message(
            channel_id, view.media.chat_id, view.media.message_id, caption=text
        )
        return copied.message_id, []
    msg = await worker.bot.send_message(channel_id, text)
    return msg.message_id, []


async def _send_correction(worker: DeliveryWorker, view: PostView) -> int:
    """更正: the corrected text (or caption) replaces the post's in the channel; where the
    post was deleted by hand, the correction goes out as a new post marked 【更正】."""
    where = await published_at(worker.db, PostDraft, view.id)
    assert where is not None  # a published post is in the channel

    async def resend() -> int:
        text = t("post_correction_resent") + render_post(view)
        return (await _publish(worker, where[0], view, text))[0]

    return await replace_published(worker.bot, where, render_post(view), resend)


def record(session: Session, item: OutboxItem, message_id: int | None, settings: Settings) -> None:
    """After a successful send: a card remembers its message, a post is published."""
    if message_id is None:
        return
    post_id = int(item.payload["post_id"])
    if item.kind == outbox.Kind.POST_CARD:
        assert settings.operators_chat_id is not None
        posts.record_card_sent(session, post_id, settings.operators_chat_id, message_id)
    else:
        assert settings.channel_id is not None
        album_ids = item.payload.get("album_ids", [])
        posts.record_published(session, post_id, settings.channel_id, message_id, album_ids)


def undeliverable(session: Session, item: OutboxItem, error: str) -> None:
    """The channel refused the post (no rights, no such chat): the card says so."""
    if item.kind == outbox.Kind.CHANNEL_POST:
        posts.record_undeliverable(session, int(item.payload["post_id"]), error)
