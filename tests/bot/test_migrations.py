"""The alembic migrations build exactly the schema the models declare, on SQLite and
PostgreSQL, and this session's migrations step back down cleanly (a deployment upgrading
with `govreply db upgrade` gets the tables the code expects)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import knowledge_base.models  # noqa: F401  (registers tables)
import workflow.models  # noqa: F401
from bot.db import alembic_config, make_engine, upgrade


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
            )
    finally:
        engine.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    upgrade(db_url)
    assert _diff(db_url) == []


def test_the_latest_migrations_step_down_and_up_again(db_url: str) -> None:
    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "0005")
    engine = make_engine(db_url)
    try:
        tables = inspect(engine).get_table_names()
        columns = {c["name"] for c in inspect(engine).get_columns("operator")}
    finally:
        engine.dispose()
    assert "channel_post" not in tables and "on_duty" not in columns
    upgrade(db_url)
    assert _diff(db_url) == []
