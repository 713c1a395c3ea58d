"""Suspected illegal content (Weibo measures Art. 14: 涉嫌违法的内容报告主管部门): the report
form for the competent authority (网信, 公安), as .docx bytes.

Detection is `compliance.illegal_content` (admin-editable patterns); what routing does with a
hit (delete, restrict, open the case, tell the leaders) is `routing_actions`. This module only
renders the form from the case as it stands; its wording lives in
`workflow/data/illegal_report_template.json`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from workflow.docx_forms import Fill, render_form

logger = logging.getLogger(__name__)

TEMPLATE_PATH = Path(__file__).parent / "data" / "illegal_report_template.json"


@dataclass(frozen=True)
class IllegalReportInfo:
    """What the report form needs to know about one case of suspected illegal content.

    `text` is de-identified unless `unmasked` (the admin's evidence export)."""

    ticket: str
    unit_name: str
    category: str
    matched: tuple[str, ...]
    chat_kind: str  # "discussion" or "private"
    sender: str
    sender_id: int
    sent_at: str
    chat_id: int
    message_id: int
    text: str
    unmasked: bool = False
    photos: int = 0
    removed: bool = False
    restricted_hours: float = 0
    official_account: str = ""
    reported_at: str = ""
    handler: str = ""
    date: date = field(default_factory=date.today)


@cache
def _template() -> dict[str, Any]:
    return dict(json.loads(TEMPLATE_PATH.read_text(encoding="utf-8")))


def _values(info: IllegalReportInfo) -> Fill:
    template = _template()
    measures = [template["measures"]["evidence"]]
    if info.removed:
        measures.append(template["measures"]["removed"])
    if info.restricted_hours:
        hours = f"{info.restricted_hours:g}"
        measures.append(template["measures"]["restricted"].format(hours=hours))
    values = {
        "ticket": info.ticket,
        "unit_name": info.unit_name,
        "official_account": info.official_account,
        "category": info.category,
        "matched": "、".join(info.matched),
        "where": template["where"].get(info.chat_kind, info.chat_kind),
        "sender": info.sender,
        "sender_id": str(info.sender_id),
        "sent_at": info.sent_at,
        "chat_id": str(info.chat_id),
        "message_id": str(info.message_id),
        "text": info.text,
        "photos": template["photos"].format(n=info.photos) if info.photos else "无",
        "measures": "；".join(measures),
        "reported_at": info.reported_at,
        "handler": info.handler,
        "date": f"{info.date.year}年{info.date.month}月{info.date.day}日",
        "text_note": template["text_note"]["unmasked" if info.unmasked else "masked"],
    }
    return Fill({k: v for k, v in values.items() if v})


def render_authority_report(info: IllegalReportInfo) -> bytes:
    """The report of suspected illegal content for the competent authority (.docx)."""
    data = render_form(_template(), _values(info))
    logger.info("rendered the authority report for case %s", info.ticket)
    return data
