"""How often the account publishes (RULES §7), on SQLite and PostgreSQL: posts are recorded
once whichever copy arrives first, and reminders go out once a day while a limit is passed,
reaching the heads by name as the three-month "zombie account" limit nears."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from workflow import activity, assessment
from workflow.calendar import LOCAL_TZ
from workflow.intake import record_update
from workflow.models import ChannelPost, OutboxItem, Role
from workflow.operators import add_operator

CHANNEL, OPS, HEAD = -100300, -100100, 1004
RULES = activity.ActivityRules(operators_chat_id=OPS)  # weekly, original fortnightly, 90 days
DAY = timedelta(days=1)


@pytest.fixture
def db(db: Database) -> Database:
    db.call(add_operator, HEAD, Role.HEAD, "刘主任")
    return db


def _post(db: Database, message_id: int, at: datetime, original: bool | None = True) -> bool:
    return bool(db.call(activity.record_post, CHANNEL, message_id, at, original=original))


def _notices(db: Database) -> list[tuple[str, dict[str, object]]]:
    def rows(session: Session) -> list[tuple[str, dict[str, object]]]:
        items = session.exec(select(OutboxItem).order_by(col(OutboxItem.id)))
        return [(i.payload["template"], i.payload) for i in items]

    return db.call(rows)


def test_a_post_is_recorded_once_and_the_channels_word_on_reposts_wins(db: Database) -> None:
    now = datetime.now(UTC)
    assert _post(db, 7, now, original=None)  # the mirror in the discussion group
    assert not _post(db, 7, now, original=False)  # the channel_post: it was a forward
    assert not _post(db, 7, now, original=None)  # a re-delivered mirror changes nothing
    rows = db.call(lambda s: list(s.exec(select(ChannelPost))))
    assert [(r.message_id, r.original) for r in rows] == [(7, False)]
    summary = db.call(activity.summary, now)
    assert (summary.posts_7d, summary.posts_30d, summary.originals_30d) == (1, 1, 0)


def test_weekly_reminder_once_a_day_until_the_account_posts(db: Database) -> None:
    # 10:00 Beijing time: the reminder is once per local day, whatever the clock says now.
    start = (datetime.now(LOCAL_TZ) - 30 * DAY).replace(hour=10, minute=0).astimezone(UTC)
    _post(db, 1, start)
    assert db.call(activity.check, RULES, start + 6 * DAY) == []
    assert db.call(activity.check, RULES, start + 8 * DAY) == ["update"]
    assert db.call(activity.check, RULES, start + 8 * DAY + timedelta(hours=3)) == []
    assert db.call(activity.check, RULES, start + 9 * DAY) == ["update"]
    _post(db, 2, start + 9 * DAY + timedelta(hours=4))
    assert db.call(activity.check, RULES, start + 10 * DAY) == []
    notices = _notices(db)
    assert [n[0] for n in notices] == ["activity_update_due"] * 2
    last = start.astimezone(LOCAL_TZ).date().isoformat()
    assert notices[0][1]["params"] == {"last": last, "days": 8, "limit": 7}
    assert all(n[1].get("params") for n in notices)


def test_only_reposts_for_two_weeks_asks_for_an_original(db: Database) -> None:
    start = datetime.now(UTC) - 30 * DAY
    _post(db, 1, start)
    for i in range(2, 17):
        _post(db, i, start + i * DAY, original=False)
    # Only the originals rule: the weekly share reminder (Mondays) would join in on some days.
    rules = replace(RULES, own_share=0.0)
    assert db.call(activity.check, rules, start + 15 * DAY) == ["original"]


def test_near_three_months_the_heads_are_alerted_by_name(db: Database) -> None:
    start = datetime.now(UTC) - 100 * DAY
    _post(db, 1, start)
    sent = db.call(activity.check, RULES, start + 61 * DAY)
    assert sent == ["dormant", "original"]  # the alert replaces the weekly reminder
    template, payload = _notices(db)[0]
    assert template == "activity_dormant"
    assert payload["mentions"] == [[HEAD, "刘主任"]]
    assert payload["params"]["left"] == 29


def test_with_no_post_ever_seen_it_asks_whether_the_bot_can_see_the_channel(
    db: Database,
) -> None:
    db.call(record_update, 1, {"update_id": 1})
    started = db.call(activity.summary).watching_since
    assert started is not None
    assert db.call(activity.check, RULES, started + 3 * DAY) == []
    assert db.call(activity.check, RULES, started + 7 * DAY) == ["not_seen"]
    assert _notices(db)[0] == (
        "activity_not_seen",
        {"template": "activity_not_seen", "params": {"days": 7}},
    )
    # Not a zombie alarm for the heads: the bot may simply not see the channel.
    assert db.call(activity.check, RULES, started + 80 * DAY) == ["not_seen"]


def test_an_account_that_only_reposts_is_asked_for_an_original(db: Database) -> None:
    db.call(record_update, 1, {"update_id": 1})
    started = db.call(activity.summary).watching_since
    _post(db, 1, started + DAY, original=False)
    assert db.call(activity.check, RULES, started + 5 * DAY) == []
    assert db.call(activity.check, RULES, started + 14 * DAY) == ["update", "original"]


def test_a_limit_of_zero_is_the_owners_choice_to_not_remind(db: Database) -> None:
    start = datetime.now(UTC) - 200 * DAY
    _post(db, 1, start, original=False)
    off = activity.ActivityRules(0, 0, 0, 0, OPS)
    assert db.call(activity.check, off, start + 150 * DAY) == []


def test_quarters_for_the_assessment_report() -> None:
    assert assessment.quarter("2026Q4") == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert assessment.quarter("2027q1")[1] == datetime(2027, 4, 1, tzinfo=UTC)
    for bad in ("2026Q0", "2026-4", "Q4"):
        with pytest.raises(ValueError, match="not a quarter"):
            assessment.quarter(bad)


def test_a_working_day_short_of_its_posts_is_reminded_once(db: Database) -> None:
    """Weibo measures: three updates every working day, checked from 16:00 Beijing time."""
    rules = activity.ActivityRules(
        operators_chat_id=OPS, daily_posts=3, is_workday=lambda day: day.weekday() < 5
    )
    tuesday = datetime(2026, 12, 1, tzinfo=LOCAL_TZ)
    _post(db, 1, (tuesday + timedelta(hours=9)).astimezone(UTC))
    _post(db, 2, (tuesday - timedelta(hours=2)).astimezone(UTC))  # Monday evening
    assert db.call(activity.check, rules, tuesday + timedelta(hours=15)) == []  # too early
    assert db.call(activity.check, rules, tuesday + timedelta(hours=16, minutes=5)) == ["daily"]
    assert db.call(activity.check, rules, tuesday + timedelta(hours=18)) == []  # once a day
    daily = [n for n in _notices(db) if n[0] == "activity_daily_due"]
    assert [n[1]["params"] for n in daily] == [{"posted": 1, "limit": 3}]

    saturday = datetime(2026, 12, 5, 17, tzinfo=LOCAL_TZ)
    _post(db, 3, (saturday - timedelta(hours=5)).astimezone(UTC))
    assert db.call(activity.check, rules, saturday) == []  # not a working day
    wednesday = datetime(2026, 12, 2, tzinfo=LOCAL_TZ)
    for n, hour in enumerate((9, 11, 14), start=10):
        _post(db, n, (wednesday + timedelta(hours=hour)).astimezone(UTC))
    assert db.call(activity.check, rules, wednesday + timedelta(hours=17)) == []  # three
    off = activity.ActivityRules(operators_chat_id=OPS)  # the default: not enforced
    assert db.call(activity.check, off, datetime(2026, 12, 3, 17, tzinfo=LOCAL_TZ)) == []


def test_originals_and_required_reposts_below_30_percent_are_reminded_on_mondays(
    db: Database,
) -> None:
    """RULES §7: originals plus required reposts at least 30 % of the output."""
    monday = datetime(2026, 11, 30, 10, tzinfo=LOCAL_TZ)  # a Monday, Beijing time
    for n in range(10):  # 2 originals and 8 plain reposts in the last 30 days: 20 %
        _post(db, n + 1, (monday - timedelta(days=n + 1)).astimezone(UTC), original=n < 2)
    rules = activity.ActivityRules(operators_chat_id=OPS)  # the default: 30 %
    assert db.call(activity.check, rules, monday + timedelta(days=1)) == []  # not Monday
    assert db.call(activity.check, rules, monday) == ["share"]
    share = [n[1]["params"] for n in _notices(db) if n[0] == "activity_share_low"]
    assert share == [{"share": "20%", "limit": "30%", "posts": 10, "originals": 2, "mandated": 0}]
    # A required repost (上级要求转发) counts with the originals: 3 of 10 is enough.
    _post_mandated = db.call(
        activity.record_post, CHANNEL, 3, monday, original=False, mandated=True
    )
    assert not _post_mandated  # post 3 was on record: now known to be required
    next_monday = monday + timedelta(days=7)
    summary = db.call(activity.summary, next_monday - timedelta(days=6))
    assert summary.mandated_30d == 1 and summary.own_share_30d == 0.3
    off = activity.ActivityRules(operators_chat_id=OPS, own_share=0)
    assert "share" not in db.call(activity.check, off, next_monday)
