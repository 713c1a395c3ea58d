"""Cases (issue 6 §2, §3): complaints, impersonation reports and sensitive incidents followed
from opening to a recorded outcome.

A case has a ticket number GR-<year>-<6 digits>, a status (open, in progress, waiting,
closed), an assignee, and a history of CaseEvents. Impersonation reports carry the reported
account, the citizen's screenshots and the RULES §6 checklist; until every step is ticked,
`remind_open_checklists` re-posts a reminder to the operators.

Every function takes the caller's Session and writes the change, its history line, its audit
record and any outbox work (the case card refresh) in that one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from knowledge_base.sqltypes import utcnow
from workflow import audit, outbox
from workflow.calendar import LOCAL_TZ
from workflow.departments import DepartmentDirectory
from workflow.errors import InvalidTransition, NotAuthorised, NotFound
from workflow.illegal_content import IllegalReportInfo
from workflow.impersonation import ImpersonationCaseInfo, ReportedAccount
from workflow.models import (
    Case,
    CaseEvent,
    CaseKind,
    CasePrompt,
    CaseStatus,
    ChecklistStep,
    CitizenMessage,
    Role,
    TicketCounter,
)
from workflow.operators import name_of
from workflow.review import can_give, operator_for, signer_for

TICKET_PREFIX = "GR"
S = ChecklistStep
CHECKLISTS: dict[CaseKind, tuple[ChecklistStep, ...]] = {
    CaseKind.IMPERSONATION_REPORT: (
        S.VERIFIED,
        S.REPORTED_TO_AUTHORITIES,
        S.PLATFORM_LETTER_SENT,
        S.FILED_WITH_SUPERVISOR,
    ),
    # Weibo measures Art. 14: suspected illegal content is reported to the competent authority.
    CaseKind.ILLEGAL_CONTENT: (S.EVIDENCE_KEPT, S.REPORTED_TO_AUTHORITIES),
}
# The .docx a kind's "generate documents" button produces (bot/case_delivery renders them).
DOCUMENTS: dict[CaseKind, tuple[str, ...]] = {
    CaseKind.IMPERSONATION_REPORT: ("platform_letter", "filing_record"),
    CaseKind.ILLEGAL_CONTENT: ("authority_report",),
}


# Cases sent on to the department concerned, and the least role that decides it: a
# complaint is passed on for handling (its acknowledgement says so); a sudden major event is
# forwarded by procedure (RULES §5), on a leader's word.
FORWARDABLE: dict[CaseKind, Role] = {
    CaseKind.COMPLAINT: Role.REVIEWER,
    CaseKind.SENSITIVE_INCIDENT: Role.DEPUTY_HEAD,
}


def steps_of(kind: CaseKind) -> tuple[ChecklistStep, ...]:
    """The checklist of a case kind, in order (empty for kinds without one)."""
    return CHECKLISTS.get(kind, ())


# --- tickets -----------------------------------------------------------------------------------


def format_ticket(year: int, number: int) -> str:
    return f"{TICKET_PREFIX}-{year}-{number:06d}"


def allocate_ticket(session: Session, now: datetime | None = None) -> str:
    """The next ticket number of the (local) year; safe with concurrent writers.

    The year's counter row is locked FOR UPDATE (PostgreSQL) or written under BEGIN IMMEDIATE
    (SQLite), so two transactions never get the same number. The first ticket of a year
    inserts the row; if another transaction inserted it first, the unique key refuses ours
    and we lock theirs.
    """
    year = (now or utcnow()).astimezone(LOCAL_TZ).year
    query = select(TicketCounter).where(TicketCounter.year == year).with_for_update()
    counter = session.exec(query).first()
    if counter is None:
        try:
            with session.begin_nested():
                session.add(TicketCounter(year=year, last=0))
                session.flush()
        except IntegrityError:
            pass  # another transaction created this year's counter first
        counter = session.exec(query).one()
    counter.last += 1
    session.add(counter)
    session.flush()
    return format_ticket(year, counter.last)


# --- read models -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    step: ChecklistStep
    done: bool
    by: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    action: str
    comment: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class CaseView:
    """What a front end shows of a case (no unmasked personal data)."""

    id: int
    ticket: str
    kind: CaseKind
    status: CaseStatus
    version: int
    assignee: str | None
    message_redacted: str
    label: str
    outcome: str | None
    created_at: datetime
    closed_at: datetime | None
    account: ReportedAccount
    screenshots: int
    checklist: list[StepView]
    events: list[EventView]
    # What GovReply found when it opened the case (suspected illegal content: category,
    # matched words, whether the comment was removed and its author restricted).
    facts: dict[str, Any]
    card_chat_id: int | None
    card_message_id: int | None

    @property
    def is_open(self) -> bool:
        return self.status is not CaseStatus.CLOSED

    @property
    def is_impersonation(self) -> bool:
        return self.kind is CaseKind.IMPERSONATION_REPORT

    @property
    def has_checklist(self) -> bool:
        return bool(self.checklist)

    @property
    def documents(self) -> tuple[str, ...]:
        return DOCUMENTS.get(self.kind, ())

    @property
    def forwardable(self) -> bool:
        return self.kind in FORWARDABLE

    @property
    def checklist_complete(self) -> bool:
        return all(s.done for s in self.checklist)


def _name(session: Session, operator_id: int | None) -> str:
    return "GovReply" if operator_id is None else name_of(session, operator_id)


def _steps(case: Case) -> list[StepView]:
    out = []
    for step in steps_of(case.kind):
        tick = case.checklist.get(step.value)
        at = datetime.fromisoformat(tick["at"]) if tick else None
        out.append(StepView(step, tick is not None, tick.get("name", "") if tick else "", at))
    return out


def view_of(session: Session, case: Case, events: int = 8) -> CaseView:
    assert case.id is not None
    message = session.get(CitizenMessage, case.message_id)
    rows = list(
        session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(col(CaseEvent.id).desc())
            .limit(events)
        )
    )
    return CaseView(
        id=case.id,
        ticket=case.ticket,
        kind=case.kind,
        status=case.status,
        version=case.version,
        assignee=_name(session, case.assignee_id) if case.assignee_id is not None else None,
        message_redacted=message.text_redacted if message else "",
        label=message.label if message else "",
        outcome=case.outcome,
        created_at=case.created_at,
        closed_at=case.closed_at,
        account=ReportedAccount(
            case.reported_name, case.reported_handle, case.reported_link, case.reported_platform
        ),
        screenshots=len(case.screenshot_file_ids),
        checklist=_steps(case),
        facts=_opening(session, case) if case.kind is CaseKind.ILLEGAL_CONTENT else {},
        events=[
            EventView(e.at, e.actor_name, e.action, e.comment, e.detail) for e in reversed(rows)
        ],
        card_chat_id=case.card_chat_id,
        card_message_id=case.card_message_id,
    )


def _opening(session: Session, case: Case) -> dict[str, Any]:
    """The detail of the case's opening history line."""
    event = session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == "opened")
        .order_by(col(CaseEvent.id))
    ).first()
    return dict(event.detail) if event else {}


