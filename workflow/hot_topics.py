"""Hot topics (RULES §5): many people raising the same matter at once.

When, within `hours`, at least `min_messages` messages (from at least that many people)
say the same thing, the operators' group is told once a day per topic, with the department
the directory names for it: a hot public concern is answered by inviting the competent
department, and a major one is forwarded to it by procedure, rather than by thirty
separate replies. Messages are grouped by meaning as in the gap report. When the directory
can reach the department, the alert carries a button: a signer sends the department the
topic, de-identified, with an invitation to answer (`forward`, once per alert).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from knowledge_base.similarity import Embed, Similarity
from knowledge_base.sqltypes import utcnow
from workflow import audit, outbox, review
from workflow.calendar import local_date
from workflow.departments import DepartmentDirectory
from workflow.errors import InvalidTransition, NotFound
from workflow.gaps import GROUP_THRESHOLD, group_texts
from workflow.models import CitizenMessage, Draft, DraftState, OutboxItem

__all__ = [
    "HotTopic",
    "alert",
    "announced",
    "find",
    "forward",
    "pending_drafts_of_alert",
    "recent",
]

FORWARD_EXAMPLES = 3  # de-identified messages the department gets with the topic

IGNORED_LABELS = ("spam_ad", "abuse", "praise")  # not a public concern to answer
MAX_MESSAGES = 2000  # the most recent ones: pairwise grouping grows with the square


@dataclass(frozen=True)
class HotTopic:
    title: str  # the most central message (de-identified)
    message_ids: list[int]
    people: int
    labels: Counter[str]

    @property
    def key(self) -> int:
        """Stable while the topic grows: its first message."""
        return min(self.message_ids)


def recent(
    session: Session, now: datetime, hours: float, limit: int = MAX_MESSAGES
) -> list[CitizenMessage]:
    """Messages of the last `hours` that could be a public concern (at most `limit`, the
    most recent), oldest first."""
    query = (
        select(CitizenMessage)
        .where(col(CitizenMessage.received_at) >= now - timedelta(hours=hours))
        .where(col(CitizenMessage.label).not_in(IGNORED_LABELS))
        .order_by(col(CitizenMessage.id).desc())
        .limit(limit)
    )
    return list(reversed(session.exec(query).all()))


def find(
    messages: list[CitizenMessage],
    embed: Embed | Similarity,
    min_messages: int,
    threshold: float = GROUP_THRESHOLD,
) -> list[HotTopic]:
    """Groups of messages saying the same thing, from at least `min_messages` people.

    `embed`: the model's `knowledge_base.similarity.Similarity` (``for_model(model)``, or its
    ``remembering()`` copy that keeps the window's vectors between looks)."""
    if min_messages <= 0 or len(messages) < min_messages:
        return []
    groups = group_texts([m.text_redacted for m in messages], embed, threshold)
    topics = []
    for idx, central in groups:
        members = [messages[i] for i in idx]
        people = len({m.user_id for m in members})
        if people < min_messages:
            continue  # one person repeating themselves is no public concern
        topics.append(
            HotTopic(
                title=messages[central].text_redacted[:120],
                message_ids=[m.id or 0 for m in members],
                people=people,
                labels=Counter(m.label for m in members),
            )
        )
    return topics


def alert(
    session: Session,
    topics: list[HotTopic],
    chat_id: int | None,
    directory: DepartmentDirectory,
    hours: float,
    now: datetime | None = None,
) -> list[int]:
    """Tell the group about each topic not yet announced today; returns their keys.

    A topic counts as announced when half its messages were in one announced today: the
    window rolls, so a long-running matter's first message (its key) changes as it ages.
    """
    now = now or utcnow()
    prefix = _prefix(now)
    announced = [set(item.payload.get("message_ids", [])) for item in _today(session, now)]
    sent = []
    for topic in topics:
        ids = set(topic.message_ids)
        if any(len(ids & seen) * 2 >= len(ids) for seen in announced):
            continue
        department = directory.pick(topic.title)
        params = {
            "title": topic.title,
            "n": len(topic.message_ids),
            "citizens": topic.people,
            "hours": f"{hours:g}",
            "department": department.name if department else "主管部门",
        }
        item = outbox.enqueue(
            session,
            outbox.Kind.NOTICE,
            chat_id=chat_id,
            payload={
                "template": "hot_topic_alert",
                "params": params,
                "message_ids": topic.message_ids,  # a reply to the alert drafts them all
                # A department the directory can reach: a button invites it to answer.
                "button": "topic_forward" if department else None,
            },
            dedupe_key=f"{prefix}{topic.key}",
        )
        if item is None:
            continue
        audit.record(
            session,
            "hot_topic_alerted",
            "message",
            topic.key,
            after={**params, "messages": topic.message_ids, "labels": dict(topic.labels)},
        )
        announced.append(ids)
        sent.append(topic.key)
    return sent


