"""Sending the outbox kinds of channel posts: a post's card in the operators' group and the
signed-off post itself in the channel. bot/delivery.py's worker calls `send` for these kinds
and `record` after a success; retries and error handling stay the worker's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.sending import Undeliverable, send_or_edit
from bot.settings import Settings
from handlers.post_cards import render_post, render_post_card
from workflow import outbox, posts
from workflow.models import OutboxItem

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
    # Plain text, as the readers see it: no HTML parsing of the unit's own words.
    if view.media is not None:
        # The operator's message with the picture or video, copied with the post's caption.
        copied = await worker.bot.copy_message(
            settings.channel_id,
            view.media.chat_id,
            view.media.message_id,
            caption=render_post(view),
        )
        return copied.message_id
    msg = await worker.bot.send_message(settings.channel_id, render_post(view))
    return msg.message_id


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
        posts.record_published(session, post_id, settings.channel_id, message_id)


def undeliverable(session: Session, item: OutboxItem, error: str) -> None:
    """The channel refused the post (no rights, no such chat): the card says so."""
    if item.kind == outbox.Kind.CHANNEL_POST:
        posts.record_undeliverable(session, int(item.payload["post_id"]), error)
