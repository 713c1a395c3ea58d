"""An entry's validity is judged on Beijing's day, whatever zone the server runs in."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge_base.documents import KBDoc
from knowledge_base.sqltypes import local_today


@pytest.fixture
def server_far_west() -> Iterator[None]:
    """The process in UTC-12 (a container's zone is whatever it was built with)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Etc/GMT+12"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_today_is_beijings_day_on_a_server_in_another_zone(server_far_west: None) -> None:
    assert local_today() == datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_an_entry_that_ended_yesterday_in_beijing_is_not_matched(
    server_far_west: None, model, model_path  # noqa: ANN001 - the session's real model
) -> None:
    from knowledge_base.retrieval import Matcher

    yesterday = local_today() - timedelta(days=1)
    matcher = Matcher(model, model_path)
    matcher.rebuild(
        [
            KBDoc("OLD", "居住证怎么办理", "旧办法", valid_until=yesterday),
            KBDoc("NEW", "护照怎么办理", "新办法"),
        ]
    )
    found = [m.entry_id for m in matcher.search("居住证怎么办理").matches]
    assert "OLD" not in found
