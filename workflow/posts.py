"""Channel posts under tiered sign-off (RULES §1, §5): what the account publishes in its own
channel goes through the same 先审后发 as a reply to a citizen.

An operator (a drafter or any signer) submits the text; the compliance check runs as for a
reply; the tier is `ordinary` unless raised (a post about a sudden major event is `major`:
RULES §5, dynamic information only after approval). Signatures follow `review`'s rules
(reviewer, then deputy head or head; nobody signs twice; whoever wrote or edited it is never
its only approver, so a post always has a second pair of eyes). The last signature queues the
post for the channel once; it is published with its stamp: 拟稿人 / 审核人 / 审签人 for an
original, its source and reviewer for a repost. A published post counts for the account's
activity (RULES §7) as an original or a repost.

Functions take the caller's Session and write the change, its audit record and the outbox
work (card refresh, publication) in that one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from knowledge_base.sqltypes import utcnow
from workflow import activity, audit, corrections, outbox, review
from workflow.calendar import LOCAL_TZ
from workflow.errors import InvalidTransition, NotFound
from workflow.models import (
    ChannelPost,
    DraftState,
    GroupMedia,
    OutboxItem,
    OutboxStatus,
    PostDraft,
    PostKind,
    PostSignature,
    Role,
    Tier,
)
from workflow.operators import mentions, name_of, with_role

SUBJECT = "post"  # audit subject type
MEDIA_KINDS = ("photo", "video", "document")
# Telegram allows 4,096 characters in a message and 1,024 in a caption; the stamp needs room
# under the text.
TEXT_LIMIT = 4000
MEDIA_TEXT_LIMIT = 900
SCHEDULE_AHEAD = timedelta(days=30)  # the furthest a post can be scheduled


@dataclass(frozen=True)
class Media:
    """The operator's message in the group that carries the picture, video or file; for an
    album, its first message and every item ({"kind", "file_id"}, 2 to 10, in order)."""

    kind: str
    chat_id: int
    message_id: int
    album: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class SignatureView:
    name: str
    role: Role
    step: int


@dataclass(frozen=True)
class PostView(corrections.AfterPublication):
    """What a front end shows of a channel post under sign-off."""

    id: int
    kind: PostKind
    source: str
    text: str
    tier: Tier
    tier_reason: str
    state: DraftState
    version: int
    drafter: str
    signatures: list[SignatureView]
    needed: list[Role]  # the roles of the steps still open, in step order; [] when signed
    compliance: list[dict[str, Any]]
    override_reason: str | None
    override_by: str  # the name of whoever overrode a failing check
    reject_reason: str | None
    notice: str | None
    created_at: datetime
    published_at: datetime | None
    published_message_id: int | None
    card_chat_id: int | None
    card_message_id: int | None
    media: Media | None = None
    publish_at: datetime | None = None  # scheduled (定时发布); None: as soon as signed
    mandated: bool = False  # a repost required by a higher authority (上级要求转发)
    decided_at: datetime | None = None  # fully signed or rejected
    reviewer: str = ""  # 审核人: who fills the first step (whatever the order of signing)
    signer: str = ""  # 审签人: who fills the last step, the highest signer

    @property
    def withdrawable(self) -> bool:
        """Signed, scheduled and not yet due: it can still be withdrawn."""
        return (
            self.state is DraftState.APPROVED
            and self.publish_at is not None
            and self.publish_at > utcnow()
        )

    @property
    def blocked(self) -> bool:
        return review.is_blocking(self.compliance) and not self.override_reason


def _signatures(session: Session, post_id: int) -> list[PostSignature]:
    query = (
        select(PostSignature)
        .where(PostSignature.post_id == post_id)
        .order_by(col(PostSignature.id))
    )
    return list(session.exec(query))


def load(session: Session, post_id: int) -> PostView:
    post = session.get(PostDraft, post_id)
    if post is None:
        raise NotFound("post", post_id)
    sigs = _signatures(session, post_id)
    seats = review.seat(post.tier, sigs)
    valid = [s for s in sigs if not s.void]
    step_of = {id(s): i + 1 for i, s in enumerate(seats) if s is not None}
    reviewer, signer = review.stamp_names(post.tier, sigs)
    return PostView(
        id=post_id,
        kind=post.kind,
        source=post.source,
        text=post.text,
        tier=post.tier,
        tier_reason=post.tier_reason,
        state=post.state,
        version=post.version,
        drafter=name_of(session, post.drafter_id),
        signatures=[SignatureView(s.operator_name, s.role, step_of.get(id(s), 0)) for s in valid],
        needed=review.still_needed(post.tier, sigs) if post.state is DraftState.PENDING else [],
        reviewer=reviewer,
        signer=signer,
        compliance=list(post.compliance),
        override_reason=post.override_reason,
        override_by=name_of(session, post.override_by) if post.override_by else "",
        reject_reason=post.reject_reason,
        notice=post.notice,
        created_at=post.created_at,
        published_at=post.published_at,
        published_message_id=post.published_message_id,
        card_chat_id=post.card_chat_id,
        card_message_id=post.card_message_id,
        media=_media(post),
        publish_at=post.publish_at,
        mandated=post.mandated,
        decided_at=post.decided_at,
        **corrections.view_fields(session, post),
    )


def list_posts(session: Session, limit: int = 200) -> list[PostView]:
    """Channel posts, newest first."""
    query = select(PostDraft.id).order_by(col(PostDraft.id).desc()).limit(limit)
    return [load(session, post_id) for post_id in session.exec(query) if post_id is not None]


def _media(post: PostDraft) -> Media | None:
    if post.media_kind is None or post.media_chat_id is None or post.media_message_id is None:
        return None
    return Media(post.media_kind, post.media_chat_id, post.media_message_id, tuple(post.album))


ALBUM_LIMIT = 10  # Telegram sends 2 to 10 items as one media group


def record_album_item(
    session: Session,
    chat_id: int,
    message_id: int,
    media_group_id: str,
    kind: str,
    file_id: str,
    caption: str,
) -> None:
    """Keep one item of an album sent in the operators' group (once per message)."""
    exists = session.exec(
        select(GroupMedia.id).where(
            GroupMedia.chat_id == chat_id, GroupMedia.message_id == message_id
        )
    ).first()
    if exists is None:
        session.add(
            GroupMedia(
                chat_id=chat_id,
                message_id=message_id,
                media_group_id=media_group_id,
                kind=kind,
                file_id=file_id,
                caption=caption,
            )
        )


