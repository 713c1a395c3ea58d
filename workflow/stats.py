"""Dashboard numbers: messages per day by label, answered share, time to first reply and to
sign-off (p50/p90), SLA breaches, per-operator workload, entries about to expire.

Read-only; computed in Python over the recent window (a desk handles hundreds of messages a
day, not millions).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from sqlmodel import Session, col, select

from knowledge_base.models import KBEntry
from knowledge_base.sqltypes import local_today, utcnow
from workflow.calendar import local_date
from workflow.models import AuditRecord, CitizenMessage, Draft, DraftState, Operator

EXPIRY_WARNING = timedelta(days=7)
WORK_ACTIONS = ("approved", "edited", "rejected", "match_chosen", "tier_raised")


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50_minutes: float | None
    p90_minutes: float | None


@dataclass
class Dashboard:
    days: list[date]
    labels: list[str]
    per_day: dict[date, Counter[str]]
    messages: int
    answered: int
    first_reply: Percentiles
    sign_off: Percentiles
    sla_breaches: list[Draft]
    workload: dict[str, Counter[str]] = field(default_factory=dict)
    expiring: list[KBEntry] = field(default_factory=list)

    @property
    def answered_share(self) -> float:
        return self.answered / self.messages if self.messages else 0.0


def percentiles(minutes: list[float]) -> Percentiles:
    if not minutes:
        return Percentiles(0, None, None)
    values = np.asarray(minutes, dtype=float)
    return Percentiles(
        len(minutes), float(np.percentile(values, 50)), float(np.percentile(values, 90))
    )


def expiring_entries(session: Session, today: date | None = None) -> list[KBEntry]:
    """Live entries that expire within a week (RULES §2: keep the base effective)."""
    today = today or local_today()
    query = select(KBEntry).where(
        col(KBEntry.retired).is_(False), col(KBEntry.valid_until).is_not(None)
    )
    return sorted(
        (
            e
            for e in session.exec(query)
            if e.valid_until is not None and today <= e.valid_until <= today + EXPIRY_WARNING
        ),
        key=lambda e: (e.valid_until, e.id),
    )


def _minutes(later: datetime, earlier: datetime) -> float:
    return max((later - earlier).total_seconds() / 60.0, 0.0)


@dataclass(frozen=True)
class Handling:
    """How a set of messages was answered (the dashboard's window, a report's period)."""

    drafts: list[Draft]
    published: list[Draft]
    first_reply: Percentiles  # message received -> reply published
    sign_off: Percentiles  # draft created -> fully signed


def handling(session: Session, messages: list[CitizenMessage]) -> Handling:
    received = {m.id: m.received_at for m in messages}
    drafts = (
        list(
            session.exec(
                select(Draft).where(
                    col(Draft.message_id).in_(list(received)),
                    col(Draft.corrects_id).is_(None),  # a correction is no second answer
                )
            )
        )
        if received
        else []
    )
    published = [d for d in drafts if d.state is DraftState.PUBLISHED and d.published_at]
    first = [
        _minutes(d.published_at, received[d.message_id])  # type: ignore[arg-type]
        for d in published
    ]
    signed = [
        _minutes(d.decided_at, d.created_at)
        for d in drafts
        if d.decided_at and d.state in (DraftState.APPROVED, DraftState.PUBLISHED)
    ]
    return Handling(drafts, published, percentiles(first), percentiles(signed))


def dashboard(session: Session, days: int = 14, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    since = now - timedelta(days=days)
    day_list = [local_date(now - timedelta(days=i)) for i in range(days - 1, -1, -1)]
    messages = list(
        session.exec(select(CitizenMessage).where(col(CitizenMessage.received_at) >= since))
    )
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for m in messages:
        per_day[local_date(m.received_at)][m.label] += 1
    labels = sorted({m.label for m in messages})
    handled = handling(session, messages)
    drafts = handled.drafts
    breaches = [d for d in drafts if d.sla_escalated]
    names = {op.telegram_id: op.name for op in session.exec(select(Operator))}
    workload: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in session.exec(
        select(AuditRecord).where(
            col(AuditRecord.at) >= since, col(AuditRecord.action).in_(WORK_ACTIONS)
        )
    ):
        if rec.actor_id is not None:
            workload[names.get(rec.actor_id, str(rec.actor_id))][rec.action] += 1
    return Dashboard(
        days=day_list,
        labels=labels,
        per_day=dict(per_day),
        messages=len(messages),
        answered=len(handled.published),
        first_reply=handled.first_reply,
        sign_off=handled.sign_off,
        sla_breaches=breaches,
        workload=dict(workload),
        expiring=expiring_entries(session, local_date(now)),
    )
