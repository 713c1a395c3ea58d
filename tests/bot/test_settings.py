"""Settings: every field is documented in the README; bad values give clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [
        f"GOVREPLY_{name.upper()}"
        for name in Settings.model_fields
        if f"`GOVREPLY_{name.upper()}`" not in text
    ]
    assert missing == []


def test_webhook_mode_without_secret_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="GOVREPLY_WEBHOOK_SECRET"):
        Settings(mode="webhook", webhook_url="https://x.example/telegram", _env_file=None)


def test_a_zombie_warning_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match="GOVREPLY_DORMANT_WARN_DAYS"):
        Settings(dormant_days=20, dormant_warn_days=30, _env_file=None)
    Settings(dormant_days=0, dormant_warn_days=30, _env_file=None)  # off: nothing to check


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVREPLY_OPERATORS_CHAT_ID", "-100500")
    monkeypatch.setenv("GOVREPLY_DISCUSSION_CHAT_IDS", "[-1001, -1002]")
    settings = Settings(_env_file=None)
    assert settings.operators_chat_id == -100500
    assert settings.discussion_chat_ids == [-1001, -1002]


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(no_such_setting=1, _env_file=None)


@pytest.mark.parametrize(
    ("setting", "port", "used"),
    [("auto", 465, "ssl"), ("auto", 25, "none"), ("auto", 587, "starttls"), ("ssl", 587, "ssl")],
)
def test_smtp_security_follows_the_port_unless_set(setting: str, port: int, used: str) -> None:
    from bot.case_delivery import _security
    from bot.settings import SmtpSecurity

    assert _security(SmtpSecurity(setting), port) is SmtpSecurity(used)
