"""Cases on real databases: ticket numbers, transitions, history, audit and the RULES §6
checklist, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.db import Database, upgrade
from workflow import audit, cases
from workflow.docx_forms import document_text
from workflow.errors import InvalidTransition, NotAuthorised, NotFound
from workflow.illegal_content import render_authority_report
from workflow.impersonation import ReportedAccount, render_platform_letter
from workflow.models import (
    AuditRecord,
    CaseEvent,
    CaseKind,
    CaseStatus,
    ChatKind,
    ChecklistStep,
    CitizenMessage,
    OutboxItem,
    Role,
)
from workflow.operators import add_operator

REVIEWER, HEAD, STRANGER = 1001, 1004, 6666


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    upgrade(db_url)
    database = Database(db_url)
    database.call(add_operator, REVIEWER, Role.REVIEWER, "王审核")
    database.call(add_operator, HEAD, Role.HEAD, "刘主任")
    yield database
    database.dispose()


def _message(session: Session, n: int, text: str = "我要投诉", photos: int = 0) -> CitizenMessage:
    message = CitizenMessage(
        chat_id=5001,
        chat_kind=ChatKind.PRIVATE,
        message_id=n,
        user_id=5001,
        text=text,
        text_redacted=text,
        photo_file_ids=[f"photo{i}" for i in range(photos)],
        has_photo=bool(photos),
    )
    session.add(message)
    session.flush()
    return message


def _open(db: Database, n: int, kind: CaseKind = CaseKind.COMPLAINT, **kw: object) -> int:
    def run(session: Session) -> int:
        case = cases.open_case(session, kind, _message(session, n, **kw))  # type: ignore[arg-type]
        assert case.id is not None
        return case.id

    return db.call(run)


def test_tickets_have_the_year_and_six_digits_and_count_up(db: Database) -> None:
    first = db.call(cases.allocate_ticket, datetime(2026, 3, 1, tzinfo=UTC))
    second = db.call(cases.allocate_ticket, datetime(2026, 3, 1, tzinfo=UTC))
    assert (first, second) == ("GR-2026-000001", "GR-2026-000002")
    # Local (Beijing) year: 2026-12-31 17:00 UTC is already 2027 in the unit's calendar.
    assert db.call(cases.allocate_ticket, datetime(2026, 12, 31, 17, tzinfo=UTC)) == (
        "GR-2027-000001"
    )


def test_concurrent_allocations_never_share_a_ticket(db: Database) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(pool.map(lambda _: db.call(cases.allocate_ticket), range(40)))
    assert len(set(tickets)) == 40
    numbers = sorted(int(t.rsplit("-", 1)[1]) for t in tickets)
    assert numbers == list(range(1, 41))


def test_concurrent_case_openings_get_distinct_tickets(db: Database) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(lambda n: _open(db, n), range(1, 13)))
    views = db.call(cases.list_cases)
    assert {v.id for v in views} == set(ids)
    assert len({v.ticket for v in views}) == 12
    assert all(re.fullmatch(r"GR-\d{4}-\d{6}", v.ticket) for v in views)


def test_one_case_per_message_even_if_opened_twice(db: Database) -> None:
    def run(session: Session) -> tuple[str, str]:
        message = _message(session, 1)
        a = cases.open_case(session, CaseKind.COMPLAINT, message)
        b = cases.open_case(session, CaseKind.COMPLAINT, message)
        return a.ticket, b.ticket

    first, second = db.call(run)
    assert first == second


def test_status_assign_comment_close_are_in_history_and_audit(db: Database) -> None:
    case_id = _open(db, 1)
    db.call(cases.assign, case_id, REVIEWER)
    db.call(cases.set_status, case_id, REVIEWER, CaseStatus.IN_PROGRESS)
    db.call(cases.set_status, case_id, REVIEWER, CaseStatus.WAITING)
    db.call(cases.comment, case_id, HEAD, "已电话联系市民")
    db.call(cases.close, case_id, REVIEWER, "已督促城管局整改并回复市民")
    view = db.call(cases.load_case, case_id)
    assert view.status is CaseStatus.CLOSED and view.assignee == "王审核"
    assert view.outcome == "已督促城管局整改并回复市民" and view.closed_at is not None

    def rows(session: Session) -> tuple[list[str], list[str], bool]:
        events = [
            e.action
            for e in session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
            )
        ]
        actions = [
            r.action
            for r in session.exec(select(AuditRecord).where(AuditRecord.subject_id == view.ticket))
        ]
        return events, actions, audit.verify(session).ok

    events, actions, chain_ok = db.call(rows)
    assert events == [
        "opened",
        "assigned",
        "status_changed",
        "status_changed",
        "commented",
        "closed",
    ]
    assert actions == [f"case_{e}" for e in events]
    assert chain_ok
    assert [e.actor for e in view.events][-2:] == ["刘主任", "王审核"]


def test_a_closed_case_refuses_changes_and_a_close_needs_an_outcome(db: Database) -> None:
    case_id = _open(db, 1)
    with pytest.raises(InvalidTransition):
        db.call(cases.close, case_id, REVIEWER, "  ")
    with pytest.raises(InvalidTransition):
        db.call(cases.set_status, case_id, REVIEWER, CaseStatus.CLOSED)
    db.call(cases.close, case_id, REVIEWER, "已办结")
    with pytest.raises(InvalidTransition):
        db.call(cases.set_status, case_id, REVIEWER, CaseStatus.IN_PROGRESS)
    with pytest.raises(InvalidTransition):
        db.call(cases.close, case_id, REVIEWER, "再次办结")


def test_only_operators_act_on_cases(db: Database) -> None:
    case_id = _open(db, 1)
    with pytest.raises(NotAuthorised):
        db.call(cases.assign, case_id, STRANGER)
    with pytest.raises(NotAuthorised):
        db.call(cases.comment, case_id, STRANGER, "路过")
    assert db.call(cases.load_case, case_id).assignee is None


def test_list_cases_by_status_and_get_by_ticket(db: Database) -> None:
    a, b = _open(db, 1), _open(db, 2)
    db.call(cases.set_status, b, REVIEWER, CaseStatus.WAITING)
    db.call(cases.close, a, REVIEWER, "已办结")
    assert [v.id for v in db.call(cases.list_cases)] == [b]
    assert [v.id for v in db.call(cases.list_cases, CaseStatus.CLOSED)] == [a]
    ticket = db.call(cases.load_case, b).ticket
    assert db.call(cases.get_case, ticket.lower()).id == b
    with pytest.raises(NotFound):
        db.call(cases.get_case, "GR-1999-000001")


def test_impersonation_checklist_records_who_and_when(db: Database) -> None:
    def run(session: Session) -> int:
        message = _message(session, 1, "抖音上有个冒充公安局的号", photos=2)
        case = cases.open_case(
            session,
            CaseKind.IMPERSONATION_REPORT,
            message,
            account=ReportedAccount("示例市公安局", "shili110", "", "抖音"),
        )
        return case.id or 0

    case_id = db.call(run)
    view = db.call(cases.load_case, case_id)
    assert view.screenshots == 2 and view.account.handle == "shili110"
    assert not view.checklist_complete and len(view.checklist) == 4
    db.call(cases.tick_step, case_id, REVIEWER, ChecklistStep.VERIFIED)
    db.call(cases.tick_step, case_id, HEAD, ChecklistStep.VERIFIED)  # second tick: no change
    view = db.call(cases.load_case, case_id)
    verified = view.checklist[0]
    assert verified.done and verified.by == "王审核" and verified.at is not None
    for step in cases.steps_of(CaseKind.IMPERSONATION_REPORT)[1:]:
        db.call(cases.tick_step, case_id, HEAD, step)
    assert db.call(cases.load_case, case_id).checklist_complete


def test_complaints_have_no_checklist(db: Database) -> None:
    case_id = _open(db, 1)
    with pytest.raises(InvalidTransition):
        db.call(cases.tick_step, case_id, REVIEWER, ChecklistStep.VERIFIED)
    with pytest.raises(InvalidTransition):
        db.call(cases.request_documents, case_id, REVIEWER, -100100)


def test_reminders_repeat_until_every_step_is_ticked(db: Database) -> None:
    case_id = _open(db, 1, CaseKind.IMPERSONATION_REPORT)
    ticket = db.call(cases.load_case, case_id).ticket
    hour = timedelta(hours=1)
    start = datetime.now(UTC)
    assert db.call(cases.remind_open_checklists, start, hour) == []  # just opened
    assert db.call(cases.remind_open_checklists, start + 2 * hour, hour) == [ticket]
    assert db.call(cases.remind_open_checklists, start + 2.5 * hour, hour) == []
    assert db.call(cases.remind_open_checklists, start + 4 * hour, hour) == [ticket]
    for step in cases.steps_of(CaseKind.IMPERSONATION_REPORT):
        db.call(cases.tick_step, case_id, REVIEWER, step)
    assert db.call(cases.remind_open_checklists, start + 30 * hour, hour) == []

    def notices(session: Session) -> list[dict[str, object]]:
        return [
            i.payload for i in session.exec(select(OutboxItem).where(OutboxItem.kind == "notice"))
        ]

    payloads = db.call(notices)
    assert [p["template"] for p in payloads] == ["case_reminder_impersonation_report"] * 2


def test_documents_are_filled_from_the_case(db: Database) -> None:
    def run(session: Session) -> int:
        message = _message(session, 1, "举报仿冒账号", photos=1)
        case = cases.open_case(
            session,
            CaseKind.IMPERSONATION_REPORT,
            message,
            account=ReportedAccount("示例市公安局", "shili110", "", "抖音"),
        )
        return case.id or 0

    case_id = db.call(run)
    db.call(cases.tick_step, case_id, REVIEWER, ChecklistStep.VERIFIED)
    db.call(cases.request_documents, case_id, REVIEWER, -100100)
    info = db.call(cases.document_info, case_id, cases.Unit("示例市人民政府", "示例市发布"))
    text = document_text(render_platform_letter(info))
    assert info.ticket in text and "shili110" in text and "示例市人民政府" in text
    assert info.verified_at and "截图1张" in text


def _open_illegal(db: Database, chat_kind: ChatKind = ChatKind.DISCUSSION) -> int:
    def run(session: Session) -> int:
        message = CitizenMessage(
            chat_id=-100200,
            chat_kind=chat_kind,
            message_id=77,
            user_id=5002,
            user_name="卖家",
            text="出售仿真枪，加微信 gun888，电话13812345678",
            text_redacted="出售仿真枪，加微信 gun888，电话138****5678",
        )
        session.add(message)
        session.flush()
        facts = {"category": "枪支弹药、管制器具", "matched": ["仿真枪"], "removed": True}
        facts["restricted_hours"] = 24
        case = cases.open_case(
            session,
            CaseKind.ILLEGAL_CONTENT,
            message,
            detail=facts,
            done=(ChecklistStep.EVIDENCE_KEPT,),
        )
        return case.id or 0

    return db.call(run)


def test_illegal_content_has_its_own_checklist_and_reminders(db: Database) -> None:
    case_id = _open_illegal(db)
    view = db.call(cases.load_case, case_id)
    assert [s.step for s in view.checklist] == [
        ChecklistStep.EVIDENCE_KEPT,
        ChecklistStep.REPORTED_TO_AUTHORITIES,
    ]
    assert view.checklist[0].done and view.checklist[0].by == "GovReply"
    assert view.facts["category"] == "枪支弹药、管制器具"
    assert view.documents == ("authority_report",)
    # A step of another kind's checklist is refused.
    with pytest.raises(InvalidTransition):
        db.call(cases.tick_step, case_id, REVIEWER, ChecklistStep.PLATFORM_LETTER_SENT)
    hour = timedelta(hours=1)
    later = datetime.now(UTC) + 2 * hour
    assert db.call(cases.remind_open_checklists, later, hour) == [view.ticket]
    db.call(cases.tick_step, case_id, REVIEWER, ChecklistStep.REPORTED_TO_AUTHORITIES)
    assert db.call(cases.load_case, case_id).checklist_complete
    assert db.call(cases.remind_open_checklists, later + 4 * hour, hour) == []


def test_the_authority_report_is_masked_unless_exported_on_record(db: Database) -> None:
    case_id = _open_illegal(db)
    db.call(cases.tick_step, case_id, HEAD, ChecklistStep.REPORTED_TO_AUTHORITIES)
    unit = cases.Unit("示例市人民政府办公室", "示例市发布")
    masked = document_text(render_authority_report(db.call(cases.report_info, case_id, unit)))
    assert "138****5678" in masked and "13812345678" not in masked
    assert "枪支弹药" in masked and "频道评论区" in masked and "5002" in masked
    assert "评论已删除" in masked and "24 小时" in masked and "刘主任" in masked
    ticket = db.call(cases.load_case, case_id).ticket
    info = db.call(cases.export_evidence, ticket, unit, "root")
    assert "13812345678" in document_text(render_authority_report(info))
    exports = db.call(
        lambda s: [
            r.after
            for r in s.exec(
                select(AuditRecord).where(AuditRecord.action == "case_evidence_exported")
            )
        ]
    )
    assert exports == [{"by": "root"}]
    complaint = _open(db, 9)
    with pytest.raises(InvalidTransition):
        db.call(cases.report_info, complaint, unit)


def test_the_assessment_counts_cases_handled_through_their_checklists(db: Database) -> None:
    from workflow import assessment

    start = datetime.now(UTC) - timedelta(days=1)
    impersonation = _open(db, 1, CaseKind.IMPERSONATION_REPORT)
    half_done = _open(db, 2, CaseKind.IMPERSONATION_REPORT)
    illegal = _open_illegal(db)
    for step in cases.steps_of(CaseKind.IMPERSONATION_REPORT):
        db.call(cases.tick_step, impersonation, REVIEWER, step)
    db.call(cases.tick_step, half_done, REVIEWER, ChecklistStep.VERIFIED)
    end = datetime.now(UTC) + timedelta(days=1)
    figures = db.call(assessment.period_report, start, end)
    assert figures.cases_opened == {"impersonation_report": 2, "illegal_content": 1}
    assert (figures.impersonation_done, figures.illegal_reported) == (1, 0)
    db.call(cases.tick_step, illegal, REVIEWER, ChecklistStep.REPORTED_TO_AUTHORITIES)
    assert db.call(assessment.period_report, start, end).illegal_reported == 1


def test_an_impersonation_case_closes_only_when_its_steps_are_done_or_a_leader_says(
    db: Database,
) -> None:
    """RULES §6's four steps: closing ends the reminders, so a reviewer cannot close the case
    with steps unticked; a deputy head or head may (the account was genuine), and the steps
    left undone stay on record. Ticking is a signer's word: a drafter or an admin may not."""
    from workflow.models import CaseEvent, ChecklistStep

    drafter, admin = 1005, 1006
    db.call(add_operator, drafter, Role.DRAFTER, "周代运维")
    db.call(add_operator, admin, Role.ADMIN, "张管理")
    case_id = _open(db, 1, CaseKind.IMPERSONATION_REPORT)
    for outsider in (drafter, admin):
        with pytest.raises(NotAuthorised):
            db.call(cases.tick_step, case_id, outsider, ChecklistStep.FILED_WITH_SUPERVISOR)
    db.call(cases.tick_step, case_id, REVIEWER, ChecklistStep.VERIFIED)
    with pytest.raises(InvalidTransition, match="unticked"):
        db.call(cases.close, case_id, REVIEWER, "已核实")
    closed = db.call(cases.close, case_id, HEAD, "经核实为本单位新开设的账号，非仿冒")
    assert closed.status is CaseStatus.CLOSED

    def closing(session: Session) -> dict[str, object]:
        event = session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "closed")
        ).one()
        return dict(event.detail)

    assert set(db.call(closing)["skipped"]) == {  # type: ignore[arg-type]
        "reported_to_authorities", "platform_letter_sent", "filed_with_supervisor"
    }

    done_id = _open(db, 2, CaseKind.IMPERSONATION_REPORT)
    for step in cases.steps_of(CaseKind.IMPERSONATION_REPORT):
        db.call(cases.tick_step, done_id, REVIEWER, step)
    assert db.call(cases.close, done_id, REVIEWER, "已关停").status is CaseStatus.CLOSED
