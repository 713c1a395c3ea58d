"""Tables of the consultation Q&A base (咨询答问库): entries and their version history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from knowledge_base.sqltypes import dt_column, enum_column, json_column, utcnow


class Sensitivity(StrEnum):
    ORDINARY = "ordinary"
    IMPORTANT = "important"
    MAJOR = "major"


class KBEntry(SQLModel, table=True):
    """The live version of one Q&A entry."""

    __tablename__ = "kb_entry"

    id: str = Field(primary_key=True, max_length=64)
    question: str
    variants: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    answer: str
    category: str = ""
    department: str = ""
    sensitivity: Sensitivity = Field(
        default=Sensitivity.ORDINARY, sa_column=enum_column(Sensitivity)
    )
    valid_from: date | None = None
    valid_until: date | None = None
    retired: bool = False
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    updated_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class KBEntryVersion(SQLModel, table=True):
    """An immutable snapshot of an entry, one per edit (who, when, why)."""

    __tablename__ = "kb_entry_version"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(index=True, max_length=64)
    version: int
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    changed_at: datetime = Field(default_factory=utcnow, sa_column=dt_column(nullable=False))
    changed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reason: str = ""
