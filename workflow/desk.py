"""The reply desk: one object that turns a citizen's message into a draft and carries operator
actions through the review rules. It knows nothing about Telegram; handlers and the web console
call it the same way (one workflow, several front ends).

Slow work (embedding search, compliance similarity) runs in worker threads; every state change
runs in one database transaction through `db.run`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from knowledge_base.models import KBEntry
from knowledge_base.retrieval import Matcher, MatchResult
from knowledge_base.sqltypes import utcnow
from workflow import (
    corrections,
    hot_topics,
    intake,
    posts,
    publishing,
    review,
    routing_actions,
    sla,
)
from workflow.compliance import ComplianceLists, check_reply
from workflow.errors import AlreadyDecided, InvalidTransition, NotFound
from workflow.intake import DraftPlan, Incoming
from workflow.models import (
    ChatKind,
    CitizenMessage,
    Draft,
    DraftState,
    PostDraft,
    PostKind,
    Tier,
    Visibility,
)
from workflow.redaction import redact, redact_for_log
from workflow.routing_actions import RoutingConfig
from workflow.sla import SlaPolicy
from workflow.triage import Label, Router, rumour_cue
from workflow.views import SUSPECTED, DraftView, draft_for_card, load_view

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Runner(Protocol):
    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


@dataclass
class DeskConfig:
    max_open_cards: int = 10
    deep_link_ttl_hours: float = 72
    no_answer_text: str = ""
    candidates: int = 5
    off_topic_blocks: bool = False
    sla: SlaPolicy | None = None
    # Spam and abuse get no reply at all (issue 6 §4): routing_actions deletes / logs them.
    routed_without_draft: frozenset[str] = field(
        default_factory=lambda: frozenset({"spam_ad", "abuse"})
    )
    # Deleting a comment or restricting its author is not undone by a person: below this
    # triage confidence a message that looks like spam or abuse is a consultation card.
    moderate_min_confidence: float = 0.5
    routing: RoutingConfig = field(default_factory=RoutingConfig)


class Desk:
    """Citizen intake and operator actions; every method is safe to call twice."""

    def __init__(
        self,
        db: Runner,
        matcher: Matcher,
        router: Router,
        compliance_lists: ComplianceLists,
        config: DeskConfig,
    ) -> None:
        self.db = db
        self.matcher = matcher
        self.router = router
        self.lists = compliance_lists
        self.config = config

    # --- intake -------------------------------------------------------------------------------

    async def plan(self, incoming: Incoming, label: str | None = None) -> DraftPlan:
        """Route (unless the citizen said what it is: `label`), match and pre-check a message
        (no database writes). A citizen's 纠错 (RULES §7) comes labelled ERROR_REPORT: it opens
        an error-report case whose acknowledgement is the draft's reply, under sign-off."""
        text = incoming.text
        if label is None:
            routing = self.router.classify(text)
            label = routing.label.value if hasattr(routing.label, "value") else str(routing.label)
            confidence, evidence = float(routing.confidence), list(routing.evidence)[:5]
        else:
            confidence, evidence = 1.0, [f"citizen:{label}"]
        if (
            label in self.config.routed_without_draft
            and confidence < self.config.moderate_min_confidence
        ):
            # "小区垃圾桶满了", "水费价格是多少": a word that ads and insults use, weakly. An
            # operator reads it; nothing is deleted on such thin evidence.
            evidence = [f"{SUSPECTED}{label} {confidence:.2f}", *evidence][:5]
            label = "consultation"
        make_draft = label not in self.config.routed_without_draft
        # Spam and abuse get no draft: don't spend a search (and a compliance check) on them.
        result = (
            await asyncio.to_thread(self.matcher.search, text, self.config.candidates)
            if make_draft
            else MatchResult(matches=[], probability=0.0, confident=False)
        )
        best = result.best if result.confident else None
        entry = await self.db.run(_entry_or_none, best.entry_id) if best else None
        sensitivity = str(entry.sensitivity) if entry else None
        # The answer of the version on record (the index may lag an edit by a moment).
        reply = (entry.answer if entry else best.answer) if best else self.config.no_answer_text
        findings = await self.findings(text, reply) if best else _rumour_findings(text)
        tier = review.tier_for(sensitivity, label)
        tier_reason = f"entry:{sensitivity}" if sensitivity else f"label:{label}"
        if rumour_cue(text) and review.TIER_RANK[tier] < review.TIER_RANK[Tier.IMPORTANT]:
            # Confirming or refuting a rumour speaks for the unit: a deputy head signs.
            tier, tier_reason = Tier.IMPORTANT, "rumour"
        return DraftPlan(
            text_redacted=redact(text),
            label=label,
            label_confidence=confidence,
            evidence=evidence,
            tier=tier,
            tier_reason=tier_reason,
            visibility=review.visibility_for(incoming.chat_kind is ChatKind.PRIVATE, label),
            reply_text=reply,
            matched_entry_id=best.entry_id if best else None,
            matched_entry_version=entry.version if entry else None,
            score=result.best.score if result.best else None,
            probability=result.probability,
            confident=result.confident,
            candidates=[
                {"entry_id": m.entry_id, "question": m.question, "score": round(m.score, 4)}
                for m in result.matches
            ],
            compliance=findings,
            make_draft=make_draft,
        )

    async def receive(self, incoming: Incoming, label: str | None = None) -> Draft | None:
        """Store a citizen's message with its draft and queue its card; None if seen before.

        `label` as for `plan`."""
        plan = await self.plan(incoming, label)
        logger.info(
            "message chat=%s msg=%s label=%s text=%s",
            incoming.chat_id,
            incoming.message_id,
            plan.label,
            redact_for_log(incoming.text, 40),
        )
        return await self.db.run(self._store, incoming, plan)

    def _store(self, session: Session, incoming: Incoming, plan: DraftPlan) -> Draft | None:
        draft = intake.record_message(session, incoming, plan)
        routing_actions.apply(session, incoming, draft, plan, self.config.routing, self.lists)
        if draft is not None:
            if self.config.sla is not None:
                draft.sla_due_at = self.config.sla.due(draft.created_at, draft.tier)
                session.add(draft)
            intake.promote_cards(session, self.config.max_open_cards)
        return draft

    async def receive_edit(self, incoming: Incoming, label: str | None = None) -> EditOutcome:
        """A citizen edited a message: update it and its draft (see review.citizen_edited).

        An edit of a message never stored (sent before GovReply ran) is taken as a new one.
        `label` as for `plan` (an edited 纠错 stays one).
        """
        if not incoming.text.strip():
            return EditOutcome("ignored", None)
        state = await self.db.run(_edit_state, incoming.chat_id, incoming.message_id)
        if state is None:
            draft = await self.receive(incoming, label)
            return EditOutcome("new", draft.id if draft else None)
        if state.text == incoming.text:
            return EditOutcome("unchanged", state.draft_id)  # a re-delivered edit
        plan = await self.plan(incoming, label)
        kept = await self.findings(incoming.text, state.reply) if state.keeps_reply else None
        outcome = await self.db.run(self._store_edit, incoming, plan, kept)
        logger.info(
            "message edited chat=%s msg=%s draft=%s -> %s text=%s",
            incoming.chat_id,
            incoming.message_id,
            outcome.draft_id,
            outcome.what,
            redact_for_log(incoming.text, 40),
        )
        return outcome

    def _store_edit(
        self,
        session: Session,
        incoming: Incoming,
        plan: DraftPlan,
        kept: list[dict[str, Any]] | None,
    ) -> EditOutcome:
        message = intake.record_edit(session, incoming, plan)
        if message is None:
            return EditOutcome("unchanged", None)
        draft = intake.draft_of_message(session, message.id or 0)
        routing = self.config.routing
        if routing_actions.moderate_after_edit(session, message, draft, plan, routing, self.lists):
            return EditOutcome("closed_spam", draft.id if draft else None)
        what = review.citizen_edited(session, draft.id or 0, plan, kept) if draft else "updated"
        ack_draft = draft if what == "redrafted" else None  # never overwrite an operator's reply
        routing_actions.reroute_after_edit(session, message, ack_draft, plan, routing, self.lists)
        return EditOutcome(what, draft.id if draft else None)

    async def sweep_sla(self, now: datetime | None = None) -> tuple[list[int], list[int]]:
        """Re-announce cards near their deadline and alert the next tier after it."""
        if self.config.sla is None:
            return [], []
        return await self.db.run(sla.sweep, self.config.sla, now or utcnow())

    async def findings(self, message: str, reply: str) -> list[dict[str, Any]]:
        """Pre-publish compliance check of a reply (RULES §3, §4), as JSON-able dicts."""
        found = await asyncio.to_thread(
            check_reply, message, reply, self.matcher.similarity, self.lists
        )
        # The off-topic signal is only as good as the embedding model; by default it warns
        # on the card instead of blocking (a setting turns blocking on with a Chinese model).
        return [
            {
                "code": str(f.code),
                "detail": f.detail,
                "blocking": bool(f.blocking)
                and (str(f.code) != "off_topic" or self.config.off_topic_blocks),
            }
            for f in found
        ] + _rumour_findings(message)

    # --- operator actions ---------------------------------------------------------------------

    async def view(self, draft_id: int) -> DraftView:
        return await self.db.run(load_view, draft_id)

    async def approve(
        self,
        draft_id: int,
        user_id: int,
        version: int | None = None,
        override_reason: str | None = None,
    ) -> review.Outcome:
        outcome = await self.db.run(review.approve, draft_id, user_id, version, override_reason)
        logger.info("draft %s approved by %s (final=%s)", draft_id, user_id, outcome.completed)
        if outcome.completed:
            await self.db.run(intake.promote_cards, self.config.max_open_cards)
        return outcome

    async def edit(self, draft_id: int, user_id: int, text: str) -> review.Outcome:
        message = await self.db.run(_message_text, draft_id)
        found = await self.findings(message, text)
        return await self.db.run(review.edit, draft_id, user_id, text, found)

    # --- published replies: 更正 and 撤回 --------------------------------------------------

    async def propose_correction(self, draft_id: int, user_id: int, text: str) -> Draft:
        """A correction of a published reply, checked and signed off as the reply was."""
        message = await self.db.run(_message_text, draft_id)
        found = await self.findings(message, text)
        return await self.db.run(self._store_correction, draft_id, user_id, text, found)

    def _store_correction(
        self,
        session: Session,
        draft_id: int,
        user_id: int,
        text: str,
        findings: list[dict[str, Any]],
    ) -> Draft:
        correction = corrections.propose(session, Draft, draft_id, user_id, text, findings)
        if self.config.sla is not None:
            correction.sla_due_at = self.config.sla.due(correction.created_at, correction.tier)
            session.add(correction)
        intake.promote_cards(session, self.config.max_open_cards)
        return correction

    async def check_correctable(
        self, draft_id: int, user_id: int, version: int | None = None, withdrawing: bool = False
    ) -> None:
        """Refuse at once a press on a reply that can no longer be corrected or withdrawn, or
        by someone who may not (the reply to the prompt is checked again)."""
        await self.db.run(corrections.check_press, Draft, draft_id, user_id, version, withdrawing)

    async def withdraw_reply(self, draft_id: int, user_id: int, reason: str) -> Draft:
        """Take a published reply down at once (see corrections.withdraw)."""
        draft: Draft = await self.db.run(corrections.withdraw, Draft, draft_id, user_id, reason)
        logger.info("reply of draft %s withdrawn by %s", draft_id, user_id)
        await self.db.run(intake.promote_cards, self.config.max_open_cards)
        return draft

    # --- channel posts (RULES §1, §5) ----------------------------------------------------------

    async def submit_post(
        self,
        user_id: int,
        text: str,
        kind: PostKind = PostKind.ORIGINAL,
        source: str = "",
        media: posts.Media | None = None,
        publish_at: datetime | None = None,
        mandated: bool = False,
    ) -> PostDraft:
        """Propose a channel post: checked as a reply is; a post about a sudden major event
        (routed as a sensitive incident) needs the head's sign-off (RULES §5), one refuting
        or confirming a rumour a deputy head's (RULES §2, as for replies)."""
        found = await self.findings("", text)
        tier, reason = await self._post_tier(text)
        return await self.db.run(
            posts.submit,
            user_id,
            text,
            found,
            kind=kind,
            source=source,
            tier=tier,
            tier_reason=reason,
            media=media,
            publish_at=publish_at,
            mandated=mandated,
        )

    async def _post_tier(self, text: str) -> tuple[Tier, str]:
        """The tier a post's words call for: a sudden major event the head's, a rumour's
        refutation or confirmation a deputy head's (RULES §5, §2)."""
        routing = await asyncio.to_thread(self.router.classify, text)
        if routing.label is Label.SENSITIVE_INCIDENT:
            return Tier.MAJOR, f"label:{routing.label.value}"
        if rumour_cue(text):
            return Tier.IMPORTANT, "rumour"
        return Tier.ORDINARY, ""

    async def propose_post_correction(self, post_id: int, user_id: int, text: str) -> PostDraft:
        """A correction of a published channel post (更正), checked and signed off as posts are
        (under the original's tier, or the one its new words call for if higher)."""
        found = await self.findings("", text)
        tier, reason = await self._post_tier(text)
        return await self.db.run(
            posts.propose_correction, post_id, user_id, text, found, tier=tier, tier_reason=reason
        )

    async def edit_post(self, post_id: int, user_id: int, text: str) -> PostDraft:
        """New words for a post: checked again, and its tier raised if they call for more
        (an ordinary notice rewritten into an accident report needs the head)."""
        found = await self.findings("", text)
        tier, reason = await self._post_tier(text)
        return await self.db.run(
            posts.edit, post_id, user_id, text, found, tier=tier, tier_reason=reason
        )

    async def forward_topic(self, chat_id: int, alert_message_id: int, user_id: int) -> str:
        """A signer invites the department of a hot topic to answer (RULES §5)."""
        return await self.db.run(
            hot_topics.forward,
            chat_id,
            alert_message_id,
            user_id,
            self.config.routing.departments,
        )

    async def edit_topic(
        self, chat_id: int, alert_message_id: int, user_id: int, text: str
    ) -> list[int] | None:
        """A reply to a hot-topic alert: `text` becomes the reply of each of its pending
        drafts (checked and signed off one by one, as any edit). None: no such alert."""
        drafts = await self.db.run(hot_topics.pending_drafts_of_alert, chat_id, alert_message_id)
        if drafts is None:
            return None
        await self.db.run(review.drafter_for, user_id)
        edited = []
        for draft_id in drafts:
            try:
                await self.edit(draft_id, user_id, text)
            except AlreadyDecided:
                continue  # signed or closed meanwhile: left as decided
            edited.append(draft_id)
        return edited

    async def reject(self, draft_id: int, user_id: int, reason: str) -> review.Outcome:
        outcome = await self.db.run(review.reject, draft_id, user_id, reason)
        await self.db.run(intake.promote_cards, self.config.max_open_cards)
        return outcome

    async def choose(
        self, draft_id: int, user_id: int, entry_id: str, version: int | None = None
    ) -> review.Outcome:
        entry = await self.db.run(_entry_or_none, entry_id)
        if entry is None or entry.retired:
            raise NotFound("entry", entry_id)
        message = await self.db.run(_message_text, draft_id)
        found = await self.findings(message, entry.answer)
        return await self.db.run(
            review.choose_candidate,
            draft_id,
            user_id,
            entry_id,
            entry.answer,
            entry.version,
            found,
            version,
        )

    async def set_visibility(
        self, draft_id: int, user_id: int, visibility: Visibility, version: int | None = None
    ) -> review.Outcome:
        return await self.db.run(review.set_visibility, draft_id, user_id, visibility, version)

    async def raise_tier(self, draft_id: int, user_id: int, reason: str) -> review.Outcome:
        return await self.db.run(review.raise_tier, draft_id, user_id, reason)

    async def check_operator(self, user_id: int, drafting: bool = False) -> None:
        """Raise NotAuthorised unless the user is an active signer (or, `drafting`, may write
        a reply: a drafter too)."""
        await self.db.run(review.drafter_for if drafting else review.signer_for, user_id)

    async def choose_index(
        self, draft_id: int, user_id: int, index: int, version: int | None = None
    ) -> review.Outcome:
        """Choose the draft's candidate number `index` (as shown on the card)."""
        view = await self.view(draft_id)
        if not 0 <= index < len(view.candidates):
            raise InvalidTransition(f"draft {draft_id} has no candidate {index + 1}")
        return await self.choose(draft_id, user_id, view.candidates[index]["entry_id"], version)

    async def draft_for_card(self, chat_id: int, message_id: int) -> int | None:
        return await self.db.run(draft_for_card, chat_id, message_id)

    async def pull_next(self, user_id: int) -> list[int]:
        """An operator asks for the next queued card (/next)."""
        await self.db.run(review.operator_for, user_id)
        return await self.db.run(intake.promote_cards, self.config.max_open_cards, 1)

    async def redeem(self, token: str, user_id: int) -> Draft:
        return await self.db.run(publishing.redeem_token, token, user_id)


