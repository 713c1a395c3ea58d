"""Each emulated Bot API method, called through a real PTB Bot over HTTP."""

from __future__ import annotations

import pytest
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken
from telegram.ext import ApplicationBuilder

from tests.emulator import BotApiEmulator
from tests.emulator.conftest import AppFactory


async def test_get_me_and_commands_round_trip(emu: BotApiEmulator, make_app: AppFactory) -> None:
    async with make_app() as application:
        bot = application.bot
        assert bot.username == "govreply_bot"
        assert bot.id == emu.bot.id
        await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("case", "查询办件")])
        commands = await bot.get_my_commands()
        assert [c.command for c in commands] == ["start", "case"]
        with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_numeric_text_stays_a_string(emu: BotApiEmulator, make_app: AppFactory) -> None:
    chat = emu.private_chat(emu.user(2001, "Amy"))
    async with make_app() as application:
        message = await application.bot.send_message(chat.id, "12345")
    assert message.text == "12345"
    assert emu.messages(chat)[0].text == "12345"


async def test_reply_to_missing_message_fails_unless_allowed(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    chat = emu.private_chat(emu.user(2002, "Ben"))
    async with make_app() as application:
        bot = application.bot
        with pytest.raises(BadRequest, match="Message to be replied not found"):
            await bot.send_message(chat.id, "x", reply_parameters=ReplyParameters(999))
        sent = await bot.send_message(
            chat.id, "y", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
        )
    assert sent.reply_to_message is None


async def test_oversized_callback_data_is_rejected(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    chat = emu.private_chat(emu.user(2003, "Cid"))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    async with make_app() as application:
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await application.bot.send_message(chat.id, "card", reply_markup=markup)


async def test_delete_copy_forward_pin_and_chat_action(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    user = emu.user(2004, "Dan")
    chat = emu.private_chat(user)
    ops = emu.group(-100500, "operators")
    original = await emu.send_message(user, chat, "原始问题")
    async with make_app() as application:
        bot = application.bot
        forwarded = await bot.forward_message(ops.id, chat.id, original.message_id)
        assert forwarded.forward_origin is not None
        assert forwarded.forward_origin.sender_user.id == user.id
        copied = await bot.copy_message(ops.id, chat.id, original.message_id)
        await bot.pin_chat_message(ops.id, copied.message_id)
        assert (await bot.get_chat(ops.id)).pinned_message.text == "原始问题"
        assert await bot.send_chat_action(ops.id, ChatAction.TYPING)
        assert await bot.delete_message(ops.id, forwarded.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(ops.id, forwarded.message_id)
    assert [m.text for m in emu.messages(ops)] == ["原始问题"]
    assert emu.count_sent(ops) == 2


async def test_leave_chat_then_sending_is_forbidden(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    group = emu.group(-100600, "old group")
    blocked = emu.user(2005, "Eve")
    emu.private_chat(blocked)
    emu.block(blocked)
    async with make_app() as application:
        bot = application.bot
        assert await bot.leave_chat(group.id)
        with pytest.raises(Forbidden, match="not a member"):
            await bot.send_message(group.id, "hello?")
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(blocked.id, "hello?")


async def test_invalid_callback_query_id_is_rejected(make_app: AppFactory) -> None:
    async with make_app() as application:
        with pytest.raises(BadRequest, match="Query is too old"):
            await application.bot.answer_callback_query("no-such-query")


async def test_user_photo_is_downloadable(emu: BotApiEmulator, make_app: AppFactory) -> None:
    user = emu.user(2006, "Fay")
    message = await emu.send_message(user, None, "截图", photo=b"\xff\xd8screenshot")
    largest = message.data["photo"][-1]
    assert message.text == "截图"
    async with make_app() as application:
        file = await application.bot.get_file(largest["file_id"])
        assert bytes(await file.download_as_bytearray()) == b"\xff\xd8screenshot"


async def test_webhook_blocks_get_updates_until_deleted(make_app: AppFactory) -> None:
    async with make_app() as application:
        bot = application.bot
        assert await bot.set_webhook("http://127.0.0.1:9/unused")
        assert (await bot.get_webhook_info()).url == "http://127.0.0.1:9/unused"
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()


async def test_failed_webhook_delivery_is_an_error() -> None:
    emulator = BotApiEmulator(fail_on_error=False)
    async with emulator, emulator.application_builder().build() as application:
        assert await application.bot.set_webhook("http://127.0.0.1:9/nobody-listens")
        await emulator.send_message(emulator.user(2007, "Gus"), None, "lost")
        await emulator.wait_until(lambda: emulator.webhook_deliveries, what="a delivery")
    assert "webhook delivery of update 1" in emulator.errors[0]
    assert emulator.webhook_deliveries[0][1].startswith("ClientConnectorError")


async def test_get_updates_confirms_by_offset(emu: BotApiEmulator, make_app: AppFactory) -> None:
    user = emu.user(2008, "Hal")
    for text in ("a", "b", "c"):
        await emu.send_message(user, None, text)
    async with make_app() as application:
        bot = application.bot
        first = await bot.get_updates(limit=2)
        assert [u.message.text for u in first] == ["a", "b"]
        rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        assert [u.message.text for u in rest] == ["c"]
        assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()


async def test_waits_consume_messages_in_order(emu: BotApiEmulator, make_app: AppFactory) -> None:
    chat = emu.private_chat(emu.user(2009, "Ida"))
    async with make_app() as application:
        for text in ("card", "reply", "notice"):
            await application.bot.send_message(chat.id, text)
        sent = await application.bot.send_message(chat.id, "v1")
        await application.bot.edit_message_text("v2", chat.id, sent.message_id)
        await application.bot.edit_message_text("v3", chat.id, sent.message_id)
    assert (await emu.wait_for_message(chat, lambda m: m.text == "reply")).text == "reply"
    assert (await emu.wait_for_message(chat)).text == "card"
    assert (await emu.wait_for_message(chat)).text == "notice"
    assert (await emu.wait_for_edit(chat, sent.message_id)).text == "v2"
    assert (await emu.wait_for_edit(chat, sent.message_id)).text == "v3"


async def test_wrong_token_is_recorded() -> None:
    emulator = BotApiEmulator(fail_on_error=False)
    async with emulator:
        application = ApplicationBuilder().token("1:wrong").base_url(emulator.base_url).build()
        with pytest.raises(InvalidToken):
            await application.initialize()
    assert emulator.errors == ["getMe: request with a wrong bot token"]


async def test_looking_at_a_private_chat_does_not_start_it(
    emu: BotApiEmulator, make_app: AppFactory
) -> None:
    quiet = emu.user(2010, "Quinn")
    chat = emu.private_chat(quiet, started=False)
    assert emu.private_chat(quiet) is chat
    async with make_app() as application:
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await application.bot.send_message(chat.id, "hi")
        await emu.send_message(quiet, None, "/start")
        await application.bot.send_message(chat.id, "hi")
    assert [m.text for m in emu.messages(chat)] == ["/start", "hi"]
