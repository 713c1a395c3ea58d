"""Review throughput: citizen message -> card, and approval -> delivered reply.

Drives the real stack (PTB Application, outbox worker, durable inbox) against the Bot API
emulator over HTTP, on SQLite and on PostgreSQL. Rate limiting is off, so this measures
GovReply itself, not Telegram's flood limits.

    .venv/bin/python bench/review_throughput.py --messages 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PTB_TIMEDELTA", "1")

import psycopg  # noqa: E402

from knowledge_base.embedding import default_model_path, load_model  # noqa: E402
from tests.support.journey import button_data, open_desk  # noqa: E402

QUESTIONS = [
    "请问社保卡丢了怎么补办",
    "驾驶证到期了怎么换证",
    "异地就医怎么备案",
    "租房能提取公积金吗",
    "外地人怎么办居住证",
    "孩子上小学需要准备什么材料",
    "城市通App注册不了怎么办",
    "离职后公积金怎么办",
    "灵活就业人员怎么交社保",
    "身份证丢了怎么补办",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(db_url: str, n: int, model: object) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_desk(db_url, Path(tmp), model, max_open_cards=n + 5) as world:
            users = [world.emu.user(7000 + i, f"市民{i}") for i in range(n)]
            for u in users:
                world.emu.private_chat(u)
            t0 = time.perf_counter()
            sent_at = {}
            for i, u in enumerate(users):
                sent_at[u.id] = time.perf_counter()
                await world.emu.send_message(u, None, QUESTIONS[i % len(QUESTIONS)] + f"（{i}）")
            cards = []
            to_card = []
            for _ in users:
                card = await world.card(timeout=120)
                cards.append(card)
                to_card.append(time.perf_counter())
            intake_seconds = time.perf_counter() - t0
            card_latency = [(to_card[i] - sent_at[users[i].id]) * 1000 for i in range(n)]
            done_at: dict[int, float] = {}

            async def wait_reply(i: int) -> None:
                chat = world.emu.private_chat(users[i])
                await world.emu.wait_for_message(chat, timeout=120)
                done_at[i] = time.perf_counter()

            waiters = [asyncio.create_task(wait_reply(i)) for i in range(n)]
            t1 = time.perf_counter()
            pressed: dict[int, float] = {}
            for card in cards:
                i = int(re.search(r"（(\d+)）", card.text or "").group(1))  # type: ignore[union-attr]
                pressed[i] = time.perf_counter()
                handle = await world.emu.press(world.reviewer, card, button_data(card, "ap"))
                await handle.answer(timeout=60)
            await asyncio.gather(*waiters)
            publish_seconds = time.perf_counter() - t1
            reply_latency = [(done_at[i] - pressed[i]) * 1000 for i in range(n)]
            return {
                "messages": n,
                "message_to_card_per_s": round(n / intake_seconds, 2),
                "message_to_card_ms_p50": round(pct(card_latency, 0.5), 1),
                "message_to_card_ms_p99": round(pct(card_latency, 0.99), 1),
                "approval_to_reply_per_s": round(n / publish_seconds, 2),
                "approval_to_reply_ms_p50": round(pct(reply_latency, 0.5), 1),
                "approval_to_reply_ms_p99": round(pct(reply_latency, 0.99), 1),
            }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=60)
    args = parser.parse_args()
    model = load_model(default_model_path())
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = asyncio.run(measure(f"sqlite:///{tmp}/bench.db", args.messages, model))
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        results["postgres"] = asyncio.run(measure(url, args.messages, model))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(json.dumps(results, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
