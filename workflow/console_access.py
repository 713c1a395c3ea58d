"""Console access without passwords: the bot sends an operator a single-use login link
(`issue_login`), opening it starts a session (`redeem_login`), each request resolves the
session to the active operator (`operator_for_session`).

Only a hash of the link token is stored, so a copy of the database cannot log anyone in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session

from knowledge_base.sqltypes import utcnow
from workflow import audit
from workflow.errors import NotAuthorised, TokenInvalid
from workflow.models import ConsoleSession, ConsoleToken, Operator

LOGIN_TTL = timedelta(minutes=10)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login(session: Session, user_id: int, now: datetime | None = None) -> str:
    """A fresh single-use login token for an active operator, valid 10 minutes.

    Raises:
        NotAuthorised: the user is not an active operator.
    """
    op = session.get(Operator, user_id)
    if op is None or not op.active:
        raise NotAuthorised(user_id)
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    session.add(
        ConsoleToken(
            token_hash=_hash(token),
            operator_id=user_id,
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    audit.record(session, "console_link_issued", "operator", user_id, actor_id=user_id)
    return token


def redeem_login(
    session: Session, token: str, session_hours: float, now: datetime | None = None
) -> ConsoleSession:
    """Use a login token once and start a console session.

    Raises:
        TokenInvalid: the token is unknown ("unknown"), used ("used") or expired ("expired"),
            or its operator was deactivated since ("unknown").
    """
    now = now or utcnow()
    row = session.get(ConsoleToken, _hash(token), with_for_update=True)
    if row is None:
        raise TokenInvalid("unknown")
    if row.used_at is not None:
        raise TokenInvalid("used")
    if row.expires_at < now:
        raise TokenInvalid("expired")
    op = session.get(Operator, row.operator_id)
    if op is None or not op.active:
        raise TokenInvalid("unknown")
    row.used_at = now
    session.add(row)
    started = ConsoleSession(
        id=secrets.token_urlsafe(24),
        operator_id=row.operator_id,
        created_at=now,
        expires_at=now + timedelta(hours=session_hours),
    )
    session.add(started)
    audit.record(session, "console_login", "operator", row.operator_id, actor_id=row.operator_id)
    return started


def operator_for_session(
    session: Session, session_id: str, now: datetime | None = None
) -> Operator | None:
    """The active operator behind a live session, or None (ended, expired, deactivated)."""
    row = session.get(ConsoleSession, session_id)
    now = now or utcnow()
    if row is None or row.ended_at is not None or row.expires_at < now:
        return None
    op = session.get(Operator, row.operator_id)
    return op if op is not None and op.active else None


def end_session(session: Session, session_id: str) -> None:
    """Log out: the session's cookie stops working at once."""
    row = session.get(ConsoleSession, session_id)
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.add(row)
        audit.record(
            session, "console_logout", "operator", row.operator_id, actor_id=row.operator_id
        )
