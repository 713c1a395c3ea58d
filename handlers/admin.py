"""Operator and admin commands: /help, /whoami; unknown commands in the group get help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from handlers import texts
from handlers.context import GovContext
from handlers.texts import t


async def on_help(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(t("operator_help"))


async def on_group_unknown_command(update: Update, context: GovContext) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(t("unknown_command"))


def register(app: Application, operators_chat_id: int | None) -> None:  # type: ignore[type-arg]
    if operators_chat_id is None:
        return
    group = filters.Chat(operators_chat_id) & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("help", on_help, filters=group))


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
