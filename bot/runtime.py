"""Running GovReply: the Application, the update source (polling or webhook), the outbox
worker and the periodic jobs, started and stopped together.

`running()` is what `govreply run`, the sandbox and the end-to-end tests use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.delivery import DeliveryWorker
from bot.polling import InboxPoller, enqueue_stored, replay_unfinished
from bot.services import Services, sync_index
from bot.settings import Mode
from knowledge_base import store
from knowledge_base.similarity import Similarity, for_model
from knowledge_base.sqltypes import utcnow
from workflow import (
    activity,
    cases,
    hot_topics,
    inspection,
    intake,
    outbox,
    posts,
    retention,
    review,
)
from workflow.calendar import local_date

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    app: Application[Any, Any, Any, Any, Any, Any]
    services: Services
    delivery: DeliveryWorker
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    hot_topics_checked: datetime | None = None  # grouping embeds a day of messages: not often
    inspection: asyncio.Task[None] | None = None  # the weekly report, while its links are tried
    hot_topic_embed: Similarity | None = None  # vectors of the window's messages, kept
    retention_checked: datetime | None = None  # the purge of old personal data: hourly
    index_day: date | None = None  # the Beijing day the index last took its live entries
    index_revision: tuple[int, int, str] | None = None  # the Q&A base it took them from
    requeued: dict[int, datetime] = field(default_factory=dict)  # failed updates, tried again
    upkeep_at: datetime | None = None  # the last round that checked index, retries, calendar


@asynccontextmanager
async def running(services: Services, *, poll: bool = True) -> AsyncIterator[Runtime]:
    """Start everything; on exit stop it in reverse order. Pending work stays in the DB."""
    settings = services.settings
    app = build_application(services)
    delivery = DeliveryWorker(app.bot, services.db, settings)
    app.bot_data["wake"] = delivery.wake
    runtime = Runtime(app, services, delivery)
    await keep_index_current(runtime)  # before any message is matched
    await settle_signatures(services)
    async with app:
        await app.start()
        runtime.tasks.append(asyncio.create_task(delivery.run(), name="delivery"))
        runtime.tasks.append(asyncio.create_task(periodic(runtime), name="periodic"))
        await replay_unfinished(app, services.db)
        poller = None
        if poll and settings.mode is Mode.POLLING:
            await app.bot.delete_webhook()
            poller = InboxPoller(app, services.db)
            runtime.tasks.append(asyncio.create_task(poller.run(), name="poller"))
        try:
            yield runtime
        finally:
            if poller is not None:
                poller.stop()
            delivery.stop()
            for task in runtime.tasks:
                task.cancel()
            for task in runtime.tasks:
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                except Exception:  # a task that died must not keep the app from stopping
                    logger.exception("task %s had stopped with an error", task.get_name())
            await app.stop()


async def settle_signatures(services: Services) -> None:
    """Start-up repair: drafts and posts signed under the old next-in-line rule are seated
    again, and those now fully signed go out once (`review.settle_pending`)."""
    drafts = await services.db.run(review.settle_pending)
    posts_ = await services.db.run(posts.settle_pending)
    if drafts or posts_:
        logger.info("signatures re-seated: drafts %s, posts %s", drafts, posts_)


async def run_periodic_once(runtime: Runtime) -> None:
    """One round of the periodic jobs (SLA deadlines); also called by tests."""
    warned, escalated = await runtime.services.desk.sweep_sla()
    await remind_cases(runtime)
    await remind_activity(runtime)
    await alert_unreviewed_posts(runtime)
    await report_inspection(runtime)
    await alert_hot_topics(runtime)
    await purge_personal_data(runtime)
    now = utcnow()
    if runtime.upkeep_at is None or now - runtime.upkeep_at >= UPKEEP_EVERY:
        # Each is a database round trip (a write lock on SQLite): not on every short round.
        runtime.upkeep_at = now
        await warn_calendar_gap(runtime)
        await keep_index_current(runtime)
        await retry_failed_updates(runtime)
    if warned or escalated:
        logger.info("SLA: %d cards re-announced, %d escalated", len(warned), len(escalated))
        runtime.delivery.wake()


RETRY_FAILED_AFTER = timedelta(minutes=1)
UPKEEP_EVERY = timedelta(seconds=20)


async def retry_failed_updates(runtime: Runtime) -> None:
    """An update a handler failed on (the database away for a moment) gets its next attempt
    within minutes, not at the next restart; the last failure tells the group
    (`intake.finish_update`)."""
    now = utcnow()
    payloads = await runtime.services.db.run(intake.failed_before)
    waiting = {int(p["update_id"]) for p in payloads}
    runtime.requeued = {k: v for k, v in runtime.requeued.items() if k in waiting}
    for payload in payloads:
        update_id = int(payload["update_id"])
        last = runtime.requeued.get(update_id)
        if last is not None and now - last < RETRY_FAILED_AFTER:
            continue
        runtime.requeued[update_id] = now
        if await enqueue_stored(runtime.app, runtime.services.db, payload):
            logger.info("update %s: another attempt", update_id)


async def keep_index_current(runtime: Runtime, today: date | None = None) -> None:
    """The index takes the live entries again when Beijing's day changes (an entry whose
    valid_from is today goes live today; expiry is checked on every search, a start date is
    not) and when the Q&A base changed behind the bot's back (`govreply kb import` writes
    the database only: the running bot owns the index files, so two processes never write
    them at once)."""
    today = today or local_date(utcnow())
    services = runtime.services
    current = await services.db.run(store.revision)
    if runtime.index_day == today and runtime.index_revision == current:
        return
    count = await asyncio.to_thread(sync_index, services.db, services.matcher, today)
    runtime.index_day, runtime.index_revision = today, current
    logger.info("index synced for %s: %d live entries", today.isoformat(), count)


async def warn_calendar_gap(runtime: Runtime, today: date | None = None) -> None:
    """Deadlines count working days: a year whose official holidays are unknown (the
    calendar package not updated yet) counts Monday-Friday, so 元旦, 春节 and 调休 are wrong.
    Said once per year in the group, from December on for the next year (RULES: no silent
    gap)."""
    chat_id = runtime.services.settings.operators_chat_id
    if chat_id is None:
        return
    today = today or local_date(utcnow())
    years = [today.year, today.year + 1] if today.month == 12 else [today.year]
    for year in years:
        if runtime.services.calendar.knows(year):
            continue
        item = await runtime.services.db.run(
            outbox.enqueue,
            outbox.Kind.NOTICE,
            chat_id=chat_id,
            payload={"template": "calendar_gap", "params": {"year": year}},
            dedupe_key=f"calendar_gap:{year}",
        )
        if item is not None:
            logger.warning("official holidays of %d unknown: counting Monday-Friday", year)
            runtime.delivery.wake()


async def purge_personal_data(runtime: Runtime) -> None:
    """RULES §4: no more personal data than the service needs; at most once an hour."""
    days = runtime.services.settings.retain_personal_data_days
    now = utcnow()
    last = runtime.retention_checked
    if not days or (last is not None and now - last < timedelta(hours=1)):
        return
    purged = await runtime.services.db.run(retention.purge, now, days)
    if purged.messages < retention.BATCH and purged.updates < retention.BATCH:
        runtime.retention_checked = now  # else: more to do next round
    if purged.messages or purged.updates:
        logger.info(
            "retention: %d message original(s), %d raw update(s) purged",
            purged.messages,
            purged.updates,
        )


async def remind_cases(runtime: Runtime) -> None:
    """RULES §6: remind the group of impersonation cases until all four steps are ticked."""
    settings = runtime.services.settings
    reminded = await runtime.services.db.run(
        cases.remind_open_checklists,
        utcnow(),
        timedelta(hours=settings.case_reminder_hours),
        settings.operators_chat_id,
    )
    if reminded:
        logger.info("reminded %d impersonation case(s)", len(reminded))
        runtime.delivery.wake()


async def remind_activity(runtime: Runtime) -> None:
    """RULES §7: remind the group (and at last the heads) when the channel falls silent."""
    settings = runtime.services.settings
    rules = activity.ActivityRules(
        update_days=settings.update_every_days,
        original_days=settings.original_every_days,
        dormant_days=settings.dormant_days,
        dormant_warn_days=settings.dormant_warn_days,
        operators_chat_id=settings.operators_chat_id,
        daily_posts=settings.posts_per_working_day,
        daily_check_hour=settings.posts_check_hour,
        own_share=settings.own_share_min,
        share_min_posts=settings.own_share_min_posts,
        is_workday=runtime.services.calendar.is_workday,
    )
    sent = await runtime.services.db.run(activity.check, rules)
    if sent:
        logger.info("account activity reminders: %s", ", ".join(sent))
        runtime.delivery.wake()


async def alert_unreviewed_posts(runtime: Runtime) -> None:
    """RULES §1: a channel post that skipped GovReply's sign-off is reported to the group.
    Only where GovReply publishes the channel's posts (GOVREPLY_CHANNEL_ID)."""
    settings = runtime.services.settings
    if settings.channel_id is None or not settings.unreviewed_post_alert:
        return
    reported = await runtime.services.db.run(
        posts.alert_unreviewed, settings.channel_id, settings.operators_chat_id, utcnow()
    )
    if reported:
        logger.warning("channel posts without sign-off: %s", reported)
        runtime.delivery.wake()


