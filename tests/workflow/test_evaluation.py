"""Evaluation figures: routing metrics and confusion, PII span metrics and hotline safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.errors import ImportFailed
from workflow.evaluation import evaluate_pii, evaluate_routing, read_rows
from workflow.triage import Label, Router

ROUTING_ROWS = [
    {"text": "请问护照过期了怎么换 要预约吗", "label": "consultation"},
    {"text": "办事窗口的人态度太差 我要投诉", "label": "complaint"},
    {"text": "有人冒充你们的公众号收钱 是你们的吗", "label": "impersonation_report"},
    {"text": "谢谢你们 问题很快解决了 点赞", "label": "praise"},
]


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


def test_routing_report_has_the_documented_shape(router: Router) -> None:
    report = evaluate_routing(router, ROUTING_ROWS)
    assert report["n"] == 4
    assert report["accuracy"] == 1.0
    assert report["macro_f1"] == 1.0
    assert set(report["per_label"]) == {label.value for label in Label}
    assert report["per_label"]["complaint"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 1,
    }
    labels = report["confusion"]["labels"]
    matrix = report["confusion"]["matrix"]
    assert len(matrix) == len(labels) == 9
    assert matrix[labels.index("praise")][labels.index("praise")] == 1
    assert sum(map(sum, matrix)) == 4


def test_a_wrong_prediction_lands_off_the_diagonal(router: Router) -> None:
    rows = [{"text": "办事窗口的人态度太差 我要投诉", "label": "praise"}]
    report = evaluate_routing(router, rows)
    labels = report["confusion"]["labels"]
    assert report["confusion"]["matrix"][labels.index("praise")][labels.index("complaint")] == 1
    assert report["per_label"]["praise"]["recall"] == 0.0
    assert report["accuracy"] == 0.0


def test_pii_report_counts_exact_spans_per_type() -> None:
    rows = [
        {"text": "电话13807316629", "spans": [{"start": 2, "end": 13, "type": "mobile"}]},
        # Gold says name, but the detector cannot see one here: a miss.
        {"text": "找小芳就行", "spans": [{"start": 1, "end": 3, "type": "name"}]},
        {"text": "热线12345，手机15907416638", "spans": []},  # the mobile is a false positive
    ]
    report = evaluate_pii(rows)
    assert report["n"] == 3
    assert report["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert report["per_type"]["mobile"]["precision"] == 0.5
    assert report["per_type"]["name"]["recall"] == 0.0
    assert report["hotlines_masked"] == 0


def test_read_rows_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "a", "label": "praise"}\n{"text": "b"}\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        read_rows(path, required=("text", "label"))
    assert (caught.value.line, caught.value.field) == (2, "label")
