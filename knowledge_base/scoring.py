"""Features of (message, candidate entry), the fitted fusion and the abstention model.

Fusion is a linear scorer over per-signal features (BM25 over words and characters,
dense cosine, overlaps, ranks); its weights are fitted by logistic regression on
(message, gold entry) pairs against retrieved non-gold candidates. Abstention is a second
logistic regression over features of the top match (fused score, margins, per-signal
agreement, lengths) that outputs P(top match answers the message); the threshold for a
target precision is read off cross-validated predictions kept in the parameters.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "ABSTAIN_FEATURES",
    "FUSION_FEATURES",
    "LinearModel",
    "MatcherParams",
    "abstain_features",
    "default_params",
    "fit_params",
]

PARAMS_FILE = "govreply_matcher.json"

FUSION_FEATURES = (
    "word", "char", "dense",
    "word_qcov", "char_qcov", "word_rcov", "char_rcov",
    "word_rr", "char_rr", "dense_rr",
    "len_gap",
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
class MatcherParams:
    """Everything the matcher learns besides the embedding model."""

    fusion: LinearModel
    abstention: LinearModel
    # Cross-validated (probability, correct) pairs used to pick a threshold for a precision.
    calibration_prob: list[float] = field(default_factory=list)
    calibration_correct: list[int] = field(default_factory=list)
    trained_on: str = ""

    def threshold(self, target_precision: float) -> float:
        """Lowest probability whose answered prefix keeps precision >= target.

        Returns 1.0 + tiny (never confident) when no prefix reaches the target.
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
        ok = np.flatnonzero((precision >= target_precision) & last_of_tie)
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
        data = json.loads(text)
        return cls(
            fusion=_linear(data["fusion"]),
            abstention=_linear(data["abstention"]),
            calibration_prob=data.get("calibration_prob", []),
            calibration_correct=data.get("calibration_correct", []),
            trained_on=data.get("trained_on", ""),
        )

    @classmethod
    def for_model(cls, model_path: Path) -> MatcherParams:
        """The MODEL_DIR's fitted parameters, or the bundled defaults for a plain ST folder."""
        own = Path(model_path) / PARAMS_FILE
        if own.exists():
            return cls.from_json(own.read_text("utf-8"))
        return default_params()


def _linear(data: dict[str, object]) -> LinearModel:
    return LinearModel(
        features=tuple(data["features"]),  # type: ignore[arg-type]
        coef=list(data["coef"]),  # type: ignore[call-overload]
        intercept=float(data["intercept"]),  # type: ignore[arg-type]
        mean=list(data["mean"]),  # type: ignore[call-overload]
        scale=list(data["scale"]),  # type: ignore[call-overload]
    )


def default_params() -> MatcherParams:
    """Parameters fitted on the project's own Chinese sample for a plain (English) model.

    They favour the lexical signals, because a dense model that was not trained on Chinese
    maps most Chinese characters to [UNK]. Regenerate with ``python -m
    knowledge_base.training --defaults``.
    """
    text = resources.files("knowledge_base.data").joinpath("default_matcher.json").read_text(
        "utf-8"
    )
    return MatcherParams.from_json(text)


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


def _fit_linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], c: float) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=2000, class_weight=None)
    model.fit((x - mean) / scale, y)
    return LinearModel(
        features=names,
        coef=[float(v) for v in model.coef_[0]],
        intercept=float(model.intercept_[0]),
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
    )


@dataclass
class FusionSample:
    """Candidates of one training message: features and which one is gold (-1: none)."""

    features: np.ndarray
    gold_index: int
    qlen: int
    group: str = ""  # entry id the message belongs to, for grouped cross-validation


def fit_params(samples: list[FusionSample], trained_on: str, c: float = 1.0) -> MatcherParams:
    """Fit fusion on answerable samples, then abstention on all of them (grouped CV)."""
    from sklearn.model_selection import GroupKFold

    xs, ys = [], []
    for s in samples:
        if s.gold_index < 0 or s.features.shape[0] == 0:
            continue
        labels = np.zeros(s.features.shape[0])
        labels[s.gold_index] = 1.0
        xs.append(s.features)
        ys.append(labels)
    fusion = _fit_linear(np.vstack(xs), np.concatenate(ys), FUSION_FEATURES, c)

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
    abstention = _fit_linear(x, y, ABSTAIN_FEATURES, c)
    probs = np.zeros(y.size)
    n_groups = len(set(groups))
    folds = min(5, n_groups)
    if folds >= 2 and 0 < y.sum() < y.size:
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(x, y, groups):
            if len(set(y[train_idx])) < 2:
                probs[test_idx] = abstention.probability(x[test_idx])
                continue
            fold = _fit_linear(x[train_idx], y[train_idx], ABSTAIN_FEATURES, c)
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
