"""Fixtures for the emulator's own tests: a started emulator and PTB apps pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from telegram.ext import Application

from tests.emulator import BotApiEmulator

AppFactory = Callable[..., Application]  # type: ignore[type-arg]


@pytest.fixture(autouse=True)
def _retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22.2+ warns on every RetryAfter unless PTB_TIMEDELTA opts in; with
    # filterwarnings=error a 429 would raise PTBDeprecationWarning instead of RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(bot_username="govreply_bot") as emulator:
        yield emulator


@pytest.fixture
def make_app(emu: BotApiEmulator) -> AppFactory:
    """Build a real PTB Application against `emu`; read_timeout short for timeout tests."""

    def make(*, read_timeout: float = 5) -> Application:  # type: ignore[type-arg]
        return emu.application_builder(read_timeout=read_timeout).build()

    return make
