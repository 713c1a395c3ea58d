"""Tiered sign-off (先审后发, RULES §1): who may sign next, separation of duties, transitions.

Pure rules come first (`required_roles`, `seat`, `still_needed`, `check_can_sign`); the
transition functions after them take a Session, lock the draft row, check the rules, write the
change, its audit record and any outbox work in the caller's one transaction. The order in
which entitled people press does not matter: each signature fills the most demanding open
step its signer may give.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlmodel import Session, col, select

from knowledge_base.sqltypes import utcnow
from workflow import audit, outbox
from workflow.errors import (
    AlreadyDecided,
    ComplianceBlocked,
    InvalidTransition,
    NotAuthorised,
    NotFound,
    NotNeeded,
    SeparationOfDuties,
)
from workflow.models import (
    CardState,
    ChatKind,
    CitizenMessage,
    Draft,
    DraftState,
    Operator,
    PostDraft,
    PostSignature,
    Role,
    Signature,
    Tier,
    Visibility,
)

if TYPE_CHECKING:
    from workflow.intake import DraftPlan

SIGNER_RANK = {Role.REVIEWER: 1, Role.DEPUTY_HEAD: 2, Role.HEAD: 3}
TIER_RANK = {Tier.ORDINARY: 0, Tier.IMPORTANT: 1, Tier.MAJOR: 2}
_REQUIRED = {
    Tier.ORDINARY: (Role.REVIEWER,),
    Tier.IMPORTANT: (Role.REVIEWER, Role.DEPUTY_HEAD),
    Tier.MAJOR: (Role.REVIEWER, Role.HEAD),
}


# --- pure rules -------------------------------------------------------------------------------


class Signable(Protocol):
    """What the signing rules read of a reply draft or a channel post."""

    @property
    def id(self) -> int | None: ...
    @property
    def tier(self) -> Tier: ...
    @property
    def edited_by(self) -> list[int]: ...


class Signed(Protocol):
    @property
    def operator_id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def void(self) -> bool: ...


S = TypeVar("S", bound=Signed)


def required_roles(tier: Tier) -> tuple[Role, ...]:
    """The signatures a tier needs, by step: 审核 (reviewer), then 审签 (deputy head or head)."""
    return _REQUIRED[tier]


def can_give(role: Role, needed: Role) -> bool:
    """A signer can give a signature of their rank or below; admins sign nothing."""
    return role in SIGNER_RANK and SIGNER_RANK[role] >= SIGNER_RANK[needed]


def seat(tier: Tier, signatures: Sequence[S]) -> list[S | None]:
    """Which valid signature fills each step of `tier` (None: still open), whatever the order
    they were given in: the most demanding step takes the highest signer, the next step the
    next one, equal ranks in the order they signed. So the head who presses first on a major
    draft gives the head's signature and the draft waits for a reviewer; the 审签人 is always
    the highest signer. Greedy is optimal here: a signer who can fill a step can fill every
    less demanding one. A signature that fits no step (the tier was raised over it) is left
    out; it stays on record."""
    needed = required_roles(tier)
    valid = [s for s in signatures if not s.void and s.role in SIGNER_RANK]
    signers = sorted(valid, key=lambda s: -SIGNER_RANK[s.role])  # stable: order of signing
    steps = sorted(range(len(needed)), key=lambda i: (-SIGNER_RANK[needed[i]], -i))
    seats: list[S | None] = [None] * len(needed)
    for index in steps:
        if signers and can_give(signers[0].role, needed[index]):
            seats[index] = signers.pop(0)
    return seats


def still_needed(tier: Tier, signatures: Sequence[Signed]) -> list[Role]:
    """The roles of the steps still open, in step order; empty when fully signed."""
    needed = required_roles(tier)
    return [needed[i] for i, s in enumerate(seat(tier, signatures)) if s is None]


def stamp_names(tier: Tier, signatures: Sequence[Signature | PostSignature]) -> tuple[str, str]:
    """(审核人, 审签人) by step, whatever order they signed in: the first step's signer and the
    last step's (the highest signer). One step (ordinary): the same person. Empty while open."""
    seats = seat(tier, signatures)
    first, last = seats[0], seats[-1]
    return (first.operator_name if first else "", last.operator_name if last else "")


