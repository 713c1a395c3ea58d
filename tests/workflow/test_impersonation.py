"""Impersonating accounts: extracting the reported account and rendering the two documents."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.docx_forms import document_text
from workflow.impersonation import (
    ImpersonationCaseInfo,
    ReportedAccount,
    extract_reported_account,
    render_filing_record,
    render_platform_letter,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "快手上有个叫“示例市税务服务”的号 在收退税手续费 是你们的吗",
            ReportedAccount(name="示例市税务服务", platform="快手"),
        ),
        (
            "有个公眾號叫「示例社保通」 發的鏈接 https://sl-shebao.cc/login 要輸密碼",
            ReportedAccount(
                name="示例社保通", link="https://sl-shebao.cc/login", platform="微信公众号"
            ),
        ),
        (
            "抖音号 slzw_2024 冒充政务号卖东西 视频 https://v.douyin.com/Xy9Ab/",
            ReportedAccount(
                handle="slzw_2024", link="https://v.douyin.com/Xy9Ab/", platform="抖音"
            ),
        ),
        (
            "微博@示例交警在线 说能消分 真的假的",
            ReportedAccount(name="示例交警在线", handle="示例交警在线", platform="微博"),
        ),
        (
            "收到短信【示例市社保局】说账户异常要点链接",
            ReportedAccount(name="示例市社保局", platform="短信"),
        ),
    ],
)
def test_reported_account_is_extracted(text: str, expected: ReportedAccount) -> None:
    assert extract_reported_account(text) == expected


def test_message_without_account_details_gives_an_empty_account() -> None:
    assert extract_reported_account("好像有人冒充你们 你们注意一下").is_empty()


@pytest.fixture
def case() -> ImpersonationCaseInfo:
    return ImpersonationCaseInfo(
        ticket="GR-2026-000042",
        unit_name="示例市人力资源和社会保障局",
        account=ReportedAccount(name="示例人社服务", handle="slrs_fw", platform="抖音"),
        official_account="示例人社",
        supervising_office="示例市政府办公室政务公开科",
        verified_at="2026年3月2日",
        evidence=("截图1.jpg", "录屏.mp4"),
        contact_name="网信专员",
        contact_phone="0739-1234567",
        date=date(2026, 3, 3),
    )


def test_platform_letter_asks_the_platform_to_shut_the_account(
    case: ImpersonationCaseInfo,
) -> None:
    data = render_platform_letter(case)
    assert data[:2] == b"PK"  # a .docx is a zip archive
    text = document_text(data)
    assert "关于请求关停仿冒“示例市人力资源和社会保障局”政务新媒体账号的函" in text
    assert "抖音平台运营方：" in text
    assert "“示例人社服务”（账号/ID：slrs_fw；链接：____）" in text
    assert "予以关停" in text
    assert "截图1.jpg、录屏.mp4" in text
    assert "GR-2026-000042" in text
    assert "2026年3月3日" in text


def test_filing_record_lists_the_case_for_the_supervising_office(
    case: ImpersonationCaseInfo,
) -> None:
    text = document_text(render_filing_record(case))
    assert "仿冒政务新媒体账号处置情况备案表" in text
    assert "报送：示例市政府办公室政务公开科" in text
    assert "仿冒账号名称 | 示例人社服务" in text
    assert "所在平台 | 抖音" in text
    assert "处置结果 | ____" in text
