"""Running a projection: follow the log from its checkpoint, apply batches, and keep the
checkpoint in the same transaction as the rows (each event takes effect exactly once,
whatever crashes when).

Several instances may run the same projection: one holds a PostgreSQL advisory lock on
a connection of its own and works; the others try again every ``standby_poll`` seconds.
The lock dies with its connection, so a killed runner is replaced within that time.

A batch's first statement advances the checkpoint *only if it is still where the runner
left it* (a compare-and-set on the row). That lets a rebuild (``projection_rebuild``)
swap in tables built to another point of the log while the runner works: the runner
waits on the row during the swap, and if the checkpoint moved, rolls the batch back and
resumes from the new checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from adapters.store.database import Connection, connect
from adapters.store.event_store import PostgresEventStore
from adapters.store.follower import LogFollower
from adapters.store.projection_rebuild import rebuild
from adapters.store.records import LOG_START, LogCursor
from adapters.store.shared_log import SharedBatch, SharedLog, SharedReader
from adapters.store.wakeup import LogWakeup
from projections.base import Projection, schema_fingerprint

_log = logging.getLogger(__name__)

_ADVANCE = """
INSERT INTO projection_checkpoints
    (name, transaction_id, position, events, recorded_at, schema_fingerprint)
VALUES ($1, $2, $3, $4, $5, $8)
ON CONFLICT (name) DO UPDATE SET
    transaction_id = EXCLUDED.transaction_id,
    position = EXCLUDED.position,
    events = projection_checkpoints.events + EXCLUDED.events,
    recorded_at = EXCLUDED.recorded_at,
    updated_at = now()
WHERE (projection_checkpoints.transaction_id, projection_checkpoints.position)
    = ($6::xid8, $7::bigint)