@dataclass(frozen=True)
class _Press:
    """A signature `check_can_sign` tries out before it is given."""

    operator_id: int
    role: Role
    void: bool = False


def check_can_sign(draft: Signable, signatures: Sequence[Signed], operator: Operator) -> int:
    """Return the step `operator`'s signature would fill, or raise why it can't be given.

    Raises:
        AlreadyDecided: every step is filled.
        NotAuthorised: `operator` signs nothing, or their rank fills none of the open steps
            (`needed` names the least of them; `NotNeeded` lists them all).
        SeparationOfDuties: they signed already, or edited the draft and would be its only
            approver.
    """
    open_roles = still_needed(draft.tier, signatures)
    if not open_roles:
        raise AlreadyDecided(draft.id or 0, "fully signed")
    if operator.role not in SIGNER_RANK:
        raise NotAuthorised(operator.telegram_id, open_roles[0].value)
    valid = [s for s in signatures if not s.void]
    if any(s.operator_id == operator.telegram_id for s in valid):
        raise SeparationOfDuties("nobody signs the same draft twice")
    if not any(can_give(operator.role, role) for role in open_roles):
        raise NotNeeded(operator.telegram_id, [r.value for r in open_roles])
    press = _Press(operator.telegram_id, operator.role)
    seats = seat(draft.tier, [*valid, press])
    step = next(i for i, s in enumerate(seats) if s is press) + 1
    is_final = all(s is not None for s in seats)
    others = {s.operator_id for s in valid} - set(draft.edited_by)
    if is_final and operator.telegram_id in draft.edited_by and not others:
        raise SeparationOfDuties("the operator who edited a draft cannot be its only approver")
    return step


def tier_above(tier: Tier) -> Tier:
    """The next tier up; InvalidTransition at the top."""
    order = list(TIER_RANK)
    index = order.index(tier)
    if index == len(order) - 1:
        raise InvalidTransition("the draft is already at the highest tier")
    return order[index + 1]


def is_blocking(findings: Sequence[dict[str, Any]]) -> bool:
    return any(f.get("blocking") for f in findings)


def tier_for(sensitivity: str | None, label: str) -> Tier:
    """Initial tier: the matched entry's sensitivity, raised by the message's category."""
    by_label = {
        "complaint": Tier.IMPORTANT,
        "impersonation_report": Tier.IMPORTANT,
        "petition": Tier.IMPORTANT,
        "sensitive_incident": Tier.MAJOR,
        "error_report": Tier.IMPORTANT,  # says the account published something wrong
    }
    known = sensitivity is not None and sensitivity in Tier._value2member_map_
    tiers = [Tier(sensitivity) if known and sensitivity else Tier.ORDINARY]
    tiers.append(by_label.get(label, Tier.ORDINARY))
    return max(tiers, key=TIER_RANK.__getitem__)


def visibility_for(chat_is_private: bool, label: str) -> Visibility:
    """Private chats get private replies; sensitive topics in public get one too (RULES §2)."""
    if chat_is_private or label in ("sensitive_incident", "complaint"):
        return Visibility.PRIVATE
    return Visibility.PUBLIC


# --- transitions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    draft: Draft
    completed: bool = False


def operator_for(session: Session, user_id: int) -> Operator:
    """The active operator with this Telegram id, or NotAuthorised."""
    op = session.get(Operator, user_id)
    if op is None or not op.active:
        raise NotAuthorised(user_id)
    return op


def drafter_for(session: Session, user_id: int) -> Operator:
    """An operator who may write or choose a reply: a drafter or any signer.

    A drafter (an outsourced operator, 代运维) drafts but signs nothing, so what they write
    is always published under someone else's signature (RULES §1: 严禁自编自发)."""
    op = operator_for(session, user_id)
    if op.role is not Role.DRAFTER and op.role not in SIGNER_RANK:
        raise NotAuthorised(user_id, "drafter")
    return op


