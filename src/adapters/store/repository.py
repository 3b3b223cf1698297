"""Loading eventsourcing aggregates from the log and saving what they decided."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID, SafeUUID

from eventsourcing.domain import BaseAggregate, CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from adapters.store.codec import MsgspecMapper
from adapters.store.database import Connection
from adapters.store.event_store import PostgresEventStore, StoreTransaction
from adapters.store.records import Metadata, NewEvent, RecordedEvent, StreamAppend
from application.ports import CommandContext
from domain.errors import NotFound

A = TypeVar("A", bound=BaseAggregate[UUID])


_RANDOM_VERSION_4 = ~(0xC000 << 48) & ~(0xF000 << 64)
"""Clears the variant and version bits of a random 128-bit number."""
_VARIANT_VERSION_4 = (0x8000 << 48) | (4 << 76)
_UNKNOWN_SAFETY = SafeUUID.unknown


def random_uuids(count: int) -> list[UUID]:
    """``count`` random (version 4) UUIDs, as ``uuid.uuid4()`` makes them, from one read
    of the system's random source rather than one per UUID: a bulk import of a thousand
    events otherwise spends more on its event ids than on hashing them."""
    entropy = os.urandom(16 * count)
    ids = []
    for start in range(0, 16 * count, 16):
        value = int.from_bytes(entropy[start : start + 16]) & _RANDOM_VERSION_4
        uuid = object.__new__(UUID)  # UUID(int=...) would check the range we just made
        object.__setattr__(uuid, "int", value | _VARIANT_VERSION_4)
        object.__setattr__(uuid, "is_safe", _UNKNOWN_SAFETY)
        ids.append(uuid)
    return ids


class AggregateNotFound(NotFound):
    def __init__(self, cls: type[object], aggregate_id: UUID) -> None:
        self.aggregate_id = aggregate_id
        super().__init__(f"no {cls.__name__.lower()} {aggregate_id}")


def metadata_of(context: CommandContext) -> Metadata:
    return Metadata(
        recorded_at=context.recorded_at,
        actor_organization_id=context.actor.organisation,
        actor_token_id=context.actor.token_id,
        correlation_id=context.correlation_id,
        causation_id=context.causation_id,
        request_id=context.request_id,
    )


class AggregateRepository:
    """Aggregates by id, as they are now or as they stood at a version or log position;
    ``save`` appends the pending events of several aggregates in one transaction."""

    def __init__(self, store: PostgresEventStore, mapper: MsgspecMapper | None = None) -> None:
        self.store = store
        self.mapper = mapper or MsgspecMapper()

    async def get(
        self,
        cls: type[A],
        aggregate_id: UUID,
        *,
        version: int | None = None,
        position: int | None = None,
        connection: Connection | None = None,
    ) -> A:
        records = await self.store.read_stream(
            aggregate_id, to_version=version, up_to_position=position, connection=connection
        )
        aggregate: Any = None
        for record in records:
            aggregate = self.decode(record).mutate(aggregate)
        if not isinstance(aggregate, cls):
            raise AggregateNotFound(cls, aggregate_id)
        return aggregate

    async def find(
        self, cls: type[A], aggregate_id: UUID, *, connection: Connection | None = None
    ) -> A | None:
        try:
            return await self.get(cls, aggregate_id, connection=connection)
        except AggregateNotFound:
            return None

    def decode(self, record: RecordedEvent) -> CanMutateAggregate[UUID]:
        event = self.mapper.to_domain_event(
            StoredEvent(record.stream_id, record.version, record.type, record.payload)
        )
        return event  # type: ignore[return-value]

    def pending(self, aggregates: Sequence[BaseAggregate[UUID]]) -> list[StreamAppend]:
        """The aggregates' pending events as appends, collecting them from the aggregates."""
        appends = []
        for aggregate in aggregates:
            events = aggregate.collect_events()
            if not events:
                continue
            expected = events[0].originator_version - 1
            stored = [self.mapper.to_stored_event(event) for event in events]
            appends.append(
                StreamAppend(
                    stream_id=aggregate.id,
                    stream_type=type(aggregate).__name__,
                    expected_version=expected,
                    events=[
                        NewEvent(event_id, s.topic, s.state)
                        for event_id, s in zip(random_uuids(len(stored)), stored, strict=True)
                    ],
                )
            )
        return appends

    async def save(
        self,
        *aggregates: BaseAggregate[UUID],
        context: CommandContext,
        transaction: StoreTransaction | None = None,
    ) -> list[int]:
        """Append every pending event of ``aggregates`` at once; return their positions."""
        appends = self.pending(aggregates)
        if not appends:
            return []
        if transaction is not None:
            return await transaction.append(appends, metadata_of(context))
        return await self.store.append(appends, metadata_of(context))
