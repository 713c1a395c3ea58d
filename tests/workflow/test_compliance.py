"""Pre-publish compliance check: each kind of problem is reported; a clean reply passes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workflow.compliance import (
    ComplianceLists,
    FindingCode,
    check_reply,
    illegal_content,
    readable_detail,
)
from workflow.errors import ImportFailed

QUESTION = "居住证到期了怎么续签"


@pytest.fixture(scope="module")
def lists() -> ComplianceLists:
    return ComplianceLists.load()


def always(score: float):  # type: ignore[no-untyped-def]
    def similarity(_message: str, _reply: str) -> float:
        return score

    return similarity


def codes(findings: list) -> set[FindingCode]:  # type: ignore[type-arg]
    return {f.code for f in findings}


def test_clean_reply_with_hotline_and_gov_link_passes(lists: ComplianceLists) -> None:
    reply = (
        "您好，居住证到期前可在示例办App或社区服务中心办理续签，"
        "详见 https://zwfw.shili.gov.cn/jzz ，如有疑问请拨打12345。"
    )
    assert check_reply(QUESTION, reply, always(0.8), lists) == []


def test_personal_data_in_reply_is_blocking_and_masked_in_detail(
    lists: ComplianceLists,
) -> None:
    findings = check_reply(QUESTION, "已回电13807316629，请留意。", always(0.8), lists)
    assert codes(findings) == {FindingCode.PII}
    assert findings[0].blocking
    assert "138****6629" in findings[0].detail
    assert "13807316629" not in findings[0].detail


def test_links_and_advertising_are_reported(lists: ComplianceLists) -> None:
    reply = "续签请访问 www.fast-banzheng.com 或加微信咨询，限时特惠"
    findings = check_reply(QUESTION, reply, always(0.8), lists)
    assert codes(findings) == {FindingCode.LINK_OR_AD}
    assert any("fast-banzheng.com" in f.detail for f in findings)


def test_first_person_opinion_and_emotion_are_reported(lists: ComplianceLists) -> None:
    reply = "说实话我觉得这个规定挺离谱的！！"
    details = [f.detail for f in check_reply(QUESTION, reply, always(0.8), lists)]
    assert any("我觉得" in d for d in details)
    assert any("说实话" in d for d in details)


def test_institutional_we_is_not_a_personal_opinion(lists: ComplianceLists) -> None:
    reply = "您好，我们认为您的情况符合续签条件，请携带身份证到社区办理。"
    assert check_reply(QUESTION, reply, always(0.8), lists) == []


def test_banned_words_name_their_category(lists: ComplianceLists) -> None:
    findings = check_reply(QUESTION, "据内部消息，下周可网赌返现", always(0.8), lists)
    banned = [f for f in findings if f.code is FindingCode.BANNED_WORD]
    assert {f.detail.split("”")[0].lstrip("“") for f in banned} == {"内部消息", "网赌"}


def test_low_similarity_is_off_topic_and_none_skips_the_check(lists: ComplianceLists) -> None:
    reply = "您好，本周六政务中心正常开放。"
    findings = check_reply(QUESTION, reply, always(0.03), lists)
    assert codes(findings) == {FindingCode.OFF_TOPIC}
    assert findings[0].detail == "相关度 0.03，低于 0.08"
    assert check_reply(QUESTION, reply, None, lists) == []


def test_every_detail_is_in_chinese(lists: ComplianceLists) -> None:
    """Operators read the detail on the card as it is: no English words in any finding."""
    reply = "我觉得可以，已回电13807316629，详见 www.fast-banzheng.com ，据内部消息"
    findings = check_reply(QUESTION, reply, always(0.01), lists)
    assert {FindingCode.PII, FindingCode.LINK_OR_AD, FindingCode.PERSONAL_OPINION,
            FindingCode.BANNED_WORD, FindingCode.OFF_TOPIC} <= codes(findings)
    for finding in findings:
        english = re.findall(r"[A-Za-z]{3,}", finding.detail.replace("www.fast-banzheng.com", ""))
        assert english == [], finding.detail


@pytest.mark.parametrize(
    ("code", "stored", "shown"),
    [
        ("off_topic", "similarity 0.16 below 0.20", "相关度 0.16，低于 0.20"),
        ("link_or_ad", "matched '加微信'", "“加微信”"),
        ("banned_word", "'网赌' (淫秽、色情、赌博)", "“网赌”（淫秽、色情、赌博）"),
        ("pii", "mobile still present: 138****6629", "手机号：138****6629"),
        ("off_topic", "相关度 0.03，低于 0.08", "相关度 0.03，低于 0.08"),
    ],
)
def test_details_stored_in_english_by_an_older_version_are_shown_in_chinese(
    code: str, stored: str, shown: str
) -> None:
    assert readable_detail(code, stored) == shown


def test_admin_lists_decide_blocking(tmp_path: Path) -> None:
    path = tmp_path / "lists.json"
    path.write_text(
        json.dumps({"opinion_patterns": ["小编觉得"], "blocking": {"personal_opinion": False}}),
        encoding="utf-8",
    )
    lists = ComplianceLists.load(path)
    findings = check_reply(QUESTION, "小编觉得可以", None, lists)
    assert [(f.code, f.blocking) for f in findings] == [(FindingCode.PERSONAL_OPINION, False)]


def test_broken_lists_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "lists.json"
    path.write_text('{"ad_patterns": ["(unclosed"]}', encoding="utf-8")
    with pytest.raises(ImportFailed, match="ad_patterns"):
        ComplianceLists.load(path)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("出售仿真枪气枪，货到付款", "枪支弹药、管制器具"),
        ("澳門新葡京線上百家樂，日賺千元", "赌博"),  # Traditional
        ("高价收购银行卡、电话卡，跑分日结", "买卖个人信息、银行卡"),
        ("代开各类发票，私刻公章", "伪造证件、发票"),
        ("法轮大法好", "邪教"),
        ("再不解决我就炸了你们政府", "恐怖、暴力威胁"),
    ],
)
def test_illegal_content_is_named_by_category(
    lists: ComplianceLists, text: str, category: str
) -> None:
    hit = illegal_content(text, lists)
    assert hit is not None and hit.category == category and hit.matched


def test_ordinary_ads_and_insults_are_not_illegal_content(lists: ComplianceLists) -> None:
    assert illegal_content("加微信领取免费礼品，代办证件 vx123456", lists) is None
    assert illegal_content("你们这帮废物，垃圾政府", lists) is None


def test_illegal_content_patterns_are_admin_data(tmp_path: Path) -> None:
    path = tmp_path / "lists.json"
    path.write_text(json.dumps({"illegal_content": {"测试": ["违禁品\\d+"]}}), encoding="utf-8")
    hit = illegal_content("出售违禁品42号", ComplianceLists.load(path))
    assert hit is not None and hit.matched == ("违禁品42",)
    path.write_text(json.dumps({"illegal_content": {"测试": ["(unclosed"]}}), encoding="utf-8")
    with pytest.raises(ImportFailed, match="illegal_content"):
        ComplianceLists.load(path)


@pytest.mark.parametrize(
    "reply",
    [
        "转发本条微博并关注本号即可参与抽奖，赢取精美礼品！",
        "请大家集赞 50 个到窗口领取纪念品。",
        "办理前必须先关注本号并转发此条。",
        "关注公众号后才能预约办理。",
    ],
)
def test_luring_people_to_follow_like_or_share_is_reported(
    lists: ComplianceLists, reply: str
) -> None:
    findings = check_reply("", reply, None, lists)
    assert FindingCode.INDUCED_ENGAGEMENT in codes(findings)
    assert all(f.blocking for f in findings if f.code is FindingCode.INDUCED_ENGAGEMENT)


def test_inviting_people_to_follow_updates_is_not_luring(lists: ComplianceLists) -> None:
    for reply in (
        "请市民务必关注气象部门发布的预警信息，减少外出。",
        "欢迎关注“示例社保”公众号，可随时查询缴费记录。",
        "如需了解后续进展，请关注本号发布的通知。",
    ):
        found = codes(check_reply("", reply, None, lists))
        assert FindingCode.INDUCED_ENGAGEMENT not in found, reply


@pytest.mark.parametrize(
    "reply",
    [
        "这个不归我们管，你去找街道吧。",
        "你自己去查，网上都有。",
        "早就通知过了，不要再问了。",
    ],
)
def test_a_cold_or_shirking_reply_is_warned_about(lists: ComplianceLists, reply: str) -> None:
    findings = [f for f in check_reply("", reply, None, lists) if f.code is FindingCode.COLD_TONE]
    assert findings and not any(f.blocking for f in findings)  # a warning: people judge tone


def test_pointing_to_the_right_office_is_not_a_cold_tone(lists: ComplianceLists) -> None:
    reply = "您好，该事项由区住建局负责，可拨打 12345 转接或到区政务服务中心窗口咨询。"
    assert FindingCode.COLD_TONE not in codes(check_reply("", reply, None, lists))
