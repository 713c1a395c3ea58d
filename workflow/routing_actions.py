"""What each routing label sets in motion once a message is stored (issue 6 §2–§4).

`apply` runs inside the desk's intake transaction, right after the message and its draft are
written, so a message, its case, its forwards and their audit records commit together:

- complaint / impersonation_report / sensitive_incident: open a case; the citizen's
  acknowledgement with the ticket number becomes the draft's reply (under sign-off), unless the
  admin pre-approved the template, in which case it goes out at once (audited as such).
  Sensitive incidents alert the head(s) in the operators' group (RULES §5) and never use a
  pre-approved acknowledgement.
- suggestion: forwarded, de-identified, to the responsible department (RULES §2); the thanks
  is the draft's reply (or pre-approved).
- petition: the reply is the standard redirect to the 信访 channel (RULES §2), under sign-off.
- spam_ad: deleted from the discussion group, or left and logged (setting); operators told.
- abuse: logged with a per-user count; after repeated offences the user is restricted in the
  discussion group and operators are told (never silently; comments stay open, RULES §2).
- an ad or abuse that is suspected illegal content (gambling, drugs, weapons, fraud, ...:
  `compliance.illegal_content`): a case to report to the competent authority (Weibo measures
  Art. 14) with the evidence on record; a comment is deleted and its author restricted at
  once, whatever the spam setting; the leaders are told by name.

Wording comes from the caller (`RoutingConfig.templates`, from handlers/texts.py); notices
are rendered at send time from their template key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, func, select

from knowledge_base.models import KBEntry
from workflow import audit, cases, operators, outbox, review
from workflow.compliance import (
    ComplianceLists,
    IllegalHit,
    check_reply,
    illegal_content,
    reads_as_report,
)
from workflow.departments import DepartmentDirectory
from workflow.impersonation import extract_reported_account
from workflow.intake import DraftPlan, Incoming, message_on_record
from workflow.models import (
    CaseKind,
    ChatKind,
    ChecklistStep,
    CitizenMessage,
    Draft,
    DraftState,
    Role,
)
from workflow.redaction import redact

logger = logging.getLogger(__name__)

ERROR_REPORT = "error_report"  # the label of a citizen's 纠错 (set by the entry, not by triage)
CASE_LABELS = {
    "complaint": CaseKind.COMPLAINT,
    "impersonation_report": CaseKind.IMPERSONATION_REPORT,
    "sensitive_incident": CaseKind.SENSITIVE_INCIDENT,
    ERROR_REPORT: CaseKind.ERROR_REPORT,
}
# Templates an admin may mark pre-approved (sent at once instead of under sign-off).
PREAPPROVABLE = frozenset({"case_ack", "suggestion_thanks"})
_NO_DRAFT_ACTIONS = (
    "spam_deleted",
    "spam_hidden",
    "spam_logged",
    "abuse_logged",
    "illegal_content_found",
)


@dataclass(frozen=True)
class RoutingConfig:
    """Settings and wording the label actions need (built from Settings and texts.py)."""

    operators_chat_id: int | None = None
    templates: Mapping[str, str] = field(default_factory=dict)
    preapproved: frozenset[str] = frozenset()
    departments: DepartmentDirectory = field(default_factory=DepartmentDirectory)
    spam_delete: bool = True
    abuse_restrict_after: int = 3
    abuse_restrict_hours: float = 24


def apply(
    session: Session,
    incoming: Incoming,
    draft: Draft | None,
    plan: DraftPlan,
    config: RoutingConfig,
    lists: ComplianceLists | None = None,
) -> None:
    """Do the label's work for a message just stored; a re-delivered message does nothing."""
    label = plan.label
    if plan.make_draft and draft is None:
        return  # seen before: its actions ran the first time
    message = message_on_record(session, incoming.chat_id, incoming.message_id)
    if message is None:
        return
    if label in CASE_LABELS:
        _open_case(session, message, draft, CASE_LABELS[label], config, lists)
    elif label == "suggestion":
        _forward_suggestion(session, message, draft, config, lists)
    elif label == "petition" and draft is not None:
        _template_reply(session, draft, message, "petition_redirect", config, lists)
    elif label in ("spam_ad", "abuse") and not _already_done(session, message):
        _moderate(session, message, label, config, lists)


