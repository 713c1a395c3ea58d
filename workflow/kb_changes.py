"""Accountable changes to the Q&A base (咨询答问库) from the web console.

Who may curate: admins, deputy heads and heads. A change that touches an important entry
needs a deputy head's (or head's) sign-off, a major one the head's, before it goes live
(RULES §1, 分级审核). Retiring or restoring such an entry is an edit under the same rule: it
changes what citizens are told. A curator whose own role is high enough signs off by saving;
anyone else leaves a pending `KBChange` that a signer approves or rejects. Every step is
audited; every applied change is a new entry version (knowledge_base.store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from knowledge_base import io as kb_io
from knowledge_base import store
from knowledge_base.models import KBEntry, Sensitivity
from knowledge_base.sqltypes import utcnow
from workflow import audit
from workflow.errors import InvalidTransition, NotAuthorised, NotFound, SeparationOfDuties
from workflow.models import KBChange, KBChangeState, Operator, Role
from workflow.review import can_give, operator_for

CURATORS = frozenset({Role.ADMIN, Role.DEPUTY_HEAD, Role.HEAD})
SOURCE = "console"
# KBChange.kind -> the audit action when it goes live. "retire" and "restore" carry
# {"retired": bool} (a restore from an import may carry new content too).
APPLIED = {
    "create": "kb_entry_created",
    "edit": "kb_entry_updated",
    "retire": "kb_entry_retired",
    "restore": "kb_entry_restored",
}


@dataclass(frozen=True)
class SaveResult:
    entry_id: str
    applied: bool  # False: waiting for sign-off in `change`
    change: KBChange | None = None


def curator_for(session: Session, user_id: int) -> Operator:
    """The operator if they may change the Q&A base.

    Raises:
        NotAuthorised: not an active admin, deputy head or head.
    """
    op = operator_for(session, user_id)
    if op.role not in CURATORS:
        raise NotAuthorised(user_id, "admin")
    return op


def needed_role(*sensitivities: str | None) -> Role | None:
    """The sign-off a change needs: head for major, deputy head for important, else none."""
    values = {str(s) for s in sensitivities if s}
    if Sensitivity.MAJOR.value in values:
        return Role.HEAD
    if Sensitivity.IMPORTANT.value in values:
        return Role.DEPUTY_HEAD
    return None


def validate(fields: dict[str, Any]) -> kb_io.EntryRecord:
    """Check an entry's fields as an import would (raises ImportFailed naming the field)."""
    return kb_io.validate_row(fields, SOURCE, 1)


def _content(record: kb_io.EntryRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in kb_io.CONTENT_FIELDS}


def _apply(
    session: Session,
    kind: str,
    entry_id: str,
    changes: dict[str, Any],
    actor_id: int,
    reason: str,
    signed_by: int | None,
) -> KBEntry:
    before = None
    if kind == "create":
        record = validate({**changes, "id": entry_id})
        if session.get(KBEntry, entry_id) is not None:
            raise InvalidTransition(f"Q&A entry {entry_id} already exists")
        store.import_records(session, [record], actor_id, reason)
        entry = store.get_entry(session, entry_id)
    else:
        entry = store.get_entry(session, entry_id)
        before = store.snapshot(entry)
        entry = store.update_entry(session, entry_id, changes, actor_id, reason)
    audit.record(
        session,
        APPLIED[kind],
        "kb_entry",
        entry_id,
        actor_id=actor_id,
        before=before,
        after={**store.snapshot(entry), "reason": reason, "signed_off_by": signed_by},
    )
    return entry


