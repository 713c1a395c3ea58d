"""Honest quality figures: train on half of each shared set's entries, test on the rest.

Splits every set in ../shared/datasets by KB entry (seed 13): queries whose gold entry is in
the train half (and half of the abstain probes) go to training; the other queries are the
test set, searched against the full KB. Trains a MODEL_DIR outside the repository (from
``--base-model`` if given), then evaluates the bundled default and the trained model on the
test halves. ``bench/retrieval_base.py`` compares base models on the same split.

    python bench/retrieval_split.py --data ../shared/datasets --work /tmp/govreply-split
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

from knowledge_base.embedding import default_model_path
from knowledge_base.evaluation import evaluate, load_kb, load_queries
from knowledge_base.retrieval import Matcher
from knowledge_base.training import train


def split(src: Path, dst: Path, seed: int = 13, train_fraction: float = 1.0) -> None:
    """Write train/ and test/ copies of one set, split by entry. With `train_fraction` < 1
    only that share of the train half is written to train/ (a learning curve: the test half
    stays the same)."""
    queries = load_queries(src / "queries.jsonl")
    golds = sorted({q.gold for q in queries if q.gold})
    random.Random(seed).shuffle(golds)  # noqa: S311 - reproducible sampling
    half = len(golds) // 2
    train_ids = set(golds[: int(half * train_fraction)])
    test_ids = set(golds[half:])
    nulls = sorted(q.text for q in queries if q.gold is None)
    random.Random(seed).shuffle(nulls)  # noqa: S311 - reproducible sampling
    train_nulls = set(nulls[: int(len(nulls) // 2 * train_fraction)])
    test_nulls = set(nulls[len(nulls) // 2 :])
    for part in ("train", "test"):
        out = dst / part / src.name
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / "kb.jsonl", out / "kb.jsonl")
        with (src / "queries.jsonl").open(encoding="utf-8") as fin, (out / "queries.jsonl").open(
            "w", encoding="utf-8"
        ) as fout:
            for line in fin:
                record = json.loads(line)
                gold = record["gold"]
                if part == "train":
                    keep = gold in train_ids if gold else record["text"] in train_nulls
                else:
                    keep = gold in test_ids if gold else record["text"] in test_nulls
                if keep:
                    fout.write(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/govreply-split"))  # noqa: S108
    parser.add_argument("--epochs", type=int, default=1, help="0: keep the base, fit only fusion")
    parser.add_argument("--base-model", type=Path, default=None, help="model to train from")
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--max-pairs", type=int, default=None)
    parser.add_argument("--fusion-share", type=float, default=0.2)
    parser.add_argument(
        "--train-fraction",
        type=float,
        default=1.0,
        help="share of the train half to train on (learning curve; the test half is fixed)",
    )
    parser.add_argument(
        "--train-seed", type=int, default=13, help="training seed (the split always uses 13)"
    )
    parser.add_argument(
        "--trained-only", action="store_true", help="skip evaluating the bundled default model"
    )
    args = parser.parse_args()
    sets = sorted(p for p in args.data.iterdir() if (p / "kb.jsonl").exists())
    for s in sets:
        split(s, args.work, train_fraction=args.train_fraction)
    model_dir = args.work / "model"
    start = time.perf_counter()
    report = train(
        [args.work / "train" / s.name for s in sets],
        model_dir,
        epochs=args.epochs,
        fusion_share=args.fusion_share,
        seed=args.train_seed,
        base_model=args.base_model,
        learning_rate=args.learning_rate,
        max_pairs=args.max_pairs,
    )
    results: dict[str, object] = {"train_report": report.__dict__}
    results["train_seconds"] = round(time.perf_counter() - start, 1)
    models = [("default", default_model_path()), ("trained", model_dir)]
    for label, model in models[1:] if args.trained_only else models:
        matcher = Matcher.open(model)
        for s in sets:
            test = args.work / "test" / s.name
            t0 = time.perf_counter()
            matcher.rebuild(load_kb(test / "kb.jsonl"))
            build = time.perf_counter() - t0
            metrics = evaluate(matcher, load_queries(test / "queries.jsonl"), progress=False)
            metrics["index_build_seconds"] = round(build, 1)
            results[f"{label}/{s.name}"] = metrics
            sys.stderr.write(f"{label}/{s.name}: {json.dumps(metrics)}\n")
    sys.stdout.write(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
