"""Operators and cases: /case GR-..., /cases open, case card buttons, replies to case prompts.

Every action is checked server-side (active operator) by workflow.cases; a press from anyone
else gets an alert and changes nothing.
"""

from __future__ import annotations

import logging

from telegram import ForceReply, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.callback_data import CaseAction, unpack_case
from handlers.case_cards import render_case_card, render_case_line
from handlers.context import GovContext
from handlers.errors import describe
from handlers.texts import t
from workflow import cases
from workflow.errors import GovReplyError
from workflow.models import CaseKind, CaseStatus, ChecklistStep
from workflow.review import operator_for

logger = logging.getLogger(__name__)

# Replies to case prompts run after the draft reply handler (group 0), which ignores them.
REPLY_GROUP = 1
PROMPTS = {
    CaseAction.CLOSE: ("close", "prompt_case_close"),
    CaseAction.COMMENT: ("comment", "prompt_case_comment"),
}


async def on_case(update: Update, context: GovContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    if not context.args:
        await message.reply_text(t("case_usage"))
        return
    db = context.services.db
    try:
        await db.run(operator_for, user.id)
        view = await db.run(cases.get_case, context.args[0])
    except GovReplyError as exc:
        await message.reply_text(describe(exc))
        return
    text, markup = render_case_card(view)
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_cases(update: Update, context: GovContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    which = (context.args or ["open"])[0].lower()
    if which != "open" and which not in CaseStatus._value2member_map_:
        await message.reply_text(t("cases_usage"))
        return
    db = context.services.db
    try:
        await db.run(operator_for, user.id)
        status = None if which == "open" else CaseStatus(which)
        views = await db.run(cases.list_cases, status)
    except GovReplyError as exc:
        await message.reply_text(describe(exc))
        return
    if not views:
        await message.reply_text(t("case_list_empty"))
        return
    lines = [t("case_list_title", n=len(views)), *(render_case_line(v) for v in views)]
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


def _step(arg: str) -> ChecklistStep:
    """A tick button's step; cards sent before checklists had kinds carried an index into
    the impersonation checklist."""
    if arg.isdigit():
        return cases.steps_of(CaseKind.IMPERSONATION_REPORT)[int(arg)]
    return ChecklistStep(arg)


async def on_case_button(update: Update, context: GovContext) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    button = unpack_case(query.data or "")
    if button is None:
        await query.answer()
        return
    db = context.services.db
    user_id = query.from_user.id
    chat_id = query.message.chat.id
    try:
        if button.action is CaseAction.ASSIGN:
            await db.run(cases.assign, button.case_id, user_id)
        elif button.action is CaseAction.STATUS:
            await db.run(cases.set_status, button.case_id, user_id, CaseStatus(button.arg))
        elif button.action is CaseAction.TICK:
            step = _step(button.arg)
            await db.run(cases.tick_step, button.case_id, user_id, step)
        elif button.action is CaseAction.DOCUMENTS:
            await db.run(cases.request_documents, button.case_id, user_id, chat_id)
        elif button.action is CaseAction.FORWARD:
            directory = context.services.desk.config.routing.departments
            name = await db.run(cases.forward, button.case_id, user_id, directory)
            await query.answer(t("ack_case_forward", department=name))
            context.delivery_wake()
            return
        else:
            action, key = PROMPTS[button.action]
            await db.run(operator_for, user_id)
            view = await db.run(cases.load_case, button.case_id)
            sent = await context.bot.send_message(
                chat_id, t(key, ticket=view.ticket), reply_markup=ForceReply(selective=True)
            )
            await db.run(
                cases.record_prompt, chat_id, sent.message_id, button.case_id, action, user_id
            )
            await query.answer(t("alert_prompted"))
            return
        await query.answer(t("alert_done"))
    except (GovReplyError, ValueError, IndexError) as exc:
        logger.info("case press refused: case=%s user=%s %s", button.case_id, user_id, type(exc))
        text = describe(exc) if isinstance(exc, GovReplyError) else t("error_generic")
        await query.answer(text, show_alert=True)
    context.delivery_wake()


async def on_case_reply(update: Update, context: GovContext) -> None:
    """A reply to a case prompt: the outcome that closes it, or a comment."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    user = message.from_user
    assert user is not None
    db = context.services.db
    prompt = await db.run(cases.find_prompt, message.chat.id, message.reply_to_message.message_id)
    if prompt is None:
        return
    case_id, action = prompt
    text = message.text or ""
    try:
        if action == "close":
            case = await db.run(cases.close, case_id, user.id, text)
            reply = t("ack_case_closed", ticket=case.ticket)
        else:
            case = await db.run(cases.comment, case_id, user.id, text)
            reply = t("ack_case_comment", ticket=case.ticket)
    except GovReplyError as exc:
        reply = describe(exc)
    await message.reply_text(reply)
    context.delivery_wake()


def register(app: Application, operators_chat_id: int | None) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_case_button, pattern=r"^cs1:"))
    if operators_chat_id is None:
        return
    group = filters.Chat(operators_chat_id) & filters.UpdateType.MESSAGE  # edits don't act
    app.add_handler(CommandHandler("case", on_case, filters=group))
    app.add_handler(CommandHandler("cases", on_cases, filters=group))
    app.add_handler(
        MessageHandler(group & filters.REPLY & filters.TEXT & ~filters.COMMAND, on_case_reply),
        group=REPLY_GROUP,
    )
