"""Scale benchmark for the matcher: build time, memory, latency and throughput.

KB sizes 1k, 10k and 100k synthetic Chinese entries (templated questions, 1 variant each).
Up to ``--encode-max`` rows are embedded for real with the bundled model; above that the
dense vectors are drawn from the really-encoded ones plus noise (the embedding time is then
extrapolated from the measured rate and reported separately). A second part times faiss
alone, exact (IndexFlatIP) against IVF, on random unit vectors, to pick
``knowledge_base.index.APPROX_MIN_ROWS``.

    python bench/retrieval.py [--sizes 1000 10000 100000] [--encode-max 20000] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

from knowledge_base.documents import KBDoc
from knowledge_base.embedding import default_model_path, encode, load_model
from knowledge_base.index import DenseIndex
from knowledge_base.index_state import IndexState
from knowledge_base.retrieval import Matcher

PLACES = ["", "市", "区里", "街道", "社区", "网上", "外地", "本地", "线上", "窗口"]
SUBJECTS = [
    "居住证", "护照", "结婚证", "出生证明", "失业金", "养老保险", "医保", "生育津贴", "个税",
    "营业执照", "公租房", "人才补贴", "电动车牌照", "年检", "老年卡", "残疾证", "低保",
    "房产证", "契税", "燃气", "狗证", "垃圾分类", "停车费", "转学", "优待证", "维修资金",
    "退休", "驾驶证", "社保卡", "公积金", "户口", "签证", "准生证", "离婚", "低保金",
    "高龄补贴", "取暖费", "水费", "电费", "宽带",
]
ACTIONS = [
    "怎么办理", "需要什么材料", "在哪里办", "多久能办好", "要多少钱", "能网上办吗",
    "过期了怎么办", "丢了怎么补", "怎么查询进度", "可以代办吗", "有什么条件", "怎么变更信息",
    "周末能办吗", "要预约吗", "怎么注销", "能异地办吗", "需要本人去吗", "怎么续期",
]
WHO = ["", "老人", "孩子", "外地人", "学生", "个体户", "退休职工", "残疾人", "军人", "新市民"]


def synthetic_kb(n: int, seed: int = 13) -> list[KBDoc]:
    """``n`` distinct templated questions, each with one variant."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling
    seen: set[str] = set()
    docs = []
    while len(docs) < n:
        parts = (rng.choice(PLACES), rng.choice(WHO), rng.choice(SUBJECTS), rng.choice(ACTIONS))
        question = "".join(parts) + "？"
        if question in seen:
            question = f"{question[:-1]}（第{len(docs)}项）？"
        seen.add(question)
        variant = f"请问{parts[1]}{parts[2]}{rng.choice(ACTIONS)}"
        docs.append(KBDoc(f"E{len(docs):06d}", question, "答复", variants=(variant,)))
    return docs


def synthetic_queries(docs: list[KBDoc], n: int, seed: int = 7) -> list[str]:
    """Colloquial rewrites of random entries."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling
    out = []
    for doc in rng.sample(docs, min(n, len(docs))):
        text = doc.question.rstrip("？")
        out.append(rng.choice(["", "你好 ", "请问下 "]) + text + rng.choice(["", "啊", " 谢谢🙏"]))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_size(matcher: Matcher, n: int, encode_max: int, pool: np.ndarray) -> dict[str, float]:
    docs = synthetic_kb(n)
    rows = 2 * n
    real = rows <= encode_max
    rng = np.random.default_rng(n)

    def fake_encode(texts: list[str], progress: bool = False) -> np.ndarray:  # noqa: ARG001
        picks = pool[rng.integers(0, len(pool), size=len(texts))]
        noisy = picks + rng.normal(scale=0.05, size=picks.shape).astype(np.float32)
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)

    state = IndexState(None, matcher.state.dim, str(matcher.model_path), "bench")
    rss0 = rss_mb()
    start = time.perf_counter()
    encoder = matcher._encode if real else fake_encode  # noqa: SLF001
    state.upsert(docs, encoder)
    build = time.perf_counter() - start
    matcher.state = state
    queries = synthetic_queries(docs, 300)
    for q in queries[:10]:
        matcher.search(q)  # warm-up
    latencies = []
    start = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        matcher.search(q)
        latencies.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - start
    return {
        "entries": n,
        "rows": rows,
        "dense_index": state.dense.kind,
        "vectors_encoded_for_real": real,
        "index_build_seconds": round(build, 2),
        "peak_rss_growth_mb": round(rss_mb() - rss0, 1),
        "vectors_mb": round(state.dense.vectors.nbytes / 2**20, 1),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 2),
        "queries_per_second": round(len(queries) / total, 1),
    }


def bench_faiss(sizes: list[int], dim: int = 384) -> list[dict[str, float]]:
    rng = np.random.default_rng(0)
    out = []
    for n in sizes:
        x = rng.normal(size=(n, dim)).astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        q = x[rng.integers(0, n, 200)] + rng.normal(scale=0.3, size=(200, dim)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        row = {"rows": n}
        truth = None
        for kind, threshold in (("flat", n + 1), ("ivf", 1)):
            start = time.perf_counter()
            index = DenseIndex(dim, approx_min_rows=threshold)
            index.add(range(n), x)
            row[f"{kind}_build_s"] = round(time.perf_counter() - start, 2)
            lat, got = [], []
            for v in q:
                t = time.perf_counter()
                _, ids = index.search(v, 10)
                lat.append((time.perf_counter() - t) * 1000)
                got.append(set(ids.tolist()))
            if truth is None:
                truth = got
            row[f"{kind}_ms_p50"] = round(float(np.percentile(lat, 50)), 3)
            row[f"{kind}_ms_p99"] = round(float(np.percentile(lat, 99)), 3)
            row[f"{kind}_recall_at_10"] = round(
                float(np.mean([len(a & b) / 10 for a, b in zip(got, truth, strict=True)])), 3
            )
        out.append(row)
        sys.stderr.write(json.dumps(row) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--encode-max", type=int, default=20000)
    parser.add_argument(
        "--faiss-sizes", type=int, nargs="+", default=[10000, 50000, 100000, 200000]
    )
    parser.add_argument("--model", type=Path, default=None, help="MODEL_DIR or ST folder")
    args = parser.parse_args()
    path = args.model or default_model_path()
    model = load_model(path)
    matcher = Matcher(model, path)
    start = time.perf_counter()
    pool_texts = [d.question for d in synthetic_kb(2000, seed=99)]
    pool = encode(model, pool_texts)
    rate = len(pool_texts) / (time.perf_counter() - start)
    results: dict[str, object] = {"encode_texts_per_second": round(rate, 1), "sizes": []}
    for n in args.sizes:
        row = bench_size(matcher, n, args.encode_max, pool)
        if not row["vectors_encoded_for_real"]:
            row["extrapolated_encode_seconds"] = round(row["rows"] / rate, 1)
        sys.stderr.write(json.dumps(row) + "\n")
        results["sizes"].append(row)  # type: ignore[attr-defined]
    results["faiss"] = bench_faiss(args.faiss_sizes)
    sys.stdout.write(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
