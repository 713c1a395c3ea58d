"""Every user-visible string, in one place so the desk can be translated.

Citizens and operators read Chinese. Templates use str.format fields; `t(key, **params)`
renders one. Enum labels (roles, tiers, states, routing labels) are here too.
"""

from __future__ import annotations

from typing import Any

ROLE = {
    "reviewer": "审核人",
    "deputy_head": "分管负责人",
    "head": "主要负责人",
    "admin": "管理员",
}
TIER = {"ordinary": "一般", "important": "重要", "major": "重大敏感"}
STATE = {
    "pending": "待审",
    "approved": "已审签，发送中",
    "published": "已发布",
    "rejected": "已驳回",
    "undeliverable": "无法送达",
}
VISIBILITY = {"public": "公开回复", "private": "私信回复"}
LABEL = {
    "consultation": "咨询",
    "complaint": "投诉",
    "impersonation_report": "举报仿冒账号",
    "suggestion": "建议",
    "petition": "信访",
    "praise": "表扬",
    "spam_ad": "垃圾广告",
    "abuse": "辱骂",
    "sensitive_incident": "敏感事件",
}
COMPLIANCE = {
    "pii": "含个人信息",
    "link_or_ad": "含链接或广告",
    "personal_opinion": "含个人观点或情绪化表达",
    "banned_word": "含禁用词",
    "off_topic": "答复可能未回应提问",
}
CHAT_KIND = {"private": "私信", "discussion": "评论区"}

TEXTS: dict[str, str] = {
    # citizen-facing
    "welcome": (
        "您好，这里是政务服务账号。请直接留言您要咨询的问题，工作人员审核后会尽快答复。"
        "紧急情况请拨打 110 / 120 / 119；政务服务热线 12345。"
    ),
    "citizen_unknown_command": "暂不支持该指令。请直接用文字描述您的问题，我们会尽快答复。",
    "no_answer_draft": "您好，您反映的问题已收到，我们正在向相关部门核实，核实后将第一时间答复您。",
    "stamp": "\n\n——\n拟稿人：{drafter}　审核人：{reviewer}　审签人：{signer}",
    "private_note": (
        "您好，您的留言涉及个人信息或需单独答复，我们已通过私信回复。"
        "请点击链接查看：{link}"
    ),
    "token_invalid": "该链接已失效（{reason}）。如仍需帮助，请直接私信留言。",
    "token_ok": "您好，以下是对您留言的答复：",
    # operator-facing: cards
    "card_title": "📨 草稿 #{id}｜{kind}｜{label}｜{tier}｜{visibility}",
    "card_from": "来自：{user}（{when}）",
    "card_message": "市民留言：\n{text}",
    "card_match": "匹配条目：{entry}（相似度 {score}，置信概率 {prob}）\n问题：{question}",
    "card_no_match": "⚠️ 未找到可靠答案（置信概率 {prob}），请编辑答复或选择其他条目。",
    "card_reply": "拟答复：\n{text}",
    "card_candidates": "其他候选：{items}",
    "card_compliance": "合规检查：{items}",
    "card_compliance_ok": "合规检查：通过",
    "card_override": "已由 {name} 说明理由放行：{reason}",
    "card_signatures": "签批：{items}",
    "card_needed": "尚需：{items}",
    "card_voided": "⚠️ 草稿已修改，此前签批作废，需重新审核。",
    "card_tier_raised": "⬆️ 已升级审签层级。",
    "card_decided": "{state}：{name}｜{when}",
    "card_rejected": "已驳回（理由：{reason}）",
    "card_published": "✅ 已发布 {when}\n拟稿人：{drafter}　审核人：{reviewer}　审签人：{signer}",
    "card_waiting": "另有 {n} 条草稿排队中，发送 /next 查看下一条。",
    "btn_approve": "✅ 通过",
    "btn_sign": "✅ 审签（{role}）",
    "btn_edit": "✏️ 修改",
    "btn_reject": "❌ 驳回",
    "btn_candidate": "换用 {n}",
    "btn_private": "🔒 改为私信",
    "btn_public": "📢 改为公开",
    "btn_raise": "⬆️ 升级",
    "btn_next": "下一条",
    # operator-facing: prompts and alerts
    "prompt_edit": "✏️ 草稿 #{id}：请回复本消息，发送新的答复文本。",
    "prompt_reject": "❌ 草稿 #{id}：请回复本消息，说明驳回理由。",
    "prompt_raise": "⬆️ 草稿 #{id}：请回复本消息，说明升级理由。",
    "prompt_override": "⚠️ 草稿 #{id} 未通过合规检查：{items}。如确需发布，请回复本消息说明放行理由。",
    "alert_not_operator": "您不是已登记的工作人员，无法操作。",
    "alert_not_role": "此步骤需要{role}签批。",
    "alert_already": "该草稿已处理（{state}）。",
    "alert_changed": "卡片内容已更新，请查看最新版本后再操作。",
    "alert_sod": "不符合分工要求：{detail}",
    "alert_invalid": "无法执行：{detail}",
    "alert_not_found": "未找到：{what}",
    "alert_blocked": "合规检查未通过，需说明放行理由。",
    "alert_done": "已完成。",
    "alert_signed": "已签批，等待下一位签批人。",
    "alert_prompted": "请回复提示消息。",
    "alert_error": "处理出错，请稍后重试。",
    "ack_edit": "草稿 #{id} 已更新。",
    "ack_reject": "草稿 #{id} 已驳回。",
    "ack_raise": "草稿 #{id} 已升级。",
    "next_none": "当前没有排队的草稿。",
    "next_done": "已展示 {n} 条草稿。",
    "unknown_command": "未知指令。可用指令：/next 下一条草稿，/help 帮助。",
    "operator_help": (
        "工作人员指令：\n/next 查看下一条排队草稿\n/case 编号 查看案件\n/cases open 列出未结案件\n"
        "在卡片上点击按钮审核；回复卡片可修改答复文本。"
    ),
    "error_generic": "处理出错，已记录。请稍后重试。",
    "sla_warning": "⏰ 草稿 #{id}（{tier}）将于 {due} 到期，请尽快审签。",
    "sla_breach": "🚨 草稿 #{id}（{tier}）已超过审签时限，请{role}关注。",
}


def t(key: str, **params: Any) -> str:
    """Render one text; a missing key is a programming error and raises KeyError."""
    return TEXTS[key].format(**params)