def get_case(session: Session, ticket: str, events: int = 8) -> CaseView:
    """The case with this ticket number (case-insensitive), with its last `events` history lines.

    Raises:
        NotFound: no case has this ticket.
    """
    case = session.exec(select(Case).where(Case.ticket == ticket.strip().upper())).first()
    if case is None:
        raise NotFound("case", ticket)
    return view_of(session, case, events)


def load_case(session: Session, case_id: int) -> CaseView:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    return view_of(session, case)


UNASSIGNED = 0  # `assignee_id` filter value for cases nobody has taken


def list_cases(
    session: Session,
    status: CaseStatus | None = None,
    include_closed: bool = False,
    limit: int = 50,
    kind: CaseKind | None = None,
    assignee_id: int | None = None,
) -> list[CaseView]:
    """Cases newest first: of one status, or every open one (all with include_closed);
    optionally of one kind and one assignee (`UNASSIGNED` for nobody's)."""
    query = select(Case).order_by(col(Case.id).desc()).limit(limit)
    if status is not None:
        query = query.where(Case.status == status)
    elif not include_closed:
        query = query.where(Case.status != CaseStatus.CLOSED)
    if kind is not None:
        query = query.where(Case.kind == kind)
    if assignee_id == UNASSIGNED:
        query = query.where(col(Case.assignee_id).is_(None))
    elif assignee_id is not None:
        query = query.where(Case.assignee_id == assignee_id)
    return [view_of(session, c, events=0) for c in session.exec(query)]


