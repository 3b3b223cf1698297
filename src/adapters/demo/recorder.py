"""The real command handlers on aggregates held in memory, their events appended in batches.

Through the repository a command first reads every aggregate it needs from the log; a
national data set of a million events would take an hour that way. Here the handlers run
unchanged against the ``Aggregates`` port, but the aggregates they load and save stay in
memory, so the events are exactly those the commands produce (same aggregates, same
event classes, same payloads, hash-chained by the real store) and only the writing
differs: consecutive commands recorded with the same metadata go to the log as one
append while they touch distinct streams, so the log keeps the commands' order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from adapters.store.event_store import PostgresEventStore
from adapters.store.records import Metadata, StreamAppend
from adapters.store.repository import AggregateRepository, metadata_of
from application.ports import CommandContext
from domain.errors import NotFound

A = TypeVar("A", bound=BaseAggregate[UUID])

Append = Callable[[Sequence[StreamAppend], Metadata], Awaitable[list[int]]]
"""``PostgresEventStore.append``, or ``StoreTransaction.append`` to write in one transaction."""


class DemoRefused(Exception):
    """Demo data cannot be loaded into this log; the message says why."""


async def require_empty_log(store: PostgresEventStore, what: str) -> None:
    """Demo data builds its tree from the root, and the in-memory aggregates know only
    what they wrote themselves: it goes into an empty log only."""
    stored = await store.last_position()
    if stored:
        raise DemoRefused(
            f"{what} needs an empty log; this one already holds events (last position "
            f"{stored}): point KHOAGIAO_DATABASE_URL or KHOAGIAO_DATA_DIR at a fresh one"
        )


class BatchedLog:
    """Collects the appends of consecutive commands and writes them as one.

    A batch is written when the next command's metadata differs (an append carries one
    metadata for all its events), when it touches a stream already in the batch (a
    stream's events must stay contiguous and in order), or when it reaches
    ``max_events``.
    """

    def __init__(self, append: Append, *, max_events: int = 4000) -> None:
        self._append = append
        self._max_events = max_events
        self._streams: dict[UUID, StreamAppend] = {}
        self._metadata: Metadata | None = None
        self._size = 0
        self.events = 0
        """Events written so far."""

    async def add(self, appends: Sequence[StreamAppend], metadata: Metadata) -> None:
        if self._streams and (
            metadata != self._metadata
            or self._size >= self._max_events
            or any(a.stream_id in self._streams for a in appends)
        ):
            await self.flush()
        self._metadata = metadata
        for stream in appends:
            self._streams[stream.stream_id] = stream
            self._size += len(stream.events)

    async def flush(self) -> None:
        if not self._streams:
            return
        assert self._metadata is not None
        await self._append(list(self._streams.values()), self._metadata)
        self.events += self._size
        self._streams.clear()
        self._size = 0


class MemoryAggregates:
    """The ``Aggregates`` port over aggregates kept in memory; ``save`` hands each
    command's new events to a ``BatchedLog``. Only for a log no one else writes to:
    nothing here re-reads what another writer appended."""

    def __init__(self, log: BatchedLog, repository: AggregateRepository) -> None:
        self.log = log
        self._repository = repository
        self._held: dict[UUID, BaseAggregate[UUID]] = {}

    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        found = await self.find(cls, aggregate_id)
        if found is None:
            raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}")
        return found

    async def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        held = self._held.get(aggregate_id)
        return held if isinstance(held, cls) else None

    async def save(
        self, *aggregates: BaseAggregate[UUID], context: CommandContext
    ) -> Sequence[int]:
        """Positions are known only once a batch is written: none are returned."""
        appends = self._repository.pending(aggregates)
        for aggregate in aggregates:
            self._held[aggregate.id] = aggregate
        if appends:
            await self.log.add(appends, metadata_of(context))
        return ()

    def held(self, cls: type[A]) -> Iterator[A]:
        """Every aggregate of ``cls`` saved so far."""
        return (a for a in self._held.values() if isinstance(a, cls))
