"""Tables of the reply desk: operators, inbox, citizen messages, drafts, signatures, outbox,
audit chain, reply prompts and private-reply tokens.

States and roles are StrEnums with stable lowercase values; their Chinese labels live in
handlers/texts.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from knowledge_base.sqltypes import dt_column, enum_column, json_column, utcnow


class Role(StrEnum):
    DRAFTER = "drafter"  # 拟稿人, e.g. an outsourced operator (代运维): drafts, never signs
    REVIEWER = "reviewer"  # 审核人
    DEPUTY_HEAD = "deputy_head"  # 分管负责人
    HEAD = "head"  # 主要负责人
    ADMIN = "admin"  # curates the Q&A base and users; not a signer


class Tier(StrEnum):
    ORDINARY = "ordinary"
    IMPORTANT = "important"
    MAJOR = "major"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class DraftState(StrEnum):
    PENDING = "pending"  # waiting for signatures
    APPROVED = "approved"  # fully signed, in the outbox
    PUBLISHED = "published"
    REJECTED = "rejected"
    UNDELIVERABLE = "undeliverable"


class CardState(StrEnum):
    QUEUED = "queued"  # waiting for room in the group (max_open_cards)
    LIVE = "live"
    CLOSED = "closed"


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # a handler failed on it MAX_INBOX_ATTEMPTS times; handed to the group
    # PTB could not decode it (malformed, or a shape this PTB does not know): set aside with its
    # error and handed to the group, never replayed (it would fail the same way every time).
    QUARANTINED = "quarantined"
    PURGED = "purged"  # done or set aside, and its payload emptied after the retention period


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the retry cap
    UNDELIVERABLE = "undeliverable"  # Telegram said Forbidden / chat not found
    CANCELLED = "cancelled"  # withdrawn before it was due (a scheduled channel post)


class ChatKind(StrEnum):
    PRIVATE = "private"
    DISCUSSION = "discussion"


def _bigint(*, nullable: bool = True, index: bool = False) -> Any:
    return Column(BigInteger, nullable=nullable, index=index)


class Operator(SQLModel, table=True):
    """A registered operator; the role decides which signature they can give."""

    __tablename__ = "operator"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    name: str
    role: Role = Field(sa_column=enum_column(Role))
    active: bool = True
    on_duty: bool = False  # 值班 (RULES §7): deadline alerts and incidents name them
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))


class InboxUpdate(SQLModel, table=True):
    """Every Telegram update, stored before its offset is confirmed (durability)."""

    __tablename__ = "inbox_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: dict[str, Any] = Field(sa_column=json_column(nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    status: InboxStatus = Field(
        default=InboxStatus.PENDING, sa_column=enum_column(InboxStatus, index=True)
    )
    attempts: int = 0
    error: str | None = None
    quarantined_at: datetime | None = Field(default=None, sa_column=dt_column())


class CitizenMessage(SQLModel, table=True):
    """A citizen's private message or public comment. `text` is the unmasked original and is
    shown to admins only; everything else shows `text_redacted`."""

    __tablename__ = "citizen_message"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    update_id: int | None = Field(default=None, sa_column=_bigint())
    chat_id: int = Field(sa_column=_bigint(nullable=False, index=True))
    chat_kind: ChatKind = Field(sa_column=enum_column(ChatKind))
    message_id: int = Field(sa_column=_bigint(nullable=False))
    # The message in the same chat this one replies to (a 纠错 answering our published reply).
    reply_to_message_id: int | None = Field(default=None, sa_column=_bigint())
    user_id: int = Field(sa_column=_bigint(nullable=False, index=True))
    user_name: str = ""
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_redacted: str = Field(sa_column=Column(Text, nullable=False))
    has_photo: bool = False
    photo_file_ids: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    sent_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    label: str = "consultation"
    label_confidence: float = 0.0
    evidence: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))


class Draft(SQLModel, table=True):
    """A reply under sign-off. `version` is bumped on every change: transitions are
    compare-and-swap on it, so two presses at once make exactly one transition."""

    __tablename__ = "draft"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="citizen_message.id", index=True)
    tier: Tier = Field(default=Tier.ORDINARY, sa_column=enum_column(Tier))
    tier_reason: str = ""
    visibility: Visibility = Field(default=Visibility.PUBLIC, sa_column=enum_column(Visibility))
    state: DraftState = Field(
        default=DraftState.PENDING, sa_column=enum_column(DraftState, index=True)
    )
    version: int = 1
    matched_entry_id: str | None = None
    matched_entry_version: int | None = None
    score: float | None = None
    probability: float | None = None
    confident: bool = False
    candidates: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    drafter_id: int | None = Field(default=None, sa_column=_bigint())  # None = GovReply
    edited_by: list[int] = Field(default_factory=list, sa_column=json_column(nullable=False))
    compliance: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    override_reason: str | None = None
    override_by: int | None = Field(default=None, sa_column=_bigint())
    reject_reason: str | None = None
    notice: str | None = None  # last event worth showing on the card (e.g. signatures voided)
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=dt_column())
    published_at: datetime | None = Field(default=None, sa_column=dt_column())
    published_message_id: int | None = Field(default=None, sa_column=_bigint())
    card_state: CardState = Field(
        default=CardState.QUEUED, sa_column=enum_column(CardState, index=True)
    )
    card_chat_id: int | None = Field(default=None, sa_column=_bigint())
    card_message_id: int | None = Field(default=None, sa_column=_bigint(index=True))
    sla_due_at: datetime | None = Field(default=None, sa_column=dt_column(index=True))
    sla_warned: bool = False
    sla_escalated: bool = False
    # 更正: this draft corrects the published reply of `corrects_id`; once signed off it
    # replaces that reply's text where it was published (one Telegram message per reply).
    corrects_id: int | None = Field(default=None, foreign_key="draft.id", index=True)
    # 撤回: a published reply taken down (deleted, or blanked where Telegram refuses to delete).
    withdrawn_at: datetime | None = Field(default=None, sa_column=dt_column())
    withdrawn_by: int | None = Field(default=None, sa_column=_bigint())
    withdraw_reason: str | None = None


class Signature(SQLModel, table=True):
    """One sign-off on a draft. An edit after a signature voids it (RULES §1)."""

    __tablename__ = "signature"

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    operator_id: int = Field(sa_column=_bigint(nullable=False))
    operator_name: str
    role: Role = Field(sa_column=enum_column(Role))
    step: int  # 1 = 审核 (review), 2 = 审签 by deputy head / head
    signed_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    void: bool = False


class OutboxItem(SQLModel, table=True):
    """Something to send to Telegram. The worker claims it, sends it, records the result."""

    __tablename__ = "outbox_item"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    draft_id: int | None = Field(default=None, index=True)
    chat_id: int | None = Field(default=None, sa_column=_bigint())
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    dedupe_key: str | None = Field(default=None, unique=True)
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING, sa_column=enum_column(OutboxStatus, index=True)
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(index=True))
    claimed_at: datetime | None = Field(default=None, sa_column=dt_column())
    claimed_by: str | None = None
    sent_message_id: int | None = Field(default=None, sa_column=_bigint(index=True))
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=dt_column())


class AuditRecord(SQLModel, table=True):
    """Append-only audit trail; each record carries the hash of the previous one."""

    __tablename__ = "audit_record"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    actor_id: int | None = Field(default=None, sa_column=_bigint())  # None = GovReply itself
    action: str = Field(index=True)
    subject_type: str
    subject_id: str = Field(index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    after: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    prev_hash: str = Field(unique=True)
    hash: str


class AuditHead(SQLModel, table=True):
    """One row holding the chain's tip; appends lock it so two processes never fork the chain."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_hash: str
    count: int = 0


