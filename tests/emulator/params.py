"""Reading Bot API requests the way Telegram does, and answering with Bot API errors.

PTB 22 sends every parameter as a form field (`application/x-www-form-urlencoded`, or
`multipart/form-data` when a file is attached). String values go as they are; everything
else (ints, bools, reply_markup, reply_parameters) is JSON-encoded, see PTB
`telegram/request/_requestparameter.py` `json_value`. Other clients send a JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .state import World

# Parameters whose form value is the raw string, never JSON: decoding "123" as text would
# turn a citizen's message "123" into an int.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "action",
        "title",
        "description",
        "language_code",
        "ip_address",
        "file_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "emoji",
        "custom_title",
    }
)


class ApiError(Exception):
    """A Bot API error answer: {"ok": false, "error_code", "description", "parameters"}."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None


@dataclass
class Params:
    """The decoded parameters of one request, plus any uploaded file parts."""

    values: dict[str, Any]
    uploads: dict[str, Upload]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def int(self, name: str) -> int:
        """An integer parameter; Telegram answers 400 when it is not one."""
        value = self.values[name]
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def upload(self, name: str) -> Upload | str | None:
        """A file parameter: an Upload for a file part (direct or attach://), else the string."""
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.uploads.get(value.removeprefix("attach://"))
        if name in self.uploads:
            return self.uploads[name]
        return value


def decode_form_value(name: str, value: str) -> Any:
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        # chat_id="@channelname" and other plain strings are not JSON.
        return value


async def read_params(request: web.Request) -> Params:
    """Decode query string, JSON body, urlencoded or multipart form into Params.

    Raises:
        ApiError: the body is not valid JSON.
    """
    values: dict[str, Any] = {
        key: decode_form_value(key, val) for key, val in request.query.items()
    }
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values, uploads)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        values.update(body)
        return Params(values, uploads)
    form = await request.post()
    for key, val in form.items():
        if isinstance(val, web.FileField):
            uploads[key] = Upload(val.filename, val.file.read(), val.content_type)
        else:
            values[key] = decode_form_value(key, str(val))
    return Params(values, uploads)


Handler = Callable[["World", Params], Awaitable[Any]]


@dataclass(frozen=True)
class Method:
    """A Bot API method the emulator implements, with its required parameters."""

    name: str
    handler: Handler
    required: tuple[str, ...]


class MethodTable(dict[str, Method]):
    """Bot API methods by name; each method module registers into one with `@table.add`."""

    def add(self, name: str, *required: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self[name.lower()] = Method(name, handler, required)
            return handler

        return register
