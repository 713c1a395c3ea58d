"""The review queue as the web console shows it: pending drafts as `DraftView`s, filtered."""

from __future__ import annotations

from sqlmodel import Session, col, select

from workflow.models import CitizenMessage, Draft, DraftState
from workflow.views import DraftView, load_view


def pending_views(
    session: Session, *, tier: str = "", label: str = "", kind: str = "", limit: int = 200
) -> list[DraftView]:
    """Pending drafts, oldest first (the order their deadlines fall due)."""
    query = (
        select(Draft.id)
        .join(CitizenMessage, col(Draft.message_id) == col(CitizenMessage.id))
        .where(Draft.state == DraftState.PENDING)
        .order_by(col(Draft.id))
        .limit(limit)
    )
    if tier:
        query = query.where(col(Draft.tier) == tier)
    if label:
        query = query.where(CitizenMessage.label == label)
    if kind:
        query = query.where(col(CitizenMessage.chat_kind) == kind)
    return [load_view(session, draft_id) for draft_id in session.exec(query) if draft_id]
