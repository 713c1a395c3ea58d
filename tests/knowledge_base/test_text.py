from __future__ import annotations

from knowledge_base.text import char_ngrams, normalize, words


def test_traditional_is_converted_to_simplified() -> None:
    assert normalize("護照在哪裡辦理？") == "护照在哪里办理"


def test_full_width_letters_and_digits_become_half_width_lower_case() -> None:
    assert normalize("ＡＰＰ上能辦嗎１２３４５") == "app上能办吗12345"


def test_emoji_and_punctuation_become_single_spaces() -> None:
    assert normalize("请问🙏😀怎么办？？  谢谢👍🏻！") == "请问 怎么办 谢谢"


def test_chinese_numerals_before_counters_become_digits() -> None:
    assert normalize("孩子刚满十六岁，断缴三个月") == "孩子刚满16岁 断缴3个月"
    assert normalize("统一办理一下") == "统一办理一下"


def test_common_typos_are_corrected() -> None:
    assert normalize("身分证丢了 社包卡咋办") == "身份证丢了 社保卡怎么办"


def test_tokenisers_split_words_and_character_bigrams() -> None:
    assert "居住证" in words("外地人办居住证")
    assert char_ngrams("办证 app") == ["办", "证", "办证", "app"]
