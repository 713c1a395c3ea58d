"""Text formatting and keyboards, checked as strictly as Telegram checks them.

Telegram returns message text with the markup removed, and rejects broken HTML with
"can't parse entities". We do the same, so a bot that puts unescaped citizen text into an
HTML message fails its tests instead of failing in production.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .params import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_HTML_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _html_error(detail: str) -> Exception:
    return bad_request(f"can't parse entities: {detail}")


def strip_html(text: str) -> str:
    """The plain text of a Telegram-HTML string.

    Raises:
        ApiError: an unsupported tag, a stray "<", or unbalanced tags (Telegram's wording).
    """
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise _html_error(
                    f'Unsupported start tag "" at byte offset {_byte_offset(text, i)}'
                )
            closing, name = match.group(1), match.group(2).lower()
            if name not in _HTML_TAGS:
                kind = "end" if closing else "start"
                offset = _byte_offset(text, i)
                raise _html_error(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
            if closing:
                offset = _byte_offset(text, i)
                if not stack:
                    raise _html_error(f"Unexpected end tag at byte offset {offset}")
                if stack[-1] != name:
                    expected = f'expected "</{stack[-1]}>", found "</{name}>"'
                    raise _html_error(f"Unmatched end tag at byte offset {offset}, {expected}")
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
            continue
        if char == "&":
            entity = _ENTITY.match(text, i)
            if entity is not None:
                out.append(html.unescape(entity.group(0)))
                i = entity.end()
                continue
        out.append(char)
        i += 1
    if stack:
        raise _html_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def plain_text(text: Any, parse_mode: str | None, *, limit: int = MAX_TEXT) -> str:
    """Validate message text and return it as Telegram stores it.

    Markdown modes are passed through unparsed (not emulated).

    Raises:
        ApiError: empty text, text too long, or HTML Telegram can't parse.
    """
    text = "" if text is None else str(text)
    plain = strip_html(text) if (parse_mode or "").lower() == "html" else text
    if not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > limit:
        raise bad_request(
            "message is too long" if limit == MAX_TEXT else "message caption is too long"
        )
    return plain


def inline_keyboard(markup: Any) -> dict[str, Any] | None:
    """The reply_markup a sent Message carries: the inline keyboard, or None.

    Reply keyboards, ForceReply and ReplyKeyboardRemove are accepted but, as in Telegram,
    are not part of the returned Message.

    Raises:
        ApiError: a malformed keyboard, a button without action, or callback_data over 64 bytes.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )  # noqa: E501
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise bad_request("text buttons are unallowed in the inline keyboard")
            actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows}
