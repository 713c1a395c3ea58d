"""The outbox worker: claims items, renders them from current state, sends them through PTB.

Telegram errors are handled where we can act: RetryAfter waits what Telegram asked (not an
attempt); TimedOut / NetworkError / 5xx back off exponentially (`outbox.MAX_ATTEMPTS`, then
given up on as undeliverable); Forbidden and other 400s ("chat not found", "message is too
long") mark the item undeliverable (audited, and a reply's card says so); "message is not
modified" counts as sent. A crash between a send and its record leaves the item `sending`;
its lease expires and it is sent again: at-least-once is the best Telegram allows, and the
window is one HTTP call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime, timedelta
from html import escape

from sqlmodel import Session
from telegram import (
    Bot,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import case_delivery, post_delivery
from bot.db import Database
from bot.polling import pause_after
from bot.sending import (
    Undeliverable,
    edit_text_or_caption,
    is_gone,
    mention_links,
    published_at,
    replace_published,
    send_or_edit,
)
from bot.settings import Settings
from handlers.callback_data import NOTICE_BUTTONS
from handlers.cards import render_card, render_reply, render_status
from handlers.texts import localize, render_parts, t
from workflow import corrections, intake, outbox, publishing
from workflow.models import ChatKind, Draft, OutboxItem, OutboxStatus, PostDraft, Visibility
from workflow.views import DraftView, load_view

logger = logging.getLogger(__name__)


class DeliveryWorker:
    """One per process; several processes may run one each against the same database."""

    def __init__(self, bot: Bot, db: Database, settings: Settings) -> None:
        self.bot = bot
        self.db = db
        self.settings = settings
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self.bot_username: str | None = None

    def wake(self) -> None:
        """New work was queued: don't wait for the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    async def run(self, poll_seconds: float = 1.0) -> None:
        failures = 0
        while not self._stopped.is_set():
            try:
                items = await self.db.run(
                    outbox.claim,
                    self.worker_id,
                    10,
                    timedelta(seconds=self.settings.outbox_lease_seconds),
                )
                for item in items:
                    await self.deliver(item)
                failures = 0
            except Exception:  # the database failing must not end every send for good
                failures += 1
                delay = pause_after(failures)
                logger.exception("outbox round failed; next round in %.1fs", delay)
                await asyncio.sleep(delay)
                continue
            if items:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)

    async def deliver(self, item: OutboxItem) -> None:
        assert item.id is not None
        if not await self.db.run(outbox.renew, item.id, self.worker_id):
            logger.info("outbox %s was taken over by another worker", item.id)
            return
        try:
            message_id = await self._send(item)
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            logger.warning("outbox %s: Telegram asked to wait %.1fs", item.id, delay)
            await self.db.run(outbox.mark_retry, item.id, delay, str(exc), counted=False)
        except (Forbidden, Undeliverable) as exc:
            logger.warning("outbox %s undeliverable: %s", item.id, exc)
            await self._give_up(item, str(exc))
        except BadRequest as exc:
            text = str(exc).lower()
            if "not modified" in text:
                await self.db.run(outbox.mark_sent, item.id, None)
            else:
                if "chat not found" not in text and "user not found" not in text:
                    logger.error("outbox %s rejected by Telegram: %s", item.id, exc)
                await self._give_up(item, str(exc))
        except (NetworkError, TelegramError) as exc:  # TimedOut, 5xx, dropped connections
            delay = outbox.backoff_seconds(item.attempts)
            logger.warning("outbox %s failed (%s); retry in %.0fs", item.id, exc, delay)
            await self._retry(item, delay, str(exc))
        except Exception as exc:  # a bug rendering one item must not stop every other send
            delay = outbox.backoff_seconds(item.attempts)
            logger.exception("outbox %s could not be sent; retry in %.0fs", item.id, delay)
            await self._retry(item, delay, repr(exc))
        else:
            await self._record_sent(item, message_id)

    async def _retry(self, item: OutboxItem, delay: float, error: str) -> None:
        """Try again later; an item out of attempts ends like one Telegram refused."""
        assert item.id is not None
        retried = await self.db.run(outbox.mark_retry, item.id, delay, error)
        if retried.status is OutboxStatus.FAILED:
            logger.error("outbox %s failed for good after %d attempts", item.id, retried.attempts)
            await self._give_up(item, error, failed=True)
        else:
            self._schedule_wake(delay)

    async def _give_up(self, item: OutboxItem, error: str, failed: bool = False) -> None:
        """Telegram will never take this item (or would not for hours): on record, and a
        reply's card says so (the draft would otherwise stay approved behind a closed card,
        with nobody told)."""
        assert item.id is not None
        if not failed:
            await self.db.run(outbox.mark_undeliverable, item.id, error)
        if item.draft_id is not None and item.kind in (
            outbox.Kind.PUBLISH,
            outbox.Kind.PRIVATE_REPLY,
        ):
            await self.db.run(publishing.record_undeliverable, item.draft_id, error)
        await self.db.run(_undeliverable, item, error)

    async def _record_sent(self, item: OutboxItem, message_id: int | None) -> None:
        """Record a send that happened. Retried while the item's lease lasts: an item left
        `sending` is sent again when its lease expires, so giving up early sends it twice."""
        lease = self.settings.outbox_lease_seconds
        waited, delay = 0.0, 0.5
        while True:
            try:
                await self.db.run(self._record, item, message_id)
                return
            except Exception:
                if waited + delay >= lease / 2:
                    raise
                logger.warning("outbox %s sent but not yet recorded; retrying", item.id)
                await asyncio.sleep(delay)
                waited, delay = waited + delay, min(delay * 2, 8.0)

    def _schedule_wake(self, delay: float) -> None:
        asyncio.get_running_loop().call_later(delay, self._wake.set)

    def _record(self, session: Session, item: OutboxItem, message_id: int | None) -> None:
        assert item.id is not None
        outbox.mark_sent(session, item.id, message_id)
        if item.kind in case_delivery.KINDS:
            case_delivery.record(session, item, message_id, self.settings.operators_chat_id)
        if item.kind in post_delivery.KINDS:
            post_delivery.record(session, item, message_id, self.settings)
        if item.kind == outbox.Kind.RETRACT:
            _record_retracted(session, item, item.payload.get("how", ""))
        if item.kind == outbox.Kind.CARD and message_id is not None and item.draft_id:
            assert self.settings.operators_chat_id is not None
            publishing.record_card_sent(
                session, item.draft_id, self.settings.operators_chat_id, message_id
            )
        elif item.kind in (outbox.Kind.PUBLISH, outbox.Kind.PRIVATE_REPLY) and item.draft_id:
            if item.payload.get("link_note"):
                return
            publishing.record_published(session, item.draft_id, message_id)

    async def _send(self, item: OutboxItem) -> int | None:
        kind = item.kind
        if kind == outbox.Kind.CARD:
            return await self._send_card(item)
        if kind == outbox.Kind.PUBLISH:
            return await self._send_publish(item)
        if kind == outbox.Kind.PRIVATE_REPLY:
            view = await self.db.run(load_view, item.draft_id)
            if view.corrected_by_id is not None:  # corrected while the link waited
                view = await self.db.run(load_view, view.corrected_by_id)
            msg = await self.bot.send_message(
                chat_id=view.user_id, text=t("token_ok") + "\n\n" + render_reply(view)
            )
            return msg.message_id
        if kind == outbox.Kind.NOTICE:
            payload = item.payload
            reply = payload.get("reply_to")
            if payload.get("reply_to_card") and item.draft_id is not None:
                # Resolved at send time: items of one draft go out in order, so the card's
                # message id is on record by now.
                reply = (await self.db.run(load_view, item.draft_id)).card_message_id
            params = localize(payload.get("params", {})) | render_parts(payload.get("parts", {}))
            # A citizen's message may be as long as Telegram allows; quoted in a notice with
            # its template it would not fit, and the notice would be refused for good.
            params = {k: _clip(v) for k, v in params.items()}
            mentions = payload.get("mentions")
            if mentions is not None:
                # Names as tg:// links, so Telegram notifies the people named (HTML).
                params = {k: escape(str(v)) for k, v in params.items()}
                links = mention_links(mentions)
                params["people"] = t("mention_people", names=links) if links else ""
            markup = None
            if (action := payload.get("button")) in NOTICE_BUTTONS:  # e.g. a hot topic's
                label, data = NOTICE_BUTTONS[action]
                button = InlineKeyboardButton(t(label, **params), callback_data=data)
                markup = InlineKeyboardMarkup([[button]])
            msg = await self.bot.send_message(
                chat_id=item.chat_id or _chat(item, self.settings.operators_chat_id),
                text=t(payload["template"], **params),
                parse_mode=ParseMode.HTML if mentions is not None else None,
                reply_parameters=ReplyParameters(reply, allow_sending_without_reply=True)
                if reply
                else None,
                reply_markup=markup,
            )
            return msg.message_id
        if kind == outbox.Kind.STATUS:
            return await self._send_status()
        if kind == outbox.Kind.RETRACT:
            await self._retract(item)
            return None
        if kind == outbox.Kind.DELETE:
            await self.bot.delete_message(_chat(item), item.payload["message_id"])
            return None
        if kind == outbox.Kind.RESTRICT:
            until = datetime.now().astimezone() + timedelta(hours=item.payload.get("hours", 24))
            await self.bot.restrict_chat_member(
                _chat(item),
                item.payload["user_id"],
                ChatPermissions(can_send_messages=False),
                until_date=until,
            )
            return None
        if kind in case_delivery.KINDS:
            return await case_delivery.send(self, item)
        if kind in post_delivery.KINDS:
            return await post_delivery.send(self, item)
        raise Undeliverable(f"unknown outbox kind {kind!r}")

    async def _send_card(self, item: OutboxItem) -> int:
        chat_id = self.settings.operators_chat_id
        if chat_id is None:
            raise Undeliverable("GOVREPLY_OPERATORS_CHAT_ID is not set")
        view = await self.db.run(load_view, item.draft_id)
        text, markup = render_card(view)
        return await send_or_edit(
            self.bot, chat_id, text, markup, view.card_chat_id, view.card_message_id
        )

    async def _send_status(self) -> int | None:
        chat_id = self.settings.operators_chat_id
        if chat_id is None:
            raise Undeliverable("GOVREPLY_OPERATORS_CHAT_ID is not set")
        status, message_id = await self.db.run(intake.queue_status)
        text, markup = render_status(status.live, status.waiting)
        if message_id is not None:
            try:
                await self.bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
                return message_id
            except BadRequest as exc:  # deleted in the group: a new one takes its place
                if not is_gone(exc):
                    raise
        msg = await self.bot.send_message(chat_id, text, reply_markup=markup)
        return msg.message_id

    async def _send_publish(self, item: OutboxItem) -> int | None:
        view = await self.db.run(load_view, item.draft_id)
        if view.corrects_id is not None:
            return await self._send_correction(view)
        reply_to = ReplyParameters(view.message_id, allow_sending_without_reply=True)
        if view.visibility is Visibility.PRIVATE and view.chat_kind is ChatKind.DISCUSSION:
            # RULES §2: sensitive topics by private message. A bot can't open a private chat,
            # so the public reply is a neutral note with a single-use deep link.
            token = await self.db.run(
                publishing.issue_deep_link, view.id, self.settings.deep_link_ttl_hours
            )
            if self.bot_username is None:
                self.bot_username = (await self.bot.get_me()).username
            link = f"https://t.me/{self.bot_username}?start={token}"
            msg = await self.bot.send_message(
                view.chat_id, t("private_note", link=link), reply_parameters=reply_to
            )
            item.payload = {**item.payload, "link_note": True}
            return msg.message_id
        msg = await self.bot.send_message(
            view.chat_id, render_reply(view), reply_parameters=reply_to
        )
        return msg.message_id

    async def _send_correction(self, view: DraftView) -> int | None:
        """更正: the corrected text replaces the published reply's. Where that message is gone
        (deleted by hand), the correction goes out as a new message, saying so. A reply still
        awaiting its deep link has nothing out yet: the citizen gets the correction when they
        open the link."""
        where = await published_at(self.db, Draft, view.id)
        if where is None:
            return None
        private_link = where[0] != view.chat_id  # a comment answered through a deep link
        text = (t("token_ok") + "\n\n" if private_link else "") + render_reply(view)

        async def resend() -> int:
            reply_to = ReplyParameters(view.message_id, allow_sending_without_reply=True)
            msg = await self.bot.send_message(
                where[0],
                t("reply_correction_resent") + render_reply(view),
                reply_parameters=None if private_link else reply_to,
            )
            return msg.message_id

        return await replace_published(self.bot, where, text, resend)

    async def _retract(self, item: OutboxItem) -> None:
        """撤回: delete the reply or post; where Telegram refuses (after 48 hours in a private
        chat), its text is replaced by a withdrawal notice (a bot may edit its own messages)."""
        chat_id, message_id = _chat(item), int(item.payload["message_id"])
        how = "deleted"
        try:
            await self.bot.delete_message(chat_id, message_id)
        except BadRequest as exc:
            problem = str(exc).lower()
            if "can't be deleted" in problem:
                how = "blanked"
                notice = t(
                    "post_withdrawn_text" if "post_id" in item.payload else "reply_withdrawn_text"
                )
                with contextlib.suppress(BadRequest):  # "not modified": blanked before a crash
                    await edit_text_or_caption(
                        self.bot, chat_id, message_id, notice, bool(item.payload.get("caption"))
                    )
            elif "message to delete not found" not in problem:  # gone: nothing to take down
                raise
        for more in item.payload.get("more_ids", []):  # the other pictures of an album
            try:
                await self.bot.delete_message(chat_id, int(more))
            except BadRequest as exc:
                if "message to delete not found" not in str(exc).lower():
                    raise
        item.payload = {**item.payload, "how": how}


