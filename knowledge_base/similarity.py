"""How alike two texts are, on one scale whatever the embedding model.

Every judgement that asks "do these texts say the same thing?" (does a reply address the
message, the compliance check's off-topic finding; do messages belong together, hot topics and
the gap report) reads :class:`Similarity`, never a raw cosine.

A raw cosine means different things under different models: multilingual-e5-small puts
unrelated Chinese texts at 0.80-0.88 and paraphrases at 0.89-0.95, while all-MiniLM-L6-v2,
which reads most Chinese characters as [UNK], puts unrelated ones anywhere from 0.4 to 1.0.
So each model's cosine is measured against its own baseline: the ``BASELINE_QUANTILE``
quantile of the cosines between the ``BASELINE_TEXTS`` (short Chinese messages and replies
on unrelated matters, written for GovReply), computed once per loaded model, and

    rescaled = clip((cosine - baseline) / (1 - baseline), 0, 1)

0 is "no more alike than unrelated texts", 1 is "the same text". The dense part is blended
with the character-bigram Dice of the two texts. Thresholds on this scale (the off-topic
threshold in ``workflow/data/compliance_lists.json``, ``workflow.gaps.GROUP_THRESHOLD``) were
fitted on bench/similarity_probes.json for both models (bench/similarity.py,
bench/RESULTS.md "Similarity thresholds across models").
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from knowledge_base.embedding import encode
from knowledge_base.text import char_ngrams, normalize

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "BASELINE_QUANTILE",
    "BASELINE_TEXTS",
    "CachedEmbed",
    "Embed",
    "Similarity",
    "as_similarity",
    "baseline_cosine",
    "char_dice",
    "dice_matrix",
    "for_model",
    "rescale",
]

Embed = Callable[[list[str]], np.ndarray]

# Short messages and replies on matters that have nothing to do with each other, in the words
# citizens and a government account use. Not used anywhere else (not in any probe or test).
BASELINE_TEXTS: tuple[str, ...] = (
    "老年人坐公交车可以免费吗",
    "身份证过期了去哪里换新的",
    "小区门口的路灯坏了好几天",
    "今年高考报名什么时候开始",
    "新生儿医保怎么参保缴费",
    "楼上装修噪音太大影响休息",
    "公积金贷款的利率是多少",
    "菜市场的鱼摊缺斤少两",
    "出租车司机拒载怎么投诉",
    "河道里有人偷偷排放污水",
    "电动自行车上牌需要带什么",
    "农村宅基地可以买卖吗",
    "独生子女父母奖励金怎么领",
    "高速公路节假日免费通行吗",
    "残疾人证办理流程是什么",
    "冬季供暖费什么时候交",
    "幼儿园入园报名的条件",
    "流浪狗在小区里咬伤了人",
    "外卖食品里吃出了异物",
    "廉租房申请的收入标准",
    "感谢社区网格员的耐心帮助",
    "明天会不会下大暴雨",
    "学校门口的斑马线需要重新画",
    "您好，办理时请携带户口簿原件和复印件。",
    "您好，该路段将于本周五起实行单向通行。",
    "您好，已通知环卫部门于今日内清运。",
    "您好，补贴资金将在审核通过后十个工作日内发放。",
    "您好，演出门票可在文化馆一楼窗口领取。",
    "您好，该职位的笔试成绩已在人社局网站公布。",
    "您好，体检报告请到医院二楼自助机打印。",
    "您好，防汛物资已下发到各村委会。",
    "您好，景区将于下周一起恢复夜间开放。",
)
# High, but not the top: a few of 496 pairs may share a word (办理, 您好) by chance.
BASELINE_QUANTILE = 0.9

SMALL_BATCH = 4  # a single pair encodes on one thread (see knowledge_base.embedding.encode)


def baseline_cosine(vectors: np.ndarray, quantile: float = BASELINE_QUANTILE) -> float:
    """The ``quantile`` of the pairwise cosines of unit ``vectors`` (one row per text)."""
    cosines = np.asarray(vectors, dtype=np.float64) @ np.asarray(vectors, dtype=np.float64).T
    upper = cosines[np.triu_indices(len(cosines), 1)]
    return float(np.quantile(upper, quantile))


def rescale(cosine: np.ndarray, baseline: float) -> np.ndarray:
    """``clip((cosine - baseline) / (1 - baseline), 0, 1)``, elementwise."""
    span = max(1.0 - baseline, 1e-6)
    scaled: np.ndarray = np.clip((np.asarray(cosine, dtype=np.float64) - baseline) / span, 0, 1)
    return scaled


def char_dice(a: str, b: str) -> float:
    """Dice of the character uni+bigram sets of two normalised texts."""
    ga, gb = set(char_ngrams(a)), set(char_ngrams(b))
    total = len(ga) + len(gb)
    return 2 * len(ga & gb) / total if total else 0.0


def dice_matrix(texts: list[str]) -> np.ndarray:
    """Pairwise :func:`char_dice` of normalised texts, as one sparse product (2,000 texts)."""
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


class CachedEmbed:
    """An Embed that remembers vectors between calls and forgets the texts a call did not
    ask for: the hot-topic look re-groups a rolling day of messages every few minutes, and
    embedding is most of its cost (2,000 messages: ~11 of 12 s, bench/RESULTS.md)."""

    def __init__(self, embed: Embed) -> None:
        self.inner = embed
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.inner(missing), strict=True))
        wanted = set(texts)
        self._vectors = {t: v for t, v in self._vectors.items() if t in wanted}
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 0))


def _uncached(embed: Embed) -> Embed:
    """The embedding behind a :class:`CachedEmbed` (the baseline texts must not evict a
    window's vectors), or ``embed`` itself."""
    return embed.inner if isinstance(embed, CachedEmbed) else embed


class Similarity:
    """One embedding model's similarity of texts, rescaled against its own baseline.

    Calling it embeds (it is an :data:`Embed`). Texts are normalised here
    (:func:`knowledge_base.text.normalize`), the baseline texts too, so callers pass raw text.
    Thread-safe; the baseline is computed on first use unless given.
    """

    def __init__(self, embed: Embed, baseline: float | None = None) -> None:
        self.embed = embed
        self._baseline = baseline
        self._parent: Similarity | None = None  # whose baseline this one shares
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)

    @property
    def baseline(self) -> float:
        """The cosine that unrelated texts reach under this model (``BASELINE_QUANTILE``)."""
        if self._baseline is None:
            with self._lock:
                if self._baseline is None and self._parent is not None:
                    self._baseline = self._parent.baseline
                elif self._baseline is None:
                    vectors = _uncached(self.embed)([normalize(t) for t in BASELINE_TEXTS])
                    self._baseline = baseline_cosine(vectors)
        return self._baseline

    def remembering(self) -> Similarity:
        """The same similarity (the same baseline, computed once for both) whose embeddings
        are kept between calls (:class:`CachedEmbed`). Embeds nothing now."""
        copy = Similarity(CachedEmbed(_uncached(self.embed)), self._baseline)
        copy._parent = self
        return copy

    def dense(self, vectors: np.ndarray) -> np.ndarray:
        """Rescaled pairwise cosines of unit vectors, 0..1."""
        return rescale(vectors @ vectors.T, self.baseline)

    def matrix(self, texts: list[str], dense_weight: float = 0.5) -> np.ndarray:
        """Pairwise similarity 0..1: rescaled cosine blended with character-gram Dice."""
        norm = [normalize(t) for t in texts]
        if not norm:
            return np.zeros((0, 0))
        blended: np.ndarray = dense_weight * self.dense(self.embed(norm)) + (
            1 - dense_weight
        ) * dice_matrix(norm)
        return blended

    def pair(self, a: str, b: str, dense_weight: float = 0.5) -> float:
        """How much two texts say the same thing, 0..1 (0 when either is empty)."""
        na, nb = normalize(a), normalize(b)
        if not na or not nb:
            return 0.0
        va, vb = self.embed([na, nb])
        dense = float(rescale(np.asarray(float(va @ vb)), self.baseline))
        return float(np.clip(dense_weight * dense + (1 - dense_weight) * char_dice(na, nb), 0, 1))


# Keyed weakly by the model; each value's embed holds the model weakly too, so an entry goes
# when its model does.
_BY_MODEL: weakref.WeakKeyDictionary[object, Similarity] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def for_model(model: SentenceTransformer) -> Similarity:
    """The :class:`Similarity` of a loaded model, one per model object (baseline computed once)."""
    with _CACHE_LOCK:
        found = _BY_MODEL.get(model)
        if found is None:
            ref = weakref.ref(model)

            def embed(texts: list[str]) -> np.ndarray:
                alive = ref()
                if alive is None:
                    raise RuntimeError("the model of this Similarity was unloaded")
                return encode(alive, texts, threads=1 if len(texts) <= SMALL_BATCH else None)

            found = _BY_MODEL[model] = Similarity(embed)
        return found


def as_similarity(embed: Embed | Similarity) -> Similarity:
    """``embed`` itself if it is a :class:`Similarity`, else one over it, whose baseline is
    computed on its first use (prefer :func:`for_model`: once per model)."""
    return embed if isinstance(embed, Similarity) else Similarity(embed)
