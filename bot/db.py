"""Database engine, transactions and migrations.

Domain functions take a `Session`; `Database.run` runs one of them in a worker thread inside
one transaction, so the event loop never blocks on SQL. SQLite transactions start with
BEGIN IMMEDIATE (one writer at a time, even across processes); PostgreSQL uses row locks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, create_engine

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"
_RETRIES = 5


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and immediate transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,  # errors would quote citizens' messages into the log
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take over transaction control so we can BEGIN IMMEDIATE ourselves.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` with alembic. A SQLite file it creates is readable by
    its owner only: it holds citizens' personal data (RULES §4, §7)."""
    parsed = make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    new_file = path not in (None, "", ":memory:") and not Path(str(path)).exists()
    command.upgrade(alembic_config(url), revision)
    if new_file:
        Path(str(path)).chmod(0o600)


class Database:
    """An engine plus helpers to run domain functions in one transaction off the event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: commits on success, rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn(session, *args, **kwargs)` in a transaction, retrying lock conflicts."""
        for attempt in range(_RETRIES):
            try:
                with self.session() as session:
                    return fn(session, *args, **kwargs)
            except OperationalError as exc:  # deadlock / serialization / busy
                if attempt == _RETRIES - 1 or not _is_retryable(exc):
                    raise
                logger.warning(
                    "retrying %s after lock conflict (attempt %d)", fn.__name__, attempt
                )
            except IntegrityError as exc:
                # The audit chain's unique prev_hash: another process appended first.
                if attempt == _RETRIES - 1 or not any(
                    key in str(exc.orig) for key in ("prev_hash", "audit_head")
                ):
                    raise
                logger.warning("retrying %s after audit chain race", fn.__name__)
        raise AssertionError("unreachable")

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`call` in a worker thread, so SQL never blocks the event loop."""
        return await asyncio.to_thread(self.call, fn, *args, **kwargs)

    def dispose(self) -> None:
        self.engine.dispose()


def _is_retryable(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(s in text for s in ("deadlock", "could not serialize", "locked", "busy"))
