"""The `govreply` command: parse arguments, call one domain function, print the result.

User mistakes print one line to stderr and exit 1, without a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from bot.settings import Settings
from knowledge_base.errors import GovReplyError
from workflow.models import FilingKind

# PTB 22: durations as timedelta (RetryAfter.retry_after), without a deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

app = typer.Typer(
    help="GovReply: reply desk for government social-media accounts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="The consultation Q&A base (咨询答问库).", no_args_is_help=True)
users_app = typer.Typer(help="Operators and their roles.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
eval_app = typer.Typer(help="Quality measurements on labelled data.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases (complaints, reports, illegal content).", no_args_is_help=True)
account_app = typer.Typer(
    help="The account's filing with its supervising office (分级备案).", no_args_is_help=True
)
app.add_typer(kb_app, name="kb")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(eval_app, name="eval")
app.add_typer(cases_app, name="cases")
app.add_typer(account_app, name="account")


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid settings ({problems})")


def open_db(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.db import Database, upgrade

    upgrade(settings.database_url)
    return Database(settings.database_url)


# --- run ----------------------------------------------------------------------------------------


@app.command()
def run() -> None:
    """Run the bot (polling or webhook). Without a token, start the sandbox instead."""
    settings = load_settings()
    from bot.logging import setup_logging

    setup_logging(settings.log_level)
    if settings.token is None:
        typer.echo(
            "GOVREPLY_TOKEN is not set: starting the sandbox (no Telegram needed).", err=True
        )
        from bot.sandbox import serve_sandbox

        asyncio.run(serve_sandbox(settings))
        return
    from bot.serve import serve

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port of the sandbox page.")] = 8080,
) -> None:
    """Try GovReply in a browser: a citizen chat and the operators' group, no Telegram."""
    settings = load_settings()
    from bot.logging import setup_logging
    from bot.sandbox import serve_sandbox

    setup_logging(settings.log_level)
    asyncio.run(serve_sandbox(settings, port=port))


# --- db ---------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the latest version."""
    settings = load_settings()
    from bot.db import upgrade

    upgrade(settings.database_url)
    typer.echo("database is up to date")


@db_app.command("backup")
def db_backup(
    out: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
) -> None:
    """A consistent copy of the database while GovReply runs: SQLite through its online
    backup, PostgreSQL through pg_dump (custom format; restore with pg_restore). The copy
    holds personal data: the backup is on the audit trail."""
    import getpass

    from bot.backup import BackupFailed, backup
    from workflow import audit

    if out.exists():
        fail(f"{out} exists: choose a new file name")
    settings = load_settings()
    try:
        size = backup(settings.database_url, out)
    except BackupFailed as exc:
        fail(str(exc))
    open_db(settings).call(
        audit.record,
        "database_backed_up",
        "database",
        out.name,
        after={"file": str(out.resolve()), "bytes": size, "by": getpass.getuser()},
    )
    typer.echo(f"wrote {out} ({size} bytes)")


# --- users ------------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    telegram_id: Annotated[int, typer.Option(help="The operator's Telegram user id.")],
    role: Annotated[str, typer.Option(help="reviewer, deputy_head, head or admin.")],
    name: Annotated[str, typer.Option(help="Name shown in stamps (审核人/审签人).")],
) -> None:
    """Register an operator (or change their role)."""
    from workflow.models import Role
    from workflow.operators import add_operator

    try:
        role_value = Role(role)
    except ValueError:
        fail(f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}")
    db = open_db(load_settings())
    op = db.call(add_operator, telegram_id, role_value, name)
    typer.echo(f"operator {op.telegram_id} {op.name} is {op.role.value}")


@users_app.command("list")
def users_list() -> None:
    """List operators."""
    from workflow.operators import list_operators

    db = open_db(load_settings())
    for op in db.call(list_operators):
        typer.echo(
            f"{op.telegram_id}\t{op.role.value}\t{op.name}\t{'active' if op.active else 'off'}"
        )


@users_app.command("remove")
def users_remove(telegram_id: Annotated[int, typer.Option()]) -> None:
    """Deactivate an operator (their past signatures stay on record)."""
    from workflow.operators import deactivate_operator

    db = open_db(load_settings())
    try:
        db.call(deactivate_operator, telegram_id)
    except GovReplyError as exc:
        fail(str(exc))
    typer.echo(f"operator {telegram_id} deactivated")


# --- kb ---------------------------------------------------------------------------------------


