"""De-identification of citizen text (RULES §4, 去标识化).

This module owns finding personal data in a message (`find_pii`) and masking it (`redact` for
anything shown to operators or published, `redact_for_log` for log lines). It detects mainland
resident ID numbers (check digit validated), mobile and landline numbers, bank card numbers
(Luhn), e-mail addresses, licence plates, street addresses and personal names introduced by a
trigger word. Government hotlines (12345 ...), order numbers, credit codes, dates and amounts
are never masked. Word lists live in `workflow/data/pii_lexicon.json` so admins can extend them.

Span conventions follow the gov_dev README: Python str offsets, end-exclusive, covering the
surface form including separators and a `+86` prefix.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from knowledge_base.text import to_simplified

logger = logging.getLogger(__name__)

LEXICON_PATH = Path(__file__).parent / "data" / "pii_lexicon.json"


class PiiType(StrEnum):
    """Kinds of personal data the desk masks."""

    ID_CARD = "id_card"
    MOBILE = "mobile"
    LANDLINE = "landline"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    PLATE = "plate"
    ADDRESS = "address"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One piece of personal data: `text[start:end]` is of kind `type`."""

    start: int
    end: int
    type: PiiType


@dataclass(frozen=True, slots=True)
class _Lexicon:
    surnames: frozenset[str]
    compound_surnames: tuple[str, ...]
    name_triggers: tuple[str, ...]
    relation_triggers: tuple[str, ...]
    name_stop_chars: frozenset[str]
    name_blacklist_words: frozenset[str]
    titles: tuple[str, ...]
    address_stop_chars: str
    public_place_suffixes: tuple[str, ...]
    hotlines: frozenset[str]
    number_negative_context: tuple[str, ...]
    card_context: tuple[str, ...]
    landline_context: tuple[str, ...]


@functools.cache
def _lexicon() -> _Lexicon:
    raw = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    return _Lexicon(
        surnames=frozenset(raw["surnames"]),
        compound_surnames=tuple(raw["compound_surnames"]),
        name_triggers=tuple(sorted(raw["name_triggers"], key=len, reverse=True)),
        relation_triggers=tuple(sorted(raw["relation_triggers"], key=len, reverse=True)),
        name_stop_chars=frozenset(raw["name_stop_chars"]),
        name_blacklist_words=frozenset(raw["name_blacklist_words"]),
        titles=tuple(raw["titles"]),
        address_stop_chars=raw["address_stop_chars"],
        public_place_suffixes=tuple(raw["public_place_suffixes"]),
        hotlines=frozenset(raw["hotlines"]),
        number_negative_context=tuple(raw["number_negative_context"]),
        card_context=tuple(raw["card_context"]),
        landline_context=tuple(raw["landline_context"]),
    )


def government_hotlines() -> frozenset[str]:
    """The public service numbers that are never personal data (12345, 12333, 110 ...)."""
    return _lexicon().hotlines


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """Map one character to Simplified, half-width form; keep it if that changes the length."""
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if code == 0x3000:
        return " "
    if code < 0x2E80:
        return ch
    out = to_simplified(ch)
    return out if len(out) == 1 else ch


def _fold(text: str) -> str:
    # Character by character so offsets in the folded text equal offsets in the original.
    return "".join(_fold_char(ch) for ch in text)


_ID18_RE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){16}[ \-]?[0-9Xx](?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
_CARD_RE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){15,18}(?![0-9A-Za-z])")
# Letters may touch a number ("TEL13800138000", "vx13800138000"); the country code may come
# without "+" ("8613800138000").
_MOBILE_RE = re.compile(r"(?<![0-9+])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}(?!\d)")
_LANDLINE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:[(（]0\d{2,3}[)）]\s?|0\d{2,3}(?P<sep>[ \-]?))[2-8]\d{2,3}[ \-]?\d{4}"
    r"(?:(?:转|-|ext\.?)\d{1,5})?(?![0-9A-Za-z])"
)
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_PLATE_RE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领]"
    r"[A-HJ-NP-Z][·•.\- ]?[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳]{1,2}(?![A-Za-z0-9])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_CONTEXT = ("身份证", "证件号", "身份號", "公民身份")


def is_valid_id18(digits: str) -> bool:
    """True for an 18-character mainland ID with a plausible birth date and a valid check digit."""
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    if not (1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17].upper()


def is_luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum used by bank cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit() or ch in "Xx")


def _before(text: str, start: int, width: int = 8) -> str:
    return text[max(0, start - width) : start]


def _has_context(text: str, start: int, words: tuple[str, ...], width: int = 8) -> bool:
    window = _before(text, start, width)
    return any(w in window for w in words)


