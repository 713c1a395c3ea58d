"""The gap report: what people ask that the Q&A base cannot answer.

Consultations whose draft had no confident match (and drafts an operator rewrote) are
clustered by meaning, so an admin sees the biggest holes first and can close one with a new
entry or new variants of an existing one. Clustering is agglomerative (average linkage) on
`knowledge_base.similarity`'s scale (the model's cosine rescaled against its own baseline of
unrelated texts, blended with character-bigram overlap), cut at `GROUP_THRESHOLD`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlmodel import Session, col, or_, select

from knowledge_base.similarity import Embed, Similarity, as_similarity
from workflow.models import CitizenMessage, Draft
from workflow.triage import Label

__all__ = [
    "GROUP_THRESHOLD",
    "Cluster",
    "GapMessage",
    "cluster",
    "gap_messages",
    "group_texts",
]

# Average similarity (knowledge_base.similarity's scale) above which messages are one matter.
# Fitted for multilingual-e5-small and all-MiniLM-L6-v2 alike (bench/similarity.py): e5 puts
# paraphrases at 0.3-0.6 on this scale and unrelated messages at 0-0.1.
GROUP_THRESHOLD = 0.2


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


def group_texts(
    texts: list[str],
    embed: Embed | Similarity,
    threshold: float = GROUP_THRESHOLD,
    dense_weight: float = 0.5,
) -> list[tuple[list[int], int]]:
    """Indices of texts whose average similarity stays above `threshold`, each group with
    the index of its most central text; biggest group first (ties: lowest index)."""
    if not texts:
        return []
    if len(texts) == 1:
        return [([0], 0)]
    from sklearn.cluster import AgglomerativeClustering

    sim = as_similarity(embed).matrix(texts, dense_weight)
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
    messages: list[GapMessage],
    embed: Embed | Similarity,
    threshold: float = GROUP_THRESHOLD,
    dense_weight: float = 0.5,
) -> list[Cluster]:
    """Group messages whose average similarity stays above `threshold`; biggest first."""
    groups = group_texts([m.text for m in messages], embed, threshold, dense_weight)
    clusters = [
        Cluster([messages[i] for i in idx], idx.index(central)) for idx, central in groups
    ]
    clusters.sort(key=lambda c: (-c.size, c.key))
    return clusters
