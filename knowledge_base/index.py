"""The dense vector index: faiss over unit vectors, exact below a size, IVF above it.

Vectors are kept next to the faiss index (``vectors.npy``), so switching between the exact
and the approximate index, or re-training the IVF quantiser, never re-embeds a text.
faiss is imported lazily, as sentence-transformers' ``semantic_search_faiss`` does.

Raises:
    ImportError: faiss-cpu is not installed (raised on first use).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["APPROX_MIN_ROWS", "DenseIndex"]

# Above this many rows search switches from IndexFlatIP to IndexIVFFlat. Measured in
# bench/retrieval.py on the idle 2-core machine (single-thread faiss, 2026-12-01): exact search
# p99 6 ms at 100k rows, 12.5 ms at 200k, 31 ms at 400k; IVF (nprobe 64) under 1 ms with
# recall@10 0.985 against exact search on real embeddings (20k rows; 0.16-0.2 on random
# vectors, its worst case). Exact is kept to 100k rows (~50k entries with one variant), where
# it is still a small part of the 50 ms budget; the two BM25 signals add candidates either way.
APPROX_MIN_ROWS = 100_000
IVF_NPROBE = 64


def _faiss() -> Any:
    import faiss

    return faiss


class DenseIndex:
    """Row-id addressed faiss index over L2-normalised embeddings (inner product = cosine)."""

    def __init__(self, dim: int, approx_min_rows: int = APPROX_MIN_ROWS) -> None:
        self.dim = dim
        self.approx_min_rows = approx_min_rows
        self.row_ids = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self._pos: dict[int, int] = {}
        self.kind = "flat"
        self._index: Any = None
        self._rebuild_faiss()

    def __len__(self) -> int:
        return int(self.row_ids.shape[0])

    def _rebuild_faiss(self) -> None:
        faiss = _faiss()
        n = len(self)
        if n >= self.approx_min_rows:
            nlist = int(4 * np.sqrt(n))
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(13)
            sample = self.vectors[rng.choice(n, size=min(n, nlist * 64), replace=False)]
            index.train(sample)
            index.nprobe = IVF_NPROBE
            self.kind = "ivf"
        else:
            index = faiss.IndexIDMap(faiss.IndexFlatIP(self.dim))
            self.kind = "flat"
        if n:
            index.add_with_ids(self.vectors, self.row_ids)
        self._index = index
        self._pos = {int(r): i for i, r in enumerate(self.row_ids)}

    def _wants_kind(self) -> str:
        return "ivf" if len(self) >= self.approx_min_rows else "flat"

    def add(self, row_ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add rows (ids must be new)."""
        ids = np.fromiter(row_ids, dtype=np.int64)
        if ids.size == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        base = len(self)
        self.row_ids = np.concatenate([self.row_ids, ids])
        self.vectors = np.concatenate([self.vectors, vectors])
        if self._wants_kind() != self.kind:
            self._rebuild_faiss()
            return
        self._index.add_with_ids(vectors, ids)
        for i, row in enumerate(ids):
            self._pos[int(row)] = base + i

    def remove(self, row_ids: Iterable[int]) -> None:
        """Remove rows by id; unknown ids are ignored."""
        ids = np.fromiter(row_ids, dtype=np.int64)
        drop = np.isin(self.row_ids, ids)
        if not drop.any():
            return
        self.row_ids = self.row_ids[~drop]
        self.vectors = self.vectors[~drop]
        if self._wants_kind() != self.kind:
            self._rebuild_faiss()
            return
        self._index.remove_ids(ids)
        self._pos = {int(r): i for i, r in enumerate(self.row_ids)}

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows for one query vector: (scores, row_ids), best first."""
        if len(self) == 0 or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        # One query gains nothing from OpenMP threads, and their spin-waiting made a 20k-row
        # flat search take 27 ms instead of ~2 ms on a busy 2-core machine (bench/RESULTS.md).
        # faiss and torch share one OpenMP runtime, so the setting is put back afterwards:
        # left at 1, it halved the speed of every later bulk embedding (bench/RESULTS.md).
        faiss = _faiss()
        previous = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(q, min(k, len(self)))
        finally:
            faiss.omp_set_num_threads(previous)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def scores_for(self, query: np.ndarray, row_ids: np.ndarray) -> np.ndarray:
        """Exact cosine of the query with the given rows."""
        pos = np.asarray([self._pos[int(r)] for r in row_ids], dtype=np.int64)
        if pos.size == 0:
            return np.zeros(0, np.float32)
        return self.vectors[pos] @ np.asarray(query, dtype=np.float32).ravel()

    def has(self, row_id: int) -> bool:
        """Return True when the row is indexed."""
        return int(row_id) in self._pos

    def save(self, folder: Path) -> None:
        """Write the faiss index and the vectors under ``folder``."""
        _faiss().write_index(self._index, str(folder / "dense.faiss"))
        np.save(folder / "vectors.npy", self.vectors)
        np.save(folder / "vector_rows.npy", self.row_ids)

    @classmethod
    def load(cls, folder: Path, dim: int, approx_min_rows: int = APPROX_MIN_ROWS) -> DenseIndex:
        """Read an index written by :meth:`save`."""
        index = cls(dim, approx_min_rows)
        index.vectors = np.load(folder / "vectors.npy").astype(np.float32)
        index.row_ids = np.load(folder / "vector_rows.npy").astype(np.int64)
        index._index = _faiss().read_index(str(folder / "dense.faiss"))
        index.kind = "ivf" if "IVF" in type(index._index).__name__ else "flat"
        if index.kind == "ivf":
            index._index.nprobe = IVF_NPROBE
        index._pos = {int(r): i for i, r in enumerate(index.row_ids)}
        if index._index.ntotal != len(index):
            index._rebuild_faiss()
        return index
