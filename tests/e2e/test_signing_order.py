"""Sign-off in any order, through the real Application and the Bot API emulator: on every tier
the highest signer presses first, as a real group would when the head sees the card first. The
draft waits for the step still open (its 尚需 line and button say which), a press that cannot
help is refused naming who is needed, and the stamp names the highest signer as 审签人."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer

from tests.emulator.messaging import SimMessage
from tests.support.journey import CHANNEL_CHAT, World, open_desk


@pytest.fixture
async def world(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> AsyncIterator[World]:
    async with open_desk(db_url, tmp_path, st_model, channel_id=CHANNEL_CHAT) as w:
        yield w


def _approve_label(card: SimMessage) -> str:
    labels = [b.get("text", "") for row in card.buttons for b in row]
    return next(label for label in labels if label.startswith("✅"))


async def test_ordinary_reply_signed_by_the_head_alone(world: World) -> None:
    await world.citizen_says("请问社保卡丢了怎么补办")
    card = await world.card()
    assert "一般" in card.text
    await world.press(world.head, card, "ap")
    reply = await world.citizen_reply()
    assert "审核人：刘主任" in reply.text and "审签人：刘主任" in reply.text


async def test_important_reply_signed_head_first_then_deputy_head(world: World) -> None:
    await world.citizen_says("请问公租房怎么申请？")
    card = await world.card()
    assert "重要" in card.text
    text, alert = await world.press(world.head, card, "ap")
    assert not alert, text
    card = await world.card_edit(card, lambda m: "尚需：审核人" in (m.text or ""))
    assert _approve_label(card) == "✅ 审核（审核人）"
    text, alert = await world.press(world.head, card, "ap")
    assert alert and "不能重复签批" in (text or "")
    await world.press(world.deputy, card, "ap")
    reply = await world.citizen_reply()
    # the 审签人 is the highest signer whatever the order; the deputy head gave the review
    assert "审核人：陈分管" in reply.text and "审签人：刘主任" in reply.text


async def test_major_reply_signed_head_first_then_refusals_then_a_reviewer(world: World) -> None:
    await world.citizen_says("台风来了明天要不要上班")
    card = await world.card()
    assert "重大敏感" in card.text
    await world.press(world.head, card, "ap")  # froze the draft for good under the old rule
    card = await world.card_edit(card, lambda m: "尚需：审核人" in (m.text or ""))
    assert "尚需：主要负责人" not in card.text
    text, alert = await world.press(world.stranger, card, "ap")
    assert alert, text
    await world.press(world.reviewer, card, "ap")
    reply = await world.citizen_reply()
    assert "审核人：王审核" in reply.text and "审签人：刘主任" in reply.text


async def test_major_reply_a_deputy_head_cannot_help_after_the_review(world: World) -> None:
    await world.citizen_says("台风来了明天要不要上班")
    card = await world.card()
    await world.press(world.deputy, card, "ap")  # fills the review step
    card = await world.card_edit(card, lambda m: "尚需：主要负责人" in (m.text or ""))
    assert _approve_label(card) == "✅ 审签（主要负责人）"
    text, alert = await world.press(world.reviewer, card, "ap")
    assert alert and "尚需：主要负责人" in (text or ""), text
    await world.press(world.head, card, "ap")
    reply = await world.citizen_reply()
    assert "审核人：陈分管" in reply.text and "审签人：刘主任" in reply.text


async def test_major_channel_post_signed_head_first(world: World) -> None:
    await world.emu.send_message(
        world.reviewer2,
        world.ops,
        "/post 今天下午城东化工厂发生爆炸事故，已造成人员伤亡，请市民远离现场。",
    )
    card = await world.emu.wait_for_message(
        world.ops, lambda m: "📰 频道稿件 #" in (m.text or ""), timeout=20
    )
    assert "重大" in card.text
    button = card.button("✅ 通过")
    assert button is not None, card.buttons
    handle = await world.emu.press(world.head, card, button["callback_data"])
    _, alert = await handle.answer(timeout=20)
    assert not alert
    card = await world.card_edit(card, lambda m: "尚需：审核人" in (m.text or ""))
    button = card.button("✅ 审核（审核人）")
    assert button is not None, card.buttons
    handle = await world.emu.press(world.reviewer, card, button["callback_data"])
    await handle.answer(timeout=20)
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert "审核人：王审核　审签人：刘主任" in published.text
