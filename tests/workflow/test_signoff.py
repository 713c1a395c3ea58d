"""The sign-off rule (RULES §1), pure and in the database: every order of presses by every
role completes every tier when the right people are among them; a press that cannot help is
refused naming who is still needed; the stamp names the highest signer as 审签人 whatever the
order; drafts and posts signed under the old next-in-line rule are repaired at start."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session, select

from bot.db import Database, upgrade
from workflow import posts, review
from workflow.errors import AlreadyDecided, NotAuthorised, NotNeeded, SeparationOfDuties
from workflow.models import (
    AuditRecord,
    ChatKind,
    CitizenMessage,
    Draft,
    DraftState,
    Operator,
    OutboxItem,
    PostDraft,
    PostSignature,
    Role,
    Signature,
    Tier,
)
from workflow.operators import add_operator
from workflow.publishing import stamp_for
from workflow.views import load_view

# --- the pure rule ----------------------------------------------------------------------------

RANK = {Role.REVIEWER: 1, Role.DEPUTY_HEAD: 2, Role.HEAD: 3}
PEOPLE = [
    Operator(telegram_id=1, role=Role.REVIEWER, name="审核甲"),
    Operator(telegram_id=2, role=Role.REVIEWER, name="审核乙"),
    Operator(telegram_id=3, role=Role.DEPUTY_HEAD, name="分管甲"),
    Operator(telegram_id=4, role=Role.DEPUTY_HEAD, name="分管乙"),
    Operator(telegram_id=5, role=Role.HEAD, name="主任"),
    Operator(telegram_id=6, role=Role.ADMIN, name="管理员"),
    Operator(telegram_id=7, role=Role.DRAFTER, name="代运维"),
]


@dataclass
class Item:
    id: int
    tier: Tier
    edited_by: list[int] = field(default_factory=list)


@dataclass
class Sig:
    operator_id: int
    role: Role
    void: bool = False


def _top(tier: Tier) -> int:
    return RANK[review.required_roles(tier)[-1]]


def entitled(tier: Tier, presses: Sequence[Operator]) -> bool:
    """Written from the rule's statement, not from `seat`: two-step tiers need two different
    signers, one of them of the tier's top rank; the one-step tier needs any signer."""
    signers = {p.telegram_id: RANK[p.role] for p in presses if p.role in RANK}
    if tier is Tier.ORDINARY:
        return bool(signers)
    return len(signers) >= 2 and max(signers.values()) >= _top(tier)


def press_all(item: Item, presses: Sequence[Operator]) -> tuple[list[Sig], list[Exception]]:
    """Press in this order; each refusal is kept, each signature given is kept."""
    sigs: list[Sig] = []
    refused: list[Exception] = []
    for person in presses:
        try:
            review.check_can_sign(item, sigs, person)
        except (AlreadyDecided, NotAuthorised, SeparationOfDuties) as error:
            refused.append(error)
            continue
        sigs.append(Sig(person.telegram_id, person.role))
    return sigs, refused


@pytest.mark.parametrize("tier", list(Tier))
def test_every_order_of_every_group_of_people_completes_when_it_can(tier: Tier) -> None:
    walked = 0
    for size in range(1, 5):
        for group in itertools.combinations(PEOPLE, size):
            for order in itertools.permutations(group):
                item = Item(1, tier)
                sigs, _ = press_all(item, order)
                done = not review.still_needed(tier, sigs)
                assert done == entitled(tier, order), (tier, [p.name for p in order])
                if done:
                    seats = review.seat(tier, sigs)
                    top = max(RANK[s.role] for s in sigs)
                    # the 审签人 is the highest signer, whatever the order
                    assert seats[-1] is not None and RANK[seats[-1].role] == top
                    assert len({id(s) for s in seats}) == len(seats)  # no one fills two steps
                walked += 1
    assert walked > 1000


@pytest.mark.parametrize(
    ("tier", "order", "refused_at"),
    [
        # the head first on a major draft gives the head's signature; a reviewer completes
        (Tier.MAJOR, ["主任", "审核甲"], []),
        # the deputy head first on an important draft; then the reviewer
        (Tier.IMPORTANT, ["分管甲", "审核甲"], []),
        # the head first on an important draft; then the deputy head: 审核人 is the deputy head
        (Tier.IMPORTANT, ["主任", "分管甲"], []),
        # a major draft with its review signature: a deputy head cannot give the head's
        (Tier.MAJOR, ["审核甲", "分管甲", "主任"], [1]),
        # the head presses twice
        (Tier.MAJOR, ["主任", "主任", "审核甲"], [1]),
    ],
)
def test_the_highest_signer_pressing_first(
    tier: Tier, order: list[str], refused_at: list[int]
) -> None:
    by_name = {p.name: p for p in PEOPLE}
    sigs: list[Sig] = []
    refusals = []
    for index, name in enumerate(order):
        person = by_name[name]
        try:
            review.check_can_sign(Item(1, tier), sigs, person)
        except (NotAuthorised, SeparationOfDuties):
            refusals.append(index)
            continue
        sigs.append(Sig(person.telegram_id, person.role))
    assert refusals == refused_at
    assert review.still_needed(tier, sigs) == []
    seats = review.seat(tier, sigs)
    assert seats[-1] is not None and RANK[seats[-1].role] == max(RANK[s.role] for s in sigs)