RETURNING position
"""
"""Advance the checkpoint from ``($6, $7)``; no row back when it is elsewhere. The
first batch of a projection creates the row, with the fingerprint of the code that
built its tables (``$8``)."""


class _CheckpointMoved(Exception):
    """Rolls a batch back: the checkpoint is no longer where the batch starts."""


async def checkpoint(connection: Connection, name: str) -> LogCursor:
    row = await connection.fetchrow(
        "SELECT transaction_id, position FROM projection_checkpoints WHERE name = $1", name
    )
    return LOG_START if row is None else LogCursor(row[0], row[1])


class ProjectionRunner:
    """Keeps one projection up to date. The runners of a process share one ``SharedLog``
    (``log``), which reads and decodes each batch once for all of those at the same
    place in the log; without one, the runner reads alone."""

    def __init__(
        self,
        projection: Projection,
        store: PostgresEventStore,
        wakeup: LogWakeup,
        dsn: str,
        *,
        log: SharedLog | None = None,
        batch_size: int = 2000,
        standby_poll: float = 1.0,
    ) -> None:
        self.projection = projection
        self.store = store
        self.wakeup = wakeup
        self.dsn = dsn
        self.log = log or SharedLog(store, wakeup)
        self.batch_size = batch_size
        self.standby_poll = standby_poll
        self.active = asyncio.Event()
        self.fingerprint = schema_fingerprint(projection)

    async def prepare(self) -> None:
        """Create the projection's tables if they are missing."""
        async with self.store.pool.acquire() as connection:
            await connection.execute(self.projection.schema())

    async def run(self) -> None:
        """Forever: wait for the lock, then follow the log and apply — after rebuilding
        the view if its tables were built by another version of the projection."""
        if not await self.outdated():
            await self.prepare()  # now, so that readers find the tables while it waits
        lock = await connect(self.dsn)
        try:
            await self._stand_by_until_locked(lock)
            self.active.set()
            _log.info("projection %s: active", self.projection.name)
            if await self.outdated():
                await self._rebuild_outdated()
            await self.prepare()
            with self.log.reader() as reader:
                while True:
                    await self._follow(reader, await self.stored_checkpoint())
                    _log.info(
                        "projection %s: checkpoint moved (rebuilt); resuming",
                        self.projection.name,
                    )
        finally:
            self.active.clear()
            with contextlib.suppress(Exception):
                await lock.close()

    async def catch_up(self) -> int:
        """Apply everything committed so far (for tools and tests); the number applied.
        Only call it where no runner of the same projection is active."""
        with self.log.reader() as reader:  # before preparing: runners begun together share
            await self.prepare()
            applied = 0
            while True:
                cursor = await self.stored_checkpoint()
                caught_up, count = await self._follow(reader, cursor, until_caught_up=True)
                applied += count
                if caught_up:
                    return applied

    async def _follow(
        self, reader: SharedReader, cursor: LogCursor, *, until_caught_up: bool = False
    ) -> tuple[bool, int]:
        """Apply the batches after ``cursor``, for ever or until caught up: whether it
        got there (False when the checkpoint was found elsewhere), and how many events."""
        applied = 0
        follower = LogFollower(reader, self.wakeup, cursor, batch_size=self.batch_size)
        async with contextlib.aclosing(follower.reads(until_caught_up=until_caught_up)) as reads:
            async for batch in reads:  # holds nothing between batches
                if not await self.apply(batch, after=cursor):
                    return False, applied
                applied += len(batch.events)
                cursor = batch.events[-1].cursor
        return True, applied

    async def outdated(self) -> bool:
        """Whether the projection's tables were built by another version of its code:
        its checkpoint is stored under another fingerprint, or under none (tables built
        before fingerprints were kept). Without a checkpoint nothing has been built."""
        async with self.store.pool.acquire() as connection:
            row = await connection.fetchrow(
                "SELECT schema_fingerprint FROM projection_checkpoints WHERE name = $1",
                self.projection.name,
            )
        return row is not None and row[0] != self.fingerprint

    async def _rebuild_outdated(self) -> None:
        """Build the view afresh beside the old tables and swap it in (as ``projections
        rebuild`` does): until the swap, readers get the old tables' answers."""
        name = self.projection.name
        _log.warning(
            "projection %s: its tables were built by another version of its code; "
            "rebuilding it from the log beside them",
            name,
        )
        report = await rebuild(self.projection, self.store, self.dsn, batch_size=self.batch_size)
        _log.warning(
            "projection %s: rebuilt from %d events in %.1f s, swapped in at position %d",
            name,
            report.events,
            report.seconds,
            report.position,
        )

    async def stored_checkpoint(self) -> LogCursor:
        async with self.store.pool.acquire() as connection:
            return await checkpoint(connection, self.projection.name)

    async def _stand_by_until_locked(self, lock: Connection) -> None:
        """A lock can only be polled for: PostgreSQL says nothing when one is freed."""
        key = f"projection:{self.projection.name}"
        while True:
            if await lock.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
                return
            await asyncio.sleep(self.standby_poll)

    async def apply(self, batch: SharedBatch, *, after: LogCursor) -> bool:
        """Apply a batch read after ``after`` with its checkpoint, in one transaction.
        False, with nothing written, when the checkpoint is no longer at ``after``."""
        projected = batch.projected(self.projection)
        last = batch.events[-1]
        async with self.store.pool.acquire() as connection:
            try:
                async with connection.transaction():
                    # First, so that a rebuild's swap, which locks this row, waits for
                    # the batch in flight and the next batch waits for the swap.
                    advanced = await connection.fetchval(
                        _ADVANCE,
                        self.projection.name,
                        last.transaction_id,
                        last.position,
                        len(batch.events),
                        last.metadata.recorded_at,
                        after.transaction_id,
                        after.position,
                        self.fingerprint,
                    )
                    if advanced is None:
                        raise _CheckpointMoved
                    if projected:
                        await self.projection.apply(connection, projected)
            except _CheckpointMoved:
                return False
        return True


async def lag(connection: Connection, name: str) -> dict[str, Any]:
    """How far a projection is behind the log: events and seconds."""
    row = await connection.fetchrow(
        """
        SELECT c.position, c.updated_at, c.recorded_at,
               (SELECT count(*) FROM events e
                 WHERE (e.transaction_id, e.position)
                     > (coalesce(c.transaction_id, '0'::xid8), coalesce(c.position, 0)))
                 AS behind,
               (SELECT max(recorded_at) FROM events) AS newest
        FROM (SELECT $1::text AS name) n
        LEFT JOIN projection_checkpoints c ON c.name = n.name
        """,
        name,
    )
    assert row is not None
    seconds = (
        (row["newest"] - row["recorded_at"]).total_seconds()
        if row["newest"] is not None and row["recorded_at"] is not None and row["behind"]
        else 0.0
    )
    return {
        "name": name,
        "position": row["position"] or 0,
        "behind_events": int(row["behind"]),
        "behind_seconds": seconds if row["behind"] else 0.0,
    }


__all__ = ["ProjectionRunner", "checkpoint", "lag"]
