"""`govreply db backup`: a consistent copy of the database while the bot runs."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupFailed(Exception):
    """The backup could not be written (the message says why)."""


def backup(database_url: str, out: Path) -> int:
    """Write a backup of `database_url` to `out`; returns its size in bytes.

    SQLite: the online backup API (consistent even while GovReply writes). PostgreSQL:
    pg_dump in its custom format, limited to the schema a `search_path` option names.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupFailed("an in-memory SQLite database has nothing to back up")
        source = Path(url.database)
        if not source.exists():
            raise BackupFailed(f"{source} does not exist: run `govreply db upgrade` first")
        with sqlite3.connect(source) as src, sqlite3.connect(out) as dst:
            src.backup(dst)
        return out.stat().st_size
    if url.get_backend_name() != "postgresql":
        raise BackupFailed(f"no backup for {url.get_backend_name()} databases")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupFailed("pg_dump is not installed (Debian: postgresql-client)")
    schema = None
    for option in str(url.query.get("options", "")).split():
        if option.startswith("-csearch_path="):
            schema = option.split("=", 1)[1].split(",")[0]
    libpq = url.set(drivername="postgresql", query={})
    env = {**os.environ}
    if libpq.password:
        env["PGPASSWORD"] = str(libpq.password)
    command = [pg_dump, "--format=custom", f"--file={out}", "--no-owner"]
    if schema:
        command.append(f"--schema={schema}")
    command.append(libpq.set(password=None).render_as_string(hide_password=False))
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"pg_dump failed: {done.stderr.strip()[:300]}")
    return out.stat().st_size
