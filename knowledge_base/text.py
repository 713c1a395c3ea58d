"""Text normalisation shared by indexing, search and training.

Every text the matcher sees (Q&A questions, variants, citizen messages) goes through
:func:`normalize` first, so Traditional/Simplified, full-width/half-width, emoji and
common typos never decide whether two texts match. Tokenisers for the lexical signals
(:func:`words`, :func:`chars`) live here too, so index and query are split the same way.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

__all__ = ["chars", "char_ngrams", "normalize", "words"]

# Common misspellings and homophone slips seen in citizen messages (错别字/同音字).
# Keys are matched after Traditional->Simplified conversion and lower-casing.
_TYPOS: dict[str, str] = {
    "身分证": "身份证",
    "社包": "社保",
    "设保": "社保",
    "社宝": "社保",
    "医宝": "医保",
    "公机金": "公积金",
    "公基金": "公积金",
    "公积今": "公积金",
    "驾使证": "驾驶证",
    "驾驶正": "驾驶证",
    "架驶证": "驾驶证",
    "户囗": "户口",
    "户口簿": "户口本",
    "户口薄": "户口本",
    "户口部": "户口本",
    "帐户": "账户",
    "帐号": "账号",
    "在那里": "在哪里",
    "在那办": "在哪办",
    "去那里": "去哪里",
    "那里办": "哪里办",
    "怎么办里": "怎么办理",
    "咋办": "怎么办",
    "咋弄": "怎么弄",
    "咋样": "怎么样",
    "啥时候": "什么时候",
    "多长时间": "多久",
    "补领": "补办",
    "申领": "办理",
    "登陆": "登录",
    "帐单": "账单",
    "暂住证": "居住证",
    "小孩": "孩子",
    "娃": "孩子",
    "闺女": "女儿",
    "上学": "入学",
}

_NUM_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_NUM_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# Chinese numerals of two or more characters, or a single unit/digit before a counter
# ("三个月", "十六岁"). Single digits elsewhere ("一下", "统一") stay untouched.
_CN_NUMBER = re.compile(
    r"[零〇一二两三四五六七八九十百千万]{2,}"
    r"|[一二两三四五六七八九十](?=[个岁年月天日周次号万元块分])"
)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff"
    "\U0000fe00-\U0000fe0f\U0000200d\U000020e3\U0001f1e6-\U0001f1ff]+"
)
_SPACES = re.compile(r"\s+")
_ZH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_TYPO_RE = re.compile("|".join(sorted(map(re.escape, _TYPOS), key=len, reverse=True)))


@lru_cache(maxsize=1)
def _converter() -> object:
    # Import lazily: opencc loads its dictionaries on first use (~0.2 s).
    import opencc

    return opencc.OpenCC("t2s")


_T2S_LOCK = threading.Lock()


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese with opencc; the one converter every module uses."""
    with _T2S_LOCK:  # opencc's converter keeps per-call state; guard for to_thread callers
        return str(_converter().convert(text))  # type: ignore[attr-defined]


def _cn_to_int(token: str) -> int | None:
    if all(ch in _NUM_DIGITS for ch in token):
        return int("".join(str(_NUM_DIGITS[ch]) for ch in token))
    total, section, digit = 0, 0, 0
    for ch in token:
        if ch in _NUM_DIGITS:
            digit = _NUM_DIGITS[ch]
        elif ch == "万":
            section = (section + digit) * 10000
            total, section, digit = total + section, 0, 0
        else:
            unit = _NUM_UNITS[ch]
            section += (digit or 1) * unit
            digit = 0
    return total + section + digit


def _replace_number(match: re.Match[str]) -> str:
    value = _cn_to_int(match.group(0))
    return match.group(0) if value is None else str(value)


def _is_punct_or_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PSZC"


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Normalise a text for matching.

    Traditional -> Simplified (opencc), NFKC (full-width -> half-width), lower case,
    emoji/punctuation/symbols -> single spaces, Chinese numerals -> digits, and a small
    map of common typos and homophones.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _EMOJI.sub(" ", text)
    text = to_simplified(text).lower()
    text = "".join(" " if _is_punct_or_symbol(ch) else ch for ch in text)
    text = _TYPO_RE.sub(lambda m: _TYPOS[m.group(0)], text)
    text = _CN_NUMBER.sub(_replace_number, text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


_STOP = frozenset(
    """的 了 吗 呢 吧 啊 呀 么 嘛 哦 噢 哈 是 我 你 他 她 们 在 和 与 及 就 都 也 还
    请问 请 一下 这个 那个 想 要 能 可以 会 有 没 不 怎么 如何 什么 哪 哪里 多少 谁
    为什么 我们 我家 您好 你好 谢谢 麻烦""".split()  # noqa: SIM905 - a word list reads better
)


def words(text: str) -> list[str]:
    """Split a normalised text into jieba words (search mode), dropping stop words."""
    jieba = _jieba()
    out = []
    for token in jieba.lcut_for_search(text):  # type: ignore[attr-defined]
        token = token.strip()
        if token and token not in _STOP:
            out.append(token)
    return out


def chars(text: str) -> list[str]:
    """Characters of a normalised text, ASCII runs kept whole ("app", "12345")."""
    out: list[str] = []
    for chunk in text.split():
        run = ""
        for ch in chunk:
            if ch.isascii():
                run += ch
                continue
            if run:
                out.append(run)
                run = ""
            out.append(ch)
        if run:
            out.append(run)
    return out


def char_ngrams(text: str) -> list[str]:
    """Character unigrams plus bigrams (within a whitespace-separated chunk)."""
    out: list[str] = []
    for chunk in text.split():
        units = chars(chunk)
        out.extend(units)
        out.extend(a + b for a, b in zip(units, units[1:], strict=False))
    return out


def has_chinese(text: str) -> bool:
    """Return True when the text holds at least one CJK ideograph."""
    return _ZH.search(text) is not None