def _moderate(
    session: Session,
    message: CitizenMessage,
    label: str,
    config: RoutingConfig,
    lists: ComplianceLists | None,
) -> bool:
    """Deal with an ad or abuse; True when the comment is being deleted."""
    hit = illegal_content(message.text, lists) if lists is not None else None
    if hit is not None:
        assert lists is not None
        reporter = reads_as_report(message.text, lists)
        return _handle_illegal(session, message, hit, config, reporter)
    if label == "abuse":
        _handle_abuse(session, message, config)
        return False
    return _handle_spam(session, message, config)


def reroute_after_edit(
    session: Session,
    message: CitizenMessage,
    draft: Draft | None,
    plan: DraftPlan,
    config: RoutingConfig,
    lists: ComplianceLists | None = None,
) -> None:
    """An edit that makes a message a complaint, impersonation report, sensitive incident or
    error report opens its case (and alerts the heads), one that makes it a suggestion
    forwards it and one that makes it a petition answers with the 信访 redirect, as the
    first version would have; each at most once per message.

    What routing did for the first version stands. `draft` is the draft whose reply may
    become the acknowledgement or thanks: None when an operator wrote the reply or it is
    decided.
    """
    kind = CASE_LABELS.get(plan.label)
    if kind is not None and cases.case_of_message(session, message.id or 0) is None:
        _relabel(session, message, plan)
        _open_case(session, message, draft, kind, config, lists)
    elif plan.label == "suggestion" and not audit.exists(
        session, "message", message.id, ["suggestion_forwarded"]
    ):
        _relabel(session, message, plan)
        _forward_suggestion(session, message, draft, config, lists)
    elif plan.label == "petition" and draft is not None:
        _relabel(session, message, plan)
        _template_reply(session, draft, message, "petition_redirect", config, lists)


def _relabel(session: Session, message: CitizenMessage, plan: DraftPlan) -> None:
    """The message is now what its edited words say."""
    message.label = plan.label
    message.label_confidence = plan.label_confidence
    message.evidence = plan.evidence
    session.add(message)


def moderate_after_edit(
    session: Session,
    message: CitizenMessage,
    draft: Draft | None,
    plan: DraftPlan,
    config: RoutingConfig,
    lists: ComplianceLists | None = None,
) -> bool:
    """An edit that turns a message into an ad, abuse or illegal content is moderated as a
    new one would be (posting something harmless and editing the ad in later is a common
    trick).

    Returns True when that closed the message's pending draft: its comment was deleted, so
    there is nothing left to answer. Otherwise the caller goes on as for any edit.
    """
    if plan.label not in ("spam_ad", "abuse") or _already_done(session, message):
        return False
    _relabel(session, message, plan)
    deleted = _moderate(session, message, plan.label, config, lists)
    if not deleted or draft is None or draft.state is not DraftState.PENDING:
        return False
    review.close_unanswerable(session, draft.id or 0, config.templates["spam_edit_closed"])
    return True


def _already_done(session: Session, message: CitizenMessage) -> bool:
    return audit.exists(session, "message", message.id, _NO_DRAFT_ACTIONS)


def _findings(message: str, reply: str, lists: ComplianceLists | None) -> list[dict[str, Any]]:
    if lists is None:
        return []
    # An admin-written template is not checked for relevance (no similarity): it answers
    # by design with a procedure, not with the content of the question.
    return [
        {"code": str(f.code), "detail": f.detail, "blocking": bool(f.blocking)}
        for f in check_reply(message, reply, None, lists)
    ]