class Prompt(SQLModel, table=True):
    """A bot message in the operators' group that asks for a reply (edit text, reject reason)."""

    __tablename__ = "prompt"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=_bigint(nullable=False))
    message_id: int = Field(sa_column=_bigint(nullable=False, index=True))
    draft_id: int = Field(index=True)
    action: str
    operator_id: int = Field(sa_column=_bigint(nullable=False))
    # The card version the operator pressed on: a reply to the prompt acts on that version
    # only, so a reason never signs wording changed after it was asked for.
    version: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))


class DeepLinkToken(SQLModel, table=True):
    """Single-use token behind t.me/<bot>?start=<token> for replies that must be private."""

    __tablename__ = "deep_link_token"

    token: str = Field(primary_key=True, max_length=64)
    draft_id: int = Field(index=True)
    user_id: int = Field(sa_column=_bigint(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    expires_at: datetime = Field(sa_column=dt_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=dt_column())


# --- web console (bot/console) ------------------------------------------------------------------


class ConsoleToken(SQLModel, table=True):
    """A single-use console login link the bot sends on /console; only its hash is stored."""

    __tablename__ = "console_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    operator_id: int = Field(sa_column=_bigint(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    expires_at: datetime = Field(sa_column=dt_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=dt_column())


class ConsoleSession(SQLModel, table=True):
    """A browser session started from a login link; the cookie carries its signed id."""

    __tablename__ = "console_session"

    id: str = Field(primary_key=True, max_length=64)
    operator_id: int = Field(sa_column=_bigint(nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    expires_at: datetime = Field(sa_column=dt_column(nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=dt_column())


class KBChangeState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class KBChange(SQLModel, table=True):
    """A change to an important or major Q&A entry, waiting for the deputy head's or head's
    sign-off before it goes live (RULES §1 applied to the 咨询答问库)."""

    __tablename__ = "kb_change"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(index=True, max_length=64)
    kind: str = "edit"  # "create", "edit", "retire" or "restore" (kb_changes.APPLIED)
    base_version: int | None = None
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    reason: str = ""
    needed_role: Role = Field(sa_column=enum_column(Role))
    state: KBChangeState = Field(
        default=KBChangeState.PENDING, sa_column=enum_column(KBChangeState, index=True)
    )
    proposed_by: int = Field(sa_column=_bigint(nullable=False))
    proposed_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    decided_by: int | None = Field(default=None, sa_column=_bigint())
    decided_at: datetime | None = Field(default=None, sa_column=dt_column())
    decision_note: str = ""


# --- cases (issue 6 §2–§4) ----------------------------------------------------------------------


class CaseKind(StrEnum):
    COMPLAINT = "complaint"
    IMPERSONATION_REPORT = "impersonation_report"
    SENSITIVE_INCIDENT = "sensitive_incident"
    ERROR_REPORT = "error_report"  # a citizen's 纠错: published information is wrong (RULES §7)
    ILLEGAL_CONTENT = "illegal_content"  # suspected illegal content (Weibo measures Art. 14)


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    CLOSED = "closed"


class ChecklistStep(StrEnum):
    """Steps of the cases that have a checklist: RULES §6's four for an impersonating account;
    evidence kept and reported for suspected illegal content (Weibo measures Art. 14)."""

    EVIDENCE_KEPT = "evidence_kept"  # 保存证据 (GovReply ticks it: the message is on record)
    VERIFIED = "verified"  # 立即排查核实
    REPORTED_TO_AUTHORITIES = "reported_to_authorities"  # 报网信、公安
    PLATFORM_LETTER_SENT = "platform_letter_sent"  # 致函平台运营方
    FILED_WITH_SUPERVISOR = "filed_with_supervisor"  # 报主管单位备案


class TicketCounter(SQLModel, table=True):
    """The last ticket number given out in a year; allocation locks this row."""

    __tablename__ = "ticket_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class Case(SQLModel, table=True):
    """A complaint, impersonation report, sensitive incident, error report or suspected
    illegal content followed until closed.

    `checklist` maps a ChecklistStep value to {"by": operator id, "name": ..., "at": iso time}
    for the steps ticked so far (kinds with a checklist only, `cases.CHECKLISTS`)."""

    __tablename__ = "case_file"  # "case" is an SQL keyword

    id: int | None = Field(default=None, primary_key=True)
    ticket: str = Field(unique=True, max_length=32)
    kind: CaseKind = Field(sa_column=enum_column(CaseKind))
    status: CaseStatus = Field(
        default=CaseStatus.OPEN, sa_column=enum_column(CaseStatus, index=True)
    )
    message_id: int = Field(foreign_key="citizen_message.id", unique=True)
    draft_id: int | None = Field(default=None, index=True)
    assignee_id: int | None = Field(default=None, sa_column=_bigint())
    outcome: str | None = Field(default=None, sa_column=Column(Text))
    reported_name: str = ""
    reported_handle: str = ""
    reported_link: str = ""
    reported_platform: str = ""
    screenshot_file_ids: list[str] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    checklist: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    version: int = 1
    card_chat_id: int | None = Field(default=None, sa_column=_bigint())
    card_message_id: int | None = Field(default=None, sa_column=_bigint(index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=dt_column())
    last_reminded_at: datetime | None = Field(default=None, sa_column=dt_column())


class CaseEvent(SQLModel, table=True):
    """One line of a case's history: who did what, when, with an optional comment."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    actor_id: int | None = Field(default=None, sa_column=_bigint())  # None = GovReply
    actor_name: str = ""
    action: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))


class CasePrompt(SQLModel, table=True):
    """A bot message in the operators' group waiting for a reply about a case (outcome,
    comment). Kept apart from draft prompts so a reply is never taken for a draft action."""

    __tablename__ = "case_prompt"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=_bigint(nullable=False))
    message_id: int = Field(sa_column=_bigint(nullable=False, index=True))
    case_id: int = Field(foreign_key="case_file.id", index=True)
    action: str
    operator_id: int = Field(sa_column=_bigint(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))


class ChannelPost(SQLModel, table=True):
    """A post of the account's own channel (RULES §7: how often the account is updated)."""

    __tablename__ = "channel_post"
    __table_args__ = (UniqueConstraint("channel_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(sa_column=_bigint(nullable=False))
    message_id: int = Field(sa_column=_bigint(nullable=False))
    posted_at: datetime = Field(sa_column=dt_column(nullable=False, index=True))
    original: bool = True  # False: forwarded from another source (a repost)
    video: bool = False
    # A repost the unit was required to make (上级要求转发): counts with originals toward
    # the 30 % share (RULES §7). Known for reposts published through GovReply.
    mandated: bool = False
    album: bool = False  # one of several messages sent together: the album counts once


# --- channel posts under sign-off (RULES §1) -----------------------------------------------------


class PostKind(StrEnum):
    ORIGINAL = "original"  # written by the unit: stamped 拟稿人 / 审核人 / 审签人
    REPOST = "repost"  # another source's content: stamped with its source and reviewer


class PostDraft(SQLModel, table=True):
    """A post for the account's channel under tiered sign-off, like a reply: nothing goes out
    under the account's name unreviewed (RULES §1). `version` is bumped on every change and
    transitions are compare-and-swap on it, as for drafts."""

    __tablename__ = "post_draft"

    id: int | None = Field(default=None, primary_key=True)
    kind: PostKind = Field(default=PostKind.ORIGINAL, sa_column=enum_column(PostKind))
    source: str = ""  # a repost's source, named on the post
    mandated: bool = False  # a repost required by a higher authority (上级要求转发)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # A picture, video or file to publish with the text (as its caption): the operator's
    # message in the group that carries it, copied to the channel when signed off.
    media_kind: str | None = None  # "photo", "video" or "document"
    media_chat_id: int | None = Field(default=None, sa_column=_bigint())
    media_message_id: int | None = Field(default=None, sa_column=_bigint())
    # An album (2-10 pictures or videos sent together): its items {"kind", "file_id"} in
    # order, published as one media group; media_* then name its first message.
    album: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    album_message_ids: list[int] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )  # the channel messages of a published album (the first is published_message_id)
    publish_at: datetime | None = Field(default=None, sa_column=dt_column())  # 定时发布
    tier: Tier = Field(default=Tier.ORDINARY, sa_column=enum_column(Tier))
    tier_reason: str = ""
    state: DraftState = Field(
        default=DraftState.PENDING, sa_column=enum_column(DraftState, index=True)
    )
    version: int = 1
    drafter_id: int = Field(sa_column=_bigint(nullable=False))
    edited_by: list[int] = Field(default_factory=list, sa_column=json_column(nullable=False))
    compliance: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_column(nullable=False)
    )
    override_reason: str | None = None
    override_by: int | None = Field(default=None, sa_column=_bigint())
    reject_reason: str | None = None
    notice: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=dt_column())
    published_at: datetime | None = Field(default=None, sa_column=dt_column())
    channel_id: int | None = Field(default=None, sa_column=_bigint())
    published_message_id: int | None = Field(default=None, sa_column=_bigint())
    card_chat_id: int | None = Field(default=None, sa_column=_bigint())
    card_message_id: int | None = Field(default=None, sa_column=_bigint(index=True))
    # 更正 / 撤回 after publication, as for replies (Draft): a correction replaces the text of
    # the post `corrects_id` in the channel; a withdrawn post is taken down.
    corrects_id: int | None = Field(default=None, foreign_key="post_draft.id", index=True)
    withdrawn_at: datetime | None = Field(default=None, sa_column=dt_column())
    withdrawn_by: int | None = Field(default=None, sa_column=_bigint())
    withdraw_reason: str | None = None


class PostSignature(SQLModel, table=True):
    """One signature on a channel post (step 1 = 审核, 2 = 审签), void after an edit."""

    __tablename__ = "post_signature"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post_draft.id", index=True)
    operator_id: int = Field(sa_column=_bigint(nullable=False))
    operator_name: str
    role: Role = Field(sa_column=enum_column(Role))
    step: int
    signed_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    void: bool = False


class FilingKind(StrEnum):
    OPEN = "open"  # 开设
    CHANGE = "change"  # 变更
    CLOSE = "close"  # 注销


class AccountFiling(SQLModel, table=True):
    """One filing of the account with its supervising office (分级备案, RULES §8): the facts
    filed, so later changes to them can be noticed and filed in turn."""

    __tablename__ = "account_filing"

    id: int | None = Field(default=None, primary_key=True)
    kind: FilingKind = Field(sa_column=enum_column(FilingKind))
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    reason: str = ""
    filed_by: str = ""
    filed_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))


class GroupMedia(SQLModel, table=True):
    """A picture, video or file of an album an operator sent in the operators' group: Telegram
    delivers an album as one message per item, so its items are kept to publish it whole."""

    __tablename__ = "group_media"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=_bigint(nullable=False))
    message_id: int = Field(sa_column=_bigint(nullable=False))
    media_group_id: str = Field(index=True, max_length=64)
    kind: str  # "photo", "video" or "document"
    file_id: str
    caption: str = ""
    received_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