def album_media(session: Session, chat_id: int, media_group_id: str) -> tuple[Media, str] | None:
    """The album `media_group_id` as Media (from its first message), with its caption; None
    when fewer than two of its items are on record."""
    items = list(
        session.exec(
            select(GroupMedia)
            .where(GroupMedia.chat_id == chat_id, GroupMedia.media_group_id == media_group_id)
            .order_by(col(GroupMedia.message_id))
        )
    )
    if len(items) < 2:
        return None
    first = items[0]
    album = tuple({"kind": i.kind, "file_id": i.file_id} for i in items[:ALBUM_LIMIT])
    caption = next((i.caption for i in items if i.caption), "")
    return Media(first.kind, chat_id, first.message_id, album), caption


def _check_length(text: str, media: Media | None) -> None:
    """Refused now rather than by Telegram after it was signed."""
    if media is not None and len(text) > MEDIA_TEXT_LIMIT:
        raise InvalidTransition("a post with a picture or video is too long")
    if len(text) > TEXT_LIMIT:
        raise InvalidTransition("the post is too long")


def _lock(session: Session, post_id: int, expected_version: int | None = None) -> PostDraft:
    return review.lock_pending(session, PostDraft, post_id, expected_version)


def submit(
    session: Session,
    user_id: int,
    text: str,
    findings: list[dict[str, Any]],
    *,
    kind: PostKind = PostKind.ORIGINAL,
    source: str = "",
    tier: Tier = Tier.ORDINARY,
    tier_reason: str = "",
    media: Media | None = None,
    publish_at: datetime | None = None,
    mandated: bool = False,
) -> PostDraft:
    """A drafter or signer proposes a post (with a picture, video or file: `media`; at a
    set time: `publish_at`, 定时发布); its card goes to the operators' group."""
    text = review.required_text(text, "the post is empty")
    review.drafter_for(session, user_id)
    source = source.strip()
    if kind is PostKind.REPOST and not source:
        raise InvalidTransition("a repost must name its source")
    if mandated and kind is not PostKind.REPOST:
        raise InvalidTransition("only a repost can be required by a higher authority")
    if media is not None and media.kind not in MEDIA_KINDS:
        raise InvalidTransition(f"a post can carry a photo, video or file, not {media.kind}")
    _check_length(text, media)
    if publish_at is not None:
        now = utcnow()
        if publish_at <= now:
            raise InvalidTransition("the publication time has passed")
        if publish_at > now + SCHEDULE_AHEAD:
            raise InvalidTransition("a post is scheduled at most 30 days ahead")
    post = PostDraft(
        kind=kind,
        source=source,
        mandated=mandated,
        text=text,
        tier=tier,
        tier_reason=tier_reason,
        drafter_id=user_id,
        edited_by=[user_id],
        compliance=findings,
        media_kind=media.kind if media else None,
        media_chat_id=media.chat_id if media else None,
        media_message_id=media.message_id if media else None,
        album=list(media.album) if media else [],
        publish_at=publish_at,
    )
    session.add(post)
    session.flush()
    audit.record(
        session,
        "post_submitted",
        SUBJECT,
        post.id,
        actor_id=user_id,
        after={
            "kind": kind.value,
            "source": source,
            "tier": tier.value,
            "text": text,
            "media": media.kind if media else None,
            "album": len(media.album) if media else 0,
            "publish_at": publish_at.isoformat() if publish_at else None,
        },
    )
    review.touch(session, post)
    return post


