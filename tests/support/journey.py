"""A whole GovReply world for journey tests: emulator, users, groups, running bot.

Tests read like the journey: `await world.citizen_says("...")`, `card = await world.card()`,
`await world.press(world.reviewer, card, "ap")`, `reply = await world.citizen_reply()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentence_transformers import SentenceTransformer

from bot.db import Database, upgrade
from bot.runtime import Runtime, running
from bot.services import Services, open_services
from bot.settings import Settings
from knowledge_base import io as kb_io
from knowledge_base import store
from tests.emulator import BotApiEmulator, SimChat, SimMessage, SimUser
from workflow.models import Role
from workflow.operators import add_operator

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_KB = ROOT / "examples" / "kb_sample.jsonl"
OPS_CHAT = -100100
DISCUSSION_CHAT = -100200
CHANNEL_CHAT = -100300


@dataclass
class World:
    emu: BotApiEmulator
    settings: Settings
    services: Services
    runtime: Runtime
    ops: SimChat
    discussion: SimChat
    channel: SimChat
    citizen: SimUser
    reviewer: SimUser
    reviewer2: SimUser
    deputy: SimUser
    head: SimUser
    stranger: SimUser
    extra: dict[str, Any] = field(default_factory=dict)

    async def citizen_says(self, text: str, user: SimUser | None = None) -> SimMessage:
        return await self.emu.send_message(user or self.citizen, None, text)

    async def comment(self, text: str, user: SimUser | None = None) -> SimMessage:
        post = self.extra.get("post")
        if post is None:
            post = await self.emu.channel_post(self.channel, "示例市发布：本周政务服务安排")
            self.extra["post"] = post
        return await self.emu.send_message(
            user or self.citizen, self.discussion, text, reply_to=post.discussion
        )

    async def private_comment(self, text: str) -> tuple[SimMessage, SimMessage]:
        """A comment whose draft is to be answered by private message: (comment, its card
        switched to 私信回复 if triage did not choose it)."""
        comment = await self.comment(text)
        card = await self.card()
        if "私信回复" not in (card.text or ""):
            await self.press(self.reviewer, card, "vi")
            card = await self.card_edit(card, lambda m: "私信回复" in (m.text or ""))
        return comment, card

    async def card(self, predicate: Any = None, timeout: float = 20) -> SimMessage:  # noqa: ASYNC109
        """The next new draft card in the operators' group."""

        def is_card(m: SimMessage) -> bool:
            return (
                "草稿 #" in (m.text or "")
                and bool(m.buttons)
                and (predicate is None or predicate(m))
            )

        return await self.emu.wait_for_message(self.ops, is_card, timeout=timeout)

    async def press(
        self,
        user: SimUser,
        card: SimMessage,
        action: str,
        arg: str | None = None,
        *,
        stale: bool = False,
    ) -> tuple[str | None, bool]:
        """Press the card's button for `action` (rv1:<action>:...) and return the answer.

        `stale=True` presses a button of an older version of the card, as a client that has
        not redrawn the message yet would."""
        data = button_data(card, action, arg)
        handle = await self.emu.press(user, card, data, force=stale)
        return await handle.answer(timeout=20)

    async def reply_to(self, user: SimUser, message: SimMessage, text: str) -> SimMessage:
        return await self.emu.send_message(user, self.ops, text, reply_to=message)

    async def citizen_reply(self, user: SimUser | None = None, timeout: float = 20) -> SimMessage:  # noqa: ASYNC109
        chat = self.emu.private_chat(user or self.citizen)
        return await self.emu.wait_for_message(chat, timeout=timeout)

    async def card_edit(self, card: SimMessage, predicate: Any, timeout: float = 20) -> SimMessage:  # noqa: ASYNC109
        return await self.emu.wait_for_edit(self.ops, card.message_id, predicate, timeout=timeout)

    def db(self) -> Database:
        return self.services.db


def button_data(card: SimMessage, action: str, arg: str | None = None) -> str:
    for row in card.buttons:
        for b in row:
            data = b.get("callback_data", "")
            parts = data.split(":")
            if len(parts) >= 4 and parts[1] == action and (arg is None or parts[4:] == [arg]):
                return str(data)
    msg = f"card has no {action!r} button: {card.buttons}"
    raise AssertionError(msg)


def make_settings(emu: BotApiEmulator, db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "token": emu.token,
        "base_url": emu.base_url,
        "base_file_url": emu.base_file_url,
        "operators_chat_id": OPS_CHAT,
        "discussion_chat_ids": [DISCUSSION_CHAT],
        "database_url": db_url,
        "data_dir": tmp_path / "data",
        "rate_limit": False,
        "inspection_weekly": False,  # its own tests turn it on; others keep the group quiet
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


def seed(db_url: str, operators: dict[int, tuple[Role, str]]) -> None:
    """Migrate, import the sample Q&A base and register operators (as an admin would)."""
    upgrade(db_url)
    db = Database(db_url)
    try:
        records = kb_io.parse(SAMPLE_KB.read_bytes(), str(SAMPLE_KB))
        db.call(store.import_records, records)
        for telegram_id, (role, name) in operators.items():
            db.call(add_operator, telegram_id, role, name)
    finally:
        db.dispose()


@asynccontextmanager
async def start_bot(
    settings: Settings, model: SentenceTransformer
) -> AsyncIterator[tuple[Services, Runtime]]:
    async with open_services(settings, model=model) as services, running(services) as runtime:
        yield services, runtime


@asynccontextmanager
async def open_desk(
    db_url: str, tmp_path: Path, model: SentenceTransformer, **overrides: Any
) -> AsyncIterator[World]:
    async with BotApiEmulator(bot_username="govreply_bot") as emu:
        ops = emu.group(OPS_CHAT, "审核工作群")
        discussion = emu.group(DISCUSSION_CHAT, "示例市发布 评论区")
        channel = emu.channel(CHANNEL_CHAT, "示例市发布", discussion_group=discussion)
        citizen = emu.user(5001, "李", "citizen_li")
        reviewer = emu.user(1001, "王审核", "wang_rev")
        reviewer2 = emu.user(1002, "赵审核", "zhao_rev")
        deputy = emu.user(1003, "陈分管", "chen_dep")
        head = emu.user(1004, "刘主任", "liu_head")
        stranger = emu.user(6666, "路人", "passerby")
        for u in (reviewer, reviewer2, deputy, head, stranger):
            emu.set_member(ops, u, "member")
        emu.private_chat(citizen)
        seed(
            db_url,
            {
                1001: (Role.REVIEWER, "王审核"),
                1002: (Role.REVIEWER, "赵审核"),
                1003: (Role.DEPUTY_HEAD, "陈分管"),
                1004: (Role.HEAD, "刘主任"),
            },
        )
        settings = make_settings(emu, db_url, tmp_path, **overrides)
        async with start_bot(settings, model) as (services, runtime):
            yield World(
                emu,
                settings,
                services,
                runtime,
                ops,
                discussion,
                channel,
                citizen,
                reviewer,
                reviewer2,
                deputy,
                head,
                stranger,
            )
