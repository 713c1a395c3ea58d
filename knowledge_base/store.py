"""The Q&A base in the database: import, edit with versions, retire, restore, list.

Every change writes a new `KBEntryVersion` (who, when, why), so a published reply can name the
version it used and an admin can diff versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from knowledge_base.documents import KBDoc
from knowledge_base.errors import EntryNotFound
from knowledge_base.io import COLUMNS, CONTENT_FIELDS, EntryRecord
from knowledge_base.models import KBEntry, KBEntryVersion, Sensitivity
from knowledge_base.sqltypes import local_today, utcnow


@dataclass
class ImportSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed_ids(self) -> list[str]:
        return [*self.created, *self.updated]


def snapshot(entry: KBEntry) -> dict[str, Any]:
    """The entry's content as plain JSON-able data."""
    data: dict[str, Any] = {"id": entry.id, "version": entry.version, "retired": entry.retired}
    for name in CONTENT_FIELDS:
        value = getattr(entry, name)
        data[name] = value.isoformat() if isinstance(value, date) else value
    data["sensitivity"] = str(entry.sensitivity)
    data["variants"] = list(entry.variants)
    return data


def _write_version(session: Session, entry: KBEntry, actor_id: int | None, reason: str) -> None:
    session.add(
        KBEntryVersion(
            entry_id=entry.id,
            version=entry.version,
            snapshot=snapshot(entry),
            changed_by=actor_id,
            reason=reason,
        )
    )


def _bump(session: Session, entry: KBEntry, actor_id: int | None, reason: str) -> None:
    """Record a change to `entry` as its next version (who, when, why)."""
    entry.version += 1
    entry.updated_at = utcnow()
    entry.updated_by = actor_id
    session.add(entry)
    session.flush()
    _write_version(session, entry, actor_id, reason)


def import_records(
    session: Session,
    records: Sequence[EntryRecord],
    actor_id: int | None = None,
    reason: str = "import",
) -> ImportSummary:
    """Create or update entries from validated records (one transaction: all or nothing)."""
    summary = ImportSummary()
    for rec in records:
        entry = session.get(KBEntry, rec.id)
        values = {name: getattr(rec, name) for name in CONTENT_FIELDS}
        values["variants"] = list(rec.variants)
        if entry is None:
            entry = KBEntry(id=rec.id, updated_by=actor_id, **values)
            session.add(entry)
            session.flush()
            _write_version(session, entry, actor_id, reason)
            summary.created.append(rec.id)
            continue
        if all(getattr(entry, k) == v for k, v in values.items()) and not entry.retired:
            summary.unchanged.append(rec.id)
            continue
        for k, v in values.items():
            setattr(entry, k, v)
        entry.retired = False
        _bump(session, entry, actor_id, reason)
        summary.updated.append(rec.id)
    return summary


def get_entry(session: Session, entry_id: str) -> KBEntry:
    entry = session.get(KBEntry, entry_id)
    if entry is None:
        raise EntryNotFound(entry_id)
    return entry


def update_entry(
    session: Session, entry_id: str, changes: dict[str, Any], actor_id: int | None, reason: str
) -> KBEntry:
    """Apply content changes (and `retired`, to retire or restore) as one new version."""
    entry = get_entry(session, entry_id)
    allowed = (*CONTENT_FIELDS, "retired")
    unknown = set(changes) - set(allowed)
    if unknown:
        msg = f"unknown Q&A fields {sorted(unknown)}; allowed: {', '.join(allowed)}"
        raise ValueError(msg)
    for k, v in changes.items():
        setattr(entry, k, Sensitivity(v) if k == "sensitivity" else v)
    _bump(session, entry, actor_id, reason)
    return entry


def set_retired(
    session: Session, entry_id: str, retired: bool, actor_id: int | None, reason: str
) -> KBEntry:
    """Retire (never matched again) or restore an entry; both are versions."""
    return update_entry(session, entry_id, {"retired": retired}, actor_id, reason)


def list_entries(session: Session, *, include_retired: bool = False) -> list[KBEntry]:
    query = select(KBEntry).order_by(col(KBEntry.id))
    if not include_retired:
        query = query.where(col(KBEntry.retired).is_(False))
    return list(session.exec(query))


def versions(session: Session, entry_id: str) -> list[KBEntryVersion]:
    query = (
        select(KBEntryVersion)
        .where(KBEntryVersion.entry_id == entry_id)
        .order_by(col(KBEntryVersion.version))
    )
    return list(session.exec(query))


def to_doc(entry: KBEntry) -> KBDoc:
    return KBDoc(
        id=entry.id,
        question=entry.question,
        answer=entry.answer,
        variants=tuple(entry.variants),
        category=entry.category,
        sensitivity=str(entry.sensitivity),
        valid_until=entry.valid_until,
    )


def revision(session: Session) -> tuple[int, int, str]:
    """A cheap mark of the Q&A base's state (entries, their versions summed, the last
    change): it moves whenever an entry is added, edited, retired or restored, by any
    process, so the running bot can tell its index is behind (an import from the CLI)."""
    versions = func.coalesce(func.sum(KBEntry.version), 0)
    count, summed, last = session.exec(
        select(func.count(), versions, func.max(KBEntry.updated_at))
    ).one()
    return int(count), int(summed), last.isoformat() if last is not None else ""


def live_docs(session: Session, today: date | None = None) -> list[KBDoc]:
    """Entries the matcher may return: not retired, already valid (expiry is the matcher's)."""
    today = today or local_today()
    return [
        to_doc(e) for e in list_entries(session) if e.valid_from is None or e.valid_from <= today
    ]


def export_dicts(entries: Iterable[KBEntry]) -> list[dict[str, Any]]:
    return [{k: v for k, v in snapshot(e).items() if k in COLUMNS} for e in entries]
