"""Figures for the supervising office's spot checks and yearly assessment (RULES §8).

One period (a quarter, say) in numbers an office is assessed on: messages and how they
were answered (share, time to first reply, sign-off time, overdue drafts, tiers), cases
opened and closed (impersonating accounts handled through all four steps), suggestions
forwarded, how often the account posted (weeks with a post, originals, longest silence)
and how the Q&A base was kept up. `govreply report` writes them as XLSX, CSV or Markdown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, func, select

from knowledge_base.models import KBEntry, KBEntryVersion
from workflow.cases import steps_of
from workflow.models import (
    AuditRecord,
    Case,
    CaseKind,
    ChannelPost,
    ChecklistStep,
    CitizenMessage,
    DraftState,
    PostDraft,
)
from workflow.stats import Percentiles, handling

__all__ = ["PeriodReport", "period_report", "quarter"]


@dataclass(frozen=True)
class PeriodReport:
    start: datetime
    end: datetime
    messages: Counter[str]  # by label
    drafts: int
    published: int
    published_by_tier: Counter[str]
    rejected: int
    corrected: int  # published replies corrected (更正) in the period
    withdrawn: int  # published replies withdrawn (撤回) in the period
    first_reply: Percentiles
    sign_off: Percentiles
    overdue: int  # drafts escalated past their sign-off deadline
    cases_opened: Counter[str]  # by kind
    cases_closed: int
    impersonation_done: int  # impersonation cases with all four RULES §6 steps ticked
    illegal_reported: int  # suspected illegal content reported to the authorities
    suggestions_forwarded: int
    posts: int
    originals: int
    mandated: int  # required reposts (上级要求转发): count with originals (RULES §7)
    posts_signed: int  # channel posts published through GovReply's sign-off (RULES §1)
    weeks: int
    weeks_with_post: int
    longest_silence_days: int
    entries_live: int
    entry_versions: int  # entries created, edited, retired or restored in the period

    @property
    def answered_share(self) -> float:
        return self.published / self.drafts if self.drafts else 0.0

    def rows(self) -> list[tuple[str, object]]:
        """(figure key, value) in report order; handlers/texts.py REPORT names each key."""
        rows: list[tuple[str, object]] = [
            ("period", f"{self.start.date()} – {(self.end - timedelta(days=1)).date()}"),
            ("messages", sum(self.messages.values())),
        ]
        rows += [(f"messages.{label}", n) for label, n in sorted(self.messages.items())]
        rows += [
            ("drafts", self.drafts),
            ("published", self.published),
            ("answered_share", f"{self.answered_share:.1%}"),
        ]
        rows += [(f"published.{t}", n) for t, n in sorted(self.published_by_tier.items())]
        rows += [
            ("rejected", self.rejected),
            ("corrected", self.corrected),
            ("withdrawn", self.withdrawn),
            ("first_reply_p50", _minutes(self.first_reply.p50_minutes)),
            ("first_reply_p90", _minutes(self.first_reply.p90_minutes)),
            ("sign_off_p50", _minutes(self.sign_off.p50_minutes)),
            ("sign_off_p90", _minutes(self.sign_off.p90_minutes)),
            ("overdue", self.overdue),
        ]
        rows += [(f"cases.{kind}", n) for kind, n in sorted(self.cases_opened.items())]
        rows += [
            ("cases_closed", self.cases_closed),
            ("impersonation_done", self.impersonation_done),
            ("illegal_reported", self.illegal_reported),
            ("suggestions_forwarded", self.suggestions_forwarded),
            ("posts", self.posts),
            ("originals", self.originals),
            ("mandated", self.mandated),
            ("posts_signed", self.posts_signed),
            (
                "original_share",
                f"{(self.originals + self.mandated) / self.posts:.1%}" if self.posts else "—",
            ),
            ("weeks_with_post", f"{self.weeks_with_post} / {self.weeks}"),
            ("longest_silence_days", self.longest_silence_days),
            ("entries_live", self.entries_live),
            ("entry_versions", self.entry_versions),
        ]
        return rows


def _minutes(value: float | None) -> object:
    return "—" if value is None else round(value, 1)


def quarter(text: str) -> tuple[datetime, datetime]:
    """'2026Q4' -> [2026-10-01, 2027-01-01) in UTC.

    Raises:
        ValueError: not of the form YYYYQn.
    """
    from datetime import UTC

    year, sep, number = text.upper().partition("Q")
    if not sep or not year.isdigit() or number not in ("1", "2", "3", "4"):
        msg = f"{text!r} is not a quarter such as 2026Q4"
        raise ValueError(msg)
    first = (int(number) - 1) * 3 + 1
    start = datetime(int(year), first, 1, tzinfo=UTC)
    end = datetime(int(year) + (first == 10), 1 if first == 10 else first + 3, 1, tzinfo=UTC)
    return start, end


def period_report(session: Session, start: datetime, end: datetime) -> PeriodReport:
    """The figures of [start, end)."""

    def between(column: Any) -> ColumnElement[bool]:
        return and_(col(column) >= start, col(column) < end)

    messages = list(
        session.exec(select(CitizenMessage).where(between(CitizenMessage.received_at)))
    )
    handled = handling(session, messages)
    drafts, published = handled.drafts, handled.published
    cases = list(session.exec(select(Case).where(between(Case.created_at))))
    signed = session.exec(
        select(func.count()).select_from(PostDraft).where(between(PostDraft.published_at))
    ).one()
    # Closed in the period, whenever opened.
    closed = session.exec(
        select(func.count()).select_from(Case).where(between(Case.closed_at))
    ).one()
    steps = {s.value for s in steps_of(CaseKind.IMPERSONATION_REPORT)}

    def audited(action: str, subject: str = "draft") -> int:
        return int(
            session.exec(
                select(func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.action == action, between(AuditRecord.at))
                .where(AuditRecord.subject_type == subject)
            ).one()
        )

    posts = list(
        session.exec(
            select(ChannelPost)
            .where(between(ChannelPost.posted_at))
            .order_by(col(ChannelPost.posted_at))
        )
    )
    weeks = max(1, -(-(end - start).days // 7))
    with_post = {int((p.posted_at - start).days // 7) for p in posts}
    moments = [start, *(p.posted_at for p in posts), end]
    silence = max((b - a).days for a, b in zip(moments, moments[1:], strict=False))
    live = session.exec(
        select(func.count()).select_from(KBEntry).where(col(KBEntry.retired).is_(False))
    ).one()
    versions = session.exec(
        select(func.count()).select_from(KBEntryVersion).where(between(KBEntryVersion.changed_at))
    ).one()
    return PeriodReport(
        start=start,
        end=end,
        messages=Counter(m.label for m in messages),
        drafts=len(drafts),
        published=len(published),
        published_by_tier=Counter(d.tier.value for d in published),
        rejected=sum(d.state is DraftState.REJECTED for d in drafts),
        corrected=audited("corrected"),
        withdrawn=audited("withdrawn"),
        first_reply=handled.first_reply,
        sign_off=handled.sign_off,
        overdue=sum(bool(d.sla_escalated) for d in drafts),
        cases_opened=Counter(c.kind.value for c in cases),
        cases_closed=int(closed),
        impersonation_done=sum(
            c.kind is CaseKind.IMPERSONATION_REPORT and steps <= set(c.checklist) for c in cases
        ),
        illegal_reported=sum(
            c.kind is CaseKind.ILLEGAL_CONTENT
            and ChecklistStep.REPORTED_TO_AUTHORITIES.value in c.checklist
            for c in cases
        ),
        suggestions_forwarded=audited("suggestion_forwarded", "message"),
        posts=len(posts),
        originals=sum(p.original for p in posts),
        mandated=sum(p.mandated and not p.original for p in posts),
        posts_signed=int(signed),
        weeks=weeks,
        weeks_with_post=len(with_post),
        longest_silence_days=silence,
        entries_live=int(live),
        entry_versions=int(versions),
    )
