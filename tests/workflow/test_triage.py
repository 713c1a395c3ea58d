"""Routing: labels from admin-curated examples and keyword rules, with evidence and fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflow.errors import ImportFailed
from workflow.triage import DATA_DIR, FALLBACK_EVIDENCE, Label, Router, rumour_cue


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("请问新生儿落户需要带什么材料 要父母都到场吗", Label.CONSULTATION),
        ("窗口工作人员态度太差了 问一句就吼人 我要投诉", Label.COMPLAINT),
        ("抖音上有个号冒充你们 在收钱帮人办证 是你们的吗", Label.IMPERSONATION_REPORT),
        ("建议地铁站多设几个无障碍电梯 推婴儿车太难了", Label.SUGGESTION),
        ("我家的房子被强拆八年了 补偿一直没到位 求市领导做主", Label.PETITION),
        ("谢谢社保窗口的同志 半小时就帮我办好了 点赞👍", Label.PRAISE),
        ("低息贷款 无抵押 当天放款 加微 loan8888", Label.SPAM_AD),
        ("你们这群废物 垃圾部门", Label.ABUSE),
        ("小区对面的仓库着火了 浓烟很大 有人被困", Label.SENSITIVE_INCIDENT),
    ],
)
def test_each_label_is_recognised(router: Router, text: str, label: Label) -> None:
    assert router.classify(text).label is label


def test_traditional_characters_are_routed_like_simplified(router: Router) -> None:
    routing = router.classify("有人冒充你們的公眾號 發假的補貼鏈接 是官方的嗎")
    assert routing.label is Label.IMPERSONATION_REPORT


def test_evidence_names_keywords_and_nearest_examples(router: Router) -> None:
    routing = router.classify("工厂爆炸了 好多人受伤 快来人")
    assert routing.label is Label.SENSITIVE_INCIDENT
    assert any(e.startswith("keyword:") for e in routing.evidence)
    assert any(e.startswith("example:") for e in routing.evidence)
    assert 0.0 < routing.confidence <= 1.0


def test_empty_or_meaningless_text_falls_back_to_consultation(router: Router) -> None:
    for text in ("", "   ", "。。。"):
        routing = router.classify(text)
        assert routing.label is Label.CONSULTATION
        assert routing.evidence == [FALLBACK_EVIDENCE]


def test_labels_are_lowercase_strings() -> None:
    assert [label.value for label in Label] == [
        "consultation",
        "complaint",
        "impersonation_report",
        "suggestion",
        "petition",
        "praise",
        "spam_ad",
        "abuse",
        "sensitive_incident",
    ]


def test_admin_data_dir_is_merged_on_top_of_builtin(tmp_path: Path, router: Router) -> None:
    text = "小区里的流浪猫越来越多 晚上叫个不停"
    extra = [
        {"text": "流浪猫太多了 晚上叫得睡不着 找谁都不管", "label": "complaint"},
        {"text": "小区流浪猫成群 夜里吵得没法睡 物业推给社区", "label": "complaint"},
    ]
    (tmp_path / "routing_examples.jsonl").write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in extra), encoding="utf-8"
    )
    rules = {"labels": {"complaint": [{"pattern": "流浪猫", "weight": 1.5}]}}
    (tmp_path / "routing_keywords.json").write_text(json.dumps(rules), encoding="utf-8")
    merged = Router.load(tmp_path)
    assert len(merged.examples) == len(router.examples) + 2
    routing = merged.classify(text)
    assert routing.label is Label.COMPLAINT
    assert "keyword:流浪猫" in routing.evidence


def test_unknown_label_in_admin_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "routing_examples.jsonl"
    path.write_text(
        '{"text": "你好", "label": "consultation"}\n{"text": "哈哈", "label": "joke"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as caught:
        Router.load(tmp_path)
    assert caught.value.line == 2
    assert caught.value.field == "label"
    assert "joke" in str(caught.value)


def test_invalid_regex_in_keywords_is_reported(tmp_path: Path) -> None:
    rules = {"labels": {"complaint": [{"pattern": "投诉(", "weight": 1}]}}
    (tmp_path / "routing_keywords.json").write_text(json.dumps(rules), encoding="utf-8")
    with pytest.raises(ImportFailed, match="pattern"):
        Router.load(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "停车场晚上几点关门？",  # opening hours: 关门 and 晚上 are no grievance (issue 18)
        "市图书馆周一开门吗",
        "新办的居住证去哪里申请",  # where to apply
        "灵活就业的社保在哪个窗口办",
        "失业金一般什么时候发放到卡上",  # when money is paid
        "养老金每个月几号到账",
        "奶粉罐是可回收物还是其他垃圾",  # which bin: 垃圾 is no insult
        "请问垃圾分类怎么分 厨余垃圾放哪个桶",
        "過期藥品是有害垃圾嗎",  # Traditional characters
        "社保卡丢了咋补办啊",  # 丢了 is no complaint in a question
        "老年人坐公交有优惠吗🚌",  # nor 优惠 an ad
        "救护车电话是多少",  # nor asking for a number an emergency
    ],
)
def test_everyday_questions_are_consultations(router: Router, text: str) -> None:
    routing = router.classify(text)
    assert routing.label is Label.CONSULTATION, routing
    assert routing.evidence[0].startswith("question:")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("图书馆说好九点关门 八点就赶人走了 到底有没有人管", Label.COMPLAINT),
        ("补贴申请两个月了还没到账 打电话一直没人接", Label.COMPLAINT),
        ("为什么办事大厅总是提前半小时关门？", Label.COMPLAINT),
        ("小区垃圾桶满了好几天没人清运 臭气熏天", Label.COMPLAINT),
        ("补个证跑了三趟 每次都说缺材料 这叫便民？", Label.COMPLAINT),
        ("能不能在公交站多设几个垃圾桶", Label.SUGGESTION),
        ("什么垃圾服务 电话永远打不通", Label.ABUSE),
        ("垃圾站着火了 浓烟很大 有人被困吗？", Label.SENSITIVE_INCIDENT),
        ("公积金贷款秒批 无抵押 加v gjj888", Label.SPAM_AD),
    ],
)
def test_grievances_in_the_same_words_keep_their_label(
    router: Router, text: str, label: Label
) -> None:
    assert router.classify(text).label is label


def test_a_rule_not_for_questions_counts_only_outside_a_question(tmp_path: Path) -> None:
    rules = {
        "question_forms": [{"pattern": "吗|怎么"}],
        "labels": {"complaint": [{"pattern": "丢了", "weight": 2.0, "in_question": False}]},
    }
    (tmp_path / "routing_keywords.json").write_text(json.dumps(rules), encoding="utf-8")
    router = Router.load(tmp_path)
    assert router.question_cue("社保卡丢了怎么补") == "怎么"
    assert "keyword:丢了" in router.classify("窗口把我的材料弄丢了 丢了三次").evidence
    asked = router.classify("社保卡丢了怎么补")
    assert asked.label is Label.CONSULTATION
    assert "keyword:丢了" not in asked.evidence


def test_invalid_question_form_is_reported(tmp_path: Path) -> None:
    rules = {"question_forms": [{"pattern": "几点("}]}
    (tmp_path / "routing_keywords.json").write_text(json.dumps(rules), encoding="utf-8")
    with pytest.raises(ImportFailed, match="question_forms"):
        Router.load(tmp_path)


def test_held_out_everyday_questions_are_consultations(router: Router) -> None:
    """The project's own held-out half (workflow/data/sample/README.md): never tuned on."""
    path = DATA_DIR / "sample" / "routing_everyday_heldout.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    questions = [row["text"] for row in rows if row["label"] == "consultation"]
    routed = [router.classify(text).label for text in questions]
    recall = routed.count(Label.CONSULTATION) / len(questions)
    assert len(questions) >= 60
    assert recall >= 0.96, [(t, r.value) for t, r in zip(questions, routed, strict=True)]


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("网传下周全市停水三天，是真的吗？", "网传"),
        ("網傳明天地鐵停運是真的嗎", "网传"),  # Traditional Chinese
        ("听说学区要调整了，是真的吗", "听说学区要调整了,是真的吗"),
        ("群里都在说要拆迁，真的假的😂", "群里都在说"),
        ("新闻说的补贴是否属实", "是否属实"),
        ("请问社保卡丢了怎么补办", None),
        ("我听说可以网上办，怎么操作", None),  # 听说 without asking whether it is true
    ],
)
def test_rumour_checks_are_recognised(text: str, cue: str | None) -> None:
    assert rumour_cue(text) == cue