def _numbers(text: str) -> list[PiiSpan]:
    lex = _lexicon()
    spans: list[PiiSpan] = []
    for m in _ID18_RE.finditer(text):
        if is_valid_id18(_digits(m.group())) and not _has_context(
            text, m.start(), lex.number_negative_context
        ):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.ID_CARD))
    for m in _ID15_RE.finditer(text):
        d = m.group()
        month, day = int(d[8:10]), int(d[10:12])
        if 1 <= month <= 12 and 1 <= day <= 31 and _has_context(text, m.start(), _ID_CONTEXT, 12):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.ID_CARD))
    for m in _CARD_RE.finditer(text):
        d = _digits(m.group())
        if not is_luhn_valid(d) or _has_context(text, m.start(), lex.number_negative_context):
            continue
        # A UnionPay/Visa/Master prefix or the word 卡号 nearby; order numbers start with 20xx.
        if d[0] in "3456" or _has_context(text, m.start(), lex.card_context, 12):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.BANK_CARD))
    for m in _MOBILE_RE.finditer(text):
        if not _has_context(text, m.start(), lex.number_negative_context, 6):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.MOBILE))
    for m in _LANDLINE_RE.finditer(text):
        separated = m.group("sep") is None or bool(m.group("sep")) or "-" in m.group()
        if m.group().startswith("0" * 2):
            continue
        if separated or _has_context(text, m.start(), lex.landline_context):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.LANDLINE))
    return spans


def _emails_and_plates(text: str) -> list[PiiSpan]:
    spans = [
        PiiSpan(m.start(), m.end(), PiiType.EMAIL)
        for m in _EMAIL_RE.finditer(text)
        # Government mailboxes (市长信箱 ...) are public contact details, not personal data.
        if not m.group().lower().endswith(".gov.cn")
    ]
    spans += [PiiSpan(m.start(), m.end(), PiiType.PLATE) for m in _PLATE_RE.finditer(text)]
    return spans


@functools.cache
def _address_re() -> re.Pattern[str]:
    stop = re.escape(_lexicon().address_stop_chars)
    cjk = rf"[^\W\d_A-Za-z{stop}]"
    return re.compile(
        rf"(?:{cjk}{{1,6}}?(?:省|自治区))?"
        rf"(?:{cjk}{{1,6}}?市)?"
        rf"(?:{cjk}{{1,6}}?(?:区|县|旗))?"
        rf"(?:{cjk}{{1,6}}?(?:街道|镇|乡))?"
        rf"{cjk}{{1,8}}?(?:路|街|大道|大街|巷|胡同|弄|里|村|组)\d+号(?:附\d+号|之\d+)?"
        rf"(?:{cjk}{{1,8}}?(?:小区|花园|苑|公寓|大厦|家园|新村|社区|广场|园))?"
        r"(?:\d+(?:栋|幢|号楼|座|楼))?(?:\d+单元)?(?:\d+(?:室|号|楼)?)?"
    )


def _addresses(text: str) -> list[PiiSpan]:
    lex = _lexicon()
    spans = []
    for m in _address_re().finditer(text):
        tail = text[m.end() : m.end() + 8]
        head = _before(text, m.start(), 10)
        # RULES §4 protects private persons: a public office's address is not personal data.
        if any(tail.startswith(s) or s in head for s in lex.public_place_suffixes):
            continue
        spans.append(PiiSpan(m.start(), m.end(), PiiType.ADDRESS))
    return spans


def _is_cjk(ch: str) -> bool:
    return bool(ch) and "\u4e00" <= ch <= "\u9fff"


def _name_at(text: str, pos: int) -> int:
    """Length of a personal name starting at `pos`, or 0 when there is none."""
    lex = _lexicon()
    surname_len = 0
    for comp in lex.compound_surnames:
        if text.startswith(comp, pos):
            surname_len = len(comp)
            break
    if not surname_len and pos < len(text) and text[pos] in lex.surnames:
        surname_len = 1
    if not surname_len:
        return 0
    rest = text[pos + surname_len :]
    if any(rest.startswith(t) for t in lex.titles):
        return 0
    given = 0
    for ch in rest[:2]:
        if not _is_cjk(ch) or ch in lex.name_stop_chars:
            break
        given += 1
    if given == 0:
        return 0
    if text[pos : pos + surname_len + 1] in lex.name_blacklist_words:
        return 0
    return surname_len + given


