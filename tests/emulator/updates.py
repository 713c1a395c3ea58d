"""Getting updates to the bot: getUpdates long polling, or webhook delivery over HTTP."""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp

from .params import ApiError, MethodTable, Params, bad_request
from .state import Webhook, World
from .world import Json

logger = logging.getLogger(__name__)

METHODS = MethodTable()

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_ATTEMPTS = 3


@METHODS.add("getUpdates")
async def get_updates(world: World, params: Params) -> list[Json]:
    if world.webhook is not None:
        msg = (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        raise ApiError(409, msg)
    if "offset" in params:
        world.confirm_updates(params.int("offset"))
    limit = max(1, min(100, params.int("limit") if "limit" in params else 100))
    timeout = float(params.get("timeout") or 0)
    world.poll_generation += 1
    generation = world.poll_generation

    def ready() -> list[Json] | None:
        if generation != world.poll_generation:
            msg = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"  # noqa: E501
            raise ApiError(409, msg)
        return world.pending_updates[:limit] or None

    return await world.poll_until(ready, timeout) or []


@METHODS.add("setWebhook", "url")
async def set_webhook(world: World, params: Params) -> bool:
    url = str(params.get("url") or "")
    if params.get("drop_pending_updates"):
        world.pending_updates.clear()
    if not url:
        world.webhook = None
        world.notify()
        return True
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    world.webhook = Webhook(
        url=url,
        secret_token=secret,
        max_connections=int(params.get("max_connections") or 40),
        allowed_updates=params.get("allowed_updates"),
    )
    world.notify()
    return True


@METHODS.add("deleteWebhook")
async def delete_webhook(world: World, params: Params) -> bool:
    world.webhook = None
    if params.get("drop_pending_updates"):
        world.pending_updates.clear()
    world.notify()
    return True


@METHODS.add("getWebhookInfo")
async def get_webhook_info(world: World, params: Params) -> Json:  # noqa: ARG001
    hook = world.webhook
    info: Json = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(world.pending_updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


class WebhookSender:
    """Posts pending updates, in order, to the URL setWebhook stored.

    A delivery is retried WEBHOOK_ATTEMPTS times (PTB calls setWebhook just before its
    server accepts connections); after that the update is dropped and the failure is
    recorded in `errors`, so the test fails instead of hanging.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.deliveries: list[tuple[int, str]] = []  # (update_id, "200" or the failure)
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="emulator-webhook-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _next(self) -> tuple[Webhook, Json] | None:
        hook, pending = self.world.webhook, self.world.pending_updates
        if hook is None or not pending:
            return None
        return hook, pending[0]

    async def _run(self) -> None:
        while not self.world.closing:
            job = await self.world.poll_until(self._next, timeout=3600)
            if job is None:
                continue
            hook, update = job
            outcome = await self._deliver(hook, update)
            self.deliveries.append((update["update_id"], outcome))
            if outcome != "200":
                hook.last_error_date = self.world.now()
                hook.last_error_message = outcome
                problem = f"webhook delivery of update {update['update_id']} to {hook.url} failed: {outcome}"  # noqa: E501
                self.world.record_error(problem)
            if self.world.pending_updates and self.world.pending_updates[0] is update:
                self.world.pending_updates.pop(0)
            self.world.notify()

    async def _deliver(self, hook: Webhook, update: Json) -> str:
        assert self._session is not None
        headers = {}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        outcome = "not attempted"
        for attempt in range(WEBHOOK_ATTEMPTS):
            try:
                async with self._session.post(hook.url, json=update, headers=headers) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        return "200"
                    outcome = f"HTTP {response.status}"
            except aiohttp.ClientError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            logger.debug(
                "webhook attempt %d for update %s: %s", attempt, update["update_id"], outcome
            )
            await asyncio.sleep(0.05 * 2**attempt)  # back off between attempts, as Telegram does
        return outcome
