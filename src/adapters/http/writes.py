"""Running a command for an HTTP request: who, when, all or nothing, at most once.

Every POST goes through ``Writer.run``: the caller becomes the command's actor, the
clock gives the moment it is recorded, the request and correlation ids go into every
event's metadata, the handler's events are appended in one statement (with an
``Idempotency-Key``, in one transaction together with the key's record), and a refusal
of something the caller cannot even see becomes a 404. A refused command writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.domain import BaseAggregate
from litestar import MediaType, Request, Response

from adapters.http.idempotency import IdempotencyKeys, Stored, check_key, fingerprint
from adapters.http.problems import ApiProblem, FieldError
from adapters.store.event_store import PostgresEventStore, StoreTransaction
from adapters.store.repository import AggregateRepository
from application.ports import Aggregates, Clock, CommandContext
from application.results import Written
from application.sight import sees_any, units_of
from domain.calendar import vietnam_date
from domain.errors import NotFound, PermissionDenied
from domain.permissions import Actor

C = TypeVar("C")
A = TypeVar("A", bound=BaseAggregate[UUID])

Handler = Callable[[C, CommandContext, Aggregates], Awaitable[Written]]
Sight = Callable[[Aggregates], Awaitable[Sequence[str]]]
"""The units whose subtrees may see the command's target."""


def sight_of(cls: type[BaseAggregate[UUID]], aggregate_id: UUID) -> Sight:
    """A command about an existing aggregate: the units it concerns decide who sees it."""

    async def units(aggregates: Aggregates) -> list[str]:
        return await units_of(aggregates, cls, aggregate_id)

    return units


def sight_of_units(*slugs: str) -> Sight:
    """A command on behalf of named units (the issuer, the inspector, the parent)."""

    async def units(_: Aggregates) -> list[str]:
        return list(slugs)

    return units


class TransactionAggregates:
    """The repository, reading and saving on the request's transaction's connection: a
    request holds one pooled connection, never waits for a second."""

    def __init__(self, repository: AggregateRepository, transaction: StoreTransaction) -> None:
        self._repository = repository
        self._transaction = transaction

    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        return await self._repository.get(
            cls, aggregate_id, connection=self._transaction.connection
        )

    async def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        return await self._repository.find(
            cls, aggregate_id, connection=self._transaction.connection
        )

    async def save(
        self, *aggregates: BaseAggregate[UUID], context: CommandContext
    ) -> Sequence[int]:
        return await self._repository.save(
            *aggregates, context=context, transaction=self._transaction
        )


class OneAppend:
    """The aggregates of a command sent without an ``Idempotency-Key``: each read on a
    pooled connection taken for it alone, and the save one append — one statement, all
    or nothing by itself, which refuses any stream that moved since it was read, and
    which goes to the server together with concurrent requests' appends (see
    ``PostgresEventStore.append``). No transaction is needed around the command, so none
    costs it a BEGIN and a COMMIT. Every handler saves once, at its end; a second save
    would not be atomic with the first, so it is refused."""

    def __init__(self, repository: AggregateRepository) -> None:
        self._repository = repository
        self._saved = False

    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        return await self._repository.get(cls, aggregate_id)

    async def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        return await self._repository.find(cls, aggregate_id)

    async def save(
        self, *aggregates: BaseAggregate[UUID], context: CommandContext
    ) -> Sequence[int]:
        if self._saved:
            raise RuntimeError("a command saves its aggregates once, in one append")
        self._saved = True
        return await self._repository.save(*aggregates, context=context)


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
        raw_key = request.headers.get("idempotency-key")
        key = None
        if raw_key is not None:
            key = _Key(
                actor.token_id or actor.organisation,
                check_key(raw_key),
                fingerprint(request.method, request.url.path, await request.body()),
            )
        refuse_nul(command)
        context = self.context(request, actor)
        try:
            if key is None:
                result = await handler(command, context, OneAppend(self.repository))
                stored = Stored(status, msgspec.json.encode(result))
            else:
                stored, replayed = await self._once_per_key(key, handler, command, context, status)
                if replayed:
                    return _response(stored, replayed=True)
        except PermissionDenied:
            if sight is not None and not await sees_any(
                self.repository,
                actor,
                await sight(self.repository),
                vietnam_date(context.recorded_at),
            ):
                raise NotFound("no such resource", code="not_found") from None
            raise
        return _response(stored)

    async def _once_per_key(
        self, key: _Key, handler: Handler[C], command: C, context: CommandContext, status: int
    ) -> tuple[Stored, bool]:
        """Run the command and record its response under the key in one transaction,
        unless the key already has one: then that response, and True (replayed)."""
        async with self.store.transaction() as transaction:
            first = await self._claim(transaction, key)
            if first is not None:
                return first, True
            result = await handler(
                command, context, TransactionAggregates(self.repository, transaction)
            )
            stored = Stored(status, msgspec.json.encode(result))
            await self.keys.record(
                transaction.connection, key.principal, key.key, key.fingerprint, stored
            )
            await self.keys.prune(transaction.connection)
        return stored, False

    async def _claim(self, transaction: StoreTransaction, key: _Key) -> Stored | None:
        """Hold the key until this transaction ends (a concurrent request with it waits
        here), then answer with its first response if it has one. An advisory lock is
        not a write: the append that follows is still the transaction's first."""
        await transaction.connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"idempotency:{key.principal}:{key.key}",
        )
        return await self.keys.find(transaction.connection, key.principal, key.key, key.fingerprint)


@dataclass(frozen=True)
class _Key:
    principal: str
    key: str
    fingerprint: str


def refuse_nul(command: object) -> None:
    """PostgreSQL text cannot hold NUL: a command carrying one is refused at the door
    rather than stored in the log, where every view copying it would stop on it. JSON
    writes a NUL as ``\\u0000``, so a command whose JSON lacks that is let through at the
    cost of encoding it (in C); otherwise its strings are searched for the field."""
    if b"\\u0000" not in msgspec.json.encode(command):
        return
    for path, value in _strings(msgspec.to_builtins(command), ""):
        if "\x00" in value:
            field = path or "body"
            raise ApiProblem(
                400,
                "invalid_request",
                f"{field}: text must not contain the NUL character",
                errors=[FieldError(field, "must not contain the NUL character (U+0000)")],
            )


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, path)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


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