# --- transitions -------------------------------------------------------------------------------


def _lock(session: Session, case_id: int) -> Case:
    case = session.exec(select(Case).where(Case.id == case_id).with_for_update()).first()
    if case is None:
        raise NotFound("case", case_id)
    return case


def _event(
    session: Session,
    case: Case,
    action: str,
    actor_id: int | None,
    detail: dict[str, Any] | None = None,
    comment: str | None = None,
) -> None:
    """History line, audit record and card refresh for one change of `case`."""
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor_id,
            actor_name=_name(session, actor_id),
            action=action,
            detail=detail or {},
            comment=comment,
        )
    )
    after = dict(detail or {})
    if comment is not None:
        after["comment"] = comment
    audit.record(session, f"case_{action}", "case", case.ticket, actor_id=actor_id, after=after)
    case.version += 1
    case.updated_at = utcnow()
    session.add(case)
    enqueue_case_card(session, case)


def enqueue_case_card(session: Session, case: Case) -> None:
    """Send or refresh the case card, unless a refresh is already waiting (it renders at send)."""
    if not outbox.is_waiting(session, outbox.Kind.CASE_CARD, case_id=case.id):
        outbox.enqueue(session, outbox.Kind.CASE_CARD, payload={"case_id": case.id})


def case_of_message(session: Session, message_id: int) -> Case | None:
    return session.exec(select(Case).where(Case.message_id == message_id)).first()


def open_case(
    session: Session,
    kind: CaseKind,
    message: CitizenMessage,
    draft_id: int | None = None,
    account: ReportedAccount | None = None,
    disputes_draft: int | None = None,
    detail: dict[str, Any] | None = None,
    done: tuple[ChecklistStep, ...] = (),
) -> Case:
    """Open a case for a citizen's message (one case per message: a replay returns it).

    `disputes_draft`: for an error report, the published draft the citizen replied to.
    `detail`: more for the opening history line; `done`: checklist steps GovReply itself has
    already done (ticked in its name).
    """
    existing = case_of_message(session, message.id or 0)
    if existing is not None:
        return existing
    account = account or ReportedAccount()
    case = Case(
        ticket=allocate_ticket(session),
        kind=kind,
        message_id=message.id or 0,
        draft_id=draft_id,
        reported_name=account.name,
        reported_handle=account.handle,
        reported_link=account.link,
        reported_platform=account.platform,
        screenshot_file_ids=list(message.photo_file_ids),
        checklist={
            step.value: {"by": None, "name": "GovReply", "at": utcnow().isoformat()}
            for step in done
        },
    )
    session.add(case)
    session.flush()
    detail = {
        "kind": kind.value,
        "message_id": message.id,
        "draft_id": draft_id,
        **(detail or {}),
    }
    if disputes_draft is not None:
        detail["disputes_draft"] = disputes_draft
    if kind is CaseKind.IMPERSONATION_REPORT:
        detail |= {
            "account": account.name,
            "handle": account.handle,
            "link": account.link,
            "platform": account.platform,
            "screenshots": len(case.screenshot_file_ids),
        }
    _event(session, case, "opened", None, detail)
    return case


def assign(session: Session, case_id: int, user_id: int, assignee_id: int | None = None) -> Case:
    """Give the case to `assignee_id` (default: the operator acting)."""
    operator_for(session, user_id)
    target = operator_for(session, assignee_id if assignee_id is not None else user_id)
    case = _lock(session, case_id)
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"case {case.ticket} is closed")
    if case.assignee_id == target.telegram_id:
        return case
    before = case.assignee_id
    case.assignee_id = target.telegram_id
    _event(
        session,
        case,
        "assigned",
        user_id,
        {"before": before, "assignee": target.telegram_id, "name": target.name},
    )
    return case


