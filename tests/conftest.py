"""Real servers for the whole suite.

PostgreSQL and NATS are the machine's own when ``KHOAGIAO_TEST_DATABASE_URL`` /
``KHOAGIAO_TEST_NATS_URL`` name them, else embedded ones started once per session in a
temporary directory. Every test gets a database of its own, cloned from a template that
was migrated once, and dropped afterwards; NATS names carry a per-session prefix.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from adapters.embedded.nats import EmbeddedNats
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.store.database import create_pool, migrate, with_database
from adapters.store.event_store import PostgresEventStore
from adapters.store.wakeup import LogWakeup

SESSION = uuid.uuid4().hex[:8]
_databases = itertools.count(1)
POOL_CLOSE_SECONDS = 30.0


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A DSN with the rights to create and drop databases."""
    external = os.environ.get("KHOAGIAO_TEST_DATABASE_URL")
    if external:
        yield external
        return
    # Not under pytest's basetemp: as root the server runs as another user, and every
    # pytest session starting on this machine resets /tmp/pytest-of-<user> to mode 0700,
    # which would cut that server off from its own data directory.
    data_dir = Path(tempfile.mkdtemp(prefix="khoagiao-test-postgres-"))
    server = EmbeddedPostgres(data_dir)
    server.start()
    try:
        yield server.dsn("postgres")
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("KHOAGIAO_TEST_NATS_URL")
    if external:
        yield external
        return
    server = EmbeddedNats(tmp_path_factory.mktemp("embedded-nats"))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nats_prefix() -> str:
    return f"kgtest{SESSION}"


async def _admin(admin_url: str, *statements: str) -> None:
    connection: asyncpg.Connection[Any] = await asyncpg.connect(admin_url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def template_database(postgres_admin_url: str) -> Iterator[str]:
    """A database migrated once; each test's database is a copy of it."""
    name = f"khoagiao_test_{SESSION}"

    async def create() -> None:
        await _admin(postgres_admin_url, f'CREATE DATABASE "{name}"')
        connection: asyncpg.Connection[Any] = await asyncpg.connect(
            with_database(postgres_admin_url, name)
        )
        try:
            await migrate(connection)
        finally:
            await connection.close()

    asyncio.run(create())
    try:
        yield name
    finally:
        asyncio.run(_admin(postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database_url(postgres_admin_url: str, template_database: str) -> AsyncIterator[str]:
    name = f"{template_database}_{next(_databases)}"
    await _admin(postgres_admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    try:
        yield with_database(postgres_admin_url, name)
    finally:
        await _admin(postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    pool = await create_pool(database_url, min_size=1, max_size=24)
    try:
        yield pool
    finally:
        try:
            await asyncio.wait_for(pool.close(), POOL_CLOSE_SECONDS)
        except TimeoutError:
            pool.terminate()
            pytest.fail(
                f"a pooled connection was still held {POOL_CLOSE_SECONDS:g} s after the test"
            )


@pytest.fixture
async def wakeup(pool: asyncpg.Pool[Any], database_url: str) -> AsyncIterator[LogWakeup]:
    wakeup = LogWakeup(pool, database_url)
    await wakeup.listen()
    try:
        yield wakeup
    finally:
        await wakeup.close()


@pytest.fixture
def store(pool: asyncpg.Pool[Any], wakeup: LogWakeup) -> PostgresEventStore:
    return PostgresEventStore(pool, wakeup)


@pytest.fixture
def seeds_dir() -> Path:
    """The real guidance documents beside the repository; tests skip without them."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
    if not path.is_dir():
        pytest.skip(f"../shared/seeds is absent ({path}): seed-based tests need it beside the repo")
    return path
