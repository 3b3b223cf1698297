"""Wiring: the long-lived objects one process works with, opened and closed together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from adapters.nats.connection import NatsLink
from adapters.store.database import create_pool, migrate
from adapters.store.event_store import PostgresEventStore
from adapters.store.wakeup import LogWakeup
from khoagiao.config import Settings
from khoagiao.runtime import Endpoints, check_database

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    endpoints: Endpoints
    pool: asyncpg.Pool[Any]
    store: PostgresEventStore
    wakeup: LogWakeup
    nats: NatsLink


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """A pool on a reachable database whose schema is up to date."""
    await check_database(url)
    pool = await create_pool(url)
    try:
        async with pool.acquire() as connection:
            for migration in await migrate(connection):
                _log.info("applied migration %04d_%s", migration.version, migration.name)
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def open_services(settings: Settings, endpoints: Endpoints) -> AsyncIterator[Services]:
    """Connect, bring the schema up to date, and start listening for new events."""
    assert endpoints.nats_url is not None
    async with open_database(endpoints.database_url) as pool:
        wakeup = LogWakeup(pool, endpoints.database_url)
        await wakeup.listen()
        nats = NatsLink(endpoints.nats_url)
        nats.start()
        try:
            yield Services(
                settings, endpoints, pool, PostgresEventStore(pool, wakeup), wakeup, nats
            )
        finally:
            await nats.close()
            await wakeup.close()
