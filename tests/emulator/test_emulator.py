"""The emulator against the real python-telegram-bot Application, over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.emulator import BotApiEmulator, SimMessage
from tests.emulator.conftest import AppFactory

Context = ContextTypes.DEFAULT_TYPE
SECRET = "s3cret-token"  # noqa: S105 -- the webhook secret of a test bot
LIKE = InlineKeyboardMarkup([[InlineKeyboardButton("赞", callback_data="like:1")]])


async def on_text(update: Update, context: Context) -> None:  # noqa: ARG001
    message = update.effective_message
    assert message is not None
    await message.reply_text(
        f"echo: {message.text}",
        reply_parameters=ReplyParameters(message_id=message.message_id),
        reply_markup=LIKE,
    )


async def on_start(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"welcome {' '.join(context.args or [])}".strip())


async def on_like(update: Update, context: Context) -> None:  # noqa: ARG001
    query = update.callback_query
    assert query is not None
    await query.answer(text="已点赞", show_alert=True)
    await query.edit_message_text(f"liked by {query.from_user.first_name}")


@pytest.fixture
async def app(make_app: AppFactory) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = make_app()
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(CallbackQueryHandler(on_like, pattern=r"^like:"))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=2)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_echo_reply_is_recorded_with_reply_parameters_and_keyboard(
    emu: BotApiEmulator,
    app: Application,  # type: ignore[type-arg]  # noqa: ARG001
) -> None:
    alice = emu.user(1001, "Alice", "alice")
    sent = await emu.send_message(alice, None, "如何办理居住证？")

    reply = await emu.wait_for_message(emu.private_chat(alice))

    assert reply.text == "echo: 如何办理居住证？"
    assert reply.reply_to_message_id == sent.message_id
    assert reply.data["from"]["username"] == "govreply_bot"
    assert reply.callback_data == ["like:1"]
    call = await emu.wait_for_call("sendMessage")
    assert call.params["reply_parameters"] == {"message_id": sent.message_id}
    assert call.params["chat_id"] == alice.id


async def test_each_update_is_delivered_once_and_confirmed(
    emu: BotApiEmulator,
    app: Application,  # type: ignore[type-arg]  # noqa: ARG001
) -> None:
    bob = emu.user(1002, "Bob")
    chat = emu.private_chat(bob)
    for n in range(5):
        await emu.send_message(bob, chat, f"q{n}")

    replies = [await emu.wait_for_message(chat) for _ in range(5)]
    await emu.wait_for_updates_consumed()

    assert [r.text for r in replies] == [f"echo: q{n}" for n in range(5)]
    assert emu.count_sent(chat) == 5
    assert emu.pending_updates == []


async def test_a_raw_update_is_served_as_given_in_its_turn(emu: BotApiEmulator) -> None:
    """What PTB cannot decode still goes out, unchanged, numbered like the others."""
    bob = emu.user(1002, "Bob")
    await emu.send_message(bob, None, "q0")
    raw = emu.queue_raw_update("message", {"message_id": 9, "text": "no date, no chat"})
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}{emu.token}/getUpdates"
        async with session.post(url, data={"timeout": "0"}) as response:
            served = (await response.json())["result"]
    assert served[1] == raw
    assert raw == {
        "update_id": served[0]["update_id"] + 1,
        "message": {"message_id": 9, "text": "no date, no chat"},
    }


async def test_command_gets_bot_command_entity_and_args(
    emu: BotApiEmulator,
    app: Application,  # type: ignore[type-arg]  # noqa: ARG001
) -> None:
    carol = emu.user(1003, "Carol")
    await emu.send_message(carol, None, "/start case-42")

    reply = await emu.wait_for_message(emu.private_chat(carol))

    assert reply.text == "welcome case-42"


async def test_button_press_is_answered_and_edits_the_message(
    emu: BotApiEmulator,
    app: Application,  # type: ignore[type-arg]  # noqa: ARG001
) -> None:
    dave = emu.user(1004, "Dave")
    chat = emu.private_chat(dave)
    await emu.send_message(dave, chat, "hello")
    card = await emu.wait_for_message(chat)

    handle = await emu.press(dave, card, "like:1")

    assert await handle.answer() == ("已点赞", True)
    edited = await emu.wait_for_edit(chat, card.message_id)
    assert edited.text == "liked by Dave"
    assert edited.reply_markup is None  # editMessageText without reply_markup drops it
    assert emu.messages(chat)[-1].text == "liked by Dave"


async def test_edit_with_same_content_is_not_modified(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    erin = emu.user(1005, "Erin")
    chat = emu.private_chat(erin)
    async with make_app() as application:
        bot = application.bot
        sent = await bot.send_message(
            chat.id, "<b>draft</b>", parse_mode="HTML", reply_markup=LIKE
        )
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text(
                "<b>draft</b>", chat.id, sent.message_id, parse_mode="HTML", reply_markup=LIKE
            )
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(chat.id, sent.message_id, reply_markup=LIKE)
        await bot.edit_message_reply_markup(chat.id, sent.message_id, reply_markup=None)

    assert emu.messages(chat)[0].text == "draft"
    assert emu.messages(chat)[0].reply_markup is None


async def test_broken_html_is_rejected_like_telegram(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    chat = emu.private_chat(emu.user(1006, "Frank"))
    async with make_app() as application:
        with pytest.raises(BadRequest, match="Can't parse entities"):
            await application.bot.send_message(chat.id, "a <script> b", parse_mode="HTML")
    assert emu.count_sent(chat) == 0


async def test_429_surfaces_as_retry_after_and_does_not_send(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    chat = emu.private_chat(emu.user(1007, "Grace"))
    emu.fail_next("sendMessage", status=429, retry_after=3)
    async with make_app() as application:
        with pytest.raises(RetryAfter) as caught:
            await application.bot.send_message(chat.id, "hi")
        assert caught.value.retry_after == timedelta(seconds=3)
        assert emu.count_sent(chat) == 0
        await application.bot.send_message(chat.id, "hi again")
    assert [m.text for m in emu.messages(chat)] == ["hi again"]
    assert [c.fault for c in emu.calls_to("sendMessage")] == ["429", None]


async def test_502_html_surfaces_as_network_error(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    chat = emu.private_chat(emu.user(1008, "Heidi"))
    emu.fail_next("sendMessage", status=502, times=2)
    async with make_app() as application:
        for _ in range(2):
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await application.bot.send_message(chat.id, "hi")
    assert emu.count_sent(chat) == 0
    assert emu.faults.pending() == {}


async def test_dropped_connection_surfaces_as_network_error(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    chat = emu.private_chat(emu.user(1009, "Ivan"))
    emu.fail_next("sendMessage", drop=True)
    async with make_app() as application:
        with pytest.raises(NetworkError) as caught:
            await application.bot.send_message(chat.id, "hi")
        assert not isinstance(caught.value, TimedOut)
        await application.bot.send_message(chat.id, "retry")
    assert [m.text for m in emu.messages(chat)] == ["retry"]


async def test_slow_answer_times_out_but_can_still_deliver(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    chat = emu.private_chat(emu.user(1010, "Judy"))
    emu.fail_next("sendMessage", delay=3, perform=True)
    async with make_app(read_timeout=0.2) as application:
        with pytest.raises(TimedOut):
            await application.bot.send_message(chat.id, "maybe delivered")
    # The duplicate-send trap: the client timed out, yet Telegram delivered the message.
    assert [m.text for m in emu.messages(chat)] == ["maybe delivered"]


async def test_unknown_method_and_missing_parameter_are_recorded() -> None:
    emulator = BotApiEmulator(fail_on_error=False)
    async with emulator, emulator.application_builder().build() as application:
        with pytest.raises(EndPointNotFound):
            await application.bot.do_api_request("sendTeleportation", api_kwargs={"x": 1})
        async with aiohttp.ClientSession() as session:
            url = f"{emulator.base_url}{emulator.token}/sendMessage"
            async with session.post(url, json={"chat_id": 1}) as response:
                body = await response.json()
    assert response.status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }  # noqa: E501
    assert len(emulator.errors) == 2
    assert "sendTeleportation: method not implemented" in emulator.errors[0]
    assert "missing required ['text']" in emulator.errors[1]
    with pytest.raises(AssertionError, match="2 problem"):
        emulator.assert_no_errors()


async def test_exit_fails_the_test_when_errors_were_recorded() -> None:
    emulator = BotApiEmulator()
    await emulator.__aenter__()
    async with emulator.application_builder().build() as application:
        with pytest.raises(EndPointNotFound):
            await application.bot.do_api_request("sendTeleportation")
    with pytest.raises(AssertionError, match="method not implemented"):
        await emulator.__aexit__(None, None, None)


async def test_unknown_chat_and_unstarted_user_are_refused(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    stranger = emu.user(1011, "Mallory")
    async with make_app() as application:
        with pytest.raises(BadRequest, match="Chat not found"):
            await application.bot.send_message(424242, "hi")
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await application.bot.send_message(stranger.id, "hi")


async def test_comment_under_channel_post_gets_threaded_reply(
    emu: BotApiEmulator,
    app: Application,  # type: ignore[type-arg]  # noqa: ARG001
) -> None:
    group = emu.group(-1002000, "政务号评论区")
    channel = emu.channel(-1001000, "政务号", discussion_group=group)
    post = await emu.channel_post(channel, "关于居住证办理的通知")
    assert post.discussion is not None
    citizen = emu.user(1012, "Kim")

    comment = await emu.send_message(citizen, group, "需要什么材料？", reply_to=post.discussion)
    reply = await emu.wait_for_message(group, lambda m: m.text == "echo: 需要什么材料？")

    assert comment.data["message_thread_id"] == post.discussion.message_id
    assert comment.data["reply_to_message"]["is_automatic_forward"] is True
    assert reply.reply_to_message_id == comment.message_id
    assert reply.thread_id == post.discussion.message_id


async def test_document_upload_and_member_admin(emu: BotApiEmulator, make_app: AppFactory) -> None:
    group = emu.group(-1003000, "operators")
    leo = emu.user(1013, "Leo")
    await emu.send_message(leo, group, "hi")  # makes Leo a member; nobody polls here
    async with make_app() as application:
        bot = application.bot
        doc = await bot.send_document(
            group.id, b"a,b\n1,2\n", filename="cases.csv", caption="导出"
        )
        file = await bot.get_file(doc.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"
        await bot.restrict_chat_member(group.id, leo.id, permissions=_no_permissions())
        member = await bot.get_chat_member(group.id, leo.id)
        assert member.status == "restricted"
        await bot.ban_chat_member(group.id, leo.id)
        assert (await bot.get_chat_member(group.id, leo.id)).status == "kicked"
        assert (await bot.get_chat(group.id)).title == "operators"
    sent = emu.messages(group)[-1]
    assert sent.document is not None
    assert (sent.document.name, sent.text) == ("cases.csv", "导出")


def _no_permissions():  # type: ignore[no-untyped-def]
    from telegram import ChatPermissions

    return ChatPermissions.no_permissions()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_mode_posts_updates_with_secret(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    application = make_app()
    application.add_handler(MessageHandler(filters.TEXT, on_text))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1", port=_free_port(), url_path="tg", secret_token=SECRET
        )
        try:
            assert emu.world.webhook is not None
            assert emu.world.webhook.secret_token == SECRET
            nina = emu.user(1014, "Nina")
            await emu.send_message(nina, None, "via webhook")
            reply = await emu.wait_for_message(emu.private_chat(nina))
        finally:
            await application.updater.stop()
            await application.stop()
    assert reply.text == "echo: via webhook"
    assert emu.webhook_deliveries[0][1] == "200"


async def test_rate_limit_gives_429_for_second_private_message_in_a_second(
    emu: BotApiEmulator,
    make_app: AppFactory,
) -> None:
    chat = emu.private_chat(emu.user(1015, "Olga"))
    emu.rate_limits = True
    async with make_app() as application:
        await application.bot.send_message(chat.id, "one")
        with pytest.raises(RetryAfter):
            await application.bot.send_message(chat.id, "two")
    assert emu.count_sent(chat) == 1


async def test_wait_for_message_times_out_with_assertion(emu: BotApiEmulator) -> None:
    chat = emu.private_chat(emu.user(1016, "Pat"))
    with pytest.raises(AssertionError, match="waiting for a bot message"):
        await emu.wait_for_message(chat, timeout=0.05)


def test_sim_message_button_lookup_names_the_buttons() -> None:
    emulator = BotApiEmulator()
    chat = emulator.private_chat(emulator.user(1, "A"))
    markup = {"inline_keyboard": [[{"text": "批准", "callback_data": "rv1:approve:1"}]]}
    message = SimMessage(chat, 1, {"text": "x", "reply_markup": markup}, from_bot=True)
    assert message.button("批准")["callback_data"] == "rv1:approve:1"
    with pytest.raises(AssertionError, match="批准"):
        message.button("驳回")
