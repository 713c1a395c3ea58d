"""Channel posts in the operators' group (RULES §1: 先审后发 for what the account publishes):
`/post 正文` proposes an original post, `/repost 来源` in reply to a message proposes that
message as a repost naming its source; the post's card carries the sign-off buttons, and
replies to its prompts give the new text or a reason. Roles are checked by the domain
(`workflow.posts`) on every action; this module only translates.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from telegram import (
    CallbackQuery,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.callback_data import POST_PREFIX, Action, ReviewButton, unpack
from handlers.context import GovContext
from handlers.errors import describe
from handlers.review import ask_by_reply
from handlers.texts import COMPLIANCE, t
from knowledge_base.sqltypes import utcnow
from workflow import corrections, posts, prompts
from workflow.calendar import LOCAL_TZ
from workflow.errors import ComplianceBlocked, GovReplyError
from workflow.models import DraftState, PostDraft, PostKind

logger = logging.getLogger(__name__)

REPLY_GROUP = 2  # beside the draft replies (group 0) and the case replies (group 1)
ALBUM_GROUP = 3  # keeping an album's items never stops another handler from seeing them


class _InAlbum(filters.MessageFilter):
    """A message that is one item of an album (media group)."""

    def filter(self, message: Message) -> bool:
        return message.media_group_id is not None


_IN_ALBUM = _InAlbum()
MANDATED = "上级要求"  # "/repost 上级要求 来源": required by a higher authority


def _body(message: Message) -> str:
    """The text after the command (newlines kept)."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


_SCHEDULE = re.compile(
    r"^定时\s*(?:(\d{4})[-/年])?(\d{1,2})[-/月](\d{1,2})日?\s*(\d{1,2})[:：](\d{2})\s*(.*)$",
    re.DOTALL,
)


def _schedule(body: str, now: datetime) -> tuple[datetime | None, str]:
    """A leading "定时 [YYYY-]MM-DD HH:MM" (Beijing time) and the rest of the text; a date
    without its year that has passed this year is next year's."""
    found = _SCHEDULE.match(body)
    if found is None:
        return None, body
    year, month, day, hour, minute, rest = found.groups()
    local = now.astimezone(LOCAL_TZ)
    try:
        when = datetime(
            int(year or local.year), int(month), int(day), int(hour), int(minute), tzinfo=LOCAL_TZ
        )
    except ValueError:
        return None, body  # not a date after all: the words are the post
    if year is None and when < local:
        when = when.replace(year=when.year + 1)
    return when, rest.strip()


def _origin_name(message: Message) -> str:
    """Who a forwarded message came from, as its source."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginChannel):
        return origin.chat.title or ""
    if isinstance(origin, MessageOriginChat):
        return origin.sender_chat.title or ""
    if isinstance(origin, MessageOriginUser):
        return origin.sender_user.full_name
    if isinstance(origin, MessageOriginHiddenUser):
        return origin.sender_user_name
    return ""


def _file_of(message: Message) -> tuple[str, str] | None:
    """(kind, file id) of a message's picture (its largest size), video or file."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.video:
        return "video", message.video.file_id
    if message.document:
        return "document", message.document.file_id
    return None


async def on_album_item(update: Update, context: GovContext) -> None:
    """Telegram delivers an album as one message per picture: each is kept, so `/post` in
    reply to any of them publishes the whole album."""
    message = update.effective_message
    assert message is not None and message.media_group_id is not None
    found = _file_of(message)
    if found is not None:
        await context.services.db.run(
            posts.record_album_item,
            message.chat.id,
            message.message_id,
            message.media_group_id,
            *found,
            message.caption or "",
        )


async def _post_media(
    context: GovContext, replied: Message | None
) -> tuple[posts.Media | None, str]:
    """What a message replied to brings to a post: its media (a whole album when it is one)
    and its text or caption (an album's: whichever item has it)."""
    if replied is None:
        return None, ""
    text = (replied.text or replied.caption or "").strip()
    if replied.media_group_id is not None:
        album = await context.services.db.run(
            posts.album_media, replied.chat.id, replied.media_group_id
        )
        if album is not None:
            return album[0], text or album[1].strip()
    found = _file_of(replied)
    media = posts.Media(found[0], replied.chat.id, replied.message_id) if found else None
    return media, text


async def _submit(
    message: Message,
    context: GovContext,
    text: str,
    kind: PostKind,
    source: str = "",
    publish_at: datetime | None = None,
    mandated: bool = False,
    media: posts.Media | None = None,
) -> None:
    user = message.from_user
    assert user is not None
    if context.services.settings.channel_id is None:
        await message.reply_text(t("post_no_channel"))
        return
    if not text:
        await message.reply_text(t("post_usage"))
        return
    try:
        post = await context.services.desk.submit_post(
            user.id, text, kind, source, media, publish_at, mandated
        )
    except GovReplyError as exc:
        await message.reply_text(describe(exc))
        return
    await message.reply_text(t("post_submitted", id=post.id))
    context.delivery_wake()


async def on_post(update: Update, context: GovContext) -> None:
    """/post 正文, or /post in reply to a message whose text (or caption) is the post; a
    picture, video or file in that message goes out with it."""
    message = update.effective_message
    assert message is not None
    publish_at, text = _schedule(_body(message), utcnow())
    media, replied_text = await _post_media(context, message.reply_to_message)
    text = text or replied_text
    await _submit(message, context, text, PostKind.ORIGINAL, publish_at=publish_at, media=media)


