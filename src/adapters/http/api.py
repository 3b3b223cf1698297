"""What the route handlers share: the services they use, the caller, and the reading
rules (read-your-writes through ``min_position``, and a unit's sight)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from adapters.http.answers import Answers, ViewStamps
from adapters.http.auth import Authenticator
from adapters.http.problems import ApiProblem
from adapters.http.writes import Writer
from adapters.store.database import Connection
from adapters.store.event_store import PostgresEventStore, UnknownPosition
from adapters.store.repository import AggregateRepository
from application.ports import Clock
from domain.calendar import vietnam_date
from domain.errors import NotFound
from domain.permissions import Actor, can_read
from projections.compliance import ComplianceRollup
from projections.organisation_tree import OrganisationTree

_POLL_SECONDS = 0.005
COMPLIANCE_VIEWS = (ComplianceRollup.name, OrganisationTree.name)
"""The views a compliance answer is read from: the counts, and the units' names."""


@dataclass(frozen=True)
class Api:
    store: PostgresEventStore
    repository: AggregateRepository
    writer: Writer
    auth: Authenticator
    clock: Clock
    projections: Sequence[str]
    wait_seconds: float = 2.0
    answers: Answers = field(default_factory=Answers)
    """Today's compliance answers, kept while their views stand still."""
    paths: Answers = field(default_factory=Answers)
    """The units' paths (JSON), kept the same way, for the sight check of a kept answer."""
    stamps: ViewStamps = field(default_factory=lambda: ViewStamps(COMPLIANCE_VIEWS))
    """Where the views a compliance answer is read from stand."""

    def today(self) -> date:
        return vietnam_date(self.clock.now())

    async def caught_up(self, connection: Connection, min_position: int | None) -> None:
        """Wait until every view has applied the event at ``min_position`` (the position a
        write returned), so a dashboard reads its own writes; 503 if they have not within
        ``wait_seconds``."""
        if min_position is None or not self.projections:
            return
        try:
            target = await self.store.cursor_at(min_position)
        except UnknownPosition:
            raise ApiProblem(
                422,
                "unknown_position",
                f"min_position {min_position} is not a position of the log",
            ) from None
        deadline = time.monotonic() + self.wait_seconds
        while True:
            done = await connection.fetchval(
                "SELECT count(*) FROM projection_checkpoints WHERE name = ANY($1::text[])"
                " AND (transaction_id, position) >= ($2::xid8, $3::bigint)",
                list(self.projections),
                target.transaction_id,
                target.position,
            )
            if done == len(self.projections):
                return
            if time.monotonic() > deadline:
                raise ApiProblem(
                    503,
                    "views_behind",
                    f"the views have not reached position {min_position} within "
                    f"{self.wait_seconds:g} s; retry shortly",
                    headers={"Retry-After": "1"},
                )
            await asyncio.sleep(_POLL_SECONDS)


ApiService = NamedDependency[Api]
"""The services, as a handler parameter ``api: ApiService``."""
Caller = NamedDependency[Actor]
"""The authenticated caller, as a handler parameter ``actor: Caller``."""


def provide_api(api: Api) -> Provide:
    """The services, as a dependency without parameters: Litestar then has nothing to
    parse and validate for it on each request."""

    async def services() -> Api:
        return api

    return Provide(services)


async def provide_actor(request: Request[Any, Any, Any], api: ApiService) -> Actor:
    """Depends on ``api`` so that Litestar resolves the two one after the other: two
    independent dependencies are resolved in an anyio task group, a task each, on every
    request."""
    return await api.auth.actor(request.headers.get("authorization"))


MAX_POSITION = 2**63 - 1
"""Positions are PostgreSQL bigints."""

MinPosition = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        le=MAX_POSITION,
        description="Wait (up to 2 s) until the views include the write at this log position "
        "(the `position` a write returned): read your own writes.",
    ),
]


async def visible_path(connection: Connection, actor: Actor, unit: str) -> list[str]:
    """The unit's path from the root, when the actor may see the unit; else 404."""
    path = await connection.fetchval("SELECT path FROM org_units WHERE id = $1", unit)
    return in_sight(actor, unit, path)


def in_sight(actor: Actor, unit: str, path: Sequence[str] | None) -> list[str]:
    """The path of ``unit`` (None: no such unit) when the actor may see it; else 404."""
    if path is None or not can_read(actor, list(path)):
        raise NotFound(f"no organisation {unit!r}", code="organisation_not_found")
    return list(path)


class Body(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are refused, so a misspelt optional field is an
    error rather than silently ignored."""
