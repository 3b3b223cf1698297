"""The audit trail and the integration feed: stored events, exactly as recorded, in log
order, paged by position; and the hash-chain check.

Both read the audit index (which unit each event concerns, and that unit's path at the
time) and then the events themselves. A caller sees the events concerning its subtree.
The feed is also a Server-Sent Events stream (``Accept: text/event-stream``) that
resumes from ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from adapters.disclosure import served
from adapters.http.api import MAX_POSITION, Api, ApiService, Caller, MinPosition, visible_path
from adapters.http.pages import Limit
from adapters.http.problems import READ_PROBLEMS, ApiProblem, FieldError
from adapters.store.audit import ChainReport, verify_chains
from adapters.store.database import Connection
from adapters.store.records import RecordedEvent
from domain.errors import NotFound, PermissionDenied
from domain.permissions import Actor
from projections.audit_index import AuditEntry, audit_page

_SSE_POLL_SECONDS = 0.2
_SSE_HEARTBEAT_SECONDS = 15.0
_SSE_BATCH = 500


class EventActor(msgspec.Struct, frozen=True):
    organization_id: str | None
    token_id: str | None


class Event(msgspec.Struct, frozen=True):
    position: int
    """The global log position: the key to resume from (``after``)."""
    id: UUID
    """The event id: de-duplicate on it."""
    stream_id: UUID
    stream_type: str
    version: int
    type: str
    """``Aggregate.Fact``, e.g. ``Assignment.Submitted``."""
    organization_id: str | None
    """The unit the event concerns (whose subtree it belongs to)."""
    recorded_at: datetime
    actor: EventActor
    correlation_id: UUID | None
    data: msgspec.Raw
    hash: str
    """Hex SHA-256 chaining this event to the previous one of its stream."""


class EventPage(msgspec.Struct, frozen=True):
    events: list[Event]
    next_after: int
    """Pass as ``after`` for the next page (the ``after`` given when the page is empty:
    nothing newer yet)."""


def _event(entry: AuditEntry, record: RecordedEvent) -> Event:
    return Event(
        position=record.position,
        id=record.event_id,
        stream_id=record.stream_id,
        stream_type=record.stream_type,
        version=record.version,
        type=entry.type,
        organization_id=entry.organisation,
        recorded_at=record.metadata.recorded_at,
        actor=EventActor(record.metadata.actor_organization_id, record.metadata.actor_token_id),
        correlation_id=record.metadata.correlation_id,
        data=served(entry.type, record.payload),
        hash=record.hash.hex(),
    )


async def _events(api: Api, entries: list[AuditEntry]) -> list[Event]:
    records = await api.store.read_positions([e.position for e in entries])
    by_position = {r.position: r for r in records}
    return [_event(e, by_position[e.position]) for e in entries if e.position in by_position]


def _page(events: list[Event], after: int) -> EventPage:
    return EventPage(events, events[-1].position if events else after)


async def _scope(connection: Connection, actor: Actor, organization_id: str | None) -> str | None:
    """The subtree to read: the one asked for when visible; a caller's own by default."""
    if organization_id is None:
        return None if actor.admin else actor.organisation
    await visible_path(connection, actor, organization_id)
    return organization_id


