"""Tiered sign-off, separation of duties, operator actions, private replies, queue, SLA."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sentence_transformers import SentenceTransformer
from sqlmodel import select

from knowledge_base.sqltypes import utcnow
from tests.support.journey import World, open_desk
from workflow.models import AuditRecord, DeepLinkToken, Draft, DraftState, Role, Tier
from workflow.operators import add_operator


def _draft(world: World):  # type: ignore[no-untyped-def]
    return world.db().run(lambda s: s.exec(select(Draft).order_by(Draft.id.desc())).first())


async def test_important_entry_needs_reviewer_then_deputy_head(desk: World) -> None:
    await desk.citizen_says("请问公租房怎么申请？")
    card = await desk.card()
    assert "重要" in card.text and "尚需：审核人、分管负责人" in card.text
    # A deputy head may give the first signature too, but a reviewer can't give the second.
    text, alert = await desk.press(desk.reviewer, card, "ap")
    assert not alert and "等待下一位" in (text or "")
    card = await desk.card_edit(card, lambda m: "尚需：分管负责人" in (m.text or ""))
    text, alert = await desk.press(desk.reviewer2, card, "ap")
    assert alert and "分管负责人" in (text or "")
    await desk.press(desk.deputy, card, "ap")
    reply = await desk.citizen_reply()
    assert "审核人：王审核" in reply.text and "审签人：陈分管" in reply.text


async def test_major_entry_needs_the_head_and_not_the_deputy(desk: World) -> None:
    await desk.citizen_says("台风来了明天要不要上班")
    card = await desk.card()
    assert "重大敏感" in card.text
    await desk.press(desk.reviewer, card, "ap")
    card = await desk.card_edit(card, lambda m: "尚需：主要负责人" in (m.text or ""))
    text, alert = await desk.press(desk.deputy, card, "ap")
    assert alert and "主要负责人" in (text or "")
    await desk.press(desk.head, card, "ap")
    reply = await desk.citizen_reply()
    assert "审签人：刘主任" in reply.text


async def test_nobody_signs_twice(desk: World) -> None:
    await desk.citizen_says("请问公租房怎么申请？")
    card = await desk.card()
    await desk.press(desk.deputy, card, "ap")  # the deputy head's own step, not the review
    card = await desk.card_edit(card, lambda m: "尚需：审核人" in (m.text or ""))
    text, alert = await desk.press(desk.deputy, card, "ap")
    assert alert and "不能重复签批" in (text or "")


async def test_edit_after_signature_voids_it_and_card_says_so(desk: World) -> None:
    await desk.citizen_says("请问公租房怎么申请？")
    card = await desk.card()
    await desk.press(desk.reviewer, card, "ap")
    card = await desk.card_edit(card, lambda m: "尚需：分管负责人" in (m.text or ""))
    await desk.reply_to(desk.reviewer2, card, "您好，公租房申请请到街道办事处提交材料。")
    card = await desk.card_edit(card, lambda m: "此前签批作废" in (m.text or ""))
    assert "尚需：审核人、分管负责人" in card.text

    def voided(session):  # type: ignore[no-untyped-def]
        return [r.action for r in session.exec(select(AuditRecord))]

    assert "signatures_voided" in await desk.db().run(voided)


async def test_stale_card_press_is_refused(desk: World) -> None:
    await desk.citizen_says("请问公租房怎么申请？")
    old = (await desk.card()).snapshot()
    await desk.reply_to(desk.reviewer, old, "您好，请到街道办事处申请公租房。")
    await desk.card_edit(old, lambda m: "街道办事处申请公租房" in (m.text or ""))
    text, alert = await desk.press(desk.reviewer2, old, "ap", stale=True)
    assert alert and "卡片内容已更新" in (text or "")


async def test_raise_tier_with_reason_needs_head(desk: World) -> None:
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    assert "一般" in card.text
    await desk.press(desk.reviewer, card, "up")
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "升级理由" in (m.text or ""))
    await desk.reply_to(desk.reviewer, prompt, "涉及群体性反映")
    card = await desk.card_edit(
        card, lambda m: "重要" in (m.text or "") and "已升级" in (m.text or "")
    )
    draft = await _draft(desk)
    assert draft.tier is Tier.IMPORTANT and draft.tier_reason == "涉及群体性反映"


async def test_a_raised_draft_is_held_to_its_new_tiers_deadline(desk: World) -> None:
    """The deadline follows the tier: a draft raised to 重要 is not escalated at the ordinary
    deadline (as overdue, to the head), but at its own."""
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    ordinary_due = (await _draft(desk)).sla_due_at
    await desk.press(desk.reviewer, card, "up")
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "升级理由" in (m.text or ""))
    await desk.reply_to(desk.reviewer, prompt, "涉及群体性反映")
    await desk.card_edit(card, lambda m: "已升级" in (m.text or ""))
    draft = await _draft(desk)
    policy = desk.services.desk.config.sla
    assert policy is not None
    important_due = policy.due(draft.created_at, Tier.IMPORTANT)
    assert ordinary_due is not None and important_due > ordinary_due
    _, escalated = await desk.services.desk.sweep_sla(ordinary_due + timedelta(minutes=1))
    assert escalated == []
    assert (await _draft(desk)).sla_due_at == important_due
    _, escalated = await desk.services.desk.sweep_sla(important_due + timedelta(minutes=1))
    assert escalated == [draft.id]


async def test_the_group_is_told_once_when_next_years_holidays_are_unknown(desk: World) -> None:
    """Deadlines count working days; a year the holiday data lacks would silently count
    Monday-Friday. In December the group hears of next year's gap, once."""
    from datetime import date

    from bot.runtime import warn_calendar_gap

    for _ in range(2):
        await warn_calendar_gap(desk.runtime, date(2099, 12, 10))
    notice = await desk.emu.wait_for_message(desk.ops, lambda m: "2100 年" in (m.text or ""))
    assert "GOVREPLY_CALENDAR_OVERRIDES" in notice.text
    await desk.emu.wait_for_message(desk.ops, lambda m: "尚未包含 2099 年" in (m.text or ""))
    gaps = [m for m in desk.emu.messages(desk.ops) if "节假日数据尚未包含" in (m.text or "")]
    assert len(gaps) == 2


