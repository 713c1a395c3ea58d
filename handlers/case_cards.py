"""Pure rendering of cases: a CaseView becomes (HTML text, inline keyboard). No I/O here."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import texts
from handlers.callback_data import CaseAction, CaseButton
from handlers.cards import MAX_MESSAGE, _when
from handlers.texts import t
from workflow.cases import CaseView
from workflow.models import CaseStatus


def render_case_card(view: CaseView) -> tuple[str, InlineKeyboardMarkup | None]:
    """The case card in the operators' group: summary, account, checklist, history, buttons."""
    lines = [
        t(
            "case_card_title",
            ticket=view.ticket,
            kind=texts.CASE_KIND[view.kind.value],
            status=texts.CASE_STATUS[view.status.value],
        ),
        t("case_card_assignee", name=escape(view.assignee))
        if view.assignee
        else t("case_card_unassigned"),
        t("case_card_message", text=escape(view.message_redacted)),
    ]
    if view.facts.get("category"):
        matched = "、".join(str(m) for m in view.facts.get("matched", []))
        lines.append(
            t(
                "case_card_illegal",
                category=escape(str(view.facts["category"])),
                matched=escape(matched),
            )
        )
    if view.is_impersonation:
        a = view.account
        lines.append(
            t(
                "case_card_account",
                name=escape(a.name or "—"),
                handle=escape(a.handle or "—"),
                platform=escape(a.platform or "—"),
                link=escape(a.link or "—"),
            )
        )
        lines.append(t("case_card_screenshots", n=view.screenshots))
    if view.has_checklist:
        items = "\n".join(
            f"{'☑' if s.done else '☐'} {texts.CHECKLIST_STEP[s.step.value]}"
            + (f"（{escape(s.by)}，{_when(s.at)}）" if s.done else "")
            for s in view.checklist
        )
        lines.append(t(f"case_card_checklist_{view.kind.value}", items=items))
    if view.events:
        items = "\n".join(
            f"{_when(e.at)} {escape(e.actor)} {texts.CASE_EVENT.get(e.action, e.action)}"
            + _event_detail(e.action, e.detail, e.comment)
            for e in view.events
        )
        lines.append(t("case_card_history", items=items))
    if view.outcome:
        lines.append(t("case_card_outcome", outcome=escape(view.outcome)))
    text = "\n\n".join(lines)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text, (case_keyboard(view) if view.is_open else None)


def _event_detail(action: str, detail: dict[str, object], comment: str | None) -> str:
    if comment:
        return f"：{escape(comment)}"
    if action == "status_changed":
        return f"：{texts.CASE_STATUS.get(str(detail.get('status')), '')}"
    if action == "step_ticked":
        return f"：{texts.CHECKLIST_STEP.get(str(detail.get('step')), '')}"
    if action in ("assigned", "forwarded"):
        return f"：{escape(str(detail.get('name', '')))}"
    if action == "closed":
        return f"：{escape(str(detail.get('outcome', '')))}"
    if action == "opened" and detail.get("disputes_draft"):
        return t("case_disputes", id=detail["disputes_draft"])
    return ""


def case_keyboard(view: CaseView) -> InlineKeyboardMarkup:
    def button(label: str, action: CaseAction, arg: str = "") -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=CaseButton(action, view.id, arg).pack())

    rows = [[button(t("btn_case_assign"), CaseAction.ASSIGN)]]
    status_row = []
    if view.status is not CaseStatus.IN_PROGRESS:
        status_row.append(
            button(t("btn_case_progress"), CaseAction.STATUS, CaseStatus.IN_PROGRESS.value)
        )
    if view.status is not CaseStatus.WAITING:
        status_row.append(
            button(t("btn_case_waiting"), CaseAction.STATUS, CaseStatus.WAITING.value)
        )
    rows[0] += status_row
    for step in view.checklist:
        if not step.done:
            label = t("btn_case_step", step=texts.CHECKLIST_STEP[step.step.value])
            rows.append([button(label, CaseAction.TICK, step.step.value)])
    if view.documents:
        rows.append([button(t(f"btn_case_docs_{view.kind.value}"), CaseAction.DOCUMENTS)])
    if view.forwardable:
        rows.append([button(t("btn_case_forward"), CaseAction.FORWARD)])
    rows.append(
        [
            button(t("btn_case_comment"), CaseAction.COMMENT),
            button(t("btn_case_close"), CaseAction.CLOSE),
        ]
    )
    return InlineKeyboardMarkup(rows)


def render_case_line(view: CaseView) -> str:
    return t(
        "case_list_item",
        ticket=view.ticket,
        kind=texts.CASE_KIND[view.kind.value],
        status=texts.CASE_STATUS[view.status.value],
        assignee=escape(view.assignee or "—"),
    )
