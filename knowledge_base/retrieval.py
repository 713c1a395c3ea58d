"""Hybrid matching of citizen messages against the Q&A base, with calibrated abstention.

:class:`Matcher` keeps three indexes over the same rows (each entry's question and
variants): BM25 over jieba words, BM25 over character uni+bigrams and a dense faiss index.
Candidates from all three are scored with fitted fusion weights, collapsed to entries, and
an abstention model gives P(top match answers the message). The indexes persist in
``index_dir`` with a manifest naming the model; a different model triggers a rebuild.

All methods are synchronous and CPU-bound; async callers wrap them in
``asyncio.to_thread``. A lock makes concurrent search and update safe.

Raises:
    ModelNotFound: (from :meth:`Matcher.open`) the model folder is missing.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge_base.documents import KBDoc
from knowledge_base.embedding import embedding_dimension, encode, fingerprint, load_model
from knowledge_base.index_state import IndexState
from knowledge_base.scoring import (
    FUSION_FEATURES,
    MatcherParams,
    abstain_features,
    fusion_columns,
    profile_of,
)
from knowledge_base.similarity import for_model
from knowledge_base.sqltypes import local_today
from knowledge_base.text import normalize

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["Match", "MatchResult", "Matcher"]

logger = logging.getLogger(__name__)

CANDIDATE_ROWS = 48  # rows taken from each signal before fusion


@dataclass(frozen=True)
class Match:
    """One candidate entry for a message."""

    entry_id: str
    question: str
    answer: str
    score: float  # fused score (higher = better)


@dataclass(frozen=True)
class MatchResult:
    """Top-k entries for a message and whether the best one can be trusted."""

    matches: list[Match]  # top-k, best first, collapsed to entry
    probability: float  # calibrated P(top match answers the message), 0..1
    confident: bool  # probability >= threshold for the target precision

    @property
    def best(self) -> Match | None:
        """The top match, or None when nothing matched."""
        return self.matches[0] if self.matches else None


class Matcher:
    """Hybrid retriever over KBDocs; see the module docstring."""

    def __init__(
        self,
        model: SentenceTransformer,
        model_path: str | Path,
        index_dir: Path | None = None,
        target_precision: float = 0.95,
        params: MatcherParams | None = None,
    ) -> None:
        self.model = model
        self.model_path = Path(model_path).expanduser().resolve()
        # All parameters of the model (pooled + per domain); ``params`` are the ones chosen
        # for the Q&A base currently indexed (re-chosen whenever it changes).
        self.base_params = params or MatcherParams.for_model(self.model_path)
        self.target_precision = target_precision
        self._use(self.base_params)
        self.index_dir = index_dir
        self._lock = threading.RLock()
        dim = embedding_dimension(model)
        self._fingerprint = fingerprint(self.model_path)
        self.state = IndexState.open(index_dir, dim, str(self.model_path), self._fingerprint)
        if self.state.needs_reembed:
            logger.info("model changed; re-embedding %d entries", len(self.state.docs))
            self.state.reembed(self._encode)
            self.state.save()
        self._select_params()

    def _select_params(self) -> None:
        """Pick the domain parameters whose Q&A base looks most like the indexed one."""
        if not self.base_params.domains:
            return
        chosen = self.base_params.select(profile_of(self.state.docs.values()))
        if chosen is not self.params:
            logger.info("matcher parameters: domain %s", chosen.name)
            self._use(chosen)

    def _use(self, params: MatcherParams) -> None:
        """Make ``params`` current, with what is derived from them.

        Raises:
            ValueError: the fusion model names a feature this version does not compute
                (raised when the model is opened, not on the first search).
        """
        self._fusion_columns = fusion_columns(params.fusion)
        self.params = params
        self.threshold = params.threshold(self.target_precision)

    @classmethod
    def open(
        cls,
        model_path: str | Path,
        index_dir: Path | None = None,
        target_precision: float = 0.95,
    ) -> Matcher:
        """Load the model (plain ST folder or MODEL_DIR) and the persisted index, if any.

        Raises:
            ModelNotFound: ``model_path`` is not a sentence-transformers folder.
        """
        model = load_model(model_path)
        return cls(model, model_path, index_dir, target_precision)

    # -- index lifecycle -----------------------------------------------------------------
    def _encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return encode(self.model, texts, progress=progress)

    def rebuild(self, docs: Iterable[KBDoc], progress: bool = False) -> None:
        """Make the index hold exactly ``docs``; unchanged rows keep their vectors."""
        docs = list(docs)
        with self._lock:
            wanted = {d.id for d in docs}
            self.state.remove([i for i in self.state.docs if i not in wanted])
            self.state.upsert(docs, self._encode, progress=progress)
            self.state.save()
            self._select_params()

    def upsert(self, docs: Iterable[KBDoc]) -> None:
        """Add or update entries; only new or changed texts are embedded."""
        with self._lock:
            self.state.upsert(list(docs), self._encode)
            self.state.save()
            self._select_params()

    def remove(self, entry_ids: Iterable[str]) -> None:
        """Retire entries from the index; unknown ids are ignored."""
        with self._lock:
            self.state.remove(list(entry_ids))
            self.state.save()
            self._select_params()

    def __len__(self) -> int:
        return len(self.state.docs)

    # -- search --------------------------------------------------------------------------
    def candidates(
        self, text: str, today: datetime.date | None = None
    ) -> tuple[list[str], np.ndarray, int]:
        """Candidate entry ids with their fusion features (unsorted) and the message length."""
        query = normalize(text)
        if not query or not self.state.docs:
            return [], np.zeros((0, len(FUSION_FEATURES))), len(query)
        today = today or local_today()
        state = self.state
        vector = encode(self.model, [query], threads=1)[0]
        word = state.words.query(query)
        char = state.chars.query(query)
        live = state.live_rows(today)
        pos: set[int] = set()
        for scores in (word.scores, char.scores):
            masked = np.where(live, scores, -1.0)
            n = min(CANDIDATE_ROWS, masked.size)
            top = np.argpartition(-masked, n - 1)[:n]
            pos.update(int(p) for p in top if masked[p] > 0)
        _, dense_rows = state.dense.search(vector, CANDIDATE_ROWS + 16)
        pos.update(state.position_of(int(r)) for r in dense_rows)
        pos = {p for p in pos if live[p]}
        if not pos:
            return [], np.zeros((0, len(FUSION_FEATURES))), len(query)
        # Collapse to entries, then score every live row of those entries.
        entries = sorted({state.row_entry[p] for p in pos})
        rows = np.asarray(
            [p for e in entries for p in state.entry_positions(e)], dtype=np.int64
        )
        owner = np.asarray([state.row_entry[p] for p in rows])
        w_qcov, w_rcov = state.words.overlap(word, rows)
        c_qcov, c_rcov = state.chars.overlap(char, rows)
        dense = state.dense.scores_for(vector, state.row_ids[rows])
        qlen = max(len(query), 1)
        # Signed: a Q&A question is usually shorter than the messages it answers.
        len_ratio = np.log(np.maximum(state.row_len[rows], 1) / qlen)
        per_row = np.column_stack(
            [word.scores[rows], char.scores[rows], dense, w_qcov, c_qcov, w_rcov, c_rcov]
        )
        index = {e: i for i, e in enumerate(entries)}
        slot = np.asarray([index[e] for e in owner])
        agg = np.full((len(entries), per_row.shape[1]), -np.inf)
        np.maximum.at(agg, slot, per_row)
        ratio = np.zeros(len(entries))
        # Length ratio of the row that matches best on characters.
        best_char = np.full(len(entries), -np.inf)
        for i, s in enumerate(slot):
            if per_row[i, 1] > best_char[s]:
                best_char[s] = per_row[i, 1]
                ratio[s] = len_ratio[i]
        ranks = []
        for col in range(3):
            order = np.argsort(-agg[:, col], kind="stable")
            rank = np.empty(len(entries))
            rank[order] = np.arange(len(entries))
            ranks.append(1.0 / (1.0 + rank))
        features = np.column_stack([agg, *ranks, np.abs(ratio), ratio])
        return entries, features, qlen

    def search(self, text: str, k: int = 5, today: datetime.date | None = None) -> MatchResult:
        """Top-``k`` live entries for a message, with the calibrated probability of the best."""
        with self._lock:
            entries, features, qlen = self.candidates(text, today)
            if not entries:
                return MatchResult(matches=[], probability=0.0, confident=False)
            fused = self.params.fusion.decision(features[:, self._fusion_columns])
            order = np.argsort(-fused, kind="stable")
            fused, features = fused[order], features[order]
            x = abstain_features(fused, features, qlen)
            probability = float(self.params.abstention.probability(x[None, :])[0])
            matches = []
            for rank, i in enumerate(order[:k]):
                doc = self.state.docs[entries[i]]
                matches.append(Match(doc.id, doc.question, doc.answer, float(fused[rank])))
        return MatchResult(
            matches=matches,
            probability=probability,
            confident=probability >= self.threshold,
        )

    def similarity(self, a: str, b: str) -> float:
        """How much two texts say the same thing, 0..1: the model's cosine rescaled against
        its own baseline of unrelated texts, blended with char Dice
        (:mod:`knowledge_base.similarity`; 0 = no more alike than unrelated texts)."""
        return for_model(self.model).pair(a, b, self._dense_weight())

    def _dense_weight(self) -> float:
        """Share of the dense signal in :meth:`similarity`, from the fitted fusion weights."""
        fusion = self.params.fusion
        names = list(fusion.features)
        coef = np.abs(np.asarray(fusion.coef) / np.asarray(fusion.scale))
        dense = coef[names.index("dense")]
        lexical = coef[names.index("char")] + coef[names.index("word")]
        return float(np.clip(dense / max(dense + lexical, 1e-9), 0.1, 0.7))

    def describe(self) -> dict[str, object]:
        """Facts about the index for logs and the CLI."""
        return {
            "model_path": str(self.model_path),
            "entries": len(self.state.docs),
            "rows": len(self.state.row_ids),
            "dense_index": self.state.dense.kind,
            "threshold": self.threshold,
            "parameters": self.params.name,
            "target_precision": self.target_precision,
        }
