"""Composition root: build the PTB Application and register every handler module."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.polling import RawUpdatesRequest
from bot.services import Services
from handlers import admin, cases, channel, citizen, console, posts, review
from handlers.context import GovContext
from handlers.errors import on_error
from workflow.intake import finish_update

DONE_GROUP = 1000  # runs after every handler group


async def on_update_done(update: Update, context: GovContext) -> None:
    """Mark the stored update processed, unless a handler failed on it (then it is retried)."""
    failed: set[int] = context.bot_data.setdefault("failed_updates", set())
    if update.update_id in failed:
        failed.discard(update.update_id)
        return
    await context.services.db.run(finish_update, update.update_id)


def build_application(services: Services) -> Application[Any, GovContext, Any, Any, Any, Any]:
    """The real PTB Application; updates are fed by bot/polling.py or bot/webhook.py."""
    settings = services.settings
    if settings.token is None:
        msg = "GOVREPLY_TOKEN is not set; get one from @BotFather (or run `govreply sandbox`)"
        raise ValueError(msg)
    builder = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .context_types(ContextTypes(context=GovContext))
        .updater(None)
        .connect_timeout(10)
        .read_timeout(20)
        .write_timeout(20)
        # Each update handed over as Telegram sent it, decoded one by one (bot/polling.py).
        .get_updates_request(RawUpdatesRequest(connection_pool_size=1))
    )
    if settings.rate_limit:
        # Paces sends to Telegram's flood limits; RetryAfter is left to the outbox.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))  # type: ignore[arg-type]
    app = builder.build()
    app.bot_data["services"] = services
    app.bot_data["wake"] = lambda: None  # replaced by the runtime's delivery worker
    channel.register(app, settings.discussion_chat_ids)
    citizen.register(app, settings.discussion_chat_ids)
    review.register(app, settings.operators_chat_id)
    admin.register(app, settings.operators_chat_id)
    cases.register(app, settings.operators_chat_id)
    posts.register(app, settings.operators_chat_id)
    console.register(app)
    citizen.register_fallback(app)
    admin.register_fallback(app, settings.operators_chat_id)
    app.add_handler(TypeHandler(Update, on_update_done), group=DONE_GROUP)
    app.add_error_handler(on_error)
    return app
