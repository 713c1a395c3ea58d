"""Operators in their group: card buttons, replies to cards and prompts, /next.

Roles are checked server-side by the desk on every press; a press from anyone else gets an
alert and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import CallbackQuery, ForceReply, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.callback_data import TOPIC_FORWARD, Action, ReviewButton, unpack
from handlers.context import GovContext
from handlers.errors import describe
from handlers.texts import t
from workflow import prompts
from workflow.errors import ComplianceBlocked, GovReplyError, NotFound
from workflow.models import Visibility

logger = logging.getLogger(__name__)
T = TypeVar("T")

PROMPT_TEXT = {
    "edit": "prompt_edit",
    "reject": "prompt_reject",
    "raise": "prompt_raise",
    "override": "prompt_override",
    "correct": "prompt_correct",
    "withdraw": "prompt_withdraw",
}


async def ask_by_reply(
    query: CallbackQuery,
    context: GovContext,
    text: str,
    subject_id: int,
    action: str,
    version: int | None,
) -> None:
    """Ask the operator who pressed for text (new wording, a reason) by a ForceReply message,
    recorded as a prompt so their reply finds its draft or post (`prompts`) and the card
    version they pressed on."""
    message = query.message
    assert message is not None
    sent = await context.bot.send_message(
        message.chat.id, text, reply_markup=ForceReply(selective=True)
    )
    await context.services.db.run(
        prompts.record,
        message.chat.id,
        sent.message_id,
        subject_id,
        action,
        query.from_user.id,
        version,
    )
    await query.answer(t("alert_prompted"))


async def _prompt(
    query: CallbackQuery, context: GovContext, button: ReviewButton, action: str, **params: str
) -> None:
    """Ask for a draft's new reply or a reason, refusing at once who may not act."""
    drafting = action in ("edit", "correct")
    await context.services.desk.check_operator(query.from_user.id, drafting=drafting)
    text = t(PROMPT_TEXT[action], id=button.draft_id, **params)
    await ask_by_reply(query, context, text, button.draft_id, action, button.version)


async def on_review_button(update: Update, context: GovContext) -> None:
    query = update.callback_query
    assert query is not None
    button = unpack(query.data or "")
    if button is None:
        await query.answer()
        return
    desk = context.services.desk
    user_id = query.from_user.id
    try:
        if button.action is Action.APPROVE:
            outcome = await desk.approve(button.draft_id, user_id, button.version)
            await query.answer(t("alert_done") if outcome.completed else t("alert_signed"))
        elif button.action is Action.EDIT:
            await _prompt(query, context, button, "edit")
        elif button.action is Action.REJECT:
            await _prompt(query, context, button, "reject")
        elif button.action is Action.RAISE:
            await _prompt(query, context, button, "raise")
        elif button.action in (Action.CORRECT, Action.WITHDRAW):
            withdrawing = button.action is Action.WITHDRAW
            await desk.check_correctable(button.draft_id, user_id, button.version, withdrawing)
            await _prompt(query, context, button, "withdraw" if withdrawing else "correct")
        elif button.action is Action.CHOOSE:
            await desk.choose_index(button.draft_id, user_id, int(button.arg), button.version)
            await query.answer(t("alert_done"))
        elif button.action is Action.NEXT:
            promoted = await desk.pull_next(user_id)
            await query.answer(t("next_done", n=len(promoted)) if promoted else t("next_none"))
        elif button.action is Action.VISIBILITY:
            view = await desk.view(button.draft_id)
            target = (
                Visibility.PUBLIC if view.visibility is Visibility.PRIVATE else Visibility.PRIVATE
            )
            await desk.set_visibility(button.draft_id, user_id, target, button.version)
            await query.answer(t("alert_done"))
    except ComplianceBlocked as exc:
        from handlers.texts import COMPLIANCE

        items = "、".join(COMPLIANCE.get(c, c) for c in exc.codes)
        await _prompt(query, context, button, "override", items=items)
    except GovReplyError as exc:
        logger.info("press refused: draft=%s user=%s %s", button.draft_id, user_id, type(exc))
        await query.answer(describe(exc), show_alert=True)
    context.delivery_wake()