def _template_reply(
    session: Session,
    draft: Draft,
    message: CitizenMessage,
    key: str,
    config: RoutingConfig,
    lists: ComplianceLists | None,
    **params: Any,
) -> None:
    """Make a template the draft's reply; it still goes through sign-off (RULES §1)."""
    text = config.templates[key].format(**params)
    before = draft.text
    draft.text = text
    draft.compliance = _findings(message.text, text, lists)
    session.add(draft)
    audit.record(
        session,
        "reply_templated",
        "draft",
        draft.id,
        actor_id=None,
        before={"text": before},
        after={"template": key, "text": text},
    )


def _notice_citizen(
    session: Session,
    message: CitizenMessage,
    key: str,
    params: dict[str, Any],
    subject: tuple[str, object],
) -> None:
    """Send a pre-approved template at once, replying to the citizen's message."""
    outbox.enqueue(
        session,
        outbox.Kind.NOTICE,
        chat_id=message.chat_id,
        payload={"template": key, "params": params, "reply_to": message.message_id},
        dedupe_key=f"{key}:{message.id}",
    )
    audit.record(
        session,
        "preapproved_sent",
        subject[0],
        subject[1],
        actor_id=None,
        after={"template": key, "params": params, "message_id": message.id},
    )


def _notice_operators(
    session: Session, config: RoutingConfig, key: str, params: dict[str, Any]
) -> None:
    outbox.enqueue(
        session,
        outbox.Kind.NOTICE,
        chat_id=config.operators_chat_id,
        payload={"template": key, "params": params},
    )


# --- cases -------------------------------------------------------------------------------------


def _open_case(
    session: Session,
    message: CitizenMessage,
    draft: Draft | None,
    kind: CaseKind,
    config: RoutingConfig,
    lists: ComplianceLists | None,
) -> None:
    account = (
        extract_reported_account(message.text) if kind is CaseKind.IMPERSONATION_REPORT else None
    )
    disputed = _replied_draft(session, message) if kind is CaseKind.ERROR_REPORT else None
    case = cases.open_case(
        session, kind, message, draft.id if draft else None, account, disputes_draft=disputed
    )
    key = f"case_ack_{kind.value}"
    # RULES §5: a sensitive incident is never answered without the head's sign-off.
    if "case_ack" in config.preapproved and kind is not CaseKind.SENSITIVE_INCIDENT:
        _notice_citizen(session, message, key, {"ticket": case.ticket}, ("case", case.ticket))
    elif draft is not None:
        _template_reply(session, draft, message, key, config, lists, ticket=case.ticket)
    if kind is CaseKind.SENSITIVE_INCIDENT:
        _alert_heads(session, message, draft, case.ticket, config)
    logger.info("case %s opened (%s) for message %s", case.ticket, kind.value, message.id)


def _replied_draft(session: Session, message: CitizenMessage) -> int | None:
    """The published draft whose reply this message answers (same chat), if any."""
    if message.reply_to_message_id is None:
        return None
    row = session.exec(
        select(Draft.id)
        .join(CitizenMessage, col(Draft.message_id) == col(CitizenMessage.id))
        .where(
            CitizenMessage.chat_id == message.chat_id,
            Draft.published_message_id == message.reply_to_message_id,
            col(Draft.corrects_id).is_(None),  # a correction edits its reply's message
        )
    ).first()
    return int(row) if row is not None else None


def _alert_heads(
    session: Session,
    message: CitizenMessage,
    draft: Draft | None,
    ticket: str,
    config: RoutingConfig,
) -> None:
    """RULES §5 / Weibo Art. 13: tell the principal head(s) at once, by name."""
    heads = operators.with_role(session, Role.HEAD)
    mentions = operators.mentions(heads)
    outbox.enqueue(
        session,
        outbox.Kind.ALERT,
        chat_id=config.operators_chat_id,
        payload={
            "template": "incident_alert",
            "mentions": mentions,
            "params": {
                "ticket": ticket,
                "draft": draft.id if draft else "—",
                "text": message.text_redacted[:300],
            },
        },
        dedupe_key=f"incident_alert:{message.id}",
    )
    audit.record(
        session,
        "head_alerted",
        "case",
        ticket,
        actor_id=None,
        after={"heads": [h.telegram_id for h in heads], "message_id": message.id},
    )


