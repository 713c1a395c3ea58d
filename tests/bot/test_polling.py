"""Each update from getUpdates is handed over as Telegram sent it and decoded alone: one that
PTB cannot decode neither fails its batch nor is logged."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.request import HTTPXRequest

from bot.logging import RedactionFilter
from bot.polling import RawUpdatesRequest, raw_payload

WORDS = "我叫王小明，电话13812345678，社保卡丢了怎么补办"
CHAT = {"id": 5001, "type": "private", "first_name": "李"}
GOOD = {"update_id": 7, "message": {"message_id": 1, "date": 1, "chat": CHAT, "text": "你好"}}
POISON = {"update_id": 8, "message": {"message_id": 2, "chat": CHAT, "text": WORDS}}  # no date
BATCH = json.dumps({"ok": True, "result": [GOOD, POISON, {"update_id": 9}]}).encode()


class _Canned(HTTPXRequest):
    """Answers every call with `body`, as the Bot API would over HTTP."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:  # noqa: ARG002
        return 200, self.body


class _CannedRaw(_Canned, RawUpdatesRequest):
    pass


async def test_each_update_of_a_batch_comes_as_sent_and_is_decoded_alone() -> None:
    bot = Bot("123456:test", get_updates_request=_CannedRaw(BATCH))
    updates = await bot.get_updates(timeout=0)
    fetched = [raw_payload(u) for u in updates]
    assert fetched == [(GOOD, None), (POISON, None), ({"update_id": 9}, None)]
    assert Update.de_json(GOOD, bot).message.text == "你好"  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        Update.de_json(POISON, bot)


async def test_an_update_without_an_integer_id_is_not_handed_over() -> None:
    body = json.dumps({"ok": True, "result": [{"update_id": "x"}, {"message": {}}, 3]})
    bot = Bot("123456:test", get_updates_request=_CannedRaw(body.encode()))
    assert [raw_payload(u) for u in await bot.get_updates(timeout=0)] == [None, None, None]


async def test_an_update_decoded_by_ptb_is_kept_as_it_decoded_it() -> None:
    body = json.dumps({"ok": True, "result": [GOOD]}).encode()
    bot = Bot("123456:test", get_updates_request=_Canned(body))
    (update,) = await bot.get_updates(timeout=0)
    assert raw_payload(update) == (update.to_dict(), update)


async def test_ptb_logging_a_batch_it_cannot_decode_keeps_no_citizen_words() -> None:
    """A plain getUpdates (as PTB's own Updater makes) fails on the batch, and PTB logs the
    batch at CRITICAL: the filter leaves the data out (name and words, not only numbers)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    handler.addFilter(RedactionFilter())
    ptb = logging.getLogger("telegram")
    ptb.addHandler(handler)
    try:
        bot = Bot("123456:test", get_updates_request=_Canned(BATCH))
        with pytest.raises(KeyError):
            await bot.get_updates(timeout=0)
    finally:
        ptb.removeHandler(handler)
    (line,) = [x for x in lines if "Error while parsing updates" in x]
    assert "<list of 3 withheld>" in line
    assert "王小明" not in line and "社保卡" not in line and "13812345678" not in line


def test_a_ptb_record_keeps_update_ids_and_withholds_data() -> None:
    update = Update.de_json(GOOD, Bot("123456:test"))
    for message, args, expected in [
        ("Getting updates: %s", ([7, 8],), "Getting updates: [7, 8]"),
        ("Processing update %s", (update,), "Processing update <Update 7 withheld>"),
        ("Received data was: %r", (GOOD,), "Received data was: <dict of 2 withheld>"),
        (
            "`%s` with `%s`",
            ("getUpdates", {"offset": 3}),
            "`getUpdates` with `<dict of 1 withheld>`",
        ),
    ]:
        record = logging.LogRecord("telegram.Bot", logging.DEBUG, __file__, 1, message, args, None)
        RedactionFilter().filter(record)
        assert record.getMessage() == expected
    record = logging.LogRecord("govreply.x", logging.INFO, __file__, 1, "%s", ({"a": 1},), None)
    RedactionFilter().filter(record)
    assert record.getMessage() == "{'a': 1}"  # GovReply's own records keep their arguments
