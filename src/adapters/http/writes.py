"""Running a command for an HTTP request: who, when, in one transaction, at most once.

Every POST goes through ``Writer.run``: the caller becomes the command's actor, the
clock gives the moment it is recorded, the request and correlation ids go into every
event's metadata, the handler's events are appended in one transaction together with the
``Idempotency-Key`` record, and a refusal of something the caller cannot even see
becomes a 404. A refused command writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.domain import BaseAggregate
from litestar import MediaType, Request, Response

from adapters.http.idempotency import IdempotencyKeys, Stored, check_key, fingerprint
from adapters.http.problems import ApiProblem
from adapters.store.event_store import PostgresEventStore, StoreTransaction
from adapters.store.repository import AggregateRepository
from application.ports import Aggregates, Clock, CommandContext
from application.results import Written
from application.sight import sees_any
from domain.calendar import vietnam_date
from domain.errors import NotFound, PermissionDenied
from domain.permissions import Actor

C = TypeVar("C")
A = TypeVar("A", bound=BaseAggregate[UUID])

Handler = Callable[[C, CommandContext, Aggregates], Awaitable[Written]]
Sight = Callable[[Aggregates], Awaitable[Sequence[str]]]
"""The units whose subtrees may see the command's target."""


class TransactionAggregates:
    """The repository, saving into the request's transaction instead of its own."""

    def __init__(self, repository: AggregateRepository, transaction: StoreTransaction) -> None:
        self._repository = repository
        self._transaction = transaction

    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        return await self._repository.get(cls, aggregate_id)

    async def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        return await self._repository.find(cls, aggregate_id)

    async def save(
        self, *aggregates: BaseAggregate[UUID], context: CommandContext
    ) -> Sequence[int]:
        return await self._repository.save(
            *aggregates, context=context, transaction=self._transaction
        )


class _KeyTaken(Exception):
    """A concurrent request with the same Idempotency-Key committed first."""


@dataclass
class Writer:
    store: PostgresEventStore
    repository: AggregateRepository
    clock: Clock
    keys: IdempotencyKeys
    backdate_tolerance_days: int

    def context(self, request: Request[Any, Any, Any], actor: Actor) -> CommandContext:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        return CommandContext(
            actor,
            self.clock.now(),
            correlation_id=_uuid(request.headers.get("x-correlation-id")),
            request_id=request_id[:200],
            backdate_tolerance_days=self.backdate_tolerance_days,
        )

    async def run(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        handler: Handler[C],
        command: C,
        *,
        sight: Sight | None = None,
        status: int = 200,
    ) -> Response[Any]:
        key = request.headers.get("idempotency-key")
        if key is None:
            return _response(
                Stored(status, await self._execute(request, actor, handler, command, sight))
            )
        check_key(key)
        principal = actor.token_id or actor.organisation
        print_ = fingerprint(request.method, request.url.path, await request.body())
        async with self.store.pool.acquire() as connection:
            stored = await self.keys.find(connection, principal, key, print_)
        if stored is not None:
            return _response(stored, replayed=True)

        async def remember(transaction: StoreTransaction, body: bytes) -> None:
            if not await self.keys.record(
                transaction.connection, principal, key, print_, Stored(status, body)
            ):
                raise _KeyTaken
            await self.keys.prune(transaction.connection)

        try:
            body = await self._execute(request, actor, handler, command, sight, remember)
        except _KeyTaken:
            async with self.store.pool.acquire() as connection:
                stored = await self.keys.find(connection, principal, key, print_)
            assert stored is not None  # the winner committed its row before we collided
            return _response(stored, replayed=True)
        return _response(Stored(status, body))

    async def _execute(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        handler: Handler[C],
        command: C,
        sight: Sight | None,
        remember: Callable[[StoreTransaction, bytes], Awaitable[None]] | None = None,
    ) -> bytes:
        context = self.context(request, actor)
        try:
            async with self.store.transaction() as transaction:
                result = await handler(
                    command, context, TransactionAggregates(self.repository, transaction)
                )
                body = msgspec.json.encode(result)
                if remember is not None:
                    await remember(transaction, body)
        except PermissionDenied:
            if sight is not None and not await sees_any(
                self.repository,
                actor,
                await sight(self.repository),
                vietnam_date(context.recorded_at),
            ):
                raise NotFound("no such resource", code="not_found") from None
            raise
        return body


def _response(stored: Stored, *, replayed: bool = False) -> Response[Any]:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(
        stored.body, status_code=stored.status, media_type=MediaType.JSON, headers=headers
    )


def _uuid(raw: str | None) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        raise ApiProblem(400, "invalid_correlation_id", "X-Correlation-Id must be a UUID") from None
