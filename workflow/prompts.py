"""Prompts: bot messages in the operators' group that wait for a reply (text or reason)."""

from __future__ import annotations

from sqlmodel import Session, select

from workflow.models import Prompt


def record(
    session: Session, chat_id: int, message_id: int, draft_id: int, action: str, operator_id: int
) -> None:
    session.add(
        Prompt(
            chat_id=chat_id,
            message_id=message_id,
            draft_id=draft_id,
            action=action,
            operator_id=operator_id,
        )
    )


def find(session: Session, chat_id: int, message_id: int) -> tuple[int, str] | None:
    """(draft_id, action) of the prompt that is this message, if any."""
    row = session.exec(
        select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id)
    ).first()
    return (row.draft_id, row.action) if row else None
