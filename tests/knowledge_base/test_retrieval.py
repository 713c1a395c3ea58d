from __future__ import annotations

import datetime
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.documents import KBDoc
from knowledge_base.retrieval import Matcher


@pytest.fixture
def matcher(model, model_path: Path, tiny_kb: list[KBDoc]) -> Matcher:
    m = Matcher(model, model_path)
    m.rebuild(tiny_kb)
    return m


def _manifest(folder: Path) -> dict[str, object]:
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def test_hybrid_search_finds_a_colloquial_paraphrase(matcher: Matcher) -> None:
    result = matcher.search("我是外地来打工的 暂住证在哪办 要带啥")
    assert result.best is not None
    assert result.best.entry_id == "K1"
    assert 0.0 <= result.probability <= 1.0
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)


def test_traditional_message_matches_simplified_entry(matcher: Matcher) -> None:
    assert matcher.search("第一次辦護照去哪裡").best.entry_id == "K3"  # type: ignore[union-attr]


def test_variants_collapse_to_one_entry(matcher: Matcher) -> None:
    result = matcher.search("狗证怎么办 养犬登记", k=6)
    ids = [m.entry_id for m in result.matches]
    assert ids[0] == "K5"
    assert len(ids) == len(set(ids))


def test_expired_entries_are_never_returned(matcher: Matcher, tiny_kb: list[KBDoc]) -> None:
    today = datetime.date(2025, 6, 1)
    expired = replace(tiny_kb[4], valid_until=datetime.date(2025, 5, 31))
    matcher.upsert([expired])
    for text in ("狗证怎么办", "养犬登记怎么办理", "养狗"):
        ids = [m.entry_id for m in matcher.search(text, k=6, today=today).matches]
        assert "K5" not in ids
    still_valid = matcher.search("狗证怎么办", today=datetime.date(2025, 5, 31))
    assert still_valid.best.entry_id == "K5"  # type: ignore[union-attr]


def test_removed_entry_is_not_returned(matcher: Matcher) -> None:
    matcher.remove(["K4"])
    ids = [m.entry_id for m in matcher.search("失业金怎么领", k=6).matches]
    assert "K4" not in ids
    assert len(matcher) == 5


def test_empty_message_abstains(matcher: Matcher) -> None:
    result = matcher.search("🙏🙏？？")
    assert result.matches == []
    assert result.best is None
    assert not result.confident


def test_upsert_embeds_only_new_or_changed_texts(
    model, model_path: Path, tiny_kb: list[KBDoc], tmp_path: Path
) -> None:
    m = Matcher(model, model_path, index_dir=tmp_path)
    m.rebuild(tiny_kb)
    rows = sum(1 + len(d.variants) for d in tiny_kb)
    assert _manifest(tmp_path)["embedded_total"] == rows
    m.upsert(tiny_kb)  # unchanged: nothing is embedded
    assert _manifest(tmp_path)["embedded_total"] == rows
    changed = replace(tiny_kb[1], variants=("居住证签注",), answer="新的答复")
    m.upsert([changed, KBDoc("K7", "公租房申请条件是什么？", "见住建局公告。")])
    assert _manifest(tmp_path)["embedded_total"] == rows + 2
    assert m.search("公租房怎么申请").best.entry_id == "K7"  # type: ignore[union-attr]
    assert m.search("居住证签注").best.answer == "新的答复"  # type: ignore[union-attr]


def test_index_is_persisted_and_reopened_without_re_embedding(
    model, model_path: Path, tiny_kb: list[KBDoc], tmp_path: Path
) -> None:
    first = Matcher(model, model_path, index_dir=tmp_path)
    first.rebuild(tiny_kb)
    expected = first.search("外地人办居住证要什么")
    before = _manifest(tmp_path)["embedded_total"]
    reopened = Matcher(model, model_path, index_dir=tmp_path)
    assert len(reopened) == len(tiny_kb)
    assert _manifest(tmp_path)["embedded_total"] == before
    again = reopened.search("外地人办居住证要什么")
    assert [m.entry_id for m in again.matches] == [m.entry_id for m in expected.matches]
    assert again.probability == pytest.approx(expected.probability)