def _names(text: str) -> list[PiiSpan]:
    lex = _lexicon()
    spans: list[PiiSpan] = []
    pos = 0
    while pos < len(text):
        trigger = next((t for t in lex.name_triggers if text.startswith(t, pos)), None)
        relation = False
        if trigger is None:
            trigger = next((t for t in lex.relation_triggers if text.startswith(t, pos)), None)
            relation = True
        if trigger is None:
            pos += 1
            continue
        cur = pos + len(trigger)
        while cur < len(text) and text[cur] in " ：:是叫为做":
            cur += 1
        length = _name_at(text, cur)
        spaced = " " in text[pos + len(trigger) : cur]
        if relation and spaced and _is_cjk(text[cur + length : cur + length + 1]):
            # 我老婆 王秀兰 is a name; 带孩子 高血压要… is not: after a relation word and a
            # space, the name must end at a space, punctuation or digit.
            length = 0
        if length:
            spans.append(PiiSpan(cur, cur + length, PiiType.NAME))
            pos = cur + length
        else:
            pos += len(trigger)
    return spans


def _is_hotline(text: str, span: PiiSpan) -> bool:
    if span.type not in (PiiType.MOBILE, PiiType.LANDLINE):
        return False
    return _digits(text[span.start : span.end]) in government_hotlines()


# Earlier types win overlaps: a valid ID beats a Luhn-valid card of the same digits.
_PRIORITY = {t: i for i, t in enumerate(PiiType)}


def find_pii(text: str) -> list[PiiSpan]:
    """Find personal data in `text`; spans are sorted and never overlap."""
    folded = _fold(text)
    candidates = (
        _numbers(folded) + _emails_and_plates(folded) + _addresses(folded) + _names(folded)
    )
    candidates = [s for s in candidates if not _is_hotline(folded, s)]
    candidates.sort(key=lambda s: (_PRIORITY[s.type], -(s.end - s.start), s.start))
    chosen: list[PiiSpan] = []
    for span in candidates:
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


_TAGS = {
    PiiType.ID_CARD: "[身份证号]",
    PiiType.MOBILE: "[手机号]",
    PiiType.LANDLINE: "[电话]",
    PiiType.BANK_CARD: "[银行卡号]",
    PiiType.EMAIL: "[邮箱]",
    PiiType.PLATE: "[车牌]",
    PiiType.ADDRESS: "[地址]",
    PiiType.NAME: "[姓名]",
}


def _mask_digits(surface: str, head: int, tail: int) -> str:
    """Star every digit except the first `head` and last `tail`, keeping separators."""
    positions = [i for i, ch in enumerate(surface) if ch.isdigit() or ch in "Xx"]
    hidden = set(positions[head : len(positions) - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(surface))


def mask_span(surface: str, kind: PiiType) -> str:
    """Masked form of one piece of personal data that keeps a hint of its shape."""
    if kind is PiiType.MOBILE:
        prefix = ""
        m = re.match(r"(?:\+|00)86[ \-]?", surface)
        if m:
            prefix, surface = m.group(), surface[m.end() :]
        return prefix + _mask_digits(surface, 3, 4)
    if kind in (PiiType.ID_CARD, PiiType.BANK_CARD):
        return _mask_digits(surface, 4, 4)
    if kind is PiiType.LANDLINE:
        m = re.match(r"[(（]?0\d{2,3}[)）]?[ \-]?", surface)
        area = m.group() if m else ""
        return area + _mask_digits(surface[len(area) :], 0, 4)
    if kind is PiiType.EMAIL:
        local, _, domain = surface.partition("@")
        return local[:1] + "***@" + domain
    if kind is PiiType.PLATE:
        return (
            surface[:2]
            + "".join("*" if ch.isalnum() else ch for ch in surface[2:-1])
            + (surface[-1])
        )
    if kind is PiiType.NAME:
        surname = 2 if len(surface) == 4 else 1
        return surface[:surname] + "*" * (len(surface) - surname)
    return _TAGS[kind]


def redact(text: str) -> str:
    """Mask personal data for operators and public replies: 138****5678, 张**, [地址]."""
    out, last = [], 0
    for span in find_pii(text):
        out.append(text[last : span.start])
        out.append(mask_span(text[span.start : span.end], span.type))
        last = span.end
    out.append(text[last:])
    return "".join(out)


_LONG_DIGITS_RE = re.compile(r"\d{6,}")


def redact_for_log(text: str, limit: int = 200) -> str:
    """Stricter masking for log lines: type tags only, any long digit run starred, truncated."""
    out, last = [], 0
    for span in find_pii(text):
        out.append(text[last : span.start])
        out.append(_TAGS[span.type])
        last = span.end
    out.append(text[last:])
    masked = _LONG_DIGITS_RE.sub(lambda m: "*" * len(m.group()), "".join(out))
    return masked if len(masked) <= limit else masked[:limit] + "…"