def signer_for(session: Session, user_id: int) -> Operator:
    op = operator_for(session, user_id)
    if op.role not in SIGNER_RANK:
        raise NotAuthorised(user_id, "reviewer")
    return op


Pending = TypeVar("Pending", Draft, PostDraft)


def lock_pending(
    session: Session, model: type[Pending], item_id: int, expected_version: int | None = None
) -> Pending:
    """Load a pending reply draft or channel post FOR UPDATE; a stale card version means
    someone changed it meanwhile."""
    item = session.exec(select(model).where(model.id == item_id).with_for_update()).first()
    if item is None:
        raise NotFound(str(model.__tablename__), item_id)
    if item.state is not DraftState.PENDING:
        raise AlreadyDecided(item_id, item.state.value)
    if expected_version is not None and item.version != expected_version:
        raise AlreadyDecided(item_id, "changed")
    return item


def lock_draft(session: Session, draft_id: int, expected_version: int | None = None) -> Draft:
    return lock_pending(session, Draft, draft_id, expected_version)


def signatures_of(session: Session, draft_id: int) -> list[Signature]:
    query = select(Signature).where(Signature.draft_id == draft_id).order_by(col(Signature.id))
    return list(session.exec(query))


def required_text(text: str, problem: str) -> str:
    """`text` stripped, or InvalidTransition(problem) when nothing is left."""
    text = text.strip()
    if not text:
        raise InvalidTransition(problem)
    return text


REPLY_TEXT_LIMIT = 4000  # Telegram takes 4096 characters a message; the stamp needs the rest


def reply_text(text: str) -> str:
    """An operator's wording for a reply: not empty, and short enough to be sent with its
    stamp (refused now rather than by Telegram after it was signed)."""
    text = required_text(text, "the new reply text is empty")
    if len(text) > REPLY_TEXT_LIMIT:
        raise InvalidTransition("the reply is too long")
    return text


def raise_to(item: Draft | PostDraft, tier: Tier, reason: str) -> None:
    """Give a reply draft or channel post the tier new words call for if it is higher; a
    tier is never lowered."""
    if TIER_RANK[tier] > TIER_RANK[item.tier]:
        item.tier, item.tier_reason = tier, reason


def touch(session: Session, item: Draft | PostDraft, notice: str | None = None) -> None:
    """A change worth a new card version (reply draft or channel post): bump the version,
    note the event for the card, refresh the card."""
    item.version += 1
    item.notice = notice
    session.add(item)
    if isinstance(item, PostDraft):
        outbox.enqueue_post_card(session, item)
    else:
        outbox.enqueue_card(session, item)


def sign_step(
    session: Session,
    item: Pending,
    signatures: Sequence[Signed],
    user_id: int,
    override_reason: str | None,
) -> tuple[Operator, int, bool]:
    """(signer, step, whether final) of the signature `user_id` would give a reply draft or
    channel post, or raise why not. RULES §3: a failing check blocks the final signature
    unless that signer overrides it with a reason, which goes on record here."""
    operator = signer_for(session, user_id)
    step = check_can_sign(item, signatures, operator)
    is_final = len(still_needed(item.tier, signatures)) == 1  # a signature fills one step
    if is_final and is_blocking(item.compliance) and not item.override_reason:
        if not override_reason:
            codes = [f["code"] for f in item.compliance if f.get("blocking")]
            raise ComplianceBlocked(item.id or 0, codes)
        item.override_reason = override_reason
        item.override_by = user_id
        audit.record(
            session,
            "compliance_overridden",
            "post" if isinstance(item, PostDraft) else "draft",
            item.id,
            actor_id=user_id,
            after={"reason": override_reason, "findings": item.compliance},
        )
    return operator, step, is_final


