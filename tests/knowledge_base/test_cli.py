from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.commands import eval_retrieval, model
from knowledge_base.retrieval import Matcher

REQUIRED = {
    "acc_at_1", "mrr_at_10", "recall_at_10", "coverage_at_p95", "n_answerable", "n_abstain",
    "index_build_seconds", "latency_ms_p50", "latency_ms_p99", "queries_per_second",
}


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    evals = typer.Typer()
    evals.command("retrieval")(eval_retrieval.retrieval)
    app.add_typer(evals, name="eval")
    app.add_typer(model.app, name="model")
    return app


def test_eval_retrieval_prints_json_with_required_keys(
    cli: typer.Typer, sample_dir: Path
) -> None:
    result = CliRunner().invoke(
        cli,
        ["eval", "retrieval", "--kb", str(sample_dir / "kb.jsonl"),
         "--queries", str(sample_dir / "queries.jsonl"), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report.keys() >= REQUIRED
    assert report["n_answerable"] == 100
    assert report["n_abstain"] == 40
    assert 0.0 <= report["coverage_at_p95"] <= report["recall_at_10"] <= 1.0


def test_eval_retrieval_rejects_unknown_gold_ids(
    cli: typer.Typer, sample_dir: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"text": "护照怎么办", "gold": "NOPE"}\n', "utf-8")
    result = CliRunner().invoke(
        cli, ["eval", "retrieval", "--kb", str(sample_dir / "kb.jsonl"), "--queries", str(queries)]
    )
    assert result.exit_code == 1
    assert "NOPE" in result.stderr


def test_tiny_training_run_produces_a_model_dir_the_matcher_loads(
    cli: typer.Typer, sample_dir: Path, tmp_path: Path
) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(
        '{"text": "外地打工的怎么办居住证", "entry_id": "S01", "kind": "approved"}\n'
        '{"text": "居住证过期了", "entry_id": "S01", "kind": "rejected"}\n',
        "utf-8",
    )
    out = tmp_path / "model"
    result = CliRunner().invoke(
        cli,
        ["model", "train", "--data", str(sample_dir), "--out", str(out),
         "--history", str(history), "--max-pairs", "24"],
    )
    assert result.exit_code == 0, result.output
    assert (out / "govreply_matcher.json").exists()
    report = json.loads((out / "train_report.json").read_text("utf-8"))
    assert report["added_tokens"] > 1000
    assert report["hard_negatives"] == 1
    matcher = Matcher.open(out)
    assert "[UNK]" not in matcher.model.tokenizer.tokenize("外地人办居住证")
    matcher.rebuild([])
    assert matcher.search("居住证").matches == []
