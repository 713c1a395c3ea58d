"""Correcting (更正) and withdrawing (撤回) what was published: a reply to a citizen (`Draft`)
or one of the account's channel posts (`PostDraft`), through the same rules.

Information the account publishes must be accurate (RULES §3, §7 纠错): when it turns out
wrong, the office corrects it under the same sign-off it had (a correction is a draft or post
of its own, `corrects_id`, through the same review rules and the same kind of card), and the
last signature replaces the text where it was published, with the new stamp and a note that
it was corrected. What must come down at once (it leaked personal data, it answered the wrong
person) is withdrawn by one signer of the rank that signed it off, with a reason: deleted, or,
where Telegram refuses, blanked to a notice. Both stay on the audit trail with the text that
was published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from knowledge_base.models import KBEntryVersion
from knowledge_base.sqltypes import utcnow
from workflow import audit, outbox, review
from workflow.errors import AlreadyDecided, InvalidTransition, NotAuthorised, NotFound
from workflow.models import (
    CardState,
    ChatKind,
    CitizenMessage,
    DeepLinkToken,
    Draft,
    DraftState,
    OutboxItem,
    OutboxStatus,
    PostDraft,
    Visibility,
)
from workflow.operators import name_of

Item = TypeVar("Item", Draft, PostDraft)

_NOUN = {Draft: "reply", PostDraft: "post"}  # in refusals (handlers/texts.py INVALID_DETAIL)
_SUBJECT = {Draft: "draft", PostDraft: "post"}  # audit subject types
# What a correction keeps of what it corrects, besides the tier.
_KEPT = {
    Draft: (
        "message_id",
        "visibility",
        "matched_entry_id",
        "matched_entry_version",
        "score",
        "probability",
        "confident",
    ),
    PostDraft: ("kind", "source", "mandated", "media_kind", "media_chat_id", "media_message_id"),
}


@dataclass(frozen=True, kw_only=True)
class AfterPublication:
    """What a view of a reply or post shows of its corrections and withdrawal."""

    corrects_id: int | None = None  # this is a correction of that reply or post
    corrects_text: str = ""  # the text it replaces
    correction_pending_id: int | None = None
    corrected_by_id: int | None = None  # the last correction published
    corrected_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by_name: str | None = None
    withdraw_reason: str | None = None
    correctable: bool = False  # published, not a correction, not withdrawn
    # The Q&A entry whose answer the corrected reply was, word for word: likely wrong too.
    corrects_entry_id: str | None = None


def view_fields(session: Session, item: Item) -> dict[str, Any]:
    """The AfterPublication fields of a reply's or post's view."""
    model = type(item)
    corrected = newest_correction(session, model, item.id or 0, DraftState.PUBLISHED)
    pending = newest_correction(session, model, item.id or 0, DraftState.PENDING)
    corrects = session.get(model, item.corrects_id) if item.corrects_id else None
    return {
        "corrects_id": item.corrects_id,
        "corrects_text": text_in_place(session, corrects, item.id) if corrects else "",
        "correction_pending_id": pending.id if pending else None,
        "corrected_by_id": corrected.id if corrected else None,
        "corrected_at": corrected.published_at if corrected else None,
        "withdrawn_at": item.withdrawn_at,
        "withdrawn_by_name": name_of(session, item.withdrawn_by) if item.withdrawn_by else None,
        "withdraw_reason": item.withdraw_reason,
        "correctable": _not_correctable(session, item) is None,
        "corrects_entry_id": entry_answered(session, corrects)
        if isinstance(corrects, Draft)
        else None,
    }


def entry_answered(session: Session, reply: Draft) -> str | None:
    """The Q&A entry whose answer `reply` published word for word (matched or chosen by an
    operator, not rewritten), if any: when such a reply needs correcting, so may the entry."""
    if reply.matched_entry_id is None or reply.edited_by:
        return None
    snapshot = session.exec(
        select(KBEntryVersion).where(
            KBEntryVersion.entry_id == reply.matched_entry_id,
            KBEntryVersion.version == reply.matched_entry_version,
        )
    ).first()
    answer = snapshot.snapshot.get("answer") if snapshot is not None else None
    return reply.matched_entry_id if answer is not None and answer == reply.text else None


def corrected_entries(session: Session, since: datetime) -> list[str]:
    """Entries whose answers went out unchanged in replies corrected since `since`."""
    query = select(Draft).where(
        col(Draft.corrects_id).is_not(None),
        Draft.state == DraftState.PUBLISHED,
        col(Draft.published_at) >= since,
    )
    found = []
    for correction in session.exec(query):
        original = session.get(Draft, correction.corrects_id)
        entry = entry_answered(session, original) if original is not None else None
        if entry is not None:
            found.append(entry)
    return sorted(set(found))


def awaiting_link(session: Session, item: Draft | PostDraft) -> bool:
    """A signed reply to a comment, to be delivered by private message once the citizen
    opens its link (not published yet, but decided: it is corrected or withdrawn as if)."""
    if not isinstance(item, Draft) or item.state is not DraftState.APPROVED:
        return False
    token = session.exec(select(DeepLinkToken).where(DeepLinkToken.draft_id == item.id)).first()
    return token is not None and token.used_at is None


def lock_published(
    session: Session, model: type[Item], item_id: int, expected_version: int | None = None
) -> Item:
    """A published reply or post (not itself a correction, not withdrawn), FOR UPDATE; a
    reply awaiting its citizen's deep link counts as published."""
    item = session.exec(select(model).where(model.id == item_id).with_for_update()).first()
    if item is None:
        raise NotFound(_SUBJECT[model], item_id)
    if expected_version is not None and item.version != expected_version:
        raise AlreadyDecided(item_id, "changed")
    problem = _not_correctable(session, item)
    if problem is not None:
        raise InvalidTransition(problem)
    return item


