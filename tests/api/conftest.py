"""The HTTP API on real PostgreSQL and NATS, with the projections running and a clock the
test sets. ``ApiClient`` wraps Litestar's in-process client with a token."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar

from adapters.http.api import Api
from adapters.http.app import create_app
from adapters.http.auth import Authenticator
from adapters.http.idempotency import IdempotencyKeys
from adapters.http.writes import Writer
from adapters.nats.connection import NatsLink
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from projections import all_projections
from tests.support import SettableClock

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
START = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
async def runners(
    store: PostgresEventStore, wakeup: LogWakeup, database_url: str
) -> AsyncIterator[list[ProjectionRunner]]:
    runners = [ProjectionRunner(p, store, wakeup, database_url) for p in all_projections()]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    try:
        yield runners
    finally:
        for task in tasks:
            task.cancel()
        _, stuck = await asyncio.wait(tasks, timeout=30)
        assert not stuck, f"projection runners ignored cancellation: {stuck}"


@pytest.fixture
async def app(
    store: PostgresEventStore,
    runners: list[ProjectionRunner],
    clock: SettableClock,
    nats_url: str,
) -> AsyncIterator[Litestar]:
    repository = AggregateRepository(store)
    api = Api(
        store=store,
        repository=repository,
        writer=Writer(store, repository, clock, IdempotencyKeys(), 30),
        auth=Authenticator(repository, ADMIN_TOKEN),
        clock=clock,
        projections=[r.projection.name for r in runners],
    )
    nats = NatsLink(nats_url)
    nats.start()
    try:
        yield create_app(api=api, nats=nats)
    finally:
        await nats.close()


@pytest.fixture
async def server(app: Litestar) -> AsyncIterator[str]:
    """The app served by uvicorn on a TCP port of this machine: real HTTP."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@dataclass
class ApiClient:
    """Requests as one token; ``last`` is the log position of the last write."""

    http: httpx.AsyncClient
    token: str
    last: int = 0

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    async def post(
        self, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        response = await self.http.post(path, json=body, headers=self._headers(headers))
        if response.is_success and isinstance(response.json().get("position"), int):
            self.last = max(self.last, response.json()["position"])
        return response

    async def get(self, path: str, **params: Any) -> httpx.Response:
        """A read that waits for this client's own writes to reach the views."""
        if self.last and "min_position" not in params:
            params["min_position"] = self.last
        return await self.http.get(path, params=params, headers=self._headers(None))

    async def delete(self, path: str) -> httpx.Response:
        return await self.http.delete(path, headers=self._headers(None))

    def as_(self, token: str) -> ApiClient:
        return ApiClient(self.http, token, self.last)


@pytest.fixture
async def admin(app: Litestar) -> AsyncIterator[ApiClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://khoagiao.test") as http:
        yield ApiClient(http, ADMIN_TOKEN)


def unit(
    slug: str, level: str, parent: str | None, *, kind: str = "propaganda_commission", **extra: Any
) -> dict[str, Any]:
    return {
        "id": slug,
        "name": f"Ban Tuyên giáo {slug}",
        "level": level,
        "kind": kind,
        "parent_id": parent,
        "effective_on": "2020-01-01",
        **extra,
    }


async def token_for(admin: ApiClient, organisation: str, role: str = "officer") -> ApiClient:
    response = await admin.post(
        "/api/v1/tokens",
        {"organization_id": organisation, "role": role, "label": f"{role} of {organisation}"},
    )
    assert response.status_code == 201, response.text
    return admin.as_(response.json()["token"])


def iso(day: date) -> str:
    return day.isoformat()
