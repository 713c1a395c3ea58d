"""/console in a private chat: an operator gets a single-use login link to the web console."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from handlers.context import GovContext
from handlers.errors import describe
from handlers.texts import t
from workflow.console_access import issue_login
from workflow.errors import NotAuthorised


async def on_console(update: Update, context: GovContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    assert user is not None
    if message.chat.type != "private":
        # A link posted in a group could be opened by anyone in it.
        await message.reply_text(t("console_private_only"))
        return
    services = context.services
    try:
        token = await services.db.run(issue_login, user.id)
    except NotAuthorised as exc:
        await message.reply_text(describe(exc))
        return
    base = services.settings.console_url.rstrip("/")
    await message.reply_text(
        t("console_link", link=f"{base}/console/login?token={token}"),
        disable_web_page_preview=True,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("console", on_console, filters=filters.UpdateType.MESSAGE))
