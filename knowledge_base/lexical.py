"""Okapi BM25 over sparse term-frequency matrices, updatable row by row.

Two instances back the hybrid matcher: one over jieba words, one over character
uni+bigrams. The raw term frequencies are the stored state; BM25 weights are recomputed
from them (vectorised) after every change, so adding or retiring entries never needs the
texts again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = ["BM25Index", "LexicalHits"]


@dataclass(frozen=True)
class LexicalHits:
    """BM25 scores of one query against every row (aligned with ``BM25Index.row_ids``)."""

    scores: np.ndarray  # normalised to 0..1 by the query's maximum attainable score
    raw: np.ndarray  # plain BM25
    query_cols: np.ndarray  # vocabulary columns of the query's known terms
    query_idf_total: float  # idf mass of all query terms, unknown ones included


class BM25Index:
    """BM25 over one analyzer; rows are addressed by int64 row ids."""

    def __init__(self, analyzer: Callable[[str], list[str]], k1: float = 1.2, b: float = 0.75):
        self.analyzer = analyzer
        self.k1 = k1
        self.b = b
        self.vocab: dict[str, int] = {}
        self.row_ids = np.zeros(0, dtype=np.int64)
        self.tf = sp.csr_matrix((0, 0), dtype=np.float32)
        self._finalize()

    def __len__(self) -> int:
        return int(self.row_ids.shape[0])

    # -- updates -------------------------------------------------------------------------
    def add(self, row_ids: Iterable[int], texts: Iterable[str]) -> None:
        """Append rows (their ids must not be present yet)."""
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[float] = []
        ids: list[int] = []
        for row_id, text in zip(row_ids, texts, strict=True):
            counts: dict[int, int] = {}
            for term in self.analyzer(text):
                col = self.vocab.setdefault(term, len(self.vocab))
                counts[col] = counts.get(col, 0) + 1
            indices.extend(counts)
            data.extend(counts.values())
            indptr.append(len(indices))
            ids.append(row_id)
        if not ids:
            return
        width = len(self.vocab)
        new = sp.csr_matrix(
            (np.asarray(data, np.float32), np.asarray(indices, np.int64), np.asarray(indptr)),
            shape=(len(ids), width),
        )
        old = self.tf
        old.resize((old.shape[0], width))
        self.tf = sp.vstack([old, new], format="csr", dtype=np.float32)
        self.row_ids = np.concatenate([self.row_ids, np.asarray(ids, dtype=np.int64)])
        self._finalize()

    def remove(self, row_ids: Iterable[int]) -> None:
        """Drop rows by id; unknown ids are ignored."""
        drop = np.isin(self.row_ids, np.fromiter(row_ids, dtype=np.int64))
        if not drop.any():
            return
        keep = ~drop
        self.tf = self.tf[keep]
        self.row_ids = self.row_ids[keep]
        self._finalize()

    def _finalize(self) -> None:
        n_rows, width = self.tf.shape[0], len(self.vocab)
        if self.tf.shape[1] != width:
            self.tf.resize((n_rows, width))
        binary = self.tf.copy()
        binary.data[:] = 1.0
        df = np.asarray(binary.sum(axis=0)).ravel()
        self._n = max(n_rows, 1)
        self.idf = np.log1p((self._n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self._unknown_idf = float(np.log1p((self._n + 0.5) / 0.5))
        lengths = np.asarray(self.tf.sum(axis=1)).ravel()
        avg = float(lengths.mean()) if n_rows else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / max(avg, 1e-6))
        weights = self.tf.tocoo()
        tfv = weights.data
        value = self.idf[weights.col] * tfv * (self.k1 + 1) / (tfv + norm[weights.row])
        self.weights = sp.csc_matrix(
            (value.astype(np.float32), (weights.row, weights.col)), shape=(n_rows, width)
        )
        self.binary_csr = binary.tocsr()
        self.row_idf_total = np.asarray(self.binary_csr @ self.idf).ravel()

    # -- search --------------------------------------------------------------------------
    def query(self, text: str) -> LexicalHits:
        """Score ``text`` against every row."""
        terms = set(self.analyzer(text))
        cols = np.asarray(sorted(self.vocab[t] for t in terms if t in self.vocab), np.int64)
        n_unknown = sum(1 for t in terms if t not in self.vocab)
        idf_total = float(self.idf[cols].sum()) + n_unknown * self._unknown_idf
        if cols.size:
            raw = np.asarray(self.weights[:, cols].sum(axis=1)).ravel()
        else:
            raw = np.zeros(len(self), dtype=np.float32)
        top = idf_total * (self.k1 + 1)
        scores = raw / top if top > 0 else raw
        return LexicalHits(scores=scores, raw=raw, query_cols=cols, query_idf_total=idf_total)

    def overlap(self, hits: LexicalHits, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Idf-weighted coverage of the query and of each row, for rows at ``positions``.

        Returns:
            (query_coverage, row_coverage), both 0..1: the idf mass of shared terms divided
            by the query's and by the row's own idf mass.
        """
        if positions.size == 0 or hits.query_cols.size == 0:
            zeros = np.zeros(positions.shape[0], dtype=np.float32)
            return zeros, zeros
        sub = self.binary_csr[positions][:, hits.query_cols]
        shared = np.asarray(sub @ self.idf[hits.query_cols]).ravel()
        q_cov = shared / max(hits.query_idf_total, 1e-6)
        r_cov = shared / np.maximum(self.row_idf_total[positions], 1e-6)
        return q_cov.astype(np.float32), r_cov.astype(np.float32)

    # -- persistence ---------------------------------------------------------------------
    def save(self, folder: Path, name: str) -> None:
        """Write term frequencies, row ids and vocabulary under ``folder``."""
        sp.save_npz(folder / f"{name}.tf.npz", self.tf)
        np.save(folder / f"{name}.rows.npy", self.row_ids)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / f"{name}.vocab.txt").write_text("\n".join(terms), encoding="utf-8")

    @classmethod
    def load(
        cls, folder: Path, name: str, analyzer: Callable[[str], list[str]]
    ) -> BM25Index:
        """Read an index written by :meth:`save`."""
        index = cls(analyzer)
        text = (folder / f"{name}.vocab.txt").read_text(encoding="utf-8")
        terms = text.split("\n") if text else []
        index.vocab = {term: i for i, term in enumerate(terms)}
        index.tf = sp.load_npz(folder / f"{name}.tf.npz").tocsr().astype(np.float32)
        index.row_ids = np.load(folder / f"{name}.rows.npy")
        index._finalize()
        return index
