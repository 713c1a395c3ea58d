"""Channel posts under sign-off, in the domain: who may propose, sign, edit and reject, what
each step leaves on record, and publication counted once. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.db import Database, upgrade
from workflow import posts
from workflow.errors import (
    AlreadyDecided,
    ComplianceBlocked,
    InvalidTransition,
    NotAuthorised,
    SeparationOfDuties,
)
from workflow.models import (
    AuditRecord,
    ChannelPost,
    DraftState,
    OutboxItem,
    PostKind,
    Role,
    Tier,
)
from workflow.operators import add_operator

DRAFTER, REVIEWER, REVIEWER2, DEPUTY, ADMIN, STRANGER = 1000, 1001, 1002, 1003, 1005, 6666
CHANNEL = -100300
BLOCKING = [{"code": "link_or_ad", "detail": "matched '加微信'", "blocking": True}]


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    upgrade(db_url)
    database = Database(db_url)
    for telegram_id, role, name in (
        (DRAFTER, Role.DRAFTER, "周代运维"),
        (REVIEWER, Role.REVIEWER, "王审核"),
        (REVIEWER2, Role.REVIEWER, "赵审核"),
        (DEPUTY, Role.DEPUTY_HEAD, "陈分管"),
        (ADMIN, Role.ADMIN, "张管理"),
    ):
        database.call(add_operator, telegram_id, role, name)
    yield database
    database.dispose()


def _submit(db: Database, user: int = DRAFTER, **kw: object) -> int:
    post = db.call(
        posts.submit, user, kw.pop("text", "本周政务服务安排"), kw.pop("found", []), **kw
    )
    assert post.id is not None
    return post.id


def _outbox(db: Database, kind: str) -> list[OutboxItem]:
    return db.call(lambda s: list(s.exec(select(OutboxItem).where(OutboxItem.kind == kind))))


def test_who_may_propose_and_what_a_repost_needs(db: Database) -> None:
    with pytest.raises(NotAuthorised):
        _submit(db, STRANGER)
    with pytest.raises(NotAuthorised):
        _submit(db, ADMIN)  # curates the Q&A base; writes nothing under the account's name
    with pytest.raises(InvalidTransition):
        _submit(db, text="   ")
    with pytest.raises(InvalidTransition, match="source"):
        _submit(db, kind=PostKind.REPOST, source=" ")
    with pytest.raises(InvalidTransition, match="too long"):
        _submit(db, text="长" * 4001)  # Telegram would refuse it after the signatures
    post_id = _submit(db)
    view = db.call(posts.load, post_id)
    assert view.drafter == "周代运维" and view.needed == [Role.REVIEWER]
    assert len(_outbox(db, "post_card")) == 1


def test_a_drafter_never_signs_and_a_writer_is_never_the_only_approver(db: Database) -> None:
    post_id = _submit(db, REVIEWER)
    with pytest.raises(NotAuthorised):
        db.call(posts.approve, post_id, DRAFTER)
    with pytest.raises(SeparationOfDuties):
        db.call(posts.approve, post_id, REVIEWER)
    post, done = db.call(posts.approve, post_id, REVIEWER2)
    assert done and post.state is DraftState.APPROVED
    with pytest.raises(AlreadyDecided):
        db.call(posts.approve, post_id, DEPUTY)
    assert len(_outbox(db, "channel_post")) == 1


def test_an_important_post_has_two_signatures_and_an_edit_voids_them(db: Database) -> None:
    post_id = _submit(db)
    db.call(posts.raise_tier, post_id, REVIEWER, "涉及政策解读")
    view = db.call(posts.load, post_id)
    assert view.tier is Tier.IMPORTANT
    _post, done = db.call(posts.approve, post_id, REVIEWER, view.version)
    assert not done and db.call(posts.load, post_id).needed == [Role.DEPUTY_HEAD]
    stale = db.call(posts.load, post_id).version
    db.call(posts.edit, post_id, DRAFTER, "本周政务服务安排（更正）", [])
    with pytest.raises(AlreadyDecided):
        db.call(posts.approve, post_id, DEPUTY, stale)  # a card that changed meanwhile
    view = db.call(posts.load, post_id)
    assert view.signatures == [] and view.notice == "signatures_voided"
    db.call(posts.approve, post_id, REVIEWER)
    _post, done = db.call(posts.approve, post_id, DEPUTY)
    assert done
    view = db.call(posts.load, post_id)
    assert (view.reviewer, view.signer) == ("王审核", "陈分管")


def test_a_failing_check_blocks_the_final_signature_until_a_reason_is_given(
    db: Database,
) -> None:
    post_id = _submit(db, found=BLOCKING)
    with pytest.raises(ComplianceBlocked):
        db.call(posts.approve, post_id, REVIEWER)
    _post, done = db.call(posts.approve, post_id, REVIEWER, None, "经核实为本单位官方报名渠道")
    assert done
    view = db.call(posts.load, post_id)
    assert view.override_reason and view.override_by == "王审核"


def test_a_rejection_needs_a_reason_and_publishes_nothing(db: Database) -> None:
    post_id = _submit(db)
    with pytest.raises(InvalidTransition):
        db.call(posts.reject, post_id, REVIEWER, " ")
    with pytest.raises(NotAuthorised):
        db.call(posts.reject, post_id, DRAFTER, "不发了")
    db.call(posts.reject, post_id, REVIEWER, "与昨日通知重复")
    assert db.call(posts.load, post_id).state is DraftState.REJECTED
    assert _outbox(db, "channel_post") == []


def test_publication_is_recorded_once_and_counts_for_the_account(db: Database) -> None:
    post_id = _submit(db, kind=PostKind.REPOST, source="中国政府网")
    db.call(posts.approve, post_id, REVIEWER)
    db.call(posts.record_published, post_id, CHANNEL, 77)
    db.call(posts.record_published, post_id, CHANNEL, 77)  # a replayed send's record

    def facts(session: Session) -> tuple[list[tuple[int, bool]], list[str]]:
        rows = [(r.message_id, r.original) for r in session.exec(select(ChannelPost))]
        actions = [
            r.action
            for r in session.exec(select(AuditRecord).where(AuditRecord.subject_type == "post"))
        ]
        return rows, actions

    rows, actions = db.call(facts)
    assert rows == [(77, False)]
    assert actions == ["post_submitted", "post_approved", "post_published"]
    assert db.call(posts.load, post_id).published_message_id == 77


def test_the_assessment_counts_posts_published_through_sign_off(db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    from workflow import assessment

    start = datetime.now(UTC) - timedelta(days=1)
    published = _submit(db)
    _submit(db)  # still waiting for its signature: not counted
    db.call(posts.approve, published, REVIEWER)
    db.call(posts.record_published, published, CHANNEL, 5)
    figures = db.call(assessment.period_report, start, datetime.now(UTC) + timedelta(days=1))
    assert (figures.posts, figures.posts_signed) == (1, 1)


def test_a_scheduled_post_waits_in_the_outbox_and_can_be_withdrawn(db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    with pytest.raises(InvalidTransition, match="passed"):
        _submit(db, publish_at=now - timedelta(minutes=1))
    with pytest.raises(InvalidTransition, match="30 days"):
        _submit(db, publish_at=now + timedelta(days=31))
    when = now + timedelta(hours=20)
    post_id = _submit(db, publish_at=when)
    db.call(posts.approve, post_id, REVIEWER)
    [item] = _outbox(db, "channel_post")
    assert abs((item.next_attempt_at - when).total_seconds()) < 1  # held until then
    assert db.call(posts.load, post_id).withdrawable

    with pytest.raises(InvalidTransition):
        db.call(posts.withdraw, post_id, REVIEWER, " ")
    with pytest.raises(NotAuthorised):
        db.call(posts.withdraw, post_id, DRAFTER, "情况有变")
    db.call(posts.withdraw, post_id, REVIEWER2, "情况有变，暂不发布")
    [item] = _outbox(db, "channel_post")
    assert item.status.value == "cancelled"
    view = db.call(posts.load, post_id)
    assert view.state is DraftState.REJECTED and view.notice == "withdrawn"
    with pytest.raises(InvalidTransition):
        db.call(posts.withdraw, post_id, REVIEWER2, "再撤一次")

    at_once = _submit(db)
    db.call(posts.approve, at_once, REVIEWER)
    with pytest.raises(InvalidTransition, match="scheduled"):
        db.call(posts.withdraw, at_once, REVIEWER, "不是定时稿件")


def test_withdrawing_a_post_stops_a_signed_correction_not_sent_yet(db: Database) -> None:
    """The correction must not come back after the take-down (as a 【更正】 resend)."""
    from workflow import corrections
    from workflow.models import PostDraft

    post_id = _submit(db)
    db.call(posts.approve, post_id, REVIEWER)
    db.call(posts.record_published, post_id, CHANNEL, 77)
    fixed = db.call(posts.propose_correction, post_id, REVIEWER, "本周政务服务安排（已更正）", [])
    db.call(posts.approve, fixed.id, REVIEWER2)  # signed: its send is queued

    def send_of(post: int) -> OutboxItem:
        [item] = [i for i in _outbox(db, "channel_post") if i.dedupe_key == f"channel_post:{post}"]
        return item

    assert send_of(fixed.id).status.value == "pending"
    db.call(posts.withdraw, post_id, REVIEWER2, "信息有误，撤回")
    assert send_of(fixed.id).status.value == "cancelled"
    assert db.call(posts.load, fixed.id).state is DraftState.REJECTED
    # A send already under way sees the withdrawal and does not go out.
    with pytest.raises(InvalidTransition, match="withdrawn"):
        db.call(corrections.where_published, PostDraft, fixed.id)
