"""Every user-visible string, in one place so the desk can be translated.

Citizens and operators read Chinese. Templates use str.format fields; `t(key, **params)`
renders one. Enum labels (roles, tiers, states, routing labels) are here too.
"""

from __future__ import annotations

from typing import Any

ROLE = {
    "drafter": "拟稿人",
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
    "error_report": "纠错",
}
COMPLIANCE = {
    "pii": "含个人信息",
    "link_or_ad": "含链接或广告",
    "personal_opinion": "含个人观点或情绪化表达",
    "banned_word": "含禁用词",
    "off_topic": "答复可能未回应提问",
    "induced_engagement": "诱导或强制关注、点赞、转发（或买粉刷量）",
    "cold_tone": "语气生硬冷漠或推诿（答复须真诚、耐心，指明办理渠道）",
    "rumour_check": "疑似谣言求证：答复须有权威依据，经分管负责人审签",
}
CHAT_KIND = {"private": "私信", "discussion": "评论区"}
# Security check of the installation (RULES §7: accounts, passwords, devices kept safe).
SECURITY = {
    "env_file_readable": ".env（含机器人令牌等密钥）可被其他用户读取：请执行 chmod 600 .env",
    "console_secret_readable": (
        "管理后台密钥文件可被其他用户读取：请执行 chmod 600 data/console_secret"
    ),
    "database_readable": "数据库文件（含市民个人信息）可被其他用户读取：请执行 chmod 600",
    "console_not_https": "管理后台地址不是 HTTPS：登录链接和会话在网络上明文传输",
    "listening_in_clear": "HTTP 服务对外监听且未使用 HTTPS：请置于 HTTPS 反向代理之后",
}
# The account's filing with its supervising office (分级备案, RULES §8).
FILING_KIND = {"open": "开设", "change": "变更", "close": "注销"}
FILING_FIELD = {
    "unit": "开设主体",
    "account": "账号名称",
    "platform": "平台",
    "channel": "频道",
    "discussion": "评论区",
    "supervising_office": "主管单位",
    "head": "主要负责人",
    "deputy_head": "分管负责人",
    "reviewer": "审核人员",
    "drafter": "拟稿人员",
    "admin": "系统管理员",
}
# The assessment report (govreply report, RULES §8): one name per figure.
REPORT = {
    "period": "统计区间",
    "messages": "收到留言（条）",
    "messages.": "其中{name}",
    "drafts": "生成答复草稿（条）",
    "published": "已发布答复（条）",
    "answered_share": "答复率",
    "published.": "已发布答复：{name}审签层级",
    "rejected": "驳回（不予答复，条）",
    "corrected": "已发布答复经审签更正（条）",
    "withdrawn": "已发布答复撤回（条）",
    "first_reply_p50": "首次答复用时中位数（分钟）",
    "first_reply_p90": "首次答复用时 P90（分钟）",
    "sign_off_p50": "审签用时中位数（分钟）",
    "sign_off_p90": "审签用时 P90（分钟）",
    "overdue": "超过审签时限（条）",
    "cases.": "新开案件：{name}",
    "cases_closed": "期内办结案件（件）",
    "impersonation_done": "仿冒账号案件四项处置全部完成（件）",
    "illegal_reported": "疑似违法信息已报告主管部门（件）",
    "suggestions_forwarded": "建议转送部门（条）",
    "posts": "频道发布（条）",
    "originals": "其中原创（条）",
    "posts_signed": "其中经 GovReply 分级审签发布（条）",
    "mandated": "其中上级要求转发（条）",
    "original_share": "原创及上级要求转发占比",
    "weeks_with_post": "有更新的周数 / 总周数",
    "longest_silence_days": "最长连续未更新（天）",
    "entries_live": "答问库有效条目（期末）",
    "entry_versions": "答问库新增、修改、停用（次）",
}


def report_label(key: str) -> str:
    """The Chinese name of an assessment figure (sub-keys name a label, tier or case kind)."""
    head, dot, sub = key.partition(".")
    if not dot:
        return REPORT.get(key, key)
    names = {"messages": LABEL, "published": TIER, "cases": CASE_KIND}.get(head, {})
    return REPORT.get(head + ".", key).format(name=names.get(sub, sub))


