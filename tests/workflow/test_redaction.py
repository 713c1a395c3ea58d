"""De-identification: what is found, what is masked, and what is never touched."""

from __future__ import annotations

import pytest

from workflow.pii_numbers import is_luhn_valid, is_mistyped_id, is_valid_id18
from workflow.redaction import PiiType, find_pii, redact, redact_for_log

# Invented numbers: region prefix 4399 does not exist; check digits and Luhn sums are valid.
ID_VALID = "439901199207181537"
ID_BAD_CHECK = "439901199207181536"
CARD_VALID = "6217995260181596"


def spans(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type.value) for s in find_pii(text)]


def test_id_check_digit_and_luhn_are_validated() -> None:
    assert is_valid_id18(ID_VALID)
    assert not is_valid_id18(ID_BAD_CHECK)
    assert is_valid_id18("43990219850312204x")
    assert is_luhn_valid(CARD_VALID)
    assert not is_luhn_valid("6217995260181597")


def test_a_mistyped_id_keeps_its_province_and_birth_date() -> None:
    assert is_mistyped_id(ID_VALID + "1")  # a digit doubled: the date stays in place
    assert is_mistyped_id(ID_VALID[:5] + ID_VALID[6:])  # a digit lost before the date
    assert is_mistyped_id(ID_BAD_CHECK)
    assert not is_mistyped_id("2024031511029384751")  # 20 is no province: an order number
    assert not is_mistyped_id("43990188881230556")  # no birth date where one belongs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"我的身份证是{ID_VALID}，帮我查下", [(ID_VALID, "id_card")]),
        ("证件号 4399 0119 9207 1815 37 谢谢", [("4399 0119 9207 1815 37", "id_card")]),
        ("电话15873021946有事找我", [("15873021946", "mobile")]),
        ("换号了 +86 139-0731-2468 别打旧的", [("+86 139-0731-2468", "mobile")]),
        ("座机0731-85123467 白天有人", [("0731-85123467", "landline")]),
        ("请打(0739)5283716转人工", [("(0739)5283716", "landline")]),
        (f"工资卡 {CARD_VALID} 没收到钱", [(CARD_VALID, "bank_card")]),
        ("卡号：6236 6874 6507 5296", [("6236 6874 6507 5296", "bank_card")]),
        ("邮箱 liu.xiaofang_77@qq.com 收材料", [("liu.xiaofang_77@qq.com", "email")]),
        ("车牌湘B·7K2M9的车堵门口了", [("湘B·7K2M9", "plate")]),
        ("新能源车粤AD12345充不了电", [("粤AD12345", "plate")]),
    ],
)
def test_numbers_and_contacts_are_found_with_their_surface_form(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"业务流水号{ID_BAD_CHECK}，状态已受理",
        "订单号202403151102938475，支付失败",
        "有事打12345或者12333，医保问12393",
        "发票号码04400211001 金额3580.00元 日期2024-03-02",
        "统一社会信用代码91430100MA4L7Q2X3K",
        "银行卡尾号8832被扣了两次",
        "会员卡号10293847561能打折吗",
        "政务中心地址是滨江大道188号政务服务中心",
        "孩子2016年9月1日出生 学费1200元",
        "王老师和刘女士都说周一来办",
    ],
)
def test_tricky_negatives_are_not_personal_data(text: str) -> None:
    assert find_pii(text) == []


def test_names_after_trigger_words_are_found() -> None:
    assert spans("您好，我叫陈晓燕，想问问低保") == [("陈晓燕", "name")]
    assert spans("户名周敏") == [("周敏", "name")]
    assert spans("联系人：欧阳明远 电话后面再说") == [("欧阳明远", "name")]
    assert spans("我爸叫刘德福，今年八十了") == [("刘德福", "name")]


def test_relation_words_do_not_swallow_the_next_phrase_as_a_name() -> None:
    assert spans("帮儿子带孩子 高血压要经常开药") == []
    assert spans("麻烦联系我老婆 王秀兰 有事") == [("王秀兰", "name")]


def test_traditional_text_is_detected_on_the_original_offsets() -> None:
    text = f"我叫陳美玲，身份證{ID_VALID}"
    assert spans(text) == [("陳美玲", "name"), (ID_VALID, "id_card")]


def test_private_address_is_found_but_not_a_public_office() -> None:
    text = "我住示例市东城区和平路18号3栋2单元502室，楼下吵"
    assert spans(text) == [("示例市东城区和平路18号3栋2单元502室", "address")]


def test_redact_keeps_a_hint_of_shape() -> None:
    text = f"我叫张建华 电话13807316629 身份证{ID_VALID} 卡{CARD_VALID}"
    assert redact(text) == "我叫张** 电话138****6629 身份证4399**********1537 卡6217********1596"


def test_redact_masks_address_email_and_plate() -> None:
    text = "住示例市南湖区梅林路27号附3号 邮箱ab.cd@163.com 车牌湘A·D3K57"
    assert redact(text) == "住[地址] 邮箱a***@163.com 车牌湘A·****7"


def test_redact_never_touches_government_hotlines() -> None:
    text = "打12345没人接，12366也占线，我手机13807316629"
    assert redact(text) == "打12345没人接，12366也占线，我手机138****6629"


