"""Channel posts under tiered sign-off (RULES §1, §5) through the Bot API emulator: /post and
/repost in the operators' group, the post's card, signatures, edits, overrides, and the post
in the channel with its stamp, counted for the account's activity. Real PTB, real HTTP,
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer
from sqlmodel import select

from tests.emulator import SimMessage
from tests.support.journey import CHANNEL_CHAT, World, open_desk
from workflow.models import AuditRecord, ChannelPost, InboxStatus, InboxUpdate, PostDraft


@pytest.fixture
async def world(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> AsyncIterator[World]:
    async with open_desk(db_url, tmp_path, st_model, channel_id=CHANNEL_CHAT) as w:
        yield w


def _post_card(n: int | None = None) -> object:
    def match(m: SimMessage) -> bool:
        text = m.text or ""
        return "📰 频道稿件 #" in text and (n is None or f"#{n}｜" in text)

    return match


async def _press(w: World, user: object, card: SimMessage, label: str) -> tuple[str | None, bool]:
    button = card.button(label)
    assert button is not None, (label, card.buttons)
    handle = await w.emu.press(user, card, button["callback_data"])  # type: ignore[arg-type]
    return await handle.answer(timeout=20)


def _channel_posts(w: World) -> list[SimMessage]:
    return [m for m in w.emu.messages(w.channel) if m.from_bot]


async def _all_handled(w: World) -> None:
    """Every update Telegram sent (the post's mirror in the discussion group too) is handled."""
    await w.emu.wait_for_updates_consumed()

    async def pending() -> int:
        rows = await w.db().run(lambda s: list(s.exec(select(InboxUpdate))))
        return sum(r.status is not InboxStatus.DONE for r in rows)

    for _ in range(100):
        if await pending() == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("updates still being handled")


async def _recorded(w: World) -> list[ChannelPost]:
    return await w.db().run(lambda s: list(s.exec(select(ChannelPost))))


async def test_an_original_post_needs_a_second_pair_of_eyes_and_carries_its_stamp(
    world: World,
) -> None:
    text = "示例市发布：自12月1日起，市民中心工作日服务时间延长至20:00。"
    await world.emu.send_message(world.reviewer, world.ops, f"/post {text}")
    ack = await world.emu.wait_for_message(
        world.ops, lambda m: "稿件 #1 已提交" in (m.text or ""), timeout=20
    )
    assert ack.text
    card = await world.emu.wait_for_message(world.ops, _post_card(1), timeout=20)
    assert "原创" in card.text and "一般" in card.text and text in card.text
    assert "拟稿人：王审核" in card.text and "尚需：审核人" in card.text

    # Whoever wrote it is never its only approver; a stranger signs nothing.
    answer, refused = await _press(world, world.reviewer, card, "✅ 通过")
    assert refused and "修改人不能单独审批" in (answer or "")
    answer, refused = await _press(world, world.stranger, card, "✅ 通过")
    assert refused
    assert _channel_posts(world) == []

    stale = card.button("✅ 通过")["callback_data"]
    answer, refused = await _press(world, world.reviewer2, card, "✅ 通过")
    assert not refused, answer
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert published.text == f"{text}\n\n——\n拟稿人：王审核　审核人：赵审核　审签人：赵审核"
    card = await world.card_edit(card, lambda m: "已发布到频道" in (m.text or ""))
    labels = [b["text"] for row in card.buttons for b in row]
    assert labels == ["✏️ 更正稿件", "🗑 撤回稿件"]  # what is left once published

    # A press on the card as it was publishes nothing more; the post counts once, as an
    # original, although its mirror in the discussion group arrives too.
    handle = await world.emu.press(world.head, card, stale, force=True)
    _answer, refused = await handle.answer(timeout=20)
    assert refused
    await _all_handled(world)
    assert len(_channel_posts(world)) == 1
    recorded = await _recorded(world)
    assert [(r.channel_id, r.message_id, r.original) for r in recorded] == [
        (CHANNEL_CHAT, published.message_id, True)
    ]
    actions = await world.db().run(
        lambda s: [
            r.action for r in s.exec(select(AuditRecord).where(AuditRecord.subject_type == "post"))
        ]
    )
    assert actions[0] == "post_submitted" and actions.count("post_published") == 1


async def test_a_repost_names_its_source_and_reviewer(world: World) -> None:
    source = await world.emu.send_message(
        world.reviewer, world.ops, "国务院：今冬明春供暖季保障工作部署"
    )
    await world.emu.send_message(world.deputy, world.ops, "/repost 中国政府网", reply_to=source)
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    assert "转载" in card.text and "转载来源：中国政府网" in card.text
    await _press(world, world.reviewer2, card, "✅ 通过")
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert published.text.endswith("——\n来源：中国政府网　审核人：赵审核")
    await _all_handled(world)
    assert [r.original for r in await _recorded(world)] == [False]


async def test_a_major_event_post_waits_for_the_head_and_an_edit_voids_signatures(
    world: World,
) -> None:
    await world.emu.send_message(
        world.reviewer,
        world.ops,
        "/post 今天下午城东化工厂发生爆炸事故，已造成人员伤亡，请市民远离现场。",
    )
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    assert "重大" in card.text  # RULES §5: dynamic information after the head's approval
    await _press(world, world.reviewer2, card, "✅ 通过")
    card = await world.card_edit(card, lambda m: "尚需：主要负责人" in (m.text or ""))
    assert _channel_posts(world) == []

    await _press(world, world.reviewer, card, "✏️ 修改")
    prompt = await world.emu.wait_for_message(
        world.ops, lambda m: "✏️ 稿件 #1" in (m.text or ""), timeout=20
    )
    corrected = "今天下午城东化工厂发生爆炸事故，救援正在进行，请市民远离现场，以官方通报为准。"
    await world.reply_to(world.reviewer, prompt, corrected)
    card = await world.card_edit(card, lambda m: corrected in (m.text or ""))
    assert "此前签批作废" in card.text and "尚需：审核人" in card.text

    await _press(world, world.reviewer2, card, "✅ 通过")
    card = await world.card_edit(card, lambda m: "尚需：主要负责人" in (m.text or ""))
    answer, refused = await _press(world, world.deputy, card, "✅ 审签（主要负责人）")
    assert refused, answer  # a deputy head cannot give the head's signature
    await _press(world, world.head, card, "✅ 审签（主要负责人）")
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert published.text.startswith(corrected)
    assert "审核人：赵审核　审签人：刘主任" in published.text


async def test_a_failing_check_needs_the_final_signers_reason(world: World) -> None:
    await world.emu.send_message(
        world.reviewer, world.ops, "/post 小编觉得这次活动办得太好了！！欢迎加微信 sl2026 报名"
    )
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    assert "合规检查" in card.text
    await _press(world, world.reviewer2, card, "✅ 通过")
    prompt = await world.emu.wait_for_message(
        world.ops, lambda m: "⚠️ 稿件 #1 合规检查未通过" in (m.text or ""), timeout=20
    )
    assert _channel_posts(world) == []
    await _press(world, world.head, card, "❌ 驳回")
    reject = await world.emu.wait_for_message(
        world.ops, lambda m: "❌ 稿件 #1" in (m.text or ""), timeout=20
    )
    await world.reply_to(world.head, reject, "含个人观点和广告，不予发布")
    card = await world.card_edit(card, lambda m: "已驳回" in (m.text or ""))
    assert not card.buttons and "不予发布" in card.text
    # The override prompt answered after the rejection changes nothing.
    await world.reply_to(world.reviewer2, prompt, "确需发布")
    await world.emu.wait_for_message(
        world.ops, lambda m: "已处理" in (m.text or "") or "已驳回" in (m.text or ""), timeout=20
    )
    post = await world.db().run(lambda s: s.exec(select(PostDraft)).one())
    assert post.state.value == "rejected" and _channel_posts(world) == []


async def test_a_post_rewritten_into_a_sudden_event_needs_the_head(world: World) -> None:
    """RULES §5: the tier follows the words. An ordinary notice edited into an accident report
    needs the head's signature, as if it had been proposed that way."""
    await world.emu.send_message(world.reviewer, world.ops, "/post 本周社区活动通知：周六上午义诊")
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    await _press(world, world.reviewer, card, "✏️ 修改")
    edit = await world.emu.wait_for_message(
        world.ops, lambda m: "✏️ 稿件 #1" in (m.text or ""), timeout=20
    )
    accident = "今天下午城东化工厂发生爆炸事故，已造成人员伤亡，请市民远离现场。"
    await world.reply_to(world.reviewer, edit, accident)
    card = await world.card_edit(card, lambda m: accident in (m.text or ""))
    assert "重大" in card.text
    await _press(world, world.reviewer2, card, "✅ 通过")
    await world.card_edit(card, lambda m: "尚需：主要负责人" in (m.text or ""))
    assert _channel_posts(world) == []


async def test_an_override_reason_signs_only_the_post_it_was_asked_for(world: World) -> None:
    await world.emu.send_message(world.reviewer, world.ops, "/post 欢迎加微信 sl2026 报名参加活动")
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    await _press(world, world.reviewer2, card, "✅ 通过")
    prompt = await world.emu.wait_for_message(
        world.ops, lambda m: "⚠️ 稿件 #1 合规检查未通过" in (m.text or ""), timeout=20
    )
    # The post is rewritten after the reason was asked for (still failing the check).
    await _press(world, world.reviewer, card, "✏️ 修改")
    edit = await world.emu.wait_for_message(
        world.ops, lambda m: "✏️ 稿件 #1" in (m.text or ""), timeout=20
    )
    await world.reply_to(world.reviewer, edit, "欢迎加微信 ad2026 抢购优惠名额")
    card = await world.card_edit(card, lambda m: "ad2026" in (m.text or ""))
    await world.reply_to(world.reviewer2, prompt, "确需发布")
    await world.emu.wait_for_message(
        world.ops, lambda m: "卡片内容已更新" in (m.text or ""), timeout=20
    )
    post = await world.db().run(lambda s: s.exec(select(PostDraft)).one())
    assert post.state.value == "pending" and _channel_posts(world) == []


async def test_without_a_channel_there_is_nothing_to_post_to(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    async with open_desk(db_url, tmp_path, st_model) as w:
        await w.emu.send_message(w.reviewer, w.ops, "/post 本周政务服务安排")
        note = await w.emu.wait_for_message(
            w.ops, lambda m: "GOVREPLY_CHANNEL_ID" in (m.text or ""), timeout=20
        )
        assert note.text
        assert await w.db().run(lambda s: s.exec(select(PostDraft)).all()) == []


async def test_a_post_with_a_picture_goes_out_with_its_caption_and_stamp(world: World) -> None:
    caption = "示例市发布：市民中心新址启用，图为办事大厅。"
    photo = await world.emu.send_message(world.reviewer, world.ops, caption, photo=True)
    await world.emu.send_message(world.reviewer, world.ops, "/post", reply_to=photo)
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    assert caption in card.text and f"随稿图片：见本群第 {photo.message_id} 条消息" in card.text
    await _press(world, world.reviewer2, card, "✅ 通过")
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert published.data.get("photo") and "text" not in published.data
    assert published.data["caption"] == (
        f"{caption}\n\n——\n拟稿人：王审核　审核人：赵审核　审签人：赵审核"
    )
    await _all_handled(world)
    assert [r.message_id for r in await _recorded(world)] == [published.message_id]

    # Too long to be a caption under a picture: refused at once, nothing to sign.
    await world.emu.send_message(world.reviewer, world.ops, "/post " + "长" * 901, reply_to=photo)
    refusal = await world.emu.wait_for_message(
        world.ops, lambda m: "不能超过 900 字" in (m.text or ""), timeout=20
    )
    assert refusal.text
    assert len(await world.db().run(lambda s: s.exec(select(PostDraft)).all())) == 1


async def test_a_post_refuting_a_rumour_needs_a_deputy_head(world: World) -> None:
    await world.emu.send_message(
        world.reviewer, world.ops, "/post 【辟谣】网传我市下周停水一周，经核实系谣言。"
    )
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    assert "重要" in card.text
    await _press(world, world.reviewer2, card, "✅ 通过")
    card = await world.card_edit(card, lambda m: "尚需：分管负责人" in (m.text or ""))
    await _press(world, world.deputy, card, "✅ 审签（分管负责人）")
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert "审签人：陈分管" in published.text


async def test_a_scheduled_post_is_held_until_its_time_and_can_be_withdrawn(
    world: World,
) -> None:
    from datetime import timedelta

    from knowledge_base.sqltypes import utcnow
    from workflow.calendar import LOCAL_TZ
    from workflow.models import OutboxItem

    tomorrow = (utcnow() + timedelta(days=1)).astimezone(LOCAL_TZ)
    when = f"{tomorrow.month}-{tomorrow.day} 09:00"
    await world.emu.send_message(
        world.reviewer, world.ops, f"/post 定时 {when} 周末图书馆延长开放"
    )
    card = await world.emu.wait_for_message(world.ops, _post_card(1), timeout=20)
    assert "⏰ 定时发布" in card.text and "09:00" in card.text
    assert "稿件内容：\n周末图书馆延长开放\n" in card.text  # the time is not part of the text
    await _press(world, world.reviewer2, card, "✅ 通过")
    card = await world.card_edit(card, lambda m: "发布前可撤回" in (m.text or ""))
    await _press(world, world.head, card, "🛑 撤回发布")
    prompt = await world.emu.wait_for_message(
        world.ops, lambda m: "🛑 稿件 #1" in (m.text or ""), timeout=20
    )
    await world.reply_to(world.head, prompt, "场馆临时检修，暂不发布")
    card = await world.card_edit(card, lambda m: "已撤回" in (m.text or ""))
    assert not card.buttons and "临时检修" in card.text

    # A second one: when its time comes the outbox sends it (the time is made to pass).
    await world.emu.send_message(
        world.reviewer, world.ops, f"/post 定时 {when} 周一起恢复常规开放"
    )
    second = await world.emu.wait_for_message(world.ops, _post_card(2), timeout=20)
    await _press(world, world.reviewer2, second, "✅ 通过")
    await world.card_edit(second, lambda m: "发布前可撤回" in (m.text or ""))
    assert _channel_posts(world) == []

    def time_passes(session):  # type: ignore[no-untyped-def]
        item = session.exec(
            select(OutboxItem).where(OutboxItem.dedupe_key == "channel_post:2")
        ).one()
        item.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.add(item)

    await world.db().run(time_passes)
    world.runtime.delivery.wake()
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert published.text.startswith("周一起恢复常规开放")
    assert [m.text for m in _channel_posts(world)] == [published.text]  # not the withdrawn


async def test_a_required_repost_counts_with_the_originals(world: World) -> None:
    source = await world.emu.send_message(
        world.reviewer, world.ops, "国务院关于做好冬季供暖的通知"
    )
    await world.emu.send_message(
        world.reviewer, world.ops, "/repost 上级要求 中国政府网", reply_to=source
    )
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    assert "转载来源：中国政府网（上级要求转发" in card.text
    await _press(world, world.reviewer2, card, "✅ 通过")
    published = await world.emu.wait_for_message(world.channel, timeout=20)
    assert published.text.endswith("来源：中国政府网　审核人：赵审核")
    await _all_handled(world)
    [row] = await _recorded(world)
    assert (row.original, row.mandated) == (False, True)


async def _published_post(w: World, text: str, photo: SimMessage | None = None) -> SimMessage:
    """Propose and sign an ordinary post; its card once published."""
    await w.emu.send_message(w.reviewer, w.ops, f"/post {text}".strip(), reply_to=photo)
    card = await w.emu.wait_for_message(w.ops, _post_card(), timeout=20)
    await _press(w, w.reviewer2, card, "✅ 通过")
    return await w.card_edit(card, lambda m: "已发布到频道" in (m.text or "") and bool(m.buttons))


async def _answer_prompt(w: World, user: object, card: SimMessage, label: str, text: str) -> None:
    answer, refused = await _press(w, user, card, label)
    assert not refused, answer
    prompt = await w.emu.wait_for_message(w.ops, lambda m: "请回复本消息" in (m.text or ""))
    await w.reply_to(user, prompt, text)  # type: ignore[arg-type]


async def test_a_published_post_is_corrected_in_the_channel_after_sign_off(world: World) -> None:
    card = await _published_post(world, "示例市发布：市民中心周六开放时间为9:00至12:00。")
    (published,) = _channel_posts(world)
    await _all_handled(world)

    await _answer_prompt(
        world, world.reviewer, card, "更正稿件", "示例市发布：市民中心周六开放时间为9:00至17:00。"
    )
    correction = await world.emu.wait_for_message(
        world.ops, lambda m: "更正稿：审签后替换频道稿件 #1" in (m.text or ""), timeout=20
    )
    assert "9:00至12:00" in correction.text  # the text it replaces
    answer, refused = await _press(world, world.reviewer, correction, "✅ 通过")
    assert refused and "修改人不能单独审批" in (answer or "")
    await _press(world, world.reviewer2, correction, "✅ 通过")
    edited = await world.emu.wait_for_edit(
        world.channel, published.message_id, lambda m: "17:00" in (m.text or "")
    )
    assert "审签人：赵审核" in edited.text and "更正）" in edited.text
    await world.card_edit(card, lambda m: "已更正（更正稿 #2" in (m.text or ""))
    # Corrected in place: still one post, counted once for the account's activity.
    await _all_handled(world)
    assert len(_channel_posts(world)) == 1 and len(await _recorded(world)) == 1


async def test_a_picture_posts_caption_is_corrected_and_the_post_taken_down(
    world: World,
) -> None:
    photo = await world.emu.send_message(
        world.reviewer, world.ops, "市民中心新址启用（图为二楼大厅）", photo=True
    )
    card = await _published_post(world, "", photo)
    (published,) = _channel_posts(world)
    await _answer_prompt(
        world, world.reviewer, card, "更正稿件", "市民中心新址启用（图为一楼大厅）"
    )
    correction = await world.emu.wait_for_message(
        world.ops, lambda m: "更正稿：审签后替换频道稿件" in (m.text or ""), timeout=20
    )
    await _press(world, world.deputy, correction, "✅ 通过")
    edited = await world.emu.wait_for_edit(
        world.channel, published.message_id, lambda m: "一楼大厅" in (m.data.get("caption") or "")
    )
    assert edited.data.get("photo")

    card = await world.card_edit(card, lambda m: "已更正" in (m.text or ""))
    await _answer_prompt(world, world.deputy, card, "撤回稿件", "图片有误，撤下重发")
    await world.card_edit(card, lambda m: "已从 Telegram 删除" in (m.text or ""))
    assert _channel_posts(world) == []
    actions = await world.db().run(
        lambda s: [
            r.action for r in s.exec(select(AuditRecord).where(AuditRecord.subject_type == "post"))
        ]
    )
    assert "corrected" in actions and "withdrawn" in actions


async def test_a_post_the_bot_may_not_delete_is_blanked_and_only_its_rank_takes_it_down(
    world: World,
) -> None:
    await world.emu.send_message(
        world.reviewer, world.ops, "/post 【辟谣】网传我市下周停水一周，经核实系谣言。"
    )
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    await _press(world, world.reviewer2, card, "✅ 通过")
    card = await world.card_edit(card, lambda m: "尚需：分管负责人" in (m.text or ""))
    await _press(world, world.deputy, card, "✅ 审签（分管负责人）")
    card = await world.card_edit(
        card, lambda m: "已发布到频道" in (m.text or "") and bool(m.buttons)
    )
    (published,) = _channel_posts(world)

    answer, refused = await _press(world, world.reviewer2, card, "撤回稿件")
    assert refused and "分管负责人" in (answer or "")  # a deputy head signed it
    # Telegram refuses the delete (say the bot's admin rights in the channel were narrowed).
    world.emu.fail_next("deleteMessage", 400, description="Bad Request: message can't be deleted")
    await _answer_prompt(world, world.deputy, card, "撤回稿件", "情况有变，撤回")
    blanked = await world.emu.wait_for_edit(
        world.channel, published.message_id, lambda m: "本文已撤回" in (m.text or "")
    )
    assert "停水" not in blanked.text
    await world.card_edit(card, lambda m: "已改为撤回说明" in (m.text or ""))


async def test_posts_are_withdrawn_and_corrected_from_the_console(world: World) -> None:
    from datetime import timedelta

    from knowledge_base.sqltypes import utcnow
    from tests.support.console import console_client, login
    from workflow.calendar import LOCAL_TZ

    tomorrow = (utcnow() + timedelta(days=1)).astimezone(LOCAL_TZ)
    await world.emu.send_message(
        world.reviewer, world.ops, f"/post 定时 {tomorrow.month}-{tomorrow.day} 09:00 明日停电通知"
    )
    scheduled = await world.emu.wait_for_message(world.ops, _post_card(1), timeout=20)
    await _press(world, world.reviewer2, scheduled, "✅ 通过")
    await world.card_edit(scheduled, lambda m: "发布前可撤回" in (m.text or ""))
    card = await _published_post(world, "示例市发布：本周六图书馆闭馆。")
    (published,) = _channel_posts(world)
    async with console_client(world) as client:
        csrf = await login(world, client, world.reviewer2)
        resp = await client.post(
            "/console/posts/1/withdraw", data={"csrf": csrf, "reason": "停电取消"}
        )
        assert resp.status == 200 and "定时稿件已撤回" in await resp.text()
        resp = await client.post(
            "/console/posts/2/correct",
            data={"csrf": csrf, "text": "示例市发布：本周日图书馆闭馆。"},
        )
        assert resp.status == 200 and "更正稿已提交" in await resp.text()
    await world.card_edit(scheduled, lambda m: "已撤回" in (m.text or ""))
    correction = await world.emu.wait_for_message(
        world.ops, lambda m: "更正稿：审签后替换频道稿件 #2" in (m.text or ""), timeout=20
    )
    await _press(world, world.reviewer, correction, "✅ 通过")  # the proposer was 赵审核
    await world.emu.wait_for_edit(
        world.channel, published.message_id, lambda m: "本周日" in (m.text or "")
    )
    await world.card_edit(card, lambda m: "已更正" in (m.text or ""))


async def test_a_post_that_skipped_sign_off_is_reported_to_the_group(world: World) -> None:
    from datetime import timedelta

    from bot.runtime import run_periodic_once

    await _published_post(world, "示例市发布：今日起办理时间调整。")  # through sign-off
    direct = await world.emu.channel_post(world.channel, "（手机直接发布）明天停水")
    await _all_handled(world)
    assert len(await _recorded(world)) == 2

    def a_while_ago(session):  # type: ignore[no-untyped-def]
        for row in session.exec(select(ChannelPost)):
            row.posted_at -= timedelta(minutes=5)  # past the grace for GovReply's own send
            session.add(row)

    await world.db().run(a_while_ago)
    await run_periodic_once(world.runtime)
    alert = await world.emu.wait_for_message(
        world.ops, lambda m: "未经 GovReply 审签" in (m.text or ""), timeout=20
    )
    assert f"t.me/c/300/{direct.message_id}" in alert.text
    assert "tg://user?id=1004" in (alert.sent_text or "")  # the head, by name
    await run_periodic_once(world.runtime)  # once per post
    await asyncio.sleep(0.5)
    alerts = [m for m in world.emu.messages(world.ops) if "未经 GovReply 审签" in (m.text or "")]
    assert len(alerts) == 1


async def test_an_album_goes_out_as_one_post_and_comes_down_whole(world: World) -> None:
    album = await world.emu.send_album(
        world.reviewer, world.ops, "示例市发布：市民中心新址启用，组图。", count=3
    )
    await _all_handled(world)  # each picture is its own update
    await world.emu.send_message(world.reviewer, world.ops, "/post", reply_to=album[1])
    card = await world.emu.wait_for_message(world.ops, _post_card(), timeout=20)
    assert "随稿相册 3 项" in card.text and "市民中心新址启用" in card.text
    await _press(world, world.reviewer2, card, "✅ 通过")
    card = await world.card_edit(
        card, lambda m: "已发布到频道" in (m.text or "") and bool(m.buttons)
    )
    sent = _channel_posts(world)
    assert len(sent) == 3 and len({m.data["media_group_id"] for m in sent}) == 1
    assert all(m.data.get("photo") for m in sent)
    assert sent[0].data["caption"].endswith("审核人：赵审核　审签人：赵审核")
    await _all_handled(world)  # three mirrors in the discussion group: still one post
    assert len(await _recorded(world)) == 1

    await _answer_prompt(world, world.reviewer, card, "更正稿件", "示例市发布：市民中心新址启用。")
    correction = await world.emu.wait_for_message(
        world.ops, lambda m: "更正稿：审签后替换频道稿件" in (m.text or ""), timeout=20
    )
    await _press(world, world.reviewer2, correction, "✅ 通过")
    await world.emu.wait_for_edit(
        world.channel, sent[0].message_id, lambda m: "组图" not in (m.data.get("caption") or "")
    )
    card = await world.card_edit(card, lambda m: "已更正" in (m.text or ""))
    await _answer_prompt(world, world.reviewer2, card, "撤回稿件", "组图有误")
    await world.card_edit(card, lambda m: "已从 Telegram 删除" in (m.text or ""))
    assert _channel_posts(world) == []  # every picture of the album is gone