async def report_inspection(runtime: Runtime) -> None:
    """RULES §7 读网巡检: the weekly report. Trying its links can take minutes, so it runs
    beside the periodic loop (deadlines must not wait for it), outside any transaction."""
    services = runtime.services
    settings = services.settings
    if not settings.inspection_weekly or (runtime.inspection and not runtime.inspection.done()):
        return
    key = await services.db.run(inspection.report_due)
    if key is None:
        return

    async def report_and_queue() -> None:
        try:
            report = await services.inspect()
        except Exception:  # beside the loop: log it; the next round tries again
            logger.exception("weekly inspection failed")
            return
        chat = settings.operators_chat_id
        if await services.db.run(inspection.queue_report, report, chat, key):
            broken = len(report.broken)
            logger.info("inspection report: %d links, %d broken", report.links_checked, broken)
            runtime.delivery.wake()

    runtime.inspection = asyncio.create_task(report_and_queue(), name="inspection")
    runtime.tasks.append(runtime.inspection)


async def alert_hot_topics(runtime: Runtime) -> None:
    """RULES §5: many people raising the same matter; every `hot_topic_check_minutes`."""
    services = runtime.services
    settings = services.settings
    now = utcnow()
    last = runtime.hot_topics_checked
    if not settings.hot_topic_messages or (
        last is not None and now - last < timedelta(minutes=settings.hot_topic_check_minutes)
    ):
        return
    runtime.hot_topics_checked = now
    messages = await services.db.run(hot_topics.recent, now, settings.hot_topic_hours)
    if runtime.hot_topic_embed is None:
        runtime.hot_topic_embed = for_model(services.matcher.model).remembering()
    found = await asyncio.to_thread(
        hot_topics.find, messages, runtime.hot_topic_embed, settings.hot_topic_messages
    )
    if not found:
        return
    sent = await services.db.run(
        hot_topics.alert,
        found,
        settings.operators_chat_id,
        services.desk.config.routing.departments,
        settings.hot_topic_hours,
        now,
    )
    if sent:
        logger.info("hot topics: %d announced", len(sent))
        runtime.delivery.wake()


async def periodic(runtime: Runtime) -> None:
    """Deadlines and reminders, every `periodic_seconds`. One failing round doesn't stop it."""
    interval = runtime.services.settings.periodic_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            await run_periodic_once(runtime)
        except Exception:  # process boundary: log and keep the loop alive
            logger.exception("periodic jobs failed; retrying next round")
