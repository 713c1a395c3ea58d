"""Q&A changes under tiered sign-off (RULES §1): retiring or restoring an important or major
entry is an edit, so it waits for the deputy head's or head's signature as an edit does."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.db import Database
from knowledge_base import store
from knowledge_base.io import EntryRecord
from knowledge_base.models import KBEntry, Sensitivity
from workflow import kb_changes
from workflow.errors import InvalidTransition, NotAuthorised
from workflow.models import AuditRecord, KBChange, KBChangeState, Role
from workflow.operators import add_operator

ADMIN, DEPUTY, HEAD = 401, 402, 403


@pytest.fixture
def kb(db: Database) -> Database:
    """Operators of every curating role and one entry per sensitivity."""
    for telegram_id, role, name in (
        (ADMIN, Role.ADMIN, "张管理"),
        (DEPUTY, Role.DEPUTY_HEAD, "陈分管"),
        (HEAD, Role.HEAD, "刘主任"),
    ):
        db.call(add_operator, telegram_id, role, name)
    records = [
        EntryRecord(id=s.value, question=f"{s.value}问题", answer="答案", sensitivity=s)
        for s in Sensitivity
    ]
    db.call(store.import_records, records)
    return db


def _entry(db: Database, entry_id: str) -> KBEntry:
    return db.call(lambda s: s.get(KBEntry, entry_id))


def _actions(db: Database) -> list[str]:
    return db.call(lambda s: [r.action for r in s.exec(select(AuditRecord))])


@pytest.mark.parametrize(
    ("entry_id", "needed", "signer", "too_low"),
    [("important", Role.DEPUTY_HEAD, DEPUTY, ADMIN), ("major", Role.HEAD, HEAD, DEPUTY)],
)
def test_retiring_an_important_or_major_entry_waits_for_its_signer(
    kb: Database, entry_id: str, needed: Role, signer: int, too_low: int
) -> None:
    result = kb.call(kb_changes.set_retired, ADMIN, entry_id, True, "政策已废止")
    assert not result.applied and result.change is not None
    assert result.change.kind == "retire" and result.change.needed_role is needed
    live = _entry(kb, entry_id)
    assert not live.retired and live.version == 1  # still matched until signed

    with pytest.raises(NotAuthorised):
        kb.call(kb_changes.approve_change, result.change.id, too_low)
    kb.call(kb_changes.approve_change, result.change.id, signer)
    live = _entry(kb, entry_id)
    assert live.retired and live.version == 2
    assert live.updated_by == ADMIN  # the proposer's change, on the signer's word
    actions = _actions(kb)
    assert "kb_change_proposed" in actions and "kb_entry_retired" in actions
    assert actions[-1] == "kb_change_approved"


def test_restoring_a_retired_major_entry_waits_for_the_head(kb: Database) -> None:
    kb.call(kb_changes.set_retired, HEAD, "major", True, "暂停使用")
    assert _entry(kb, "major").retired  # the head's own word is the sign-off
    result = kb.call(kb_changes.set_retired, DEPUTY, "major", False, "恢复使用")
    assert not result.applied and result.change is not None
    assert result.change.kind == "restore" and result.change.needed_role is Role.HEAD
    assert _entry(kb, "major").retired
    kb.call(kb_changes.approve_change, result.change.id, HEAD)
    assert not _entry(kb, "major").retired
    assert "kb_entry_restored" in _actions(kb)


def test_a_signer_or_an_ordinary_entry_retires_at_once(kb: Database) -> None:
    assert kb.call(kb_changes.set_retired, ADMIN, "ordinary", True, "过时").applied
    assert kb.call(kb_changes.set_retired, DEPUTY, "important", True, "过时").applied
    assert _entry(kb, "ordinary").retired and _entry(kb, "important").retired
    assert kb.call(lambda s: list(s.exec(select(KBChange)))) == []
    with pytest.raises(InvalidTransition):  # already retired: nothing to sign
        kb.call(kb_changes.set_retired, HEAD, "important", True, "再停一次")


def test_a_held_retirement_is_refused_once_the_entry_moved_on(kb: Database) -> None:
    held = kb.call(kb_changes.set_retired, ADMIN, "important", True, "停用").change
    assert held is not None
    kb.call(kb_changes.save_entry, DEPUTY, "important", {"answer": "新答案"}, "更新口径")
    with pytest.raises(InvalidTransition):
        kb.call(kb_changes.approve_change, held.id, HEAD)
    assert not _entry(kb, "important").retired


def test_importing_a_retired_important_entry_is_a_restore_under_the_same_rule(
    kb: Database,
) -> None:
    kb.call(kb_changes.set_retired, DEPUTY, "important", True, "暂停")
    row = EntryRecord(
        id="important", question="important问题", answer="答案", sensitivity=Sensitivity.IMPORTANT
    )
    summary, held = kb.call(kb_changes.import_entries, ADMIN, [row], "kb.csv")
    assert held == ["important"] and summary.updated == []
    assert _entry(kb, "important").retired
    change = kb.call(lambda s: s.exec(select(KBChange)).one())
    assert change.kind == "restore" and change.state is KBChangeState.PENDING
    kb.call(kb_changes.approve_change, change.id, DEPUTY)
    assert not _entry(kb, "important").retired