def approve(
    session: Session,
    draft_id: int,
    user_id: int,
    expected_version: int | None = None,
    override_reason: str | None = None,
) -> Outcome:
    """Give the next signature; the last one sends the reply to the outbox."""
    draft = lock_draft(session, draft_id, expected_version)
    sigs = signatures_of(session, draft_id)
    operator, step, is_final = sign_step(session, draft, sigs, user_id, override_reason)
    sig = Signature(
        draft_id=draft_id,
        operator_id=user_id,
        operator_name=operator.name,
        role=operator.role,
        step=step,
    )
    session.add(sig)
    reseat(session, draft.tier, [*sigs, sig])
    audit.record(
        session,
        "approved",
        "draft",
        draft_id,
        actor_id=user_id,
        before={"signatures": len([s for s in sigs if not s.void])},
        after={"step": step, "role": operator.role.value, "final": is_final},
    )
    if is_final:
        _complete(session, draft)
    touch(session, draft)
    return Outcome(draft, completed=is_final)


def _complete(session: Session, draft: Draft) -> None:
    """Fully signed: the reply goes to the outbox, once (its dedupe key)."""
    draft.state = DraftState.APPROVED
    draft.decided_at = utcnow()
    draft.card_state = CardState.CLOSED
    outbox.enqueue_publish(session, draft)


def settle_pending(session: Session) -> list[int]:
    """Start-up repair for drafts signed under the old rule, where a signature filled the
    next step in line (the head pressing first on a major draft took the reviewer's step and
    the draft could never complete): `settle` each pending reply draft and correction."""
    return settle(session, Draft, signatures_of, _complete, "draft")


def settle(
    session: Session,
    model: type[Pending],
    signatures: Callable[[Session, int], Sequence[Signature | PostSignature]],
    complete: Callable[[Session, Pending], None],
    subject: str,
) -> list[int]:
    """Seat the signatures of each pending reply draft or channel post again: one now fully
    signed is completed (`complete`: queued once), one whose steps moved gets a fresh card
    naming who is still needed. Both are audited. Returns the ids it changed."""
    changed: list[int] = []
    pending = select(model.id).where(model.state == DraftState.PENDING).order_by(col(model.id))
    for item_id in [i for i in session.exec(pending) if i is not None]:
        sigs = signatures(session, item_id)
        if not any(not s.void for s in sigs):
            continue
        item = lock_pending(session, model, item_id)
        moved = reseat(session, item.tier, sigs)
        done = not still_needed(item.tier, sigs)
        if not (moved or done):
            continue
        steps = {s.operator_name: s.step for s in sigs if not s.void}
        after = {"steps": steps, "complete": done}
        audit.record(session, "signatures_reseated", subject, item_id, after=after)
        if done:
            complete(session, item)
        touch(session, item, "signatures_reseated")
        changed.append(item_id)
    return changed


def reseat(session: Session, tier: Tier, signatures: Sequence[Signature | PostSignature]) -> bool:
    """Write each valid signature's step as `seat` gives it now (0: it fits no step since
    the tier was raised). True if any changed."""
    seats = seat(tier, signatures)
    changed = False
    for sig in signatures:
        if sig.void:
            continue
        step = next((i + 1 for i, s in enumerate(seats) if s is sig), 0)
        if sig.step != step:
            sig.step = step
            session.add(sig)
            changed = True
    return changed


def void_signatures(
    session: Session,
    signatures: Sequence[Signature | PostSignature],
    subject: tuple[str, object],
    user_id: int | None,
    why: str,
) -> bool:
    """Void the signatures given so far (the text they signed changed); True if any was."""
    voided = False
    for sig in signatures:
        if not sig.void:
            sig.void = True
            session.add(sig)
            voided = True
    if voided:
        kind, key = subject
        audit.record(session, "signatures_voided", kind, key, actor_id=user_id, after={"why": why})
    return voided


def _void_signatures(session: Session, draft: Draft, user_id: int | None, why: str) -> bool:
    sigs = signatures_of(session, draft.id or 0)
    return void_signatures(session, sigs, ("draft", draft.id), user_id, why)


