"""Answering HTTP requests: token check, parameter check, scripted faults, then the method.

Whatever can't be served faithfully is answered in Bot API form and recorded in
`World.errors`; an emulator crash is recorded the same way, so the test fails instead of
hanging.
"""

from __future__ import annotations

import copy
import logging
import traceback
from typing import Any

from aiohttp import web

from . import chats, messaging, updates
from .faults import SENDING_METHODS, Fault, FaultBook, RateLimiter, nginx_page
from .params import ApiError, Method, Params, read_params
from .state import World
from .world import Call

logger = logging.getLogger(__name__)


class Dispatcher:
    """Routes `/bot{token}/{method}` requests to the method tables, applying faults first."""

    def __init__(self, world: World, faults: FaultBook, limiter: RateLimiter) -> None:
        self.world = world
        self.faults = faults
        self.limiter = limiter
        self.methods: dict[str, Method] = {
            **messaging.METHODS,
            **chats.METHODS,
            **updates.METHODS,
        }

    async def on_request(self, request: web.Request) -> web.StreamResponse:
        method_name = request.match_info["method"]
        try:
            return await self._answer(request, method_name)
        except Exception:  # noqa: BLE001 -- an emulator bug must fail the test, not hang it
            self.world.record_error(f"{method_name}: emulator crashed:\n{traceback.format_exc()}")
            return self._json(ApiError(500, "Internal Server Error").to_json(), 500)

    async def _answer(self, request: web.Request, method_name: str) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            self.world.record_error(f"{method_name}: request with a wrong bot token")
            return self._json(ApiError(401, "Unauthorized").to_json(), 401)
        try:
            params = await read_params(request)
        except ApiError as error:
            self.world.record_error(f"{method_name}: unreadable request: {error.description}")
            return self._json(error.to_json(), error.code)
        recorded = dict(params.values)
        for name, upload in params.uploads.items():
            recorded.setdefault(name, f"<upload {upload.filename}, {len(upload.content)} bytes>")
        call = Call(method_name, recorded, self.world.clock())
        self.world.calls.append(call)
        method = self.methods.get(method_name.lower())
        if method is None:
            problem = f"{method_name}: method not implemented by the emulator"
            return self._refuse(call, ApiError(404, "Not Found"), problem)
        missing = [
            name
            for name in method.required
            if params.get(name) in (None, "") and name not in params.uploads
        ]
        if missing:
            detail = "message text" if missing[0] == "text" else missing[0]
            refusal = ApiError(400, f"Bad Request: {detail} is empty")
            return self._refuse(call, refusal, f"{method_name}: missing required {missing}")
        fault = self.faults.take(method_name)
        if fault is not None:
            return await self._apply_fault(request, call, method, params, fault)
        return await self._perform(call, method, params)

    def _refuse(self, call: Call, error: ApiError, problem: str) -> web.Response:
        call.status, call.error = error.code, error.description
        self.world.record_error(problem)
        return self._json(error.to_json(), error.code)

    async def _perform(self, call: Call, method: Method, params: Params) -> web.Response:
        try:
            if method.name.lower() in SENDING_METHODS:
                chat_id = _int_or_none(params)
                chat = None if chat_id is None else self.world.chats.get(chat_id)
                self.limiter.check(method.name, chat)
            result = await method.handler(self.world, params)
        except ApiError as error:
            call.status, call.error = error.code, error.description
            self.world.notify()
            return self._json(error.to_json(), error.code)
        call.status, call.result = 200, copy.deepcopy(result)
        self.world.notify()
        return self._json({"ok": True, "result": result}, 200)

    async def _apply_fault(
        self, request: web.Request, call: Call, method: Method, params: Params, fault: Fault
    ) -> web.Response:
        call.fault = fault.label
        logger.debug("emulator fault %s on %s", fault.label, method.name)
        if fault.drop:
            self.world.notify()
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=499)  # never reaches the client
        if fault.delay is not None:
            response = await self._perform(call, method, params) if fault.perform else None
            call.fault = fault.label
            self.world.notify()
            await self.world.poll_until(lambda: None, fault.delay)  # returns early on stop()
            if response is not None:
                return response
            return self._html_error(call, 504)
        error = fault.api_error()
        if error is None:
            return self._html_error(call, fault.status or 502)
        call.status, call.error = error.code, error.description
        self.world.notify()
        return self._json(error.to_json(), error.code)

    async def on_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            self.world.record_error("file download with a wrong bot token")
            return web.Response(status=401)
        path = request.match_info["path"]
        for sim_file in self.world.files.values():
            if sim_file.file_path == path:
                return web.Response(body=sim_file.content, content_type="application/octet-stream")
        self.world.record_error(f"file download of unknown path {path!r}")
        return web.Response(status=404)

    def _html_error(self, call: Call, status: int) -> web.Response:
        call.status, call.error = status, f"{status} (nginx HTML page)"
        self.world.notify()
        return web.Response(status=status, text=nginx_page(status), content_type="text/html")

    @staticmethod
    def _json(body: dict[str, Any], status: int) -> web.Response:
        return web.json_response(body, status=status)


def _int_or_none(params: Params) -> int | None:
    try:
        return int(params.get("chat_id"))
    except (TypeError, ValueError):
        return None
