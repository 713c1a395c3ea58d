"""Correcting (更正) and withdrawing (撤回) a reply after it was published, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from knowledge_base.sqltypes import utcnow
from tests.emulator import SimMessage
from tests.support.console import console_client, login
from tests.support.journey import World
from workflow import inspection
from workflow.assessment import period_report
from workflow.models import AuditRecord, Draft, DraftState


async def _published(desk: World, text: str, signers: list) -> tuple[SimMessage, SimMessage]:  # type: ignore[type-arg]
    """A private message answered and published: (its card, the citizen's reply)."""
    await desk.citizen_says(text)
    card = await desk.card()
    for n, user in enumerate(signers):
        if n:  # press on the card as redrawn after the previous signature
            card = await desk.card_edit(card, lambda m: "签批：" in (m.text or ""))
        await desk.press(user, card, "ap")
    reply = await desk.citizen_reply()
    card = await desk.card_edit(card, lambda m: "已发布" in (m.text or "") and bool(m.buttons))
    return card, reply


async def _prompted_reply(desk: World, user, card: SimMessage, action: str, text: str) -> str:  # type: ignore[no-untyped-def]
    """Press `action` on the card, answer the prompt with `text`; the bot's acknowledgement."""
    answer, alert = await desk.press(user, card, action)
    assert not alert, answer
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "请回复本消息" in (m.text or ""))
    await desk.reply_to(user, prompt, text)
    ack = await desk.emu.wait_for_message(
        desk.ops, lambda m: m.reply_to_message_id is not None and not m.buttons
    )
    return ack.text or ""


def _audit(desk: World, action: str):  # type: ignore[no-untyped-def]
    return desk.db().run(
        lambda s: s.exec(select(AuditRecord).where(AuditRecord.action == action)).all()
    )


async def test_a_correction_is_signed_off_then_replaces_the_published_reply(desk: World) -> None:
    card, reply = await _published(desk, "请问社保卡丢了怎么补办？", [desk.reviewer])
    assert "12333" in reply.text
    sent_before = desk.emu.count_sent(desk.emu.private_chat(desk.citizen))

    corrected = "您好，社保卡挂失请拨打 12333，补办请携带身份证到社保经办窗口办理，当场制卡。"
    ack = await _prompted_reply(desk, desk.reviewer, card, "co", corrected)
    assert "更正稿" in ack
    correction = await desk.card(lambda m: "更正稿：审签后替换草稿" in (m.text or ""))
    assert "原答复" in correction.text and "12333" in correction.text
    original = await desk.db().run(lambda s: s.exec(select(Draft)).first())
    # The reply was the entry's answer word for word: the entry is likely wrong too.
    assert f"答问库条目 {original.matched_entry_id} 的答案" in correction.text
    await desk.card_edit(card, lambda m: "审签中" in (m.text or ""))
    # Nothing changes for the citizen before sign-off.
    assert "当场制卡" not in (desk.emu.messages(reply.chat)[-1].text or "")

    # Whoever wrote the correction is not its only approver (RULES §1).
    answer, alert = await desk.press(desk.reviewer, correction, "ap")
    assert alert and "修改人不能单独审批" in (answer or "")
    await desk.press(desk.reviewer2, correction, "ap")

    edited = await desk.emu.wait_for_edit(
        reply.chat, reply.message_id, lambda m: "当场制卡" in (m.text or "")
    )
    assert "拟稿人：王审核" in edited.text and "审签人：赵审核" in edited.text
    assert "更正）" in edited.text
    # In place: no second message to the citizen.
    assert desk.emu.count_sent(desk.emu.private_chat(desk.citizen)) == sent_before
    await desk.card_edit(card, lambda m: "已更正（更正稿" in (m.text or ""))
    assert len(await _audit(desk, "corrected")) == 1
    drafts = await desk.db().run(lambda s: s.exec(select(Draft).order_by(Draft.id)).all())
    assert [d.state for d in drafts] == [DraftState.PUBLISHED, DraftState.PUBLISHED]
    assert drafts[1].corrects_id == drafts[0].id
    # The assessment counts one answered message, corrected once (RULES §8).
    start, end = drafts[0].created_at - timedelta(days=1), utcnow() + timedelta(days=1)
    report = await desk.db().run(period_report, start, end)
    assert (report.drafts, report.published, report.corrected) == (1, 1, 1)
    inspected = await desk.db().run(inspection.gather)
    assert inspected.corrected == [drafts[0].matched_entry_id]  # 读网巡检 lists the entry


async def test_a_correction_of_a_reply_deleted_by_hand_goes_out_as_a_new_message(
    desk: World,
) -> None:
    card, reply = await _published(desk, "请问社保卡丢了怎么补办？", [desk.reviewer])
    desk.emu.delete_by_hand(reply)
    await _prompted_reply(desk, desk.reviewer, card, "co", "您好，补办社保卡请到社保经办窗口。")
    correction = await desk.card(lambda m: "更正稿：审签后替换草稿" in (m.text or ""))
    await desk.press(desk.reviewer2, correction, "ap")
    again = await desk.citizen_reply()
    assert again.text.startswith("【更正】") and "社保经办窗口" in again.text
    await desk.card_edit(card, lambda m: "已更正（更正稿" in (m.text or ""))