async def on_topic_forward(update: Update, context: GovContext) -> None:
    """The hot-topic alert's button: the department is invited to answer (RULES §5)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    alert = query.message

    async def forward() -> str | None:
        try:
            return await context.services.desk.forward_topic(
                alert.chat.id, alert.message_id, query.from_user.id
            )
        except NotFound:
            return None

    try:
        name = await look_a_few_times(forward)
    except GovReplyError as exc:
        await query.answer(describe(exc), show_alert=True)
        return
    if name is None:
        missing = NotFound("hot topic alert", alert.message_id)
        await query.answer(describe(missing), show_alert=True)
        return
    await query.answer(t("ack_topic_forward", department=name))
    context.delivery_wake()


async def on_group_reply(update: Update, context: GovContext) -> None:
    """A reply to a prompt (edit text, reasons), to a hot-topic alert (one reply drafted for
    all its messages) or directly to a card (new reply text)."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    user = message.from_user
    assert user is not None
    services = context.services
    target = message.reply_to_message
    text = message.text or ""
    prompt = await _find_prompt(context, message.chat.id, target)
    try:
        if prompt is not None:
            draft_id, action, version = prompt
            if action == "edit":
                await services.desk.edit(draft_id, user.id, text)
                reply = t("ack_edit", id=draft_id)
            elif action == "reject":
                await services.desk.reject(draft_id, user.id, text)
                reply = t("ack_reject", id=draft_id)
            elif action == "raise":
                await services.desk.raise_tier(draft_id, user.id, text)
                reply = t("ack_raise", id=draft_id)
            elif action == "correct":
                correction = await services.desk.propose_correction(draft_id, user.id, text)
                reply = t("ack_correct", id=correction.id, original=draft_id)
            elif action == "withdraw":
                await services.desk.withdraw_reply(draft_id, user.id, text)
                reply = t("ack_withdraw", id=draft_id)
            else:  # override: approve the wording the signer saw, with the reason on record
                outcome = await services.desk.approve(draft_id, user.id, version, text)
                reply = t("alert_done") if outcome.completed else t("alert_signed")
        elif (
            topic := await services.desk.edit_topic(
                message.chat.id, target.message_id, user.id, text
            )
        ) is not None:
            reply = t("ack_topic_edit", n=len(topic))
        else:
            card_draft = await services.desk.draft_for_card(message.chat.id, target.message_id)
            if card_draft is None:
                # The card may be answered before its send is on record: its own buttons
                # name the draft.
                card_draft = _draft_in_buttons(target, context.bot.id)
            if card_draft is None:
                return
            await services.desk.edit(card_draft, user.id, text)
            reply = t("ack_edit", id=card_draft)
    except GovReplyError as exc:
        reply = describe(exc)
    await message.reply_text(reply)
    context.delivery_wake()


async def _find_prompt(
    context: GovContext, chat_id: int, target: Message
) -> prompts.Asked | None:
    """The prompt this reply answers (a prompt of ours is looked for a few times)."""
    is_ours = target.from_user is not None and target.from_user.id == context.bot.id
    return await look_a_few_times(
        lambda: context.services.db.run(prompts.find, chat_id, target.message_id),
        5 if is_ours and target.reply_markup is None else 1,
    )


async def look_a_few_times(
    look: Callable[[], Awaitable[T | None]], times: int = 5
) -> T | None:
    """What a press or reply names may not be on record yet: a bot message's id is written
    once Telegram returns it, a moment after operators can see (and answer) it."""
    for attempt in range(times):
        if attempt:
            await asyncio.sleep(0.1 * attempt)
        found = await look()
        if found is not None:
            return found
    return None


def _draft_in_buttons(message: Message, bot_id: int) -> int | None:
    """The draft id in a bot card's review buttons, if the message is one of our cards."""
    if message.from_user is None or message.from_user.id != bot_id:
        return None
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            data = button.callback_data
            parsed = unpack(data) if isinstance(data, str) else None
            if parsed is not None and parsed.draft_id:
                return parsed.draft_id
    return None


async def on_next(update: Update, context: GovContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    try:
        promoted = await context.services.desk.pull_next(user.id)
    except GovReplyError as exc:
        await message.reply_text(describe(exc))
        return
    await message.reply_text(t("next_done", n=len(promoted)) if promoted else t("next_none"))
    context.delivery_wake()


async def on_group_edit(update: Update, context: GovContext) -> None:  # noqa: ARG001
    """An operator edited a reply: say it has no effect rather than act on it twice."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(t("ops_edit_ignored"))


def register(app: Application, operators_chat_id: int | None) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_review_button, pattern=r"^rv1:"))
    app.add_handler(CallbackQueryHandler(on_topic_forward, pattern=rf"^{TOPIC_FORWARD}$"))
    if operators_chat_id is None:
        return
    # New messages only: an operator editing a reason or reply text must not act twice.
    group = filters.Chat(operators_chat_id) & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("next", on_next, filters=group))
    app.add_handler(
        MessageHandler(group & filters.REPLY & filters.TEXT & ~filters.COMMAND, on_group_reply)
    )
    edited = filters.Chat(operators_chat_id) & filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(edited & filters.REPLY & filters.TEXT, on_group_edit))
