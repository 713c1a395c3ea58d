"""Telegram faults and crashes: 429 with retry_after, 502, dropped connections, a bot killed
between approval and send, an update stored but never processed. Nothing is lost, nothing is
sent twice."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer
from sqlmodel import select

from bot.db import Database
from tests.emulator import BotApiEmulator, SimChat
from tests.support.journey import (
    DISCUSSION_CHAT,
    OPS_CHAT,
    World,
    button_data,
    make_settings,
    seed,
    start_bot,
)
from workflow import intake, outbox
from workflow.models import Draft, DraftState, OutboxItem, Role


def _bot_replies(world: World) -> list[str]:
    chat = world.emu.private_chat(world.citizen)
    return [m.text or "" for m in world.emu.messages(chat) if m.from_bot]


async def _approve_with_fault(desk: World, **fault: object) -> None:
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    desk.emu.fail_next("sendMessage", **fault)  # the next sendMessage is the reply
    await desk.press(desk.reviewer, card, "ap")
    reply = await desk.citizen_reply(timeout=30)
    assert "12333" in reply.text
    await desk.card_edit(card, lambda m: "已发布" in (m.text or ""), timeout=30)
    assert len(_bot_replies(desk)) == 1


async def test_429_retry_after_is_honoured_and_reply_sent_once(desk: World) -> None:
    await _approve_with_fault(desk, status=429, retry_after=1)
    refused = [c for c in desk.emu.calls_to("sendMessage") if c.status == 429]
    assert len(refused) == 1
    items = await desk.db().run(
        lambda s: s.exec(select(OutboxItem).where(OutboxItem.kind == "publish")).all()
    )
    # Telegram's "wait" is not a failed attempt: it does not bring giving up closer.
    assert [(i.status.value, i.attempts) for i in items] == [("sent", 1)]


async def test_502_is_retried_with_backoff(desk: World) -> None:
    await _approve_with_fault(desk, status=502)


async def test_dropped_connection_is_retried(desk: World) -> None:
    await _approve_with_fault(desk, drop=True)


async def test_card_send_failing_twice_still_reaches_the_group(desk: World) -> None:
    desk.emu.fail_next("sendMessage", status=502, times=2)
    await desk.citizen_says("请问驾驶证到期了怎么换证")
    card = await desk.card(timeout=30)
    cards = [m for m in desk.emu.messages(desk.ops) if m.from_bot and "草稿 #" in (m.text or "")]
    assert cards == [card]


async def test_the_database_failing_for_a_while_stops_neither_sending_nor_receiving(
    desk: World,
) -> None:
    """The inbox and outbox tables vanish for a few seconds (a real failure of the database,
    as when a server restarts): the poller keeps the update it could not store and the
    delivery worker its items, and both carry on once the database is back."""
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()

    def rename(pairs: list[tuple[str, str]]) -> None:
        with desk.db().engine.begin() as conn:
            for old, new in pairs:
                conn.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")

    away = [("inbox_update", "inbox_update_away"), ("outbox_item", "outbox_item_away")]
    rename(away)
    try:
        await desk.citizen_says("另外，驾驶证到期了怎么换证")  # arrives while it fails
        await asyncio.sleep(3)  # the poller and the worker each fail at least once
    finally:
        rename([(new, old) for old, new in away])

    await desk.press(desk.reviewer, card, "ap")
    reply = await desk.citizen_reply(timeout=40)
    assert "12333" in reply.text
    await desk.card(lambda m: "驾驶证" in (m.text or ""), timeout=40)
    assert len(_bot_replies(desk)) == 1


async def test_a_reply_telegram_refuses_for_good_is_marked_and_its_card_says_so(
    desk: World,
) -> None:
    """A 400 on a signed reply (too long, chat gone) is not retried, and the draft does not
    stay 'approved' behind a closed card: it is undeliverable, on record and on its card."""
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    desk.emu.fail_next("sendMessage", 400, description="Bad Request: message is too long")
    await desk.press(desk.reviewer, card, "ap")
    card = await desk.card_edit(card, lambda m: "无法送达" in (m.text or ""), timeout=30)
    draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
    assert draft.state is DraftState.UNDELIVERABLE
    assert _bot_replies(desk) == []


async def test_a_reply_out_of_attempts_is_not_dropped_silently(desk: World) -> None:
    """Telegram down for hours: once the last attempt fails, the draft is undeliverable and
    its card says so, instead of an outbox row nobody reads."""
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    desk.emu.fail_next("sendMessage", 502, times=1000)
    await desk.press(desk.reviewer, card, "ap")

    def publish_item(session):  # type: ignore[no-untyped-def]
        return session.exec(select(OutboxItem).where(OutboxItem.kind == "publish")).first()

    for _ in range(200):
        item = await desk.db().run(publish_item)
        if item is not None and item.attempts >= 1 and item.status.value == "pending":
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the reply was never tried")

    def near_the_end(session):  # type: ignore[no-untyped-def]
        row = publish_item(session)
        row.attempts = outbox.MAX_ATTEMPTS - 1  # as after hours of outage
        session.add(row)

    await desk.db().run(near_the_end)
    card = await desk.card_edit(card, lambda m: "无法送达" in (m.text or ""), timeout=30)
    item = await desk.db().run(publish_item)
    assert item.status.value == "failed"
    draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
    assert draft.state is DraftState.UNDELIVERABLE
    assert _bot_replies(desk) == []


async def _inbox_attempts(desk: World, at_least: int) -> None:
    """Wait until the citizen's update has failed `at_least` times."""
    from workflow.models import InboxUpdate

    def attempts(session):  # type: ignore[no-untyped-def]
        return max((u.attempts for u in session.exec(select(InboxUpdate))), default=0)

    for _ in range(400):
        if await desk.db().run(attempts) >= at_least:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the update never failed {at_least} time(s)")


