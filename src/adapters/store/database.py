"""Connections to PostgreSQL and the versioned schema migrations.

Migrations are the numbered ``migrations/NNNN_name.sql`` files shipped with the package.
They are applied at start-up under an advisory lock (several instances may start at
once), each in its own transaction, and recorded with a checksum in
``schema_migrations``; an applied file that was edited afterwards is refused rather than
silently diverging from the database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
"""A connection of its own or one lent by a pool: every query here takes either."""

_MIGRATIONS_LOCK = 7_401_001  # advisory lock key, any constant unique to this purpose
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


async def _init_connection(connection: asyncpg.Connection[Any]) -> None:
    """Hand ``json`` columns over as the exact bytes stored: payloads are hashed as bytes."""
    await connection.set_type_codec(
        "json",
        encoder=bytes,
        decoder=bytes,
        schema="pg_catalog",
        format="binary",
    )


async def _keep_session(connection: asyncpg.Connection[Any]) -> None:
    """Nothing to reset: see ``create_pool``."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool[Any]:
    """A pool for short statements and transactions.

    asyncpg resets every released connection with an extra round trip (UNLISTEN, RESET
    ALL, advisory unlock); on an append of one event that is a quarter of the time. So
    pooled connections never LISTEN, never SET session settings and never keep session
    advisory locks: listeners and lock holders take connections of their own
    (``connect``). An open transaction is still rolled back on release.
    """
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        # A server-side limit, not asyncpg's command_timeout, which arms a timer per query.
        server_settings={"statement_timeout": "300s"},
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection[Any]:
    """A single connection with the same codecs as the pool's (listeners, tools)."""
    connection: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
    await _init_connection(connection)
    return connection


class MigrationError(RuntimeError):
    """The database's recorded schema does not match the migrations this version ships."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def shipped_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("adapters.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


async def migrate(connection: Connection) -> list[Migration]:
    """Apply the shipped migrations not yet applied; return those applied now."""
    await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATIONS_LOCK)
    try:
        await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        applied = {
            row["version"]: row
            for row in await connection.fetch(
                "SELECT version, name, checksum FROM schema_migrations"
            )
        }
        shipped = shipped_migrations()
        known = {m.version for m in shipped}
        unknown = sorted(set(applied) - known)
        if unknown:
            raise MigrationError(
                f"the database has schema version {unknown[-1]}, newer than this khoagiao "
                "knows: upgrade khoagiao or point it at another database"
            )
        done = []
        for migration in shipped:
            row = applied.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was changed after "
                        "it was applied: ship a new migration instead of editing an old one"
                    )
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            done.append(migration)
        return done
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATIONS_LOCK)


def with_database(dsn: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))
