"""Abstention trees and per-domain parameters (knowledge_base.scoring)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from knowledge_base.documents import KBDoc
from knowledge_base.retrieval import Matcher
from knowledge_base.scoring import (
    ABSTAIN_FEATURES,
    FUSION_FEATURES,
    FusionSample,
    LinearModel,
    MatcherParams,
    TreeModel,
    _fit_linear,
    _fit_listwise,
    _fit_trees,
    default_params,
    fit_params,
    fusion_columns,
    kb_profile,
    profile_similarity,
)

GOV = ["居住证怎么办理", "社保卡丢了怎么补办", "公积金怎么提取", "户口迁移需要什么材料"]
BANK = ["借款利息怎么算", "还款日可以推迟吗", "信用额度怎么提高", "银行卡怎么解绑"]


PROFILES = {"bank": kb_profile(BANK), "gov": kb_profile(GOV)}


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(ABSTAIN_FEATURES)))
    y = ((x[:, 0] + 0.5 * x[:, 3] * x[:, 4] + rng.normal(scale=0.5, size=n)) > 0).astype(float)
    return x, y


def test_exported_trees_score_exactly_like_scikit_learn() -> None:
    x, y = _synthetic(2500, 1)
    ours = _fit_trees(x, y, ABSTAIN_FEATURES)
    theirs = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20,
        l2_regularization=1.0, random_state=13,
    ).fit(x, y)
    probe, _ = _synthetic(300, 2)
    probe[:5, 2] = np.nan  # missing values follow the stored direction
    np.testing.assert_allclose(ours.decision(probe), theirs.decision_function(probe), atol=1e-9)


def test_tree_model_survives_a_json_round_trip() -> None:
    x, y = _synthetic(1200, 3)
    params = MatcherParams(default_params().fusion, _fit_trees(x, y, ABSTAIN_FEATURES))
    again = MatcherParams.from_json(json.dumps(asdict(params)))
    assert isinstance(again.abstention, TreeModel)
    np.testing.assert_allclose(again.abstention.probability(x), params.abstention.probability(x))


def test_profiles_tell_a_city_q_and_a_base_from_a_bank() -> None:
    gov, bank = kb_profile(GOV), kb_profile(BANK)
    assert profile_similarity(gov, gov) > 0.99
    assert profile_similarity(kb_profile(["身份证怎么补办", "公积金提取条件"]), gov) > (
        profile_similarity(kb_profile(["身份证怎么补办", "公积金提取条件"]), bank)
    )


def _samples(domain: str, n: int, good: float, seed: int) -> list[FusionSample]:
    """Messages whose gold candidate is separable by ``good`` on the char signal."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        feats = rng.uniform(0, 0.3, size=(5, len(FUSION_FEATURES)))
        gold = int(rng.integers(0, 5)) if rng.uniform() < 0.8 else -1
        if gold >= 0:
            feats[gold, 1] += good
        out.append(FusionSample(feats, gold, 10, group=f"{domain}{i % 50}", domain=domain))
    return out


def test_each_domain_gets_its_own_parameters_and_small_ones_fall_back_to_pooled() -> None:
    samples = _samples("bank", 600, 0.5, 1) + _samples("gov", 40, 0.2, 2)
    samples += _samples("tiny", 10, 0.2, 3) + _samples("city2", 25, 0.2, 4)
    profiles = {**PROFILES, "tiny": kb_profile(["天气怎么样"]), "city2": kb_profile(["居住证"])}
    params = fit_params(samples, "test", profiles=profiles)
    by_name = {d.name: d for d in params.domains}
    assert set(by_name) == {"bank", "gov", "tiny", "city2"}
    assert by_name["bank"].fusion.coef != params.fusion.coef
    assert by_name["gov"].fusion.coef != params.fusion.coef  # small, but its own
    assert by_name["city2"].fusion.coef != params.fusion.coef  # 25 messages: still its own
    assert by_name["tiny"].fusion.coef == params.fusion.coef  # too small: pooled
    again = MatcherParams.from_json(json.dumps(asdict(params)))
    assert [d.name for d in again.domains] == ["bank", "gov", "tiny", "city2"]
    assert again.select(kb_profile(BANK)).name == "bank"
    assert again.select(kb_profile(["借款额度怎么提高"])).name == "bank"
    assert again.select({"火": 1.0}).name == "pooled"  # nothing close: the pooled parameters