@dataclass(frozen=True)
class EditOutcome:
    """What a citizen's edit did: "redrafted", "kept" (an operator's reply stays),
    "kept_template" (a template reply such as a case acknowledgement stays), "notified"
    (the draft was decided; operators told), "closed_spam" (edited into an ad: the comment
    was deleted and its pending draft closed), "updated" (no draft), "new", "unchanged",
    "ignored" (the edit left no text)."""

    what: str
    draft_id: int | None


@dataclass(frozen=True)
class _EditState:
    text: str
    draft_id: int | None
    reply: str
    keeps_reply: bool  # pending, and an operator changed the reply: re-check it, keep it


def _edit_state(session: Session, chat_id: int, message_id: int) -> _EditState | None:
    message = intake.message_on_record(session, chat_id, message_id)
    if message is None:
        return None
    draft = intake.draft_of_message(session, message.id or 0)
    if draft is None:
        return _EditState(message.text, None, "", False)
    keeps = draft.state is DraftState.PENDING and review.reply_changed_by_hand(session, draft)
    return _EditState(message.text, draft.id, draft.text, keeps)


def _entry_or_none(session: Session, entry_id: str) -> KBEntry | None:
    return session.get(KBEntry, entry_id)


def _message_text(session: Session, draft_id: int) -> str:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound("draft", draft_id)
    message = session.get(CitizenMessage, draft.message_id)
    return message.text if message else ""


def _rumour_findings(message: str) -> list[dict[str, Any]]:
    """A warning on the card when the citizen checks a rumour (RULES §2): the reply must
    rest on authoritative facts. It never blocks; the tier rule makes a deputy head sign."""
    cue = rumour_cue(message)
    return [{"code": "rumour_check", "detail": cue, "blocking": False}] if cue else []


__all__ = ["Desk", "DeskConfig", "EditOutcome", "Tier"]
