"""Service levels: each tier has a deadline in working hours. Before it, the card is
re-announced; after it, the next tier up is alerted in the group (RULES §2: answer in time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from workflow import audit, outbox
from workflow.calendar import LOCAL_TZ, WorkCalendar
from workflow.duty import DutyRota, Schedule, on_duty_now
from workflow.models import Draft, DraftState, Role, Tier
from workflow.operators import mentions, with_role

ALERT_ROLE = {Tier.ORDINARY: Role.DEPUTY_HEAD, Tier.IMPORTANT: Role.HEAD, Tier.MAJOR: Role.HEAD}


@dataclass(frozen=True)
class SlaPolicy:
    calendar: WorkCalendar
    hours: dict[Tier, float]
    warn_fraction: float = 0.75
    rota: Schedule = field(default_factory=DutyRota)  # who is on duty when (值班表)

    def due(self, created: datetime, tier: Tier) -> datetime:
        return self.calendar.add_working_hours(created, self.hours[tier])


def sweep(session: Session, policy: SlaPolicy, now: datetime) -> tuple[list[int], list[int]]:
    """Warn and escalate pending drafts; returns (warned ids, escalated ids). Idempotent."""
    warned: list[int] = []
    escalated: list[int] = []
    query = (
        select(Draft)
        .where(Draft.state == DraftState.PENDING, col(Draft.sla_due_at).is_not(None))
        .where(col(Draft.sla_escalated).is_(False))
        .with_for_update()  # wait for a row another transaction holds: never miss a deadline
    )
    duty = on_duty_now(session, policy.rota, now)
    for draft in session.exec(query):
        assert draft.sla_due_at is not None and draft.id is not None
        due = policy.due(draft.created_at, draft.tier)
        if due != draft.sla_due_at:  # its tier was raised since (by a signer, a citizen's edit)
            draft.sla_due_at = due
            session.add(draft)
        total = policy.hours[draft.tier]
        elapsed = policy.calendar.working_hours_between(draft.created_at, now)
        due_text = draft.sla_due_at.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")
        if now >= draft.sla_due_at:
            draft.sla_escalated = True
            draft.sla_warned = True
            role = ALERT_ROLE[draft.tier]
            # The next tier up by name, and whoever is on duty (值班, RULES §7).
            people = [*with_role(session, role), *duty]
            outbox.enqueue(
                session,
                outbox.Kind.NOTICE,
                draft_id=draft.id,
                payload={
                    "template": "sla_breach",
                    "reply_to_card": True,
                    "mentions": mentions(people),
                    "params": {"id": draft.id, "tier": draft.tier.value, "role": role.value},
                },
                dedupe_key=f"sla_breach:{draft.id}",
            )
            audit.record(
                session,
                "sla_breached",
                "draft",
                draft.id,
                after={"due": draft.sla_due_at.isoformat(), "alerted": role.value},
            )
            escalated.append(draft.id)
        elif not draft.sla_warned and total > 0 and elapsed / total >= policy.warn_fraction:
            draft.sla_warned = True
            outbox.enqueue(
                session,
                outbox.Kind.NOTICE,
                draft_id=draft.id,
                payload={
                    "template": "sla_warning",
                    "reply_to_card": True,
                    "mentions": mentions(duty),
                    "params": {"id": draft.id, "tier": draft.tier.value, "due": due_text},
                },
                dedupe_key=f"sla_warning:{draft.id}",
            )
            audit.record(
                session,
                "sla_warned",
                "draft",
                draft.id,
                after={"due": draft.sla_due_at.isoformat()},
            )
            warned.append(draft.id)
        else:
            continue
        session.add(draft)
    return warned, escalated