def test_matcher_switches_parameters_when_its_q_and_a_base_changes(model, model_path) -> None:  # noqa: ANN001
    samples = _samples("bank", 600, 0.5, 1) + _samples("gov", 600, 0.2, 2)
    params = fit_params(samples, "test", profiles=PROFILES)
    matcher = Matcher(model, model_path, params=params)
    assert matcher.params.name == "pooled"  # empty index
    matcher.rebuild([KBDoc(f"B{i}", q, "答复") for i, q in enumerate(BANK)])
    assert matcher.params.name == "bank"
    assert matcher.threshold == matcher.params.threshold(matcher.target_precision)
    matcher.rebuild([KBDoc(f"G{i}", q, "答复") for i, q in enumerate(GOV)])
    assert matcher.params.name == "gov"
    assert matcher.describe()["parameters"] == "gov"


def _lists(n: int, seed: int) -> tuple[list[np.ndarray], list[int]]:
    """Candidate lists whose gold is the best on ``u``; feature 0 is u plus a per-message
    level, feature 1 minus that level plus noise (as BM25 of a short vs long message)."""
    rng = np.random.default_rng(seed)
    lists, gold = [], []
    for _ in range(n):
        level = rng.normal(scale=3.0)
        u, v = rng.normal(size=8), rng.normal(size=8)
        lists.append(np.column_stack([level + u, -level + v]))
        gold.append(int(np.argmax(u)))
    return lists, gold


def _top1(model: LinearModel, lists: list[np.ndarray], gold: list[int]) -> float:
    hits = [np.argmax(model.decision(x)) == g for x, g in zip(lists, gold, strict=True)]
    return float(np.mean(hits))


def test_listwise_fusion_ranks_within_each_message() -> None:
    lists, gold = _lists(400, 4)
    names = ("a", "b")
    listwise = _fit_listwise(lists, gold, names, c=1.0)
    labels = [np.eye(8)[g] for g in gold]
    pointwise = _fit_linear(np.vstack(lists), np.concatenate(labels), names, c=1.0)
    test_lists, test_gold = _lists(300, 5)
    # The per-message level says nothing about which candidate wins: only listwise ignores it.
    assert _top1(listwise, test_lists, test_gold) >= 0.97
    assert _top1(pointwise, test_lists, test_gold) < 0.9
    assert abs(listwise.coef[1]) < 0.2 * listwise.coef[0]


def test_fusion_uses_the_columns_its_model_was_fitted_on() -> None:
    old = default_params().fusion
    names = tuple(n for n in FUSION_FEATURES if n != "len_ratio")  # an older MODEL_DIR
    keep = [FUSION_FEATURES.index(n) for n in names]
    older = LinearModel(
        names, [old.coef[i] for i in keep], 0.0, [old.mean[i] for i in keep],
        [old.scale[i] for i in keep],
    )
    assert fusion_columns(older) == keep
    with pytest.raises(ValueError, match="does not compute"):
        fusion_columns(LinearModel(("word", "future"), [1.0, 1.0], 0.0, [0.0, 0.0], [1.0, 1.0]))


def test_fit_params_fits_fusion_listwise_given_enough_messages() -> None:
    lists, gold = _lists(300, 6)

    def widen(x: np.ndarray) -> np.ndarray:
        out = np.zeros((x.shape[0], len(FUSION_FEATURES)))
        out[:, 0], out[:, 1] = x[:, 0], x[:, 1]  # the "word" and "char" columns
        return out

    samples = [
        FusionSample(widen(x), g, 10, group=f"m{i}")
        for i, (x, g) in enumerate(zip(lists, gold, strict=True))
    ]
    fusion = fit_params(samples, trained_on="synthetic").fusion
    test_lists, test_gold = _lists(300, 7)
    assert _top1(fusion, [widen(x) for x in test_lists], test_gold) >= 0.97
    few = fit_params(samples[:60], trained_on="synthetic").fusion  # per-candidate below 200
    assert _top1(few, [widen(x) for x in test_lists], test_gold) < 0.9


def _calibrated(correct: list[int]) -> MatcherParams:
    base = default_params()
    probs = [1.0 - i / 100 for i in range(len(correct))]  # already in descending order
    return replace(base, calibration_prob=probs, calibration_correct=correct, domains=[])


def test_a_confident_cut_needs_enough_correct_answers_behind_it() -> None:
    # Three lucky messages on top, then nothing near 95 %: no confident cut at all.
    assert _calibrated([1, 1, 1] + [0, 1] * 20).threshold(0.95) > 1.0
    # Enough evidence: the cut falls after the last prefix that is still 95 % precise.
    six = _calibrated([1] * 6 + [0] * 30)
    assert six.threshold(0.95) == six.calibration_prob[5]
