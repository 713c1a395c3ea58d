"""Every table GovReply writes is formula-safe (OWASP CSV injection): the Q&A export (and its
round trip through the import), the audit export and the assessment report, as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.tables import table_bytes
from workflow import audit

HYPERLINK = '=HYPERLINK("http://evil.example/","点击")'
DDE = "=cmd|' /C calc'!A0"


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GOVREPLY_DATABASE_URL", db_url)
    monkeypatch.setenv("GOVREPLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return db_url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[list[tuple[object, str]]]:
    """(value, data_type) per cell, formulas kept as formulas (not data_only)."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def test_qa_export_holds_no_formula_and_imports_back_unchanged(
    cli_env: str, tmp_path: Path
) -> None:
    source = tmp_path / "kb.jsonl"
    entries = [
        {"id": "F1", "question": HYPERLINK, "answer": "请到窗口办理。", "category": DDE},
        {"id": "F2", "question": "'=1+1", "answer": "-答", "variants": ["@问", "普通"]},
    ]
    source.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8"
    )
    code, out, err = run("kb", "import", str(source))
    assert code == 0 and "2 new" in out, err

    assert run("kb", "export", str(tmp_path / "out.csv"))[0] == 0
    header, *rows = csv_rows((tmp_path / "out.csv").read_bytes())
    first = dict(zip(header, rows[0], strict=True))
    assert first["question"] == "'" + HYPERLINK and first["category"] == "'" + DDE

    assert run("kb", "export", str(tmp_path / "out.xlsx"))[0] == 0
    cells = xlsx_rows((tmp_path / "out.xlsx").read_bytes())
    named = dict(zip([v for v, _ in cells[0]], cells[1], strict=True))
    assert named["question"] == ("'" + HYPERLINK, "s")
    assert named["category"] == ("'" + DDE, "s")
    assert all(kind != "f" for row in cells for _, kind in row)

    for name in ("out.csv", "out.xlsx"):
        code, out, err = run("kb", "import", str(tmp_path / name))
        assert code == 0 and "0 new, 0 updated, 2 unchanged" in out, (name, out, err)


def test_audit_export_holds_no_formula(cli_env: str, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    db = Database(cli_env)
    try:
        db.call(audit.record, "kb_entry_updated", "kb_entry", HYPERLINK, after={"x": DDE})
    finally:
        db.dispose()
    assert run("audit", "export", str(tmp_path / "a.csv"))[0] == 0
    header, row = csv_rows((tmp_path / "a.csv").read_bytes())
    assert dict(zip(header, row, strict=True))["subject_id"] == "'" + HYPERLINK
    assert run("audit", "export", str(tmp_path / "a.xlsx"))[0] == 0
    cells = xlsx_rows((tmp_path / "a.xlsx").read_bytes())
    assert ("'" + HYPERLINK, "s") in cells[1]
    assert all(kind != "f" for row in cells for _, kind in row)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_assessment_table_holds_no_formula(fmt: str) -> None:
    """`govreply report` and the console's download write through table_bytes."""
    rows = [("统计期间", "2026-10-01 – 2026-12-31"), (DDE, 3), ("+比例", "-5%"), ("数", -2)]
    data = table_bytes(fmt, ("指标", "数值"), rows)
    if fmt == "csv":
        assert csv_rows(data)[2:] == [["'" + DDE, "3"], ["'+比例", "'-5%"], ["数", "-2"]]
        return
    cells = xlsx_rows(data)
    assert cells[2:] == [
        [("'" + DDE, "s"), (3, "n")],
        [("'+比例", "s"), ("'-5%", "s")],
        [("数", "s"), (-2, "n")],
    ]
