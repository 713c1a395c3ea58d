"""Routine read-through inspection (读网巡检, RULES §7): one report on the account's updates,
its message handling, its Q&A base and the links its answers send citizens to.

`gather` reads the database; bot/link_check.py then tries every link in the live answers
over HTTP (HEAD, falling back to GET for servers that refuse HEAD), so a dead page is found
by the desk before a citizen finds it. The report goes to the operators' group weekly and on
`/inspect`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from knowledge_base.models import KBEntry
from knowledge_base.sqltypes import utcnow
from workflow import account_filing, audit, corrections, outbox
from workflow.account_filing import AccountProfile, FilingStatus
from workflow.activity import Activity, summary
from workflow.calendar import LOCAL_TZ, local_date
from workflow.models import Case, CaseStatus, Draft, DraftState
from workflow.stats import dashboard, expiring_entries

__all__ = [
    "BrokenLink",
    "Inspection",
    "gather",
    "links_in_answers",
    "queue_report",
    "report_due",
]

# A link is ASCII: in Chinese prose it ends at the first Chinese character or punctuation.
URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%()]+")
REPORT_HOUR = 9  # the weekly report goes out from Monday 09:00 local time


@dataclass(frozen=True)
class BrokenLink:
    url: str
    entries: list[str]  # ids of the live entries whose answer has it
    problem: str  # "HTTP 404", "timeout", "unreachable"


@dataclass(frozen=True)
class Inspection:
    """The report; `links_checked` is 0 until check_links has run."""

    now: datetime
    days: int
    activity: Activity
    messages: int
    answered: int
    pending: int
    oldest_pending_hours: float | None
    sla_breaches: int
    open_cases: int
    expiring: list[str]
    expired: list[str]  # past valid_until but not retired: no longer served, not yet renewed
    corrected: list[str] = field(default_factory=list)  # entries behind corrected replies
    links: dict[str, list[str]] = field(default_factory=dict)  # url -> entry ids
    links_checked: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    filing: FilingStatus | None = None  # the account's filing (RULES §8), with the profile
    security: list[str] | None = None  # the installation's problems (RULES §7), if checked

    def parts(self) -> dict[str, dict[str, Any]]:
        """Lines of the report chosen by state (each a template and its parameters)."""
        unknown = {"template": "inspection_filing_unknown"}
        parts = {
            "filing": account_filing.inspection_part(self.filing, self.now)
            if self.filing is not None
            else unknown,
            "security": unknown,
        }
        if self.security is not None:
            parts["security"] = (
                {"template": "inspection_security_issues", "params": {"problems": self.security}}
                if self.security
                else {"template": "inspection_security_ok"}
            )
        return parts

    def params(self) -> dict[str, Any]:
        """Flat values for the report's template (see handlers/texts.py)."""
        last = self.activity.last_post
        return {
            "days": self.days,
            "last_post": local_date(last).isoformat() if last else "—",
            "posts": self.activity.posts_7d,
            "originals": self.activity.originals_30d,
            "posts_30d": self.activity.posts_30d,
            "messages": self.messages,
            "answered": self.answered,
            "pending": self.pending,
            "oldest": f"{self.oldest_pending_hours:.0f}" if self.oldest_pending_hours else "0",
            "breaches": self.sla_breaches,
            "cases": self.open_cases,
            "expiring": _listed(self.expiring, 20) or "无",
            "expired": _listed(self.expired, 20) or "无",
            "corrected": _listed(self.corrected, 20) or "无",
            "links": self.links_checked,
            "broken_n": len(self.broken),
            "broken": self._broken_lines(),
        }

    def _broken_lines(self, limit: int = 15) -> str:
        """One line per broken link; at most `limit`, so the report fits one message."""
        lines = [
            f"· {b.url}（{b.problem}；条目 {'、'.join(b.entries[:5])}）" for b in self.broken
        ]
        if len(lines) > limit:
            lines = [*lines[:limit], f"· ……另有 {len(lines) - limit} 个"]
        return "\n".join(lines) or "· 无"


def _listed(ids: list[str], limit: int) -> str:
    """Ids joined, at most `limit` of them (a report must fit one Telegram message)."""
    shown = "、".join(ids[:limit])
    return f"{shown} 等 {len(ids)} 条" if len(ids) > limit else shown


def links_in_answers(session: Session) -> dict[str, list[str]]:
    """Every link in a live entry's answer, with the entries that carry it."""
    links: dict[str, list[str]] = {}
    query = select(KBEntry).where(col(KBEntry.retired).is_(False)).order_by(col(KBEntry.id))
    for entry in session.exec(query):
        for url in dict.fromkeys(u.rstrip(".,;:!?)") for u in URL.findall(entry.answer)):
            links.setdefault(url, []).append(entry.id)
    return links


def gather(
    session: Session,
    now: datetime | None = None,
    days: int = 7,
    profile: AccountProfile | None = None,
) -> Inspection:
    """The report's figures; with the account's `profile`, its filing status too."""
    now = now or utcnow()
    board = dashboard(session, days=days, now=now)
    oldest = session.exec(
        select(func.min(Draft.created_at)).where(Draft.state == DraftState.PENDING)
    ).one()
    pending = session.exec(
        select(func.count()).select_from(Draft).where(Draft.state == DraftState.PENDING)
    ).one()
    cases = session.exec(
        select(func.count()).select_from(Case).where(Case.status != CaseStatus.CLOSED)
    ).one()
    return Inspection(
        now=now,
        days=days,
        activity=summary(session, now),
        messages=board.messages,
        answered=board.answered,
        pending=int(pending),
        oldest_pending_hours=(now - oldest).total_seconds() / 3600 if oldest else None,
        sla_breaches=len(board.sla_breaches),
        open_cases=int(cases),
        expiring=[e.id for e in expiring_entries(session, local_date(now))],
        expired=[
            str(e)
            for e in session.exec(
                select(KBEntry.id)
                .where(
                    col(KBEntry.retired).is_(False), col(KBEntry.valid_until) < local_date(now)
                )
                .order_by(col(KBEntry.id))
            )
        ],
        links=links_in_answers(session),
        corrected=corrections.corrected_entries(session, now - timedelta(days=days)),
        filing=account_filing.status(session, profile) if profile is not None else None,
    )


def weekly_key(now: datetime) -> str | None:
    """The dedupe key of this week's report, once it is due (Monday 09:00 local time on)."""
    local = now.astimezone(LOCAL_TZ)
    if local.weekday() == 0 and local.hour < REPORT_HOUR:
        return None
    year, week, _ = local.isocalendar()
    return f"inspection:{year}-W{week:02d}"


def report_due(session: Session, now: datetime | None = None) -> str | None:
    """This week's report key if it is due and not queued yet (checked before the work)."""
    key = weekly_key(now or utcnow())
    if key is None:
        return None
    return None if outbox.queued(session, key) else key


def queue_report(
    session: Session, inspection: Inspection, chat_id: int | None, key: str | None = None
) -> bool:
    """Send the report to the operators' group (once per `key`); False if already queued."""
    item = outbox.enqueue(
        session,
        outbox.Kind.NOTICE,
        chat_id=chat_id,
        payload={
            "template": "inspection_report",
            "params": inspection.params(),
            "parts": inspection.parts(),
        },
        dedupe_key=key,
    )
    if item is None:
        return False
    audit.record(
        session,
        "inspection_reported",
        "account",
        "channel",
        after={"links": inspection.links_checked, "broken": [b.url for b in inspection.broken]},
    )
    return True