def _not_correctable(session: Session, item: Draft | PostDraft) -> str | None:
    """Why a reply or post cannot be corrected or withdrawn (None: it can), the one rule
    behind `lock_published` and the views' `correctable`."""
    is_reply = isinstance(item, Draft)
    if item.corrects_id is not None:
        return f"correct the {_NOUN[type(item)]} itself, not its correction"
    if item.withdrawn_at is not None:
        return "the reply was withdrawn" if is_reply else "the post was taken down"
    published = item.state is DraftState.PUBLISHED and item.published_message_id is not None
    if not published and not awaiting_link(session, item):
        return (
            "only a published reply can be corrected or withdrawn"
            if is_reply
            else "only a published post can be corrected or taken down"
        )
    return None


def newest_correction(
    session: Session,
    model: type[Item],
    item_id: int,
    state: DraftState,
    before: int | None = None,
) -> Item | None:
    """The newest correction of a reply or post in `state` (older than correction `before`);
    there is at most one pending."""
    query = select(model).where(model.corrects_id == item_id, model.state == state)
    if before is not None:
        query = query.where(col(model.id) < before)
    return session.exec(query.order_by(col(model.id).desc())).first()


def text_in_place(session: Session, original: Item, before: int | None = None) -> str:
    """The text published for `original` (before correction `before`, if given)."""
    latest = newest_correction(
        session, type(original), original.id or 0, DraftState.PUBLISHED, before
    )
    return latest.text if latest else original.text


def _stop_unsent(session: Session, model: type[Item], item_id: int) -> Item | None:
    """A correction signed but not yet sent, its send cancelled: it must not come back after
    the take-down (as a 【更正】 resend of a withdrawn reply). One already being sent is left to
    the sender, which refuses it once it sees the original withdrawn (`where_published`)."""
    signed = newest_correction(session, model, item_id, DraftState.APPROVED)
    if signed is None:
        return None
    key = f"publish:{signed.id}" if model is Draft else f"channel_post:{signed.id}"
    item = session.exec(
        select(OutboxItem).where(OutboxItem.dedupe_key == key).with_for_update()
    ).first()
    if item is None or item.status is not OutboxStatus.PENDING:
        return None
    item.status = OutboxStatus.CANCELLED
    item.last_error = "the corrected reply or post was withdrawn"
    session.add(item)
    return signed


def where_published(
    session: Session, model: type[Item], item_id: int
) -> tuple[int, int, bool] | None:
    """(chat id, message id, whether it is a caption) of the Telegram message that carries a
    published reply or post, or the one a correction corrects; None while a reply awaits its
    citizen's deep link (nothing is out yet). A comment answered by private message through
    a deep link was answered in the citizen's private chat.

    Raises:
        InvalidTransition: the reply or post a correction corrects was withdrawn meanwhile.
    """
    item = session.get(model, item_id)
    assert item is not None
    original = session.get(model, item.corrects_id) if item.corrects_id else item
    assert original is not None
    if item.corrects_id and original.withdrawn_at is not None:
        raise InvalidTransition(f"the {_NOUN[model]} this corrects was withdrawn")
    if original.published_message_id is None:
        return None
    if isinstance(original, PostDraft):
        assert original.channel_id is not None
        return original.channel_id, original.published_message_id, original.media_kind is not None
    message = session.get(CitizenMessage, original.message_id)
    assert message is not None
    private_link = (
        message.chat_kind is ChatKind.DISCUSSION and original.visibility is Visibility.PRIVATE
    )
    chat_id = message.user_id if private_link else message.chat_id
    return chat_id, original.published_message_id, False