def _rename(desk: World, old: str, new: str) -> None:
    with desk.db().engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")


async def test_a_message_whose_handling_failed_is_tried_again_while_the_bot_runs(
    desk: World,
) -> None:
    """The database fails while a citizen's message is handled: it is tried again within
    minutes (not only at the next restart) and gets its card."""
    from bot.runtime import retry_failed_updates

    _rename(desk, "citizen_message", "citizen_message_away")
    try:
        await desk.citizen_says("请问社保卡丢了怎么补办")
        await _inbox_attempts(desk, 1)
    finally:
        _rename(desk, "citizen_message_away", "citizen_message")
    await retry_failed_updates(desk.runtime)
    card = await desk.card(timeout=30)
    assert "社保卡" in card.text


async def test_a_message_that_fails_for_good_is_handed_to_the_operators(desk: World) -> None:
    from bot.runtime import retry_failed_updates

    _rename(desk, "citizen_message", "citizen_message_away")
    try:
        await desk.citizen_says("我的电话13812345678，社保卡丢了怎么补办")
        for attempt in (1, 2, 3):
            await _inbox_attempts(desk, attempt)
            if attempt < 3:
                desk.runtime.requeued.clear()  # as a minute later
                await retry_failed_updates(desk.runtime)
    finally:
        _rename(desk, "citizen_message_away", "citizen_message")
    notice = await desk.emu.wait_for_message(
        desk.ops, lambda m: "处理失败 3 次" in (m.text or ""), timeout=30
    )
    assert "社保卡丢了" in notice.text and "13812345678" not in notice.text


async def test_failed_callback_answer_does_not_stop_the_bot(desk: World) -> None:
    await desk.citizen_says("请问驾驶证到期了怎么换证")
    card = await desk.card()
    desk.emu.fail_next("answerCallbackQuery", status=502, times=2)
    handle = await desk.emu.press(desk.reviewer, card, button_data(card, "ap"))
    reply = await desk.citizen_reply()
    assert "车管所" in reply.text
    assert handle.query.id
    await desk.citizen_says("请问异地就医怎么备案")
    assert "异地就医" in (await desk.card()).text


OPERATORS = {1001: (Role.REVIEWER, "王审核"), 1002: (Role.REVIEWER, "赵审核")}


