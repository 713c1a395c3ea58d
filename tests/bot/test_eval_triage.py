"""`govreply eval routing` / `eval pii`: JSON and table output, and user mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.commands import eval_triage


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("routing")(eval_triage.routing)
    app.command("pii")(eval_triage.pii)
    return app


def write_jsonl(path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def routing_file(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "routing.jsonl",
        [
            {"text": "请问社保卡丢了怎么补办", "label": "consultation"},
            {"text": "你们这群饭桶 垃圾", "label": "abuse"},
        ],
    )


@pytest.fixture
def pii_file(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "pii.jsonl",
        [
            {"text": "手机13807316629", "spans": [{"start": 2, "end": 13, "type": "mobile"}]},
            {"text": "请拨打12345", "spans": []},
        ],
    )


def test_eval_routing_json_prints_one_object(cli: typer.Typer, routing_file: Path) -> None:
    result = CliRunner().invoke(cli, ["routing", "--data", str(routing_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["accuracy"] == 1.0
    assert {"macro_f1", "per_label", "confusion"} <= set(report)
    assert report["per_label"]["abuse"]["support"] == 1


def test_eval_routing_table_is_readable(cli: typer.Typer, routing_file: Path) -> None:
    result = CliRunner().invoke(cli, ["routing", "--data", str(routing_file)])
    assert result.exit_code == 0, result.output
    assert "macro-F1 1.000" in result.stdout
    assert "confusion (rows: gold, columns: predicted)" in result.stdout
    assert "sensitive_incident" in result.stdout


def test_eval_pii_json_and_table(cli: typer.Typer, pii_file: Path) -> None:
    result = CliRunner().invoke(cli, ["pii", "--data", str(pii_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["micro"]["precision"] == 1.0
    assert report["hotlines_masked"] == 0
    table = CliRunner().invoke(cli, ["pii", "--data", str(pii_file)])
    assert "hotlines masked 0" in table.stdout
    assert "mobile" in table.stdout


def test_bad_file_is_one_line_error_and_exit_1(cli: typer.Typer, tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"text": "没有标签"}])
    result = CliRunner().invoke(cli, ["routing", "--data", str(bad)])
    assert result.exit_code == 1
    assert "line 1: field 'label' is missing" in result.stderr
    assert "Traceback" not in result.output
