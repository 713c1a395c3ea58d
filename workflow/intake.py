"""The inbox: raw updates stored before their offset is confirmed, and citizen messages turned
into drafts. Re-delivered updates and replays after a crash are idempotent: a message is keyed
by (chat_id, message_id) and gets exactly one draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from knowledge_base.sqltypes import utcnow
from workflow import audit, outbox
from workflow.models import (
    CardState,
    ChatKind,
    CitizenMessage,
    Draft,
    DraftState,
    InboxStatus,
    InboxUpdate,
    Tier,
    Visibility,
)
from workflow.redaction import redact

MAX_INBOX_ATTEMPTS = 3


@dataclass(frozen=True)
class Incoming:
    """A citizen's message as the desk sees it (no Telegram types)."""

    update_id: int | None
    chat_id: int
    chat_kind: ChatKind
    message_id: int
    user_id: int
    user_name: str
    text: str
    sent_at: datetime
    photo_file_ids: tuple[str, ...] = ()
    reply_to_message_id: int | None = None


@dataclass
class DraftPlan:
    """What the desk decided for a message before storing it."""

    text_redacted: str
    label: str
    label_confidence: float
    evidence: list[str]
    tier: Tier
    tier_reason: str
    visibility: Visibility
    reply_text: str
    matched_entry_id: str | None
    matched_entry_version: int | None
    score: float | None
    probability: float | None
    confident: bool
    candidates: list[dict[str, Any]] = field(default_factory=list)
    compliance: list[dict[str, Any]] = field(default_factory=list)
    make_draft: bool = True


# --- inbox ------------------------------------------------------------------------------------


def record_update(session: Session, update_id: int, payload: dict[str, Any]) -> bool:
    """Store a raw update; False when it was already stored (a re-delivery)."""
    if session.get(InboxUpdate, update_id) is not None:
        return False
    session.add(InboxUpdate(update_id=update_id, payload=payload))
    return True


def finish_update(
    session: Session,
    update_id: int,
    error: str | None = None,
    operators_chat_id: int | None = None,
) -> None:
    """Mark an update processed, or count a failed attempt (retried while the bot runs and on
    restart, capped). The last failed attempt is told to the operators' group with what the
    update said (de-identified), so a citizen's message is handled by hand, not lost."""
    row = session.get(InboxUpdate, update_id)
    if row is None:
        return
    row.attempts += 1
    if error is None:
        row.status = InboxStatus.DONE
        row.error = None
    else:
        row.error = error[:500]
        row.status = (
            InboxStatus.FAILED if row.attempts >= MAX_INBOX_ATTEMPTS else InboxStatus.PENDING
        )
        if row.status is InboxStatus.FAILED and operators_chat_id is not None:
            hand_to_operators(session, row, "update_failed", operators_chat_id)
    session.add(row)


def quarantine_update(
    session: Session, update_id: int, error: str, operators_chat_id: int | None = None
) -> bool:
    """Set aside a stored update that cannot be decoded: marked with its error, told to the
    operators' group once (de-identified), never replayed. False when it is not pending (set
    aside or finished before: nothing to do)."""
    row = session.get(InboxUpdate, update_id)
    if row is None or row.status is not InboxStatus.PENDING:
        return False
    row.status = InboxStatus.QUARANTINED
    row.error = error[:500]
    row.quarantined_at = utcnow()
    session.add(row)
    if operators_chat_id is not None:
        hand_to_operators(session, row, "update_quarantined", operators_chat_id)
    return True


def hand_to_operators(
    session: Session, row: InboxUpdate, template: str, operators_chat_id: int
) -> None:
    """Tell the operators' group, once, about an update GovReply gave up on: who sent it and
    what it said, de-identified (RULES §4), so a citizen's message is handled by hand."""
    sender, said = _summary(row.payload)
    outbox.enqueue(
        session,
        outbox.Kind.NOTICE,
        chat_id=operators_chat_id,
        payload={
            "template": template,
            "params": {"id": row.update_id, "sender": sender or "—", "text": said or "—"},
        },
        dedupe_key=f"{template}:{row.update_id}",
    )


def _summary(payload: dict[str, Any]) -> tuple[str, str]:
    """(sender's first name, redacted text) of a raw update, whatever its shape: a malformed
    one may hold anything where a message should be."""
    message = payload.get("message") or payload.get("edited_message")
    if not isinstance(message, dict):
        return "", ""
    sender = message.get("from")
    name = sender.get("first_name") if isinstance(sender, dict) else None
    text = message.get("text") or message.get("caption")
    said = redact(text)[:300] if isinstance(text, str) else ""
    return (name if isinstance(name, str) else ""), said


def failed_before(session: Session) -> list[dict[str, Any]]:
    """Payloads of updates a handler failed on that wait for another attempt."""
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.status == InboxStatus.PENDING, col(InboxUpdate.attempts) > 0)
        .order_by(col(InboxUpdate.update_id))
    )
    return [row.payload for row in session.exec(query)]


def unfinished_updates(session: Session, received_before: datetime) -> list[dict[str, Any]]:
    """Payloads of updates stored but never processed (the process died): replay them."""
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.status == InboxStatus.PENDING)
        .where(col(InboxUpdate.received_at) < received_before)
        .order_by(col(InboxUpdate.update_id))
    )
    return [row.payload for row in session.exec(query)]


# --- messages and drafts -----------------------------------------------------------------------