def test_model_change_triggers_rebuild_on_open(
    model_path: Path, tiny_kb: list[KBDoc], tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    Matcher.open(model_path, index_dir=index_dir).rebuild(tiny_kb)
    fingerprint = _manifest(index_dir)["model_fingerprint"]
    # Another model folder: same weights, different sentence-transformers config.
    other = tmp_path / "other-model"
    shutil.copytree(model_path, other)
    config = json.loads((other / "sentence_bert_config.json").read_text("utf-8"))
    config["max_seq_length"] = 64
    (other / "sentence_bert_config.json").write_text(json.dumps(config), "utf-8")
    reopened = Matcher.open(other, index_dir=index_dir)
    manifest = _manifest(index_dir)
    assert manifest["model_fingerprint"] != fingerprint
    assert manifest["model_path"] == str(other.resolve())
    rows = sum(1 + len(d.variants) for d in tiny_kb)
    assert manifest["embedded_total"] == 2 * rows
    assert reopened.search("养犬登记").best.entry_id == "K5"  # type: ignore[union-attr]


def test_similarity_is_higher_for_related_texts(matcher: Matcher) -> None:
    related = matcher.similarity("居住证怎么办理", "居住证请带身份证和租房合同到社区办理")
    unrelated = matcher.similarity("居住证怎么办理", "路边停车前15分钟免费")
    assert 0.0 <= unrelated < related <= 1.0


def test_a_search_leaves_bulk_embedding_all_its_threads(matcher: Matcher) -> None:
    import os

    import torch

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two cores to tell one thread from all")
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    before = torch.get_num_threads()
    matcher.search("居住证怎么办")  # one-thread faiss search and one-thread query encode
    assert torch.get_num_threads() == before
    matcher.upsert([KBDoc("K9", "新生儿落户怎么办理？", "带出生证明到派出所。")])
    assert torch.get_num_threads() == before


def test_length_ratio_is_signed(matcher: Matcher) -> None:
    from knowledge_base.scoring import FUSION_FEATURES

    entries, features, _ = matcher.candidates("我是外地来打工的，暂住证在哪里办，要带些什么材料呢")
    ratio = features[:, FUSION_FEATURES.index("len_ratio")]
    gap = features[:, FUSION_FEATURES.index("len_gap")]
    # Every entry question is shorter than this long message.
    assert entries and (ratio < 0).all()
    np.testing.assert_allclose(gap, np.abs(ratio))


def test_parameters_from_before_a_feature_was_added_still_match(
    model, model_path: Path, tiny_kb: list[KBDoc]
) -> None:
    from knowledge_base.scoring import FUSION_FEATURES, LinearModel, default_params

    params = default_params()
    keep = [i for i, n in enumerate(FUSION_FEATURES) if n != "len_ratio"]
    f = params.fusion
    older = LinearModel(
        tuple(FUSION_FEATURES[i] for i in keep), [f.coef[i] for i in keep], 0.0,
        [f.mean[i] for i in keep], [f.scale[i] for i in keep],
    )
    m = Matcher(model, model_path, params=replace(params, fusion=older))
    m.rebuild(tiny_kb)
    assert m.search("我是外地来打工的 暂住证在哪办 要带啥").best.entry_id == "K1"  # type: ignore[union-attr]


def test_parameters_naming_an_unknown_feature_fail_when_opened(
    model, model_path: Path
) -> None:
    from knowledge_base.scoring import LinearModel, default_params

    future = LinearModel(("word", "future"), [1.0, 1.0], 0.0, [0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="does not compute"):
        Matcher(model, model_path, params=replace(default_params(), fusion=future))
