"""Rebuilding a projection from zero while the service keeps answering from its tables.

The rebuild builds the projection's tables afresh in a schema of its own, the *shadow*
(``rebuild_<name>``): the projection's own DDL and code, run on a connection whose
search path puts the shadow first, so its unqualified table names land there while the
log is still read from the live schema. Then it swaps the new tables in:

1. Catch the shadow up with the log, batch by batch, disturbing nobody, to at least
   where the log ended when the rebuild began.
2. In one transaction: lock the projection's checkpoint row. The live runner advances
   that row first thing in every batch (``projection_runner``), so the swap waits for a
   batch in flight, and the next batch waits for the swap.
3. Apply to the shadow the events between its position and the live checkpoint (the
   tail), so the new tables stand exactly where the old ones do.
4. Drop the old tables, move the new ones into the live schema, write the checkpoint,
   commit. Readers wait only for this last step; a query blocked on a dropped table
   resolves its name again and reads the new one.

The runner's next batch finds the checkpoint where it left it and goes on, into the new
tables. If the shadow had got *ahead* of it (the service was behind, or not running),
the checkpoint moved: the runner's compare-and-set fails and it resumes from there.
Either way no event is applied twice or skipped, and the checkpoint never goes back.

Why not hand the runner's advisory lock to the rebuild instead: the active runner may
live in another instance, and would have to be told to let go and to come back; the
checkpoint row is already shared, and a compare-and-set on it is safe in any
interleaving, with or without a service running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from adapters.store.codec import MsgspecMapper
from adapters.store.database import connect
from adapters.store.event_store import PostgresEventStore
from adapters.store.records import LOG_START, LogCursor, RecordedEvent
from adapters.store.shared_log import projected_events
from projections.base import Projection, schema_fingerprint

_log = logging.getLogger(__name__)

_SWAP_LOCK_TIMEOUT = "2s"
"""How long the swap waits for a reader to let go of an old table before it gives up
and tries again: while it waits, new readers queue behind it."""
_SWAP_ATTEMPTS = 5

_SET_CHECKPOINT = """
INSERT INTO projection_checkpoints
    (name, transaction_id, position, events, recorded_at, schema_fingerprint)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (name) DO UPDATE SET
    transaction_id = EXCLUDED.transaction_id,
    position = EXCLUDED.position,
    events = EXCLUDED.events,
    recorded_at = EXCLUDED.recorded_at,
    schema_fingerprint = EXCLUDED.schema_fingerprint,
    updated_at = now()
