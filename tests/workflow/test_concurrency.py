"""Two processes at once (two engines on one database): one transition, one claim, one chain."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from bot.db import Database, upgrade
from workflow import audit, intake, outbox, review
from workflow.errors import GovReplyError
from workflow.intake import DraftPlan, Incoming
from workflow.models import ChatKind, Draft, DraftState, OutboxItem, Role, Tier, Visibility
from workflow.operators import add_operator


def _seed_draft(db: Database) -> int:
    db.call(add_operator, 1001, Role.REVIEWER, "王审核")
    db.call(add_operator, 1002, Role.REVIEWER, "赵审核")
    incoming = Incoming(
        1, 5001, ChatKind.PRIVATE, 1, 5001, "李", "社保卡丢了怎么办", datetime.now(UTC)
    )
    plan = DraftPlan(
        "社保卡丢了怎么办",
        "consultation",
        0.9,
        [],
        Tier.ORDINARY,
        "",
        Visibility.PRIVATE,
        "请先挂失再补卡。",
        "SB001",
        1,
        0.9,
        0.99,
        True,
    )
    draft = db.call(intake.record_message, incoming, plan)
    assert draft is not None and draft.id is not None
    return draft.id


def _race(fns: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fns[i]()
        except GovReplyError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_processes_approving_at_once_make_one_transition(db_url: str) -> None:
    upgrade(db_url)
    one, two = Database(db_url), Database(db_url)
    try:
        draft_id = _seed_draft(one)
        results = _race(
            [
                lambda: one.call(review.approve, draft_id, 1001, None),
                lambda: two.call(review.approve, draft_id, 1002, None),
                lambda: two.call(review.approve, draft_id, 1001, None),
            ]
        )
        succeeded = [r for r in results if isinstance(r, review.Outcome)]
        assert len(succeeded) == 1
        publishes = one.call(
            lambda s: s.exec(select(OutboxItem).where(OutboxItem.kind == "publish")).all()
        )
        assert len(publishes) == 1
        assert one.call(lambda s: s.get(Draft, draft_id)).state is DraftState.APPROVED
        assert one.call(audit.verify).ok
    finally:
        one.dispose()
        two.dispose()


def _notices(session: Session, count: int) -> None:
    for n in range(count):
        outbox.enqueue(
            session, outbox.Kind.NOTICE, chat_id=1, payload={"template": "welcome", "n": n}
        )


def test_two_workers_never_claim_the_same_item(db_url: str) -> None:
    upgrade(db_url)
    one, two = Database(db_url), Database(db_url)
    try:
        one.call(_notices, 40)
        claimed: list[list[int]] = [[], []]

        def drain(db: Database, into: list[int], worker: str) -> None:
            while True:
                items = db.call(outbox.claim, worker, 3)
                if not items:
                    return
                into.extend(i.id for i in items if i.id is not None)

        _race([lambda: drain(one, claimed[0], "a"), lambda: drain(two, claimed[1], "b")])
        assert set(claimed[0]).isdisjoint(claimed[1])
        assert len(claimed[0]) + len(claimed[1]) == 40
    finally:
        one.dispose()
        two.dispose()


def test_audit_chain_stays_linear_under_concurrent_appends(db_url: str) -> None:
    upgrade(db_url)
    one, two = Database(db_url), Database(db_url)
    try:

        def append(db: Database, n: int) -> None:
            for i in range(15):
                db.call(audit.record, "probe", "test", f"{n}-{i}")

        _race([lambda: append(one, 1), lambda: append(two, 2)])
        result = one.call(audit.verify)
        assert result.ok and result.checked == 30
    finally:
        one.dispose()
        two.dispose()


def test_an_item_whose_lease_ran_out_in_a_batch_is_sent_by_one_worker_only(db_url: str) -> None:
    """Worker a claims two items; while it sends the first, the second's lease runs out and
    worker b takes it over. Before sending, a renews each lease: the first is still its own,
    the second is b's now, so a leaves it (b's renewal holds) and nothing goes out twice."""
    from datetime import timedelta

    upgrade(db_url)
    one, two = Database(db_url), Database(db_url)
    try:
        one.call(_notices, 2)
        first, second = (i.id for i in one.call(outbox.claim, "a", 10))
        assert first is not None and second is not None
        assert one.call(outbox.renew, first, "a")

        def expire(session: Session) -> None:  # the first send took longer than the lease
            item = session.get(OutboxItem, second)
            assert item is not None
            item.claimed_at -= timedelta(seconds=120)
            session.add(item)

        one.call(expire)
        assert [i.id for i in two.call(outbox.claim, "b", 10)] == [second]
        assert not one.call(outbox.renew, second, "a")
        assert two.call(outbox.renew, second, "b")
    finally:
        one.dispose()
        two.dispose()
