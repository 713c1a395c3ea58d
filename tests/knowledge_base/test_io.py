"""Q&A files as offices really save them: spreadsheet date cells, GBK CSV, multi-line cells."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from knowledge_base.errors import ImportFailed
from knowledge_base.io import parse, validation_report

HEADER = ["id", "question", "variants", "answer", "category", "department", "sensitivity",
          "valid_from", "valid_until"]


def test_a_date_cell_in_a_spreadsheet_is_read_as_its_day() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    # One date typed as a date cell, the other as text: both are days.
    cell = datetime(2026, 1, 1)  # noqa: DTZ001 - a spreadsheet's date cell has no zone
    sheet.append(["D1", "问", "", "答", "", "", "ordinary", cell, "2026-12-31"])
    buffer = io.BytesIO()
    book.save(buffer)
    [record] = parse(buffer.getvalue(), "kb.xlsx")
    assert record.valid_from == date(2026, 1, 1) and type(record.valid_from) is date
    assert record.valid_until == date(2026, 12, 31)


def test_a_csv_saved_as_gbk_is_refused_in_words() -> None:
    row = "\nG1,社保卡怎么办,,请到窗口办理,,,ordinary,,\n"
    data = ",".join(HEADER).encode() + row.encode("gbk")
    with pytest.raises(ImportFailed) as caught:
        parse(data, "kb.csv")
    assert caught.value.line == 2 and "UTF-8" in caught.value.problem
    assert "UTF-8" in validation_report(data, "kb.csv")[0].problem


def test_a_csv_error_names_the_physical_line() -> None:
    rows = [
        ",".join(HEADER),
        'M1,问一,,"答案的第一行',
        '答案的第二行",,,ordinary,,',
        "",
        "M2,问二,,,,,ordinary,,",  # no answer: physical line 5
    ]
    with pytest.raises(ImportFailed) as caught:
        parse("\n".join(rows).encode(), "kb.csv")
    assert caught.value.line == 5 and caught.value.field == "answer"