async def test_withdrawing_takes_the_reply_down_and_needs_the_rank_that_signed_it(
    desk: World,
) -> None:
    card, reply = await _published(desk, "请问公租房怎么申请？", [desk.reviewer, desk.deputy])
    answer, alert = await desk.press(desk.reviewer, card, "wd")
    assert alert and "分管负责人" in (answer or "")  # a deputy head signed it off
    assert desk.emu.messages(reply.chat)[-1].message_id == reply.message_id

    ack = await _prompted_reply(desk, desk.deputy, card, "wd", "答复中的办理地址有误")
    assert "已撤回" in ack
    card = await desk.card_edit(card, lambda m: "已从 Telegram 删除" in (m.text or ""))
    assert "答复中的办理地址有误" in card.text and not card.buttons
    gone = [m for m in desk.emu.messages(reply.chat, include_deleted=True) if m.deleted]
    assert [m.message_id for m in gone] == [reply.message_id]
    (record,) = await _audit(desk, "withdrawn")
    report = await desk.db().run(period_report, record.at - timedelta(days=1), utcnow())
    assert report.withdrawn == 1
    assert "街道办事处" in record.before["text"]  # the text that was taken down stays on record


async def test_a_reply_too_old_to_delete_is_blanked_instead(desk: World) -> None:
    card, reply = await _published(desk, "请问社保卡丢了怎么补办？", [desk.reviewer])
    desk.emu.age(reply, hours=49)  # Telegram lets a bot delete for 48 hours only
    await _prompted_reply(desk, desk.reviewer2, card, "wd", "误答")
    blanked = await desk.emu.wait_for_edit(
        reply.chat, reply.message_id, lambda m: "本答复已撤回" in (m.text or "")
    )
    assert "12333" not in blanked.text
    await desk.card_edit(card, lambda m: "已改为撤回说明" in (m.text or ""))


async def test_only_operators_correct_and_one_correction_at_a_time(desk: World) -> None:
    card, _reply = await _published(desk, "请问社保卡丢了怎么补办？", [desk.reviewer])
    answer, alert = await desk.press(desk.stranger, card, "co")
    assert alert and "不是已登记的工作人员" in (answer or "")
    await _prompted_reply(desk, desk.reviewer, card, "co", "您好，补办社保卡请到社保经办窗口。")
    await desk.card(lambda m: "更正稿：审签后替换草稿" in (m.text or ""))
    card = await desk.card_edit(card, lambda m: "审签中" in (m.text or ""))
    ack = await _prompted_reply(desk, desk.reviewer2, card, "co", "另一版更正")
    assert "已有更正稿在审签中" in ack

    # Withdrawing the reply closes the correction under review with it.
    await _prompted_reply(desk, desk.reviewer2, card, "wd", "先撤下再核实")
    drafts = await desk.db().run(lambda s: s.exec(select(Draft).order_by(Draft.id)).all())
    assert drafts[1].state is DraftState.REJECTED and drafts[0].withdrawn_at is not None


async def test_a_correction_waits_in_the_console_queue_and_is_signed_there(desk: World) -> None:
    card, reply = await _published(desk, "请问社保卡丢了怎么补办？", [desk.reviewer])
    await _prompted_reply(desk, desk.reviewer, card, "co", "您好，补办社保卡请到社保经办窗口。")
    await desk.card(lambda m: "更正稿：审签后替换草稿" in (m.text or ""))
    correction = await desk.db().run(
        lambda s: s.exec(select(Draft).where(Draft.corrects_id.is_not(None))).one()
    )
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer2)
        html = await (await client.get("/console/queue")).text()
        assert "已发布的答复" in html and "12333" in html  # what is being corrected
        resp = await client.post(
            f"/console/queue/{correction.id}/approve",
            data={"csrf": csrf, "version": str(correction.version)},
        )
        assert resp.status == 200
    await desk.emu.wait_for_edit(
        reply.chat, reply.message_id, lambda m: "社保经办窗口" in (m.text or "")
    )


async def test_a_comment_answered_by_private_message_is_corrected_in_the_private_chat(
    desk: World,
) -> None:
    _comment, card = await desk.private_comment("请问社保卡丢了怎么补办？")
    await desk.press(desk.reviewer, card, "ap")
    note = await desk.emu.wait_for_message(desk.discussion, timeout=20)
    await desk.citizen_says("/start " + note.text.split("start=")[1].split()[0])
    reply = await desk.citizen_reply()
    card = await desk.card_edit(card, lambda m: "已发布" in (m.text or "") and bool(m.buttons))

    await _prompted_reply(desk, desk.reviewer, card, "co", "您好，补办社保卡请到社保经办窗口。")
    correction = await desk.card(lambda m: "更正稿：审签后替换草稿" in (m.text or ""))
    assert "改为公开" not in str(correction.buttons)  # it goes where the reply went
    await desk.press(desk.reviewer2, correction, "ap")
    edited = await desk.emu.wait_for_edit(
        reply.chat, reply.message_id, lambda m: "社保经办窗口" in (m.text or "")
    )
    assert edited.text.startswith("您好，以下是对您留言的答复")
    public = [m.text or "" for m in desk.emu.messages(desk.discussion) if m.from_bot]
    assert not any("社保经办窗口" in text for text in public)  # nothing of it in public