def _chat(item: OutboxItem, default: int | None = None) -> int:
    """The item's chat; an item without one can never be delivered."""
    chat_id = item.chat_id if item.chat_id is not None else default
    if chat_id is None:
        raise Undeliverable(f"outbox item {item.id} has no chat")
    return chat_id


def _undeliverable(session: Session, item: OutboxItem, error: str) -> None:
    """What an item Telegram will never take leaves on record beyond the outbox."""
    post_delivery.undeliverable(session, item, error)
    if item.kind == outbox.Kind.RETRACT:
        _record_retracted(session, item, "failed", error)


def _record_retracted(session: Session, item: OutboxItem, how: str, error: str = "") -> None:
    """A withdrawn reply's or post's take-down ended (deleted, blanked, or failed)."""
    if item.draft_id is not None:
        corrections.record_retracted(session, Draft, item.draft_id, how, error)
    elif "post_id" in item.payload:
        corrections.record_retracted(session, PostDraft, int(item.payload["post_id"]), how, error)


QUOTE_LIMIT = 1500  # characters of one quoted text in a notice (Telegram takes 4096 in all)


def _clip(value: object) -> object:
    if isinstance(value, str) and len(value) > QUOTE_LIMIT:
        return value[:QUOTE_LIMIT] + t("clipped")
    return value


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
