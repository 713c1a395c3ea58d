"""The append-only audit trail with a hash chain (谁主管、谁审批、谁负责: who did what, when).

Each record's hash covers its content and the previous record's hash, so editing or deleting
any record breaks `verify()`. Appends lock the single `audit_head` row, so two processes
appending at once queue up instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from knowledge_base.sqltypes import utcnow
from workflow.models import AuditHead, AuditRecord

GENESIS = "0" * 64


def _digest(record: AuditRecord) -> str:
    body = json.dumps(
        {
            "prev": record.prev_hash,
            "at": record.at.isoformat(),
            "actor": record.actor_id,
            "action": record.action,
            "subject": [record.subject_type, record.subject_id],
            "before": record.before,
            "after": record.after,
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    actor_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one audit record inside the caller's transaction."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS, count=0)
        session.add(head)
    rec = AuditRecord(
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=head.last_hash,
        hash="",
    )
    rec.hash = _digest(rec)
    head.last_hash = rec.hash
    head.count += 1
    session.add(rec)
    session.flush()
    return rec


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    plain: dict[str, Any] = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    return plain


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str | None = None
    record_id: int | None = None


def verify(session: Session) -> VerifyResult:
    """Walk the chain from the genesis hash and report the first broken link."""
    prev = GENESIS
    checked = 0
    for rec in session.exec(select(AuditRecord).order_by(col(AuditRecord.id))):
        if rec.prev_hash != prev:
            return VerifyResult(False, checked, "a record before this one was deleted", rec.id)
        if _digest(rec) != rec.hash:
            return VerifyResult(False, checked, "this record was edited", rec.id)
        prev = rec.hash
        checked += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.count != checked):
        return VerifyResult(False, checked, "records at the end of the chain were deleted", None)
    return VerifyResult(True, checked)


def exists(
    session: Session, subject_type: str, subject_id: object, actions: Iterable[str]
) -> bool:
    """Whether the subject has a record of any of ``actions`` (has this been done to it?)."""
    row = session.exec(
        select(AuditRecord.id).where(
            AuditRecord.subject_type == subject_type,
            AuditRecord.subject_id == str(subject_id),
            col(AuditRecord.action).in_(list(actions)),
        )
    ).first()
    return row is not None


def iter_records(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> Iterator[AuditRecord]:
    """Records in order, optionally within [since, until)."""
    query = select(AuditRecord).order_by(col(AuditRecord.id))
    if since is not None:
        query = query.where(col(AuditRecord.at) >= since)
    if until is not None:
        query = query.where(col(AuditRecord.at) < until)
    yield from session.exec(query)