async def on_repost(update: Update, context: GovContext) -> None:
    """/repost 来源 in reply to a message: that message, naming its source (the forward's
    origin when no source is written)."""
    message = update.effective_message
    assert message is not None
    replied = message.reply_to_message
    media, text = await _post_media(context, replied)
    publish_at, source = _schedule(_body(message), utcnow())
    # "/repost 上级要求 来源": a repost the unit was required to make (RULES §7 counts it).
    mandated = source.startswith(MANDATED)
    source = source.removeprefix(MANDATED).strip() if mandated else source
    source = source or (_origin_name(replied) if replied else "")
    if not text or not source:
        await message.reply_text(t("post_usage"))
        return
    await _submit(message, context, text, PostKind.REPOST, source, publish_at, mandated, media)


async def _prompt(
    query: CallbackQuery, context: GovContext, button: ReviewButton, action: str, **params: str
) -> None:
    """Ask for a post's new text or a reason."""
    text = t(f"prompt_post_{action}", id=button.draft_id, **params)
    await ask_by_reply(
        query, context, text, button.draft_id, prompts.POST + action, button.version
    )


async def on_post_button(update: Update, context: GovContext) -> None:
    query = update.callback_query
    assert query is not None
    button = unpack(query.data or "", POST_PREFIX)
    if button is None:
        await query.answer()
        return
    db = context.services.db
    user_id = query.from_user.id
    try:
        if button.action is Action.APPROVE:
            _post, done = await db.run(posts.approve, button.draft_id, user_id, button.version)
            await query.answer(t("alert_done") if done else t("alert_signed"))
        elif button.action in _PROMPTED:
            # Refuse at once whoever may not act, rather than after they typed a reason.
            await context.services.desk.check_operator(
                user_id, drafting=button.action in (Action.EDIT, Action.CORRECT)
            )
            if button.action is Action.CORRECT:
                await db.run(
                    corrections.check_press,
                    PostDraft,
                    button.draft_id,
                    user_id,
                    button.version,
                    False,
                )
            elif button.action is Action.WITHDRAW:
                await db.run(posts.check_can_withdraw, button.draft_id, user_id, button.version)
            await _prompt(query, context, button, _PROMPTED[button.action])
        else:
            await query.answer()
    except ComplianceBlocked as exc:
        items = "、".join(COMPLIANCE.get(c, c) for c in exc.codes)
        await _prompt(query, context, button, "override", items=items)
    except GovReplyError as exc:
        logger.info("post press refused: post=%s user=%s %s", button.draft_id, user_id, type(exc))
        await query.answer(describe(exc), show_alert=True)
    context.delivery_wake()


_PROMPTED = {
    Action.EDIT: "edit",
    Action.REJECT: "reject",
    Action.RAISE: "raise",
    Action.WITHDRAW: "withdraw",  # a scheduled post before it is due, or a published one
    Action.CORRECT: "correct",
}


async def on_post_reply(update: Update, context: GovContext) -> None:
    """A reply to a post's prompt: the new text, a reason, or the override's reason."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    user = message.from_user
    assert user is not None
    services = context.services
    found = await services.db.run(
        prompts.find, message.chat.id, message.reply_to_message.message_id, posts=True
    )
    if found is None:
        return
    post_id, action, version = found
    text = message.text or ""
    try:
        if action == "edit":
            await services.desk.edit_post(post_id, user.id, text)
        elif action == "reject":
            await services.db.run(posts.reject, post_id, user.id, text)
        elif action == "raise":
            await services.db.run(posts.raise_tier, post_id, user.id, text)
        elif action == "withdraw":
            post = await services.db.run(posts.withdraw, post_id, user.id, text)
            if post.state is DraftState.PUBLISHED:
                action = "take_down"
        elif action == "correct":
            correction = await services.desk.propose_post_correction(post_id, user.id, text)
            await message.reply_text(t("ack_post_correct", id=correction.id, original=post_id))
            context.delivery_wake()
            return
        else:  # override: sign the wording the signer saw, with the reason on record
            _post, done = await services.db.run(posts.approve, post_id, user.id, version, text)
            await message.reply_text(t("alert_done") if done else t("alert_signed"))
            context.delivery_wake()
            return
        reply = t(f"ack_post_{action}", id=post_id)
    except GovReplyError as exc:
        reply = describe(exc)
    await message.reply_text(reply)
    context.delivery_wake()


def register(app: Application, operators_chat_id: int | None) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_post_button, pattern=rf"^{POST_PREFIX}:"))
    if operators_chat_id is None:
        return
    group = filters.Chat(operators_chat_id) & filters.UpdateType.MESSAGE  # edits don't act
    app.add_handler(CommandHandler("post", on_post, filters=group))
    app.add_handler(CommandHandler("repost", on_repost, filters=group))
    app.add_handler(
        MessageHandler(group & filters.REPLY & filters.TEXT & ~filters.COMMAND, on_post_reply),
        group=REPLY_GROUP,
    )
    media = filters.PHOTO | filters.VIDEO | filters.Document.ALL
    app.add_handler(MessageHandler(group & media & _IN_ALBUM, on_album_item), group=ALBUM_GROUP)
