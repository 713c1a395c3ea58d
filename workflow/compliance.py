"""Pre-publish compliance check of a draft reply (RULES §2, §3, §4; issue 6 §5).

This module owns `check_reply`, which lists what is wrong with a draft before anyone signs it:
personal data still present, links or advertising, first-person opinions or emotional wording,
luring people to follow, like or share (or buying followers), a cold or shirking tone, words
from the banned-content categories, and answers that do not address the question. The
word lists and patterns are admin-editable data (`workflow/data/compliance_lists.json`), loaded
with `ComplianceLists.load`. Whether a finding blocks sign-off is decided here; overriding a
block (top-tier signer, with a reason) is the review workflow's business.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from knowledge_base.text import to_simplified
from workflow.errors import ImportFailed
from workflow.redaction import PII_LABELS, PiiType, find_pii, mask_span

logger = logging.getLogger(__name__)

LISTS_PATH = Path(__file__).parent / "data" / "compliance_lists.json"
OFF_TOPIC_THRESHOLD = 0.08



class FindingCode(StrEnum):
    """Kinds of compliance problems a draft reply can have."""

    PII = "pii"
    LINK_OR_AD = "link_or_ad"
    PERSONAL_OPINION = "personal_opinion"
    BANNED_WORD = "banned_word"
    OFF_TOPIC = "off_topic"
    INDUCED_ENGAGEMENT = "induced_engagement"  # RULES §7: no forcing follows, likes, shares
    COLD_TONE = "cold_tone"  # RULES §2: 杜绝生硬冷漠 (shirking, brushing the citizen off)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with a draft; `detail` never repeats personal data unmasked."""

    code: FindingCode
    detail: str
    blocking: bool


@dataclass(frozen=True)
class ComplianceLists:
    """The admin-curated lists behind the check."""

    banned: dict[str, tuple[str, ...]]
    opinion_patterns: tuple[re.Pattern[str], ...]
    ad_patterns: tuple[re.Pattern[str], ...]
    engagement_patterns: tuple[re.Pattern[str], ...] = ()
    cold_tone_patterns: tuple[re.Pattern[str], ...] = ()
    allowed_link_domains: tuple[str, ...] = ("gov.cn",)
    # On knowledge_base.similarity's scale (0: no more alike than unrelated texts), fitted for
    # multilingual-e5-small and all-MiniLM-L6-v2 (bench/similarity.py).
    off_topic_threshold: float = OFF_TOPIC_THRESHOLD
    blocking: dict[FindingCode, bool] = field(default_factory=dict)
    # Weibo measures Art. 14: categories of suspected illegal content in citizens' messages.
    illegal: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    # A citizen reporting it ("有人在卖…，请查处") is no offender, though their words match.
    report_cues: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def load(cls, path: Path | None = None) -> ComplianceLists:
        """Read the lists from JSON (default: the built-in workflow/data/compliance_lists.json).

        Raises:
            ImportFailed: the file is not JSON, or a pattern is not a valid regex.
        """
        path = path or LISTS_PATH
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problem = f"is not JSON ({exc.msg})"
            raise ImportFailed(str(path), exc.lineno, "(file)", problem) from exc

        def compile_all(
            key: str, patterns: list[str] | None = None
        ) -> tuple[re.Pattern[str], ...]:
            try:
                return tuple(
                    re.compile(p) for p in (raw.get(key, []) if patterns is None else patterns)
                )
            except re.error as exc:
                raise ImportFailed(str(path), 0, key, f"has an invalid regex ({exc})") from exc

        blocking = {FindingCode(k): bool(v) for k, v in raw.get("blocking", {}).items()}
        return cls(
            banned={k: tuple(v) for k, v in raw.get("banned_categories", {}).items()},
            opinion_patterns=compile_all("opinion_patterns"),
            ad_patterns=compile_all("ad_patterns"),
            engagement_patterns=compile_all("engagement_patterns"),
            cold_tone_patterns=compile_all("cold_tone_patterns"),
            allowed_link_domains=tuple(raw.get("allowed_link_domains", ["gov.cn"])),
            off_topic_threshold=float(raw.get("off_topic_threshold", OFF_TOPIC_THRESHOLD)),
            blocking=blocking,
            illegal={
                category: compile_all(f"illegal_content.{category}", patterns)
                for category, patterns in raw.get("illegal_content", {}).items()
            },
            report_cues=compile_all("report_cues"),
        )

    def is_blocking(self, code: FindingCode) -> bool:
        """Whether findings of this code block sign-off (default: yes, issue 6 §5)."""
        return self.blocking.get(code, True)


