"""Bad input to the console is answered in words (400, Chinese), never with a 500: a form
posted without its fields, a Q&A file saved as GBK, an answer too long to send."""

from __future__ import annotations

import json

import aiohttp
from sqlmodel import select

from knowledge_base.io import ANSWER_LIMIT
from knowledge_base.models import KBEntry
from tests.support.console import add_admin, console_client, login
from tests.support.journey import World


async def test_a_new_entry_form_posted_without_its_fields_is_refused_in_words(
    desk: World,
) -> None:
    admin = await add_admin(desk)
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        forms = {
            "字段「编号」：不能为空": {},
            "字段「标准问题」：不能为空": {"id": "X1", "reason": "新增"},
            "字段「答案」：不能为空": {"id": "X1", "question": "新问题", "reason": "新增"},
            "每次修改都必须填写理由": {"id": "X1", "question": "新问题", "answer": "新答案"},
        }
        for said, fields in forms.items():
            resp = await client.post("/console/kb/new", data={"csrf": csrf, **fields})
            assert resp.status == 400, fields
            html = await resp.text()
            assert said in html, fields
            assert 'value="X1"' in html or "id" not in fields  # shown again as posted
    assert await desk.db().run(lambda s: s.get(KBEntry, "X1")) is None


async def _upload(client: object, csrf: str, data: bytes, name: str) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    resp = await client.post("/console/kb/import", data=form)  # type: ignore[attr-defined]
    return resp.status, await resp.text()


async def test_a_q_and_a_file_that_cannot_be_imported_is_reported_in_chinese(
    desk: World,
) -> None:
    admin = await add_admin(desk)
    gbk = '{"id": "G1", "question": "社保卡怎么办", "answer": "请到窗口办理"}\n'.encode("gbk")
    too_long = json.dumps({"id": "G2", "question": "问", "answer": "答" * (ANSWER_LIMIT + 1)})
    header = "id,question,variants,answer,category,department,sensitivity,valid_from,valid_until"
    huge_cell = f'{header}\nG3,问,,"{"答" * 200_000}",,,ordinary,,\n'.encode()
    async with console_client(desk) as client:
        csrf = await login(desk, client, admin)
        status, html = await _upload(client, csrf, gbk, "gbk.jsonl")
        assert status == 400 and "不是 UTF-8 编码" in html and "未导入任何条目" in html
        status, html = await _upload(client, csrf, too_long.encode(), "long.jsonl")
        assert status == 400 and f"共 {ANSWER_LIMIT + 1} 字，超过 {ANSWER_LIMIT} 字" in html
        status, html = await _upload(client, csrf, huge_cell, "huge.csv")
        assert status == 400 and "无法按 CSV 读取" in html
    ids = await desk.db().run(lambda s: [e.id for e in s.exec(select(KBEntry))])
    assert not {"G1", "G2", "G3"} & set(ids)
