"""Quality figures for routing and de-identification, as printed by `govreply eval`.

This module owns reading labelled evaluation files (JSONL) and computing the numbers the issue
sets goals for: routing accuracy, macro-F1, per-label precision/recall/F1 and the confusion
matrix; PII precision/recall/F1 over exact spans, per type, and the count of government hotlines
that were wrongly masked (must be 0).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workflow.errors import ImportFailed
from workflow.redaction import PiiType, find_pii, government_hotlines
from workflow.triage import Label, Router

logger = logging.getLogger(__name__)


def read_rows(path: Path, required: tuple[str, ...] = ("text",)) -> list[dict[str, Any]]:
    """Read a JSONL evaluation file.

    Raises:
        ImportFailed: a line is not a JSON object or lacks a required field.
    """
    rows = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImportFailed(str(path), number, "(line)", f"is not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise ImportFailed(str(path), number, "(line)", "is not a JSON object")
        for field in required:
            if field not in row:
                raise ImportFailed(str(path), number, field, "is missing")
        rows.append(row)
    return rows


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def evaluate_routing(router: Router, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Classify every row and compare with its `label`.

    Returns:
        {"n", "accuracy", "macro_f1", "per_label": {label: {precision, recall, f1, support}},
        "confusion": {"labels": [...], "matrix": [[gold row][predicted column]]},
        "fallbacks": how many fell back to consultation}.
    """
    labels = [label.value for label in Label]
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    fallbacks = 0
    for row in rows:
        gold = str(row["label"])
        if gold not in index:
            msg = f"evaluation row has unknown label {gold!r}; expected one of {labels}"
            raise ValueError(msg)
        routing = router.classify(str(row["text"]))
        fallbacks += routing.evidence == ["fallback"]
        matrix[index[gold]][index[routing.label.value]] += 1
    total = sum(map(sum, matrix))
    correct = sum(matrix[i][i] for i in range(len(labels)))
    per_label = {}
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        fn = sum(matrix[i]) - tp
        fp = sum(matrix[r][i] for r in range(len(labels))) - tp
        per_label[label] = {**_prf(tp, fp, fn), "support": tp + fn}
    present = [m for m in per_label.values() if m["support"]]
    macro = sum(m["f1"] for m in present) / len(present) if present else 0.0
    return {
        "n": total,
        "accuracy": round(correct / total, 4) if total else 0.0,
        "macro_f1": round(macro, 4),
        "per_label": per_label,
        "confusion": {"labels": labels, "matrix": matrix},
        "fallbacks": fallbacks,
    }


def _hotline_positions(text: str) -> list[tuple[int, int]]:
    hotlines = government_hotlines()
    return [
        (m.start(), m.end())
        for m in re.finditer(r"(?<!\d)\d{3,5}(?!\d)", text)
        if m.group() in hotlines
    ]


def evaluate_pii(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Run `find_pii` on every row and compare with its gold `spans` (exact start, end, type).

    Returns:
        {"n", "micro": {precision, recall, f1, support}, "per_type": {type: {..., support}},
        "hotlines_masked": government hotline numbers inside a predicted span (goal: 0)}.
    """
    counts = {t.value: [0, 0, 0] for t in PiiType}  # tp, fp, fn
    hotlines_masked = 0
    n = 0
    for row in rows:
        n += 1
        text = str(row["text"])
        gold = {(int(s["start"]), int(s["end"]), str(s["type"])) for s in row.get("spans", [])}
        spans = find_pii(text)
        predicted = {(s.start, s.end, s.type.value) for s in spans}
        for kind in counts:
            g = {s for s in gold if s[2] == kind}
            p = {s for s in predicted if s[2] == kind}
            counts[kind][0] += len(g & p)
            counts[kind][1] += len(p - g)
            counts[kind][2] += len(g - p)
        for start, end in _hotline_positions(text):
            hotlines_masked += any(s.start < end and start < s.end for s in spans)
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    per_type = {kind: {**_prf(*c), "support": c[0] + c[2]} for kind, c in counts.items() if any(c)}
    return {
        "n": n,
        "micro": {**_prf(tp, fp, fn), "support": tp + fn},
        "per_type": per_type,
        "hotlines_masked": hotlines_masked,
    }