def test_a_press_that_cannot_help_names_who_is_still_needed() -> None:
    reviewer, deputy, deputy2, head = PEOPLE[0], PEOPLE[2], PEOPLE[3], PEOPLE[4]
    major = Item(1, Tier.MAJOR)
    signed = [Sig(reviewer.telegram_id, reviewer.role)]
    with pytest.raises(NotNeeded) as refused:
        review.check_can_sign(major, signed, deputy)
    assert refused.value.still_needed == ["head"]
    assert review.still_needed(Tier.MAJOR, signed) == [Role.HEAD]
    # the head signed first: the review step is open, and anyone who signs may fill it
    signed = [Sig(head.telegram_id, head.role)]
    assert review.still_needed(Tier.MAJOR, signed) == [Role.REVIEWER]
    assert review.check_can_sign(major, signed, deputy) == 1
    # an important draft with its deputy head: a second deputy head gives the review step
    important = Item(2, Tier.IMPORTANT)
    signed = [Sig(deputy.telegram_id, deputy.role)]
    assert review.still_needed(Tier.IMPORTANT, signed) == [Role.REVIEWER]
    assert review.check_can_sign(important, signed, deputy2) == 1
    # admins and drafters sign nothing; the error names the least role still needed
    with pytest.raises(NotAuthorised) as not_signer:
        review.check_can_sign(important, signed, PEOPLE[5])
    assert not_signer.value.needed == "reviewer"


@pytest.mark.parametrize("tier", list(Tier))
def test_edits_void_signatures_in_between_and_any_order_still_completes(tier: Tier) -> None:
    """Every order of the reviewer, a deputy head and the head, with an edit (all signatures
    void) after each possible press: signing again from scratch completes. An editor who would
    be the only approver is refused; with another signer they may complete."""
    trio = [PEOPLE[0], PEOPLE[2], PEOPLE[4]]
    for order in itertools.permutations(trio):
        for edit_after in range(len(order)):
            item = Item(1, tier)
            sigs, _ = press_all(item, order[: edit_after + 1])
            for sig in sigs:
                sig.void = True
            if tier is not Tier.ORDINARY or edit_after:
                assert review.still_needed(tier, sigs) == list(review.required_roles(tier))
            again, _ = press_all(item, order)
            assert not review.still_needed(tier, [*sigs, *again])
    editor = PEOPLE[4]
    item = Item(1, Tier.ORDINARY, edited_by=[editor.telegram_id])
    with pytest.raises(SeparationOfDuties):
        review.check_can_sign(item, [], editor)
    # the head edited a major draft: their press first is fine (the draft still needs a
    # reviewer, another pair of eyes); after a reviewer's signature it completes the draft
    item = Item(1, Tier.MAJOR, edited_by=[editor.telegram_id])
    assert review.check_can_sign(item, [], editor) == 2
    assert review.check_can_sign(item, [Sig(1, Role.REVIEWER)], editor) == 2
    # a reviewer who edited an ordinary draft can't be its only approver, in any order
    reviewer = PEOPLE[0]
    item = Item(1, Tier.ORDINARY, edited_by=[reviewer.telegram_id])
    with pytest.raises(SeparationOfDuties):
        review.check_can_sign(item, [], reviewer)


def test_a_raised_tier_seats_signatures_again() -> None:
    """An important draft signed by its deputy head is raised to major: that signature now
    fills the review step and the head is needed; a surplus signature stays out of the stamp."""
    deputy, deputy2 = Sig(3, Role.DEPUTY_HEAD), Sig(4, Role.DEPUTY_HEAD)
    assert review.seat(Tier.IMPORTANT, [deputy]) == [None, deputy]
    assert review.seat(Tier.MAJOR, [deputy]) == [deputy, None]
    assert review.still_needed(Tier.MAJOR, [deputy, deputy2]) == [Role.HEAD]
    head = Sig(5, Role.HEAD)
    assert review.seat(Tier.MAJOR, [deputy, deputy2, head]) == [deputy, head]


# --- in the database: the stamp, and the start-up repair -------------------------------------

REVIEWER, DEPUTY, HEAD, DRAFTER = 2001, 2002, 2003, 2004


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    upgrade(db_url)
    database = Database(db_url)
    for telegram_id, role, name in (
        (REVIEWER, Role.REVIEWER, "王审核"),
        (DEPUTY, Role.DEPUTY_HEAD, "陈分管"),
        (HEAD, Role.HEAD, "刘主任"),
        (DRAFTER, Role.DRAFTER, "周代运维"),
    ):
        database.call(add_operator, telegram_id, role, name)
    yield database
    database.dispose()


