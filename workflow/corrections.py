"""Correcting (更正) and withdrawing (撤回) a reply after it was published.

Information the account publishes must be accurate (RULES §3, §7 纠错): when a published
reply turns out wrong, the office corrects it under the same sign-off as the reply (a
correction is a draft of its own, `Draft.corrects_draft_id`, through the same review rules and
the same card), and the last signature replaces the text where the reply was published, with
the new stamp and a note that it was corrected. A reply that must come down at once (it
leaked personal data, it answered the wrong person) is withdrawn by one signer of the rank
that signed it off, with a reason: deleted, or, where Telegram no longer lets a bot delete
it, blanked to a notice. Both stay on the audit trail with the text that was published.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from knowledge_base.sqltypes import utcnow
from workflow import audit, outbox, review
from workflow.errors import AlreadyDecided, InvalidTransition, NotAuthorised, NotFound
from workflow.models import CardState, ChatKind, CitizenMessage, Draft, DraftState, Visibility

SUBJECT = "draft"


def lock_published(session: Session, draft_id: int, expected_version: int | None) -> Draft:
    """A published reply (not itself a correction, not withdrawn), FOR UPDATE."""
    draft = session.exec(select(Draft).where(Draft.id == draft_id).with_for_update()).first()
    if draft is None:
        raise NotFound("draft", draft_id)
    if expected_version is not None and draft.version != expected_version:
        raise AlreadyDecided(draft_id, "changed")
    if draft.corrects_draft_id is not None:
        raise InvalidTransition("correct the reply itself, not its correction")
    if draft.withdrawn_at is not None:
        raise InvalidTransition("the reply was withdrawn")
    if draft.state is not DraftState.PUBLISHED or draft.published_message_id is None:
        raise InvalidTransition("only a published reply can be corrected or withdrawn")
    return draft


def pending_correction(session: Session, draft_id: int) -> Draft | None:
    return session.exec(
        select(Draft).where(Draft.corrects_draft_id == draft_id, Draft.state == DraftState.PENDING)
    ).first()


def latest_correction(session: Session, draft_id: int, before: int | None = None) -> Draft | None:
    """The last published correction of a reply (older than correction `before`): its text
    is what the citizen sees."""
    query = select(Draft).where(
        Draft.corrects_draft_id == draft_id, Draft.state == DraftState.PUBLISHED
    )
    if before is not None:
        query = query.where(col(Draft.id) < before)
    return session.exec(query.order_by(col(Draft.id).desc())).first()


def where_published(session: Session, draft_id: int) -> tuple[int, int]:
    """(chat id, message id) of the Telegram message that carries a published reply: the
    reply in the comment thread or private chat, or, for a comment answered by private
    message through a deep link, the citizen's private chat."""
    draft = session.get(Draft, draft_id)
    assert draft is not None
    original = session.get(Draft, draft.corrects_draft_id) if draft.corrects_draft_id else draft
    assert original is not None and original.published_message_id is not None
    message = session.get(CitizenMessage, original.message_id)
    assert message is not None
    private_link = (
        message.chat_kind is ChatKind.DISCUSSION and original.visibility is Visibility.PRIVATE
    )
    return (message.user_id if private_link else message.chat_id), original.published_message_id


