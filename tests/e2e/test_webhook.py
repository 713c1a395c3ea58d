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
from tests.emulator import BotApiEmulator
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
