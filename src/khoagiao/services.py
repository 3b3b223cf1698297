"""Wiring: the long-lived objects one process works with, opened and closed together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from adapters.clock import SystemClock
from adapters.http.api import Api
from adapters.http.auth import Authenticator
from adapters.http.idempotency import IdempotencyKeys
from adapters.http.writes import Writer
from adapters.nats.connection import NatsLink
from adapters.nats.relay import NatsRelay
from adapters.nats.stream import StreamPolicy
from adapters.store.database import create_pool, migrate
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.shared_log import SharedLog
from adapters.store.wakeup import LogWakeup
from application.deadline_watch import DeadlineWatch
from application.ports import Clock
from khoagiao.config import Settings
from khoagiao.runtime import Endpoints, check_database
from projections import all_projections
from projections.watch_list import WatchList

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    endpoints: Endpoints
    pool: asyncpg.Pool[Any]
    store: PostgresEventStore
    wakeup: LogWakeup
    nats: NatsLink
    runners: list[ProjectionRunner]
    relay: NatsRelay
    deadline_watch: DeadlineWatch


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
async def open_services(
    settings: Settings,
    endpoints: Endpoints,
    clock: Clock | None = None,
    *,
    background: bool = True,
) -> AsyncIterator[Services]:
    """Connect, bring the schema up to date, listen for new events, keep the projections
    up to date, relay the events to NATS and watch the deadlines (on ``clock``), all in
    the background. Without ``background`` the runners, the relay and the watch are made
    but not run: an extra HTTP process only answers requests, once is enough for those."""
    assert endpoints.nats_url is not None
    async with open_database(endpoints.database_url) as pool:
        wakeup = LogWakeup(pool, endpoints.database_url)
        await wakeup.listen()
        store = PostgresEventStore(pool, wakeup)
        nats = NatsLink(endpoints.nats_url)
        nats.start()
        log = SharedLog(store, wakeup)  # each batch read and decoded once for all runners
        runners = [
            ProjectionRunner(p, store, wakeup, endpoints.database_url, log=log)
            for p in all_projections()
        ]
        relay = NatsRelay(
            store,
            endpoints.database_url,
            endpoints.nats_url,
            StreamPolicy(
                settings.nats_prefix,
                settings.event_retention_days,
                settings.nats_duplicate_window_seconds,
            ),
        )
        deadline_watch = DeadlineWatch(
            WatchList(pool),
            AggregateRepository(store),
            clock or SystemClock(),
            remind_days=settings.remind_days,
            interval=settings.deadline_watch_seconds,
        )
        tasks = []
        if background:
            tasks = [
                *(
                    asyncio.create_task(r.run(), name=f"projection {r.projection.name}")
                    for r in runners
                ),
                asyncio.create_task(relay.run(), name="nats relay"),
                asyncio.create_task(deadline_watch.run(), name="deadline watch"),
            ]
        try:
            yield Services(
                settings, endpoints, pool, store, wakeup, nats, runners, relay, deadline_watch
            )
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await nats.close()
            await wakeup.close()


def build_api(services: Services, clock: Clock, admin_token: str) -> Api:
    """What the HTTP layer needs, on this process's services."""
    repository = AggregateRepository(services.store)
    return Api(
        store=services.store,
        repository=repository,
        writer=Writer(
            services.store,
            repository,
            clock,
            IdempotencyKeys(),
            services.settings.backdate_tolerance_days,
        ),
        auth=Authenticator(repository, admin_token),
        clock=clock,
        projections=[runner.projection.name for runner in services.runners],
    )