def test_redact_for_log_uses_type_tags_and_stars_long_numbers() -> None:
    text = "我叫林小雨 手机15907416638 工单号2024061800123"
    assert redact_for_log(text) == "我叫[姓名] 手机[手机号] 工单号*************"


def test_spans_are_sorted_and_do_not_overlap() -> None:
    text = f"姓名：郑雅文 身份证：{ID_VALID} 手机：18973025561"
    found = find_pii(text)
    assert [s.type for s in found] == [PiiType.NAME, PiiType.ID_CARD, PiiType.MOBILE]
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("联系电话：0513 8512 3456", "联系电话", "8512"),  # a landline written with spaces
        ("電話：(0513)8512 3456", "電話", "8512"),
        ("手机：8613800138000", "手机", "0013"),  # the country code without "+"
        ("TEL13800138000", "TEL", "0013"),  # letters touching the number
        ("加vx13800138000联系", "联系", "0013"),
        ("手机：１３８００１３８０００", "手机", "００１３"),  # full-width digits
    ],
)
def test_phone_numbers_in_everyday_spellings_are_masked(text: str, kept: str, gone: str) -> None:
    for masked in (redact(text), redact_for_log(text)):
        assert kept in masked and gone not in masked


@pytest.mark.parametrize(
    ("text", "surface", "masked"),
    [
        ("手机一三八一二三四五六七八，有事打我", "一三八一二三四五六七八", "一三八****五六七八"),
        ("电话幺三八幺二三四五六七八", "幺三八幺二三四五六七八", "幺三八****五六七八"),
        ("号码一五九零七四一两六三八晚上打", "一五九零七四一两六三八", "一五九****两六三八"),
        ("號碼一五九〇七四一兩六三八", "一五九〇七四一兩六三八", "一五九****兩六三八"),
        ("手机138一二三四五六七八", "138一二三四五六七八", "138****五六七八"),
        ("手机１３８一二三四五六七八", "１３８一二三四五六七八", "１３８****五六七八"),
        ("留个电话：一八六 二三四五 七七〇一", "一八六 二三四五 七七〇一", "一八六 **** 七七〇一"),
        ("手机一三八一二三四五六七八一直打不通", "一三八一二三四五六七八", "一三八****五六七八"),
        ("电话 1 3 8 0 0 1 3 8 0 0 0 谢谢", "1 3 8 0 0 1 3 8 0 0 0", "1 3 8 * * * * 8 0 0 0"),
        ("电话1-3-8-0-0-1-3-8-0-0-0", "1-3-8-0-0-1-3-8-0-0-0", "1-3-8-*-*-*-*-8-0-0-0"),
        ("联系方式138.0013.8000", "138.0013.8000", "138.****.8000"),
    ],
)
def test_mobile_in_chinese_numerals_or_digit_by_digit_is_masked(
    text: str, surface: str, masked: str
) -> None:
    assert spans(text) == [(surface, "mobile")]
    assert masked in redact(text)
    assert "[手机号]" in redact_for_log(text)


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        (f"身份证号{ID_VALID}1，多打了一位", f"{ID_VALID}1"),  # 19: a digit doubled
        (f"身份证{ID_VALID[:17]}，最后一位忘了", ID_VALID[:17]),  # 17: the check digit lost
        ("4399011992071815371是我儿子的", "4399011992071815371"),  # no 身份证, but ID-shaped
        ("证件号码4399011993110810X", "4399011993110810X"),  # 43990119931108100X, a 0 lost
        (f"身份证号{ID_BAD_CHECK}，办证说不对", ID_BAD_CHECK),  # 18, one digit mistyped
    ],
)
def test_id_number_mistyped_to_17_or_19_characters_is_masked(text: str, surface: str) -> None:
    assert spans(text) == [(surface, "id_card")]
    assert surface[:4] + "*" in redact(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我叫刘十三，孩子入学的事想咨询", "刘十三"),
        ("我是王二，上周反映的路灯还没修", "王二"),
        ("本人李四，申请临时救助", "李四"),
        ("姓名：赵六", "赵六"),
        ("我叫陈一鸣，身份证丢了怎么补", "陈一鸣"),
    ],
)
def test_name_with_numerals_after_a_self_introduction_is_masked(text: str, name: str) -> None:
    assert spans(text) == [(name, "name")]
    assert name not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "有事请拨12345，报警110，急救120，消费投诉12315",
        "报警打幺幺零，急救打幺二零",
        "银行客服95588说要本人去网点",
        "客服热线400-810-8888打了好几次",
        "政务服务热线0513-12345，工作日受理",
        "2026年12月7日交了3000元押金",
        "二〇二六年十二月七日去办的，交了一万三千八百元",
        "办事大厅周一三五下午开门，二四六上午",
        "小区3号楼有12户没通水，幸福路一三八号也停了",
        "订单号2024031511029384751，退款还没到",
        "回执号码2026120711300458817查不到",
        f"业务流水号{ID_BAD_CHECK}，状态已受理",
        "路由器地址192.168.10.100打不开",
        "一三五七九二四六八十一，这是排班顺序",
        "我是高三学生，想问高考报名",
        "我是周一来办的，说要等七个工作日",
        "孩子高三了，户口迁移怎么办",
        "我是包三个月的车位，物业乱收费",
        "我叫车一辆",
    ],
)
def test_hotlines_dates_amounts_and_counts_stay_unmasked(text: str) -> None:
    assert find_pii(text) == []
    assert redact(text) == text