async def test_an_operator_editing_a_reason_does_not_act_twice(desk: World) -> None:
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    await desk.press(desk.reviewer, card, "up")
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "升级理由" in (m.text or ""))
    reason = await desk.reply_to(desk.reviewer, prompt, "涉及群体性反映")
    await desk.card_edit(card, lambda m: "已升级" in (m.text or ""))
    await desk.emu.edit_message(reason, "涉及群体性反映，多人来电")
    await desk.emu.wait_for_message(desk.ops, lambda m: "不会生效" in (m.text or ""))
    # Updates are handled in order: once the next message's card is up, the edit was seen.
    await desk.citizen_says("异地就医怎么备案")
    await desk.card(lambda m: "异地就医" in (m.text or ""))
    draft = await desk.db().run(lambda s: s.exec(select(Draft).order_by(Draft.id)).first())
    assert draft.tier is Tier.IMPORTANT and draft.tier_reason == "涉及群体性反映"


async def test_choose_another_match_replaces_the_reply(desk: World) -> None:
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    draft = await _draft(desk)
    other = next(c for c in draft.candidates if c["entry_id"] != draft.matched_entry_id)
    index = draft.candidates.index(other)
    await desk.press(desk.reviewer, card, "ch", str(index))
    await desk.card_edit(card, lambda m: "换用" in str(m.buttons) and m.version >= 1)
    draft = await _draft(desk)
    assert draft.matched_entry_id == other["entry_id"]


async def test_private_reply_to_a_comment_goes_through_a_single_use_deep_link(desk: World) -> None:
    comment, card = await desk.private_comment("请问社保卡丢了怎么补办？")
    await desk.press(desk.reviewer, card, "ap")
    note = await desk.emu.wait_for_message(desk.discussion, timeout=20)
    assert note.data["reply_to_message"]["message_id"] == comment.message_id
    assert "t.me/govreply_bot?start=" in note.text
    assert "社保卡" not in note.text  # nothing of the answer in public
    token = note.text.split("start=")[1].split()[0]

    await desk.citizen_says(f"/start {token}")
    reply = await desk.citizen_reply()
    assert "12333" in reply.text and "审签人：王审核" in reply.text
    await desk.card_edit(card, lambda m: "已发布" in (m.text or ""))

    await desk.citizen_says(f"/start {token}")
    again = await desk.citizen_reply()
    assert "链接已使用" in again.text
    rows = await desk.db().run(lambda s: s.exec(select(DeepLinkToken)).all())
    assert len(rows) == 1 and rows[0].used_at is not None


