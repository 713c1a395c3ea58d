"""Impersonating accounts (RULES §6; issue 6 §3): who is reported, and the two documents.

This module owns pulling the reported account (name, handle, link, platform) out of a citizen's
message, and rendering from templates the letter asking the platform operator to shut the
account (致函平台运营方关停) and the filing record for the supervising office (报主管单位备案),
both as .docx bytes. The Chinese wording lives in `workflow/data/impersonation_templates.json`.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH

from knowledge_base.text import to_simplified
from workflow.docx_forms import Fill, fill, heading, new_document, render_form, to_bytes

logger = logging.getLogger(__name__)

TEMPLATES_PATH = Path(__file__).parent / "data" / "impersonation_templates.json"


@dataclass(frozen=True, slots=True)
class ReportedAccount:
    """The account a citizen reports; any part may be unknown (empty string)."""

    name: str = ""
    handle: str = ""
    link: str = ""
    platform: str = ""

    def is_empty(self) -> bool:
        return not (self.name or self.handle or self.link)


@dataclass(frozen=True)
class ImpersonationCaseInfo:
    """What the documents need to know about one impersonation case."""

    ticket: str
    unit_name: str
    account: ReportedAccount
    official_account: str = ""
    supervising_office: str = ""
    found_how: str = "接群众举报"
    reported_at: str = ""
    verified_at: str = ""
    verification_note: str = ""
    authorities_reported: str = ""
    letter_sent: str = ""
    evidence: tuple[str, ...] = ()
    outcome: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    handler: str = ""
    reviewer: str = ""
    date: date = field(default_factory=date.today)


@cache
def _templates() -> dict[str, Any]:
    return dict(json.loads(TEMPLATES_PATH.read_text(encoding="utf-8")))


_LINK_RE = re.compile(
    r"(?:https?://|www\.)[^\s，。、“”\"'）)]+|(?<![\w.])(?:t\.cn|dwz\.cn|url\.cn|b23\.tv|v\.douyin\.com)"
    r"/[A-Za-z0-9_\-]+",
    re.IGNORECASE,
)
_QUOTED_RE = re.compile(r"[“\"「『《‘']([^”\"」』》’']{2,30})[”\"」』》’']")
_GENERIC_PLATFORMS = frozenset({"微信", "电话", "网站"})
_BRACKET_RE = re.compile(r"【([^】]{2,20})】")
_SELF_NAMED_RE = re.compile(r"自称(?:是)?([^\s，。,“”\"]{2,15}?)(?:的(?:人|工作人员)|工作人员)")
# Quoted phrases that name the scam, not the account.
_NOT_NAMES = frozenset({"安全账户", "安全帐户", "社保补缴名额", "内部渠道", "保证金"})
_CALLED_RE = re.compile(
    r"(?:叫|名为|名叫|名字是|账号|帐号)(?:做)?[“\"「]?([^\s，。,“”\"「」]{2,20}?)[”\"」]?"
    r"(?=的(?:号|账号|帐号|公众号|群|小程序|抖音号|微博|网站)|[ ，。,]|$)"
)
_HANDLE_RES = (
    re.compile(r"@([A-Za-z0-9_\-\u4e00-\u9fff]{2,30})"),
    re.compile(
        r"(?:抖音号|快手号|微信号|微博号|视频号|小红书号|qq群号?|群号|qq号?|id|ID|账号)"
        r"[是为:：\s]*([A-Za-z0-9_\-]{3,40})",
        re.IGNORECASE,
    ),
    re.compile(r"(?:来电号码|号码|电话)[是为:：\s]*((?:400|800|95|0\d{2,3})[\d\-]{4,12})"),
)


def _platform(text: str) -> str:
    lowered = text.lower()
    found: list[tuple[bool, int, str]] = []
    for platform, keywords in _templates()["platforms"].items():
        for keyword in keywords:
            pos = lowered.find(keyword.lower())
            if pos != -1:
                # "微信里有个公众号": the specific platform beats the generic one.
                found.append((platform in _GENERIC_PLATFORMS, pos, platform))
    return min(found)[2] if found else ""


def extract_reported_account(text: str) -> ReportedAccount:
    """Find the reported account's name, handle, link and platform in a citizen's message."""
    folded = unicodedata.normalize("NFKC", text)
    simplified = to_simplified(folded)
    link_match = _LINK_RE.search(folded)
    link = link_match.group().rstrip(".") if link_match else ""
    without_link = _LINK_RE.sub(" ", folded)
    name = ""
    for pattern in (_BRACKET_RE, _QUOTED_RE, _SELF_NAMED_RE, _CALLED_RE):
        found = next(
            (m for m in pattern.finditer(without_link) if m.group(1) not in _NOT_NAMES), None
        )
        if found:
            name = found.group(1).strip()
            break
    handle = ""
    # The handle keywords are Simplified (抖音号); Traditional messages say 抖音號.
    simplified_without_link = to_simplified(without_link)
    for pattern in _HANDLE_RES:
        found = pattern.search(without_link) or pattern.search(simplified_without_link)
        if found and found.group(1) != name:
            handle = found.group(1)
            break
    if not name and handle and "@" + handle in without_link:
        name = handle  # a Weibo-style @screen name is the account's name too
    return ReportedAccount(name=name, handle=handle, link=link, platform=_platform(simplified))


def _values(case: ImpersonationCaseInfo) -> Fill:
    raw = asdict(case)
    account = raw.pop("account")
    values = {k: str(v) for k, v in raw.items() if v not in ("", None, ())}
    if case.evidence:
        values["evidence"] = "、".join(case.evidence)
    values["date"] = f"{case.date.year}年{case.date.month}月{case.date.day}日"
    values["account_name"] = account["name"]
    for key in ("handle", "link", "platform"):
        values[key] = account[key]
    return Fill({k: v for k, v in values.items() if v})


def render_platform_letter(case_info: ImpersonationCaseInfo) -> bytes:
    """The letter asking the platform operator to shut the impersonating account (.docx)."""
    template = _templates()["platform_letter"]
    values = _values(case_info)
    document = new_document()
    heading(document, fill(template["title"], values))
    document.add_paragraph(fill(template["reference"], values))
    document.add_paragraph(fill(template["recipient"], values))
    for paragraph in template["paragraphs"]:
        document.add_paragraph(fill(paragraph, values))
    for line in template["closing"]:
        closing = document.add_paragraph(fill(line, values))
        if line != template["closing"][0]:
            closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    logger.info("rendered platform letter for case %s", case_info.ticket)
    return to_bytes(document)


def render_filing_record(case_info: ImpersonationCaseInfo) -> bytes:
    """The filing record of the case for the supervising office (.docx)."""
    data = render_form(_templates()["filing_record"], _values(case_info))
    logger.info("rendered filing record for case %s", case_info.ticket)
    return data
