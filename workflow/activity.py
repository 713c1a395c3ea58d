"""How often the account itself publishes (RULES §7): reminders before it falls behind.

The account must be updated at least once a week (a video account: every 14 days), carry at
least one original item every two weeks, and an account silent for three months counts as
a "zombie" account to be shut down. GovReply sees each channel post (as a `channel_post`
when it administers the channel, and as the automatic forward into the linked discussion
group either way), records it here, and reminds the operators' group once a day while a
limit is passed; as the three months draw near, the heads are alerted by name. While no
post at all has been seen, the reminder asks whether the bot can see the channel instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from knowledge_base.sqltypes import utcnow
from workflow import audit, outbox
from workflow.calendar import LOCAL_TZ, local_date
from workflow.models import ChannelPost, InboxUpdate, Role
from workflow.operators import mentions, with_role

__all__ = ["Activity", "ActivityRules", "check", "record_post", "summary"]


@dataclass(frozen=True)
class ActivityRules:
    """The limits (RULES §7; each 0 = not enforced, the account owner's choice)."""

    update_days: int = 7  # a post at least this often (video accounts: 14)
    original_days: int = 14  # an original (not forwarded) post at least this often
    dormant_days: int = 90  # three months silent = a zombie account
    dormant_warn_days: int = 30  # alert the heads this long before that
    operators_chat_id: int | None = None
    # Weibo measures: three updates every working day. Checked from `daily_check_hour`
    # (Beijing time) on the days `is_workday` says are working days.
    daily_posts: int = 0
    daily_check_hour: int = 16
    # RULES §7: originals and required reposts at least this share of 30 days' posts, judged
    # once there are `share_min_posts` of them; reminded once a week (Monday).
    own_share: float = 0.30
    share_min_posts: int = 10
    is_workday: Callable[[date], bool] = field(default=lambda day: day.weekday() < 5)


@dataclass(frozen=True)
class Activity:
    """What the account published, for the dashboard and the reminders."""

    last_post: datetime | None
    last_original: datetime | None
    watching_since: datetime | None  # first update stored (looked up while no post is known)
    posts_7d: int
    posts_30d: int
    originals_30d: int
    mandated_30d: int = 0  # required reposts (上级要求转发), counted with originals

    @property
    def own_share_30d(self) -> float | None:
        """Originals and required reposts over all posts of 30 days (RULES §7: ≥ 30 %)."""
        if not self.posts_30d:
            return None
        return (self.originals_30d + self.mandated_30d) / self.posts_30d


# An album's messages share their date; GovReply's own record of one it published is taken
# when the send returns, a moment later.
ALBUM_SECONDS = timedelta(seconds=5)


def record_post(
    session: Session,
    channel_id: int,
    message_id: int,
    posted_at: datetime,
    *,
    original: bool | None,
    video: bool = False,
    mandated: bool = False,
    album: bool = False,
) -> bool:
    """Record a channel post once; True if it was new.

    `original` None means unknown (an automatic forward does not say whether the post was
    itself forwarded): counted as original unless the channel's own update says otherwise.
    An `album` (Telegram delivers one message per picture, all with the same date) counts
    once: a message of an album posted within ALBUM_SECONDS of another is the same post.
    """
    query = select(ChannelPost).where(
        ChannelPost.channel_id == channel_id, ChannelPost.message_id == message_id
    )
    row = session.exec(query).first()
    if row is None and album:
        row = session.exec(
            select(ChannelPost).where(
                ChannelPost.channel_id == channel_id,
                col(ChannelPost.posted_at) >= posted_at - ALBUM_SECONDS,
                col(ChannelPost.posted_at) <= posted_at + ALBUM_SECONDS,
                col(ChannelPost.album).is_(True),
            )
        ).first()
    if row is not None:
        _settle_original(session, row, original, mandated)
        return False
    try:
        with session.begin_nested():
            session.add(
                ChannelPost(
                    channel_id=channel_id,
                    message_id=message_id,
                    posted_at=posted_at,
                    original=True if original is None else original,
                    video=video,
                    mandated=mandated,
                    album=album,
                )
            )
    except IntegrityError:  # the other copy of the same post, stored concurrently
        row = session.exec(query.with_for_update()).first()
        if row is not None:
            _settle_original(session, row, original, mandated)
        return False
    return True


def _settle_original(
    session: Session, row: ChannelPost, original: bool | None, mandated: bool
) -> None:
    """The copy that knows whether the post is a repost (and a required one) wins over the
    one that doesn't."""
    if original is not None and row.original != original:
        row.original = original
        session.add(row)
    if mandated and not row.mandated:
        row.mandated = True
        session.add(row)


def summary(session: Session, now: datetime | None = None) -> Activity:
    now = now or utcnow()

    def count(since: timedelta, originals: bool = False, mandated: bool = False) -> int:
        query = select(func.count()).select_from(ChannelPost)
        query = query.where(col(ChannelPost.posted_at) >= now - since)
        if originals:
            query = query.where(col(ChannelPost.original).is_(True))
        if mandated:
            query = query.where(col(ChannelPost.mandated).is_(True))
        return int(session.exec(query).one())

    last = session.exec(select(func.max(ChannelPost.posted_at))).one()
    last_original = session.exec(
        select(func.max(ChannelPost.posted_at)).where(col(ChannelPost.original).is_(True))
    ).one()
    # Only needed while no (original) post is on record: a scan of the inbox, else skipped.
    since = (
        session.exec(select(func.min(InboxUpdate.received_at))).one()
        if last_original is None
        else None
    )
    return Activity(
        last_post=last,
        last_original=last_original,
        watching_since=since,
        posts_7d=count(timedelta(days=7)),
        posts_30d=count(timedelta(days=30)),
        originals_30d=count(timedelta(days=30), originals=True),
        mandated_30d=count(timedelta(days=30), mandated=True),
    )


def _days_silent(last: datetime | None, since: datetime | None, now: datetime) -> int | None:
    """Whole days since `last`, or since GovReply started watching if nothing was seen."""
    start = last or since
    return None if start is None else (now - start).days


def check(session: Session, rules: ActivityRules, now: datetime | None = None) -> list[str]:
    """Queue today's reminders (each kind at most once a day); returns the kinds queued."""
    now = now or utcnow()
    activity = summary(session, now)
    silent = _days_silent(activity.last_post, activity.watching_since, now)
    silent_original = _days_silent(activity.last_original, activity.watching_since, now)
    sent = []
    if activity.last_post is None:
        # Nothing seen at all is more likely a bot that cannot see the channel than a
        # silent account: say so, and do not alarm the heads about a zombie account.
        if silent is not None and rules.update_days and silent >= rules.update_days:
            asked = {"template": "activity_not_seen"}
            if _remind(
                session, rules, now, "not_seen", outbox.Kind.NOTICE, asked, {"days": silent}
            ):
                sent.append("not_seen")
        return sent
    if silent is not None:
        params: dict[str, Any] = {"last": _day(activity.last_post), "days": silent}
        left = rules.dormant_days - silent
        if rules.dormant_days and left <= rules.dormant_warn_days:
            payload: dict[str, Any] = {
                "template": "activity_dormant",
                "mentions": mentions(with_role(session, Role.HEAD)),
            }
            params |= {"limit": rules.dormant_days, "left": max(left, 0)}
            if _remind(session, rules, now, "dormant", outbox.Kind.ALERT, payload, params):
                sent.append("dormant")
        elif rules.update_days and silent >= rules.update_days:  # the alert says it already
            payload = {"template": "activity_update_due"}
            params |= {"limit": rules.update_days}
            if _remind(session, rules, now, "update", outbox.Kind.NOTICE, payload, params):
                sent.append("update")
    posted = _short_today(session, rules, now)
    if posted is not None:
        payload = {"template": "activity_daily_due"}
        params = {"posted": posted, "limit": rules.daily_posts}
        if _remind(session, rules, now, "daily", outbox.Kind.NOTICE, payload, params):
            sent.append("daily")
    share = activity.own_share_30d
    if (
        rules.own_share
        and share is not None
        and activity.posts_30d >= rules.share_min_posts
        and share < rules.own_share
        and now.astimezone(LOCAL_TZ).weekday() == 0
    ):
        payload = {"template": "activity_share_low"}
        params = {
            "share": f"{share:.0%}",
            "limit": f"{rules.own_share:.0%}",
            "posts": activity.posts_30d,
            "originals": activity.originals_30d,
            "mandated": activity.mandated_30d,
        }
        if _remind(session, rules, now, "share", outbox.Kind.NOTICE, payload, params):
            sent.append("share")
    original_due = silent_original is not None and silent_original >= rules.original_days
    if rules.original_days and original_due:
        payload = {"template": "activity_original_due"}
        params = {
            "last": _day(activity.last_original),
            "days": silent_original,
            "limit": rules.original_days,
        }
        if _remind(session, rules, now, "original", outbox.Kind.NOTICE, payload, params):
            sent.append("original")
    return sent


def _posted_today(session: Session, now: datetime) -> int:
    local = now.astimezone(LOCAL_TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    query = select(func.count()).select_from(ChannelPost)
    return int(session.exec(query.where(col(ChannelPost.posted_at) >= midnight)).one())


def _short_today(session: Session, rules: ActivityRules, now: datetime) -> int | None:
    """Today's posts, on a working day late enough in it with fewer than the daily minimum;
    else None (nothing to remind)."""
    if not rules.daily_posts or now.astimezone(LOCAL_TZ).hour < rules.daily_check_hour:
        return None
    if not rules.is_workday(local_date(now)):
        return None
    posted = _posted_today(session, now)
    return posted if posted < rules.daily_posts else None


def _day(moment: datetime | None) -> str:
    """The unit's (Beijing) calendar day of `moment`."""
    return local_date(moment).isoformat() if moment else "—"


def _remind(
    session: Session,
    rules: ActivityRules,
    now: datetime,
    kind: str,
    outbox_kind: str,
    payload: dict[str, Any],
    params: dict[str, Any],
) -> bool:
    """One reminder of `kind` per day; False if today's was queued already."""
    item = outbox.enqueue(
        session,
        outbox_kind,
        chat_id=rules.operators_chat_id,
        payload={**payload, "params": params},
        dedupe_key=f"activity:{kind}:{_day(now)}",  # once per local day
    )
    if item is None:
        return False
    audit.record(session, f"activity_{kind}_reminded", "account", "channel", after=params)
    return True
