"""A migrated database for the domain tests (SQLite and PostgreSQL, see tests/conftest.py);
a module that needs operators registered overrides `db` with its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.db import Database, upgrade


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    upgrade(db_url)
    database = Database(db_url)
    yield database
    database.engine.dispose()
