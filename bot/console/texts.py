"""Console UI strings (Chinese) that Python code produces; page text lives in the templates."""

from __future__ import annotations

from typing import Any

from handlers import texts as bot_texts
from handlers.errors import describe
from knowledge_base.io import Problem
from workflow.errors import GovReplyError, ImportFailed, InvalidTransition, NotAuthorised

ROLE = bot_texts.ROLE
TIER = bot_texts.TIER
STATE = bot_texts.STATE
POST_KIND = bot_texts.POST_KIND
LABEL = bot_texts.LABEL
VISIBILITY = bot_texts.VISIBILITY
CHAT_KIND = bot_texts.CHAT_KIND
COMPLIANCE = bot_texts.COMPLIANCE
CASE_KIND = bot_texts.CASE_KIND
CASE_STATUS = bot_texts.CASE_STATUS
CHECKLIST_STEP = bot_texts.CHECKLIST_STEP
CHECKLIST_TITLE = bot_texts.CHECKLIST_TITLE
CASE_EVENT = bot_texts.CASE_EVENT
SENSITIVITY = bot_texts.TIER  # an entry's sensitivity uses the tier names
FIELD = {
    "id": "编号",
    "question": "标准问题",
    "variants": "相似问法",
    "answer": "答案",
    "category": "分类",
    "department": "部门",
    "sensitivity": "敏感级别",
    "valid_from": "生效日期",
    "valid_until": "失效日期",
    "(json)": "JSON",
    "(file)": "文件",
}
# A Q&A file's or form's problem by its code (knowledge_base ImportFailed.code); a problem
# without a code shows its English words.
IMPORT_PROBLEM = {
    "missing": "不能为空",
    "not_utf8": "不是 UTF-8 编码：请另存为 UTF-8（Excel 中选择「CSV UTF-8」），或改用 XLSX",
    "csv_unreadable": "无法按 CSV 读取：单元格最多 {limit} 个字符，且引号须成对",
    "answer_too_long": (
        "共 {length} 字，超过 {limit} 字：答复连同落款须在一条 Telegram 消息内发出，"
        "请精简或拆分为多个条目"
    ),
}
KB_CHANGE_STATE = {"pending": "待签批", "approved": "已签批生效", "rejected": "已驳回"}
KB_CHANGE_KIND = {"create": "新建", "edit": "修改", "retire": "停用", "restore": "恢复"}
WORK = {
    "approved": "签批",
    "edited": "修改",
    "rejected": "驳回",
    "match_chosen": "换用条目",
    "tier_raised": "升级",
}

NOTICES: dict[str, str] = {
    "saved": "已保存，新版本已生效。",
    "pending": "已提交，需{role}签批后生效。",
    "retired": "条目已停用，不再匹配。",
    "restored": "条目已恢复。",
    "change_approved": "已签批，修改已生效。",
    "change_rejected": "已驳回该修改。",
    "imported": "导入完成：新增 {created} 条，更新 {updated} 条，未变 {unchanged} 条；"
    "{held} 条待签批。",
    "approved": "已签批。",
    "approved_final": "已签批，答复进入发送队列。",
    "edited": "草稿已修改（此前签批作废）。",
    "rejected": "草稿已驳回。",
    "chosen": "已换用条目。",
    "logged_out": "已退出登录。",
    "case_assigned": "已由您承办。",
    "case_status": "案件状态已变更。",
    "case_commented": "备注已记录。",
    "case_ticked": "已勾选该处置步骤。",
    "case_closed": "案件已办结，结果已记录。",
    "post_signed": "稿件已签批，等待下一级审签。",
    "post_signed_final": "稿件已签批，进入频道发布队列。",
    "post_rejected": "稿件不予发布。",
    "post_withdrawn": "定时稿件已撤回，不会发布。",
    "post_edited": "稿件已修改，此前签批作废。",
    "post_taken_down": "稿件已撤回，正从频道撤下。",
    "post_correction_proposed": "更正稿已提交，请在频道稿件列表或群内卡片上审签。",
    "correction_proposed": "更正稿 #{id} 已提交，请在待审草稿中审签（审签后替换已发布的答复）。",
    "reply_withdrawn": "答复已撤回，正从 Telegram 撤下。",
}

INDEX_PROGRESS = "正在更新检索索引 {done}/{total}"
INDEX_DONE = "检索索引已更新：{total} 个有效条目。"
INDEX_FAILED = "检索索引更新失败，请稍后重试导入或联系管理员。"

LOGIN_ERRORS = {
    "unknown": "登录链接无效。",
    "used": "该登录链接已使用过。每个链接只能使用一次。",
    "expired": "登录链接已过期（有效期 10 分钟）。",
    "cross_site": "登录请求来自其他网站，已拒绝。请直接打开机器人发给您的登录链接。",
}

DOMAIN = {
    **bot_texts.INVALID_DETAIL,
    "a reason is required for every Q&A change": "每次修改都必须填写理由。",
    "nothing changed": "内容没有变化。",
    "the entry changed since the form was opened": (
        "打开编辑页之后，该条目已被他人修改：请查看最新版本后重新编辑（本次修改未保存）。"
    ),
    "nobody signs off their own Q&A change": "不能签批自己提交的修改。",
}
# Case refusals that name the ticket ("case GR-2025-000001 is closed"): tail -> text.
CASE_DOMAIN = bot_texts.CASE_INVALID


def notice(key: str, **params: Any) -> str:
    return NOTICES[key].format(**params)


def ok_notice(key: str | None, **params: Any) -> str | None:
    """The notice a redirect names (`?ok=key`), or None for none or an unknown key."""
    return notice(key, **params) if key in NOTICES else None


def problem_text(problem: ImportFailed | Problem) -> str:
    """A Q&A file's or form's problem in Chinese where its code is known."""
    if problem.code in IMPORT_PROBLEM:
        return IMPORT_PROBLEM[problem.code].format(**problem.params)
    return problem.problem


def error_text(error: GovReplyError) -> str:
    """A Chinese sentence for a domain error shown on a console page."""
    if isinstance(error, ImportFailed):
        name = FIELD.get(error.field, error.field)
        return f"第 {error.line} 行，字段「{name}」：{problem_text(error)}"
    if isinstance(error, InvalidTransition) and error.detail in DOMAIN:
        return DOMAIN[error.detail]
    if isinstance(error, InvalidTransition) and error.detail.startswith("case "):
        tail = error.detail.split(" ", 2)[-1]
        if tail in CASE_DOMAIN:
            return CASE_DOMAIN[tail]
    if isinstance(error, NotAuthorised) and error.needed == "admin":
        return "此操作需要管理员、分管负责人或主要负责人权限。"
    detail = getattr(error, "detail", None)
    if isinstance(detail, str) and detail in DOMAIN:
        return DOMAIN[detail]
    return describe(error)


def status_for(error: GovReplyError) -> int:
    """HTTP status of a refused console action: 403 for a missing role, else 400."""
    return 403 if isinstance(error, NotAuthorised) else 400


def case_event_detail(action: str, detail: dict[str, Any], comment: str | None) -> str:
    """What a case history line adds after its action (plain text; the template escapes)."""
    if comment:
        return comment
    if action == "status_changed":
        return CASE_STATUS.get(str(detail.get("status")), "")
    if action == "step_ticked":
        return CHECKLIST_STEP.get(str(detail.get("step")), "")
    if action == "assigned":
        return str(detail.get("name", ""))
    if action == "closed":
        return str(detail.get("outcome", ""))
    return ""