"""


class RebuildInProgress(RuntimeError):
    """Another rebuild of the same projection holds its rebuild lock."""


@dataclass(frozen=True)
class RebuildReport:
    name: str
    events: int
    """Events of the log read (the projection applied those it handles)."""
    seconds: float
    position: int
    """The checkpoint after the swap."""
    tables: list[str]

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def shadow_schema(projection: Projection) -> str:
    return f"rebuild_{projection.name}"


async def rebuild(
    projection: Projection,
    store: PostgresEventStore,
    dsn: str,
    *,
    mapper: MsgspecMapper | None = None,
    batch_size: int = 2000,
) -> RebuildReport:
    """Rebuild ``projection`` from zero into a shadow schema and swap it in."""
    started = time.perf_counter()
    connection = await connect(dsn)
    shadow = _Shadow(projection, store, connection, mapper or MsgspecMapper(), batch_size)
    try:
        await shadow.create()
        await shadow.catch_up()
        tables = await shadow.swap()
    finally:
        await shadow.discard()
        await connection.close()  # and with it the rebuild lock
    return RebuildReport(
        projection.name,
        shadow.events,
        time.perf_counter() - started,
        shadow.cursor.position,
        tables,
    )


class _Shadow:
    """The projection's tables being rebuilt, and how far in the log they are."""

    def __init__(
        self,
        projection: Projection,
        store: PostgresEventStore,
        connection: asyncpg.Connection[Any],
        mapper: MsgspecMapper,
        batch_size: int,
    ) -> None:
        self.projection = projection
        self.store = store
        self.connection = connection
        self.mapper = mapper
        self.batch_size = batch_size
        self.schema = shadow_schema(projection)
        self.live = ""
        self.cursor = LOG_START
        self.events = 0
        self.recorded_at: datetime | None = None

    async def create(self) -> None:
        """Take the rebuild lock; start from an empty shadow (a rebuild that died may
        have left one behind)."""
        key = f"projection-rebuild:{self.projection.name}"
        if not await self.connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
            raise RebuildInProgress(
                f"projection {self.projection.name} is already being rebuilt; "
                "wait for that rebuild to finish"
            )
        self.live = await self.connection.fetchval("SELECT current_schema()")
        await self.connection.execute(
            f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE; CREATE SCHEMA "{self.schema}";'
            f' SET search_path TO "{self.schema}", "{self.live}"'
        )
        await self.connection.execute(self.projection.schema())

    async def catch_up(self) -> None:
        """Until every event committed when it began is applied — waiting out those held
        back behind a transaction still running — and a read comes back short."""
        head = await self.store.cursor_at(await self.store.last_position())
        while True:
            batch = await self.store.read_after(self.cursor, self.batch_size)
            if batch.events:
                await self._apply(batch.events)
            if len(batch.events) == self.batch_size:
                continue
            if self.cursor >= head:
                return
            await asyncio.sleep(0.005)

    async def _apply(self, records: Sequence[RecordedEvent]) -> None:
        projected = projected_events(self.projection, self.mapper, records)
        async with self.connection.transaction():
            if projected:
                await self.projection.apply(self.connection, projected)
        self.cursor = records[-1].cursor
        self.events += len(records)
        self.recorded_at = records[-1].metadata.recorded_at

    async def swap(self) -> list[str]:
        """Swap the shadow in; retried when a reader holds an old table too long (the
        transaction, tail included, then leaves no trace)."""
        for attempt in range(1, _SWAP_ATTEMPTS + 1):
            before = (self.cursor, self.events, self.recorded_at)
            try:
                return await self._swap()
            except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError) as error:
                self.cursor, self.events, self.recorded_at = before
                if attempt == _SWAP_ATTEMPTS:
                    raise
                _log.warning("rebuild of %s, swap %d: %s", self.projection.name, attempt, error)
                await asyncio.sleep(0.1 * attempt)
                await self.catch_up()
        raise AssertionError("unreachable")

    async def _swap(self) -> list[str]:
        name, connection = self.projection.name, self.connection
        async with connection.transaction():
            # The row must exist to be locked: a runner's first batch inserts it.
            await connection.execute(
                "INSERT INTO projection_checkpoints (name, transaction_id, position)"
                " VALUES ($1, '0', 0) ON CONFLICT (name) DO NOTHING",
                name,
            )
            row = await connection.fetchrow(
                "SELECT transaction_id, position FROM projection_checkpoints"
                " WHERE name = $1 FOR UPDATE",
                name,
            )
            assert row is not None
            await self._apply_tail(LogCursor(row[0], row[1]))
            await connection.execute(f"SET LOCAL lock_timeout = '{_SWAP_LOCK_TIMEOUT}'")
            tables = [
                record[0]
                for record in await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename",
                    self.schema,
                )
            ]
            for table in tables:
                await connection.execute(
                    f'DROP TABLE IF EXISTS "{self.live}"."{table}";'
                    f' ALTER TABLE "{self.schema}"."{table}" SET SCHEMA "{self.live}"'
                )
            await connection.execute(f'DROP SCHEMA "{self.schema}"')
            await connection.execute(
                _SET_CHECKPOINT,
                name,
                self.cursor.transaction_id,
                self.cursor.position,
                self.events,
                self.recorded_at,
                schema_fingerprint(self.projection),
            )
        return tables

    async def _apply_tail(self, live: LogCursor) -> None:
        """Apply the events up to the live checkpoint. The live runner read them, so
        every transaction before them had ended: none is held back now."""
        while self.cursor < live:
            batch = await self.store.read_after(self.cursor, self.batch_size)
            records = [record for record in batch.events if record.cursor <= live]
            if not records:
                raise RuntimeError(
                    f"the log ends before the checkpoint of {self.projection.name} "
                    f"(position {live.position})"
                )
            await self._apply(records)

    async def discard(self) -> None:
        """Drop what is left of the shadow (nothing, after a swap)."""
        if not self.live or self.connection.is_closed():
            return
        try:
            await self.connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            _log.warning("could not drop %s: %s", self.schema, error)


__all__ = ["RebuildInProgress", "RebuildReport", "rebuild", "shadow_schema"]