async def test_deep_link_of_someone_else_is_refused(desk: World) -> None:
    _comment, card = await desk.private_comment("请问社保卡丢了怎么补办？")
    await desk.press(desk.reviewer, card, "ap")
    note = await desk.emu.wait_for_message(desk.discussion, timeout=20)
    token = note.text.split("start=")[1].split()[0]
    other = desk.emu.user(5002, "张")
    desk.emu.private_chat(other)
    await desk.citizen_says(f"/start {token}", user=other)
    reply = await desk.citizen_reply(other)
    assert "链接不属于您" in reply.text


async def test_queue_shows_waiting_count_and_next_pulls_one(desk_small_group: World) -> None:
    world = desk_small_group
    await world.citizen_says("请问社保卡丢了怎么补办")
    first = await world.card()
    await world.citizen_says("请问驾驶证到期了怎么换证")
    await world.citizen_says("请问异地就医怎么备案")
    status = await world.emu.wait_for_message(world.ops, lambda m: "排队" in (m.text or ""))
    await world.emu.wait_for_updates_consumed()
    assert first.text
    await world.emu.send_message(world.reviewer, world.ops, "/next")
    second = await world.card()
    assert second.message_id != first.message_id
    assert status.message_id


async def test_sla_warns_then_alerts_the_next_tier(desk: World) -> None:
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    draft = await _draft(desk)
    assert draft.sla_due_at is not None
    warned, escalated = await desk.services.desk.sweep_sla(draft.sla_due_at - timedelta(minutes=1))
    assert warned == [draft.id] and escalated == []
    desk.runtime.delivery.wake()
    warning = await desk.emu.wait_for_message(desk.ops, lambda m: "到期" in (m.text or ""))
    assert warning.data["reply_to_message"]["message_id"] == card.message_id
    warned, escalated = await desk.services.desk.sweep_sla(draft.sla_due_at + timedelta(minutes=1))
    assert escalated == [draft.id]
    desk.runtime.delivery.wake()
    alert = await desk.emu.wait_for_message(desk.ops, lambda m: "超过审签时限" in (m.text or ""))
    assert "分管负责人" in alert.text
    # a second sweep changes nothing
    assert await desk.services.desk.sweep_sla(utcnow() + timedelta(days=30)) == ([], [])
    draft = await _draft(desk)
    assert draft.state is DraftState.PENDING


async def test_failing_compliance_check_needs_a_reason_from_the_final_signer(desk: World) -> None:
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    await desk.reply_to(
        desk.reviewer, card, "您好，详情请访问 http://shop.example.com 领取优惠券。"
    )
    card = await desk.card_edit(card, lambda m: "含链接或广告" in (m.text or ""))
    # The editor may not approve alone; the second reviewer is the final signer.
    await desk.press(desk.reviewer2, card, "ap")
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "放行理由" in (m.text or ""))
    draft = await _draft(desk)
    assert draft.state is DraftState.PENDING
    assert desk.emu.count_sent(desk.emu.private_chat(desk.citizen)) == 0

    await desk.reply_to(desk.reviewer2, prompt, "链接为合作银行官方页面，已核实")
    reply = await desk.citizen_reply()
    assert "shop.example.com" in reply.text and "审签人：赵审核" in reply.text
    closed = await desk.card_edit(card, lambda m: "已发布" in (m.text or ""))
    assert "已由 赵审核 说明理由放行：链接为合作银行官方页面，已核实" in closed.text

    def overrides(session):  # type: ignore[no-untyped-def]
        return [
            (r.actor_id, (r.after or {}).get("reason"))
            for r in session.exec(
                select(AuditRecord).where(AuditRecord.action == "compliance_overridden")
            )
        ]

    assert await desk.db().run(overrides) == [(1002, "链接为合作银行官方页面，已核实")]