# --- suggestions -------------------------------------------------------------------------------


def _forward_suggestion(
    session: Session,
    message: CitizenMessage,
    draft: Draft | None,
    config: RoutingConfig,
    lists: ComplianceLists | None,
) -> None:
    category = department = ""
    if draft is not None and draft.confident and draft.matched_entry_id:
        entry = session.get(KBEntry, draft.matched_entry_id)
        if entry is not None:
            category, department = entry.category, entry.department
    target = config.departments.pick(message.text, category, department)
    # RULES §4: the department gets the de-identified text only (contact masked).
    params = {
        "department": target.name if target else "",
        "ref": message.id,
        "text": message.text_redacted,
    }
    key = f"suggestion:{message.id}"
    if target is not None:
        outbox.enqueue_to_department(session, target, "suggestion_forward", params, key)
        via = "telegram" if target.chat_id is not None else "email"
    else:
        outbox.enqueue(
            session,
            outbox.Kind.NOTICE,
            chat_id=config.operators_chat_id,
            payload={"template": "suggestion_unrouted", "params": params},
            dedupe_key=key,
        )
        via = "operators"
    audit.record(
        session,
        "suggestion_forwarded",
        "message",
        message.id,
        actor_id=None,
        after={
            "department": target.name if target else None,
            "via": via,
            "chat_id": target.chat_id if target else config.operators_chat_id,
            "email": target.email if target else None,
        },
    )
    if "suggestion_thanks" in config.preapproved:
        _notice_citizen(session, message, "suggestion_thanks", {}, ("message", message.id))
    elif draft is not None:
        _template_reply(session, draft, message, "suggestion_thanks", config, lists)


# --- spam and abuse ----------------------------------------------------------------------------


def _handle_spam(session: Session, message: CitizenMessage, config: RoutingConfig) -> bool:
    """Delete (or log) a spam message; True when the comment is being deleted."""
    if message.chat_kind is not ChatKind.DISCUSSION:
        audit.record(
            session,
            "spam_logged",
            "message",
            message.id,
            actor_id=None,
            after={"chat_kind": message.chat_kind.value},
        )
        return False
    if config.spam_delete:
        _delete_comment(session, message)
        action, key = "spam_deleted", "spam_deleted_notice"
    else:
        action, key = "spam_hidden", "spam_hidden_notice"
    audit.record(
        session,
        action,
        "message",
        message.id,
        actor_id=None,
        after={
            "chat_id": message.chat_id,
            "message_id": message.message_id,
            "user_id": message.user_id,
        },
    )
    _notice_operators(
        session, config, key, {"ref": message.id, "text": message.text_redacted[:120]}
    )
    return config.spam_delete


def _handle_illegal(
    session: Session,
    message: CitizenMessage,
    hit: IllegalHit,
    config: RoutingConfig,
    reporter: bool = False,
) -> bool:
    """Weibo measures Art. 14: suspected illegal content is reported to the competent
    authority. The message stays on record unmasked (the evidence); a comment is deleted
    and its author restricted at once, whatever the spam setting (the account may not carry
    it; the comment section stays open); a case with the reporting checklist is opened and
    the leaders are told by name. True when the comment is being deleted. A `reporter` (a
    citizen reporting the offer, quoting it) keeps their voice: the comment goes (it carries
    the offer), but they are not restricted."""
    public = message.chat_kind is ChatKind.DISCUSSION
    hours = 0.0 if reporter else config.abuse_restrict_hours
    if public:
        _delete_comment(session, message)
        if hours > 0:
            _restrict(session, message, hours)
    # Cards and alerts show what matched: masked like the message (a phone in an ad).
    matched = [redact(phrase) for phrase in hit.matched]
    facts = {
        "category": hit.category,
        "matched": matched,
        "removed": public,
        "restricted_hours": hours if public and hours > 0 else 0,
    }
    audit.record(
        session,
        "illegal_content_found",
        "message",
        message.id,
        actor_id=None,
        after={**facts, "user_id": message.user_id, "chat_id": message.chat_id},
    )
    case = cases.open_case(
        session,
        CaseKind.ILLEGAL_CONTENT,
        message,
        detail=facts,
        done=(ChecklistStep.EVIDENCE_KEPT,),
    )
    if not public:
        done = config.templates["illegal_done_private"]
    elif reporter:
        done = config.templates["illegal_done_report"]
    else:
        done = config.templates["illegal_done_comment"].format(hours=f"{hours:g}")
    params = {
        "ticket": case.ticket,
        "category": hit.category,
        "matched": "、".join(matched),
        "text": message.text_redacted[:300],
        "done": done,
    }
    _alert_leaders(session, config, "illegal_content_alert", params, message.id)
    logger.info("case %s: suspected illegal content (%s)", case.ticket, hit.category)
    return public