TEXTS: dict[str, str] = {
    # citizen-facing
    "welcome": (
        "您好，这里是政务服务账号。请直接留言您要咨询的问题，工作人员审核后会尽快答复。"
        "发现本账号发布的信息有误，请发送“纠错：”加说明（或 /jiucuo 加说明）。"
        "紧急情况请拨打 110 / 120 / 119；政务服务热线 12345。"
    ),
    "correction_how": (
        "请写明哪条信息或答复有误、正确的应是什么，例如：\n"
        "纠错：居住证办理地点写的是老地址，现在已搬到市民中心"
    ),
    "citizen_unknown_command": "暂不支持该指令。请直接用文字描述您的问题，我们会尽快答复。",
    "citizen_unsupported": (
        "暂时无法处理语音、视频、文件或贴纸。请用文字描述您的问题（可附图片），我们会尽快答复。"
    ),
    "no_answer_draft": (
        "您好，您反映的问题已收到，我们正在向相关部门核实，核实后将第一时间答复您。"
    ),
    "stamp": "\n\n——\n拟稿人：{drafter}　审核人：{reviewer}　审签人：{signer}",
    "private_note": (
        "您好，您的留言涉及个人信息或需单独答复，我们已通过私信回复。请点击链接查看：{link}"
    ),
    "token_invalid": "该链接已失效（{reason}）。如仍需帮助，请直接私信留言。",
    "token_ok": "您好，以下是对您留言的答复：",
    "reply_corrected": "\n（本答复已于 {when} 更正）",
    "reply_correction_resent": "【更正】此前对您留言的答复有误，现更正如下：\n\n",
    "reply_withdrawn_text": "（本答复已撤回。如仍有疑问，欢迎再次留言。）",
    # operator-facing: cards
    "card_title": "📨 草稿 #{id}｜{kind}｜{label}｜{tier}｜{visibility}",
    "card_from": "来自：{user}（{when}）",
    "card_message": "市民留言：\n{text}",
    "card_suspected": "⚠️ 疑似{label}，但把握不足，未自动删除或处理：请人工判断（驳回即不回复）。",
    "card_match": "匹配条目：{entry}（匹配分 {score}，置信概率 {prob}）\n问题：{question}",
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
    "card_signatures_reseated": "🔧 签批已按新规则重新对应步骤（先签者不再占用低一级的步骤）。",
    "card_citizen_edited_redrafted": (
        "✏️ 市民已修改留言，已按新内容重新匹配拟稿；此前签批作废，需重新审核。"
    ),
    "card_citizen_edited_kept_template": (
        "✏️ 市民已修改留言；答复为标准模板（如受理回执），已保留；此前签批作废，需重新审核。"
    ),
    "card_citizen_edited_kept": (
        "✏️ 市民已修改留言；人工修改的答复已保留，请对照新内容核对；此前签批作废，需重新审核。"
    ),
    "card_decided": "{state}：{name}｜{when}",
    "card_rejected": "已驳回（理由：{reason}）",
    "card_published": "✅ 已发布 {when}\n拟稿人：{drafter}　审核人：{reviewer}　审签人：{signer}",
    "card_waiting": "另有 {n} 条草稿排队中，发送 /next 查看下一条。",
    "card_correction_of": "✏️ 更正稿：审签后替换草稿 #{id} 已发布的答复。\n原答复：\n{text}",
    "card_correction_pending": "✏️ 更正稿 #{id} 审签中。",
    "card_correction_entry": (
        "⚠️ 原答复即答问库条目 {entry} 的答案：如条目本身有误，请在管理后台一并修改，以免再次答错。"
    ),
    "card_corrected": "✏️ 已更正（更正稿 #{id}，{when}），现显示更正后的内容。",
    "card_withdrawn": "🗑 已撤回（{name}，{when}；理由：{reason}）",
    "card_withdrawn_deleted": "已从 Telegram 删除。",
    "card_withdrawn_blanked": "Telegram 已不允许删除该消息（超过 48 小时），已改为撤回说明。",
    "card_withdraw_failed": "⚠️ 未能从 Telegram 撤下该答复，请手工删除。",
    "card_withdrawn_unsent": "私信答复尚未送达，不再发送；市民打开链接时将看到答复已撤回。",
    "card_reply_withdrawn": "原答复已撤回，本更正稿随之关闭。",
    "btn_correct": "✏️ 更正答复",
    "btn_withdraw_reply": "🗑 撤回答复",
    "btn_approve": "✅ 通过",
    "btn_sign": "✅ 审签（{role}）",
    "btn_review": "✅ 审核（{role}）",
    "btn_edit": "✏️ 修改",
    "btn_reject": "❌ 驳回",
    "btn_candidate": "换用 {n}",
    "btn_private": "🔒 改为私信",
    "btn_public": "📢 改为公开",
    "btn_raise": "⬆️ 升级",
    "btn_next": "下一条",
    "status": (
        "📋 待审草稿：卡片 {live} 条，排队 {waiting} 条。发送 /next 或点击下方按钮查看下一条。"
    ),
    # operator-facing: prompts and alerts
    "prompt_edit": "✏️ 草稿 #{id}：请回复本消息，发送新的答复文本。",
    "prompt_reject": "❌ 草稿 #{id}：请回复本消息，说明驳回理由。",
    "prompt_raise": "⬆️ 草稿 #{id}：请回复本消息，说明升级理由。",
    "prompt_correct": (
        "✏️ 草稿 #{id} 已发布：请回复本消息，发送更正后的答复全文。"
        "更正稿按原层级审签，签批后替换已发布的答复。"
    ),
    "prompt_withdraw": (
        "🗑 草稿 #{id} 已发布：请回复本消息，说明撤回理由。答复将立即从 Telegram 撤下。"
    ),
    "prompt_override": (
        "⚠️ 草稿 #{id} 未通过合规检查：{items}。如确需发布，请回复本消息说明放行理由。"
    ),
    "alert_not_operator": "您不是已登记的工作人员，无法操作。",
    "alert_not_role": "此步骤需要{role}签批。",
    "alert_not_needed": "您的签批无法补上仍缺的步骤。尚需：{roles}。",
    "alert_cannot_draft": "拟稿需由拟稿人或审核人及以上人员进行，管理员不参与拟稿和签批。",
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
    "ack_correct": "已提交更正稿 #{id}（更正草稿 #{original}），请在其卡片上审签。",
    "ack_withdraw": "草稿 #{id} 的答复已撤回。",
    "ops_edit_ignored": "修改已发出的消息不会生效；如需更改，请重新回复卡片或提示消息。",
    "next_none": "当前没有排队的草稿。",
    "next_done": "已展示 {n} 条草稿。",
    "unknown_command": "未知指令。可用指令：/next 下一条草稿，/help 帮助。",
    "operator_help": (
        "工作人员指令：\n/next 查看下一条排队草稿\n/case 编号 查看案件\n/cases open 列出未结案件\n"
        "/inspect 读网巡检（更新、留言办理、答问库、答复中的链接）\n"
        "/duty on|off 开始/结束值班；/duty 查看当前值班人员\n"
        "/post 正文 提交频道稿件；回复一条消息发送 /repost 来源 提交转载（均须分级审签后发布）\n"
        "在卡片上点击按钮审核；回复卡片可修改答复文本；"
        "已发布答复的卡片上可“更正答复”（经审签后替换）或“撤回答复”。"
    ),
    "error_generic": "处理出错，已记录。请稍后重试。",
    "hot_topic_alert": (
        "🔥 热点关注：{hours} 小时内 {citizens} 位市民（{n} 条留言）反映同一问题："
        "“{title}”。建议请{department}回应或统一发布说明，必要时按程序转送。\n"
        "回复本消息可为这些留言统一拟稿（每条仍需在卡片上审签）。"
    ),
    "ack_topic_edit": "已为 {n} 条待审草稿统一拟稿，请在各自卡片上审签。",
    "btn_topic_forward": "📨 转请{department}答复",
    "ack_topic_forward": "已转请{department}答复。",
    "hot_topic_forward": (
        "📨 热点问题转请答复（{department}）：{hours} 小时内 {citizens} 位市民（{n} 条留言）"
        "反映同一问题：\n“{title}”\n\n部分留言（已去标识化）：\n{examples}\n\n"
        "请研究并提供统一答复口径或发布说明，我们将按程序审核后统一回复市民。"
    ),
    "hot_topic_email_subject": "热点问题转请答复：{citizens} 位市民反映同一问题",
    "inspection_running": "🔎 正在巡检（含答复中的链接），请稍候……",
    "inspection_busy": "🔎 巡检正在进行，完成后将发出报告。",
    "inspection_report": (
        "🔎 读网巡检报告（近 {days} 天）\n"
        "【更新】最近发布：{last_post}；近 7 天发布 {posts} 条；"
        "近 30 天原创 {originals} / 全部 {posts_30d} 条\n"
        "【留言办理】收到 {messages} 条，已答复 {answered} 条；待审草稿 {pending} 条"
        "（最久 {oldest} 小时）；超时 {breaches} 条；未结案件 {cases} 件\n"
        "【答问库】一周内到期条目：{expiring}；已过期未停用：{expired}；"
        "答复被更正的条目（请核对）：{corrected}\n"
        "【链接】检查 {links} 个，失效 {broken_n} 个：\n{broken}\n"
        "【备案】{filing}\n"
        "【安全】{security}"
    ),
    "inspection_filing_never": (
        "尚无本账号的备案记录（开设、变更、注销须报主管单位备案）；"
        "请用 govreply account file open 备案表.docx 填报或补录。"
    ),
    "inspection_filing_current": (
        "最近一次{filing_kind}备案 {date}（{days} 天前），此后账号信息无变化。"
    ),
    "inspection_filing_changed": (
        "⚠️ 最近一次{filing_kind}备案 {date} 以来，{filing_changes} 已变化，请报主管单位变更备案："
        "govreply account file change 备案表.docx。"
    ),
    "inspection_filing_closed": "账号已于 {date} 注销备案。",
    "inspection_filing_unknown": "未检查。",
    "inspection_security_ok": (
        "令牌、密钥和数据库文件仅本用户可读，管理后台使用 HTTPS 或仅本机访问。"
    ),
    "inspection_security_issues": "⚠️ {problems}（govreply security check）",
    "sla_warning": "⏰ 草稿 #{id}（{tier}）将于 {due} 到期，请尽快审签{people}。",
    "sla_breach": "🚨 草稿 #{id}（{tier}）已超过审签时限，请{role}关注{people}。",
    "mention_people": "（{names}）",
    "duty_on": "✅ {name} 已开始值班：到期提醒和超时告警将点名提醒您。",
    "duty_off": "☑️ {name} 已结束值班。",
    "duty_list": "当前值班：{names}",
    "duty_none": "当前无人值班。值班人员请发送 /duty on 开始值班。",
    "duty_rota_broken": (
        "⚠️ 值班表文件修改后无法读取（{problem}），仍按修改前的值班表执行，请更正。"
    ),
    "citizen_edited_after": (
        "✏️ 草稿 #{id}（{state}）的市民原留言已被修改，新内容：\n{text}\n"
        "此前的处理不会改动；如需补充答复，请另行跟进。"
    ),
    # web console login (bot/console)
    "console_link": "🔐 管理后台登录链接（10 分钟内有效，仅可使用一次，请勿转发）：\n{link}",
    "console_private_only": "请在与本账号的私聊中发送 /console 获取登录链接。",
}


