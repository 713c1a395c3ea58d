"""The whole path: a citizen writes, a draft card appears, an operator signs, the citizen gets
the reply with its stamp. Real PTB Application, real HTTP to the Bot API emulator, real DB."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from tests.support.journey import World
from workflow import audit
from workflow.models import AuditRecord, CitizenMessage, Draft, DraftState, InboxUpdate


async def test_private_question_is_answered_after_approval(desk: World) -> None:
    asked = await desk.citizen_says("请问外地人怎么办居住证？要带什么材料")
    card = await desk.card()
    assert "居住证" in card.text
    assert "HJ001" in card.text

    text, alert = await desk.press(desk.reviewer, card, "ap")
    assert not alert

    reply = await desk.citizen_reply()
    assert reply.data["reply_to_message"]["message_id"] == asked.message_id
    assert "派出所" in reply.text
    assert "拟稿人：GovReply" in reply.text
    assert "审核人：王审核" in reply.text and "审签人：王审核" in reply.text

    closed = await desk.card_edit(card, lambda m: "已发布" in (m.text or ""))
    # No more sign-off buttons: only correcting or withdrawing what was published.
    assert [b["text"] for row in closed.buttons for b in row] == ["✏️ 更正答复", "🗑 撤回答复"]

    def rows(session):  # type: ignore[no-untyped-def]
        drafts = session.exec(select(Draft)).all()
        actions = [r.action for r in session.exec(select(AuditRecord)).all()]
        return drafts, actions, audit.verify(session).ok

    drafts, actions, chain_ok = await desk.db().run(rows)
    assert [d.state for d in drafts] == [DraftState.PUBLISHED]
    for action in ("message_received", "draft_made", "approved", "published"):
        assert action in actions
    assert chain_ok


async def test_discussion_comment_gets_public_reply_under_the_comment(desk: World) -> None:
    comment = await desk.comment("驾驶证快到期了，换证需要什么？")
    card = await desk.card()
    assert "评论区" in card.text
    await desk.press(desk.reviewer, card, "ap")
    reply = await desk.emu.wait_for_message(desk.discussion, timeout=20)
    assert reply.data["reply_to_message"]["message_id"] == comment.message_id
    assert "车管所" in reply.text
    assert "审签人：王审核" in reply.text


async def test_personal_numbers_are_masked_on_the_card_and_kept_in_db(desk: World) -> None:
    await desk.citizen_says("我的手机13812345678，身份证丢了怎么补办")
    card = await desk.card()
    assert "13812345678" not in card.text
    stored = await desk.db().run(lambda s: s.exec(select(CitizenMessage)).one())
    assert "13812345678" in stored.text
    assert "13812345678" not in stored.text_redacted


async def test_stranger_cannot_approve_and_nothing_changes(desk: World) -> None:
    await desk.citizen_says("社保卡丢了怎么办")
    card = await desk.card()
    text, alert = await desk.press(desk.stranger, card, "ap")
    assert alert and "不是已登记的工作人员" in (text or "")
    draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
    assert draft.state is DraftState.PENDING
    assert desk.emu.count_sent(desk.emu.private_chat(desk.citizen)) == 0


async def test_two_presses_at_once_publish_exactly_once(desk: World) -> None:
    await desk.citizen_says("租房能提取公积金吗")
    card = await desk.card()
    answers = await asyncio.gather(
        desk.press(desk.reviewer, card, "ap"),
        desk.press(desk.reviewer2, card, "ap"),
        desk.press(desk.reviewer, card, "ap"),
    )
    await desk.citizen_reply()
    await desk.card_edit(card, lambda m: "已发布" in (m.text or ""))
    chat = desk.emu.private_chat(desk.citizen)
    bot_msgs = [m for m in desk.emu.messages(chat) if m.from_bot]
    assert len(bot_msgs) == 1
    assert sum(1 for text, alert in answers if not alert) == 1


async def test_edit_by_reply_shows_new_version_and_editor_is_drafter(desk: World) -> None:
    await desk.citizen_says("请问孩子上小学需要准备什么材料？")
    card = await desk.card()
    await desk.reply_to(desk.reviewer, card, "您好，请携带户口簿和出生医学证明到学校报名。")
    edited = await desk.card_edit(card, lambda m: "出生医学证明到学校报名" in (m.text or ""))
    # The editor can't be the only approver: a second reviewer signs.
    text, alert = await desk.press(desk.reviewer, edited, "ap")
    assert alert and "修改人不能单独审批" in (text or "")
    await desk.press(desk.reviewer2, edited, "ap")
    reply = await desk.citizen_reply()
    assert reply.text.startswith("您好，请携带户口簿")
    assert "拟稿人：王审核" in reply.text and "审签人：赵审核" in reply.text


async def test_reject_with_reason_sends_nothing(desk: World) -> None:
    await desk.citizen_says("请问城市通App注册不了怎么办")
    card = await desk.card()
    await desk.press(desk.reviewer, card, "rj")
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "驳回理由" in (m.text or ""))
    await desk.reply_to(desk.reviewer, prompt, "已电话联系市民解决")
    await desk.card_edit(card, lambda m: "已驳回" in (m.text or ""))
    draft = await desk.db().run(lambda s: s.exec(select(Draft)).one())
    assert draft.state is DraftState.REJECTED and draft.reject_reason == "已电话联系市民解决"
    assert desk.emu.count_sent(desk.emu.private_chat(desk.citizen)) == 0


async def test_no_match_draft_still_reaches_operators(desk: World) -> None:
    await desk.citizen_says("我想咨询一下关于养殖蜜蜂的补贴政策")
    card = await desk.card()
    assert "未找到可靠答案" in card.text


async def test_every_update_is_in_the_inbox_and_marked_done(desk: World) -> None:
    await desk.citizen_says("异地就医怎么备案")
    card = await desk.card()
    await desk.press(desk.reviewer, card, "ap")
    await desk.citizen_reply()
    await desk.emu.wait_for_updates_consumed()

    def statuses(session):  # type: ignore[no-untyped-def]
        return [(u.update_id, u.status.value) for u in session.exec(select(InboxUpdate))]

    rows = await desk.db().run(statuses)
    assert len(rows) >= 2
    # the last update's done-marker may still be in flight; all earlier ones are done
    assert all(status == "done" for _, status in rows[:-1])


async def test_unknown_command_gets_help(desk: World) -> None:
    await desk.citizen_says("/foo")
    reply = await desk.citizen_reply()
    assert "暂不支持该指令" in reply.text


async def test_a_voice_note_is_answered_with_a_request_for_words(desk: World) -> None:
    await desk.emu.send_message(desk.citizen, None, None, voice=True)
    reply = await desk.citizen_reply()
    assert "语音" in reply.text and "文字" in reply.text
    stored = await desk.db().run(lambda s: s.exec(select(CitizenMessage)).all())
    assert stored == []  # nothing an operator could answer


async def test_a_captioned_voice_note_counts_for_its_caption(desk: World) -> None:
    await desk.emu.send_message(desk.citizen, None, "社保卡丢了怎么办", voice=True)
    card = await desk.card()
    assert "社保卡丢了怎么办" in card.text
