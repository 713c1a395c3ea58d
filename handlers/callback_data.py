"""Typed button payloads: "rv1:<action>:<draft_id>:<version>[:<arg>]", at most 64 bytes.

The draft version is part of the payload, so a press on a card that changed meanwhile is
refused instead of approving text the operator has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PREFIX = "rv1"
MAX_BYTES = 64


def _join(*parts: str) -> str:
    """Join non-empty parts with ':'; Telegram refuses callback data over 64 bytes."""
    data = ":".join(p for p in parts if p)
    if len(data.encode()) > MAX_BYTES:
        msg = f"callback data {data!r} is longer than {MAX_BYTES} bytes"
        raise ValueError(msg)
    return data


class Action(StrEnum):
    APPROVE = "ap"
    EDIT = "ed"
    REJECT = "rj"
    CHOOSE = "ch"
    VISIBILITY = "vi"
    RAISE = "up"
    NEXT = "nx"
    WITHDRAW = "wd"  # a published reply (撤回); a signed, scheduled channel post before it is due
    CORRECT = "co"  # a published reply: propose its correction (更正)


TOPIC_FORWARD = "ht1:fw"  # a hot-topic alert's button: invite the department to answer
# A notice's button, by the action the domain names in its payload: (label text key, data).
NOTICE_BUTTONS = {"topic_forward": ("btn_topic_forward", TOPIC_FORWARD)}
POST_PREFIX = "pt1"  # a channel post's card: the same actions on a post's id and version


@dataclass(frozen=True)
class ReviewButton:
    action: Action
    draft_id: int  # or the post's id, under POST_PREFIX
    version: int
    arg: str = ""
    prefix: str = PREFIX

    def pack(self) -> str:
        return _join(
            self.prefix, self.action.value, str(self.draft_id), str(self.version), self.arg
        )


def unpack(data: str, prefix: str = PREFIX) -> ReviewButton | None:
    """Parse a payload; None for anything that is not ours or is malformed."""
    parts = data.split(":")
    if len(parts) < 4 or parts[0] != prefix:
        return None
    try:
        return ReviewButton(
            Action(parts[1]), int(parts[2]), int(parts[3]), ":".join(parts[4:]), prefix
        )
    except ValueError:
        return None


# --- case cards: "cs1:<action>:<case_id>[:<arg>]" ------------------------------------------------

CASE_PREFIX = "cs1"


class CaseAction(StrEnum):
    ASSIGN = "as"
    STATUS = "st"  # arg: a CaseStatus value
    TICK = "tk"  # arg: the checklist step (an index on cards sent before kinds had lists)
    COMMENT = "cm"
    CLOSE = "cl"
    DOCUMENTS = "dc"
    FORWARD = "fw"  # to the department the directory names (complaints, incidents)


@dataclass(frozen=True)
class CaseButton:
    action: CaseAction
    case_id: int
    arg: str = ""

    def pack(self) -> str:
        return _join(CASE_PREFIX, self.action.value, str(self.case_id), self.arg)


def unpack_case(data: str) -> CaseButton | None:
    """Parse a case payload; None for anything that is not ours or is malformed."""
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != CASE_PREFIX:
        return None
    try:
        return CaseButton(CaseAction(parts[1]), int(parts[2]), ":".join(parts[3:]))
    except ValueError:
        return None