def record_message(session: Session, incoming: Incoming, plan: DraftPlan) -> Draft | None:
    """Store the message and its draft; None when this message was stored before."""
    if message_on_record(session, incoming.chat_id, incoming.message_id) is not None:
        return None
    message = CitizenMessage(
        update_id=incoming.update_id,
        chat_id=incoming.chat_id,
        chat_kind=incoming.chat_kind,
        message_id=incoming.message_id,
        reply_to_message_id=incoming.reply_to_message_id,
        user_id=incoming.user_id,
        user_name=incoming.user_name,
        text=incoming.text,
        text_redacted=plan.text_redacted,
        has_photo=bool(incoming.photo_file_ids),
        photo_file_ids=list(incoming.photo_file_ids),
        sent_at=incoming.sent_at,
        label=plan.label,
        label_confidence=plan.label_confidence,
        evidence=plan.evidence,
    )
    session.add(message)
    session.flush()
    audit.record(
        session,
        "message_received",
        "message",
        message.id,
        actor_id=None,
        after={
            "chat_kind": incoming.chat_kind.value,
            "label": plan.label,
            "confidence": round(plan.label_confidence, 3),
        },
    )
    if not plan.make_draft:
        return None
    draft = Draft(
        message_id=message.id or 0,
        tier=plan.tier,
        tier_reason=plan.tier_reason,
        visibility=plan.visibility,
        matched_entry_id=plan.matched_entry_id,
        matched_entry_version=plan.matched_entry_version,
        score=plan.score,
        probability=plan.probability,
        confident=plan.confident,
        candidates=plan.candidates,
        text=plan.reply_text,
        compliance=plan.compliance,
    )
    session.add(draft)
    session.flush()
    audit.record(
        session,
        "draft_made",
        "draft",
        draft.id,
        actor_id=None,
        after={
            "message_id": message.id,
            "entry_id": plan.matched_entry_id,
            "score": plan.score,
            "probability": plan.probability,
            "tier": plan.tier.value,
            "visibility": plan.visibility.value,
        },
    )
    return draft


def message_on_record(session: Session, chat_id: int, message_id: int) -> CitizenMessage | None:
    return session.exec(
        select(CitizenMessage).where(
            CitizenMessage.chat_id == chat_id, CitizenMessage.message_id == message_id
        )
    ).first()


def draft_of_message(session: Session, message_row_id: int) -> Draft | None:
    """The message's draft (its reply); corrections of that reply are drafts of their own."""
    query = select(Draft).where(
        Draft.message_id == message_row_id, col(Draft.corrects_id).is_(None)
    )
    return session.exec(query).first()


def record_edit(session: Session, incoming: Incoming, plan: DraftPlan) -> CitizenMessage | None:
    """Replace a stored message's text with the citizen's edit; None if unknown or unchanged.

    The original stays in the audit trail (redacted), so what was first asked is on record.
    Routing acted on the original and its effects stand; the caller re-runs moderation
    (routing_actions.moderate_after_edit), escalation to a case and the forwarding of a
    suggestion (reroute_after_edit).
    """
    message = message_on_record(session, incoming.chat_id, incoming.message_id)
    if message is None or message.text == incoming.text:
        return None
    before = message.text_redacted
    message.text = incoming.text
    message.text_redacted = plan.text_redacted
    session.add(message)
    audit.record(
        session,
        "message_edited",
        "message",
        message.id,
        actor_id=None,
        before={"text": before, "label": message.label},
        after={"text": plan.text_redacted, "label": plan.label},
    )
    return message


def _pending_with_card(session: Session, card_state: CardState) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Draft)
            .where(Draft.state == DraftState.PENDING, Draft.card_state == card_state)
        ).one()
    )


def live_card_count(session: Session) -> int:
    """Pending drafts whose card is in the group."""
    return _pending_with_card(session, CardState.LIVE)


def waiting_count(session: Session) -> int:
    """Pending drafts that have no card in the group yet."""
    return _pending_with_card(session, CardState.QUEUED)


@dataclass(frozen=True)
class QueueStatus:
    live: int
    waiting: int


def queue_status(session: Session) -> tuple[QueueStatus, int | None]:
    """Counts for the group's status message, and that message's id if it exists."""
    return (
        QueueStatus(live_card_count(session), waiting_count(session)),
        outbox.status_message_id(session),
    )


def promote_cards(session: Session, max_open: int, extra: int = 0) -> list[int]:
    """Give queued drafts a card while the group has room (plus `extra` pulled by /next).

    Higher tiers first, then oldest: a busy account must not bury a major incident.
    """
    room = max(0, max_open - live_card_count(session)) + extra
    if room <= 0:
        outbox.enqueue_status(session)  # the group sees the queue grow
        return []
    queued = list(
        session.exec(
            select(Draft)
            .where(Draft.state == DraftState.PENDING, Draft.card_state == CardState.QUEUED)
            .order_by(col(Draft.id))
            .with_for_update(skip_locked=True)
        )
    )
    rank = {Tier.MAJOR: 0, Tier.IMPORTANT: 1, Tier.ORDINARY: 2}
    queued.sort(key=lambda d: (rank[d.tier], d.id or 0))
    promoted = []
    for draft in queued[:room]:
        draft.card_state = CardState.LIVE
        session.add(draft)
        outbox.enqueue(session, outbox.Kind.CARD, draft_id=draft.id)
        promoted.append(draft.id or 0)
    if len(queued) > len(promoted) or outbox.status_message_id(session) is not None:
        outbox.enqueue_status(session)
    return promoted
