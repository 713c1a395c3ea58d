"""Shared fixtures: the real offline model, loaded once per session, and the project sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.documents import KBDoc
from knowledge_base.embedding import default_model_path, load_model

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "sample"


@pytest.fixture(scope="session")
def model_path() -> Path:
    return default_model_path()


@pytest.fixture(scope="session")
def model(model_path: Path):  # noqa: ANN201 - SentenceTransformer, imported lazily
    return load_model(model_path)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def tiny_kb() -> list[KBDoc]:
    """A small project-written Chinese KB with near-duplicate entries."""
    return [
        KBDoc("K1", "居住证怎么办理？", "带身份证和租房合同到社区服务中心办理。",
              variants=("外地人办居住证要什么材料",)),
        KBDoc("K2", "居住证到期了怎么续签？", "到期前30日内到社区服务中心签注。"),
        KBDoc("K3", "普通护照如何申请？", "本人带身份证到出入境窗口办理。",
              variants=("第一次办护照去哪里",)),
        KBDoc("K4", "失业保险金怎么申领？", "在人社局网上服务大厅申请。",
              variants=("失业金领取条件",)),
        KBDoc("K5", "养犬登记怎么办理？", "带犬只免疫证明到派出所登记。",
              variants=("狗证怎么办",)),
        KBDoc("K6", "路边停车怎么收费？", "前15分钟免费，之后每小时5元。"),
    ]
