"""The duty rota (值班表, RULES §7: 值班值守): who is on duty when, from an admin-edited JSON
file, beside the manual `/duty on|off`.

    {"weekly": {"mon": [1001], "周二": [1002], "6": [1003, 1004],
                "fri": [{"from": "08:30", "to": "17:30", "ids": [1001]},
                        {"from": "17:30", "to": "08:30", "ids": [1002]}]},
     "dates": {"2026-12-31": [1004], "2027-01-01": []}}

A day's entry is a list of Telegram ids (on duty all day) or a list of shifts; a shift whose
end is before its start runs overnight into the next morning. Weekday keys are mon..sun,
周一..周日 (or 星期一..), or 1..7; a date entry replaces that day's weekly entry (an empty
list: nobody scheduled, e.g. a holiday covered by hand). Days and times are the unit's
(Beijing). Whoever the rota names, or who said `/duty on`, is named in deadline notices; an
operator who left (inactive) is never named. `RotaFile` re-reads the file when it changes,
so an edit needs no restart; a broken edit keeps the last good rota and says what is wrong.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from workflow.calendar import LOCAL_TZ
from workflow.errors import ImportFailed
from workflow.models import Operator
from workflow.operators import on_duty

logger = logging.getLogger(__name__)

_WEEKDAYS = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{f"周{c}": i for i, c in enumerate("一二三四五六日")},
    **{f"星期{c}": i for i, c in enumerate("一二三四五六日")},
    **{str(i + 1): i for i in range(7)},
    "周天": 6,
    "星期天": 6,
}


@dataclass(frozen=True)
class Shift:
    """Operators on duty from `start` to `end` (local time; None: the whole day)."""

    ids: tuple[int, ...]
    start: time | None = None
    end: time | None = None

    @property
    def overnight(self) -> bool:
        return self.start is not None and self.end is not None and self.end <= self.start

    def covers(self, at: time) -> bool:
        """Whether the shift covers `at` on its own day (an overnight one: from its start)."""
        if self.start is None or self.end is None:
            return True
        return at >= self.start if self.overnight else self.start <= at < self.end


class Schedule(Protocol):
    def scheduled_at(self, moment: datetime) -> tuple[int, ...]: ...


@dataclass(frozen=True)
class DutyRota:
    weekly: dict[int, tuple[Shift, ...]] = field(default_factory=dict)  # 0 = Monday
    dates: dict[date, tuple[Shift, ...]] = field(default_factory=dict)

    def shifts(self, day: date) -> tuple[Shift, ...]:
        if day in self.dates:
            return self.dates[day]
        return self.weekly.get(day.weekday(), ())

    def scheduled_at(self, moment: datetime) -> tuple[int, ...]:
        """Telegram ids the rota puts on duty at `moment`: today's shifts that cover its
        (Beijing) time, and yesterday's overnight shift until the morning."""
        local = moment.astimezone(LOCAL_TZ)
        day, at = local.date(), local.time()
        ids = [i for s in self.shifts(day) if s.covers(at) for i in s.ids]
        for s in self.shifts(day - timedelta(days=1)):
            if s.overnight and s.end is not None and at < s.end:
                ids += s.ids
        return tuple(dict.fromkeys(ids))

    @classmethod
    def load(cls, path: Path | None) -> DutyRota:
        """Read the rota file (no file: an empty rota).

        Raises:
            ImportFailed: not JSON, an unknown weekday, a bad date, time or id.
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
        weekly: dict[int, tuple[Shift, ...]] = {}
        for key, entry in dict(raw.get("weekly", {})).items():
            day = _WEEKDAYS.get(str(key).strip().lower())
            if day is None:
                problem = "is not a weekday (mon..sun, 周一..周日)"
                raise ImportFailed(where, 0, f"weekly.{key}", problem)
            weekly[day] = _shifts(entry, where, f"weekly.{key}")
        dates: dict[date, tuple[Shift, ...]] = {}
        for key, entry in dict(raw.get("dates", {})).items():
            try:
                day_of = date.fromisoformat(str(key))
            except ValueError as exc:
                raise ImportFailed(where, 0, f"dates.{key}", "is not a date (YYYY-MM-DD)") from exc
            dates[day_of] = _shifts(entry, where, f"dates.{key}")
        return cls(weekly, dates)


def _shifts(value: object, where: str, name: str) -> tuple[Shift, ...]:
    """A day's entry: ids on duty all day, or shifts {"from", "to", "ids"}."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        shifts = []
        for n, raw in enumerate(value):
            here = f"{name}[{n}]"
            if set(raw) != {"from", "to", "ids"}:
                raise ImportFailed(where, 0, here, 'a shift needs "from", "to" and "ids"')
            start, end = _time(raw["from"], where, here), _time(raw["to"], where, here)
            if start == end:
                raise ImportFailed(where, 0, here, "a shift must not end when it starts")
            shifts.append(Shift(_ids(raw["ids"], where, here), start, end))
        return tuple(shifts)
    ids = _ids(value, where, name)
    return (Shift(ids),) if ids else ()


def _time(value: object, where: str, name: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ImportFailed(where, 0, name, f"{value!r} is not a time (HH:MM)") from exc


def _ids(value: object, where: str, name: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ImportFailed(where, 0, name, "must be a list of Telegram user ids (numbers)")
    return tuple(value)


class RotaFile:
    """The rota file, re-read when it changes. At start a broken file is refused (the
    operator sees why at once); a later broken edit keeps the last good rota, logged and
    kept as `problem` (shown on `/duty`) until the file is fixed."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rota = DutyRota.load(path)
        self._stamp = self._mtime()
        self.problem: str | None = None

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime if self.path is not None else None
        except OSError:
            return None

    def current(self) -> DutyRota:
        stamp = self._mtime()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self.rota = DutyRota.load(self.path)
                self.problem = None
                logger.info("duty rota re-read from %s", self.path)
            except ImportFailed as exc:
                self.problem = str(exc)
                logger.error("duty rota not changed: %s", exc)  # noqa: TRY400 - no traceback
        return self.rota

    def scheduled_at(self, moment: datetime) -> tuple[int, ...]:
        return self.current().scheduled_at(moment)


def on_duty_now(session: Session, rota: Schedule, now: datetime) -> list[Operator]:
    """Active operators on duty now: scheduled by the rota at this moment, or `/duty on`."""
    return on_duty(session, rota.scheduled_at(now))