def _delete_comment(session: Session, message: CitizenMessage) -> None:
    """Queue the comment's deletion (once per message)."""
    outbox.enqueue(
        session,
        outbox.Kind.DELETE,
        chat_id=message.chat_id,
        payload={"message_id": message.message_id},
        dedupe_key=f"spam_delete:{message.id}",
    )


def _restrict(session: Session, message: CitizenMessage, hours: float) -> None:
    """Mute the comment's author in the discussion group for `hours` (once per message)."""
    outbox.enqueue(
        session,
        outbox.Kind.RESTRICT,
        chat_id=message.chat_id,
        payload={"user_id": message.user_id, "hours": hours},
        dedupe_key=f"restrict:{message.id}",
    )


def abuse_count(session: Session, user_id: int) -> int:
    """How many messages of this user were routed as abuse."""
    return int(
        session.exec(
            select(func.count())
            .select_from(CitizenMessage)
            .where(CitizenMessage.user_id == user_id, CitizenMessage.label == "abuse")
        ).one()
    )


def _handle_abuse(session: Session, message: CitizenMessage, config: RoutingConfig) -> None:
    count = abuse_count(session, message.user_id)
    audit.record(
        session,
        "abuse_logged",
        "message",
        message.id,
        actor_id=None,
        after={"user_id": message.user_id, "count": count, "chat_kind": message.chat_kind.value},
    )
    who = {
        "user": message.user_name or str(message.user_id),
        "user_id": message.user_id,
        "count": count,
        "text": message.text_redacted[:120],
    }
    restrict = (
        message.chat_kind is ChatKind.DISCUSSION
        and config.abuse_restrict_after > 0
        and count >= config.abuse_restrict_after
    )
    public = message.chat_kind is ChatKind.DISCUSSION
    if not restrict:
        params = {**who, "limit": config.abuse_restrict_after}
        if public:
            _alert_leaders(session, config, "abuse_comment_alert", params, message.id)
        else:
            _notice_operators(session, config, "abuse_notice", params)
        return
    # The user is muted for a while; the comment section itself stays open (RULES §2).
    hours = config.abuse_restrict_hours
    _restrict(session, message, hours)
    audit.record(
        session,
        "user_restricted",
        "user",
        message.user_id,
        actor_id=None,
        after={
            "chat_id": message.chat_id,
            "hours": hours,
            "count": count,
            "message_id": message.id,
        },
    )
    _alert_leaders(session, config, "abuse_restricted_notice", {**who, "hours": hours}, message.id)


def _alert_leaders(
    session: Session, config: RoutingConfig, key: str, params: dict[str, Any], ref: object
) -> None:
    """Weibo measures Art. 13: improper remarks in comments are reported to the responsible
    leaders at once: the deputy heads (the heads where there is none), by name."""
    leaders = operators.with_role(session, Role.DEPUTY_HEAD) or operators.with_role(
        session, Role.HEAD
    )
    outbox.enqueue(
        session,
        outbox.Kind.ALERT,
        chat_id=config.operators_chat_id,
        payload={
            "template": key,
            "mentions": operators.mentions(leaders),
            "params": params,
        },
        dedupe_key=f"{key}:{ref}",
    )
