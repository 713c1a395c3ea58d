"""The account's filing (分级备案, RULES §8) on real databases: the facts filed, what changed
since, and the inspection report's line about it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.db import Database
from handlers.texts import render_parts
from knowledge_base.sqltypes import utcnow
from workflow import account_filing, inspection
from workflow.account_filing import AccountProfile
from workflow.docx_forms import document_text
from workflow.errors import InvalidTransition
from workflow.models import FilingKind, Role
from workflow.operators import add_operator, deactivate_operator

PROFILE = AccountProfile(
    unit="示例市政务服务中心",
    account="示例市发布",
    channel_id=-100300,
    discussion_chat_ids=(-100200,),
)


def _report_line(session: Session, profile: AccountProfile = PROFILE) -> str:
    report = inspection.gather(session, utcnow() + timedelta(days=3), 7, profile)
    return render_parts(report.parts())["filing"]


def test_a_filing_keeps_the_facts_and_the_inspection_notices_changes(db: Database) -> None:
    db.call(add_operator, 1004, Role.HEAD, "刘主任")
    db.call(add_operator, 1001, Role.REVIEWER, "王审核")
    assert "尚无本账号的备案记录" in db.call(_report_line)
    assert db.call(account_filing.status, PROFILE).due

    filing, changed = db.call(account_filing.record, FilingKind.OPEN, PROFILE, "", "admin")
    assert changed == [] and filing.facts["head"] == "刘主任"
    assert filing.facts["channel"] == "-100300" and filing.facts["platform"] == "Telegram"
    assert "最近一次开设备案" in db.call(_report_line) and "（3 天前）" in db.call(_report_line)
    assert not db.call(account_filing.status, PROFILE).due

    # Another channel and an outsourced drafter: both are changes to file.
    db.call(add_operator, 1009, Role.DRAFTER, "周代运维")
    moved = AccountProfile(**{**PROFILE.__dict__, "channel_id": -100999})
    line = db.call(_report_line, moved)
    assert "频道、拟稿人员 已变化" in line and "account file change" in line
    with pytest.raises(InvalidTransition, match="open already"):
        db.call(account_filing.record, FilingKind.OPEN, moved, "", "admin")
    change, changed = db.call(account_filing.record, FilingKind.CHANGE, moved, "换频道", "admin")
    assert changed == ["channel", "drafter"]
    record = document_text(account_filing.render(change, changed, filing.facts))
    assert "频道 ID：-100300 → -100999" in record
    assert "拟稿人员（含代运维）：— → 周代运维" in record

    db.call(deactivate_operator, 1009)
    db.call(account_filing.record, FilingKind.CLOSE, moved, "账号注销", "admin")
    assert "注销备案" in db.call(_report_line, moved)
    assert not db.call(account_filing.status, moved).due  # closed: nothing more to file
