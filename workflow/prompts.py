"""Prompts: bot messages in the operators' group that wait for a reply (text or reason).

A prompt about a channel post has an action starting with POST ("post_edit", ...) and its
`draft_id` holds the post's id; `find` and `find_post` each see only their own kind, so a
reply meant for a post never acts on the draft with the same number."""

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


POST = "post_"


def find(
    session: Session, chat_id: int, message_id: int, *, posts: bool = False
) -> tuple[int, str] | None:
    """(draft_id, action) of the draft prompt that is this message, if any; with `posts`,
    (post id, action without the prefix) of a channel post's prompt."""
    row = session.exec(
        select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id)
    ).first()
    if row is None or row.action.startswith(POST) != posts:
        return None
    return row.draft_id, row.action.removeprefix(POST)
