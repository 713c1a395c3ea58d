"""The similarity scale: each model's cosine rescaled against its own baseline of unrelated
texts, computed once per model and shared by the copy that remembers a window's vectors."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.similarity import (
    BASELINE_TEXTS,
    CachedEmbed,
    Similarity,
    as_similarity,
    baseline_cosine,
    char_dice,
    dice_matrix,
    for_model,
    rescale,
)
from knowledge_base.text import normalize


def test_rescale_puts_the_baseline_at_zero_and_identity_at_one() -> None:
    got = rescale(np.asarray([0.5, 0.8, 0.9, 1.0]), 0.8)
    assert np.allclose(got, [0.0, 0.0, 0.5, 1.0])


def test_baseline_is_a_high_quantile_of_the_pairwise_cosines() -> None:
    angles = np.linspace(0, np.pi / 2, 5)
    vectors = np.column_stack([np.cos(angles), np.sin(angles)])
    cosines = sorted(float(np.cos(a - b)) for i, a in enumerate(angles) for b in angles[i + 1 :])
    assert baseline_cosine(vectors, 1.0) == pytest.approx(cosines[-1])
    assert baseline_cosine(vectors, 0.0) == pytest.approx(cosines[0])


def test_dice_of_a_pair_equals_the_matrix() -> None:
    texts = [normalize(t) for t in ("居住证怎么续签", "居住证到期续签", "路边停车收费")]
    matrix = dice_matrix(texts)
    assert matrix[0, 1] == pytest.approx(char_dice(texts[0], texts[1])) and matrix[0, 1] > 0
    assert matrix[0, 2] == 0 and matrix[2, 2] == pytest.approx(1.0)


def _counting_embed(calls: list[list[str]]):  # type: ignore[no-untyped-def]
    def embed(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        rng = np.random.default_rng(sum(map(ord, "".join(texts))))
        vectors = rng.normal(size=(len(texts), 8))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    return embed


def test_the_baseline_is_computed_once_and_shared_by_the_remembering_copy() -> None:
    calls: list[list[str]] = []
    similarity = Similarity(_counting_embed(calls))
    window = similarity.remembering()
    assert calls == []  # nothing embedded until needed
    window.matrix(["停水了", "又停水了"])
    baseline = [c for c in calls if len(c) == len(BASELINE_TEXTS)]
    assert len(baseline) == 1 and similarity.baseline == window.baseline
    similarity.pair("停水了", "又停水了")
    assert len([c for c in calls if len(c) == len(BASELINE_TEXTS)]) == 1


def test_a_cached_embed_is_not_evicted_by_the_baseline_texts() -> None:
    calls: list[list[str]] = []
    cached = CachedEmbed(_counting_embed(calls))
    cached(["停水了", "又停水了"])
    similarity = as_similarity(cached)
    similarity.matrix(["停水了", "又停水了"])
    assert calls[-1] == [normalize(t) for t in BASELINE_TEXTS]  # through the inner embed
    assert ["停水了", "又停水了"] not in calls[1:]  # the window's vectors were kept


def test_an_empty_text_is_unrelated() -> None:
    similarity = Similarity(_counting_embed([]), baseline=0.5)
    assert similarity.pair("", "停水了") == 0.0
    assert similarity.matrix([]).shape == (0, 0)


def test_one_similarity_per_loaded_model(model) -> None:  # type: ignore[no-untyped-def]
    first = for_model(model)
    assert for_model(model) is first
    assert 0.0 < first.baseline < 1.0