def _draft(db: Database, tier: Tier) -> int:
    def make(session: Session) -> int:
        message_id = len(list(session.exec(select(CitizenMessage.id)))) + 1
        message = CitizenMessage(
            update_id=message_id,
            chat_id=42,
            chat_kind=ChatKind.PRIVATE,
            message_id=message_id,
            user_id=42,
            user_name="市民",
            text="请问停车场几点关门",
            text_redacted="请问停车场几点关门",
            label="consultation",
        )
        session.add(message)
        session.flush()
        draft = Draft(message_id=message.id, text="晚上十点关门。", tier=tier)
        session.add(draft)
        session.flush()
        assert draft.id is not None
        return draft.id

    return db.call(make)


def test_stamp_names_the_head_as_signer_when_the_head_signed_first(db: Database) -> None:
    draft_id = _draft(db, Tier.IMPORTANT)
    first = db.call(review.approve, draft_id, HEAD)
    assert not first.completed
    view = db.call(load_view, draft_id)
    assert view.needed == [Role.REVIEWER]
    with pytest.raises(SeparationOfDuties):
        db.call(review.approve, draft_id, HEAD)
    done = db.call(review.approve, draft_id, DEPUTY)
    assert done.completed
    stamp = db.call(lambda s: stamp_for(s, s.get(Draft, draft_id)))
    assert (stamp.reviewer, stamp.signer) == ("陈分管", "刘主任")
    steps = db.call(
        lambda s: {
            x.operator_id: x.step
            for x in s.exec(select(Signature).where(Signature.draft_id == draft_id))
        }
    )
    assert steps == {HEAD: 2, DEPUTY: 1}


def _old_rule_signature(db: Database, draft_id: int, user: int, role: Role, name: str) -> None:
    """What the old rule wrote: the head's press filled step 1 (the reviewer's)."""
    db.call(
        lambda s: s.add(
            Signature(draft_id=draft_id, operator_id=user, operator_name=name, role=role, step=1)
        )
    )


def test_start_up_repair_frees_a_draft_the_old_rule_froze(db: Database) -> None:
    stuck = _draft(db, Tier.MAJOR)
    _old_rule_signature(db, stuck, HEAD, Role.HEAD, "刘主任")
    fine = _draft(db, Tier.MAJOR)
    db.call(review.approve, fine, REVIEWER)  # step 1 by a reviewer: nothing to repair
    changed = db.call(review.settle_pending)
    assert changed == [stuck]
    assert db.call(review.settle_pending) == []  # idempotent
    view = db.call(load_view, stuck)
    assert view.needed == [Role.REVIEWER] and view.notice == "signatures_reseated"
    done = db.call(review.approve, stuck, REVIEWER)  # refused for good before the repair
    assert done.completed
    records = db.call(
        lambda s: [
            r.action
            for r in s.exec(select(AuditRecord).where(AuditRecord.subject_id == str(stuck)))
        ]
    )
    assert "signatures_reseated" in records


def test_start_up_repair_publishes_a_draft_that_is_now_complete_once(db: Database) -> None:
    """Old data: the head's press filled step 1 of a major draft and a deputy head's then
    filled step 2 (as it could before the draft was raised from important). Under the new rule
    the head fills the head's step and the deputy head the review step: complete, so the
    repair queues the reply, once."""
    draft_id = _draft(db, Tier.MAJOR)
    _old_rule_signature(db, draft_id, HEAD, Role.HEAD, "刘主任")
    db.call(
        lambda s: s.add(
            Signature(
                draft_id=draft_id,
                operator_id=DEPUTY,
                operator_name="陈分管",
                role=Role.DEPUTY_HEAD,
                step=2,
            )
        )
    )
    assert db.call(review.settle_pending) == [draft_id]
    assert db.call(review.settle_pending) == []
    draft = db.call(lambda s: s.get(Draft, draft_id))
    assert draft.state is DraftState.APPROVED
    sends = db.call(
        lambda s: list(
            s.exec(
                select(OutboxItem).where(
                    OutboxItem.kind == "publish", OutboxItem.draft_id == draft_id
                )
            )
        )
    )
    assert len(sends) == 1


def test_start_up_repair_of_a_channel_post(db: Database) -> None:
    post = db.call(posts.submit, DRAFTER, "关于暴雨天气的安全提示", [], tier=Tier.MAJOR)
    assert post.id is not None
    post_id = post.id
    db.call(
        lambda s: s.add(
            PostSignature(
                post_id=post_id,
                operator_id=HEAD,
                operator_name="刘主任",
                role=Role.HEAD,
                step=1,
            )
        )
    )
    assert db.call(posts.settle_pending) == [post_id]
    view = db.call(posts.load, post_id)
    assert view.needed == [Role.REVIEWER]
    _, done = db.call(posts.approve, post_id, REVIEWER)
    assert done
    view = db.call(posts.load, post_id)
    assert (view.reviewer, view.signer) == ("王审核", "刘主任")
    stored = db.call(lambda s: s.get(PostDraft, post_id))
    assert stored.state is DraftState.APPROVED