def _normalise(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def _is_allowed_link(link: str, allowed: tuple[str, ...]) -> bool:
    host = re.sub(r"^(https?://)?(www\.)?", "", link).split("/")[0].split("?")[0]
    return any(host == d or host.endswith("." + d) for d in allowed)


def _pii_findings(reply: str, lists: ComplianceLists) -> list[Finding]:
    findings = []
    for span in find_pii(reply):
        masked = mask_span(reply[span.start : span.end], span.type)
        detail = f"{PII_LABELS[span.type]}：{masked}"
        findings.append(Finding(FindingCode.PII, detail, lists.is_blocking(FindingCode.PII)))
    return findings


def _pattern_findings(
    text: str, patterns: tuple[re.Pattern[str], ...], code: FindingCode, lists: ComplianceLists
) -> list[Finding]:
    findings = []
    seen: set[str] = set()
    for pattern in patterns:
        for match in pattern.finditer(text):
            hit = match.group()
            if hit in seen:
                continue
            if code is FindingCode.LINK_OR_AD and _is_allowed_link(
                hit, lists.allowed_link_domains
            ):
                continue
            if code is FindingCode.LINK_OR_AD and "@" in text[max(0, match.start() - 1)]:
                continue  # the domain of an e-mail address; the PII check handles addresses
            seen.add(hit)
            findings.append(Finding(code, f"“{hit}”", lists.is_blocking(code)))
    return findings


def _banned_findings(text: str, lists: ComplianceLists) -> list[Finding]:
    return [
        Finding(
            FindingCode.BANNED_WORD,
            f"“{word}”（{category}）",
            lists.is_blocking(FindingCode.BANNED_WORD),
        )
        for category, words in lists.banned.items()
        for word in words
        if word.lower() in text
    ]


@dataclass(frozen=True, slots=True)
class IllegalHit:
    """Why a citizen's message is suspected illegal content: its category and the words."""

    category: str
    matched: tuple[str, ...]


def illegal_content(text: str, lists: ComplianceLists) -> IllegalHit | None:
    """The first category of suspected illegal content (gambling, drugs, weapons, ...) whose
    patterns match `text`, with every matching phrase of it; None when none does.

    Only meaningful for a message already triaged as an ad or abuse: a citizen *reporting*
    gambling next door names the same words and is a complaint."""
    folded = _normalise(text)
    for category, patterns in lists.illegal.items():
        matched = tuple(dict.fromkeys(m.group() for p in patterns for m in p.finditer(folded)))
        if matched:
            return IllegalHit(category, matched)
    return None


def reads_as_report(text: str, lists: ComplianceLists) -> bool:
    """Whether a message that names illegal content reads as someone reporting it."""
    folded = _normalise(text)
    return any(p.search(folded) for p in lists.report_cues)


def off_topic_detail(score: float, threshold: float) -> str:
    """The off-topic finding's detail, e.g. "相关度 0.03，低于 0.08"."""
    return f"相关度 {score:.2f}，低于 {threshold:.2f}"


# Details stored in English before they were written in Chinese (drafts still pending).
_LEGACY_DETAILS = (
    (re.compile(r"^similarity (\d+\.\d+) below (\d+\.\d+)$"), "相关度 {0}，低于 {1}"),
    (re.compile(r"^matched '(.*)'$", re.S), "“{0}”"),
    (re.compile(r"^'(.*)' \((.*)\)$", re.S), "“{0}”（{1}）"),
)


def readable_detail(code: str, detail: str) -> str:
    """A stored finding's detail as operators read it: one written in English by an older
    version ("similarity 0.16 below 0.20", "matched '…'", "mobile still present: …") in
    Chinese; any other as it is."""
    if code == FindingCode.PII and " still present: " in detail:
        kind, masked = detail.split(" still present: ", 1)
        label = PII_LABELS[PiiType(kind)] if kind in set(PiiType) else "个人信息"
        return f"{label}：{masked}"
    for pattern, template in _LEGACY_DETAILS:
        match = pattern.match(detail)
        if match:
            return template.format(*match.groups())
    return detail


def check_reply(
    message: str,
    reply: str,
    similarity: Callable[[str, str], float] | None,
    lists: ComplianceLists,
) -> list[Finding]:
    """Check a draft reply to `message` before sign-off; an empty list means it passes.

    Args:
        message: the citizen's message the reply answers.
        reply: the draft text as it would be published.
        similarity: question-answer relevance in [0, 1] (the matcher provides it); None skips
            the off-topic check.
        lists: the admin-curated lists (`ComplianceLists.load()`).
    """
    text = _normalise(reply)
    findings = _pii_findings(reply, lists)
    findings += _pattern_findings(text, lists.ad_patterns, FindingCode.LINK_OR_AD, lists)
    findings += _pattern_findings(
        text, lists.opinion_patterns, FindingCode.PERSONAL_OPINION, lists
    )
    # RULES §7: no buying followers, no forcing or luring people to follow, like or share.
    findings += _pattern_findings(
        text, lists.engagement_patterns, FindingCode.INDUCED_ENGAGEMENT, lists
    )
    # RULES §2: sincere and careful, no cold bureaucratic tone, no brushing the citizen off.
    findings += _pattern_findings(text, lists.cold_tone_patterns, FindingCode.COLD_TONE, lists)
    findings += _banned_findings(text, lists)
    if similarity is not None and message.strip() and reply.strip():
        score = similarity(message, reply)
        if score < lists.off_topic_threshold:
            # RULES §2: 杜绝答非所问 — the reply must address the question asked.
            detail = off_topic_detail(score, lists.off_topic_threshold)
            blocking = lists.is_blocking(FindingCode.OFF_TOPIC)
            findings.append(Finding(FindingCode.OFF_TOPIC, detail, blocking))
    if findings:
        logger.info("compliance check: %d finding(s)", len(findings))
    return findings
