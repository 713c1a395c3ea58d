"""`govreply run`: open services, start the runtime and the HTTP server, wait for a signal."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.polling import ALLOWED_UPDATES
from bot.runtime import Runtime, running
from bot.services import open_services
from bot.settings import Mode, Settings
from bot.webhook import build_web_app, make_runner

logger = logging.getLogger(__name__)


async def start_http(runtime: Runtime) -> web.AppRunner:
    """Serve /telegram, /healthz (and the console) and, in webhook mode, register the URL."""
    settings = runtime.services.settings
    runner = make_runner(build_web_app(runtime))
    await runner.setup()
    await web.TCPSite(runner, settings.listen_host, settings.listen_port).start()
    if settings.mode is Mode.WEBHOOK:
        assert settings.webhook_url and settings.webhook_secret
        await runtime.app.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
    return runner


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_services(settings) as services, running(services) as runtime:
        runner = await start_http(runtime)
        logger.info(
            "GovReply running (%s) on %s:%s",
            settings.mode.value,
            settings.listen_host,
            settings.listen_port,
        )
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
