"""More concurrent writes than pooled connections, and none stuck. A request with an
``Idempotency-Key`` holds one connection for its transaction and loads its aggregates on
it, so it never waits for a second one (which, with every connection held by such a
request, would never come); one without takes a connection per read and one for its
append, holding none while it waits for the next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.http.api import Api
from adapters.http.app import create_app
from adapters.http.auth import Authenticator
from adapters.http.idempotency import IdempotencyKeys
from adapters.http.writes import Writer
from adapters.nats.connection import NatsLink
from adapters.store.database import create_pool
from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from tests.api.conftest import ADMIN_TOKEN, ApiClient, unit
from tests.support import SettableClock

POOL_SIZE = 2


@pytest.fixture
async def crowded(
    database_url: str, nats_url: str, clock: SettableClock
) -> AsyncIterator[ApiClient]:
    pool = await create_pool(database_url, min_size=1, max_size=POOL_SIZE)
    store = PostgresEventStore(pool)
    repository = AggregateRepository(store)
    api = Api(
        store=store,
        repository=repository,
        writer=Writer(store, repository, clock, IdempotencyKeys(), 30),
        auth=Authenticator(repository, ADMIN_TOKEN),
        clock=clock,
        projections=[],
    )
    nats = NatsLink(nats_url)
    app = create_app(api=api, nats=nats)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://khoagiao.test") as http:
            yield ApiClient(http, ADMIN_TOKEN)
    finally:
        await nats.close()
        await pool.close()


@pytest.mark.parametrize("keyed", [True, False], ids=["with-keys", "without-keys"])
async def test_writes_beyond_the_pool_size_all_complete(crowded: ApiClient, keyed: bool) -> None:
    root = await crowded.post("/api/v1/organizations", unit("btg-tw", "central", None))
    assert root.status_code == 201, root.text

    registered = await asyncio.wait_for(
        asyncio.gather(
            *(
                crowded.post(
                    "/api/v1/organizations",
                    unit(f"btg-tinh-{n}", "province", "btg-tw", issuer_code="BTGTU"),
                    headers={"Idempotency-Key": f"province-{n}"} if keyed else None,
                )
                for n in range(POOL_SIZE * 5)
            )
        ),
        timeout=60,
    )

    statuses = [r.status_code for r in registered]
    # Registering under one parent touches the parent's stream: racing writes are
    # applied or refused as stale, never stuck.
    assert set(statuses) <= {201, 409} and 201 in statuses
