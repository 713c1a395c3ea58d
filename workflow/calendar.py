"""Working-hours arithmetic on the official calendar (法定节假日 and 调休 make-up days).

Deadlines count office hours only. The State Council's holidays and make-up working days come
from the maintained `chinese_calendar` package; an admin-edited JSON file adds local overrides
({"2026-12-24": "holiday", "2026-12-26": "workday"}). Years the package doesn't know fall back
to Monday-Friday.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

from knowledge_base.sqltypes import LOCAL_TZ as LOCAL_TZ  # re-exported: "today" is Beijing's day
from workflow.errors import InvalidTransition


def local_date(moment: datetime) -> date:
    """The unit's calendar day of a moment: "once a day" and "today" mean Beijing's day."""
    return moment.astimezone(LOCAL_TZ).date()
OFFICE_HOURS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))


@dataclass
class WorkCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)  # True = working day
    office_hours: tuple[tuple[time, time], ...] = OFFICE_HOURS
    tz: ZoneInfo = LOCAL_TZ

    @classmethod
    def load(cls, path: Path | None) -> WorkCalendar:
        """Read local overrides; a bad file raises with the offending key."""
        if path is None:
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        overrides: dict[date, bool] = {}
        for key, value in raw.items():
            try:
                day = date.fromisoformat(key)
            except ValueError:
                msg = f"{path}: {key!r} is not a date (YYYY-MM-DD)"
                raise InvalidTransition(msg) from None
            if value not in ("holiday", "workday"):
                msg = f"{path}: {key} must be 'holiday' or 'workday', not {value!r}"
                raise InvalidTransition(msg)
            overrides[day] = value == "workday"
        return cls(overrides)

    def knows(self, year: int) -> bool:
        """Whether the official holidays of `year` are known (the package's data, or local
        overrides in that year); otherwise Monday-Friday stands in for them."""
        if any(day.year == year for day in self.overrides):
            return True
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:  # a year the package has no data for
            return day.weekday() < 5

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` office hours after `start` (aware datetimes in, aware out)."""
        remaining = timedelta(hours=hours)
        cursor = start.astimezone(self.tz)
        for _ in range(3660):  # at most ten years of days: a guard, not a limit anyone hits
            day = cursor.date()
            if self.is_workday(day):
                for begin, end in self.office_hours:
                    block_start = datetime.combine(day, begin, self.tz)
                    block_end = datetime.combine(day, end, self.tz)
                    if cursor >= block_end:
                        continue
                    start_at = max(cursor, block_start)
                    available = block_end - start_at
                    if remaining <= available:
                        return start_at + remaining
                    remaining -= available
                    cursor = block_end
            cursor = datetime.combine(day + timedelta(days=1), time(0, 0), self.tz)
        msg = "deadline is more than ten years away"
        raise InvalidTransition(msg)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours elapsed from `start` to `end` (0 if end <= start)."""
        if end <= start:
            return 0.0
        total = timedelta()
        cursor = start.astimezone(self.tz)
        end = end.astimezone(self.tz)
        while cursor < end:
            day = cursor.date()
            if self.is_workday(day):
                for begin, finish in self.office_hours:
                    lo = max(cursor, datetime.combine(day, begin, self.tz))
                    hi = min(end, datetime.combine(day, finish, self.tz))
                    if hi > lo:
                        total += hi - lo
            cursor = datetime.combine(day + timedelta(days=1), time(0, 0), self.tz)
        return total.total_seconds() / 3600
