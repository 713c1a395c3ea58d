"""Q&A files as offices really save them: spreadsheet date cells, GBK CSV, multi-line cells."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest

from knowledge_base.errors import ImportFailed
from knowledge_base.io import ANSWER_LIMIT, parse, validation_report

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


def test_a_jsonl_saved_as_gbk_is_refused_in_words() -> None:
    lines = [
        '{"id": "J1", "question": "居住证怎么办", "answer": "请到派出所办理"}',
        '{"id": "J2", "question": "社保卡怎么办", "answer": "请到窗口办理"}',
    ]
    data = (lines[0] + "\n").encode() + (lines[1] + "\n").encode("gbk")
    with pytest.raises(ImportFailed) as caught:
        parse(data, "kb.jsonl")
    assert (caught.value.line, caught.value.field, caught.value.code) == (2, "(file)", "not_utf8")
    assert "UTF-8" in str(caught.value)
    [problem] = validation_report(data, "kb.jsonl")
    assert (problem.line, problem.code) == (2, "not_utf8")


def test_a_csv_cell_over_the_csv_limit_is_refused_in_words() -> None:
    huge = "答" * (csv.field_size_limit() + 1)
    data = (",".join(HEADER) + f'\nL1,问,,"{huge}",,,ordinary,,\n').encode()
    with pytest.raises(ImportFailed) as caught:
        parse(data, "kb.csv")
    assert (caught.value.line, caught.value.code) == (2, "csv_unreadable")
    assert caught.value.params == {"limit": csv.field_size_limit()}
    assert validation_report(data, "kb.csv")[0].code == "csv_unreadable"


def _entry(answer: str) -> bytes:
    return (json.dumps({"id": "T1", "question": "问", "answer": answer}) + "\n").encode()


def test_an_answer_too_long_to_send_with_its_stamp_is_refused() -> None:
    [fits] = parse(_entry("答" * ANSWER_LIMIT), "kb.jsonl")
    assert len(fits.answer) == ANSWER_LIMIT
    with pytest.raises(ImportFailed) as caught:
        parse(_entry("答" * (ANSWER_LIMIT + 1)), "kb.jsonl")
    assert (caught.value.field, caught.value.code) == ("answer", "answer_too_long")
    assert caught.value.params == {"length": ANSWER_LIMIT + 1, "limit": ANSWER_LIMIT}


def test_the_answer_limit_is_the_limit_of_a_reply_operators_write() -> None:
    """Both go out with the stamp in one message; knowledge_base may not import workflow,
    so the number is written twice and kept equal here."""
    from workflow.review import REPLY_TEXT_LIMIT

    assert ANSWER_LIMIT == REPLY_TEXT_LIMIT


def test_control_characters_are_stripped_and_an_answer_keeps_its_line_breaks() -> None:
    row = {
        "id": "C1\x00",
        "question": "居住证\u202e怎么\x07办\n理",
        "variants": ["\u2066外地人\u2069办居住证\u200f", "\x1b[31m"],
        "answer": "第一步：\x1b[31m网上预约\r\n第二步：\t到\x00窗口\u200e办理\r完成",
        "category": "户\u202a政\u202c",
    }
    [record] = parse(json.dumps(row).encode(), "kb.jsonl")
    assert record.id == "C1"
    assert record.question == "居住证怎么办 理"
    assert record.variants == ["外地人办居住证", "[31m"]
    assert record.answer == "第一步：[31m网上预约\n第二步：\t到窗口办理\n完成"
    assert record.category == "户政"


def test_an_answer_of_control_characters_only_is_empty() -> None:
    with pytest.raises(ImportFailed) as caught:
        parse(_entry("\x00\u202e\x07"), "kb.jsonl")
    assert (caught.value.field, caught.value.code) == ("answer", "missing")