def propose(
    session: Session,
    draft_id: int,
    user_id: int,
    text: str,
    findings: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Draft:
    """A correction of a published reply, as a new draft under the reply's tier: whoever
    proposes it drafted it (so someone else signs), and nothing changes until it is signed."""
    text = review.required_text(text, "the new reply text is empty")
    original = lock_published(session, draft_id, expected_version)
    review.drafter_for(session, user_id)
    if pending_correction(session, draft_id) is not None:
        raise InvalidTransition("a correction of this reply is already under review")
    correction = Draft(
        message_id=original.message_id,
        tier=original.tier,
        tier_reason="correction",
        visibility=original.visibility,
        matched_entry_id=original.matched_entry_id,
        matched_entry_version=original.matched_entry_version,
        score=original.score,
        probability=original.probability,
        confident=original.confident,
        text=text,
        drafter_id=user_id,
        edited_by=[user_id],
        compliance=findings,
        corrects_draft_id=original.id,
    )
    session.add(correction)
    session.flush()
    audit.record(
        session,
        "correction_proposed",
        SUBJECT,
        original.id,
        actor_id=user_id,
        before={"text": original_text(session, original)},
        after={"correction": correction.id, "text": text},
    )
    _touch(session, original, "correction_pending")
    return correction


def original_text(session: Session, original: Draft, before: int | None = None) -> str:
    """The text published for `original` (before correction `before`, if given)."""
    latest = latest_correction(session, original.id or 0, before)
    return latest.text if latest else original.text


def record_corrected(session: Session, correction: Draft, message_id: int | None) -> None:
    """The correction replaced the published text (or, where that message was gone, went out
    as a new message `message_id`): on the record of the reply it corrects."""
    original = session.get(Draft, correction.corrects_draft_id)
    assert original is not None
    if message_id is not None and message_id != original.published_message_id:
        original.published_message_id = message_id  # later corrections edit the new one
    audit.record(
        session,
        "corrected",
        SUBJECT,
        original.id,
        after={"correction": correction.id, "message_id": message_id},
    )
    _touch(session, original, "corrected")


def withdraw(
    session: Session,
    draft_id: int,
    user_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Draft:
    """Take a published reply down at once. One signature suffices (removing is urgent and
    publishes nothing), but of the rank its tier needed to publish it: a reply the head
    signed off is withdrawn by the head. A correction under review is closed with it."""
    reason = review.required_text(reason, "withdrawing a reply needs a reason")
    original = lock_published(session, draft_id, expected_version)
    check_withdrawer(session, original, user_id)
    chat_id, message_id = where_published(session, draft_id)
    original.withdrawn_at = utcnow()
    original.withdrawn_by = user_id
    original.withdraw_reason = reason
    pending = pending_correction(session, draft_id)
    if pending is not None:
        pending.state = DraftState.REJECTED
        pending.reject_reason = reason
        pending.decided_at = utcnow()
        pending.card_state = CardState.CLOSED
        audit.record(
            session,
            "rejected",
            SUBJECT,
            pending.id,
            actor_id=user_id,
            after={"reason": reason, "why": "reply withdrawn"},
        )
        _touch(session, pending, "reply_withdrawn")
    audit.record(
        session,
        "withdrawn",
        SUBJECT,
        original.id,
        actor_id=user_id,
        before={"text": original_text(session, original), "message_id": message_id},
        after={"reason": reason},
    )
    outbox.enqueue(
        session,
        outbox.Kind.RETRACT,
        draft_id=original.id,
        chat_id=chat_id,
        payload={"message_id": message_id},
        dedupe_key=f"retract:{original.id}",
    )
    _touch(session, original, "withdrawn")
    return original


def check_withdrawer(session: Session, original: Draft, user_id: int) -> None:
    """NotAuthorised unless `user_id` signs at the rank the reply's tier needed."""
    operator = review.signer_for(session, user_id)
    needed = review.required_roles(original.tier)[-1]
    if not review.can_give(operator.role, needed):
        raise NotAuthorised(user_id, needed.value)


def record_retracted(session: Session, draft_id: int, how: str, error: str = "") -> None:
    """Taking the withdrawn reply down ended: `how` is "deleted", "blanked" (Telegram no
    longer lets a bot delete it) or "failed" (`error`: someone must remove it by hand)."""
    after = {"how": how, "error": error[:300]} if error else {"how": how}
    audit.record(session, "withdrawal_done", SUBJECT, draft_id, after=after)
    draft = session.get(Draft, draft_id)
    assert draft is not None
    _touch(session, draft, "withdraw_failed" if how == "failed" else f"withdrawn_{how}")


def _touch(session: Session, draft: Draft, notice: str) -> None:
    draft.version += 1
    draft.notice = notice
    session.add(draft)
    outbox.enqueue_card(session, draft)