def _replace_reply(
    session: Session,
    draft: Draft,
    user_id: int,
    findings: list[dict[str, Any]],
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> Outcome:
    """The reply changed: new checks, no override, and signatures given are void (RULES §1)."""
    draft.compliance = findings
    draft.override_reason = None
    voided = _void_signatures(session, draft, user_id, action)
    audit.record(session, action, "draft", draft.id, actor_id=user_id, before=before, after=after)
    touch(session, draft, "signatures_voided" if voided else action)
    return Outcome(draft)


def edit(
    session: Session,
    draft_id: int,
    user_id: int,
    text: str,
    findings: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Outcome:
    """Replace the reply text; signatures given so far are void (RULES §1)."""
    text = reply_text(text)
    draft = lock_draft(session, draft_id, expected_version)
    drafter_for(session, user_id)
    before = draft.text
    draft.text = text
    draft.drafter_id = user_id
    if user_id not in draft.edited_by:
        draft.edited_by = [*draft.edited_by, user_id]
    return _replace_reply(
        session, draft, user_id, findings, "edited", {"text": before}, {"text": text}
    )


def citizen_edited(
    session: Session,
    draft_id: int,
    plan: DraftPlan,
    kept_findings: list[dict[str, Any]] | None,
) -> str:
    """The citizen edited the message this draft answers; returns what was done.

    Pending: signatures are void (they approved a reply to other words). A reply an operator
    wrote or chose is kept ("kept", re-checked with `kept_findings` when the caller ran them),
    as is a template such as a case acknowledgement ("kept_template"); any other reply is
    redrafted from the new match ("redrafted"). Tier and visibility only ever become
    stricter. Decided: operators are told under the card ("notified"); nothing already
    published is touched.
    """
    draft = session.exec(select(Draft).where(Draft.id == draft_id).with_for_update()).first()
    if draft is None:
        raise NotFound("draft", draft_id)
    if draft.state is not DraftState.PENDING:
        digest = hashlib.sha256(plan.text_redacted.encode()).hexdigest()[:16]
        outbox.enqueue(
            session,
            outbox.Kind.NOTICE,
            draft_id=draft.id,
            payload={
                "template": "citizen_edited_after",
                "reply_to_card": True,
                "params": {"id": draft.id, "state": draft.state.value, "text": plan.text_redacted},
            },
            dedupe_key=f"citizen_edited:{draft.id}:{digest}",
        )
        audit.record(
            session, "citizen_edited", "draft", draft.id, after={"state": draft.state.value}
        )
        return "notified"
    if reply_changed_by_hand(session, draft):
        outcome = "kept"
    elif audit.exists(session, "draft", draft.id, ["reply_templated"]):
        outcome = "kept_template"
    else:
        outcome = "redrafted"
    before = {"entry_id": draft.matched_entry_id, "text": draft.text, "tier": draft.tier.value}
    if outcome == "kept" and kept_findings is not None:
        draft.compliance = kept_findings
    elif outcome == "redrafted":
        draft.matched_entry_id = plan.matched_entry_id
        draft.matched_entry_version = plan.matched_entry_version
        draft.score = plan.score
        draft.probability = plan.probability
        draft.confident = plan.confident
        draft.candidates = plan.candidates
        draft.text = plan.reply_text
        draft.compliance = plan.compliance
    raise_to(draft, plan.tier, plan.tier_reason)
    if plan.visibility is Visibility.PRIVATE:
        draft.visibility = Visibility.PRIVATE
    draft.override_reason = None  # an override was argued for the old words
    draft.override_by = None
    _void_signatures(session, draft, None, "citizen_edited")
    audit.record(
        session,
        "citizen_edited",
        "draft",
        draft.id,
        before=before,
        after={
            "entry_id": draft.matched_entry_id,
            "text": draft.text,
            "tier": draft.tier.value,
            "outcome": outcome,
        },
    )
    touch(session, draft, f"citizen_edited_{outcome}")
    return outcome


def reply_changed_by_hand(session: Session, draft: Draft) -> bool:
    """Whether an operator wrote or chose this draft's reply (a redraft must not undo it)."""
    return bool(draft.edited_by) or audit.exists(session, "draft", draft.id, ["match_chosen"])


def choose_candidate(
    session: Session,
    draft_id: int,
    user_id: int,
    entry_id: str,
    answer: str,
    entry_version: int,
    findings: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Outcome:
    """Use another of the top matches as the reply (a hard negative for training)."""
    draft = lock_draft(session, draft_id, expected_version)
    drafter_for(session, user_id)
    if entry_id not in {c.get("entry_id") for c in draft.candidates}:
        raise InvalidTransition(f"entry {entry_id} is not one of this draft's matches")
    before = draft.matched_entry_id
    draft.matched_entry_id = entry_id
    draft.matched_entry_version = entry_version
    draft.text = answer
    return _replace_reply(
        session,
        draft,
        user_id,
        findings,
        "match_chosen",
        {"entry_id": before},
        {"entry_id": entry_id},
    )


def reject(
    session: Session,
    draft_id: int,
    user_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Close the draft without replying; the reason stays on record."""
    reason = required_text(reason, "a rejection needs a reason")
    draft = lock_draft(session, draft_id, expected_version)
    signer_for(session, user_id)
    draft.state = DraftState.REJECTED
    draft.reject_reason = reason
    draft.decided_at = utcnow()
    draft.card_state = CardState.CLOSED
    audit.record(
        session, "rejected", "draft", draft_id, actor_id=user_id, after={"reason": reason}
    )
    touch(session, draft)
    return Outcome(draft, completed=True)


def close_unanswerable(session: Session, draft_id: int, reason: str) -> Draft:
    """Close a pending draft that can no longer be answered (its comment was deleted as
    spam). No operator acts: nothing is published, and the reason stays on the card."""
    draft = lock_draft(session, draft_id)
    draft.state = DraftState.REJECTED
    draft.reject_reason = reason
    draft.decided_at = utcnow()
    draft.card_state = CardState.CLOSED
    audit.record(session, "closed_unanswerable", "draft", draft_id, after={"reason": reason})
    touch(session, draft)
    return draft


def set_visibility(
    session: Session,
    draft_id: int,
    user_id: int,
    visibility: Visibility,
    expected_version: int | None = None,
) -> Outcome:
    """Switch between a public reply and a private one; signatures given are void."""
    draft = lock_draft(session, draft_id, expected_version)
    signer_for(session, user_id)
    if draft.visibility is visibility:
        return Outcome(draft)
    if draft.corrects_id is not None:
        raise InvalidTransition("a correction goes where the reply it corrects was published")
    message = session.get(CitizenMessage, draft.message_id)
    if (
        message is not None
        and message.chat_kind is ChatKind.PRIVATE
        and (visibility is Visibility.PUBLIC)
    ):
        raise InvalidTransition("a private message can only be answered privately")
    before = draft.visibility
    draft.visibility = visibility
    voided = _void_signatures(session, draft, user_id, "visibility changed")
    audit.record(
        session,
        "visibility_changed",
        "draft",
        draft_id,
        actor_id=user_id,
        before={"visibility": before.value},
        after={"visibility": visibility.value},
    )
    touch(session, draft, "signatures_voided" if voided else None)
    return Outcome(draft)


def raise_tier(
    session: Session,
    draft_id: int,
    user_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Escalate one tier up (never down); signatures already given stay valid."""
    reason = required_text(reason, "raising the tier needs a reason")
    draft = lock_draft(session, draft_id, expected_version)
    signer_for(session, user_id)
    before = draft.tier
    draft.tier = tier_above(draft.tier)
    draft.tier_reason = reason
    audit.record(
        session,
        "tier_raised",
        "draft",
        draft_id,
        actor_id=user_id,
        before={"tier": before.value},
        after={"tier": draft.tier.value, "reason": reason},
    )
    touch(session, draft, "tier_raised")
    return Outcome(draft)
