"""Webhook mode: Telegram (the emulator) posts updates with the secret token; the bot stores
them before answering and serves /healthz. A wrong secret is refused."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
from sentence_transformers import SentenceTransformer

from bot.runtime import running
from bot.serve import start_http
from bot.services import open_services
from tests.emulator import BotApiEmulator, SimMessage
from tests.support.journey import DISCUSSION_CHAT, OPS_CHAT, button_data, make_settings, seed
from workflow.models import Role


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_round_trip_and_secret_check(
    sqlite_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    port = free_port()
    async with BotApiEmulator() as emu:
        ops = emu.group(OPS_CHAT, "审核工作群")
        emu.group(DISCUSSION_CHAT, "评论区")
        citizen = emu.user(5001, "李")
        chat = emu.private_chat(citizen)
        reviewer = emu.user(1001, "王审核")
        seed(sqlite_url, {1001: (Role.REVIEWER, "王审核")})
        settings = make_settings(
            emu,
            sqlite_url,
            tmp_path,
            mode="webhook",
            listen_port=port,
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            webhook_secret="s3cret-token",
        )
        async with (
            open_services(settings, model=st_model) as services,
            running(services) as runtime,
        ):
            runner = await start_http(runtime)
            try:
                await emu.send_message(citizen, None, "请问驾驶证到期了怎么换证")
                card = await emu.wait_for_message(ops, lambda m: "草稿 #" in (m.text or ""))
                await emu.press(reviewer, card, button_data(card, "ap"))
                reply = await emu.wait_for_message(chat, timeout=20)
                assert "车管所" in reply.text
                assert emu.webhook_deliveries and all(
                    outcome == "200" for _, outcome in emu.webhook_deliveries
                )
                async with aiohttp.ClientSession() as http:
                    wrong = await http.post(
                        f"http://127.0.0.1:{port}/telegram",
                        json={"update_id": 999},
                        headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
                    )
                    assert wrong.status == 403
                    health = await http.get(f"http://127.0.0.1:{port}/healthz")
                    assert health.status == 200
                    assert (await health.json())["entries"] == 12
            finally:
                await runner.cleanup()


SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
NOT_UPDATES = {
    "not JSON": b"update_id=4",
    "not UTF-8 (GBK)": '{"update_id": 41, "message": {"text": "社保卡"}}'.encode("gbk"),
    "a JSON list": b"[1, 2]",
    "no update_id": b'{"message": {"message_id": 1}}',
    "update_id a string": b'{"update_id": "42"}',
    "update_id a float": b'{"update_id": 42.5}',
    "update_id a boolean": b'{"update_id": true}',
    "update_id null": b'{"update_id": null}',
    "update_id too large for the inbox": b'{"update_id": 99999999999999999999}',
    "a NaN": b'{"update_id": 43, "x": NaN}',
    "an unpaired surrogate": b'{"update_id": 44, "message": {"text": "\\ud800"}}',
}
UNDECODABLE = {
    45: b'{"update_id": 45, "message": "garbage"}',
    46: (  # a message without its date
        '{"update_id": 46, "message": {"message_id": 9, "chat": {"id": 5001, "type": '
        '"private"}, "from": {"id": 5001, "is_bot": false, "first_name": "李"}, '
        '"text": "我的电话13812345678"}}'
    ).encode(),
}


def told(m: SimMessage) -> bool:
    """A notice of an update quarantined."""
    return "无法解析" in (m.text or "")


async def test_a_webhook_body_that_is_not_an_update_is_refused_and_a_poison_one_quarantined(
    sqlite_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    """Never a 500 for what a sender posts: 400 for a body that is not a Telegram update
    (nothing stored); 200 for one stored that cannot be decoded, quarantined and told to the
    group once, however often it comes again. The citizen's next message is handled."""
    from sqlmodel import select

    from bot.db import Database
    from workflow.models import InboxStatus, InboxUpdate

    port = free_port()
    async with BotApiEmulator() as emu:
        ops = emu.group(OPS_CHAT, "审核工作群")
        emu.group(DISCUSSION_CHAT, "评论区")
        citizen = emu.user(5001, "李")
        emu.private_chat(citizen)
        seed(sqlite_url, {1001: (Role.REVIEWER, "王审核")})
        settings = make_settings(
            emu,
            sqlite_url,
            tmp_path,
            mode="webhook",
            listen_port=port,
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            webhook_secret="s3cret-token",
        )
        url = f"http://127.0.0.1:{port}/telegram"
        async with (
            open_services(settings, model=st_model) as services,
            running(services) as runtime,
        ):
            runner = await start_http(runtime)
            try:
                async with aiohttp.ClientSession() as http:
                    for what, body in NOT_UPDATES.items():
                        answer = await http.post(url, data=body, headers=SECRET)
                        assert answer.status == 400, what
                    for body in [*UNDECODABLE.values(), *UNDECODABLE.values()]:
                        answer = await http.post(url, data=body, headers=SECRET)
                        assert answer.status == 200, body
                await emu.send_message(citizen, None, "请问驾驶证到期了怎么换证")
                card = await emu.wait_for_message(ops, lambda m: "草稿 #" in (m.text or ""))
                assert "驾驶证" in card.text
                await emu.wait_until(lambda: len([m for m in emu.messages(ops) if told(m)]) == 2)
            finally:
                await runner.cleanup()
        notices = [m.text or "" for m in emu.messages(ops) if told(m)]
        assert sorted("#45" in n for n in notices) == [False, True]
        assert "138****5678" in next(n for n in notices if "#46" in n)
        db = Database(sqlite_url)
        rows = db.call(lambda s: {u.update_id: u.status for u in s.exec(select(InboxUpdate))})
        db.dispose()
        assert {i: rows[i] for i in UNDECODABLE} == dict.fromkeys(
            UNDECODABLE, InboxStatus.QUARANTINED
        )
        assert not {41, 42, 43, 44} & set(rows)  # refused bodies are not stored
