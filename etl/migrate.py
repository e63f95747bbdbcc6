"""Versioned SQL migrations (``etl/migrations/NNN_name.sql``), each applied in one transaction.

Applied versions are recorded with a checksum in ``ops.schema_migration``; an edited, already
applied migration is an error rather than a silent drift. A session advisory lock makes concurrent
runners wait for each other.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from graphsvc.errors import DatabaseError

_LOCK_KEY = 0x67726170  # "grap"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    out = []
    for entry in resources.files("etl.migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            out.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise DatabaseError(f"two migrations share a version: {versions}")
    return out


def migrate(conn: psycopg.Connection) -> list[int]:
    """Apply pending migrations; return the versions applied now."""
    applied_now: list[int] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        conn.commit()
        with conn.transaction():
            conn.execute("CREATE SCHEMA IF NOT EXISTS ops")
            conn.execute(
                """CREATE TABLE IF NOT EXISTS ops.schema_migration (
                       version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
        done: dict[int, str] = dict(conn.execute("SELECT version, checksum FROM ops.schema_migration"))
        conn.commit()
        for mig in available():
            if mig.version in done:
                if done[mig.version] != mig.checksum:
                    raise DatabaseError(
                        f"migration {mig.version:03d}_{mig.name} was edited after it was applied; "
                        "add a new migration instead"
                    )
                continue
            try:
                with conn.transaction():
                    conn.execute(mig.sql)
                    conn.execute(
                        "INSERT INTO ops.schema_migration (version, name, checksum) VALUES (%s, %s, %s)",
                        (mig.version, mig.name, mig.checksum),
                    )
            except psycopg.Error as e:
                raise DatabaseError(f"migration {mig.version:03d}_{mig.name} failed: {e}") from e
            applied_now.append(mig.version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
        conn.commit()
    return applied_now