# --- cases, suggestions, petitions, spam and abuse (issue 6 §2-§4) -----------------------------
CASE_KIND = {
    "complaint": "投诉",
    "impersonation_report": "仿冒账号举报",
    "sensitive_incident": "敏感事件",
    "error_report": "纠错",
    "illegal_content": "疑似违法信息",
}
CASE_STATUS = {"open": "待处理", "in_progress": "处理中", "waiting": "等待中", "closed": "已办结"}
CHECKLIST_TITLE = {
    "impersonation_report": "仿冒账号处置（《办法》第二十九条）",
    "illegal_content": "疑似违法信息处置（《微博管理办法》第十四条：报告主管部门）",
}
CHECKLIST_STEP = {
    "evidence_kept": "已保存证据（原文、发布者、时间）",
    "verified": "已排查核实",
    "reported_to_authorities": "已报网信、公安部门",
    "platform_letter_sent": "已致函平台关停",
    "filed_with_supervisor": "已报主管单位备案",
}
CASE_EVENT = {
    "opened": "立案",
    "assigned": "指派",
    "commented": "备注",
    "status_changed": "状态变更",
    "closed": "办结",
    "step_ticked": "完成步骤",
    "documents_generated": "生成函件",
    "forwarded": "转送部门",
}
CASE_TEXTS: dict[str, str] = {
    # citizen-facing templates (the draft's reply, or sent at once if pre-approved)
    "case_ack_complaint": (
        "您好，您反映的问题已登记，受理编号 {ticket}。我们将转交相关部门核实处理，"
        "并及时向您反馈。如需补充材料，请直接回复本账号并注明受理编号。"
    ),
    "case_ack_impersonation_report": (
        "您好，感谢您的举报，已登记，受理编号 {ticket}。我们将立即核实该账号，"
        "并依法依规处置。请勿向该账号转账或提供个人信息。"
    ),
    "case_ack_error_report": (
        "您好，感谢您的纠错，已登记，受理编号 {ticket}。我们将核实相关信息，"
        "如确有错误将及时更正并告知您。"
    ),
    "case_ack_sensitive_incident": (
        "您好，您反映的情况已收到并登记，受理编号 {ticket}，已报告相关负责同志。"
        "如遇紧急情况请拨打 110 / 119 / 120。"
    ),
    "suggestion_thanks": "您好，感谢您的意见建议，我们已转送相关部门研究办理。",
    "petition_redirect": (
        "您好，您反映的事项属于信访事项。根据《信访工作条例》，请通过当地信访部门、"
        "国家信访局网上信访平台或拨打 12345 政务服务便民热线反映，我们无法通过本账号受理信访。"
    ),
    # operators' group and departments
    "case_card_title": "🗂 案件 {ticket}｜{kind}｜{status}",
    "case_card_assignee": "承办人：{name}",
    "case_card_unassigned": "承办人：未指派",
    "case_card_message": "市民留言：\n{text}",
    "case_card_account": "被举报账号：{name}｜账号/ID：{handle}｜平台：{platform}｜链接：{link}",
    "case_card_screenshots": "截图：{n} 张",
    "case_card_checklist_impersonation_report": "处置步骤（《办法》第二十九条）：\n{items}",
    "case_card_checklist_illegal_content": (
        "处置步骤（《微博管理办法》第十四条：报告主管部门）：\n{items}"
    ),
    "case_card_illegal": "违法类别：{category}｜命中：{matched}",
    "case_card_history": "处理记录：\n{items}",
    "case_card_outcome": "办结结果：{outcome}",
    "case_disputes": (
        "（纠错所指答复：草稿 #{id}；如确有错误，"
        "请在其卡片上点击“✏️ 更正答复”，经审签后替换原答复）"
    ),
    "case_list_title": "未办结案件（{n} 件）：",
    "case_list_item": "{ticket}｜{kind}｜{status}｜{assignee}",
    "case_list_empty": "没有符合条件的案件。",
    "case_usage": "用法：/case GR-2026-000123",
    "cases_usage": (
        "用法：/cases open（未办结）、/cases in_progress、/cases waiting、/cases closed"
    ),
    "btn_case_assign": "🙋 我来承办",
    "btn_case_progress": "▶️ 处理中",
    "btn_case_waiting": "⏸ 等待中",
    "btn_case_comment": "💬 备注",
    "btn_case_forward": "📨 转送部门",
    "ack_case_forward": "已转送{department}。",
    "case_forward": (
        "📨 转办（受理编号 {ticket}，{department}）：\n{text}\n\n"
        "——政务新媒体账号转送，请核实处理并将结果反馈本账号；市民联系方式已隐去。"
    ),
    "case_forward_subject": "转办：受理编号 {ticket}",
    "btn_case_close": "✅ 办结",
    "btn_case_docs_impersonation_report": "📄 生成函件",
    "btn_case_docs_illegal_content": "📄 生成报送单",
    "btn_case_step": "☐ {step}",
    "prompt_case_close": "✅ 案件 {ticket}：请回复本消息，填写办结结果。",
    "prompt_case_comment": "💬 案件 {ticket}：请回复本消息，填写备注。",
    "ack_case_closed": "案件 {ticket} 已办结。",
    "ack_case_comment": "案件 {ticket} 已添加备注。",
    "case_reminder_impersonation_report": (
        "⏰ 仿冒账号案件 {ticket} 尚有 {n} 个处置步骤未完成，请尽快办理并在案件卡片上勾选。"
    ),
    "case_reminder_illegal_content": (
        "⏰ 疑似违法信息案件 {ticket} 尚有 {n} 个处置步骤未完成（报告主管部门），"
        "请尽快办理并在案件卡片上勾选。"
    ),
    "illegal_content_alert": (
        "🚨 疑似违法信息（{category}），已立案 {ticket}：\n{text}\n"
        "命中：{matched}\n{done}请 {heads} 知悉；核实后报告网信、公安等主管部门，"
        "并在案件卡片上勾选。"
    ),
    "illegal_done_comment": (
        "评论已删除并存证，发布者已被限制发言 {hours} 小时（评论功能保持开放）。"
    ),
    "illegal_done_report": (
        "评论已删除并存证；留言者是在举报，未限制其发言（评论功能保持开放），可联系其了解线索。"
    ),
    "illegal_done_private": "私信已存证。",
    "clipped": "…（余下内容见控制台）",
    "update_failed": (
        "⚠️ 一条消息处理失败 3 次，已停止自动重试（更新 #{id}，来自 {sender}）：\n{text}\n"
        "请人工处理该留言，并请管理员查看日志。"
    ),
    "update_quarantined": (
        "⚠️ 收到一条无法解析的更新，已隔离，不会自动处理（更新 #{id}，来自 {sender}）：\n{text}\n"
        "如是群众留言，请人工处理；并请管理员查看日志。"
    ),
    "calendar_gap": (
        "📅 节假日数据尚未包含 {year} 年：审签时限暂按周一至周五计算，元旦、春节等法定节假日和"
        "调休上班日都不准确。请管理员升级 chinesecalendar，或在 GOVREPLY_CALENDAR_OVERRIDES "
        "文件中补充 {year} 年的放假和调休日期。"
    ),
    "activity_daily_due": (
        "📅 更新提醒：今天（工作日）频道已发布 {posted} 条，按《政务官方微博管理办法》"
        "每个工作日至少 {limit} 条，请安排发布。"
    ),
    "activity_share_low": (
        "📊 近 30 天频道发布 {posts} 条，其中原创 {originals} 条、上级要求转发 {mandated} 条，"
        "占 {share}，低于规定的 {limit}，请增加原创内容。"
    ),
    "activity_update_due": (
        "📅 更新提醒：本账号已 {days} 天未发布内容（最近一次：{last}），"
        "按规定至少每 {limit} 天更新一次，请安排发布。"
    ),
    "activity_not_seen": (
        "📅 更新提醒：GovReply 运行 {days} 天来未看到本账号频道的任何发布。"
        "如频道确有更新，请将机器人设为频道管理员，或确认讨论组已关联；否则请安排发布。"
    ),
    "activity_original_due": (
        "📝 原创提醒：已 {days} 天没有原创内容（最近一次原创：{last}），"
        "按规定每 {limit} 天至少发布一条原创内容。"
    ),
    "activity_dormant": (
        "🚨 请主要负责人 {heads} 关注：本账号已 {days} 天未更新（最近一次：{last}），"
        "连续 {limit} 天未更新即为“僵尸账号”，须关停整改，距此还剩 {left} 天。"
    ),
    "incident_alert": (
        "🚨 敏感事件 {ticket}（草稿 #{draft}）：请主要负责人 {heads} 立即关注。"
        "未经主要负责人审签，不得公开答复。\n{text}"
    ),
    "suggestion_forward": (
        "📮 转送市民建议（{department}，编号 M{ref}）：\n{text}\n\n"
        "——政务新媒体账号转送，市民联系方式已隐去，如需联系请经本账号办理。"
    ),
    "suggestion_unrouted": "📮 市民建议（未匹配到部门，请人工转送，编号 M{ref}）：\n{text}",
    "suggestion_email_subject": "转送市民建议（编号 M{ref}）",
    "spam_edit_closed": "市民将留言修改为垃圾广告，评论已删除，草稿自动关闭，未发布任何答复。",
    "spam_deleted_notice": "🧹 已删除评论区垃圾广告（编号 M{ref}）：{text}",
    "spam_hidden_notice": "🧹 评论区疑似垃圾广告（编号 M{ref}），按设置未删除，已记录：{text}",
    "abuse_notice": (
        "⚠️ 评论/留言含辱骂内容（{user}，第 {count} 次，满 {limit} 次将限制发言）：{text}"
    ),
    "abuse_comment_alert": (
        "⚠️ 评论区出现辱骂等不当言论（{user}，第 {count} 次，满 {limit} 次将限制发言），"
        "请 {heads} 知悉：{text}"
    ),
    "abuse_restricted_notice": (
        "⛔ {user} 已第 {count} 次发布辱骂内容，已在评论区限制其发言 {hours} 小时"
        "（评论功能保持开放），请 {heads} 知悉：{text}"
    ),
}
# Why an action was refused (InvalidTransition.detail) -> what operators read.
INVALID_DETAIL = {
    "the new reply text is empty": "答复文本不能为空。",
    "a rejection needs a reason": "驳回须说明理由。",
    "raising the tier needs a reason": "升级须说明理由。",
    "the draft is already at the highest tier": "已是最高审签层级。",
    "a private message can only be answered privately": "私信只能私下答复。",
    "a comment needs some text": "备注不能为空。",
    "closing a case needs an outcome": "办结须填写办理结果。",
    "the post is empty": "稿件正文不能为空。",
    "a repost must name its source": "转载须注明来源。",
    "no department in the directory can be reached for this topic": (
        "部门目录中没有可联系（群或邮箱）的对口部门，请手工转送。"
    ),
    "this topic was sent to its department already": "该热点已转请部门答复，不再重复发送。",
    "the publication time has passed": "定时发布的时间已过，请重新设定。",
    "a post is scheduled at most 30 days ahead": "定时发布最多提前 30 天。",
    "withdrawing a post needs a reason": "撤回须说明理由。",
    "withdrawing a reply needs a reason": "撤回须说明理由。",
    "correct the reply itself, not its correction": "请在原答复的卡片上更正。",
    "the reply was withdrawn": "该答复已撤回。",
    "only a published reply can be corrected or withdrawn": "只有已发布的答复可以更正或撤回。",
    "a correction of this reply is already under review": "该答复已有更正稿在审签中。",
    "correct the post itself, not its correction": "请在原稿件的卡片上更正。",
    "the post was taken down": "该稿件已撤回。",
    "only a published post can be corrected or taken down": "只有已发布的稿件可以更正或撤回。",
    "a correction of this post is already under review": "该稿件已有更正稿在审签中。",
    "a correction goes where the reply it corrects was published": (
        "更正稿按原答复的方式发布，不能切换公开或私信。"
    ),
    "only a signed, scheduled post can be withdrawn": "只有已签批、尚未到时的定时稿件可以撤回。",
    "the post is being published or was published": "稿件正在发布或已发布，无法撤回。",
    "only a repost can be required by a higher authority": "只有转载稿件可标为上级要求转发。",
    "the reply is too long": "答复正文不能超过 4000 字（Telegram 单条消息上限 4096 字，含落款）。",
    "the post is too long": "稿件正文不能超过 4000 字（Telegram 单条消息上限 4096 字，含落款）。",
    "a post with a picture or video is too long": (
        "配图（视频）稿件的文字不能超过 900 字（Telegram 图片说明上限 1024 字，含落款）。"
    ),
}

