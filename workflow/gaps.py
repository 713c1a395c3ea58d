"""The gap report: what people ask that the Q&A base cannot answer.

Consultations whose draft had no confident match (and drafts an operator rewrote) are
clustered by meaning, so an admin sees the biggest holes first and can close one with a new
entry or new variants of an existing one. Clustering is agglomerative (average linkage) on a blend
of embedding cosine and character-bigram overlap, cut at a similarity threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlmodel import Session, col, or_, select

from knowledge_base.text import char_ngrams, normalize
from workflow.models import CitizenMessage, Draft
from workflow.triage import Label

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class GapMessage:
    draft_id: int
    text: str  # de-identified (text_redacted): the console never shows raw PII here
    label: str
    received_at: datetime
    rewritten: bool  # confident match, but an operator rewrote the reply
    reply: str


@dataclass
class Cluster:
    messages: list[GapMessage] = field(default_factory=list)
    central: int = 0  # index of the message closest to the others

    @property
    def size(self) -> int:
        return len(self.messages)

    @property
    def title(self) -> str:
        return self.messages[self.central].text

    @property
    def key(self) -> str:
        """A stable id for links: the smallest draft id in the cluster."""
        return str(min(m.draft_id for m in self.messages))


def gap_messages(session: Session, limit: int = 500) -> list[GapMessage]:
    """Recent consultations without a confident match, or rewritten by an operator.

    Only consultations: a complaint, suggestion or report is answered by its case or
    forward, not by a Q&A entry, so it is no hole in the base."""
    query = (
        select(Draft, CitizenMessage)
        .where(Draft.message_id == CitizenMessage.id)
        .where(CitizenMessage.label == Label.CONSULTATION.value)
        .where(col(Draft.corrects_id).is_(None))
        .where(or_(col(Draft.confident).is_(False), Draft.drafter_id != None))  # noqa: E711
        .order_by(col(Draft.id).desc())
        .limit(limit)
    )
    out = []
    for draft, message in session.exec(query):
        rewritten = draft.confident and bool(draft.edited_by)
        if draft.confident and not rewritten:
            continue
        out.append(
            GapMessage(
                draft.id or 0,
                message.text_redacted,
                message.label,
                message.received_at,
                rewritten,
                draft.text,
            )
        )
    return out


class CachedEmbed:
    """An Embed that remembers vectors between calls and forgets the texts a call did not
    ask for: the hot-topic look re-groups a rolling day of messages every few minutes, and
    embedding is most of its cost (2,000 messages: ~11 of 12 s, bench/RESULTS.md)."""

    def __init__(self, embed: Embed) -> None:
        self._embed = embed
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._embed(missing), strict=True))
        wanted = set(texts)
        self._vectors = {t: v for t, v in self._vectors.items() if t in wanted}
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 0))


def similarity_matrix(texts: list[str], embed: Embed, dense_weight: float = 0.5) -> np.ndarray:
    """Pairwise similarity 0..1: dense cosine blended with character-bigram Dice."""
    norm = [normalize(t) for t in texts]
    vectors = embed(norm)
    cosine = np.clip(vectors @ vectors.T, 0.0, 1.0)
    blended: np.ndarray = dense_weight * cosine + (1 - dense_weight) * _dice(norm)
    return blended


def _dice(texts: list[str]) -> np.ndarray:
    """Pairwise character-gram Dice, as one sparse product (2,000 texts: 2M pairs)."""
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, text in enumerate(texts):
        for gram in set(char_ngrams(text)):
            rows.append(i)
            cols.append(vocab.setdefault(gram, len(vocab)))
    grams = csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(texts), max(len(vocab), 1))
    )
    shared = (grams @ grams.T).toarray()
    sizes = np.asarray(grams.sum(axis=1)).ravel()
    total = sizes[:, None] + sizes[None, :]
    dice: np.ndarray = np.divide(2 * shared, total, out=np.zeros_like(shared), where=total > 0)
    return dice


def group_texts(
    texts: list[str], embed: Embed, threshold: float = 0.45, dense_weight: float = 0.5
) -> list[tuple[list[int], int]]:
    """Indices of texts whose average similarity stays above `threshold`, each group with
    the index of its most central text; biggest group first (ties: lowest index)."""
    if not texts:
        return []
    if len(texts) == 1:
        return [([0], 0)]
    from sklearn.cluster import AgglomerativeClustering

    sim = similarity_matrix(texts, embed, dense_weight)
    distance = 1.0 - sim
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - threshold,
    )
    labels = model.fit_predict(distance)
    groups = []
    for label in sorted(set(labels.tolist())):
        idx = [i for i, lab in enumerate(labels) if lab == label]
        inner = sim[np.ix_(idx, idx)].sum(axis=1)
        groups.append((idx, idx[int(np.argmax(inner))]))
    groups.sort(key=lambda g: (-len(g[0]), g[0][0]))
    return groups


def cluster(
    messages: list[GapMessage], embed: Embed, threshold: float = 0.45, dense_weight: float = 0.5
) -> list[Cluster]:
    """Group messages whose average similarity stays above `threshold`; biggest first."""
    groups = group_texts([m.text for m in messages], embed, threshold, dense_weight)
    clusters = [
        Cluster([messages[i] for i in idx], idx.index(central)) for idx, central in groups
    ]
    clusters.sort(key=lambda c: (-c.size, c.key))
    return clusters
