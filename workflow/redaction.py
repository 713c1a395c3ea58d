"""De-identification of citizen text (RULES §4, 去标识化).

This module owns finding personal data in a message (`find_pii`) and masking it (`redact` for
anything shown to operators or published, `redact_for_log` for log lines). It detects mainland
resident ID numbers (check digit validated; a run of 17 or 19 that looks like an ID with a digit
lost or doubled), mobile and landline numbers (a mobile also digit by digit apart or in Chinese
numerals, 一三八…, 幺, 两), bank card numbers (Luhn), e-mail addresses, licence plates, street
addresses (with or without a district: 幸福路18号3栋502, 光明小区5幢1203) and personal names,
after a trigger word (我叫刘十三) or without one when the context says it is a person (王 小明说…,
告诉马晓东, 李秀英阿姨; common words such as 张贴/高速/马上 are told apart with jieba's
dictionary). Government hotlines (12345 ...), public offices' addresses, a road without a house
number, a surname with a title (王主任), order numbers, credit codes, dates and amounts are never
masked. Word lists
live in `workflow/data/pii_lexicon.json` so admins can extend them; the shapes of numbers (check
digits, Luhn, a mobile's spellings) in `workflow/pii_numbers.py`.

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
from workflow.pii_numbers import (
    CN_NUMERALS,
    is_luhn_valid,
    is_mistyped_id,
    is_valid_id18,
    mobile_spans,
)

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
    numeral_name_triggers: tuple[str, ...]
    numeral_name_stop_after: frozenset[str]
    titles: tuple[str, ...]
    address_stop_chars: str
    public_place_suffixes: tuple[str, ...]
    hotlines: frozenset[str]
    number_negative_context: tuple[str, ...]
    card_context: tuple[str, ...]
    landline_context: tuple[str, ...]
    name_left_cues: tuple[str, ...]
    name_right_cues: tuple[str, ...]
    name_common_word_min_freq: int
    address_generic_places: frozenset[str]
    given_name_chars: frozenset[str]


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
        numeral_name_triggers=tuple(raw["numeral_name_triggers"]),
        numeral_name_stop_after=frozenset(raw["numeral_name_stop_after"]),
        titles=tuple(raw["titles"]),
        address_stop_chars=raw["address_stop_chars"],
        public_place_suffixes=tuple(raw["public_place_suffixes"]),
        hotlines=frozenset(raw["hotlines"]),
        number_negative_context=tuple(raw["number_negative_context"]),
        card_context=tuple(raw["card_context"]),
        landline_context=tuple(raw["landline_context"]),
        name_left_cues=tuple(raw["name_left_cues"]),
        name_right_cues=tuple(raw["name_right_cues"]),
        name_common_word_min_freq=int(raw["name_common_word_min_freq"]),
        address_generic_places=frozenset(raw["address_generic_places"]),
        given_name_chars=frozenset(raw["given_name_chars"]),
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
# 17 or 19 characters: an ID with a digit lost or doubled (checked by `is_mistyped_id`).
_ID_TYPO_RE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){15,17}[ \-]?[0-9Xx](?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
_CARD_RE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){15,18}(?![0-9A-Za-z])")
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
_ID_CONTEXT = ("身份证", "证件号", "身份號", "公民身份")


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit() or ch in "Xx")


def _before(text: str, start: int, width: int = 8) -> str:
    return text[max(0, start - width) : start]


def _has_context(text: str, start: int, words: tuple[str, ...], width: int = 8) -> bool:
    window = _before(text, start, width)
    return any(w in window for w in words)


def _is_card(text: str, start: int, digits: str) -> bool:
    lex = _lexicon()
    if not digits.isdigit() or not is_luhn_valid(digits):
        return False
    if _has_context(text, start, lex.number_negative_context):
        return False
    # A UnionPay/Visa/Master prefix or the word 卡号 nearby; order numbers start with 20xx.
    return digits[0] in "3456" or _has_context(text, start, lex.card_context, 12)


def _ids(text: str) -> list[PiiSpan]:
    negative = _lexicon().number_negative_context
    spans: list[PiiSpan] = []
    for m in _ID18_RE.finditer(text):
        d = _digits(m.group())
        if _has_context(text, m.start(), negative):
            continue
        # A wrong check digit is a typo when the citizen says it is their ID (身份证…).
        if is_valid_id18(d) or (
            _has_context(text, m.start(), _ID_CONTEXT, 12) and is_mistyped_id(d)
        ):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.ID_CARD))
    for m in _ID_TYPO_RE.finditer(text):
        d = _digits(m.group())
        if len(d) == 18 or _has_context(text, m.start(), negative):
            continue
        # After 身份证… any unbroken run of 17 or 19 is one; a spaced one may be two numbers.
        said = d == m.group() and _has_context(text, m.start(), _ID_CONTEXT, 12)
        if said or (is_mistyped_id(d) and not _is_card(text, m.start(), d)):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.ID_CARD))
    for m in _ID15_RE.finditer(text):
        d = m.group()
        month, day = int(d[8:10]), int(d[10:12])
        if 1 <= month <= 12 and 1 <= day <= 31 and _has_context(text, m.start(), _ID_CONTEXT, 12):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.ID_CARD))
    return spans


def _numbers(text: str) -> list[PiiSpan]:
    lex = _lexicon()
    spans = _ids(text)
    for m in _CARD_RE.finditer(text):
        if _is_card(text, m.start(), _digits(m.group())):
            spans.append(PiiSpan(m.start(), m.end(), PiiType.BANK_CARD))
    for start, end in mobile_spans(text):
        if not _has_context(text, start, lex.number_negative_context, 6):
            spans.append(PiiSpan(start, end, PiiType.MOBILE))
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
    estate = r"(?:小区|花园|苑|公寓|大厦|家园|新村|社区|广场|园|村|里)"
    # 3栋, 5幢, 9号楼, B座, 3号院; 502 or 502室 after it; 楼 of 楼下/楼上 is no floor.
    building = r"(?:\d+|[A-Za-z])(?:栋|幢|号楼|座|号院|楼(?![下上道梯顶房]))"
    room = r"\d+(?:室|号)?(?!\d)"
    tail = rf"(?:{building}(?:\d+单元)?(?:{room})?|\d+单元(?:{room})?|\d+室)?"
    return re.compile(
        rf"(?:{cjk}{{1,6}}?(?:省|自治区))?"
        rf"(?:{cjk}{{1,6}}?市)?"
        rf"(?:{cjk}{{1,6}}?(?:区|县|旗))?"
        rf"(?:{cjk}{{1,6}}?(?:街道|镇|乡))?"
        # A house number on a road, lane or village (幸福路18号, 建设大街7号院, 东湖村3组27号) ...
        rf"(?:(?P<road>{cjk}{{1,8}}?)(?:路|街|大道|大街|巷|胡同|弄|里|村|组|道)(?:\d+组)?\d+号(?!楼)"
        rf"(?:院)?(?:附\d+号|之\d+)?(?:{cjk}{{1,8}}?{estate})?{tail}"
        # ... or a building in a named estate (光明小区5幢1203, 锦绣花园12栋3单元601).
        rf"|(?P<estate>{cjk}{{1,8}}?){estate}{building}(?:\d+单元)?(?:{room})?)"
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
        if m.group("estate") in lex.address_generic_places:
            continue  # 隔壁小区3栋 names no one's home
        spans.append(PiiSpan(m.start(), m.end(), PiiType.ADDRESS))
    return spans


def _is_cjk(ch: str) -> bool:
    return bool(ch) and "\u4e00" <= ch <= "\u9fff"


_NAME_NUMERALS = "一二三四五六七八九十"


def _name_at(text: str, pos: int, numerals: bool = False) -> int:
    """Length of a personal name starting at `pos`, or 0 when there is none.

    With `numerals` (after 我叫/我是/本人 …) the given name may hold numerals: 刘十三, 王二.
    """
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
        numeral = numerals and ch in _NAME_NUMERALS
        if not _is_cjk(ch) or (ch in lex.name_stop_chars and not numeral):
            break
        given += 1
    if given == 0:
        return 0
    if text[pos : pos + surname_len + 1] in lex.name_blacklist_words:
        return 0
    # 王三年级, 张三楼, 包三个月: a numeral before a measure word counts things, it names nobody.
    numeral_ends = [i + 1 for i, ch in enumerate(rest[:given]) if ch in _NAME_NUMERALS]
    after = rest[numeral_ends[-1] : numeral_ends[-1] + 1] if numeral_ends else ""
    if after and (after in lex.numeral_name_stop_after or after in _NAME_NUMERALS):
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
        length = _name_at(text, cur, numerals=trigger in lex.numeral_name_triggers)
        spaced = " " in text[pos + len(trigger) : cur]
        if relation and spaced and _is_cjk(text[cur + length : cur + length + 1]):
            # 我老婆 王秀兰 is a name; 带孩子 高血压要… is not: after a relation word and a
            # space, the name must end at a space, punctuation or digit.
            length = 0
        if relation and text[cur : cur + 2] in _common_words():
            length = 0  # 找黄牛代办: after 找, 车主 … a common word is no name
        if length:
            spans.append(PiiSpan(cur, cur + length, PiiType.NAME))
            pos = cur + length
        else:
            pos += len(trigger)
    return spans


@functools.cache
def _common_words() -> frozenset[str]:
    """Words of jieba's bundled dictionary that start with a surname: 张贴, 高速, 马上, 周末.

    Only words at least `name_common_word_min_freq` frequent count, so rare entries that are
    names themselves (黄志强, 3) stay possible names. Read once (about 0.1 s), kept in memory.
    """
    import jieba

    lex = _lexicon()
    heads = lex.surnames | {c[0] for c in lex.compound_surnames}
    min_freq = lex.name_common_word_min_freq
    out = set()
    with jieba.get_dict_file() as f:
        for raw in f:
            word, freq, tag = raw.decode("utf-8").split()
            if len(word) > 2 and tag.startswith("nr"):
                continue  # 蔡文静, 黄志强: a person's name (two-character entries are mistagged)
            if 2 <= len(word) <= 4 and word[0] in heads and int(freq) >= min_freq:
                out.add(word)
    return frozenset(out)


_PERSON_TITLES_MIN_LEN = 2


def _name_chars(text: str, pos: int, count: int) -> list[int]:
    """Offsets of up to `count` CJK characters from `pos`, allowing one space between them."""
    out: list[int] = []
    i = pos
    while len(out) < count and i < len(text):
        if text[i] == " " and out and i + 1 < len(text) and text[i + 1] != " ":
            i += 1
        if not _is_cjk(text[i]):
            break
        out.append(i)
        i += 1
    return out


def _clause_edge(ch: str) -> bool:
    return not ch or not (_is_cjk(ch) or ch.isalnum())


def _free_name_at(text: str, pos: int) -> int:
    """End of a personal name at `pos` that no trigger word introduced, or 0.

    王 小明说…, 刘十三在窗口…, 请转告张伟主任: a surname, one or two given characters (a
    space between them allowed), evidence on both sides (the clause start or a cue word such
    as 告诉/和/邻居 before, the clause end or 说/在/的/家/反映 after) or a person's title after
    (阿姨, 师傅). A full name is masked whatever title follows it: the desk cannot tell an
    official from a private person, while a surname and a title (王主任) stay.
    """
    lex = _lexicon()
    surname = next((c for c in lex.compound_surnames if text.startswith(c, pos)), "")
    if not surname and text[pos] in lex.surnames:
        surname = text[pos]
    if not surname:
        return 0
    chars = _name_chars(text, pos, len(surname) + 2)
    compact = "".join(text[i] for i in chars)
    if len(compact) <= len(surname) or not compact.startswith(surname):
        return 0
    common = _common_words()
    # 张贴, 高速, 马上, 王府井, 孔明灯: the surname begins a common word.
    if any(compact[:k] in common for k in range(len(surname) + 1, len(compact) + 1)):
        return 0
    if any(text.startswith(t, chars[len(surname)]) for t in lex.titles):
        return 0  # 王主任, 刘科长: a surname and a title name an office, not a person
    before = text[:pos]
    cue = next((c for c in lex.name_left_cues if before.endswith(c)), "")
    left = bool(cue) or _clause_edge(before[-1:])
    for given in (2, 1):
        if len(chars) < len(surname) + given:
            continue
        name = chars[: len(surname) + given]
        given_chars = compact[len(surname) : len(surname) + given]
        if any(ch in lex.name_stop_chars and ch not in _NAME_NUMERALS for ch in given_chars):
            continue
        if given == 2 and text.startswith(lex.titles, name[-1]):
            continue  # 张伟主任: 主 starts the title
        if not any(ch in lex.given_name_chars or ch in _NAME_NUMERALS for ch in given_chars):
            continue  # 包过, 让车进, 的钱怎么: no character people name a child with
        if any(
            ch in lex.surnames and text.startswith(lex.titles, i + 1)
            for ch, i in zip(given_chars, name[len(surname) :], strict=True)
        ):
            return 0  # 和刘女士: 刘女士 is a surname and a title
        end = name[-1] + 1
        after = text[end:]
        numerals = [i for i in name[len(surname) :] if text[i] in _NAME_NUMERALS]
        if numerals and text[numerals[-1] + 1 : numerals[-1] + 2] in (
            *lex.numeral_name_stop_after,
            *_NAME_NUMERALS,
        ):
            continue  # 周一三五, 包三个月, 车一辆: numerals counting something
        if (
            given == 2
            and text[end - 1 : end + 1] in common
            and text.startswith((*lex.name_right_cues, *_person_titles()), end - 1)
        ):
            continue  # 刘芳反映: 反映 is a word and may follow a name, so no 刘芳反
        if after.startswith(_person_titles()):
            return end  # 李秀英阿姨, 赵建国师傅
        right = _clause_edge(after[:1]) or after.startswith(lex.name_right_cues)
        # 感谢蔡文静耐心解答: after a verb that takes a person (告诉, 联系, 感谢, 邻居 ...) a
        # full three-character name needs nothing after it.
        if left and (right or (given == 2 and len(cue) > 1)):
            return end
    return 0


@functools.cache
def _person_titles() -> tuple[str, ...]:
    return tuple(t for t in _lexicon().titles if len(t) >= _PERSON_TITLES_MIN_LEN)


def _free_names(text: str, taken: list[PiiSpan]) -> list[PiiSpan]:
    spans: list[PiiSpan] = []
    pos = 0
    while pos < len(text):
        if any(s.start <= pos < s.end for s in taken):
            pos += 1
            continue
        end = _free_name_at(text, pos)
        if end:
            spans.append(PiiSpan(pos, end, PiiType.NAME))
            pos = end
        else:
            pos += 1
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
    candidates += _free_names(folded, candidates)
    candidates = [s for s in candidates if not _is_hotline(folded, s)]
    candidates.sort(key=lambda s: (_PRIORITY[s.type], -(s.end - s.start), s.start))
    chosen: list[PiiSpan] = []
    for span in candidates:
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


# Each kind's Chinese name: the mask tag in redacted text, and what the compliance card says.
PII_LABELS = {
    PiiType.ID_CARD: "身份证号",
    PiiType.MOBILE: "手机号",
    PiiType.LANDLINE: "电话",
    PiiType.BANK_CARD: "银行卡号",
    PiiType.EMAIL: "邮箱",
    PiiType.PLATE: "车牌",
    PiiType.ADDRESS: "地址",
    PiiType.NAME: "姓名",
}
_TAGS = {kind: f"[{label}]" for kind, label in PII_LABELS.items()}


def _mask_digits(surface: str, head: int, tail: int) -> str:
    """Star every digit except the first `head` and last `tail`, keeping separators."""
    numerals = CN_NUMERALS + "兩"  # the surface is unfolded: Traditional 兩 too
    positions = [i for i, ch in enumerate(surface) if ch.isdigit() or ch in "Xx" + numerals]
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