def save_entry(
    session: Session,
    user_id: int,
    entry_id: str,
    fields: dict[str, Any],
    reason: str,
    *,
    create: bool = False,
    expected_version: int | None = None,
) -> SaveResult:
    """Create or edit an entry: applied at once, or left for sign-off. An edit from a form
    opened on `expected_version` is refused once the entry moved on (it would silently undo
    the newer version's changes: the form sends every field).

    Raises:
        NotAuthorised: the user may not curate the Q&A base.
        ImportFailed: a field is invalid (names the field).
        InvalidTransition: no reason given, or creating an id that exists.
        EntryNotFound: editing an unknown entry.
    """
    op = curator_for(session, user_id)
    reason = reason.strip()
    if not reason:
        raise InvalidTransition("a reason is required for every Q&A change")
    if create:
        if session.get(KBEntry, entry_id) is not None:
            raise InvalidTransition(f"Q&A entry {entry_id} already exists")
        changes = _content(validate({**fields, "id": entry_id}))
        base_version, old_sens = None, None
    else:
        entry = store.get_entry(session, entry_id)
        if expected_version is not None and entry.version != expected_version:
            raise InvalidTransition("the entry changed since the form was opened")
        merged = {**store.snapshot(entry), **fields, "id": entry_id}
        record = validate(merged)
        changes = {k: v for k, v in _content(record).items() if getattr(entry, k) != v}
        if not changes:
            raise InvalidTransition("nothing changed")
        base_version, old_sens = entry.version, str(entry.sensitivity)
    kind = "create" if create else "edit"
    needed = needed_role(old_sens, str(changes.get("sensitivity") or ""))
    if needed is None or can_give(op.role, needed):
        _apply(
            session,
            kind,
            entry_id,
            changes,
            user_id,
            reason,
            user_id if needed is not None else None,
        )
        return SaveResult(entry_id, applied=True)
    change = _hold(session, kind, entry_id, base_version, changes, reason, needed, user_id)
    return SaveResult(entry_id, applied=False, change=change)


def _hold(
    session: Session,
    kind: str,
    entry_id: str,
    base_version: int | None,
    changes: dict[str, Any],
    reason: str,
    needed: Role,
    user_id: int,
) -> KBChange:
    """Leave a change pending for the signer it needs, audited."""
    change = KBChange(
        entry_id=entry_id,
        kind=kind,
        base_version=base_version,
        changes=_jsonable(changes),
        reason=reason,
        needed_role=needed,
        proposed_by=user_id,
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        "kb_change_proposed",
        "kb_change",
        change.id,
        actor_id=user_id,
        after={
            "entry_id": entry_id,
            "kind": kind,
            "changes": change.changes,
            "reason": reason,
            "needed_role": needed.value,
        },
    )
    return change


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            v.isoformat()
            if hasattr(v, "isoformat")
            else str(v)
            if isinstance(v, Sensitivity)
            else v
        )
        for k, v in changes.items()
    }


