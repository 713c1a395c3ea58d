"""Fetching updates durably: each update is stored in the inbox before its offset is confirmed.

PTB's own Updater confirms an offset on its next getUpdates call, before handlers finish, so a
crash would lose updates. This loop stores every update first, then hands it to the
Application, and only then asks for the next batch (which confirms the offset).

Each update is stored as Telegram sent it and decoded alone (`RawUpdatesRequest`): one that
PTB cannot read is quarantined, and neither stops the poller nor holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.db import Database
from bot.services import Services
from knowledge_base.sqltypes import utcnow
from workflow import intake

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post"]

RAW = "govreply_raw"  # the field of a stub update that holds the update as Telegram sent it


class RawUpdatesRequest(HTTPXRequest):
    """The getUpdates connection, handing each update over as Telegram sent it.

    PTB decodes a getUpdates batch as a whole: one update it cannot read (a shape a newer Bot
    API sends, or a broken one) fails the batch, PTB logs the batch (citizens' messages) at
    CRITICAL and raises, and the same batch comes back on every call: the bot receives nothing
    more. Through this connection each update reaches PTB as a stub holding its update_id and,
    in a field PTB does not know (kept in `api_kwargs`), the update itself, so a batch always
    decodes; the poller stores every update and decodes each one alone (`raw_payload`).
    """

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        data = HTTPXRequest.parse_json_payload(payload)
        result = data.get("result")
        if data.get("ok") is True and isinstance(result, list):
            data["result"] = [{"update_id": _update_id(item), RAW: item} for item in result]
        return data


def _update_id(item: object) -> int | None:
    update_id = item.get("update_id") if isinstance(item, dict) else None
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None


def raw_payload(update: Update) -> tuple[dict[str, Any], Update | None] | None:
    """(the update as Telegram sent it, the decoded update or None: decode it when queued) for
    an update from getUpdates; None when it has no integer update_id (it cannot be stored).
    An update fetched without `RawUpdatesRequest` was decoded by PTB: its dict is kept."""
    if RAW not in update.api_kwargs:
        return update.to_dict(), update
    raw = update.api_kwargs[RAW]
    if not isinstance(raw, dict) or _update_id(raw) is None:
        return None
    return raw, None


async def store_and_enqueue(
    app: Application[Any, Any, Any, Any, Any, Any],
    db: Database,
    payload: dict[str, Any],
    update: Update | None = None,
) -> bool:
    """Store one raw update (idempotent) and queue it for the handlers; False if seen before.

    `update` is the payload already decoded, when PTB decoded it (a getUpdates without
    `RawUpdatesRequest`), so it is not decoded twice. One that cannot be decoded is stored and
    quarantined (`enqueue_stored`).
    """
    update_id = int(payload["update_id"])
    stored = await db.run(intake.record_update, update_id, payload)
    if stored:
        await enqueue_stored(app, db, payload, update)
    return stored


async def enqueue_stored(
    app: Application[Any, Any, Any, Any, Any, Any],
    db: Database,
    payload: dict[str, Any],
    update: Update | None = None,
) -> bool:
    """Queue a stored update for the handlers; False when it cannot be decoded: then it is
    quarantined (marked with its error, told to the operators' group once, never replayed),
    so it neither stops the bot at start nor holds up the updates after it."""
    if update is None:
        try:
            update = Update.de_json(payload, app.bot)
        # Foreign data at the process boundary: PTB raises whatever the malformed part
        # triggers (AttributeError, KeyError, TypeError, ValueError, OverflowError, ...).
        except Exception as exc:
            await quarantine(app, db, payload, exc)
            return False
    await app.update_queue.put(update)
    return True


async def quarantine(
    app: Application[Any, Any, Any, Any, Any, Any],
    db: Database,
    payload: dict[str, Any],
    error: Exception,
) -> None:
    """Set a stored update aside that PTB cannot decode (`intake.quarantine_update`)."""
    update_id = int(payload["update_id"])
    # Log its id and the kind of error only: the message may quote the citizen's data.
    logger.error("update %s cannot be decoded (%s): quarantined", update_id, type(error).__name__)
    services: Services = app.bot_data["services"]
    told = await db.run(
        intake.quarantine_update,
        update_id,
        f"{type(error).__name__}: {error}",
        services.settings.operators_chat_id,
    )
    if told:
        app.bot_data["wake"]()  # the notice goes out now, not at the worker's next round


async def replay_unfinished(app: Application[Any, Any, Any, Any, Any, Any], db: Database) -> int:
    """Queue updates stored by an earlier process that never finished them (one that cannot
    be decoded is quarantined, and the others still go)."""
    payloads = await db.run(intake.unfinished_updates, utcnow())
    queued = 0
    for payload in payloads:
        queued += await enqueue_stored(app, db, payload)
    if payloads:
        logger.info("replaying %d unfinished updates (%d queued)", len(payloads), queued)
    return queued


def pause_after(failures: int) -> float:
    """Seconds a loop that must not stop (polling, the outbox) waits after `failures` failed
    rounds in a row: 1, 2, 4, ... up to 30."""
    return min(30.0, 0.5 * 2.0**failures)


class InboxPoller:
    """getUpdates loop with store-before-confirm semantics."""

    def __init__(
        self, app: Application[Any, Any, Any, Any, Any, Any], db: Database, timeout: int = 10
    ) -> None:
        self.app = app
        self.db = db
        self.timeout = timeout
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True

    async def run(self) -> None:
        offset: int | None = None
        failures = 0
        while not self._stopped:
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset,
                    timeout=self.timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self.timeout + 5,
                )
                failures = 0
            except RetryAfter as exc:
                wait = exc.retry_after
                await asyncio.sleep(
                    wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                )
                continue
            except (NetworkError, TelegramError) as exc:
                failures += 1
                delay = pause_after(failures)
                logger.warning("getUpdates failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            # Anything else (PTB failing on what Telegram sent): its words may quote the batch.
            except Exception as exc:
                failures += 1
                delay = pause_after(failures)
                logger.error(
                    "getUpdates failed (%s); retrying in %.1fs", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                continue
            try:
                unusable = 0
                for update in updates:
                    fetched = raw_payload(update)
                    if fetched is None:  # Telegram sends none: skipped, after a pause below
                        unusable += 1
                        continue
                    payload, decoded = fetched
                    await store_and_enqueue(self.app, self.db, payload, decoded)
                    offset = int(payload["update_id"]) + 1
                if unusable:
                    failures += 1
                    delay = pause_after(failures)
                    logger.error("getUpdates gave %d updates without an id; skipped", unusable)
                    await asyncio.sleep(delay)
            except Exception:  # the database failing: keep the offset, fetch the rest again
                failures += 1
                delay = pause_after(failures)
                logger.exception("storing an update failed; fetching again in %.1fs", delay)
                await asyncio.sleep(delay)
