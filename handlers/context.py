"""GovContext: PTB's CallbackContext with typed access to the services (PTB contexttypesbot)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.services import Services


class GovContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]

    @property
    def delivery_wake(self) -> Any:
        return self.bot_data["wake"]


GovApp = Application[Any, GovContext, Any, Any, Any, Any]