@kb_app.command("import")
def kb_import(
    file: Annotated[Path, typer.Argument(help="JSONL, CSV or XLSX file.")],
    dry_run: Annotated[bool, typer.Option(help="Validate and preview only.")] = False,
) -> None:
    """Import Q&A entries (all or nothing) and update the search index."""
    from knowledge_base import io as kb_io
    from knowledge_base import store

    if not file.exists():
        fail(f"{file}: no such file")
    data = file.read_bytes()
    if dry_run:
        problems = kb_io.validation_report(data, str(file))
        for p in problems:
            typer.echo(f"{file} line {p.line}: field '{p.field}' {p.problem}")
        if problems:
            raise typer.Exit(1)
        typer.echo(f"{file}: {len(kb_io.parse(data, str(file)))} entries OK (dry run)")
        return
    try:
        records = kb_io.parse(data, str(file))
    except GovReplyError as exc:
        fail(str(exc))
    settings = load_settings()
    db = open_db(settings)
    summary = db.call(store.import_records, records)
    # The bot owns the search index (two processes writing it would corrupt it): a running
    # bot takes the change within a minute, a stopped one when it starts.
    typer.echo(
        f"imported {file}: {len(summary.created)} new, {len(summary.updated)} updated, "
        f"{len(summary.unchanged)} unchanged; the bot's search index follows"
    )


@kb_app.command("export")
def kb_export(
    file: Annotated[Path, typer.Argument(help="Output .jsonl, .csv or .xlsx file.")],
    include_retired: Annotated[bool, typer.Option(help="Also export retired entries.")] = False,
) -> None:
    """Export the Q&A base."""
    from knowledge_base import io as kb_io
    from knowledge_base import store

    fmt = file.suffix.lstrip(".").lower()
    if fmt not in ("jsonl", "csv", "xlsx"):
        fail(f"{file}: unknown format {fmt!r}; use .jsonl, .csv or .xlsx")
    db = open_db(load_settings())
    rows = db.call(
        lambda s: store.export_dicts(store.list_entries(s, include_retired=include_retired))
    )
    file.write_bytes(kb_io.export_rows(rows, fmt))
    typer.echo(f"exported {len(rows)} entries to {file}")


@kb_app.command("history")
def kb_history(
    out: Annotated[Path, typer.Argument(help="Output JSONL for `model train --history`.")],
) -> None:
    """Export operators' decisions (approved pairs, replaced matches) as training data."""
    from workflow.history import operator_history

    db = open_db(load_settings())
    rows = db.call(operator_history)
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    approved = sum(1 for r in rows if r["kind"] == "approved")
    typer.echo(f"exported {approved} approved pairs and {len(rows) - approved} hard negatives")


# --- audit ------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain: any edited or deleted record is reported."""
    from workflow import audit

    db = open_db(load_settings())
    result = db.call(audit.verify)
    if result.ok:
        typer.echo(f"audit chain intact: {result.checked} records")
        return
    where = f" (record {result.record_id})" if result.record_id is not None else ""
    fail(f"audit chain broken after {result.checked} good records{where}: {result.problem}")


