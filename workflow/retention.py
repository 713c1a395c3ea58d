"""Keeping no more personal data than the service needs (RULES §4; Art. 27): after
`days`, a finished message's unmasked original gives way to its de-identified text.

What goes: `CitizenMessage.text` (replaced by `text_redacted`, which already is what cards,
replies, logs and the audit trail show), the Telegram file ids of its pictures (a picture
may be of an ID card), the raw Telegram update it came in (`InboxUpdate.payload`, emptied;
the row stays as the marker that the update was handled), and the screenshots' file ids of
a case closed that long ago. What stays: everything de-identified (the question as asked,
the reply, the stamp, the audit trail, the statistics). A message is finished when no draft
of it is pending and no case of it is open: a case keeps its evidence until it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, exists, select

from workflow import audit
from workflow.models import (
    Case,
    CaseStatus,
    CitizenMessage,
    Draft,
    DraftState,
    InboxStatus,
    InboxUpdate,
)

BATCH = 500  # rows per round: the periodic job comes back for the rest


@dataclass(frozen=True)
class Purged:
    messages: int
    updates: int
    cases: int = 0  # closed cases whose screenshots' file ids went


def purge(session: Session, now: datetime, days: int) -> Purged:
    """One round of the purge (0 days: keep everything, the owner's choice)."""
    if days <= 0:
        return Purged(0, 0)
    cutoff = now - timedelta(days=days)
    pending = exists().where(
        col(Draft.message_id) == col(CitizenMessage.id), col(Draft.state) == DraftState.PENDING
    )
    open_case = exists().where(
        col(Case.message_id) == col(CitizenMessage.id), col(Case.status) != CaseStatus.CLOSED
    )
    messages = session.exec(
        select(CitizenMessage)
        .where(col(CitizenMessage.received_at) < cutoff)
        .where(
            or_(
                col(CitizenMessage.text) != col(CitizenMessage.text_redacted),
                col(CitizenMessage.has_photo).is_(True),
            )
        )
        .where(~pending, ~open_case)
        .order_by(col(CitizenMessage.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for message in messages:
        message.text = message.text_redacted
        message.photo_file_ids = []
        message.has_photo = False
        session.add(message)
    updates = session.exec(
        select(InboxUpdate)
        # A failed or quarantined one was handed to the operators when it was set aside; its
        # raw copy goes too.
        .where(
            col(InboxUpdate.status).in_(
                [InboxStatus.DONE, InboxStatus.FAILED, InboxStatus.QUARANTINED]
            ),
            col(InboxUpdate.received_at) < cutoff,
        )
        .order_by(col(InboxUpdate.update_id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for update in updates:
        update.payload = {}
        update.status = InboxStatus.PURGED
        session.add(update)
    closed = session.exec(
        select(Case)
        .where(Case.status == CaseStatus.CLOSED, col(Case.closed_at) < cutoff)
        .with_for_update(skip_locked=True)
    ).all()
    shots = [case for case in closed if case.screenshot_file_ids]
    for case in shots:
        case.screenshot_file_ids = []
        session.add(case)
    if messages or updates or shots:
        audit.record(
            session,
            "personal_data_purged",
            "retention",
            cutoff.date().isoformat(),
            after={
                "messages": len(messages),
                "updates": len(updates),
                "cases": len(shots),
                "days": days,
            },
        )
    return Purged(len(messages), len(updates), len(shots))
