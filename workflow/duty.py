"""The duty rota (值班表, RULES §7: 值班值守): who is on duty on which day, from an
admin-edited JSON file, beside the manual `/duty on|off`.

    {"weekly": {"mon": [1001], "周二": [1002], "6": [1003, 1004]},
     "dates": {"2026-12-31": [1004], "2027-01-01": []}}

Weekday keys are mon..sun, 周一..周日 (or 星期一..), or 1..7; a date entry replaces that
day's weekly entry (an empty list: nobody scheduled, e.g. a holiday covered by hand). Days
are the unit's (Beijing) days. Whoever the rota names, or who said `/duty on`, is named in
deadline notices; an operator who left (inactive) is never named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session

from workflow.calendar import local_date
from workflow.errors import ImportFailed
from workflow.models import Operator
from workflow.operators import on_duty

_WEEKDAYS = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{f"周{c}": i for i, c in enumerate("一二三四五六日")},
    **{f"星期{c}": i for i, c in enumerate("一二三四五六日")},
    **{str(i + 1): i for i in range(7)},
    "周天": 6,
    "星期天": 6,
}


@dataclass(frozen=True)
class DutyRota:
    weekly: dict[int, tuple[int, ...]] = field(default_factory=dict)  # 0 = Monday
    dates: dict[date, tuple[int, ...]] = field(default_factory=dict)

    def scheduled(self, day: date) -> tuple[int, ...]:
        """Telegram ids the rota puts on duty that day."""
        if day in self.dates:
            return self.dates[day]
        return self.weekly.get(day.weekday(), ())

    @classmethod
    def load(cls, path: Path | None) -> DutyRota:
        """Read the rota file (no file: an empty rota).

        Raises:
            ImportFailed: not JSON, an unknown weekday, a bad date or a non-numeric id.
        """
        if path is None:
            return cls()
        where = str(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ImportFailed(where, exc.lineno, "(file)", f"is not JSON ({exc.msg})") from exc
        except OSError as exc:
            raise ImportFailed(where, 0, "(file)", f"cannot be read ({exc})") from exc
        if not isinstance(raw, dict) or set(raw) - {"weekly", "dates", "_comment"}:
            raise ImportFailed(where, 0, "(file)", 'needs only "weekly" and "dates"')
        weekly: dict[int, tuple[int, ...]] = {}
        for key, ids in dict(raw.get("weekly", {})).items():
            day = _WEEKDAYS.get(str(key).strip().lower())
            if day is None:
                problem = "is not a weekday (mon..sun, 周一..周日)"
                raise ImportFailed(where, 0, f"weekly.{key}", problem)
            weekly[day] = _ids(ids, where, f"weekly.{key}")
        dates: dict[date, tuple[int, ...]] = {}
        for key, ids in dict(raw.get("dates", {})).items():
            try:
                day_of = date.fromisoformat(str(key))
            except ValueError as exc:
                raise ImportFailed(where, 0, f"dates.{key}", "is not a date (YYYY-MM-DD)") from exc
            dates[day_of] = _ids(ids, where, f"dates.{key}")
        return cls(weekly, dates)


def _ids(value: object, where: str, name: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ImportFailed(where, 0, name, "must be a list of Telegram user ids (numbers)")
    return tuple(value)


def on_duty_now(session: Session, rota: DutyRota, now: datetime) -> list[Operator]:
    """Active operators on duty now: scheduled for today by the rota, or `/duty on`."""
    return on_duty(session, rota.scheduled(local_date(now)))
