"""The govreply CLI on a real database: users, kb import/export, audit verify/export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GOVREPLY_DATABASE_URL", db_url)
    monkeypatch.setenv("GOVREPLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return db_url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_users_add_and_list(cli_env: str) -> None:
    code, out, _ = run(
        "users", "add", "--telegram-id", "1001", "--role", "reviewer", "--name", "王审核"
    )
    assert code == 0 and "王审核 is reviewer" in out
    code, out, _ = run("users", "list")
    assert "1001\treviewer\t王审核\tactive" in out


def test_unknown_role_is_a_one_line_error(cli_env: str) -> None:
    code, _, err = run("users", "add", "--telegram-id", "1", "--role", "boss", "--name", "x")
    assert code == 1 and err.startswith("error: unknown role 'boss'")
    assert "Traceback" not in err


def test_malformed_kb_names_line_and_field_and_imports_nothing(
    cli_env: str, tmp_path: Path
) -> None:
    assert run("db", "upgrade")[0] == 0
    bad = tmp_path / "kb.jsonl"
    good = json.dumps(
        {"id": "Q1", "question": "如何办理居住证", "answer": "请到派出所。"}, ensure_ascii=False
    )
    broken = json.dumps({"id": "Q2", "question": "身份证丢了", "answer": ""}, ensure_ascii=False)
    bad.write_text(good + "\n" + broken + "\n", encoding="utf-8")
    code, _, err = run("kb", "import", str(bad))
    assert code == 1
    assert "line 2: field 'answer' is missing or empty; nothing was imported" in err
    db = Database(cli_env)
    try:
        count = db.call(lambda s: s.exec(text("SELECT count(*) FROM kb_entry")).one()[0])
    finally:
        db.dispose()
    assert count == 0


def test_kb_import_then_export_round_trips(cli_env: str, tmp_path: Path) -> None:
    code, out, err = run("kb", "import", str(ROOT / "examples" / "kb_sample.jsonl"))
    assert code == 0, err
    assert "12 new" in out
    code, out, _ = run("kb", "import", str(ROOT / "examples" / "kb_sample.jsonl"))
    assert "12 unchanged" in out
    for suffix in ("jsonl", "csv", "xlsx"):
        target = tmp_path / f"out.{suffix}"
        code, out, _ = run("kb", "export", str(target))
        assert code == 0 and "exported 12 entries" in out
        assert target.stat().st_size > 0
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["id"] == "CJ001"


def test_audit_verify_detects_an_edited_and_a_deleted_record(cli_env: str) -> None:
    for n in range(3):
        run(
            "users",
            "add",
            "--telegram-id",
            str(1000 + n),
            "--role",
            "reviewer",
            "--name",
            f"审核{n}",
        )
    code, out, _ = run("audit", "verify")
    assert code == 0 and "intact: 3 records" in out

    db = Database(cli_env)
    try:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_record SET actor_id = 42 WHERE id = 2"))
        code, _, err = run("audit", "verify")
        assert code == 1 and "record 2" in err and "edited" in err
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_record SET actor_id = NULL WHERE id = 2"))
            conn.execute(text("DELETE FROM audit_record WHERE id = 2"))
        code, _, err = run("audit", "verify")
        assert code == 1 and "deleted" in err
    finally:
        db.dispose()


def test_audit_export_csv_and_xlsx(cli_env: str, tmp_path: Path) -> None:
    run("users", "add", "--telegram-id", "1001", "--role", "head", "--name", "刘主任")
    code, out, _ = run("audit", "export", str(tmp_path / "a.csv"), "--from", "2020-01-01")
    assert code == 0 and "exported 1 audit records" in out
    assert "operator_set" in (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    code, _, _ = run("audit", "export", str(tmp_path / "a.xlsx"))
    assert code == 0 and (tmp_path / "a.xlsx").stat().st_size > 0
    code, _, err = run("audit", "export", str(tmp_path / "a.csv"), "--from", "yesterday")
    assert code == 1 and "not a date" in err


def test_cases_evidence_exports_the_unmasked_report_on_record(
    cli_env: str, tmp_path: Path
) -> None:
    from sqlmodel import Session, select

    from workflow import cases
    from workflow.docx_forms import document_text
    from workflow.models import AuditRecord, CaseKind, ChatKind, ChecklistStep, CitizenMessage

    assert run("db", "upgrade")[0] == 0
    db = Database(cli_env)

    def open_illegal(session: Session) -> str:
        message = CitizenMessage(
            chat_id=-100200,
            chat_kind=ChatKind.DISCUSSION,
            message_id=7,
            user_id=5002,
            text="代开发票 电话13812345678",
            text_redacted="代开发票 电话138****5678",
        )
        session.add(message)
        session.flush()
        facts = {"category": "伪造证件、发票", "matched": ["代开发票"], "removed": True}
        case = cases.open_case(
            session,
            CaseKind.ILLEGAL_CONTENT,
            message,
            detail=facts,
            done=(ChecklistStep.EVIDENCE_KEPT,),
        )
        return case.ticket

    try:
        ticket = db.call(open_illegal)
        out = tmp_path / "evidence.docx"
        code, stdout, err = run("cases", "evidence", ticket.lower(), str(out))
        assert code == 0, err
        assert ticket in stdout
        report = document_text(out.read_bytes())
        assert "13812345678" in report and "未脱敏" in report and "伪造证件" in report
        exported = db.call(
            lambda s: s.exec(
                select(AuditRecord).where(AuditRecord.action == "case_evidence_exported")
            ).all()
        )
        assert len(exported) == 1 and exported[0].subject_id == ticket
        code, _, err = run("cases", "evidence", "GR-2026-999999", str(out))
        assert code == 1 and err.startswith("error:") and "Traceback" not in err
        code, _, err = run("cases", "evidence", ticket, str(tmp_path / "x.pdf"))
        assert code == 1 and ".docx" in err
    finally:
        db.dispose()


def test_account_filing_records_the_facts_and_a_change_names_what_changed(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow.docx_forms import document_text

    monkeypatch.setenv("GOVREPLY_UNIT_NAME", "示例市政务服务中心")
    monkeypatch.setenv("GOVREPLY_OFFICIAL_ACCOUNT", "示例市发布")
    monkeypatch.setenv("GOVREPLY_CHANNEL_ID", "-100300")
    assert run("db", "upgrade")[0] == 0
    run("users", "add", "--telegram-id", "1004", "--role", "head", "--name", "刘主任")
    code, out, _ = run("account", "status")
    assert code == 0 and "never filed" in out
    code, _, err = run("account", "file", "change", str(tmp_path / "c.docx"))
    assert code == 1 and "no opening on record" in err and "Traceback" not in err

    code, out, err = run("account", "file", "open", str(tmp_path / "open.docx"))
    assert code == 0, err
    record = document_text((tmp_path / "open.docx").read_bytes())
    assert "政务新媒体开设备案表" in record and "示例市发布" in record and "刘主任" in record
    assert run("account", "status")[1].strip().endswith("no changes")

    # A new head: the account's facts changed, and the change filing lists it.
    run("users", "remove", "--telegram-id", "1004")
    run("users", "add", "--telegram-id", "1005", "--role", "head", "--name", "孙主任")
    code, out, _ = run("account", "status")
    assert "changed since: head" in out
    code, out, err = run(
        "account", "file", "change", str(tmp_path / "change.docx"), "--reason", "主要负责人调整"
    )
    assert code == 0 and "changed: head" in out, err
    change = document_text((tmp_path / "change.docx").read_bytes())
    assert "变更备案表" in change and "主要负责人：刘主任 → 孙主任" in change
    assert "主要负责人调整" in change
    code, _, err = run("account", "file", "open", str(tmp_path / "again.docx"))
    assert code == 1 and "open already" in err


def test_db_backup_writes_a_consistent_copy_and_is_audited(cli_env: str, tmp_path: Path) -> None:
    import sqlite3

    from sqlmodel import select

    from workflow.models import AuditRecord

    assert run("db", "upgrade")[0] == 0
    run("users", "add", "--telegram-id", "1001", "--role", "reviewer", "--name", "王审核")
    out = tmp_path / "backup.db"
    code, stdout, err = run("db", "backup", str(out))
    assert code == 0, err
    assert f"wrote {out}" in stdout
    if cli_env.startswith("sqlite"):
        with sqlite3.connect(out) as copy:
            names = [row[0] for row in copy.execute("SELECT name FROM operator")]
        assert names == ["王审核"]
    else:
        assert out.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    db = Database(cli_env)
    try:
        rows = db.call(
            lambda s: s.exec(
                select(AuditRecord).where(AuditRecord.action == "database_backed_up")
            ).all()
        )
        assert len(rows) == 1 and rows[0].after["bytes"] == out.stat().st_size
    finally:
        db.dispose()
    code, _, err = run("db", "backup", str(out))  # never overwritten
    assert code == 1 and "exists" in err


def test_security_check_names_what_others_could_read(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("db", "upgrade")[0] == 0
    env = tmp_path / ".env"  # the working directory's: where the bot token is kept
    env.write_text("GOVREPLY_LOG_LEVEL=INFO\n", encoding="utf-8")
    env.chmod(0o644)
    monkeypatch.setenv("GOVREPLY_CONSOLE_URL", "http://desk.example.gov.cn")
    code, out, _ = run("security", "check")
    assert code == 1 and "chmod 600 .env" in out and "不是 HTTPS" in out
    env.chmod(0o600)
    if cli_env.startswith("sqlite"):  # the database file GovReply created is its owner's only
        assert Path(cli_env.removeprefix("sqlite:///")).stat().st_mode & 0o077 == 0
    monkeypatch.setenv("GOVREPLY_CONSOLE_URL", "https://desk.example.gov.cn")
    code, out, _ = run("security", "check")
    assert code == 0 and "no problems found" in out
