"""`govreply eval routing` and `govreply eval pii`: quality figures for triage and redaction.

Plain functions with typer annotations; bot/cli.py registers them on its `eval` sub-app. Each
reads a labelled JSONL file, calls one function of workflow/evaluation.py and prints either one
JSON object (`--json`) or a readable table.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from workflow.errors import GovReplyError

logger = logging.getLogger(__name__)

DataOption = Annotated[
    Path,
    typer.Option("--data", help="Labelled JSONL file.", exists=True, dir_okay=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        for row in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def _metric_rows(per: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [
        [name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"])]
        for name, m in per.items()
    ]


def routing(
    data: DataOption,
    json_out: JsonOption = False,
    triage_data: Annotated[
        Path | None,
        typer.Option("--triage-data", help="Extra admin routing data dir merged on top."),
    ] = None,
) -> None:
    """Routing accuracy, macro-F1, per-label figures and the confusion matrix."""
    from workflow.evaluation import evaluate_routing, read_rows
    from workflow.triage import Router

    try:
        rows = read_rows(data, required=("text", "label"))
        report = evaluate_routing(Router.load(triage_data), rows)
    except (GovReplyError, ValueError) as exc:
        _fail(str(exc))
        return
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo(
        f"messages {report['n']}  accuracy {report['accuracy']:.3f}  "
        f"macro-F1 {report['macro_f1']:.3f}  fallbacks {report['fallbacks']}\n"
    )
    header = ["label", "precision", "recall", "f1", "support"]
    typer.echo(_table(header, _metric_rows(report["per_label"])))
    labels = report["confusion"]["labels"]
    short = [label[:6] for label in labels]
    matrix_rows = [
        [labels[i], *map(str, row)] for i, row in enumerate(report["confusion"]["matrix"])
    ]
    typer.echo("\nconfusion (rows: gold, columns: predicted)")
    typer.echo(_table(["gold \\ predicted", *short], matrix_rows))


def pii(data: DataOption, json_out: JsonOption = False) -> None:
    """De-identification precision/recall/F1 over exact spans, per type, and hotlines masked."""
    from workflow.evaluation import evaluate_pii, read_rows

    try:
        report = evaluate_pii(read_rows(data, required=("text", "spans")))
    except (GovReplyError, ValueError, KeyError) as exc:
        _fail(str(exc))
        return
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    micro = report["micro"]
    typer.echo(
        f"texts {report['n']}  micro precision {micro['precision']:.3f}  "
        f"recall {micro['recall']:.3f}  f1 {micro['f1']:.3f}  "
        f"hotlines masked {report['hotlines_masked']}\n"
    )
    header = ["type", "precision", "recall", "f1", "support"]
    typer.echo(_table(header, _metric_rows(report["per_type"])))
