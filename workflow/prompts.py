"""Prompts: bot messages in the operators' group that wait for a reply (text or reason).

A prompt about a channel post has an action starting with POST ("post_edit", ...) and its
`draft_id` holds the post's id; `find` and `find_post` each see only their own kind, so a
reply meant for a post never acts on the draft with the same number."""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import Session, select

from workflow.models import Prompt


class Asked(NamedTuple):
    """What a prompt asked about: the draft (or post), the action, and the card version the
    operator pressed on (None for prompts recorded before versions were kept)."""

    subject_id: int
    action: str
    version: int | None


def record(
    session: Session,
    chat_id: int,
    message_id: int,
    draft_id: int,
    action: str,
    operator_id: int,
    version: int | None = None,
) -> None:
    session.add(
        Prompt(
            chat_id=chat_id,
            message_id=message_id,
            draft_id=draft_id,
            action=action,
            operator_id=operator_id,
            version=version,
        )
    )


POST = "post_"


def find(session: Session, chat_id: int, message_id: int, *, posts: bool = False) -> Asked | None:
    """The draft prompt that is this message, if any; with `posts`, a channel post's prompt
    (its action without the prefix)."""
    row = session.exec(
        select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id)
    ).first()
    if row is None or row.action.startswith(POST) != posts:
        return None
    return Asked(row.draft_id, row.action.removeprefix(POST), row.version)