def propose(
    session: Session,
    model: type[Item],
    item_id: int,
    user_id: int,
    text: str,
    findings: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Item:
    """A correction of a published reply or post: a new one under its tier, so the usual
    rules apply (whoever proposes it drafted it, so someone else signs); nothing changes
    where it was published until it is signed."""
    text = (
        review.reply_text(text)
        if model is Draft
        else review.required_text(text, "the post is empty")
    )
    original = lock_published(session, model, item_id, expected_version)
    review.drafter_for(session, user_id)
    if newest_correction(session, model, item_id, DraftState.PENDING) is not None:
        raise InvalidTransition(f"a correction of this {_NOUN[model]} is already under review")
    kept = {name: getattr(original, name) for name in _KEPT[model]}
    correction = model(
        **kept,
        text=text,
        tier=original.tier,
        tier_reason="correction",
        drafter_id=user_id,
        edited_by=[user_id],
        compliance=findings,
        corrects_id=original.id,
    )
    session.add(correction)
    session.flush()
    audit.record(
        session,
        "correction_proposed",
        _SUBJECT[model],
        original.id,
        actor_id=user_id,
        before={"text": text_in_place(session, original)},
        after={"correction": correction.id, "text": text},
    )
    review.touch(session, correction, None)
    review.touch(session, original, "correction_pending")
    return correction


def record_corrected(session: Session, correction: Item, message_id: int | None) -> None:
    """The correction replaced the published text (or, where that message was gone, went out
    as a new message `message_id`): on the record of what it corrects."""
    original = session.get(type(correction), correction.corrects_id)
    assert original is not None
    if message_id is not None and message_id != original.published_message_id:
        original.published_message_id = message_id  # later corrections edit the new one
    audit.record(
        session,
        "corrected",
        _SUBJECT[type(correction)],
        original.id,
        after={"correction": correction.id, "message_id": message_id},
    )
    review.touch(session, original, "corrected")


def check_withdrawer(session: Session, item: Draft | PostDraft, user_id: int) -> None:
    """NotAuthorised unless `user_id` signs at the rank the item's tier needed."""
    operator = review.signer_for(session, user_id)
    needed = review.required_roles(item.tier)[-1]
    if not review.can_give(operator.role, needed):
        raise NotAuthorised(user_id, needed.value)


def check_press(
    session: Session,
    model: type[Item],
    item_id: int,
    user_id: int,
    expected_version: int | None,
    withdrawing: bool,
) -> None:
    """Refuse a press of 更正 or 撤回 at once (the reply to its prompt is checked again): the
    reply or post can no longer be corrected, or `user_id` may not withdraw it."""
    item = lock_published(session, model, item_id, expected_version)
    if withdrawing:
        check_withdrawer(session, item, user_id)


def withdraw(
    session: Session,
    model: type[Item],
    item_id: int,
    user_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Item:
    """Take a published reply or post down at once. One signature suffices (removing is
    urgent and publishes nothing), but of the rank its tier needed to publish it: what the
    head signed off the head withdraws. A correction under review is closed with it."""
    reason = review.required_text(reason, f"withdrawing a {_NOUN[model]} needs a reason")
    item = lock_published(session, model, item_id, expected_version)
    check_withdrawer(session, item, user_id)
    where = where_published(session, model, item_id)
    subject = _SUBJECT[model]
    item.withdrawn_at = utcnow()
    item.withdrawn_by = user_id
    item.withdraw_reason = reason
    pending = newest_correction(session, model, item_id, DraftState.PENDING)
    if pending is None:
        pending = _stop_unsent(session, model, item_id)
    if pending is not None:
        pending.state = DraftState.REJECTED
        pending.reject_reason = reason
        pending.decided_at = utcnow()
        if isinstance(pending, Draft):
            pending.card_state = CardState.CLOSED
        audit.record(
            session,
            "rejected",
            subject,
            pending.id,
            actor_id=user_id,
            after={"reason": reason, "why": "withdrawn"},
        )
        review.touch(session, pending, "original_withdrawn")
    audit.record(
        session,
        "withdrawn",
        subject,
        item_id,
        actor_id=user_id,
        before={"text": text_in_place(session, item), "message_id": where and where[1]},
        after={"reason": reason},
    )
    if where is None:  # awaiting its deep link: the link now says the reply was withdrawn
        review.touch(session, item, "withdrawn_unsent")
        return item
    chat_id, message_id, caption = where
    payload: dict[str, Any] = {"message_id": message_id, "caption": caption}
    if isinstance(item, PostDraft):
        payload["post_id"] = item_id
        payload["more_ids"] = item.album_message_ids[1:]  # an album's other pictures
    outbox.enqueue(
        session,
        outbox.Kind.RETRACT,
        draft_id=item_id if isinstance(item, Draft) else None,
        chat_id=chat_id,
        payload=payload,
        dedupe_key=f"retract:{subject}:{item_id}",
    )
    review.touch(session, item, "withdrawn")
    return item


def record_retracted(
    session: Session, model: type[Item], item_id: int, how: str, error: str = ""
) -> None:
    """Taking the withdrawn item down ended: `how` is "deleted", "blanked" (Telegram refused
    to delete it) or "failed" (`error`: someone must remove it by hand)."""
    after = {"how": how, "error": error[:300]} if error else {"how": how}
    audit.record(session, "withdrawal_done", _SUBJECT[model], item_id, after=after)
    item = session.get(model, item_id)
    assert item is not None
    review.touch(session, item, "withdraw_failed" if how == "failed" else f"withdrawn_{how}")
