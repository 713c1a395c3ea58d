"""Retention of personal data (RULES §4): after the period, a finished message keeps only
its de-identified text; pending drafts and open cases keep their evidence. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.db import Database
from workflow import cases, retention
from workflow.intake import finish_update, record_update
from workflow.models import (
    AuditRecord,
    Case,
    CaseKind,
    CaseStatus,
    ChatKind,
    CitizenMessage,
    Draft,
    DraftState,
    InboxStatus,
    InboxUpdate,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=200)


def _message(session: Session, n: int, at: datetime, photo: bool = False) -> CitizenMessage:
    message = CitizenMessage(
        chat_id=5001,
        chat_kind=ChatKind.PRIVATE,
        message_id=n,
        user_id=5001,
        text=f"我的电话13812345678，第{n}件事",
        text_redacted=f"我的电话138****5678，第{n}件事",
        received_at=at,
        has_photo=photo,
        photo_file_ids=["AgAD-id-card"] if photo else [],
    )
    session.add(message)
    session.flush()
    return message


def test_old_finished_messages_keep_only_their_de_identified_text(db: Database) -> None:
    def seed(session: Session) -> None:
        done = _message(session, 1, OLD, photo=True)
        session.add(Draft(message_id=done.id or 0, state=DraftState.PUBLISHED, text="答复"))
        waiting = _message(session, 2, OLD)
        session.add(Draft(message_id=waiting.id or 0, state=DraftState.PENDING, text="答复"))
        cases.open_case(session, CaseKind.COMPLAINT, _message(session, 3, OLD))
        _message(session, 4, NOW - timedelta(days=10))  # within the period
        record_update(session, 90, {"message": {"text": "我的电话13812345678"}})
        session.flush()
        session.get(InboxUpdate, 90).received_at = OLD  # type: ignore[union-attr]
        finish_update(session, 90)
        record_update(session, 91, {"message": {"text": "还没处理完"}})
        session.get(InboxUpdate, 91).received_at = OLD  # type: ignore[union-attr]

    db.call(seed)
    assert db.call(retention.purge, NOW, 0) == retention.Purged(0, 0)  # the owner keeps all
    assert db.call(retention.purge, NOW, 180) == retention.Purged(1, 1)
    assert db.call(retention.purge, NOW, 180) == retention.Purged(0, 0)  # done once

    def close_old_case(session: Session) -> None:
        message = _message(session, 5, OLD, photo=True)
        case = cases.open_case(session, CaseKind.IMPERSONATION_REPORT, message)
        case.status, case.closed_at = CaseStatus.CLOSED, OLD + timedelta(days=1)
        session.add(case)

    db.call(close_old_case)
    assert db.call(retention.purge, NOW, 180) == retention.Purged(1, 0, 1)
    shots = db.call(lambda s: [c.screenshot_file_ids for c in s.exec(select(Case))])
    assert [] in shots and ["AgAD-id-card"] not in shots

    def facts(
        session: Session,
    ) -> tuple[dict[int, tuple[str, bool, list[str]]], dict[int, object]]:
        messages = {
            m.message_id: (m.text, m.has_photo, m.photo_file_ids)
            for m in session.exec(select(CitizenMessage))
        }
        updates = {u.update_id: (u.status, u.payload) for u in session.exec(select(InboxUpdate))}
        return messages, updates

    messages, updates = db.call(facts)
    assert messages[1] == ("我的电话138****5678，第1件事", False, [])
    assert "13812345678" in messages[2][0]  # its draft is still pending
    assert "13812345678" in messages[3][0]  # its case is open: the evidence stays
    assert "13812345678" in messages[4][0]  # not old enough
    assert updates[90] == (InboxStatus.PURGED, {})
    assert updates[91][0] is InboxStatus.PENDING  # never handled: replayed, not purged
    audits = db.call(
        lambda s: [
            r.after
            for r in s.exec(
                select(AuditRecord).where(AuditRecord.action == "personal_data_purged")
            )
        ]
    )
    assert audits[0] == {"messages": 1, "updates": 1, "cases": 0, "days": 180}