def comment(session: Session, case_id: int, user_id: int, text: str) -> Case:
    """Add a comment to the case's history."""
    text = text.strip()
    if not text:
        raise InvalidTransition("a comment needs some text")
    operator_for(session, user_id)
    case = _lock(session, case_id)
    _event(session, case, "commented", user_id, comment=text)
    return case


def set_status(session: Session, case_id: int, user_id: int, status: CaseStatus) -> Case:
    """Move an open case to open / in progress / waiting; closing goes through `close`.

    Raises:
        InvalidTransition: the case is closed, or `status` is closed.
    """
    operator_for(session, user_id)
    if status is CaseStatus.CLOSED:
        raise InvalidTransition("closing a case needs an outcome")
    case = _lock(session, case_id)
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"case {case.ticket} is closed")
    if case.status is status:
        return case
    before = case.status
    case.status = status
    _event(
        session, case, "status_changed", user_id, {"before": before.value, "status": status.value}
    )
    return case


def close(session: Session, case_id: int, user_id: int, outcome: str) -> Case:
    """Close the case with its outcome on record. A case whose checklist is not all ticked
    (RULES §6's four steps for an impersonation report) is closed only by a deputy head or
    head, who decides the rest does not apply (the account turned out genuine); the steps
    left undone stay on record. Closing ends the reminders, so nobody else may skip them.

    Raises:
        InvalidTransition: no outcome, the case is already closed, or steps are unticked
            and the operator is not a deputy head or head.
    """
    outcome = outcome.strip()
    if not outcome:
        raise InvalidTransition("closing a case needs an outcome")
    operator = operator_for(session, user_id)
    case = _lock(session, case_id)
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"case {case.ticket} is already closed")
    skipped = [s.value for s in steps_of(case.kind) if s.value not in case.checklist]
    if skipped and not can_give(operator.role, Role.DEPUTY_HEAD):
        raise InvalidTransition(f"case {case.ticket} has unticked checklist steps")
    before = case.status
    case.status = CaseStatus.CLOSED
    case.outcome = outcome
    case.closed_at = utcnow()
    detail: dict[str, Any] = {"before": before.value, "outcome": outcome}
    if skipped:
        detail["skipped"] = skipped
    _event(session, case, "closed", user_id, detail)
    return case


def tick_step(session: Session, case_id: int, user_id: int, step: ChecklistStep) -> Case:
    """Tick one checklist step of a case (RULES §6 for an impersonation report, reporting for
    suspected illegal content); ticking twice keeps the first tick.

    Raises:
        InvalidTransition: the step is not on this kind's checklist, or the case is closed.
        NotAuthorised: not a reviewer, deputy head or head (what is ticked is on their word).
    """
    operator = signer_for(session, user_id)
    case = _lock(session, case_id)
    steps = steps_of(case.kind)
    if step not in steps:
        raise InvalidTransition(f"case {case.ticket} has no such checklist step")
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"case {case.ticket} is closed")
    if step.value in case.checklist:
        return case
    case.checklist = {
        **case.checklist,
        step.value: {"by": user_id, "name": operator.name, "at": utcnow().isoformat()},
    }
    _event(
        session,
        case,
        "step_ticked",
        user_id,
        {"step": step.value, "done": len(case.checklist), "of": len(steps)},
    )
    return case


