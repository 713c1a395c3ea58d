"""Operator history becomes training data: approved pairs and replaced matches."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db import Database, upgrade
from workflow import review
from workflow.history import operator_history
from workflow.intake import DraftPlan, Incoming, record_message
from workflow.models import ChatKind, Role, Tier, Visibility
from workflow.operators import add_operator


def _draft(db: Database, message_id: int, text: str) -> int:
    incoming = Incoming(
        message_id, 5001, ChatKind.PRIVATE, message_id, 5001, "李", text, datetime.now(UTC)
    )
    plan = DraftPlan(
        text,
        "consultation",
        0.9,
        [],
        Tier.ORDINARY,
        "",
        Visibility.PRIVATE,
        "先挂失再补卡。",
        "SB001",
        1,
        0.9,
        0.99,
        True,
        candidates=[{"entry_id": "SB001"}, {"entry_id": "HJ002"}],
    )
    draft = db.call(record_message, incoming, plan)
    assert draft is not None and draft.id is not None
    return draft.id


def test_history_has_approved_pairs_and_hard_negatives(db_url: str) -> None:
    upgrade(db_url)
    db = Database(db_url)
    try:
        db.call(add_operator, 1001, Role.REVIEWER, "王审核")
        first = _draft(db, 1, "社保卡丢了怎么办 电话13812345678")
        db.call(review.approve, first, 1001)
        second = _draft(db, 2, "身份证丢了怎么补")
        db.call(review.choose_candidate, second, 1001, "HJ002", "补领身份证…", 1, [])
        db.call(review.approve, second, 1001)
        rows = db.call(operator_history)
    finally:
        db.dispose()
    assert {
        "text": "社保卡丢了怎么办 电话138****5678",
        "entry_id": "SB001",
        "kind": "approved",
    } in rows
    assert {"text": "身份证丢了怎么补", "entry_id": "HJ002", "kind": "approved"} in rows
    assert {"text": "身份证丢了怎么补", "entry_id": "SB001", "kind": "rejected"} in rows
    assert all("13812345678" not in r["text"] for r in rows)
