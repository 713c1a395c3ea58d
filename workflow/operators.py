"""Operators: register, change role, deactivate, list."""

from __future__ import annotations

from sqlmodel import Session, col, select

from workflow import audit
from workflow.errors import NotFound
from workflow.models import Operator, Role


def add_operator(
    session: Session, telegram_id: int, role: Role, name: str, actor_id: int | None = None
) -> Operator:
    op = session.get(Operator, telegram_id)
    before = {"role": op.role.value, "name": op.name, "active": op.active} if op else None
    if op is None:
        op = Operator(telegram_id=telegram_id, role=role, name=name)
    else:
        op.role, op.name, op.active = role, name, True
    session.add(op)
    audit.record(
        session,
        "operator_set",
        "operator",
        telegram_id,
        actor_id=actor_id,
        before=before,
        after={"role": role.value, "name": name, "active": True},
    )
    return op


def deactivate_operator(session: Session, telegram_id: int, actor_id: int | None = None) -> None:
    op = session.get(Operator, telegram_id)
    if op is None:
        raise NotFound("operator", telegram_id)
    op.active = False
    session.add(op)
    audit.record(session, "operator_deactivated", "operator", telegram_id, actor_id=actor_id)


def list_operators(session: Session) -> list[Operator]:
    return list(session.exec(select(Operator).order_by(col(Operator.telegram_id))))
