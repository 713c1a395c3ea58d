"""Pure rendering of channel posts under sign-off: a PostView becomes its card (HTML text,
inline keyboard) and the published text with its stamp. No I/O here."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import texts
from handlers.callback_data import POST_PREFIX, Action, ReviewButton
from handlers.cards import (
    MAX_MESSAGE,
    _when,
    after_publication,
    approve_button_label,
    check_lines,
)
from handlers.texts import t
from workflow.models import DraftState, PostKind
from workflow.posts import PostView


def render_post_card(view: PostView) -> tuple[str, InlineKeyboardMarkup | None]:
    """The operators' card: the post, its checks, signatures, and the buttons while pending."""
    lines = [
        t(
            "post_card_title",
            id=view.id,
            kind=texts.POST_KIND[view.kind.value],
            tier=texts.TIER[view.tier.value],
            state=texts.STATE[view.state.value],
        ),
        t("post_card_drafter", name=escape(view.drafter)),
    ]
    if view.kind is PostKind.REPOST:
        key = "post_card_source_mandated" if view.mandated else "post_card_source"
        lines.append(t(key, source=escape(view.source)))
    if view.corrects_id is not None:
        lines.append(
            t("post_card_correction_of", id=view.corrects_id, text=escape(view.corrects_text))
        )
    lines.append(t("post_card_text", text=escape(view.text)))
    if view.media is not None and view.media.album:
        lines.append(t("post_card_album", n=len(view.media.album), id=view.media.message_id))
    elif view.media is not None:
        kind = texts.MEDIA_KIND.get(view.media.kind, view.media.kind)
        lines.append(t("post_card_media", kind=kind, id=view.media.message_id))
    if view.publish_at is not None and view.state in (DraftState.PENDING, DraftState.APPROVED):
        key = "post_card_due" if view.state is DraftState.APPROVED else "post_card_scheduled"
        lines.append(t(key, when=_when(view.publish_at)))
    lines += check_lines(view.compliance, view.override_reason, view.override_by, view.notice)
    if view.signatures:
        items = "；".join(
            f"{escape(s.name)}（{texts.ROLE[s.role.value]}）" for s in view.signatures
        )
        lines.append(t("card_signatures", items=items))
    if view.needed:
        lines.append(t("card_needed", items="、".join(texts.ROLE[r.value] for r in view.needed)))
    if view.state is DraftState.PUBLISHED:
        if view.kind is PostKind.REPOST:
            lines.append(
                t(
                    "post_published_repost",
                    when=_when(view.published_at),
                    source=escape(view.source),
                    reviewer=escape(view.reviewer),
                )
            )
        else:
            lines.append(
                t(
                    "post_published",
                    when=_when(view.published_at),
                    drafter=escape(view.drafter),
                    reviewer=escape(view.reviewer),
                    signer=escape(view.signer),
                )
            )
        lines += after_publication(view, view.notice)
    elif view.state is DraftState.REJECTED:
        key = "post_withdrawn" if view.notice == "withdrawn" else "card_rejected"
        lines.append(t(key, reason=escape(view.reject_reason or "")))
        if view.notice == "original_withdrawn":
            lines.append(t("post_card_original_withdrawn"))
    elif view.state is DraftState.UNDELIVERABLE:
        lines.append(t("post_undeliverable"))
    text = "\n\n".join(lines)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    if view.state is DraftState.PENDING:
        return text, post_keyboard(view)
    if view.withdrawable:
        data = ReviewButton(Action.WITHDRAW, view.id, view.version, prefix=POST_PREFIX).pack()
        button = InlineKeyboardButton(t("btn_post_withdraw"), callback_data=data)
        return text, InlineKeyboardMarkup([[button]])
    if view.correctable:
        row = [
            InlineKeyboardButton(
                t(label),
                callback_data=ReviewButton(
                    action, view.id, view.version, prefix=POST_PREFIX
                ).pack(),
            )
            for label, action in (
                ("btn_post_correct", Action.CORRECT),
                ("btn_post_take_down", Action.WITHDRAW),
            )
        ]
        return text, InlineKeyboardMarkup([row])
    return text, None


def post_keyboard(view: PostView) -> InlineKeyboardMarkup:
    def button(label: str, action: Action) -> InlineKeyboardButton:
        data = ReviewButton(action, view.id, view.version, prefix=POST_PREFIX).pack()
        return InlineKeyboardButton(label, callback_data=data)

    approve = approve_button_label(view.tier, view.needed, signed=bool(view.signatures))
    return InlineKeyboardMarkup(
        [
            [
                button(approve, Action.APPROVE),
                button(t("btn_edit"), Action.EDIT),
                button(t("btn_reject"), Action.REJECT),
            ],
            [button(t("btn_raise"), Action.RAISE)],
        ]
    )


def render_post(view: PostView) -> str:
    """The post as the channel's readers see it (plain text): the text and its stamp; a
    repost names its source and its reviewer (RULES §1); a correction says so."""
    if view.kind is PostKind.REPOST:
        text = view.text + t("post_stamp_repost", source=view.source, reviewer=view.reviewer)
    else:
        text = view.text + t(
            "post_stamp", drafter=view.drafter, reviewer=view.reviewer, signer=view.signer
        )
    if view.corrects_id is not None:
        text += t("post_corrected", when=_when(view.decided_at))
    return text