def _restore_types(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    for key in ("valid_from", "valid_until"):
        if isinstance(out.get(key), str):
            out[key] = date.fromisoformat(out[key])
    return out


def _pending(session: Session, change_id: int) -> KBChange:
    change = session.exec(
        select(KBChange).where(KBChange.id == change_id).with_for_update()
    ).first()
    if change is None:
        raise NotFound("kb_change", change_id)
    if change.state is not KBChangeState.PENDING:
        raise InvalidTransition(f"change {change_id} is already {change.state.value}")
    return change


def approve_change(session: Session, change_id: int, user_id: int) -> KBChange:
    """Sign off a pending change and make it live (a new entry version).

    Raises:
        NotAuthorised: the user's role is below the change's needed role.
        SeparationOfDuties: the proposer signs off their own change.
        InvalidTransition: decided already, or the entry changed since it was proposed.
    """
    change = _pending(session, change_id)
    op = operator_for(session, user_id)
    if not can_give(op.role, change.needed_role):
        raise NotAuthorised(user_id, change.needed_role.value)
    if op.telegram_id == change.proposed_by:
        raise SeparationOfDuties("nobody signs off their own Q&A change")
    if change.kind != "create":
        entry = store.get_entry(session, change.entry_id)
        if entry.version != change.base_version:
            raise InvalidTransition(
                f"entry {change.entry_id} changed since this proposal (v{change.base_version} "
                f"-> v{entry.version}); reject it and propose again"
            )
    _apply(
        session,
        change.kind,
        change.entry_id,
        _restore_types(change.changes),
        change.proposed_by,
        change.reason,
        user_id,
    )
    change.state = KBChangeState.APPROVED
    change.decided_by, change.decided_at = user_id, utcnow()
    session.add(change)
    audit.record(
        session,
        "kb_change_approved",
        "kb_change",
        change_id,
        actor_id=user_id,
        after={"entry_id": change.entry_id},
    )
    return change


def reject_change(session: Session, change_id: int, user_id: int, note: str) -> KBChange:
    """Turn a pending change down (with a note); nothing goes live.

    Raises:
        NotAuthorised: the user's role is below the change's needed role (the proposer may
            always withdraw their own change).
        InvalidTransition: decided already.
    """
    change = _pending(session, change_id)
    op = operator_for(session, user_id)
    if op.telegram_id != change.proposed_by and not can_give(op.role, change.needed_role):
        raise NotAuthorised(user_id, change.needed_role.value)
    change.state = KBChangeState.REJECTED
    change.decided_by, change.decided_at, change.decision_note = user_id, utcnow(), note
    session.add(change)
    audit.record(
        session,
        "kb_change_rejected",
        "kb_change",
        change_id,
        actor_id=user_id,
        after={"entry_id": change.entry_id, "note": note},
    )
    return change


def set_retired(
    session: Session, user_id: int, entry_id: str, retired: bool, reason: str
) -> SaveResult:
    """Retire (never matched again) or restore an entry, audited: applied at once, or, for an
    important or major entry and a curator who cannot give its sign-off, left for a deputy
    head or head as an edit would be.

    Raises:
        NotAuthorised: the user may not curate the Q&A base.
        InvalidTransition: no reason given, or the entry is already retired (restored).
        EntryNotFound: an unknown entry.
    """
    op = curator_for(session, user_id)
    reason = reason.strip()
    if not reason:
        raise InvalidTransition("a reason is required for every Q&A change")
    entry = store.get_entry(session, entry_id)
    if entry.retired == retired:
        raise InvalidTransition("nothing changed")
    kind = "retire" if retired else "restore"
    # RULES §1: taking an important answer out of use (or back into use) changes what
    # citizens are told, as an edit does; it waits for the same signature.
    needed = needed_role(str(entry.sensitivity))
    if needed is None or can_give(op.role, needed):
        signed_by = user_id if needed is not None else None
        _apply(session, kind, entry_id, {"retired": retired}, user_id, reason, signed_by)
        return SaveResult(entry_id, applied=True)
    change = _hold(
        session, kind, entry_id, entry.version, {"retired": retired}, reason, needed, user_id
    )
    return SaveResult(entry_id, applied=False, change=change)


def import_entries(
    session: Session, user_id: int, records: list[kb_io.EntryRecord], source: str
) -> tuple[store.ImportSummary, list[str]]:
    """Import validated records in one transaction, audited. Returns (summary, ids left for
    sign-off): a row that creates or changes an important/major entry beyond the importer's
    own sign-off becomes a pending change, as an edit in the console would.

    Raises:
        NotAuthorised: the user may not curate the Q&A base.
    """
    op = curator_for(session, user_id)
    direct: list[kb_io.EntryRecord] = []
    held: list[str] = []
    for rec in records:
        entry = session.get(KBEntry, rec.id)
        needed = needed_role(str(entry.sensitivity) if entry else None, str(rec.sensitivity))
        content = _content(rec)
        kind = "create"
        if entry is not None:
            content = {k: v for k, v in content.items() if getattr(entry, k) != v}
            kind = "edit"
            if entry.retired:  # importing a retired entry restores it: a restore's rule
                content["retired"] = False
                kind = "restore"
        if needed is None or can_give(op.role, needed) or (entry is not None and not content):
            direct.append(rec)
            continue
        change = KBChange(
            entry_id=rec.id,
            kind=kind,
            base_version=entry.version if entry else None,
            changes=_jsonable(content),
            reason=f"import {source}",
            needed_role=needed,
            proposed_by=user_id,
        )
        session.add(change)
        held.append(rec.id)
    summary = store.import_records(session, direct, user_id, f"import {source}")
    audit.record(
        session,
        "kb_imported",
        "kb_file",
        source,
        actor_id=user_id,
        after={
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": len(summary.unchanged),
            "held_for_sign_off": held,
        },
    )
    return summary, held


def pending_changes(session: Session) -> list[KBChange]:
    query = select(KBChange).where(KBChange.state == KBChangeState.PENDING)
    return list(session.exec(query.order_by(col(KBChange.id))))


def changes_for(session: Session, entry_id: str) -> list[KBChange]:
    query = select(KBChange).where(KBChange.entry_id == entry_id)
    return list(session.exec(query.order_by(col(KBChange.id).desc())))
