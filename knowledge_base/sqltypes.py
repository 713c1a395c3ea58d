"""Column types shared by every table (lowest layer, so both knowledge_base and workflow use it).

SQLite drops time zones, PostgreSQL keeps them; this type makes both hand back aware UTC values,
so comparisons never mix naive and aware datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Column, DateTime
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; always returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime {value!r} given; GovReply stores aware UTC datetimes only"
            raise ValueError(msg)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Current time, aware UTC."""
    return datetime.now(UTC)


# The unit's time zone: "today" (an entry's validity, "once a day") is Beijing's day, whatever
# zone the server runs in (a container is usually UTC, 8 hours behind at midnight).
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today in Beijing."""
    return utcnow().astimezone(LOCAL_TZ).date()


def dt_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A UTC datetime column for sqlmodel `Field(sa_column=...)`."""
    return Column(UTCDateTime(), nullable=nullable, index=index)


def json_column(*, nullable: bool = True) -> Any:
    """A JSON column for sqlmodel `Field(sa_column=...)`."""
    return Column(JSON, nullable=nullable)


def enum_column(enum_cls: type[Any], *, index: bool = False) -> Any:
    """A StrEnum stored as its lowercase value in a VARCHAR (no native enum type to migrate)."""
    return Column(
        SAEnum(
            enum_cls,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
        index=index,
    )