async def test_bot_killed_between_approval_and_send_sends_once_after_restart(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    async with BotApiEmulator() as emu:
        ops = emu.group(OPS_CHAT, "审核工作群")
        emu.group(DISCUSSION_CHAT, "评论区")
        citizen = emu.user(5001, "李")
        chat = emu.private_chat(citizen)
        reviewer = emu.user(1001, "王审核")
        seed(db_url, OPERATORS)
        # A short lease so the restarted process takes over the interrupted send quickly.
        settings = make_settings(emu, db_url, tmp_path, outbox_lease_seconds=2)

        async with start_bot(settings, st_model):
            await emu.send_message(citizen, None, "请问社保卡丢了怎么补办")
            card = await emu.wait_for_message(ops, lambda m: "草稿 #" in (m.text or ""))
            emu.fail_next("sendMessage", drop=True)
            await emu.press(reviewer, card, button_data(card, "ap"))
            await emu.wait_for_call("sendMessage", lambda c: c.params.get("chat_id") == chat.id)
            # the process dies here: the reply is approved but not delivered
        assert not [m for m in emu.messages(chat) if m.from_bot]

        async with start_bot(settings, st_model) as (_services, runtime):
            reply = await emu.wait_for_message(chat, timeout=30)
            assert "12333" in reply.text
            await emu.wait_for_edit(ops, card.message_id, lambda m: "已发布" in (m.text or ""))
        assert len([m for m in emu.messages(chat) if m.from_bot]) == 1
        db = Database(db_url)
        draft = db.call(lambda s: s.exec(select(Draft)).one())
        db.dispose()
        assert draft.state is DraftState.PUBLISHED


async def test_update_stored_but_never_processed_is_replayed_once(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    async with BotApiEmulator() as emu:
        ops = emu.group(OPS_CHAT, "审核工作群")
        emu.group(DISCUSSION_CHAT, "评论区")
        citizen = emu.user(5001, "李")
        emu.private_chat(citizen)
        seed(db_url, OPERATORS)
        await emu.send_message(citizen, None, "请问驾驶证到期了怎么换证")
        payload = emu.pending_updates[0]
        db = Database(db_url)
        # A process stored this update, then died before handling it (and before confirming
        # the offset, so Telegram delivers it again too).
        assert db.call(intake.record_update, payload["update_id"], payload)
        db.dispose()

        settings = make_settings(emu, db_url, tmp_path)
        async with start_bot(settings, st_model):
            card = await emu.wait_for_message(ops, lambda m: "草稿 #" in (m.text or ""))
            assert "驾驶证" in card.text
            await emu.wait_for_updates_consumed()
        cards = [m for m in emu.messages(ops) if m.from_bot and "草稿 #" in (m.text or "")]
        assert len(cards) == 1


async def test_an_item_that_cannot_be_rendered_does_not_stop_the_other_sends(
    desk: World,
) -> None:
    from workflow import outbox

    def queue_broken_then_good(session):  # type: ignore[no-untyped-def]
        # A notice whose template does not exist (say, queued by an older version).
        outbox.enqueue(
            session, outbox.Kind.NOTICE, chat_id=OPS_CHAT, payload={"template": "no_such_text"}
        )

    await desk.db().run(queue_broken_then_good)
    desk.runtime.delivery.wake()
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()  # the worker went on after the broken item
    await desk.press(desk.reviewer, card, "ap")
    assert "12333" in (await desk.citizen_reply()).text
    broken = await desk.db().run(
        lambda s: s.exec(select(OutboxItem).where(OutboxItem.kind == "notice")).one()
    )
    assert broken.attempts >= 1 and "no_such_text" in (broken.last_error or "")


POISON = {
    # What a careless or hostile sender can post to the webhook, and what a stale PTB cannot
    # read: each is stored before it is decoded, and Update.de_json raises on it.
    9004: {"update_id": 9004, "message": "garbage"},
    9005: {  # a message without its date
        "update_id": 9005,
        "message": {
            "message_id": 77,
            "chat": {"id": 5001, "type": "private"},
            "from": {"id": 5001, "is_bot": False, "first_name": "李"},
            "text": "我的电话13812345678，社保卡丢了怎么补办",
        },
    },
}


def _quarantine_notices(emu: BotApiEmulator, ops: SimChat) -> list[str]:
    return [m.text or "" for m in emu.messages(ops) if m.from_bot and "无法解析" in (m.text or "")]


async def test_a_stored_update_that_cannot_be_decoded_is_quarantined_and_the_bot_starts(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    """Poison in the inbox (stored, then the process died) used to stop every start. Now the
    bot starts, sets it aside with its error, tells the group once (de-identified), handles
    the update after it, and a second start neither replays nor reports it again."""
    from workflow.models import InboxStatus, InboxUpdate

    async with BotApiEmulator() as emu:
        ops = emu.group(OPS_CHAT, "审核工作群")
        emu.group(DISCUSSION_CHAT, "评论区")
        citizen = emu.user(5001, "李")
        emu.private_chat(citizen)
        seed(db_url, OPERATORS)
        db = Database(db_url)
        for update_id, payload in POISON.items():
            assert db.call(intake.record_update, update_id, payload)
        db.dispose()
        await emu.send_message(citizen, None, "请问驾驶证到期了怎么换证")  # the next update

        settings = make_settings(emu, db_url, tmp_path)
        async with start_bot(settings, st_model):
            card = await emu.wait_for_message(ops, lambda m: "草稿 #" in (m.text or ""))
            assert "驾驶证" in card.text
            await emu.wait_until(lambda: len(_quarantine_notices(emu, ops)) == 2, what="notices")
        notices = _quarantine_notices(emu, ops)
        assert sorted("#9004" in n for n in notices) == [False, True]
        dateless = next(n for n in notices if "#9005" in n)
        assert "社保卡丢了" in dateless and "13812345678" not in dateless

        async with start_bot(settings, st_model):  # a second start: nothing again
            await emu.send_message(citizen, None, "请问异地就医怎么备案")
            await emu.wait_for_message(ops, lambda m: "异地就医" in (m.text or ""))
        assert len(_quarantine_notices(emu, ops)) == 2

        db = Database(db_url)
        rows = db.call(lambda s: {u.update_id: u for u in s.exec(select(InboxUpdate))})
        db.dispose()
        for update_id in POISON:
            row = rows[update_id]
            assert row.status is InboxStatus.QUARANTINED and row.quarantined_at is not None
            assert row.attempts == 0 and row.error
        assert "KeyError" in (rows[9005].error or "")


async def test_an_update_polling_cannot_decode_is_quarantined_and_the_bot_goes_on(
    desk: World, caplog: pytest.LogCaptureFixture
) -> None:
    """getUpdates hands over a message PTB cannot decode (it lacks its date) in the batch of a
    citizen's question. PTB decodes a batch as a whole: it logged the batch, the citizen's
    words, at CRITICAL and raised, the poller died, and the bot heard nothing more. Now each
    update is stored and decoded alone: the poison one is quarantined and told to the group
    once, de-identified; the question gets its card; both are confirmed; no log quotes it."""
    from workflow.models import InboxStatus, InboxUpdate

    caplog.set_level(logging.INFO)
    words = "我叫王小明，电话13812345678，社保卡丢了怎么补办"
    poison = desk.emu.queue_raw_update(
        "message",
        {
            "message_id": 501,
            "chat": {"id": desk.citizen.id, "type": "private", "first_name": "李"},
            "from": {"id": desk.citizen.id, "is_bot": False, "first_name": "李"},
            "text": words,
        },
    )
    await desk.citizen_says("请问驾驶证到期了怎么换证")  # the same getUpdates batch

    assert "驾驶证" in ((await desk.card()).text or "")
    notice = await desk.emu.wait_for_message(desk.ops, lambda m: "无法解析" in (m.text or ""))
    said = notice.text or ""
    assert f"#{poison['update_id']}" in said and "社保卡丢了" in said
    assert "13812345678" not in said and "王小明" not in said
    await desk.emu.wait_for_updates_consumed()  # the offset went past both

    await desk.citizen_says("请问异地就医怎么备案")  # the poller lives on
    assert "异地就医" in ((await desk.card()).text or "")
    assert len(_quarantine_notices(desk.emu, desk.ops)) == 1
    row = await desk.db().run(lambda s: s.get(InboxUpdate, poison["update_id"]))
    assert row is not None and row.status is InboxStatus.QUARANTINED
    assert row.payload == poison and "KeyError" in (row.error or "")

    assert caplog.records
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        assert words not in line and "13812345678" not in line and "王小明" not in line, line


async def test_a_background_task_that_died_does_not_keep_the_bot_from_stopping(
    sqlite_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    """Shutdown awaited each task ignoring only cancellation: one that had died with an error
    re-raised it there and the Application was never stopped."""

    async def dies() -> None:
        raise RuntimeError("a background loop failed")

    async with BotApiEmulator() as emu:
        emu.group(OPS_CHAT, "审核工作群")
        seed(sqlite_url, OPERATORS)
        settings = make_settings(emu, sqlite_url, tmp_path)
        async with start_bot(settings, st_model) as (_services, runtime):
            task = asyncio.create_task(dies(), name="doomed")
            runtime.tasks.append(task)
            await asyncio.wait([task])
        assert not runtime.app.running