async def test_an_override_reason_signs_only_the_wording_it_was_asked_for(desk: World) -> None:
    """A reason typed under an override prompt must not sign wording that changed after the
    prompt was asked (RULES §1: the signer answers for what they saw)."""
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    first = "您好，详情请访问 http://shop.example.com 领取优惠券。"
    await desk.reply_to(desk.reviewer, card, first)
    card = await desk.card_edit(card, lambda m: "含链接或广告" in (m.text or ""))
    await desk.press(desk.reviewer2, card, "ap")
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "放行理由" in (m.text or ""))
    # Meanwhile the reply is rewritten (still failing the check) ...
    second = "您好，优惠活动详见 http://ads.example.com 马上抢购。"
    await desk.reply_to(desk.reviewer, card, second)
    card = await desk.card_edit(card, lambda m: "ads.example.com" in (m.text or ""))
    # ... so the reason given for the first wording is refused, and nothing goes out.
    await desk.reply_to(desk.reviewer2, prompt, "链接为合作银行官方页面，已核实")
    await desk.emu.wait_for_message(desk.ops, lambda m: "卡片内容已更新" in (m.text or ""))
    draft = await _draft(desk)
    assert draft.state is DraftState.PENDING
    assert desk.emu.count_sent(desk.emu.private_chat(desk.citizen)) == 0

    # Pressing again on the current card asks again, and that reason publishes it.
    await desk.press(desk.reviewer2, card, "ap")
    again = await desk.emu.wait_for_message(
        desk.ops, lambda m: "放行理由" in (m.text or "") and m.message_id != prompt.message_id
    )
    await desk.reply_to(desk.reviewer2, again, "已核实，为合作银行活动页面")
    reply = await desk.citizen_reply()
    assert "ads.example.com" in reply.text and "shop.example.com" not in reply.text


async def test_a_reply_too_long_to_send_with_its_stamp_is_refused_when_written(
    desk: World,
) -> None:
    await desk.citizen_says("请问社保卡丢了怎么补办")
    card = await desk.card()
    await desk.reply_to(desk.reviewer, card, "您好，" + "请携带身份证办理。" * 450)
    await desk.emu.wait_for_message(desk.ops, lambda m: "不能超过 4000 字" in (m.text or ""))
    draft = await _draft(desk)
    assert draft.state is DraftState.PENDING and "请携带身份证办理。请携带" not in draft.text


async def test_a_drafter_writes_the_reply_but_someone_else_must_sign_it(desk: World) -> None:
    """RULES §1: an outsourced operator (代运维) drafts but may not publish on their own."""
    drafter = desk.emu.user(1005, "周代运维", "zhou_ops")
    desk.emu.set_member(desk.ops, drafter, "member")
    await desk.db().run(add_operator, drafter.id, Role.DRAFTER, "周代运维")
    await desk.citizen_says("社保卡丢了怎么办")
    card = await desk.card()

    text, alert = await desk.press(drafter, card, "ap")
    assert alert and "审核人" in (text or "")  # a drafter's press signs nothing
    text, alert = await desk.press(drafter, card, "rj")
    assert alert and "审核人" in (text or "")
    text, alert = await desk.press(drafter, card, "ed")
    assert not alert, text
    prompt = await desk.emu.wait_for_message(desk.ops, lambda m: "新的答复文本" in (m.text or ""))
    await desk.reply_to(drafter, prompt, "您好，社保卡丢失请先拨打12333挂失，再到社保窗口补办。")
    card = await desk.card_edit(card, lambda m: "12333" in (m.text or ""))
    assert "签批：" not in card.text

    await desk.press(desk.reviewer, card, "ap")
    reply = await desk.citizen_reply()
    assert "12333" in reply.text
    assert "拟稿人：周代运维" in reply.text and "审核人：王审核" in reply.text
    assert (await _draft(desk)).state in (DraftState.APPROVED, DraftState.PUBLISHED)


