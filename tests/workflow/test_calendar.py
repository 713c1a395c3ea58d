"""Working hours on the official calendar, make-up working days (调休) included."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from workflow.calendar import LOCAL_TZ, WorkCalendar
from workflow.errors import InvalidTransition


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def test_hours_within_one_morning() -> None:
    cal = WorkCalendar()
    assert cal.add_working_hours(at(2026, 11, 23, 9), 2) == at(2026, 11, 23, 11)


def test_lunch_break_is_skipped() -> None:
    cal = WorkCalendar()
    assert cal.add_working_hours(at(2026, 11, 23, 11), 2) == at(2026, 11, 23, 14, 30)


def test_friday_evening_rolls_to_monday() -> None:
    cal = WorkCalendar()
    # 2026-11-27 is a Friday; 4 working hours from 17:00:
    # 0.5h Friday, 3h Monday morning, 0.5h after lunch.
    assert cal.add_working_hours(at(2026, 11, 27, 17), 4) == at(2026, 11, 30, 14, 0)


def test_national_day_holiday_is_skipped_and_make_up_saturday_counts() -> None:
    cal = WorkCalendar()
    assert not cal.is_workday(date(2026, 10, 1))
    assert cal.is_workday(date(2026, 10, 10))  # a Saturday worked in lieu (调休)
    due = cal.add_working_hours(at(2026, 9, 30, 17), 1)
    assert due.date() > date(2026, 10, 7)


def test_local_overrides_win(tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"2026-11-24": "holiday", "2026-11-28": "workday"}))
    cal = WorkCalendar.load(path)
    assert not cal.is_workday(date(2026, 11, 24))
    assert cal.is_workday(date(2026, 11, 28))
    assert cal.add_working_hours(at(2026, 11, 23, 17), 1) == at(2026, 11, 25, 9, 30)


def test_bad_override_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"2026-13-01": "holiday"}))
    with pytest.raises(InvalidTransition, match="2026-13-01"):
        WorkCalendar.load(path)


def test_working_hours_between_counts_office_time_only() -> None:
    cal = WorkCalendar()
    assert cal.working_hours_between(at(2026, 11, 23, 8), at(2026, 11, 23, 18)) == 7.0


def test_a_year_without_holiday_data_is_known_as_such(tmp_path: Path) -> None:
    assert WorkCalendar().knows(2026)
    assert not WorkCalendar().knows(2099)  # Monday-Friday would stand in for its holidays
    overrides = tmp_path / "holidays.json"
    overrides.write_text('{"2099-01-01": "holiday"}', "utf-8")
    assert WorkCalendar.load(overrides).knows(2099)
