"""Retrieval metrics on sets in the shared ``kb.jsonl`` + ``queries.jsonl`` format.

Metrics follow ../shared/datasets/README.md: Acc@1, MRR@10, Recall@10 over answerable
queries, and coverage@P95 over all queries ranked by the system's confidence.

Raises:
    DatasetError: a line of a JSONL file is not valid JSON or lacks a required field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from knowledge_base.documents import KBDoc

if TYPE_CHECKING:
    from knowledge_base.retrieval import Matcher

__all__ = [
    "DatasetError",
    "LabelledQuery",
    "coverage_at_precision",
    "evaluate",
    "load_kb",
    "load_queries",
]


class DatasetError(ValueError):
    """A dataset file cannot be read; names the file, line and field."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path} line {self.line}: {self.problem}; nothing was loaded"


@dataclass(frozen=True)
class LabelledQuery:
    """A message and the entry that answers it (None: the system should abstain)."""

    text: str
    gold: str | None


def _records(path: Path) -> Iterable[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(path, number, f"invalid JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise DatasetError(path, number, "expected a JSON object")
            yield number, record


def load_kb(path: Path) -> list[KBDoc]:
    """Read a ``kb.jsonl`` file.

    Raises:
        DatasetError: bad JSON, or a missing/empty ``id``/``question``.
    """
    docs = []
    for number, record in _records(path):
        for name in ("id", "question"):
            if not str(record.get(name) or "").strip():
                raise DatasetError(path, number, f"field '{name}' is empty")
        docs.append(
            KBDoc(
                id=str(record["id"]),
                question=str(record["question"]),
                answer=str(record.get("answer") or ""),
                variants=tuple(str(v) for v in record.get("variants") or ()),  # type: ignore[attr-defined]
                category=str(record.get("category") or ""),
                sensitivity=str(record.get("sensitivity") or "ordinary"),
            )
        )
    return docs


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read a ``queries.jsonl`` file.

    Raises:
        DatasetError: bad JSON, or a missing ``text``.
    """
    out = []
    for number, record in _records(path):
        if not str(record.get("text") or "").strip():
            raise DatasetError(path, number, "field 'text' is empty")
        gold = record.get("gold")
        out.append(LabelledQuery(str(record["text"]), None if gold is None else str(gold)))
    return out


def coverage_at_precision(
    scores: Sequence[float], correct: Sequence[bool], n_answerable: int, target: float = 0.95
) -> float:
    """Largest share of answerable queries answered correctly at precision >= ``target``.

    Queries are answered in descending score order; a cut never splits tied scores.
    """
    if n_answerable == 0 or not scores:
        return 0.0
    s = np.asarray(scores, dtype=np.float64)
    c = np.asarray(correct, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s, c = s[order], c[order]
    hits = np.cumsum(c)
    precision = hits / np.arange(1, s.size + 1)
    cut = np.r_[s[1:] != s[:-1], True]
    ok = cut & (precision >= target)
    return float(hits[ok].max() / n_answerable) if ok.any() else 0.0


def evaluate(
    matcher: Matcher, queries: Sequence[LabelledQuery], progress: bool = True
) -> dict[str, float | int]:
    """Run every query through ``matcher.search`` and compute the README metrics."""
    answerable = [q for q in queries if q.gold is not None]
    acc = mrr = recall = 0.0
    probs: list[float] = []
    fused: list[float] = []
    correct: list[bool] = []
    latencies: list[float] = []
    confident_answered = confident_correct = 0
    for query in tqdm(queries, desc="queries", disable=not progress, unit="q"):
        start = time.perf_counter()
        result = matcher.search(query.text, k=10)
        latencies.append((time.perf_counter() - start) * 1000)
        ids = [m.entry_id for m in result.matches]
        top_ok = bool(ids) and query.gold is not None and ids[0] == query.gold
        if query.gold is not None:
            acc += top_ok
            if query.gold in ids:
                mrr += 1.0 / (ids.index(query.gold) + 1)
                recall += 1.0
        probs.append(result.probability)
        fused.append(result.best.score if result.best else -np.inf)
        correct.append(top_ok)
        if result.confident:
            confident_answered += 1
            confident_correct += top_ok
    n = max(len(answerable), 1)
    lat = np.asarray(latencies) if latencies else np.zeros(1)
    total_seconds = float(lat.sum()) / 1000
    return {
        "n_queries": len(queries),
        "n_answerable": len(answerable),
        "n_abstain": len(queries) - len(answerable),
        "acc_at_1": round(acc / n, 4),
        "mrr_at_10": round(mrr / n, 4),
        "recall_at_10": round(recall / n, 4),
        "coverage_at_p95": round(coverage_at_precision(probs, correct, len(answerable)), 4),
        "coverage_at_p95_fused_score": round(
            coverage_at_precision(fused, correct, len(answerable)), 4
        ),
        "confident_share": round(confident_answered / max(len(queries), 1), 4),
        "confident_precision": round(confident_correct / max(confident_answered, 1), 4),
        "latency_ms_p50": round(float(np.percentile(lat, 50)), 2),
        "latency_ms_p99": round(float(np.percentile(lat, 99)), 2),
        "queries_per_second": round(len(queries) / max(total_seconds, 1e-9), 1),
    }
