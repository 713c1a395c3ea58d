"""Operators: register, change role, deactivate, list, and who is on duty (值班)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from workflow import audit
from workflow.errors import NotAuthorised, NotFound
from workflow.models import Operator, Role


def name_of(session: Session, telegram_id: int) -> str:
    """An operator's name; the bare id for someone no longer (or never) on record."""
    op = session.get(Operator, telegram_id)
    return op.name if op else str(telegram_id)


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


def set_duty(session: Session, telegram_id: int, on: bool) -> Operator:
    """Start or end one's duty (值班值守, RULES §7); only active operators.

    Raises:
        NotAuthorised: not an active operator.
    """
    op = session.get(Operator, telegram_id)
    if op is None or not op.active:
        raise NotAuthorised(telegram_id)
    if op.on_duty != on:
        op.on_duty = on
        session.add(op)
        action = "duty_started" if on else "duty_ended"
        audit.record(session, action, "operator", telegram_id, actor_id=telegram_id)
    return op


def on_duty(session: Session, scheduled: Sequence[int] = ()) -> list[Operator]:
    """Active operators on duty (`/duty on`, or among `scheduled`: the rota's), by id."""
    duty: ColumnElement[bool] = col(Operator.on_duty).is_(True)
    if scheduled:
        duty = or_(duty, col(Operator.telegram_id).in_(list(scheduled)))
    query = select(Operator).where(duty, col(Operator.active).is_(True))
    return list(session.exec(query.order_by(col(Operator.telegram_id))))


def with_role(session: Session, role: Role) -> list[Operator]:
    """Active operators of one role, by Telegram id (whom an alert names)."""
    query = select(Operator).where(Operator.role == role, col(Operator.active).is_(True))
    return list(session.exec(query.order_by(col(Operator.telegram_id))))


def mentions(operators: list[Operator]) -> list[list[object]]:
    """[[telegram id, name], ...] once each, as alert payloads carry them."""
    seen: dict[int, str] = {}
    for op in operators:
        seen.setdefault(op.telegram_id, op.name)
    return [[uid, name] for uid, name in seen.items()]
