"""Operator history as training data: every signed-off draft is a (message, entry) pair, and
every "chose another match" makes the replaced entry a hard negative for that message.

Messages are de-identified first: personal data never helps matching and must not spread.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from workflow.models import AuditRecord, CitizenMessage, Draft, DraftState
from workflow.redaction import redact


def operator_history(session: Session) -> list[dict[str, Any]]:
    """Rows {text, entry_id, kind: approved|rejected} for `govreply model train --history`."""
    rows: list[dict[str, Any]] = []
    signed = (DraftState.APPROVED, DraftState.PUBLISHED)
    query = (
        select(Draft, CitizenMessage)
        .where(Draft.message_id == CitizenMessage.id)
        .where(col(Draft.state).in_(signed), col(Draft.matched_entry_id).is_not(None))
        .order_by(col(Draft.id))
    )
    # A reply later corrected or withdrawn was wrong somehow: its match is no evidence.
    corrected = set(
        session.exec(
            select(Draft.corrects_id).where(col(Draft.corrects_id).is_not(None))
        )
    )
    texts: dict[int, str] = {}
    for draft, message in session.exec(query):
        if draft.edited_by or draft.corrects_id is not None:
            continue  # rewritten by hand: the match is not known to be right
        if draft.id in corrected or draft.withdrawn_at is not None:
            continue
        texts[draft.id or 0] = message.text
        rows.append(
            {"text": redact(message.text), "entry_id": draft.matched_entry_id, "kind": "approved"}
        )
    chosen = select(AuditRecord).where(AuditRecord.action == "match_chosen")
    for record in session.exec(chosen.order_by(col(AuditRecord.id))):
        replaced = (record.before or {}).get("entry_id")
        chosen_draft = session.get(Draft, int(record.subject_id))
        if not replaced or chosen_draft is None:
            continue
        asked = session.get(CitizenMessage, chosen_draft.message_id)
        if asked is not None:
            rows.append({"text": redact(asked.text), "entry_id": replaced, "kind": "rejected"})
    return rows