def _alert_item(session: Session, chat_id: int, message_id: int) -> OutboxItem | None:
    item = session.exec(
        select(OutboxItem).where(
            OutboxItem.chat_id == chat_id, OutboxItem.sent_message_id == message_id
        )
    ).first()
    if item is None or item.payload.get("template") != "hot_topic_alert":
        return None
    return item


def forward(
    session: Session,
    chat_id: int,
    alert_message_id: int,
    user_id: int,
    directory: DepartmentDirectory,
) -> str:
    """Invite the department the directory names for the topic of this alert to answer
    (RULES §5): the topic and a few of its messages, de-identified, by its chat or e-mail.
    A signer decides; once per alert. Returns the department's name.

    Raises:
        NotFound: the message is no hot-topic alert.
        NotAuthorised: not a signer.
        InvalidTransition: no reachable department, or it was invited already.
    """
    item = _alert_item(session, chat_id, alert_message_id)
    if item is None:
        raise NotFound("hot topic alert", alert_message_id)
    review.signer_for(session, user_id)
    params = dict(item.payload.get("params", {}))
    department = directory.pick(str(params.get("title", "")))
    if department is None:
        raise InvalidTransition("no department in the directory can be reached for this topic")
    ids = [int(i) for i in item.payload.get("message_ids", [])][:FORWARD_EXAMPLES]
    texts = session.exec(
        select(CitizenMessage.text_redacted).where(col(CitizenMessage.id).in_(ids))
    )
    params |= {"department": department.name, "examples": "\n".join(f"· {t}" for t in texts)}
    queued = outbox.enqueue_to_department(
        session,
        department,
        "hot_topic_forward",
        params,
        f"hot_topic_forward:{item.id}",
        subject="hot_topic_email_subject",
    )
    if queued is None:
        raise InvalidTransition("this topic was sent to its department already")
    audit.record(
        session,
        "hot_topic_forwarded",
        "message",
        min(item.payload.get("message_ids", [0])),
        actor_id=user_id,
        after={
            "department": department.name,
            "chat_id": department.chat_id,
            "email": department.email,
            "alert": item.id,
        },
    )
    return department.name


def pending_drafts_of_alert(session: Session, chat_id: int, message_id: int) -> list[int] | None:
    """The pending drafts of the topic a sent alert announced, or None if the message is no
    hot-topic alert. An operator's reply to the alert becomes the reply of them all (each
    still signed off on its own card: 先审后发)."""
    item = _alert_item(session, chat_id, message_id)
    if item is None:
        return None
    ids = [int(i) for i in item.payload.get("message_ids", [])]
    drafts = session.exec(
        select(Draft.id)
        .where(col(Draft.message_id).in_(ids), Draft.state == DraftState.PENDING)
        .where(col(Draft.corrects_id).is_(None))
        .order_by(col(Draft.id))
    )
    return [int(d) for d in drafts if d is not None]


def announced(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Today's announced topics (their alert's parameters), newest first: the dashboard."""
    items = _today(session, now or utcnow())
    return [dict(item.payload.get("params", {})) for item in reversed(items)]


def _prefix(now: datetime) -> str:
    """Dedupe keys of the day's alerts start with this (one alert per topic per day)."""
    return f"hot_topic:{local_date(now).isoformat()}:"


def _today(session: Session, now: datetime) -> list[OutboxItem]:
    """The day's hot-topic alerts, oldest first."""
    query = select(OutboxItem).where(col(OutboxItem.dedupe_key).startswith(_prefix(now)))
    return list(session.exec(query.order_by(col(OutboxItem.id))))
