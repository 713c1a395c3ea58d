"""Operator and admin commands: /help, /inspect, /duty; unknown commands in the group get
help."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from handlers import texts
from handlers.context import GovContext
from handlers.errors import describe
from handlers.texts import localize, render_parts, t
from knowledge_base.sqltypes import utcnow
from workflow import duty, operators
from workflow.errors import GovReplyError
from workflow.review import operator_for

logger = logging.getLogger(__name__)


async def on_help(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(t("operator_help"))


async def on_inspect(update: Update, context: GovContext) -> None:
    """读网巡检 on demand (RULES §7); the same report goes out weekly by itself."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    services = context.services
    try:
        await services.db.run(operator_for, user.id)
    except GovReplyError as exc:
        await message.reply_text(describe(exc))
        return
    running = context.bot_data.get("inspection")
    if running is not None and not running.done():
        await message.reply_text(t("inspection_busy"))  # one at a time: each tries every link
        return
    await message.reply_text(t("inspection_running"))

    async def inspect_and_reply() -> None:
        try:
            report = await services.inspect()
        except Exception:  # a background task: nobody else would hear of it
            logger.exception("inspection failed")
            await message.reply_text(t("error_generic"))
            return
        params = localize(report.params()) | render_parts(report.parts())
        await message.reply_text(t("inspection_report", **params))

    # Trying links takes a while; updates are handled one at a time, so not in the handler
    # (the update itself is done: the report is not replayed after a restart).
    context.bot_data["inspection"] = context.application.create_task(inspect_and_reply())


async def on_duty_command(update: Update, context: GovContext) -> None:
    """值班 (RULES §7): `/duty on`, `/duty off`, or `/duty` to see who is on duty."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    db = context.services.db
    arg = (context.args or [""])[0].lower()
    try:
        if arg in ("on", "off", "上岗", "下岗"):
            op = await db.run(operators.set_duty, user.id, arg in ("on", "上岗"))
            await message.reply_text(t("duty_on" if op.on_duty else "duty_off", name=op.name))
            return
        await db.run(operator_for, user.id)
    except GovReplyError as exc:
        await message.reply_text(describe(exc))
        return
    rota = context.services.rota
    people = await db.run(duty.on_duty_now, rota, utcnow())
    names = "、".join(op.name for op in people)
    text = t("duty_list", names=names) if names else t("duty_none")
    if rota.problem:  # an edit of the rota file that could not be read: the last good one holds
        text += "\n" + t("duty_rota_broken", problem=rota.problem)
    await message.reply_text(text)


async def on_group_unknown_command(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(t("unknown_command"))


def register(app: Application, operators_chat_id: int | None) -> None:  # type: ignore[type-arg]
    if operators_chat_id is None:
        return
    group = filters.Chat(operators_chat_id) & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("help", on_help, filters=group))
    app.add_handler(CommandHandler(["inspect", "xunjian"], on_inspect, filters=group))
    app.add_handler(CommandHandler(["duty", "zhiban"], on_duty_command, filters=group))


def register_fallback(app: Application, operators_chat_id: int | None) -> None:  # type: ignore[type-arg]
    if operators_chat_id is None:
        return
    app.add_handler(
        MessageHandler(
            filters.Chat(operators_chat_id) & filters.UpdateType.MESSAGE & filters.COMMAND,
            on_group_unknown_command,
        )
    )


__all__ = ["register", "register_fallback", "texts"]