async def test_deadline_alerts_name_whoever_is_on_duty(desk: World) -> None:
    """值班值守 (RULES §7): /duty on puts an operator on the rota; deadline notices name
    them (and the breach names the next tier's people), so Telegram notifies them."""
    await desk.emu.send_message(desk.reviewer2, desk.ops, "/duty on")
    await desk.emu.wait_for_message(desk.ops, lambda m: "赵审核 已开始值班" in (m.text or ""))
    await desk.emu.send_message(desk.stranger, desk.ops, "/duty on")
    await desk.emu.wait_for_message(desk.ops, lambda m: "不是已登记" in (m.text or ""))
    await desk.emu.send_message(desk.head, desk.ops, "/duty")
    await desk.emu.wait_for_message(desk.ops, lambda m: (m.text or "") == "当前值班：赵审核")

    await desk.citizen_says("请问社保卡丢了怎么补办")
    await desk.card()
    draft = await _draft(desk)
    await desk.services.desk.sweep_sla(draft.sla_due_at - timedelta(minutes=1))
    desk.runtime.delivery.wake()
    warning = await desk.emu.wait_for_message(desk.ops, lambda m: "到期" in (m.text or ""))
    assert "（赵审核）" in warning.text and "tg://user?id=1002" in (warning.sent_text or "")
    await desk.services.desk.sweep_sla(draft.sla_due_at + timedelta(minutes=1))
    desk.runtime.delivery.wake()
    alert = await desk.emu.wait_for_message(desk.ops, lambda m: "超过审签时限" in (m.text or ""))
    assert "请分管负责人关注（陈分管、赵审核）" in alert.text
    assert "tg://user?id=1003" in (alert.sent_text or "")

    await desk.emu.send_message(desk.reviewer2, desk.ops, "/duty off")
    await desk.emu.wait_for_message(desk.ops, lambda m: "赵审核 已结束值班" in (m.text or ""))
    await desk.emu.send_message(desk.head, desk.ops, "/duty")
    await desk.emu.wait_for_message(desk.ops, lambda m: "当前无人值班" in (m.text or ""))


async def test_the_duty_rota_names_the_days_operators_beside_duty_on(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    """值班表 (RULES §7): an operator the rota puts on duty is named without /duty on."""
    rota = tmp_path / "rota.json"
    every_day = dict.fromkeys(("mon", "周二", "星期三", "4", "fri", "sat", "周日"), [1001])
    rota.write_text(json.dumps({"weekly": every_day}, ensure_ascii=False), encoding="utf-8")
    async with open_desk(db_url, tmp_path, st_model, duty_rota_file=rota) as w:
        await w.emu.send_message(w.head, w.ops, "/duty")
        await w.emu.wait_for_message(w.ops, lambda m: (m.text or "") == "当前值班：王审核")
        await w.emu.send_message(w.reviewer2, w.ops, "/duty on")
        await w.emu.wait_for_message(w.ops, lambda m: "赵审核 已开始值班" in (m.text or ""))
        await w.emu.send_message(w.head, w.ops, "/duty")
        await w.emu.wait_for_message(w.ops, lambda m: (m.text or "") == "当前值班：王审核、赵审核")

        await w.citizen_says("请问社保卡丢了怎么补办")
        await w.card()
        draft = await _draft(w)
        await w.services.desk.sweep_sla(draft.sla_due_at - timedelta(minutes=1))
        w.runtime.delivery.wake()
        warning = await w.emu.wait_for_message(w.ops, lambda m: "到期" in (m.text or ""))
        assert "tg://user?id=1001" in (warning.sent_text or "")
        assert "tg://user?id=1002" in (warning.sent_text or "")


async def test_an_edited_duty_rota_applies_without_a_restart_and_a_broken_edit_is_shown(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> None:
    import os

    rota = tmp_path / "rota.json"
    every_day = list(range(1, 8))

    def write(ids: object, when: float) -> None:
        weekly = {str(day): ids for day in every_day}
        rota.write_text(json.dumps({"weekly": weekly}), encoding="utf-8")
        os.utime(rota, (when, when))

    write([1001], 1_800_000_000)
    async with open_desk(db_url, tmp_path, st_model, duty_rota_file=rota) as w:
        await w.emu.send_message(w.head, w.ops, "/duty")
        await w.emu.wait_for_message(w.ops, lambda m: (m.text or "") == "当前值班：王审核")
        write([1003], 1_800_000_100)  # the admin hands the day to the deputy head
        await w.emu.send_message(w.head, w.ops, "/duty")
        await w.emu.wait_for_message(w.ops, lambda m: (m.text or "") == "当前值班：陈分管")
        write(["陈分管"], 1_800_000_200)  # names instead of ids: refused, the last one holds
        await w.emu.send_message(w.head, w.ops, "/duty")
        shown = await w.emu.wait_for_message(w.ops, lambda m: "值班表文件" in (m.text or ""))
        assert shown.text.startswith("当前值班：陈分管") and "仍按修改前的值班表执行" in shown.text
