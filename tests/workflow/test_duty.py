"""The duty rota file: weekdays in English, Chinese or numbers, dates that replace them,
clear errors, and who is on duty on a Beijing day. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.db import Database, upgrade
from workflow import operators
from workflow.duty import DutyRota, on_duty_now
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
    assert rota.scheduled(date(2026, 11, 30)) == (1,)  # a Monday
    assert rota.scheduled(date(2026, 12, 1)) == (9,)  # a Tuesday, replaced by its date
    assert rota.scheduled(date(2026, 12, 2)) == (3,)
    assert rota.scheduled(date(2026, 12, 3)) == (4,)
    assert rota.scheduled(date(2026, 12, 5)) == ()  # Saturday: nobody
    assert rota.scheduled(date(2026, 12, 6)) == (7,)
    assert rota.scheduled(date(2026, 12, 7)) == ()  # a Monday nobody covers by rota
    assert DutyRota.load(None).scheduled(date(2026, 12, 1)) == ()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"weekly": {"someday": [1]}}, "weekly.someday"),
        ({"dates": {"12/01": [1]}}, "dates.12/01"),
        ({"weekly": {"mon": ["王审核"]}}, "weekly.mon"),
        ({"weekly": {"mon": 1001}}, "weekly.mon"),
        ({"rota": {}}, "(file)"),
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
    rota = DutyRota(weekly={1: (1001, 1003)}, dates={})  # Tuesdays
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
