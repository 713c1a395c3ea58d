"""The Q&A entry as the matcher sees it (:class:`KBDoc`) and its searchable rows.

An entry is searched through its question and each variant; every one of those is a *row*
of the indexes, and hits on rows collapse back to the entry.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from knowledge_base.text import normalize

__all__ = ["KBDoc", "is_live", "row_texts", "text_hash"]


@dataclass(frozen=True)
class KBDoc:
    """One Q&A entry (咨询答问库条目) as the matcher sees it."""

    id: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    category: str = ""
    sensitivity: str = "ordinary"  # ordinary | important | major
    valid_until: datetime.date | None = None  # expired entries are never returned


def row_texts(doc: KBDoc) -> list[str]:
    """Normalised, de-duplicated searchable texts of an entry: question first, then variants."""
    seen: list[str] = []
    for raw in (doc.question, *doc.variants):
        text = normalize(raw)
        if text and text not in seen:
            seen.append(text)
    return seen


def text_hash(text: str) -> str:
    """Stable fingerprint of one normalised row text (decides whether to re-embed)."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def is_live(doc: KBDoc, today: datetime.date) -> bool:
    """Return True when the entry may still be returned on ``today``."""
    return doc.valid_until is None or doc.valid_until >= today
