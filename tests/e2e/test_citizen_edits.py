"""A citizen edits a message after sending it (Telegram's edited_message): the draft follows the
new words while it is pending, operators are told once it is decided, and an edit never
publishes anything by itself. Real PTB Application over HTTP to the emulator, real DB."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from tests.support.journey import World, button_data
from workflow.intake import Incoming
from workflow.models import (
    AuditRecord,
    Case,
    CaseKind,
    ChatKind,
    CitizenMessage,
    Draft,
    DraftState,
    Signature,
    Tier,
    Visibility,
)


async def _one_draft(world: World) -> Draft:
    return await world.db().run(lambda s: s.exec(select(Draft)).one())  # type: ignore[no-any-return]


async def test_edit_before_review_redrafts_and_the_reply_answers_the_new_words(
    desk: World,
) -> None:
    asked = await desk.citizen_says("社保卡丢了怎么办")
    card = await desk.card()
    assert "社保卡" in card.text

    await desk.emu.edit_message(asked, "驾驶证快到期了，换证需要什么？")
    edited = await desk.card_edit(card, lambda m: "市民已修改留言" in (m.text or ""))
    assert "驾驶证快到期了" in edited.text and "社保卡丢了" not in edited.text
    assert "车管所" in edited.text  # the new match's answer is the draft now

    await desk.press(desk.reviewer, edited, "ap")
    reply = await desk.citizen_reply()
    assert reply.data["reply_to_message"]["message_id"] == asked.message_id
    assert "车管所" in reply.text

    def rows(session):  # type: ignore[no-untyped-def]
        message = session.exec(select(CitizenMessage)).one()
        actions = [r.action for r in session.exec(select(AuditRecord))]
        edit = session.exec(
            select(AuditRecord).where(AuditRecord.action == "message_edited")
        ).one()
        return message, actions, edit

    message, actions, edit = await desk.db().run(rows)
    assert message.text == "驾驶证快到期了，换证需要什么？"
    assert edit.before["text"] == "社保卡丢了怎么办"  # the original is on record
    assert "citizen_edited" in actions
    chat = desk.emu.private_chat(desk.citizen)
    assert sum(1 for m in desk.emu.messages(chat) if m.from_bot) == 1


async def test_edit_voids_signatures_given_for_the_old_words(desk: World) -> None:
    asked = await desk.citizen_says("我要投诉，办理社保卡的窗口工作人员态度太差了")
    card = await desk.card(lambda m: "投诉" in (m.text or ""))
    text, refused = await desk.press(desk.reviewer, card, "ap")
    assert not refused, text
    signed = await desk.card_edit(card, lambda m: "签批：王审核" in (m.text or ""))
    assert signed.buttons

    longer = "我要投诉，办理社保卡的窗口工作人员态度太差，还让我等了两个小时"
    await desk.emu.edit_message(asked, longer)
    edited = await desk.card_edit(card, lambda m: "两个小时" in (m.text or ""))
    assert "此前签批作废" in edited.text and "签批：王审核" not in edited.text
    assert "标准模板" in edited.text  # the acknowledgement with the ticket stays the reply

    def state(session):  # type: ignore[no-untyped-def]
        return session.exec(select(Draft)).one(), list(session.exec(select(Signature)))

    draft, signatures = await desk.db().run(state)
    assert draft.state is DraftState.PENDING and draft.tier is Tier.IMPORTANT
    assert [s.void for s in signatures] == [True]
    cases = await desk.db().run(lambda s: s.exec(select(Case)).all())
    assert len(cases) == 1  # the complaint's case, opened once, not again for the edit
    assert cases[0].ticket in draft.text
    assert desk.emu.count_sent(desk.emu.private_chat(desk.citizen)) == 0


async def test_edit_keeps_an_operators_own_reply(desk: World) -> None:
    asked = await desk.citizen_says("请问孩子上小学需要准备什么材料？")
    card = await desk.card()
    await desk.reply_to(desk.reviewer, card, "您好，请携带户口簿和出生医学证明到学校报名。")
    await desk.card_edit(card, lambda m: "出生医学证明到学校报名" in (m.text or ""))

    await desk.emu.edit_message(asked, "请问孩子上小学需要准备什么材料？我们是外地户口")
    edited = await desk.card_edit(card, lambda m: "人工修改的答复已保留" in (m.text or ""))
    assert "外地户口" in edited.text
    assert "出生医学证明到学校报名" in edited.text  # not replaced by a new match
    await desk.press(desk.reviewer2, edited, "ap")
    reply = await desk.citizen_reply()
    assert reply.text.startswith("您好，请携带户口簿")


async def test_edit_after_publishing_tells_operators_and_sends_nothing_to_the_citizen(
    desk: World,
) -> None:
    asked = await desk.citizen_says("异地就医怎么备案")
    card = await desk.card()
    await desk.press(desk.reviewer, card, "ap")
    await desk.citizen_reply()

    await desk.emu.edit_message(asked, "异地就医怎么备案？我在外省住院了")
    notice = await desk.emu.wait_for_message(
        desk.ops, lambda m: "原留言已被修改" in (m.text or ""), timeout=20
    )
    assert "外省住院" in notice.text and "已发布" in notice.text
    assert notice.data["reply_to_message"]["message_id"] == card.message_id
    draft = await _one_draft(desk)
    assert draft.state is DraftState.PUBLISHED
    assert desk.emu.count_sent(desk.emu.private_chat(desk.citizen)) == 1


def _incoming(world: World, message_id: int, text: str, kind: ChatKind) -> Incoming:
    chat = world.citizen.id if kind is ChatKind.PRIVATE else world.discussion.id
    return Incoming(
        update_id=None,
        chat_id=chat,
        chat_kind=kind,
        message_id=message_id,
        user_id=world.citizen.id,
        user_name="李",
        text=text,
        sent_at=datetime.now(UTC),
    )


async def test_repeated_empty_and_unknown_edits(desk: World) -> None:
    front = desk.services.desk
    first = await front.receive(_incoming(desk, 900, "公积金怎么提取", ChatKind.PRIVATE))
    assert first is not None
    edit = _incoming(desk, 900, "租房能提取公积金吗", ChatKind.PRIVATE)
    changed = await front.receive_edit(edit)
    assert (changed.what, changed.draft_id) == ("redrafted", first.id)
    version = (await _one_draft(desk)).version

    again = await front.receive_edit(edit)
    assert again.what == "unchanged"  # Telegram re-delivered the same edit
    empty = await front.receive_edit(_incoming(desk, 900, "  ", ChatKind.PRIVATE))
    assert empty.what == "ignored"
    assert (await _one_draft(desk)).version == version

    # An edit of a message sent before GovReply ran is a new message.
    unknown = await front.receive_edit(_incoming(desk, 901, "社保卡丢了怎么办", ChatKind.PRIVATE))
    assert unknown.what == "new" and unknown.draft_id is not None
    count = await desk.db().run(lambda s: len(s.exec(select(Draft)).all()))
    assert count == 2


async def test_an_edit_can_only_make_review_stricter(desk: World) -> None:
    front = desk.services.desk
    comment = _incoming(desk, 902, "驾驶证快到期了，换证需要什么？", ChatKind.DISCUSSION)
    await front.receive(comment)
    draft = await _one_draft(desk)
    assert (draft.tier, draft.visibility) == (Tier.ORDINARY, Visibility.PUBLIC)

    await front.receive_edit(
        _incoming(desk, 902, "化工厂爆炸了，死了好几个人，现场浓烟滚滚", ChatKind.DISCUSSION)
    )
    draft = await _one_draft(desk)
    assert (draft.tier, draft.visibility) == (Tier.MAJOR, Visibility.PRIVATE)
    # ...and it is escalated as a first message would be: a case, the heads alerted at once.
    alert = await desk.emu.wait_for_message(
        desk.ops, lambda m: "🚨 敏感事件" in (m.text or ""), timeout=20
    )
    assert "刘主任" in alert.text
    case = await desk.db().run(lambda s: s.exec(select(Case)).one())
    assert case.kind is CaseKind.SENSITIVE_INCIDENT and case.draft_id == draft.id
    assert case.ticket in draft.text  # the reply is the acknowledgement with the ticket

    await front.receive_edit(_incoming(desk, 902, "驾驶证换证需要什么", ChatKind.DISCUSSION))
    draft = await _one_draft(desk)
    assert (draft.tier, draft.visibility) == (Tier.MAJOR, Visibility.PRIVATE)  # not lowered


async def test_a_comment_edited_into_an_ad_is_deleted_and_its_draft_closed(desk: World) -> None:
    """Posting something harmless and editing the ad in later is moderated all the same."""
    comment = await desk.comment("驾驶证快到期了，换证需要什么？")
    card = await desk.card()
    approve = button_data(card, "ap")

    await desk.emu.edit_message(comment, "加微信领取免费礼品，代办证件 vx123456")
    call = await desk.emu.wait_for_call("deleteMessage", timeout=20)
    assert call.ok and call.params["message_id"] == comment.message_id
    closed = await desk.card_edit(card, lambda m: "垃圾广告" in (m.text or ""))
    assert not closed.buttons and "草稿自动关闭" in closed.text
    notice = await desk.emu.wait_for_message(
        desk.ops, lambda m: "已删除评论区垃圾广告" in (m.text or ""), timeout=20
    )
    assert "领取免费礼品" in notice.text

    pressed = await desk.emu.press(desk.reviewer, card, approve, force=True)
    text, refused = await pressed.answer(timeout=20)
    assert refused, text  # nothing left to sign

    def facts(session):  # type: ignore[no-untyped-def]
        message = session.exec(select(CitizenMessage)).one()
        actions = [r.action for r in session.exec(select(AuditRecord))]
        return session.exec(select(Draft)).one(), message.label, actions

    draft, label, actions = await desk.db().run(facts)
    assert draft.state is DraftState.REJECTED and label == "spam_ad"
    assert "spam_deleted" in actions and "closed_unanswerable" in actions
    assert not [m for m in desk.emu.messages(desk.discussion) if m.from_bot]


async def test_a_message_edited_into_abuse_is_counted_and_the_draft_waits(desk: World) -> None:
    comment = await desk.comment("驾驶证快到期了，换证需要什么？")
    card = await desk.card()

    await desk.emu.edit_message(comment, "你们这帮废物，垃圾政府")
    notice = await desk.emu.wait_for_message(
        desk.ops, lambda m: "辱骂" in (m.text or ""), timeout=20
    )
    assert "第 1 次" in notice.text
    edited = await desk.card_edit(card, lambda m: "市民已修改留言" in (m.text or ""))
    assert edited.buttons and "你们这帮废物" in edited.text  # operators decide
    assert comment.message_id in [m.message_id for m in desk.emu.messages(desk.discussion)]

    def facts(session):  # type: ignore[no-untyped-def]
        message = session.exec(select(CitizenMessage)).one()
        return session.exec(select(Draft)).one().state, message.label

    assert await desk.db().run(facts) == (DraftState.PENDING, "abuse")


async def test_a_message_edited_into_a_suggestion_is_forwarded_once(desk: World) -> None:
    asked = await desk.citizen_says("驾驶证快到期了，换证需要什么？")
    card = await desk.card()

    idea = "建议在幸福路公园增设公厕和休息座椅，老人散步没地方歇脚"
    await desk.emu.edit_message(asked, idea)
    forward = await desk.emu.wait_for_message(
        desk.ops, lambda m: "市民建议" in (m.text or ""), timeout=20
    )
    assert "幸福路公园" in forward.text
    edited = await desk.card_edit(card, lambda m: "感谢您的意见建议" in (m.text or ""))
    assert "市民已修改留言" in edited.text

    await desk.emu.edit_message(asked, idea + "，谢谢！")  # a second edit forwards nothing
    await desk.card_edit(card, lambda m: "谢谢！" in (m.text or ""))

    def facts(session):  # type: ignore[no-untyped-def]
        message = session.exec(select(CitizenMessage)).one()
        forwards = session.exec(
            select(AuditRecord).where(AuditRecord.action == "suggestion_forwarded")
        ).all()
        return message.label, len(forwards)

    assert await desk.db().run(facts) == ("suggestion", 1)
    assert sum("市民建议" in (m.text or "") for m in desk.emu.messages(desk.ops)) == 1


async def test_a_message_edited_into_a_petition_gets_the_petition_redirect(desk: World) -> None:
    asked = await desk.citizen_says("驾驶证快到期了，换证需要什么？")
    card = await desk.card()
    await desk.emu.edit_message(asked, "我要上访，反映拆迁补偿问题，恳请领导做主")
    edited = await desk.card_edit(card, lambda m: "信访" in (m.text or ""))
    assert "12345" in edited.text and "市民已修改留言" in edited.text
    assert "重要" in edited.text  # a petition's reply is signed by a deputy head
    label = await desk.db().run(lambda s: s.exec(select(CitizenMessage)).one().label)
    assert label == "petition"


async def test_a_comment_edited_into_illegal_content_opens_a_case(desk: World) -> None:
    comment = await desk.comment("请问社保卡在哪里补办？")
    card = await desk.card()
    await desk.emu.edit_message(comment, "高价收购银行卡、电话卡，跑分日结，私聊")
    call = await desk.emu.wait_for_call("deleteMessage", timeout=20)
    assert call.ok and call.params["message_id"] == comment.message_id
    closed = await desk.card_edit(card, lambda m: "草稿自动关闭" in (m.text or ""))
    assert not closed.buttons
    case_card = await desk.emu.wait_for_message(
        desk.ops,
        lambda m: "🗂 案件" in (m.text or "") and "疑似违法信息" in (m.text or ""),
        timeout=20,
    )
    assert "买卖个人信息、银行卡" in case_card.text

    def facts(session):  # type: ignore[no-untyped-def]
        actions = [r.action for r in session.exec(select(AuditRecord))]
        return session.exec(select(Draft)).one().state, actions

    state, actions = await desk.db().run(facts)
    assert state is DraftState.REJECTED
    assert "illegal_content_found" in actions and "spam_deleted" not in actions


async def test_a_card_deleted_in_the_group_comes_back_when_it_changes(desk: World) -> None:
    """Someone deletes a card by hand; its next refresh sends it again (with its buttons)
    instead of failing on the missing message for ever."""
    asked = await desk.citizen_says("社保卡丢了怎么办")
    card = await desk.card()
    desk.emu.delete_by_hand(card)
    await desk.emu.edit_message(asked, "驾驶证快到期了，换证需要什么？")
    again = await desk.card(
        lambda m: "市民已修改留言" in (m.text or "") and m.message_id != card.message_id
    )
    assert again.buttons
    await desk.press(desk.reviewer, again, "ap")
    reply = await desk.citizen_reply()
    assert "车管所" in reply.text
