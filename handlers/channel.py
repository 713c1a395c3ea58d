"""The account's own channel posts: recorded so the desk can watch how often it publishes
(RULES §7). Seen as `channel_post` when the bot administers the channel, and as the
automatic forward into the linked discussion group in any case; the two copies are one."""

from __future__ import annotations

from telegram import MessageOriginChannel, Update
from telegram.ext import Application, MessageHandler, filters

from handlers.context import GovContext
from workflow import activity


async def on_channel_post(update: Update, context: GovContext) -> None:
    post = update.channel_post
    assert post is not None
    await context.services.db.run(
        activity.record_post,
        post.chat_id,
        post.message_id,
        post.date,
        original=post.forward_origin is None,  # a forwarded post is a repost
        video=post.video is not None,
        album=post.media_group_id is not None,
    )


async def on_mirrored_post(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginChannel):
        return
    await context.services.db.run(
        activity.record_post,
        origin.chat.id,
        origin.message_id,
        origin.date,
        original=None,  # the mirror does not say whether the post was itself forwarded
        video=message.video is not None,
        album=message.media_group_id is not None,
    )


def register(app: Application, discussion_chat_ids: list[int]) -> None:  # type: ignore[type-arg]
    """Registered before the citizens' handlers: a mirrored post is not a comment."""
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POST, on_channel_post))
    if discussion_chat_ids:
        mirrored = (
            filters.UpdateType.MESSAGE
            & filters.Chat(discussion_chat_ids)
            & filters.IS_AUTOMATIC_FORWARD
        )
        app.add_handler(MessageHandler(mirrored, on_mirrored_post))
