"""A Telegram Bot API emulator over real HTTP, for driving the real PTB Application in tests.

    async with BotApiEmulator(bot_username="govreply_bot") as emu:
        app = ApplicationBuilder().token(emu.token).base_url(emu.base_url) ...

See README.md in this folder.
"""

from __future__ import annotations

from .faults import Fault
from .params import ApiError
from .server import DEFAULT_TOKEN, BotApiEmulator, CallbackHandle
from .world import Call, CallbackQuery, SimChat, SimFile, SimMessage, SimUser

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiEmulator",
    "Call",
    "CallbackHandle",
    "CallbackQuery",
    "Fault",
    "SimChat",
    "SimFile",
    "SimMessage",
    "SimUser",
]