def approve(
    session: Session,
    post_id: int,
    user_id: int,
    expected_version: int | None = None,
    override_reason: str | None = None,
) -> tuple[PostDraft, bool]:
    """Give the next signature; the last one queues the post for the channel (once).
    Returns the post and whether it is now fully signed."""
    post = _lock(session, post_id, expected_version)
    sigs = _signatures(session, post_id)
    operator, step, is_final = review.sign_step(session, post, sigs, user_id, override_reason)
    sig = PostSignature(
        post_id=post_id,
        operator_id=user_id,
        operator_name=operator.name,
        role=operator.role,
        step=step,
    )
    session.add(sig)
    review.reseat(session, post.tier, [*sigs, sig])
    audit.record(
        session,
        "post_approved",
        SUBJECT,
        post_id,
        actor_id=user_id,
        after={"step": step, "role": operator.role.value, "final": is_final},
    )
    if is_final:
        _complete(session, post)
    review.touch(session, post)
    return post, is_final


def _complete(session: Session, post: PostDraft) -> None:
    """Fully signed: the post is queued for the channel, once (its dedupe key)."""
    post.state = DraftState.APPROVED
    post.decided_at = utcnow()
    item = outbox.enqueue(
        session,
        outbox.Kind.CHANNEL_POST,
        payload={"post_id": post.id},
        dedupe_key=f"channel_post:{post.id}",
    )
    if item is not None and post.publish_at is not None:
        # 定时发布: the outbox holds it until then (signed after the time: at once).
        item.next_attempt_at = max(post.publish_at, item.next_attempt_at)
        session.add(item)


def settle_pending(session: Session) -> list[int]:
    """`review.settle_pending` for channel posts and their corrections."""
    return review.settle(session, PostDraft, _signatures, _complete, SUBJECT)


def _void_signatures(session: Session, post: PostDraft, user_id: int, why: str) -> bool:
    sigs = _signatures(session, post.id or 0)
    return review.void_signatures(session, sigs, (SUBJECT, post.id), user_id, why)


def edit(
    session: Session,
    post_id: int,
    user_id: int,
    text: str,
    findings: list[dict[str, Any]],
    expected_version: int | None = None,
    tier: Tier = Tier.ORDINARY,
    tier_reason: str = "",
) -> PostDraft:
    """Replace the text: new checks, no override, and signatures given so far are void. The
    tier the new words call for (`tier`) raises the post's, never lowers it."""
    text = review.required_text(text, "the post is empty")
    post = _lock(session, post_id, expected_version)
    review.drafter_for(session, user_id)
    _check_length(text, _media(post))
    before = post.text
    post.text = text
    review.raise_to(post, tier, tier_reason)
    post.compliance = findings
    post.override_reason = None
    post.override_by = None
    if user_id not in post.edited_by:
        post.edited_by = [*post.edited_by, user_id]
    voided = _void_signatures(session, post, user_id, "edited")
    audit.record(
        session,
        "post_edited",
        SUBJECT,
        post_id,
        actor_id=user_id,
        before={"text": before},
        after={"text": text},
    )
    review.touch(session, post, "signatures_voided" if voided else "edited")
    return post


