"""Domain errors as Chinese texts, and the one PTB error handler (log first, then notify)."""

from __future__ import annotations

import logging

from telegram import Update

from handlers import texts
from handlers.context import GovContext
from handlers.texts import t
from workflow.errors import (
    AlreadyDecided,
    ComplianceBlocked,
    GovReplyError,
    InvalidTransition,
    NotAuthorised,
    NotFound,
    NotNeeded,
    SeparationOfDuties,
    TokenInvalid,
)
from workflow.intake import finish_update

logger = logging.getLogger(__name__)

TOKEN_REASON = {
    "unknown": "链接无效",
    "used": "链接已使用",
    "expired": "链接已过期",
    "belongs to someone else": "链接不属于您",
    "withdrawn": "答复已撤回",
}


def describe(error: GovReplyError) -> str:
    """The operator-facing text for a domain error."""
    if isinstance(error, NotNeeded):
        roles = "、".join(texts.ROLE.get(r, r) for r in error.still_needed)
        return t("alert_not_needed", roles=roles)
    if isinstance(error, NotAuthorised):
        if error.needed == "drafter":
            return t("alert_cannot_draft")
        if error.needed:
            return t("alert_not_role", role=texts.ROLE.get(error.needed, error.needed))
        return t("alert_not_operator")
    if isinstance(error, AlreadyDecided):
        if error.state == "changed":
            return t("alert_changed")
        return t("alert_already", state=texts.STATE.get(error.state, error.state))
    if isinstance(error, SeparationOfDuties):
        detail = {
            "nobody signs the same draft twice": "同一人不能重复签批",
            "the operator who edited a draft cannot be its only approver": "修改人不能单独审批",
        }.get(error.detail, error.detail)
        return t("alert_sod", detail=detail)
    if isinstance(error, ComplianceBlocked):
        return t("alert_blocked")
    if isinstance(error, InvalidTransition):
        detail = texts.INVALID_DETAIL.get(error.detail, error.detail)
        if error.detail.startswith("case "):
            detail = texts.CASE_INVALID.get(error.detail.split(" ", 2)[-1], detail)
        return t("alert_invalid", detail=detail)
    if isinstance(error, NotFound):
        return t("alert_not_found", what=f"{error.what} {error.key}")
    if isinstance(error, TokenInvalid):
        return t("token_invalid", reason=TOKEN_REASON.get(error.reason, error.reason))
    return t("error_generic")


async def on_error(update: object, context: GovContext) -> None:
    """Log the error before we do anything else, so we see it even if notifying fails."""
    logger.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update):
        services = context.services
        context.bot_data.setdefault("failed_updates", set()).add(update.update_id)
        await services.db.run(
            finish_update,
            update.update_id,
            repr(context.error)[:300],
            services.settings.operators_chat_id,
        )
        if update.callback_query is not None:
            await update.callback_query.answer(t("alert_error"), show_alert=True)