def _parse_day(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        fail(f"--{name} {value!r} is not a date (YYYY-MM-DD)")


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Argument(help="Output .csv or .xlsx file.")],
    from_: Annotated[str | None, typer.Option("--from", help="From date (inclusive).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="To date (exclusive).")] = None,
) -> None:
    """Export audit records in a date range as CSV or XLSX."""
    from workflow import audit

    fmt = out.suffix.lstrip(".").lower()
    if fmt not in ("csv", "xlsx"):
        fail(f"{out}: use a .csv or .xlsx file name")
    since, until = _parse_day(from_, "from"), _parse_day(to, "to")
    db = open_db(load_settings())
    header = [
        "id",
        "at",
        "actor_id",
        "action",
        "subject_type",
        "subject_id",
        "before",
        "after",
        "prev_hash",
        "hash",
    ]

    def rows(session):  # type: ignore[no-untyped-def]
        return [
            [
                r.id,
                r.at.isoformat(),
                r.actor_id,
                r.action,
                r.subject_type,
                r.subject_id,
                json.dumps(r.before, ensure_ascii=False),
                json.dumps(r.after, ensure_ascii=False),
                r.prev_hash,
                r.hash,
            ]
            for r in audit.iter_records(session, since, until)
        ]

    data = db.call(rows)
    _write_table(out, header, data)
    typer.echo(f"exported {len(data)} audit records to {out}")


def _write_table(out: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Write rows under a header in the format the file name says (csv, xlsx or md)."""
    from bot.tables import table_bytes

    out.write_bytes(table_bytes(out.suffix.lstrip(".").lower(), header, rows))


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="Output .xlsx, .csv or .md file.")],
    quarter: Annotated[
        str | None, typer.Option(help="A quarter such as 2026Q4 (instead of --from/--to).")
    ] = None,
    from_: Annotated[str | None, typer.Option("--from", help="From date (inclusive).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="To date (exclusive).")] = None,
) -> None:
    """Figures for the supervising office's spot checks and assessment (RULES §8)."""
    from handlers.texts import report_label
    from workflow import assessment

    fmt = out.suffix.lstrip(".").lower()
    if fmt not in ("xlsx", "csv", "md"):
        fail(f"{out}: use a .xlsx, .csv or .md file name")
    if quarter is not None:
        try:
            start, end = assessment.quarter(quarter)
        except ValueError as exc:
            fail(str(exc))
    else:
        since, until = _parse_day(from_, "from"), _parse_day(to, "to")
        if since is None or until is None:
            fail("give --quarter, or both --from and --to")
        start, end = since, until
    if end <= start:
        fail("--to must be after --from")
    figures = open_db(load_settings()).call(assessment.period_report, start, end)
    rows = [(report_label(key), value) for key, value in figures.rows()]
    _write_table(out, ("指标", "数值"), rows)
    typer.echo(f"wrote {len(rows)} figures for {rows[0][1]} to {out}")


@cases_app.command("evidence")
def cases_evidence(
    ticket: Annotated[str, typer.Argument(help="Case ticket, e.g. GR-2026-000123.")],
    out: Annotated[Path, typer.Argument(help="Output .docx file.")],
) -> None:
    """The report of suspected illegal content with the original, unmasked text, for the
    competent authority (Weibo measures Art. 14). The operators' group only ever gets the
    de-identified copy; each export is on the audit trail."""
    import getpass

    from workflow import cases
    from workflow.illegal_content import render_authority_report

    if out.suffix.lower() != ".docx":
        fail(f"{out}: use a .docx file name")
    settings = load_settings()
    unit = cases.Unit(settings.unit_name, settings.official_account, settings.supervising_office)
    try:
        info = open_db(settings).call(cases.export_evidence, ticket, unit, getpass.getuser())
    except GovReplyError as exc:
        fail(str(exc))
    out.write_bytes(render_authority_report(info))
    typer.echo(f"wrote the unmasked report of {info.ticket} to {out}")


@account_app.command("file")
def account_file(
    kind: Annotated[FilingKind, typer.Argument(help="open (开设), change (变更), close (注销).")],
    out: Annotated[Path, typer.Argument(help="Output .docx file: the filing record (备案表).")],
    reason: Annotated[str, typer.Option(help="What is filed and why (说明).")] = "",
) -> None:
    """File the account with the supervising office (RULES §8): writes the filing record
    with the account's current facts (settings, operators by role) and keeps them, so the
    weekly inspection can tell when they change. A change lists what changed since."""
    import getpass

    from bot.services import account_profile
    from workflow import account_filing

    if out.suffix.lower() != ".docx":
        fail(f"{out}: use a .docx file name")
    settings = load_settings()
    db = open_db(settings)
    before = db.call(account_filing.last_filing)
    try:
        filing, changed = db.call(
            account_filing.record, kind, account_profile(settings), reason, getpass.getuser()
        )
    except GovReplyError as exc:
        fail(str(exc))
    out.write_bytes(account_filing.render(filing, changed, before.facts if before else {}))
    what = f"; changed: {', '.join(changed)}" if changed else ""
    typer.echo(f"filed {kind.value} ({filing.filed_at.date()}) and wrote {out}{what}")


@account_app.command("status")
def account_status() -> None:
    """When the account was last filed and what has changed since."""
    from bot.services import account_profile
    from workflow import account_filing

    settings = load_settings()
    state = open_db(settings).call(account_filing.status, account_profile(settings))
    if state.last is None:
        typer.echo("never filed: run `govreply account file open FILE.docx`")
        return
    typer.echo(f"last filing: {state.last.kind.value} on {state.last.filed_at.date()}")
    typer.echo(f"changed since: {', '.join(state.changed)}" if state.changed else "no changes")


@app.command("security")
def security_check(
    action: Annotated[str, typer.Argument(help="check")] = "check",
) -> None:
    """RULES §7: the files holding the bot token, the console key and personal data are for
    their owner only, and console login links never travel in clear. Exit 1 on a problem."""
    from bot import security
    from handlers.texts import SECURITY

    if action != "check":
        fail(f"unknown action {action!r}: use `govreply security check`")
    problems = security.check(load_settings())
    for code in problems:
        typer.echo(f"problem: {SECURITY[code]}")
    if problems:
        raise typer.Exit(1)
    typer.echo("no problems found")


def _register_optional() -> None:
    """Sub-commands that live in their own modules (model training, evaluations)."""
    from bot.commands import eval_retrieval, eval_triage, model

    app.add_typer(model.app, name="model")
    eval_app.command("retrieval")(eval_retrieval.retrieval)
    eval_app.command("routing")(eval_triage.routing)
    eval_app.command("pii")(eval_triage.pii)


try:
    _register_optional()
except ImportError as exc:  # a helper module not written yet must not break the CLI
    print(f"warning: {exc}", file=sys.stderr)  # noqa: T201
