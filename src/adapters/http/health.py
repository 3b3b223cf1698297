"""``GET /health``: can this instance do its work right now?"""

from __future__ import annotations

import asyncpg
import msgspec
from litestar import Response, get
from litestar.datastructures import State

from adapters.nats.connection import NatsLink
from adapters.nats.relay import RELAY
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import lag


class DatabaseHealth(msgspec.Struct):
    connected: bool
    last_position: int | None
    error: str | None = None


class NatsHealth(msgspec.Struct):
    connected: bool
    url: str


class ProjectionHealth(msgspec.Struct):
    name: str
    position: int
    behind_events: int
    behind_seconds: float


class Health(msgspec.Struct):
    status: str
    """``ok`` when the database and NATS both answer, else ``degraded``."""
    database: DatabaseHealth
    nats: NatsHealth
    projections: list[ProjectionHealth]
    relay: ProjectionHealth | None = None
    """The NATS relay's checkpoint and how far the log is ahead of it: while NATS is down
    the log keeps growing and the relay falls behind, then catches up."""


@get("/health", operation_id="getHealth", tags=["operations"], summary="Service health")
async def health(state: State) -> Response[Health]:
    """200 when PostgreSQL and NATS both answer, 503 otherwise; with the log's last position
    and how far each projection is behind it (events, and seconds of recorded time)."""
    store: PostgresEventStore = state.store
    nats: NatsLink = state.nats
    projections: list[ProjectionHealth] = []
    relay = None
    try:
        database = DatabaseHealth(True, await store.last_position())
        async with store.pool.acquire() as connection:
            for name in state.projections:
                projections.append(ProjectionHealth(**await lag(connection, name)))
            relay = ProjectionHealth(**await lag(connection, RELAY))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        database = DatabaseHealth(False, None, str(error) or type(error).__name__)
    up = database.connected and nats.connected
    report = Health(
        status="ok" if up else "degraded",
        database=database,
        nats=NatsHealth(nats.connected, nats.url),
        projections=projections,
        relay=relay,
    )
    return Response(report, status_code=200 if up else 503)
