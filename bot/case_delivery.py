"""Sending the outbox kinds of the triage actions: case cards, generated documents, e-mail
forwards and head alerts. bot/delivery.py's worker calls `send` for these kinds and `record`
after a success; retries and error handling stay the worker's.

E-mail goes through the stdlib smtplib in a worker thread when GOVREPLY_SMTP_HOST is set;
otherwise the item is marked undeliverable with the reason, so the forward is never lost
silently (the operators see it in the outbox and the audit of the forward).
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from html import escape
from typing import TYPE_CHECKING, Any

from sqlmodel import Session
from telegram import InputFile
from telegram.constants import ParseMode
from telegram.error import NetworkError

from bot.sending import Undeliverable, mention_links, send_or_edit
from bot.settings import SmtpSecurity
from handlers.case_cards import render_case_card
from handlers.texts import t
from workflow import cases, outbox
from workflow.illegal_content import IllegalReportInfo, render_authority_report
from workflow.impersonation import (
    ImpersonationCaseInfo,
    render_filing_record,
    render_platform_letter,
)
from workflow.models import OutboxItem

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker

KINDS = frozenset(
    {outbox.Kind.CASE_CARD, outbox.Kind.DOCUMENT, outbox.Kind.EMAIL, outbox.Kind.ALERT}
)
_RENDER: dict[str, Callable[[Any], bytes]] = {
    "platform_letter": render_platform_letter,
    "filing_record": render_filing_record,
    "authority_report": render_authority_report,
}
_FILENAME = {
    "platform_letter": "致平台函",
    "filing_record": "备案表",
    "authority_report": "涉嫌违法信息报送单",
}


async def send(worker: DeliveryWorker, item: OutboxItem) -> int | None:
    """Send one item of KINDS; returns the Telegram message id when there is one."""
    settings = worker.settings
    if item.kind == outbox.Kind.EMAIL:
        await _send_email(worker, item)
        return None
    chat_id = item.chat_id or settings.operators_chat_id
    if chat_id is None:
        raise Undeliverable("GOVREPLY_OPERATORS_CHAT_ID is not set")
    if item.kind == outbox.Kind.CASE_CARD:
        view = await worker.db.run(cases.load_case, item.payload["case_id"])
        text, markup = render_case_card(view)
        return await send_or_edit(
            worker.bot, chat_id, text, markup, view.card_chat_id, view.card_message_id
        )
    if item.kind == outbox.Kind.DOCUMENT:
        document = item.payload["document"]
        unit = cases.Unit(
            settings.unit_name, settings.official_account, settings.supervising_office
        )
        # The group's copy of the authority report is de-identified, like every card.
        info: IllegalReportInfo | ImpersonationCaseInfo
        if document == "authority_report":
            info = await worker.db.run(cases.report_info, item.payload["case_id"], unit)
        else:
            info = await worker.db.run(cases.document_info, item.payload["case_id"], unit)
        data = await asyncio.to_thread(_RENDER[document], info)
        msg = await worker.bot.send_document(
            chat_id,
            InputFile(data, filename=f"{info.ticket}-{_FILENAME[document]}.docx"),
            caption=f"{info.ticket} {_FILENAME[document]}",
        )
        return msg.message_id
    if item.kind == outbox.Kind.ALERT:
        payload = item.payload
        heads = mention_links(payload.get("mentions", [])) or "—"
        params = {k: escape(str(v)) for k, v in payload.get("params", {}).items()}
        msg = await worker.bot.send_message(
            chat_id, t(payload["template"], heads=heads, **params), parse_mode=ParseMode.HTML
        )
        return msg.message_id
    raise Undeliverable(f"outbox kind {item.kind!r} is not a case kind")


async def _send_email(worker: DeliveryWorker, item: OutboxItem) -> None:
    settings = worker.settings
    if not settings.smtp_host:
        raise Undeliverable(
            f"e-mail to {item.payload.get('to')} not sent: GOVREPLY_SMTP_HOST is not set; "
            "forward it by hand or configure SMTP"
        )
    params = item.payload.get("params", {})
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = item.payload["to"]
    message["Subject"] = t(item.payload.get("subject", "suggestion_email_subject"), **params)
    message.set_content(t(item.payload["template"], **params))
    try:
        await asyncio.to_thread(
            _smtp_send,
            settings.smtp_host,
            settings.smtp_port,
            _security(settings.smtp_security, settings.smtp_port),
            settings.smtp_user,
            settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            message,
        )
    except (smtplib.SMTPException, OSError) as exc:
        # Retried by the worker with back-off, like a Telegram network error.
        raise NetworkError(f"SMTP: {exc}") from exc


def _security(setting: SmtpSecurity, port: int) -> SmtpSecurity:
    if setting is not SmtpSecurity.AUTO:
        return setting
    return {465: SmtpSecurity.SSL, 25: SmtpSecurity.NONE}.get(port, SmtpSecurity.STARTTLS)


def _smtp_send(
    host: str,
    port: int,
    security: SmtpSecurity,
    user: str | None,
    password: str | None,
    message: EmailMessage,
) -> None:
    if security is SmtpSecurity.SSL:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=30)
    else:
        smtp = smtplib.SMTP(host, port, timeout=30)
    with smtp:
        if security is SmtpSecurity.STARTTLS:
            smtp.starttls()
        if user and password:
            smtp.login(user, password)
        smtp.send_message(message)


def record(
    session: Session, item: OutboxItem, message_id: int | None, operators_chat_id: int | None
) -> None:
    """After a successful send: a new case card remembers its message."""
    if item.kind == outbox.Kind.CASE_CARD and message_id is not None:
        chat_id = item.chat_id or operators_chat_id
        assert chat_id is not None
        cases.record_card_sent(session, item.payload["case_id"], chat_id, message_id)