# Case refusals name the ticket ("case GR-2026-000001 is closed"): what follows it -> text.
CASE_INVALID = {
    "is closed": "案件已办结，不能再变更。",
    "is already closed": "案件已办结。",
    "has no such checklist step": "该案件的处置清单中没有这一步骤。",
    "has unticked checklist steps": (
        "处置清单尚未全部完成：请先完成并勾选；确属不适用的，由分管负责人或主要负责人办结。"
    ),
    "has no documents": "该类案件没有需要生成的文书。",
    "is not forwarded to departments": "该类案件不转送部门。",
    "has no reachable department": "部门目录中没有可联系（群或邮箱）的对口部门，请手工转送。",
    "was forwarded already": "该案件已转送部门，不再重复发送。",
    "is not suspected illegal content": "该案件不是疑似违法信息。",
}

# --- channel posts under sign-off (RULES §1, §5) ----------------------------------------------
POST_KIND = {"original": "原创", "repost": "转载"}
MEDIA_KIND = {"photo": "图片", "video": "视频", "document": "文件"}
POST_TEXTS: dict[str, str] = {
    "post_card_title": "📰 频道稿件 #{id}｜{kind}｜{tier}｜{state}",
    "post_card_drafter": "拟稿人：{name}",
    "post_card_source": "转载来源：{source}",
    "post_card_source_mandated": "转载来源：{source}（上级要求转发，计入原创占比）",
    "post_card_text": "稿件内容：\n{text}",
    "post_card_media": "📎 随稿{kind}：见本群第 {id} 条消息（审签后连同文字发布）",
    "post_card_album": "📎 随稿相册 {n} 项：见本群第 {id} 条消息起（审签后作为一组连同文字发布）",
    "post_card_scheduled": "⏰ 定时发布：{when}（审签完成后于此时发布）",
    "post_card_due": "⏰ 已签批，将于 {when} 发布；发布前可撤回。",
    "post_withdrawn": "已撤回，未发布（理由：{reason}）",
    "post_card_correction_of": "✏️ 更正稿：审签后替换频道稿件 #{id} 的内容。\n原文：\n{text}",
    "post_card_original_withdrawn": "原稿件已撤回，本更正稿随之关闭。",
    "post_corrected": "\n（本文已于 {when} 更正）",
    "post_correction_resent": "【更正】",
    "post_withdrawn_text": "（本文已撤回。）",
    "btn_post_correct": "✏️ 更正稿件",
    "btn_post_take_down": "🗑 撤回稿件",
    "prompt_post_correct": (
        "✏️ 稿件 #{id} 已发布：请回复本消息，发送更正后的正文。"
        "更正稿按原层级审签，签批后替换频道中的内容。"
    ),
    "ack_post_correct": "已提交更正稿 #{id}（更正稿件 #{original}），请在其卡片上审签。",
    "ack_post_take_down": "稿件 #{id} 已撤回。",
    "btn_post_withdraw": "🛑 撤回发布",
    "prompt_post_withdraw": "🛑 稿件 #{id}：请回复本消息，说明撤回理由。",
    "ack_post_withdraw": "稿件 #{id} 已撤回，不会发布。",
    "post_published": (
        "已发布到频道（{when}）。拟稿人：{drafter}　审核人：{reviewer}　审签人：{signer}"
    ),
    "post_published_repost": "已发布到频道（{when}）。来源：{source}　审核人：{reviewer}",
    "post_unreviewed": (
        "⚠️ 频道出现一条未经 GovReply 审签的发布（{when}）：{link}\n"
        "按“先审后发”，以账号名义发布的内容须经审核、审签；请核实是否已按程序审核，"
        "必要时撤下并补办审签{people}。"
    ),
    "post_undeliverable": "⚠️ 未能发布到频道，请检查机器人在频道的管理员（发布）权限后重新提交。",
    # What the channel's readers see under the post (RULES §1).
    "post_stamp": "\n\n——\n拟稿人：{drafter}　审核人：{reviewer}　审签人：{signer}",
    "post_stamp_repost": "\n\n——\n来源：{source}　审核人：{reviewer}",
    "post_usage": (
        "用法：/post 稿件正文（原创，发布前按分级审签）；"
        "回复一条消息发送 /repost 来源名称（转载该消息，注明来源和审核人；"
        "上级要求转发的写 /repost 上级要求 来源名称）；"
        "定时发布：/post 定时 12-02 09:00 稿件正文。"
    ),
    "post_no_channel": "未配置频道（GOVREPLY_CHANNEL_ID），无法发布稿件。",
    "post_submitted": "稿件 #{id} 已提交，等待审签。",
    "prompt_post_edit": "✏️ 稿件 #{id}：请回复本消息，发送修改后的正文。",
    "prompt_post_reject": "❌ 稿件 #{id}：请回复本消息，说明不予发布的理由。",
    "prompt_post_raise": "⬆️ 稿件 #{id}：请回复本消息，说明升级理由。",
    "prompt_post_override": (
        "⚠️ 稿件 #{id} 合规检查未通过（{items}）。如确需发布，请回复本消息说明理由（将记录在案）。"
    ),
    "ack_post_edit": "稿件 #{id} 已修改，此前签批作废。",
    "ack_post_reject": "稿件 #{id} 不予发布。",
    "ack_post_raise": "稿件 #{id} 已升级。",
}
TEXTS.update(POST_TEXTS)
# Reminders queued before checklists had kinds name the old key.
CASE_TEXTS["case_reminder"] = CASE_TEXTS["case_reminder_impersonation_report"]
TEXTS.update(CASE_TEXTS)


def t(key: str, **params: Any) -> str:
    """Render one text; a missing key is a programming error and raises KeyError."""
    return TEXTS[key].format(**params)


def localize(params: dict[str, object]) -> dict[str, object]:
    """Enum values in notice parameters become their Chinese labels (a list: each, joined)."""
    labels = {
        "tier": TIER,
        "role": ROLE,
        "label": LABEL,
        "state": STATE,
        "filing_kind": FILING_KIND,
        "filing_changes": FILING_FIELD,
        "problems": SECURITY,
    }

    def label(key: str, value: object) -> object:
        if key not in labels:
            return value
        if isinstance(value, list):
            return "、".join(str(labels[key].get(str(v), v)) for v in value)
        return labels[key].get(str(value), value)

    return {k: label(k, v) for k, v in params.items()}


def render_parts(parts: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Lines a notice's domain chose by state: {name: {"template", "params"}} -> texts."""
    return {
        name: t(part["template"], **localize(part.get("params", {})))
        for name, part in parts.items()
    }