class AuditController(Controller):
    path = "/api/v1"
    tags = ["audit"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @get(
        "/audit/events",
        operation_id="auditEvents",
        summary="Page through the audit trail",
        responses=READ_PROBLEMS,
    )
    async def events(
        self,
        api: ApiService,
        actor: Caller,
        stream_id: FromQuery[UUID | None] = None,
        organization_id: Annotated[
            str | None,
            QueryParameter(description="Events concerning this unit's whole subtree."),
        ] = None,
        actor_id: Annotated[
            str | None,
            QueryParameter(
                name="actor", description="Events recorded by this organisation's tokens."
            ),
        ] = None,
        from_: Annotated[
            datetime | None,
            QueryParameter(name="from", description="Recorded at or after (ISO 8601)."),
        ] = None,
        to: Annotated[
            datetime | None, QueryParameter(description="Recorded before (ISO 8601).")
        ] = None,
        after: Annotated[
            int,
            QueryParameter(
                ge=0, le=MAX_POSITION, description="The position of the last event seen."
            ),
        ] = 0,
        limit: Limit = 100,
        min_position: MinPosition = None,
    ) -> EventPage:
        """Log order; each event with its position, payload, actor and hash. The caller sees
        the events concerning its subtree (an organisation filter is a subtree)."""
        for name, moment in (("from", from_), ("to", to)):
            if moment is not None and moment.tzinfo is None:
                raise ApiProblem(
                    400,
                    "invalid_request",
                    f"{name} must carry a time zone offset",
                    errors=[FieldError(f"query.{name}", "must include a UTC offset")],
                )
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            scope = await _scope(connection, actor, organization_id)
            entries = await audit_page(
                connection,
                subtree=scope,
                actor=actor_id,
                stream_id=stream_id,
                since=from_,
                until=to,
                after=after,
                limit=limit,
            )
        return _page(await _events(api, entries), after)

    @get(
        "/audit/verify",
        operation_id="auditVerify",
        summary="Check the hash chains of the log (or of one stream)",
        responses=READ_PROBLEMS,
    )
    async def verify(
        self, api: ApiService, actor: Caller, stream_id: FromQuery[UUID | None] = None
    ) -> ChainReport:
        """Every event's hash must chain to the previous event of its stream. The whole
        log is checked for an admin; other callers check a stream they can see."""
        if stream_id is None and not actor.admin:
            raise PermissionDenied(
                "checking the whole log needs an admin token; name a stream_id",
                code="whole_log_needs_admin",
            )
        async with api.store.pool.acquire() as connection:
            if stream_id is not None and not actor.admin:
                seen = await connection.fetchval(
                    "SELECT true FROM audit_index WHERE stream_id = $1"
                    " AND path @> ARRAY[$2::text] LIMIT 1",
                    stream_id,
                    actor.organisation,
                )
                if not seen:
                    raise NotFound(f"no stream {stream_id}", code="stream_not_found")
            return await verify_chains(connection, stream_id)

    @get(
        "/feed",
        operation_id="feed",
        summary="The events the caller may see, in log order (JSON pages or SSE)",
        responses={
            **READ_PROBLEMS,
            200: ResponseSpec(
                data_container=EventPage,
                description="A page of events; with `Accept: text/event-stream`, a stream "
                "of Server-Sent Events (`id` = position, `event` = type, `data` = the "
                "event as JSON) resuming after `Last-Event-ID`.",
            ),
        },
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        after: Annotated[
            int,
            QueryParameter(
                ge=0, le=MAX_POSITION, description="The position of the last event seen."
            ),
        ] = 0,
        limit: Limit = 100,
        min_position: MinPosition = None,
    ) -> Response[Any]:
        """For integrators: keep `next_after` (or the SSE id) and resume from it;
        de-duplicate by event `id`."""
        scope = None if actor.admin else actor.organisation
        if "text/event-stream" in request.headers.get("accept", ""):
            resume = request.headers.get("last-event-id")
            start = _last_event_id(resume) if resume else after
            return ServerSentEvent(_stream(api, scope, start))
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            entries = await audit_page(connection, subtree=scope, after=after, limit=limit)
        return Response(_page(await _events(api, entries), after))


def _last_event_id(raw: str) -> int:
    if not raw.isdigit():
        raise ApiProblem(
            400,
            "invalid_request",
            "Last-Event-ID must be the id (a position) of an event this feed sent",
            errors=[FieldError("header.Last-Event-ID", "must be a non-negative integer")],
        )
    return int(raw)


async def _stream(api: Api, scope: str | None, after: int) -> AsyncIterator[ServerSentEventMessage]:
    beat = time.monotonic()
    while True:
        async with api.store.pool.acquire() as connection:
            entries = await audit_page(connection, subtree=scope, after=after, limit=_SSE_BATCH)
        for event in await _events(api, entries):
            yield ServerSentEventMessage(
                data=msgspec.json.encode(event).decode(), event=event.type, id=event.position
            )
            after = event.position
        if entries:
            after = entries[-1].position
            beat = time.monotonic()
            continue
        if time.monotonic() - beat > _SSE_HEARTBEAT_SECONDS:
            yield ServerSentEventMessage(comment="keep-alive")
            beat = time.monotonic()
        await asyncio.sleep(_SSE_POLL_SECONDS)
