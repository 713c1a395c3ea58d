from __future__ import annotations

import numpy as np

from knowledge_base.index import DenseIndex


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_faiss_top_k_equals_numpy_brute_force() -> None:
    vectors, queries = _unit(500, 32, 1), _unit(20, 32, 2)
    index = DenseIndex(32)
    ids = np.arange(1000, 1500)
    index.add(ids, vectors)
    assert index.kind == "flat"
    for q in queries:
        scores, got = index.search(q, 10)
        oracle = np.argsort(-(vectors @ q))[:10]
        assert list(got) == list(ids[oracle])
        np.testing.assert_allclose(scores, (vectors @ q)[oracle], rtol=1e-5)


def test_removed_rows_are_never_returned_and_scores_stay_exact() -> None:
    vectors = _unit(200, 16, 3)
    index = DenseIndex(16)
    index.add(range(200), vectors)
    index.remove(range(0, 200, 2))
    q = vectors[10]
    _, got = index.search(q, 100)
    assert all(r % 2 == 1 for r in got)
    np.testing.assert_allclose(index.scores_for(q, np.array([11])), [vectors[11] @ q], rtol=1e-5)


def test_large_index_switches_to_ivf_with_high_recall() -> None:
    vectors = _unit(3000, 16, 4)
    index = DenseIndex(16, approx_min_rows=2000)
    index.add(range(3000), vectors)
    assert index.kind == "ivf"
    hits = 0
    for q in _unit(20, 16, 5):
        _, got = index.search(q, 10)
        hits += len(set(got) & set(np.argsort(-(vectors @ q))[:10]))
    assert hits / 200 >= 0.9
    index.remove(range(1500))
    assert index.kind == "flat"
    assert len(index) == 1500
