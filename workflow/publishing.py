"""What happens once a send succeeds or fails: cards remember their message, replies are marked
published with their stamp, private replies go through single-use deep-link tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from knowledge_base.sqltypes import utcnow
from workflow import audit, corrections, outbox, review
from workflow.errors import NotFound, TokenInvalid
from workflow.models import (
    CitizenMessage,
    DeepLinkToken,
    Draft,
    DraftState,
    Signature,
)
from workflow.operators import name_of

SYSTEM_DRAFTER = "GovReply"


@dataclass(frozen=True)
class Stamp:
    """拟稿人 / 审核人 / 审签人 of a signed-off reply (RULES §1)."""

    drafter: str
    reviewer: str
    signer: str


def stamp_for(session: Session, draft: Draft) -> Stamp:
    sigs = list(
        session.exec(
            select(Signature).where(Signature.draft_id == draft.id).order_by(col(Signature.id))
        )
    )
    drafter = SYSTEM_DRAFTER
    if draft.drafter_id is not None:
        drafter = name_of(session, draft.drafter_id)
    return Stamp(drafter, *review.stamp_names(draft.tier, sigs))


def record_card_sent(session: Session, draft_id: int, chat_id: int, message_id: int) -> None:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound("draft", draft_id)
    if draft.card_message_id != message_id:
        draft.card_chat_id = chat_id
        draft.card_message_id = message_id
        session.add(draft)


def record_published(session: Session, draft_id: int, message_id: int | None) -> Draft:
    """The reply reached the citizen; stamp and time go on record."""
    draft = session.exec(select(Draft).where(Draft.id == draft_id).with_for_update()).one()
    if draft.state is DraftState.PUBLISHED:
        return draft
    draft.state = DraftState.PUBLISHED
    draft.published_at = utcnow()
    draft.published_message_id = message_id
    draft.version += 1
    session.add(draft)
    stamp = stamp_for(session, draft)
    audit.record(
        session,
        "published",
        "draft",
        draft_id,
        actor_id=None,
        after={
            "message_id": message_id,
            "drafter": stamp.drafter,
            "reviewer": stamp.reviewer,
            "signer": stamp.signer,
            "entry_version": draft.matched_entry_version,
        },
    )
    outbox.enqueue_card(session, draft)
    if draft.corrects_id is not None:
        corrections.record_corrected(session, draft, message_id)
    return draft


def record_undeliverable(session: Session, draft_id: int, error: str) -> None:
    draft = session.exec(select(Draft).where(Draft.id == draft_id).with_for_update()).one()
    draft.state = DraftState.UNDELIVERABLE
    draft.version += 1
    session.add(draft)
    audit.record(session, "undeliverable", "draft", draft_id, after={"error": error[:300]})
    outbox.enqueue_card(session, draft)


def issue_deep_link(session: Session, draft_id: int, ttl_hours: float) -> str:
    """A single-use token for t.me/<bot>?start=<token>; idempotent per draft."""
    existing = session.exec(
        select(DeepLinkToken).where(DeepLinkToken.draft_id == draft_id)
    ).first()
    if existing is not None:
        return existing.token
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound("draft", draft_id)
    message = session.get(CitizenMessage, draft.message_id)
    assert message is not None
    token = "r" + secrets.token_urlsafe(24)  # start parameter: [A-Za-z0-9_-], <= 64 chars
    session.add(
        DeepLinkToken(
            token=token,
            draft_id=draft_id,
            user_id=message.user_id,
            expires_at=utcnow() + timedelta(hours=ttl_hours),
        )
    )
    audit.record(session, "deep_link_issued", "draft", draft_id)
    return token


def redeem_token(session: Session, token: str, user_id: int) -> Draft:
    """Use a token once: only its citizen, only before it expires; queues the private reply."""
    row = session.exec(
        select(DeepLinkToken).where(DeepLinkToken.token == token).with_for_update()
    ).first()
    if row is None:
        raise TokenInvalid("unknown")
    if row.used_at is not None:
        raise TokenInvalid("used")
    if row.expires_at < utcnow():
        raise TokenInvalid("expired")
    if row.user_id != user_id:
        raise TokenInvalid("belongs to someone else")
    draft = session.get(Draft, row.draft_id)
    assert draft is not None
    if draft.withdrawn_at is not None:
        raise TokenInvalid("withdrawn")
    row.used_at = utcnow()
    session.add(row)
    audit.record(
        session, "deep_link_opened", "draft", draft.id, actor_id=None, after={"user_id": user_id}
    )
    outbox.enqueue(
        session,
        outbox.Kind.PRIVATE_REPLY,
        draft_id=draft.id,
        chat_id=user_id,
        dedupe_key=f"private_reply:{draft.id}",
    )
    return draft