async def test_published_replies_are_corrected_and_withdrawn_from_the_console(
    desk: World,
) -> None:
    card, reply = await _published(desk, "请问公租房怎么申请？", [desk.reviewer, desk.deputy])
    draft_id = card.callback_data[0].split(":")[2]
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.reviewer2)
        page = await (await client.get("/console/published")).text()
        assert f'id="published-{draft_id}"' in page and "审签人：陈分管" in page
        resp = await client.post(
            f"/console/published/{draft_id}/correct",
            data={
                "csrf": csrf,
                "text": "公租房申请请到街道办事处窗口提交，材料清单见住建局网站。",
            },
        )
        assert resp.status == 200 and "更正稿 #" in await resp.text()
        correction = await desk.card(lambda m: "更正稿：审签后替换草稿" in (m.text or ""))
        assert "重要" in correction.text  # the reply's tier: a deputy head signs it
        refused = await client.post(
            f"/console/published/{draft_id}/withdraw", data={"csrf": csrf, "reason": "有误"}
        )
        assert refused.status == 403 and "分管负责人" in await refused.text()
    async with console_client(desk) as client:
        csrf = await login(desk, client, desk.deputy)
        resp = await client.post(
            f"/console/published/{draft_id}/withdraw",
            data={"csrf": csrf, "reason": "材料清单有误"},
        )
        assert resp.status == 200 and "答复已撤回" in await resp.text()
    await desk.card_edit(card, lambda m: "已从 Telegram 删除" in (m.text or ""))
    await desk.card_edit(correction, lambda m: "本更正稿随之关闭" in (m.text or ""))
    assert desk.emu.messages(reply.chat)[-1].message_id != reply.message_id


async def _awaiting_link(desk: World) -> tuple[SimMessage, str]:
    """A comment answered by private message, signed, its link not opened yet."""
    _comment, card = await desk.private_comment("请问社保卡丢了怎么补办？")
    await desk.press(desk.reviewer, card, "ap")
    note = await desk.emu.wait_for_message(desk.discussion, timeout=20)
    token = note.text.split("start=")[1].split()[0]
    card = await desk.card_edit(card, lambda m: "co" in str(m.callback_data))
    return card, token


async def test_a_reply_awaiting_its_link_is_corrected_before_the_citizen_reads_it(
    desk: World,
) -> None:
    card, token = await _awaiting_link(desk)
    await _prompted_reply(desk, desk.reviewer, card, "co", "您好，补办社保卡请到社保经办窗口。")
    correction = await desk.card(lambda m: "更正稿：审签后替换草稿" in (m.text or ""))
    await desk.press(desk.reviewer2, correction, "ap")
    await desk.card_edit(card, lambda m: "已更正（更正稿" in (m.text or ""))
    private = desk.emu.private_chat(desk.citizen)
    assert not [m for m in desk.emu.messages(private) if m.from_bot]  # nothing sent yet

    await desk.citizen_says(f"/start {token}")
    reply = await desk.citizen_reply()
    assert "社保经办窗口" in reply.text and "12333" not in reply.text  # the corrected one
    assert "审签人：赵审核" in reply.text
    # Delivered now: on record as published, so a later correction edits this message.
    await desk.card_edit(card, lambda m: "✅ 已发布" in (m.text or ""))
    drafts = await desk.db().run(lambda s: s.exec(select(Draft).order_by(Draft.id)).all())
    assert drafts[0].state is DraftState.PUBLISHED
    assert drafts[0].published_message_id == reply.message_id


async def test_a_withdrawn_reply_is_never_sent_through_its_link(desk: World) -> None:
    card, token = await _awaiting_link(desk)
    await _prompted_reply(desk, desk.reviewer2, card, "wd", "答非所问")
    await desk.card_edit(card, lambda m: "不再发送" in (m.text or ""))
    await desk.citizen_says(f"/start {token}")
    answer = await desk.citizen_reply()
    assert "答复已撤回" in answer.text and "12333" not in answer.text


async def test_a_withdrawal_telegram_refuses_is_not_taken_for_done(desk: World) -> None:
    card, reply = await _published(desk, "请问社保卡丢了怎么补办？", [desk.reviewer])
    # The chat is gone (say, the bot was removed): "not found", but not the message's.
    desk.emu.fail_next("deleteMessage", 400, description="Bad Request: chat not found")
    await _prompted_reply(desk, desk.reviewer2, card, "wd", "误答")
    card = await desk.card_edit(card, lambda m: "未能从 Telegram 撤下" in (m.text or ""))
    assert "已从 Telegram 删除" not in card.text
    assert reply.message_id in [m.message_id for m in desk.emu.messages(reply.chat)]