def forward(session: Session, case_id: int, user_id: int, directory: DepartmentDirectory) -> str:
    """Send the case, de-identified, to the department the directory names for it (by its
    chat or e-mail), once; returns the department's name.

    Raises:
        NotAuthorised: the operator's role may not decide it (an incident: a deputy head).
        InvalidTransition: a kind that is not forwarded, a closed case, no reachable
            department, or forwarded already.
    """
    operator = operator_for(session, user_id)
    case = _lock(session, case_id)
    needed = FORWARDABLE.get(case.kind)
    if needed is None:
        raise InvalidTransition(f"case {case.ticket} is not forwarded to departments")
    if not can_give(operator.role, needed):
        raise NotAuthorised(user_id, needed.value)
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition(f"case {case.ticket} is closed")
    message = session.get(CitizenMessage, case.message_id)
    if message is None:
        raise NotFound("message", case.message_id)
    department = directory.pick(message.text)
    if department is None:
        raise InvalidTransition(f"case {case.ticket} has no reachable department")
    params = {"ticket": case.ticket, "department": department.name, "text": message.text_redacted}
    queued = outbox.enqueue_to_department(
        session,
        department,
        "case_forward",
        params,
        f"case_forward:{case.id}",
        subject="case_forward_subject",
    )
    if queued is None:
        raise InvalidTransition(f"case {case.ticket} was forwarded already")
    via = "telegram" if department.chat_id is not None else "email"
    _event(session, case, "forwarded", user_id, {"name": department.name, "via": via})
    return department.name


def request_documents(session: Session, case_id: int, user_id: int, chat_id: int | None) -> Case:
    """Queue the case's documents (.docx) for the operators' group: the platform letter and
    filing record of an impersonation report, the report form of suspected illegal content."""
    operator_for(session, user_id)
    case = _lock(session, case_id)
    documents = DOCUMENTS.get(case.kind, ())
    if not documents:
        raise InvalidTransition(f"case {case.ticket} has no documents")
    for document in documents:
        outbox.enqueue(
            session,
            outbox.Kind.DOCUMENT,
            chat_id=chat_id,
            payload={"case_id": case.id, "document": document},
        )
    _event(
        session,
        case,
        "documents_generated",
        user_id,
        {"documents": list(documents)},
    )
    return case


def record_card_sent(session: Session, case_id: int, chat_id: int, message_id: int) -> None:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    if case.card_message_id != message_id:
        case.card_chat_id = chat_id
        case.card_message_id = message_id
        session.add(case)


def case_for_card(session: Session, chat_id: int, message_id: int) -> int | None:
    return session.exec(
        select(Case.id).where(Case.card_chat_id == chat_id, Case.card_message_id == message_id)
    ).first()


# --- prompts (outcome, comment by reply) ------------------------------------------------------


def record_prompt(
    session: Session, chat_id: int, message_id: int, case_id: int, action: str, operator_id: int
) -> None:
    session.add(
        CasePrompt(
            chat_id=chat_id,
            message_id=message_id,
            case_id=case_id,
            action=action,
            operator_id=operator_id,
        )
    )


def find_prompt(session: Session, chat_id: int, message_id: int) -> tuple[int, str] | None:
    """(case_id, action) of the case prompt that is this message, if any."""
    row = session.exec(
        select(CasePrompt).where(
            CasePrompt.chat_id == chat_id, CasePrompt.message_id == message_id
        )
    ).first()
    return (row.case_id, row.action) if row else None


# --- documents and reminders -------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """The account owner, as the generated documents name it (settings)."""

    name: str
    official_account: str = ""
    supervising_office: str = ""


