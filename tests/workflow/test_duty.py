"""The duty rota file: weekdays in English, Chinese or numbers, dates that replace them,
clear errors, and who is on duty on a Beijing day. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db import Database, upgrade
from workflow import operators
from workflow.calendar import LOCAL_TZ
from workflow.duty import DutyRota, RotaFile, Shift, on_duty_now
from workflow.errors import ImportFailed
from workflow.models import Role
from workflow.operators import add_operator


def _rota(tmp_path: Path, raw: object) -> DutyRota:
    path = tmp_path / "rota.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return DutyRota.load(path)


def test_weekdays_by_any_name_and_dates_that_replace_them(tmp_path: Path) -> None:
    rota = _rota(
        tmp_path,
        {
            "weekly": {"mon": [1], "周二": [2], "星期三": [3], "4": [4], "周日": [7]},
            "dates": {"2026-12-01": [9], "2026-12-07": []},
        },
    )
    assert rota.scheduled_at(_beijing(2026, 11, 30, 10)) == (1,)  # a Monday
    assert rota.scheduled_at(_beijing(2026, 12, 1, 10)) == (9,)  # a Tuesday, by its date
    assert rota.scheduled_at(_beijing(2026, 12, 2, 10)) == (3,)
    assert rota.scheduled_at(_beijing(2026, 12, 3, 10)) == (4,)
    assert rota.scheduled_at(_beijing(2026, 12, 5, 10)) == ()  # Saturday: nobody
    assert rota.scheduled_at(_beijing(2026, 12, 6, 10)) == (7,)
    assert rota.scheduled_at(_beijing(2026, 12, 7, 10)) == ()  # a Monday nobody covers
    assert DutyRota.load(None).scheduled_at(_beijing(2026, 12, 1, 10)) == ()


def _beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def test_shifts_cover_their_hours_and_an_overnight_one_the_next_morning(tmp_path: Path) -> None:
    rota = _rota(
        tmp_path,
        {
            "weekly": {
                "fri": [
                    {"from": "08:30", "to": "17:30", "ids": [1]},
                    {"from": "17:30", "to": "08:30", "ids": [2]},
                ],
                "sat": [3],
            }
        },
    )
    friday, saturday = (2026, 12, 4), (2026, 12, 5)
    assert rota.scheduled_at(_beijing(*friday, 8, 0)) == ()  # Thursday had no night shift
    assert rota.scheduled_at(_beijing(*friday, 8, 30)) == (1,)
    assert rota.scheduled_at(_beijing(*friday, 17, 29)) == (1,)
    assert rota.scheduled_at(_beijing(*friday, 17, 30)) == (2,)
    assert rota.scheduled_at(_beijing(*friday, 23, 59)) == (2,)
    assert rota.scheduled_at(_beijing(*saturday, 3, 0)) == (3, 2)  # Saturday's all-day, and
    assert rota.scheduled_at(_beijing(*saturday, 8, 30)) == (3,)  # Friday night until 08:30


def test_an_edited_rota_file_is_re_read_and_a_broken_edit_keeps_the_last_good_one(
    tmp_path: Path,
) -> None:
    import os

    path = tmp_path / "rota.json"
    path.write_text(json.dumps({"weekly": {"mon": [1]}}), encoding="utf-8")
    rota = RotaFile(path)
    monday = _beijing(2026, 11, 30, 10)
    assert rota.scheduled_at(monday) == (1,)

    def edit(text: str, when: float) -> None:
        path.write_text(text, encoding="utf-8")
        os.utime(path, (when, when))  # a new modification time, as an editor leaves it

    edit(json.dumps({"weekly": {"mon": [2]}}), 1_800_000_000)
    assert rota.scheduled_at(monday) == (2,) and rota.problem is None
    edit('{"weekly": {"mon": ["王审核"]}}', 1_800_000_100)
    assert rota.scheduled_at(monday) == (2,)  # the last good rota holds
    assert rota.problem is not None and "weekly.mon" in rota.problem
    edit(json.dumps({"weekly": {"mon": [3]}}), 1_800_000_200)
    assert rota.scheduled_at(monday) == (3,) and rota.problem is None


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"weekly": {"someday": [1]}}, "weekly.someday"),
        ({"dates": {"12/01": [1]}}, "dates.12/01"),
        ({"weekly": {"mon": ["王审核"]}}, "weekly.mon"),
        ({"weekly": {"mon": 1001}}, "weekly.mon"),
        ({"rota": {}}, "(file)"),
        ({"weekly": {"mon": [{"from": "8点", "to": "17:00", "ids": [1]}]}}, "weekly.mon[0]"),
        ({"weekly": {"mon": [{"from": "08:00", "ids": [1]}]}}, "weekly.mon[0]"),
    ],
)
def test_a_broken_rota_names_the_field(tmp_path: Path, raw: object, field: str) -> None:
    with pytest.raises(ImportFailed) as caught:
        _rota(tmp_path, raw)
    assert caught.value.field == field


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rota.json"
    path.write_text("{weekly: mon}", encoding="utf-8")
    with pytest.raises(ImportFailed, match="not JSON"):
        DutyRota.load(path)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    upgrade(db_url)
    database = Database(db_url)
    database.call(add_operator, 1001, Role.REVIEWER, "王审核")
    database.call(add_operator, 1002, Role.REVIEWER, "赵审核")
    database.call(add_operator, 1003, Role.DEPUTY_HEAD, "陈分管")
    yield database
    database.dispose()


def test_on_duty_is_the_rota_of_the_beijing_day_and_duty_on(db: Database) -> None:
    rota = DutyRota(weekly={1: (Shift((1001, 1003)),)}, dates={})  # Tuesdays
    tuesday_beijing = datetime(2026, 11, 30, 17, tzinfo=UTC)  # Tue 01:00 in Beijing
    monday_beijing = datetime(2026, 11, 30, 15, tzinfo=UTC)  # Mon 23:00 in Beijing

    def names(now: datetime) -> list[str]:
        return [op.name for op in db.call(on_duty_now, rota, now)]

    assert names(tuesday_beijing) == ["王审核", "陈分管"]
    assert names(monday_beijing) == []
    db.call(operators.set_duty, 1002, True)
    assert names(monday_beijing) == ["赵审核"]
    assert names(tuesday_beijing) == ["王审核", "赵审核", "陈分管"]
    db.call(operators.deactivate_operator, 1003)  # left the unit: never named again
    assert names(tuesday_beijing) == ["王审核", "赵审核"]
