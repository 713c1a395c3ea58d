"""The outbox: everything GovReply sends to Telegram, recorded before and after it is sent.

Items are claimed with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite serialises
writers), so two bot processes never send the same item. Items of one draft go out one at a
time and in order, so a card edit never overtakes the card's first send. An item left in
`sending` by a crashed process is claimed again after the lease expires.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, and_, col, or_, select

from knowledge_base.sqltypes import utcnow
from workflow.models import Draft, OutboxItem, OutboxStatus, PostDraft

if TYPE_CHECKING:
    from workflow.departments import Department

LEASE = timedelta(seconds=60)
# With backoff_seconds, 40 attempts span about 2.7 hours: a signed reply outlives a Telegram
# or network outage of that long (a 429's wait is not an attempt).
MAX_ATTEMPTS = 40


class Kind:
    """Outbox item kinds; the delivery worker renders each at send time."""

    CARD = "card"  # send or edit the draft's card in the operators' group
    PUBLISH = "publish"  # the signed-off reply to the citizen
    LINK_NOTE = "link_note"  # public neutral note with a private-reply deep link
    PRIVATE_REPLY = "private_reply"  # the reply delivered after the citizen opened the link
    NOTICE = "notice"  # a templated text to a chat (alerts, acknowledgements, forwards)
    DELETE = "delete"  # delete a message (spam)
    RESTRICT = "restrict"  # restrict a user in the discussion group (repeated abuse)
    CASE_CARD = "case_card"  # send or edit a case's card in the operators' group
    DOCUMENT = "document"  # a generated .docx (impersonation letter, filing record)
    EMAIL = "email"  # a suggestion forwarded to a department by e-mail
    ALERT = "alert"  # a templated alert that mentions operators by name (sensitive incidents)
    STATUS = "status"  # the group's queue status message (how many drafts wait), edited
    POST_CARD = "post_card"  # send or edit a channel post's card in the operators' group
    CHANNEL_POST = "channel_post"  # the signed-off post itself, to the account's channel
    RETRACT = "retract"  # take a withdrawn reply down: delete it, else blank it (撤回)


def enqueue(
    session: Session,
    kind: str,
    *,
    draft_id: int | None = None,
    chat_id: int | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> OutboxItem | None:
    """Add an item; with a dedupe_key an item that already exists is not added again."""
    if dedupe_key is not None and queued(session, dedupe_key):
        return None
    item = OutboxItem(
        kind=kind,
        draft_id=draft_id,
        chat_id=chat_id,
        payload=payload or {},
        dedupe_key=dedupe_key,
    )
    session.add(item)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return None  # another process enqueued the same dedupe_key first
    return item


def enqueue_to_department(
    session: Session,
    department: Department,
    template: str,
    params: dict[str, Any],
    dedupe_key: str,
    subject: str | None = None,
) -> OutboxItem | None:
    """A templated text for a department: to its group chat if it has one, else by e-mail
    (`subject`: the e-mail's subject template). None when `dedupe_key` was queued before."""
    if department.chat_id is not None:
        payload: dict[str, Any] = {"template": template, "params": params}
        return enqueue(
            session,
            Kind.NOTICE,
            chat_id=department.chat_id,
            payload=payload,
            dedupe_key=dedupe_key,
        )
    payload = {"to": department.email, "template": template, "params": params}
    if subject is not None:
        payload["subject"] = subject
    return enqueue(session, Kind.EMAIL, payload=payload, dedupe_key=dedupe_key)


def queued(session: Session, dedupe_key: str) -> bool:
    """Whether an item with this dedupe key was ever enqueued (sent or not)."""
    found = session.exec(select(OutboxItem.id).where(OutboxItem.dedupe_key == dedupe_key))
    return found.first() is not None


def is_waiting(
    session: Session,
    kind: str,
    *,
    draft_id: int | None = None,
    case_id: int | None = None,
    post_id: int | None = None,
) -> bool:
    """Whether an unsent item of `kind` (for this draft / case / channel post) is queued.

    Cards and status messages render at send time, so one waiting refresh covers any number of
    changes made before it goes out.
    """
    query = select(OutboxItem).where(
        OutboxItem.kind == kind, OutboxItem.status == OutboxStatus.PENDING
    )
    if draft_id is not None:
        query = query.where(OutboxItem.draft_id == draft_id)
    waiting = session.exec(query)
    if case_id is None and post_id is None:
        return waiting.first() is not None
    key, value = ("case_id", case_id) if case_id is not None else ("post_id", post_id)
    return any(item.payload.get(key) == value for item in waiting)


def enqueue_card(session: Session, draft: Draft) -> None:
    """Refresh the draft's card, unless a refresh is already waiting (it renders at send)."""
    if draft.card_state.value != "queued" and not is_waiting(
        session, Kind.CARD, draft_id=draft.id
    ):
        enqueue(session, Kind.CARD, draft_id=draft.id)


def enqueue_post_card(session: Session, post: PostDraft) -> None:
    """Refresh a channel post's card, unless a refresh is already waiting."""
    if not is_waiting(session, Kind.POST_CARD, post_id=post.id):
        enqueue(session, Kind.POST_CARD, payload={"post_id": post.id})


def enqueue_publish(session: Session, draft: Draft) -> None:
    """The reply itself; the dedupe key makes a second enqueue a no-op (publish once)."""
    enqueue(session, Kind.PUBLISH, draft_id=draft.id, dedupe_key=f"publish:{draft.id}")


def enqueue_status(session: Session) -> None:
    """Refresh the group's queue status message, unless a refresh is already waiting."""
    if not is_waiting(session, Kind.STATUS):
        enqueue(session, Kind.STATUS)


def status_message_id(session: Session) -> int | None:
    """The group's status message: the one the last successful STATUS send created."""
    row = session.exec(
        select(OutboxItem)
        .where(
            OutboxItem.kind == Kind.STATUS,
            OutboxItem.status == OutboxStatus.SENT,
            col(OutboxItem.sent_message_id).is_not(None),
        )
        .order_by(col(OutboxItem.id).desc())
    ).first()
    return row.sent_message_id if row else None


def claim(
    session: Session, worker: str, limit: int = 10, lease: timedelta = LEASE
) -> list[OutboxItem]:
    """Claim due items for `worker`, at most one per draft, oldest first.

    `lease` must outlast one send (HTTP timeouts), or a slow live worker's item is taken over.
    """
    now = utcnow()
    busy_drafts = {
        d
        for d in session.exec(
            select(OutboxItem.draft_id).where(
                OutboxItem.status == OutboxStatus.SENDING,
                col(OutboxItem.claimed_at) > now - lease,
                col(OutboxItem.draft_id).is_not(None),
            )
        )
    }
    query = (
        select(OutboxItem)
        .where(
            or_(
                and_(
                    col(OutboxItem.status) == OutboxStatus.PENDING,
                    col(OutboxItem.next_attempt_at) <= now,
                ),
                and_(
                    col(OutboxItem.status) == OutboxStatus.SENDING,
                    col(OutboxItem.claimed_at) <= now - lease,
                ),
            )
        )
        .order_by(col(OutboxItem.id))
        .limit(limit * 4)
        .with_for_update(skip_locked=True)
    )
    claimed: list[OutboxItem] = []
    for item in session.exec(query):
        if item.draft_id is not None and item.draft_id in busy_drafts:
            continue
        if item.draft_id is not None:
            busy_drafts.add(item.draft_id)
        item.status = OutboxStatus.SENDING
        item.claimed_at = now
        item.claimed_by = worker
        item.attempts += 1
        session.add(item)
        claimed.append(item)
        if len(claimed) >= limit:
            break
    return claimed


def renew(session: Session, item_id: int, worker: str) -> bool:
    """Restart the lease of an item `worker` claimed, just before sending it; False when
    another worker took it over meanwhile (a batch's later items can outlive the lease
    while earlier ones are sent), so only one of them sends it."""
    item = session.exec(select(OutboxItem).where(OutboxItem.id == item_id).with_for_update()).one()
    if item.status is not OutboxStatus.SENDING or item.claimed_by != worker:
        return False
    item.claimed_at = utcnow()
    session.add(item)
    return True


def mark_sent(session: Session, item_id: int, message_id: int | None) -> OutboxItem:
    item = session.exec(select(OutboxItem).where(OutboxItem.id == item_id).with_for_update()).one()
    item.status = OutboxStatus.SENT
    item.sent_message_id = message_id
    item.sent_at = utcnow()
    item.last_error = None
    session.add(item)
    return item


def mark_retry(
    session: Session, item_id: int, delay: float, error: str, counted: bool = True
) -> OutboxItem:
    """Put the item back with a delay; past MAX_ATTEMPTS it fails (and stays on record).
    An attempt that is not `counted` (Telegram asked us to wait) does not bring that closer."""
    item = session.exec(select(OutboxItem).where(OutboxItem.id == item_id).with_for_update()).one()
    item.last_error = error[:500]
    if not counted:
        item.attempts = max(0, item.attempts - 1)
    if item.attempts >= MAX_ATTEMPTS:
        item.status = OutboxStatus.FAILED
    else:
        item.status = OutboxStatus.PENDING
        item.next_attempt_at = utcnow() + timedelta(seconds=delay)
    session.add(item)
    return item


def mark_undeliverable(session: Session, item_id: int, error: str) -> OutboxItem:
    item = session.exec(select(OutboxItem).where(OutboxItem.id == item_id).with_for_update()).one()
    item.status = OutboxStatus.UNDELIVERABLE
    item.last_error = error[:500]
    session.add(item)
    return item


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off for 5xx and timeouts: 1, 2, 4, ... capped at 5 minutes."""
    return float(min(300, 2 ** max(0, attempts - 1)))


def pending_count(session: Session) -> int:
    return len(
        list(session.exec(select(OutboxItem.id).where(OutboxItem.status == OutboxStatus.PENDING)))
    )
