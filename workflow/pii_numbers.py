"""What number-shaped personal data looks like, before any context is weighed (RULES §4).

This module owns the shapes `workflow/redaction.py` relies on: a mainland ID's check digit and
the slips citizens make typing one (a digit lost, mistyped or doubled), the Luhn sum of bank
cards, and the spellings of a mobile number (digits, one digit at a time, Chinese numerals with
幺 for 1 and 两 for 2). It knows no word lists; whether a number is an order number or a hotline
is decided in `redaction.py`.
"""

from __future__ import annotations

import re

# Letters may touch a number ("TEL13800138000", "vx13800138000"); the country code may come
# without "+" ("8613800138000").
_MOBILE_RE = re.compile(r"(?<![0-9+])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}(?!\d)")
# Every digit apart with one separator (1 3 8 0 0 1 3 8 0 0 0), or 3-4-4 groups split by dots.
_MOBILE_APART_RE = re.compile(
    r"(?<![0-9+])(?<![0-9][ .\-])1(?P<sep>[ .\-])[3-9](?:(?P=sep)\d){9}(?![ .\-]?\d)"
    r"|(?<![0-9.])1[3-9]\d\.\d{4}\.\d{4}(?!\.?\d)"
)
# Chinese numerals as people say a phone number: 幺 for 1, 两 for 2, 〇/零 for 0.
CN_NUMERALS = "〇○零幺一二两三四五六七八九"
_CN_TO_DIGITS = str.maketrans(CN_NUMERALS, "00011223456789")
_CN_MAGNITUDES = "十百千万亿"
# 一 as part of a word beside the number: 周一/星期一/第一 before it, 一直/一下/一定 after it.
_WORD_YI_RE = re.compile(r"(?<=[周期第统唯万])一|一(?=[下个直定样起些次共般切点会天])")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# The first two digits of an ID: provinces 11-65, Taiwan 71, Hong Kong 81, Macao 82.
_PROVINCES = frozenset(
    str(code)
    for code in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55))
    + (*range(61, 66), 71, 81, 82)
)


def is_valid_id18(digits: str) -> bool:
    """True for an 18-character mainland ID with a plausible birth date and a valid check digit."""
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    if not (1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17].upper()


def _is_birth_date(s: str) -> bool:
    return (
        len(s) == 8
        and s.isdigit()
        and 1900 <= int(s[:4]) <= 2099
        and 1 <= int(s[4:6]) <= 12
        and 1 <= int(s[6:8]) <= 31
    )


_BIRTH_OFFSETS = {17: (5, 6), 18: (6,), 19: (6, 7)}


def is_mistyped_id(digits: str) -> bool:
    """True for 17 to 19 characters shaped like an ID whose digits slipped.

    One lost (17), one mistyped (18 with a wrong check digit) or one doubled (19): a province
    code leads and a birth date stands where the slip leaves it; the last character may be X.
    """
    offsets = _BIRTH_OFFSETS.get(len(digits), ())
    if not digits[:-1].isdigit() or digits[:2] not in _PROVINCES:
        return False
    return any(_is_birth_date(digits[o : o + 8]) for o in offsets)


def is_luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum used by bank cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def mobile_spans(text: str) -> list[tuple[int, int]]:
    """Mobile numbers in digits, digit by digit apart, or in Chinese numerals (一三八…, 幺, 两)."""
    patterns = (_MOBILE_RE, _MOBILE_APART_RE)
    found = {m.span() for p in patterns for m in p.finditer(text)}
    # Numerals become digits one for one, so offsets hold; a digits-only match is found above.
    numeric = text.translate(_CN_TO_DIGITS)
    # Read once more with 一 in a word left a word; a number that ends in 一 still has the first.
    worded = _WORD_YI_RE.sub("_", text).translate(_CN_TO_DIGITS)
    matches = (m for t in {numeric, worded} for p in patterns for m in p.finditer(t))
    for m in matches:
        start, end = m.span()
        beside = text[max(0, start - 1) : start] + text[end : end + 1]
        # 十/百/千 beside it make it a quantity (三千一三八…), not a number read digit by digit.
        if any(ch in CN_NUMERALS for ch in text[start:end]) and not any(
            ch in _CN_MAGNITUDES for ch in beside
        ):
            found.add((start, end))
    return sorted(found)
