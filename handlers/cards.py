"""Pure rendering: a DraftView becomes (HTML text, inline keyboard). No I/O here."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import texts
from handlers.callback_data import Action, ReviewButton
from handlers.texts import t
from workflow import review
from workflow.compliance import readable_detail
from workflow.corrections import AfterPublication
from workflow.models import DraftState, Role, Tier, Visibility
from workflow.views import DraftView

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
MAX_MESSAGE = 4000  # Telegram allows 4096 characters per message


def _when(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M") if value else ""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def check_lines(
    compliance: list[dict[str, Any]],
    override_reason: str | None,
    override_by: str,
    notice: str | None,
) -> list[str]:
    """The compliance check, an override of it, and the last event worth a line (signatures
    voided, tier raised, the citizen's edit) of a reply's or a channel post's card."""
    if compliance:
        items = "；".join(
            f"{texts.COMPLIANCE.get(f['code'], f['code'])}"
            f"（{escape(readable_detail(str(f['code']), str(f.get('detail', ''))))}）"
            for f in compliance
        )
        lines = [t("card_compliance", items=items)]
    else:
        lines = [t("card_compliance_ok")]
    if override_reason:
        lines.append(t("card_override", name=escape(override_by), reason=escape(override_reason)))
    if notice == "signatures_voided":
        lines.append(t("card_voided"))
    elif notice == "tier_raised":
        lines.append(t("card_tier_raised"))
    elif notice == "signatures_reseated":
        lines.append(t("card_signatures_reseated"))
    elif notice and notice.startswith("citizen_edited_"):
        lines.append(t(f"card_{notice}"))
    return lines


def render_card(view: DraftView) -> tuple[str, InlineKeyboardMarkup | None]:
    """The operators' card: message, match, reply, checks, signatures, and the buttons."""
    lines = [
        t(
            "card_title",
            id=view.id,
            kind=texts.CHAT_KIND[view.chat_kind.value],
            label=texts.LABEL.get(view.label, view.label),
            tier=texts.TIER[view.tier.value],
            visibility=texts.VISIBILITY[view.visibility.value],
        ),
        t("card_message", text=escape(view.message_redacted)),
    ]
    if view.suspected:
        lines.append(t("card_suspected", label=texts.LABEL.get(view.suspected, view.suspected)))
    if view.corrects_id is not None:
        lines.append(t("card_correction_of", id=view.corrects_id, text=escape(view.corrects_text)))
        if view.corrects_entry_id:
            lines.append(t("card_correction_entry", entry=escape(view.corrects_entry_id)))
    if view.confident and view.matched_entry_id:
        lines.append(
            t(
                "card_match",
                entry=escape(view.matched_entry_id),
                score=_pct(view.score),
                prob=_pct(view.probability),
                question=escape(view.matched_question or ""),
            )
        )
    else:
        lines.append(t("card_no_match", prob=_pct(view.probability)))
    lines.append(t("card_reply", text=escape(view.reply_text)))
    others = [c for c in view.candidates if c.get("entry_id") != view.matched_entry_id][:3]
    if others and view.is_open:
        items = "；".join(
            f"{i + 1}. {escape(str(c.get('question', '')))}" for i, c in enumerate(others)
        )
        lines.append(t("card_candidates", items=items))
    lines += check_lines(
        view.compliance, view.override_reason, view.override_by_name or "", view.notice
    )
    valid = [s for s in view.signatures if not s.void]
    if valid:
        items = "；".join(
            f"{escape(s.name)}（{texts.ROLE[s.role.value]}，{_when(s.at)}）" for s in valid
        )
        lines.append(t("card_signatures", items=items))
    if view.needed:
        lines.append(t("card_needed", items="、".join(texts.ROLE[r.value] for r in view.needed)))
    if view.state is DraftState.PUBLISHED:
        s = view.stamp
        lines.append(
            t(
                "card_published",
                when=_when(view.published_at),
                drafter=escape(s.drafter),
                reviewer=escape(s.reviewer),
                signer=escape(s.signer),
            )
        )
        lines += after_publication(view, view.notice)
    elif view.state is DraftState.REJECTED:
        lines.append(t("card_rejected", reason=escape(view.reject_reason or "")))
        if view.notice == "original_withdrawn":
            lines.append(t("card_reply_withdrawn"))
    elif not view.is_open:
        lines.append(texts.STATE[view.state.value] + " " + _when(view.decided_at))
        if view.correctable or view.withdrawn_at is not None:  # a private reply's link waits
            lines += after_publication(view, view.notice)
    if view.is_open and view.waiting:
        lines.append(t("card_waiting", n=view.waiting))
    text = "\n\n".join(lines)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    if view.is_open:
        return text, keyboard(view)
    return text, (published_keyboard(view) if view.correctable else None)


def after_publication(view: AfterPublication, notice: str | None) -> list[str]:
    """What happened to a published reply or post since: corrected (更正), withdrawn (撤回);
    `notice`, the card's last event, says how a withdrawal ended."""
    lines = []
    if view.corrected_by_id is not None:
        lines.append(t("card_corrected", id=view.corrected_by_id, when=_when(view.corrected_at)))
    if view.correction_pending_id is not None:
        lines.append(t("card_correction_pending", id=view.correction_pending_id))
    if view.withdrawn_at is not None:
        lines.append(
            t(
                "card_withdrawn",
                name=escape(view.withdrawn_by_name or ""),
                when=_when(view.withdrawn_at),
                reason=escape(view.withdraw_reason or ""),
            )
        )
        if notice in (
            "withdrawn_deleted",
            "withdrawn_blanked",
            "withdrawn_unsent",
            "withdraw_failed",
        ):
            lines.append(t(f"card_{notice}"))
    return lines


def published_keyboard(view: DraftView) -> InlineKeyboardMarkup:
    """A published reply's card keeps two buttons: correct it, or take it down."""
    row = [
        InlineKeyboardButton(
            t(label), callback_data=ReviewButton(action, view.id, view.version).pack()
        )
        for label, action in (
            ("btn_correct", Action.CORRECT),
            ("btn_withdraw_reply", Action.WITHDRAW),
        )
    ]
    return InlineKeyboardMarkup([row])


def approve_button_label(tier: Tier, needed: list[Role], signed: bool) -> str:
    """✅ 通过 before anyone signed; after that the button names the one step still open, as
    the card's 尚需 line does: 审签 by the deputy head or head, or 审核 when a higher signer
    pressed first and the review signature is still missing."""
    if len(needed) != 1 or not signed:
        return t("btn_approve")
    steps = review.required_roles(tier)
    key = "btn_sign" if needed[0] is steps[-1] and len(steps) > 1 else "btn_review"
    return t(key, role=texts.ROLE[needed[0].value])


def keyboard(view: DraftView) -> InlineKeyboardMarkup:
    def button(label: str, action: Action, arg: str = "") -> InlineKeyboardButton:
        data = ReviewButton(action, view.id, view.version, arg).pack()
        return InlineKeyboardButton(label, callback_data=data)

    signed = any(not s.void for s in view.signatures)
    approve_label = approve_button_label(view.tier, view.needed, signed=signed)
    rows = [
        [
            button(approve_label, Action.APPROVE),
            button(t("btn_edit"), Action.EDIT),
            button(t("btn_reject"), Action.REJECT),
        ]
    ]
    others = [
        (index, c)
        for index, c in enumerate(view.candidates)
        if c.get("entry_id") != view.matched_entry_id
    ][:3]
    if others:
        # The payload carries the candidate's index, not its id: ids may exceed 64 bytes.
        rows.append(
            [
                button(t("btn_candidate", n=n + 1), Action.CHOOSE, str(index))
                for n, (index, _c) in enumerate(others)
            ]
        )
    toggle = t("btn_public") if view.visibility is Visibility.PRIVATE else t("btn_private")
    second = [button(t("btn_raise"), Action.RAISE)]
    if view.chat_kind.value == "discussion" and view.corrects_id is None:
        second.insert(0, button(toggle, Action.VISIBILITY))
    rows.append(second)
    return InlineKeyboardMarkup(rows)


def render_status(live: int, waiting: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The group's queue status: how many cards are shown and how many drafts wait."""
    text = t("status", live=live, waiting=waiting)
    if not waiting:
        return text, None
    data = ReviewButton(Action.NEXT, 0, 0).pack()
    return text, InlineKeyboardMarkup([[InlineKeyboardButton(t("btn_next"), callback_data=data)]])


def render_reply(view: DraftView) -> str:
    """The citizen's reply: the signed-off text and its stamp (plain text, no HTML)."""
    s = view.stamp
    text = view.reply_text + t("stamp", drafter=s.drafter, reviewer=s.reviewer, signer=s.signer)
    if view.corrects_id is not None:
        text += t("reply_corrected", when=_when(view.decided_at))
    return text