def reject(
    session: Session,
    post_id: int,
    user_id: int,
    reason: str,
    expected_version: int | None = None,
) -> PostDraft:
    """Drop the post without publishing; the reason stays on record."""
    reason = review.required_text(reason, "a rejection needs a reason")
    post = _lock(session, post_id, expected_version)
    review.signer_for(session, user_id)
    post.state = DraftState.REJECTED
    post.reject_reason = reason
    post.decided_at = utcnow()
    audit.record(
        session, "post_rejected", SUBJECT, post_id, actor_id=user_id, after={"reason": reason}
    )
    review.touch(session, post)
    return post


def withdraw(session: Session, post_id: int, user_id: int, reason: str) -> PostDraft:
    """Stop a signed, scheduled post before it is due (the news changed), or take a
    published one down (`corrections.withdraw`); the reason stays on record. A signer decides.

    Raises:
        InvalidTransition: no reason, not a signed scheduled post, or already being sent.
    """
    reason = review.required_text(reason, "withdrawing a post needs a reason")
    post = session.exec(select(PostDraft).where(PostDraft.id == post_id).with_for_update()).first()
    if post is None:
        raise NotFound("post", post_id)
    review.signer_for(session, user_id)
    if post.state is DraftState.PUBLISHED:
        return corrections.withdraw(session, PostDraft, post_id, user_id, reason)
    if post.state is not DraftState.APPROVED or post.publish_at is None:
        raise InvalidTransition("only a signed, scheduled post can be withdrawn")
    item = session.exec(
        select(OutboxItem)
        .where(OutboxItem.dedupe_key == f"channel_post:{post_id}")
        .with_for_update()
    ).first()
    if item is None or item.status is not OutboxStatus.PENDING:
        raise InvalidTransition("the post is being published or was published")
    item.status = OutboxStatus.CANCELLED
    item.last_error = f"withdrawn: {reason}"[:500]
    session.add(item)
    post.state = DraftState.REJECTED
    post.reject_reason = reason
    audit.record(
        session, "post_withdrawn", SUBJECT, post_id, actor_id=user_id, after={"reason": reason}
    )
    review.touch(session, post, "withdrawn")
    return post


def raise_tier(
    session: Session,
    post_id: int,
    user_id: int,
    reason: str,
    expected_version: int | None = None,
) -> PostDraft:
    """One tier up (never down), with a reason; signatures already given stay valid."""
    reason = review.required_text(reason, "raising the tier needs a reason")
    post = _lock(session, post_id, expected_version)
    review.signer_for(session, user_id)
    before = post.tier
    post.tier = review.tier_above(post.tier)
    post.tier_reason = reason
    audit.record(
        session,
        "post_tier_raised",
        SUBJECT,
        post_id,
        actor_id=user_id,
        before={"tier": before.value},
        after={"tier": post.tier.value, "reason": reason},
    )
    review.touch(session, post, "tier_raised")
    return post


# --- after publication: 更正 and 撤回 (workflow.corrections, as for replies) -------------------


def check_can_withdraw(
    session: Session, post_id: int, user_id: int, expected_version: int | None = None
) -> None:
    """Refuse at once who may not withdraw: any signer stops a scheduled post; a published
    one is taken down by a signer of the rank its tier needed (the head's post by the head)."""
    post = session.get(PostDraft, post_id)
    if post is None:
        raise NotFound("post", post_id)
    review.signer_for(session, user_id)
    if post.state is DraftState.PUBLISHED:
        corrections.check_press(session, PostDraft, post_id, user_id, expected_version, True)


def propose_correction(
    session: Session,
    post_id: int,
    user_id: int,
    text: str,
    findings: list[dict[str, Any]],
    expected_version: int | None = None,
    tier: Tier = Tier.ORDINARY,
    tier_reason: str = "",
) -> PostDraft:
    """A correction of a published post, under the post's tier (or the one its new words
    call for, if higher) and review rules; the last signature replaces the text (or a
    picture's caption) in the channel."""
    original = session.get(PostDraft, post_id)
    if original is None:
        raise NotFound("post", post_id)
    _check_length(text.strip(), _media(original))
    correction = corrections.propose(
        session, PostDraft, post_id, user_id, text, findings, expected_version
    )
    review.raise_to(correction, tier, tier_reason)
    return correction


# --- posts that skipped sign-off ----------------------------------------------------------------

UNREVIEWED_GRACE = timedelta(minutes=2)  # a post GovReply sent is on record within seconds
UNREVIEWED_WINDOW = timedelta(days=2)  # older posts are not alerted any more (first start)


