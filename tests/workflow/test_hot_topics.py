"""Hot topics (RULES §5) on real databases with the real offline model: five people
raising the same outage make one topic, told to the group once a day with the department
to invite; one person repeating themselves, or unrelated questions, make none."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
from sentence_transformers import SentenceTransformer
from sqlmodel import Session, select

from bot.db import Database
from knowledge_base.embedding import encode
from knowledge_base.similarity import CachedEmbed
from knowledge_base.sqltypes import utcnow
from workflow import hot_topics
from workflow.departments import Department, DepartmentDirectory
from workflow.models import ChatKind, CitizenMessage, OutboxItem

OUTAGE = [
    "我们小区怎么又停水了？什么时候来水",
    "幸福路这边停水一整天了，啥时候恢复供水",
    "停水了！！家里一滴水都没有，请问何时恢复",
    "自来水停了快10个小时了，有没有人管",
    "今天为什么突然停水，通知都没有",
]
OTHERS = ["请问社保卡丢了怎么补办", "孩子入学需要准备什么材料", "公交12路改线了吗"]
WATER = DepartmentDirectory((Department("市水务集团", keywords=("停水", "供水"), chat_id=-1),))


def _say(db: Database, texts: list[str], users: list[int], hours_ago: float = 1) -> None:
    def add(session: Session) -> None:
        base = session.exec(select(CitizenMessage)).all()
        for n, (text, user) in enumerate(zip(texts, users, strict=True), start=len(base) + 1):
            session.add(
                CitizenMessage(
                    chat_id=user,
                    chat_kind=ChatKind.PRIVATE,
                    message_id=n,
                    user_id=user,
                    text=text,
                    text_redacted=text,
                    received_at=utcnow() - timedelta(hours=hours_ago),
                )
            )

    db.call(add)


def _embed(model: SentenceTransformer) -> Any:
    return lambda texts: encode(model, texts)


def test_five_people_on_one_outage_make_one_topic_told_once_a_day(
    db: Database, st_model: SentenceTransformer
) -> None:
    _say(db, OUTAGE + OTHERS, [101, 102, 103, 104, 105, 201, 202, 203])
    _say(db, ["停水了怎么办"], [301], hours_ago=30)  # outside the 24-hour window
    messages = db.call(hot_topics.recent, utcnow(), 24)
    assert len(messages) == 8
    latest = db.call(hot_topics.recent, utcnow(), 24, 3)  # capped: the most recent, in order
    assert [m.text for m in latest] == OTHERS
    (topic,) = hot_topics.find(messages, _embed(st_model), min_messages=5)
    assert topic.people == 5 and len(topic.message_ids) == 5
    assert "停水" in topic.title or "水" in topic.title

    assert db.call(hot_topics.alert, [topic], -100100, WATER, 24) == [topic.key]
    assert db.call(hot_topics.alert, [topic], -100100, WATER, 24) == []  # once a day
    # The window rolls: without its first message (a new key) it is still the same topic.
    rolled = replace(topic, message_ids=topic.message_ids[1:] + [999])
    assert db.call(hot_topics.alert, [rolled], -100100, WATER, 24) == []
    (item,) = db.call(lambda s: list(s.exec(select(OutboxItem))))
    assert item.payload["template"] == "hot_topic_alert"
    assert item.payload["params"]["department"] == "市水务集团"
    assert item.payload["params"]["citizens"] == 5
    (shown,) = db.call(hot_topics.announced)  # what the dashboard lists today
    assert shown["title"] == topic.title and shown["department"] == "市水务集团"


def test_one_person_repeating_or_unrelated_questions_are_no_topic(
    db: Database, st_model: SentenceTransformer
) -> None:
    _say(db, OUTAGE + OTHERS, [101, 101, 101, 101, 101, 201, 202, 203])
    messages = db.call(hot_topics.recent, utcnow(), 24)
    assert hot_topics.find(messages, _embed(st_model), min_messages=5) == []
    assert hot_topics.find(messages, _embed(st_model), min_messages=0) == []  # off


def test_the_cached_embedding_embeds_each_text_once_and_forgets_the_window_it_left() -> None:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> Any:
        calls.append(list(texts))
        return np.asarray([[float(len(t)), 1.0] for t in texts])

    cached = CachedEmbed(embed)
    first = cached(["停水", "停电了", "停水"])
    assert calls == [["停水", "停电了"]] and first.shape == (3, 2)
    assert (first[0] == first[2]).all()
    cached(["停电了", "燃气"])  # the window rolled: only the new text is embedded
    assert calls[-1] == ["燃气"]
    cached(["停水"])  # forgotten when it left the window, so embedded again
    assert calls[-1] == ["停水"]
