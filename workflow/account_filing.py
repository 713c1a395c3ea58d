"""Filing the account with its supervising office (分级备案, RULES §8): opening, changing and
closing a government account are filed, each with the facts that describe it.

`govreply account file open|change|close OUT.docx` writes the filing record (备案表) and
keeps the facts filed; the weekly read-through inspection (读网巡检) then says when the account
was last filed and which facts have changed since (a new head, another channel, an outsourced
operator added), so a change is filed rather than forgotten. The facts come from the settings
(unit, account, channel) and the operators on record (who answers for the account).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from knowledge_base.sqltypes import utcnow
from workflow import audit, docx_forms
from workflow.calendar import local_date
from workflow.errors import InvalidTransition
from workflow.models import AccountFiling, FilingKind, Operator, Role

TEMPLATE_PATH = Path(__file__).parent / "data" / "account_filing_template.json"
PLATFORM = "Telegram"
# The facts a filing records, in the order of the form; handlers/texts.py FILING_FIELD names
# each for the inspection report.
FIELDS = (
    "unit",
    "account",
    "platform",
    "channel",
    "discussion",
    "supervising_office",
    "head",
    "deputy_head",
    "reviewer",
    "drafter",
    "admin",
)


@dataclass(frozen=True)
class AccountProfile:
    """What the settings say about the account."""

    unit: str = ""
    account: str = ""
    supervising_office: str = ""
    channel_id: int | None = None
    discussion_chat_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class FilingStatus:
    """The last filing and the facts that changed since (empty: up to date)."""

    last: AccountFiling | None
    changed: list[str]

    @property
    def due(self) -> bool:
        """Something to file: never filed (and not closed), or changed since."""
        if self.last is None:
            return True
        return self.last.kind is not FilingKind.CLOSE and bool(self.changed)


def facts(session: Session, profile: AccountProfile) -> dict[str, str]:
    """The account's current facts, as a filing records them."""
    names: dict[Role, list[str]] = {}
    query = select(Operator).where(col(Operator.active).is_(True)).order_by(col(Operator.name))
    for op in session.exec(query):
        names.setdefault(op.role, []).append(op.name)
    return {
        "unit": profile.unit,
        "account": profile.account,
        "platform": PLATFORM,
        "channel": str(profile.channel_id) if profile.channel_id is not None else "",
        "discussion": "、".join(str(c) for c in profile.discussion_chat_ids),
        "supervising_office": profile.supervising_office,
        **{role.value: "、".join(names.get(role, [])) for role in Role},
    }


def last_filing(session: Session) -> AccountFiling | None:
    query = select(AccountFiling).order_by(col(AccountFiling.id).desc())
    return session.exec(query).first()


def changes(before: dict[str, Any], now: dict[str, str]) -> list[str]:
    """The facts that differ, in form order."""
    return [key for key in FIELDS if str(before.get(key, "")) != now.get(key, "")]


def status(session: Session, profile: AccountProfile) -> FilingStatus:
    last = last_filing(session)
    changed = changes(last.facts, facts(session, profile)) if last is not None else []
    return FilingStatus(last, changed)


def record(
    session: Session, kind: FilingKind, profile: AccountProfile, reason: str, filed_by: str
) -> tuple[AccountFiling, list[str]]:
    """File the account's current facts; returns the filing and the facts changed since the
    previous one (what a change filing reports).

    Raises:
        InvalidTransition: a change or closing of an account with no opening on record, or
            anything but a (re)opening after it was closed.
    """
    last = last_filing(session)
    if kind is not FilingKind.OPEN and (last is None or last.kind is FilingKind.CLOSE):
        raise InvalidTransition("the account has no opening on record: file `open` first")
    if kind is FilingKind.OPEN and last is not None and last.kind is not FilingKind.CLOSE:
        raise InvalidTransition("the account is open already: file `change` instead")
    now = facts(session, profile)
    changed = changes(last.facts, now) if last is not None else []
    filing = AccountFiling(kind=kind, facts=now, reason=reason.strip(), filed_by=filed_by)
    session.add(filing)
    session.flush()
    audit.record(
        session,
        "account_filed",
        "account",
        filing.id,
        before=dict(last.facts) if last is not None else None,
        after={"kind": kind.value, "facts": now, "changed": changed, "reason": filing.reason},
    )
    return filing, changed


def render(filing: AccountFiling, changed: list[str], before: dict[str, Any]) -> bytes:
    """The filing record (备案表) as .docx; a change lists each changed fact, before → now."""
    template = dict(json.loads(TEMPLATE_PATH.read_text(encoding="utf-8")))
    labels = {value.strip("{}"): label for label, value in template["fields"]}
    values = docx_forms.Fill({k: str(v) for k, v in filing.facts.items() if v})
    values["kind"] = template["kinds"][filing.kind.value]
    values["changes"] = (
        "；".join(
            f"{labels.get(key, key)}：{before.get(key) or '—'} → {filing.facts.get(key) or '—'}"
            for key in changed
        )
        or template["no_changes"]
    )
    if filing.reason:
        values["reason"] = filing.reason
    if filing.filed_by:
        values["filed_by"] = filing.filed_by
    values["date"] = local_date(filing.filed_at).isoformat()
    return docx_forms.render_form(template, values)


def inspection_part(state: FilingStatus, now: datetime | None = None) -> dict[str, Any]:
    """The inspection report's line on filing: a template key and its parameters."""
    last = state.last
    if last is None:
        return {"template": "inspection_filing_never", "params": {}}
    params = {
        "date": local_date(last.filed_at).isoformat(),
        "filing_kind": last.kind.value,
        "days": (local_date(now or utcnow()) - local_date(last.filed_at)).days,
    }
    if last.kind is FilingKind.CLOSE:
        return {"template": "inspection_filing_closed", "params": params}
    if state.changed:
        return {
            "template": "inspection_filing_changed",
            "params": {**params, "filing_changes": state.changed},
        }
    return {"template": "inspection_filing_current", "params": params}