def alert_unreviewed(
    session: Session, channel_id: int, operators_chat_id: int | None, now: datetime
) -> list[int]:
    """RULES §1 先审后发: a post that appeared in the channel without going through GovReply's
    sign-off (posted from a phone, forwarded by hand) is reported to the group, naming the
    heads, once per post. Returns the channel message ids reported."""
    published = select(PostDraft.published_message_id).where(
        PostDraft.channel_id == channel_id, col(PostDraft.published_message_id).is_not(None)
    )
    query = (
        select(ChannelPost)
        .where(ChannelPost.channel_id == channel_id)
        .where(col(ChannelPost.posted_at) >= now - UNREVIEWED_WINDOW)
        .where(col(ChannelPost.posted_at) <= now - UNREVIEWED_GRACE)
        .where(col(ChannelPost.message_id).not_in(published))
        .order_by(col(ChannelPost.posted_at))
    )
    reported = []
    for post in session.exec(query):
        params = {
            "when": post.posted_at.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M"),
            "link": channel_link(channel_id, post.message_id),
            "kind": "original" if post.original else "repost",
        }
        item = outbox.enqueue(
            session,
            outbox.Kind.NOTICE,
            chat_id=operators_chat_id,
            payload={
                "template": "post_unreviewed",
                "params": params,
                "mentions": mentions(with_role(session, Role.HEAD)),
            },
            dedupe_key=f"unreviewed_post:{channel_id}:{post.message_id}",
        )
        if item is not None:
            audit.record(
                session,
                "post_unreviewed",
                SUBJECT,
                f"{channel_id}:{post.message_id}",
                after=params,
            )
            reported.append(post.message_id)
    return reported


def channel_link(channel_id: int, message_id: int) -> str:
    """t.me link of a message in a (private) channel: -100xxxxxxxxxx -> t.me/c/xxxxxxxxxx/id."""
    internal = str(channel_id).removeprefix("-100")
    return f"https://t.me/c/{internal}/{message_id}"


# --- delivery bookkeeping ---------------------------------------------------------------------


def record_card_sent(session: Session, post_id: int, chat_id: int, message_id: int) -> None:
    post = session.get(PostDraft, post_id)
    if post is None:
        raise NotFound("post", post_id)
    if post.card_message_id != message_id:
        post.card_chat_id = chat_id
        post.card_message_id = message_id
        session.add(post)


def post_for_card(session: Session, chat_id: int, message_id: int) -> int | None:
    return session.exec(
        select(PostDraft.id).where(
            PostDraft.card_chat_id == chat_id, PostDraft.card_message_id == message_id
        )
    ).first()


def record_published(
    session: Session,
    post_id: int,
    channel_id: int,
    message_id: int,
    album_ids: Sequence[int] = (),
) -> PostDraft:
    """The post is in the channel: stamp and time on record, and it counts as an update
    (an original, or a repost) for the account's activity; an album (`album_ids`: all its
    channel messages) counts once."""
    post = session.exec(select(PostDraft).where(PostDraft.id == post_id).with_for_update()).one()
    if post.state is DraftState.PUBLISHED:
        return post
    now = utcnow()
    post.state = DraftState.PUBLISHED
    post.published_at = now
    post.channel_id = channel_id
    post.published_message_id = message_id
    post.album_message_ids = list(album_ids)
    view = load(session, post_id)
    if post.corrects_id is not None:  # replaced a post's text: no new post for activity
        audit.record(
            session,
            "post_published",
            SUBJECT,
            post_id,
            after={"message_id": message_id, "reviewer": view.reviewer, "signer": view.signer},
        )
        corrections.record_corrected(session, post, message_id)
        review.touch(session, post)
        return post
    activity.record_post(
        session,
        channel_id,
        message_id,
        now,
        original=post.kind is PostKind.ORIGINAL,
        video=post.media_kind == "video",
        mandated=post.mandated,
        album=bool(album_ids),
    )
    audit.record(
        session,
        "post_published",
        SUBJECT,
        post_id,
        after={
            "channel_id": channel_id,
            "message_id": message_id,
            "drafter": view.drafter,
            "reviewer": view.reviewer,
            "signer": view.signer,
        },
    )
    review.touch(session, post)
    return post


def record_undeliverable(session: Session, post_id: int, error: str) -> None:
    post = session.exec(select(PostDraft).where(PostDraft.id == post_id).with_for_update()).one()
    post.state = DraftState.UNDELIVERABLE
    audit.record(session, "post_undeliverable", SUBJECT, post_id, after={"error": error[:300]})
    review.touch(session, post)
