"""Shared fixtures: real databases (SQLite file and PostgreSQL schema), the real offline model
loaded once, the Bot API emulator, and a running GovReply wired to them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sentence_transformers import SentenceTransformer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# PTB 22: durations as timedelta (and no deprecation warning on every RetryAfter).
os.environ.setdefault("PTB_TIMEDELTA", "1")

PG_ADMIN = os.environ.get("GOVREPLY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
SAMPLE_KB = ROOT / "examples" / "kb_sample.jsonl"


@pytest.fixture(scope="session")
def st_model() -> SentenceTransformer:
    """The offline all-MiniLM-L6-v2, loaded once per session."""
    from knowledge_base.embedding import default_model_path, load_model

    return load_model(default_model_path())


def _pg_schema_url(schema: str) -> str:
    base = PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govreply.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is not reachable ({exc}); start it (see README)")
    try:
        yield _pg_schema_url(schema)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'govreply.db'}"


@pytest.fixture
async def desk(
    db_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> AsyncIterator[object]:
    """A running GovReply against the emulator, with operators and the sample Q&A base."""
    from tests.support.journey import open_desk

    async with open_desk(db_url, tmp_path, st_model) as world:
        yield world


@pytest.fixture
async def desk_small_group(
    sqlite_url: str, tmp_path: Path, st_model: SentenceTransformer
) -> AsyncIterator[object]:
    """Like `desk`, but the group shows one card at a time (the rest queue)."""
    from tests.support.journey import open_desk

    async with open_desk(sqlite_url, tmp_path, st_model, max_open_cards=1) as world:
        yield world
