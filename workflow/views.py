"""Read models: plain dataclasses a front end renders (Telegram card, web console)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from workflow import corrections, intake, review
from workflow.corrections import AfterPublication
from workflow.errors import NotFound
from workflow.models import (
    ChatKind,
    CitizenMessage,
    Draft,
    DraftState,
    Role,
    Signature,
    Tier,
    Visibility,
)
from workflow.operators import name_of
from workflow.publishing import Stamp, stamp_for


@dataclass(frozen=True)
class SignatureView:
    name: str
    role: Role
    step: int
    at: datetime
    void: bool


@dataclass(frozen=True)
class DraftView(AfterPublication):
    id: int
    version: int
    state: DraftState
    tier: Tier
    visibility: Visibility
    chat_kind: ChatKind
    chat_id: int
    message_id: int
    user_id: int
    user_name: str
    message_redacted: str
    label: str
    label_confidence: float
    reply_text: str
    matched_entry_id: str | None
    matched_question: str | None
    score: float | None
    probability: float | None
    confident: bool
    candidates: list[dict[str, Any]]
    compliance: list[dict[str, Any]]
    override_reason: str | None
    override_by_name: str | None
    signatures: list[SignatureView]
    needed: list[Role]  # roles still to sign, in order
    stamp: Stamp
    notice: str | None
    reject_reason: str | None
    decided_at: datetime | None
    published_at: datetime | None
    card_chat_id: int | None
    card_message_id: int | None
    waiting: int = 0
    photo_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # Looked like spam or abuse, too weakly to act on: "spam_ad" or "abuse" (see Desk.plan).
    suspected: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state is DraftState.PENDING

    @property
    def has_blocking(self) -> bool:
        return review.is_blocking(self.compliance) and not self.override_reason


SUSPECTED = "suspected:"  # evidence of a spam or abuse label too weak to act on (Desk.plan)


def load_view(session: Session, draft_id: int) -> DraftView:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound("draft", draft_id)
    message = session.get(CitizenMessage, draft.message_id)
    assert message is not None
    sigs = list(
        session.exec(
            select(Signature).where(Signature.draft_id == draft_id).order_by(col(Signature.id))
        )
    )
    needed = review.still_needed(draft.tier, sigs)
    step_of = {id(s): i + 1 for i, s in enumerate(review.seat(draft.tier, sigs)) if s}
    matched_q = None
    for c in draft.candidates:
        if c.get("entry_id") == draft.matched_entry_id:
            matched_q = c.get("question")
    return DraftView(
        id=draft_id,
        version=draft.version,
        state=draft.state,
        tier=draft.tier,
        visibility=draft.visibility,
        chat_kind=message.chat_kind,
        chat_id=message.chat_id,
        message_id=message.message_id,
        user_id=message.user_id,
        user_name=message.user_name,
        message_redacted=message.text_redacted,
        label=message.label,
        label_confidence=message.label_confidence,
        reply_text=draft.text,
        matched_entry_id=draft.matched_entry_id,
        matched_question=matched_q,
        score=draft.score,
        probability=draft.probability,
        confident=draft.confident,
        candidates=list(draft.candidates),
        compliance=list(draft.compliance),
        override_reason=draft.override_reason,
        override_by_name=name_of(session, draft.override_by) if draft.override_by else None,
        signatures=[
            SignatureView(s.operator_name, s.role, step_of.get(id(s), 0), s.signed_at, s.void)
            for s in sigs
        ],
        needed=needed if draft.state is DraftState.PENDING else [],
        stamp=stamp_for(session, draft),
        notice=draft.notice,
        reject_reason=draft.reject_reason,
        decided_at=draft.decided_at,
        published_at=draft.published_at,
        card_chat_id=draft.card_chat_id,
        card_message_id=draft.card_message_id,
        waiting=intake.waiting_count(session),
        photo_count=len(message.photo_file_ids),
        suspected=next(
            (e.split(":", 1)[1].split()[0] for e in message.evidence if e.startswith(SUSPECTED)),
            None,
        ),
        **corrections.view_fields(session, draft),
    )


def draft_for_card(session: Session, chat_id: int, message_id: int) -> int | None:
    """The draft whose card is this message (for replies to a card)."""
    draft = session.exec(
        select(Draft).where(Draft.card_chat_id == chat_id, Draft.card_message_id == message_id)
    ).first()
    return draft.id if draft else None


def recent_published(session: Session, limit: int = 50) -> list[DraftView]:
    """Published replies (not corrections), newest first: what can still be corrected."""
    query = (
        select(Draft.id)
        .where(Draft.state == DraftState.PUBLISHED, col(Draft.corrects_id).is_(None))
        .order_by(col(Draft.published_at).desc(), col(Draft.id).desc())
        .limit(limit)
    )
    return [load_view(session, draft_id) for draft_id in session.exec(query) if draft_id]