def document_info(session: Session, case_id: int, unit: Unit) -> ImpersonationCaseInfo:
    """What the platform letter and filing record need, from the case as it stands."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    message = session.get(CitizenMessage, case.message_id)
    steps = {s.step: s for s in _steps(case)}

    def when(step: ChecklistStep) -> str:
        at = steps[step].at
        return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at else ""

    shots = len(case.screenshot_file_ids)
    evidence = [f"市民提供的截图{shots}张"] if shots else []
    if case.reported_link:
        evidence.append(f"账号链接 {case.reported_link}")
    return ImpersonationCaseInfo(
        ticket=case.ticket,
        unit_name=unit.name,
        account=ReportedAccount(
            case.reported_name, case.reported_handle, case.reported_link, case.reported_platform
        ),
        official_account=unit.official_account,
        supervising_office=unit.supervising_office,
        reported_at=(message.received_at if message else case.created_at)
        .astimezone(LOCAL_TZ)
        .strftime("%Y-%m-%d %H:%M"),
        verified_at=when(ChecklistStep.VERIFIED),
        authorities_reported=when(ChecklistStep.REPORTED_TO_AUTHORITIES),
        letter_sent=when(ChecklistStep.PLATFORM_LETTER_SENT),
        evidence=tuple(evidence),
        outcome=case.outcome or "",
        handler=_name(session, case.assignee_id) if case.assignee_id else "",
        date=utcnow().astimezone(LOCAL_TZ).date(),
    )


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def report_info(
    session: Session, case_id: int, unit: Unit, unmasked: bool = False
) -> IllegalReportInfo:
    """What the report of suspected illegal content needs, from the case as it stands.

    `unmasked` puts the original text in (the evidence for the authority; the admin's
    export only, never the operators' group).

    Raises:
        NotFound: no such case.
        InvalidTransition: the case is not suspected illegal content.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    if case.kind is not CaseKind.ILLEGAL_CONTENT:
        raise InvalidTransition(f"case {case.ticket} is not suspected illegal content")
    message = session.get(CitizenMessage, case.message_id)
    if message is None:
        raise NotFound("message", case.message_id)
    facts = _opening(session, case)
    tick = case.checklist.get(ChecklistStep.REPORTED_TO_AUTHORITIES.value)
    reported = f"{tick['name']}，{_local(datetime.fromisoformat(tick['at']))}" if tick else ""
    return IllegalReportInfo(
        ticket=case.ticket,
        unit_name=unit.name,
        official_account=unit.official_account,
        category=str(facts.get("category", "")),
        matched=tuple(facts.get("matched", ())),
        chat_kind=message.chat_kind.value,
        sender=message.user_name,
        sender_id=message.user_id,
        sent_at=_local(message.sent_at),
        chat_id=message.chat_id,
        message_id=message.message_id,
        text=message.text if unmasked else message.text_redacted,
        unmasked=unmasked,
        photos=len(case.screenshot_file_ids),
        removed=bool(facts.get("removed")),
        restricted_hours=float(facts.get("restricted_hours") or 0),
        reported_at=reported,
        handler=_name(session, case.assignee_id) if case.assignee_id else "",
        date=utcnow().astimezone(LOCAL_TZ).date(),
    )


def export_evidence(session: Session, ticket: str, unit: Unit, by: str) -> IllegalReportInfo:
    """The unmasked report of a case of suspected illegal content, for the authority; the
    export of personal data is itself on the audit trail (`by`: who ran it)."""
    view = get_case(session, ticket, events=0)
    info = report_info(session, view.id, unit, unmasked=True)
    audit.record(session, "case_evidence_exported", "case", view.ticket, after={"by": by})
    return info


def remind_open_checklists(
    session: Session, now: datetime, interval: timedelta, chat_id: int | None = None
) -> list[str]:
    """Post a reminder for each open case with a checklist (impersonation reports, suspected
    illegal content) that is not complete and was not reminded (or opened) within
    `interval`; returns their tickets."""
    query = (
        select(Case)
        .where(col(Case.kind).in_(list(CHECKLISTS)), Case.status != CaseStatus.CLOSED)
        .order_by(col(Case.id))
        .with_for_update(skip_locked=True)
    )
    reminded = []
    for case in session.exec(query):
        missing = [s.value for s in steps_of(case.kind) if s.value not in case.checklist]
        if not missing:
            continue
        last = case.last_reminded_at or case.created_at
        if now - last < interval:
            continue
        case.last_reminded_at = now
        session.add(case)
        outbox.enqueue(
            session,
            outbox.Kind.NOTICE,
            chat_id=chat_id,
            payload={
                "template": f"case_reminder_{case.kind.value}",
                "reply_to": case.card_message_id,
                "params": {"ticket": case.ticket, "n": len(missing)},
            },
        )
        audit.record(session, "case_reminded", "case", case.ticket, after={"missing": missing})
        reminded.append(case.ticket)
    return reminded
