"""The event log in PostgreSQL, through asyncpg only.

Appends are atomic across streams and guarded by each stream's expected version; reads
serve one stream (optionally as it stood at a past position) or the whole log after a
cursor, in an order a follower can trust. Why that order is safe is explained in
docs/design.md ("Following the log").
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from adapters.store.database import Connection
from adapters.store.hashing import GENESIS, chain_hash, metadata_bytes
from adapters.store.records import (
    LogBatch,
    LogCursor,
    Metadata,
    RecordedEvent,
    StreamAppend,
)
from adapters.store.wakeup import LogWakeup
from application.errors import ConcurrencyError


class EventStoreError(Exception):
    """A misuse of the event store (a programming error, not a user's)."""


class UnknownPosition(LookupError):
    """No event is stored at the position given as a cursor."""

    def __init__(self, position: int) -> None:
        self.position = position
        super().__init__(f"no event is stored at position {position}")


COLUMNS = (
    "position, transaction_id, event_id, stream_id, stream_type, version, type, payload, "
    "actor_organization_id, actor_token_id, correlation_id, causation_id, request_id, "
    "recorded_at, hash"
)

_HEADS = """
SELECT x.stream_id, x.expected, h.hash,
       coalesce((SELECT max(m.version) FROM events m WHERE m.stream_id = x.stream_id), 0) AS actual
FROM unnest($1::uuid[], $2::int[]) AS x(stream_id, expected)
LEFT JOIN events h ON h.stream_id = x.stream_id AND h.version = x.expected
"""

_ACTUAL_VERSIONS = """
SELECT x.stream_id,
       coalesce((SELECT max(m.version) FROM events m WHERE m.stream_id = x.stream_id), 0) AS actual
FROM unnest($1::uuid[]) AS x(stream_id)
"""

_METADATA_COLUMNS = (
    "actor_organization_id, actor_token_id, correlation_id, causation_id, request_id, recorded_at"
)

_INTO = (
    "INSERT INTO events (event_id, stream_id, stream_type, version, type, payload, hash, "
    f"{_METADATA_COLUMNS})"
)

# Whether any stream ($1) is not at its expected version ($2): an INSERT after it
# writes nothing then ("WHERE NOT EXISTS (SELECT 1 FROM stale)").
_STALE = """
WITH expected(stream_id, version) AS (
    SELECT * FROM unnest($1::uuid[], $2::int[])
), stale AS (
    SELECT 1 FROM expected x
    WHERE coalesce((SELECT max(m.version) FROM events m WHERE m.stream_id = x.stream_id), 0)
          <> x.version
    LIMIT 1
)
"""

# One statement: the version check and the insert see the same snapshot, and the
# transaction gets its id only here, after every stream head it builds on committed.
_INSERT = f"""{_STALE}{_INTO}
SELECT r.event_id, r.stream_id, r.stream_type, r.version, r.type, r.payload, r.hash,
       $10, $11, $12, $13, $14, $15
FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::int[], $7::text[], $8::json[], $9::bytea[])
     AS r(event_id, stream_id, stream_type, version, type, payload, hash)
WHERE NOT EXISTS (SELECT 1 FROM stale)
RETURNING position
"""

# The same statement for the commonest append, one event to one stream, without the
# arrays: nothing to unnest, and asyncpg sends plain values instead of encoding arrays.
_INSERT_ONE = f"""
{_INTO}
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
WHERE coalesce((SELECT max(m.version) FROM events m WHERE m.stream_id = $2), 0) + 1 = $4
RETURNING position
"""

# The general statement for the appends of several callers sent together (see
# ``PostgresEventStore.append``): every row carries its own metadata, and each comes back
# with its event id so that each caller gets its own positions.
_INSERT_GROUP = f"""{_STALE}{_INTO}
SELECT * FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::int[], $7::text[], $8::json[],
                     $9::bytea[], $10::text[], $11::text[], $12::uuid[], $13::uuid[],
                     $14::text[], $15::timestamptz[])
WHERE NOT EXISTS (SELECT 1 FROM stale)
RETURNING event_id, position
"""

_READ_AFTER = f"""
WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
SELECT {COLUMNS}, (transaction_id >= horizon.xmin) AS beyond
FROM events, horizon
WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
ORDER BY transaction_id, position
LIMIT $3
"""


_BEYOND = 15  # the column of _READ_AFTER after COLUMNS


def recorded_event(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(
        position=row[0],
        transaction_id=row[1],
        event_id=row[2],
        stream_id=row[3],
        stream_type=row[4],
        version=row[5],
        type=row[6],
        payload=row[7],
        metadata=Metadata(
            actor_organization_id=row[8],
            actor_token_id=row[9],
            correlation_id=row[10],
            causation_id=row[11],
            request_id=row[12],
            recorded_at=row[13],
        ),
        hash=row[14],
    )


class _HeadCache:
    """The last (version, hash) of recently touched streams, to skip a read per append.

    Version v of a stream, once committed, never changes, so a cached (v, hash) is
    always right for an append that expects v; any other expectation is a miss.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._heads: OrderedDict[UUID, tuple[int, bytes]] = OrderedDict()

    def hash_at(self, stream_id: UUID, version: int) -> bytes | None:
        head = self._heads.get(stream_id)
        if head is None or head[0] != version:
            return None
        self._heads.move_to_end(stream_id)
        return head[1]

    def remember(self, stream_id: UUID, version: int, hash_: bytes) -> None:
        self._heads[stream_id] = (version, hash_)
        self._heads.move_to_end(stream_id)
        if len(self._heads) > self._size:
            self._heads.popitem(last=False)


Heads = dict[UUID, tuple[int, bytes]]


class StoreTransaction:
    """Appends inside a transaction the caller controls (see ``PostgresEventStore.transaction``)."""

    def __init__(self, store: PostgresEventStore, connection: Connection) -> None:
        self._store = store
        self.connection = connection
        self.heads: Heads = {}
        self._checked = False

    async def append(self, streams: Sequence[StreamAppend], metadata: Metadata) -> list[int]:
        if not self._checked:
            # The log's order rests on a transaction getting its id at its first append.
            assigned = await self.connection.fetchval("SELECT pg_current_xact_id_if_assigned()")
            if assigned is not None:
                raise EventStoreError(
                    "append must be the first write of its transaction: this transaction "
                    "already wrote something else"
                )
            self._checked = True
        positions, heads = await self._store._append_on(self.connection, streams, metadata)
        self.heads.update(heads)
        return positions


@dataclass
class _Waiting:
    """An append waiting for a statement in flight to finish, and its caller's answer."""

    streams: Sequence[StreamAppend]
    metadata: Metadata
    answer: asyncio.Future[list[int]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def stream_ids(self) -> set[UUID]:
        return {stream.stream_id for stream in self.streams}


class PostgresEventStore:
    """The log. ``in_flight`` bounds the append statements this store has at the server
    at once; appends that come while that many are out wait and then go together, as
    one statement (see ``append``)."""

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        wakeup: LogWakeup | None = None,
        *,
        head_cache: int = 100_000,
        in_flight: int = 2,
    ) -> None:
        self.pool = pool
        self.wakeup = wakeup
        self._heads = _HeadCache(head_cache)
        self._in_flight_limit = in_flight
        self._in_flight = 0
        self._waiting: list[_Waiting] = []
        self._sending: set[asyncio.Task[None]] = set()

    # -- writing -----------------------------------------------------------------
    async def append(self, streams: Sequence[StreamAppend], metadata: Metadata) -> list[int]:
        """Store the events of every stream, all or nothing; return their positions.

        Raises ConcurrencyError, naming the stream and both versions, when a stream is
        not at its expected version; nothing is written then.

        Concurrent callers share round trips, as a database shares a commit among
        transactions: while ``in_flight`` appends are at the server, the next ones wait,
        then all of them go as one statement (group commit in the client). Each caller's
        append stays all or nothing on its own: when the statement of a group is refused,
        each of its appends is tried again alone, so only the stale ones fail. An append
        never waits for a timer, only for a statement already in flight.
        """
        _check_shape(streams)
        metadata_bytes(metadata)  # a naive recorded_at is refused here, not in a group
        if self._in_flight >= self._in_flight_limit:
            waiting = _Waiting(streams, metadata)
            self._waiting.append(waiting)
            return await waiting.answer
        self._in_flight += 1
        try:
            return await self._append_alone(streams, metadata)
        finally:
            self._in_flight -= 1
            self._send_waiting()

    async def _append_alone(self, streams: Sequence[StreamAppend], metadata: Metadata) -> list[int]:
        async with self.pool.acquire() as connection:
            positions, heads = await self._append_on(connection, streams, metadata)
        self._committed(heads)
        return positions

    def _send_waiting(self) -> None:
        """Send the waiting appends as one group, leaving for the next group any that
        touches a stream already in this one (it builds on what this one writes)."""
        group: list[_Waiting] = []
        later: list[_Waiting] = []
        streams: set[UUID] = set()
        for waiting in self._waiting:
            if waiting.answer.done():  # its caller was cancelled
                continue
            if streams.isdisjoint(waiting.stream_ids):
                streams |= waiting.stream_ids
                group.append(waiting)
            else:
                later.append(waiting)
        self._waiting = later
        if group:
            self._in_flight += 1
            sending = asyncio.get_running_loop().create_task(self._send_group(group))
            self._sending.add(sending)  # the loop keeps only a weak reference to a task
            sending.add_done_callback(self._sending.discard)

    async def _send_group(self, group: list[_Waiting]) -> None:
        try:
            if len(group) > 1:
                try:
                    await self._append_together(group)
                    return
                except (ConcurrencyError, EventStoreError):
                    pass  # some append is refused: each alone, so that only it fails
            for waiting in group:
                try:
                    positions = await self._append_alone(waiting.streams, waiting.metadata)
                except Exception as error:  # the caller's own error, raised in its await
                    _answer(waiting, error=error)
                else:
                    _answer(waiting, positions)
        except BaseException as error:  # the server is gone, or the loop is closing
            for waiting in group:
                _answer(waiting, error=error)
            if not isinstance(error, Exception):
                raise
        finally:
            self._in_flight -= 1
            self._send_waiting()

    async def _append_together(self, group: list[_Waiting]) -> None:
        """The appends of ``group`` (on disjoint streams) in one statement."""
        streams = [stream for waiting in group for stream in waiting.streams]
        rows: list[list[Any]] = [[] for _ in range(13)]
        heads: Heads = {}
        async with self.pool.acquire() as connection:
            previous = await self._previous_hashes(connection, streams)
            for waiting in group:
                columns, own_heads = _columns(
                    waiting.streams, previous, metadata_bytes(waiting.metadata)
                )
                heads.update(own_heads)
                count = len(columns[0])
                for index in range(len(columns)):
                    rows[index].extend(columns[index])
                for index, value in enumerate(_metadata_columns(waiting.metadata), start=7):
                    rows[index].extend([value] * count)
            try:
                stored = await connection.fetch(
                    _INSERT_GROUP,
                    [s.stream_id for s in streams],
                    [s.expected_version for s in streams],
                    *rows,
                )
            except asyncpg.UniqueViolationError as error:
                if error.constraint_name == "events_stream_version":
                    raise await self._stale(streams) from None
                raise EventStoreError(f"an event id is already stored: {error.detail}") from None
        if len(stored) != len(rows[0]):
            raise await self._stale(streams)
        self._committed(heads)
        position_of = {row[0]: row[1] for row in stored}
        for waiting in group:
            _answer(
                waiting,
                sorted(position_of[e.event_id] for s in waiting.streams for e in s.events),
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StoreTransaction]:
        """A transaction of the caller's, for appends that must commit with other writes
        (those writes coming after the append). Followers are woken at commit."""
        async with self.pool.acquire() as connection:
            store_transaction = StoreTransaction(self, connection)
            async with connection.transaction():
                yield store_transaction
        self._committed(store_transaction.heads)

    def _committed(self, heads: Heads) -> None:
        for stream_id, (version, hash_) in heads.items():
            self._heads.remember(stream_id, version, hash_)
        if heads and self.wakeup is not None:
            self.wakeup.appended()

    async def _append_on(
        self,
        connection: Connection,
        streams: Sequence[StreamAppend],
        metadata: Metadata,
    ) -> tuple[list[int], Heads]:
        _check_shape(streams)
        hashed_metadata = metadata_bytes(metadata)  # also refuses a naive recorded_at
        previous = await self._previous_hashes(connection, streams)
        columns, heads = _columns(streams, previous, hashed_metadata)
        stored = _metadata_columns(metadata)
        try:
            if len(streams) == 1 and len(columns[0]) == 1:
                position = await connection.fetchval(
                    _INSERT_ONE, *(column[0] for column in columns), *stored
                )
                positions = [] if position is None else [position]
            else:
                rows = await connection.fetch(
                    _INSERT,
                    [s.stream_id for s in streams],
                    [s.expected_version for s in streams],
                    *columns,
                    *stored,
                )
                positions = sorted(row[0] for row in rows)
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "events_stream_version":
                raise await self._stale(streams) from None
            raise EventStoreError(f"an event id is already stored: {error.detail}") from None
        if len(positions) != len(columns[0]):
            raise await self._stale(streams)
        return positions, heads

    async def _previous_hashes(
        self, connection: Connection, streams: Sequence[StreamAppend]
    ) -> dict[UUID, bytes]:
        previous: dict[UUID, bytes] = {}
        missing = []
        for stream in streams:
            if stream.expected_version == 0:
                previous[stream.stream_id] = GENESIS
                continue
            cached = self._heads.hash_at(stream.stream_id, stream.expected_version)
            if cached is None:
                missing.append(stream)
            else:
                previous[stream.stream_id] = cached
        if missing:
            rows = await connection.fetch(
                _HEADS,
                [s.stream_id for s in missing],
                [s.expected_version for s in missing],
            )
            for row in rows:
                if row["actual"] != row["expected"] or row["hash"] is None:
                    raise ConcurrencyError(row["stream_id"], row["expected"], row["actual"])
                previous[row["stream_id"]] = row["hash"]
        return previous

    async def _stale(self, streams: Sequence[StreamAppend]) -> ConcurrencyError:
        """The error for a refused append, with the versions now committed (read on a
        connection of its own: the appending transaction may be aborted by then)."""
        expected = {s.stream_id: s.expected_version for s in streams}
        rows = await self.pool.fetch(_ACTUAL_VERSIONS, list(expected))
        for row in rows:
            if row["actual"] != expected[row["stream_id"]]:
                return ConcurrencyError(row["stream_id"], expected[row["stream_id"]], row["actual"])
        # The conflicting writer's version was taken, so some stream moved past us.
        first = streams[0]
        return ConcurrencyError(first.stream_id, first.expected_version, first.expected_version + 1)

    # -- reading -----------------------------------------------------------------
    async def read_stream(
        self,
        stream_id: UUID,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        up_to_position: int | None = None,
        connection: Connection | None = None,
    ) -> list[RecordedEvent]:
        """The events of one stream in version order; with ``up_to_position`` only those
        at or before that place in the log (the stream as it stood then). On
        ``connection`` when given: a command loading aggregates inside its own
        transaction must not wait for a second pooled connection (with every pooled
        connection held by such a transaction, none would ever come back)."""
        conditions = ["stream_id = $1", "version >= $2"]
        arguments: list[Any] = [stream_id, from_version]
        if to_version is not None:
            arguments.append(to_version)
            conditions.append(f"version <= ${len(arguments)}")
        async with contextlib.AsyncExitStack() as stack:
            if connection is None:
                connection = await stack.enter_async_context(self.pool.acquire())
            if up_to_position is not None:
                cursor = await self._cursor_on(connection, up_to_position)
                arguments += [cursor.transaction_id, cursor.position]
                conditions.append(
                    "(transaction_id, position) <= "
                    f"(${len(arguments) - 1}::xid8, ${len(arguments)})"
                )
            rows = await connection.fetch(
                f"SELECT {COLUMNS} FROM events WHERE {' AND '.join(conditions)} ORDER BY version",
                *arguments,
            )
        events = [recorded_event(row) for row in rows]
        if events and to_version is None and up_to_position is None:
            last = events[-1]
            self._heads.remember(stream_id, last.version, last.hash)
        return events

    async def read_after(self, cursor: LogCursor, limit: int = 1000) -> LogBatch:
        """Up to ``limit`` events after ``cursor`` in log order, none of which a later
        commit can precede. ``held_back`` says newer events exist but must wait until the
        transactions older than them have finished."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                _READ_AFTER, cursor.transaction_id, cursor.position, limit
            )
        # Rows come in transaction id order, so those beyond the horizon are a tail.
        safe = len(rows)
        while safe and rows[safe - 1][_BEYOND]:
            safe -= 1
        return LogBatch([recorded_event(row) for row in rows[:safe]], held_back=safe < len(rows))

    async def read_positions(self, positions: Sequence[int]) -> list[RecordedEvent]:
        """The events at these positions, in the order given (absent ones left out)."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {COLUMNS} FROM events WHERE position = ANY($1::bigint[])",
                list(positions),
            )
        found = {row[0]: recorded_event(row) for row in rows}
        return [found[p] for p in positions if p in found]

    async def cursor_at(self, position: int) -> LogCursor:
        """The log cursor of the event at ``position`` (0 is the start of the log)."""
        async with self.pool.acquire() as connection:
            return await self._cursor_on(connection, position)

    @staticmethod
    async def _cursor_on(connection: Connection, position: int) -> LogCursor:
        if position == 0:
            return LogCursor(0, 0)
        transaction_id = await connection.fetchval(
            "SELECT transaction_id FROM events WHERE position = $1", position
        )
        if transaction_id is None:
            raise UnknownPosition(position)
        return LogCursor(transaction_id, position)

    async def last_position(self) -> int:
        async with self.pool.acquire() as connection:
            value = await connection.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return int(value)


Columns = tuple[list[UUID], list[UUID], list[str], list[int], list[str], list[bytes], list[bytes]]
"""Per event: event id, stream id, stream type, version, type, payload, hash."""


def _columns(
    streams: Sequence[StreamAppend], previous: dict[UUID, bytes], hashed_metadata: bytes
) -> tuple[Columns, Heads]:
    """The rows of an append, column by column, each event's hash chained to the one
    before it in its stream; and each stream's new head."""
    columns: Columns = ([], [], [], [], [], [], [])
    event_ids, stream_ids, stream_types, versions, types, payloads, hashes = columns
    heads: Heads = {}
    for stream in streams:
        stream_id, stream_type = stream.stream_id, stream.stream_type
        hash_ = previous[stream_id]
        version = stream.expected_version
        for event in stream.events:
            version += 1
            hash_ = chain_hash(
                hash_,
                event_id=event.event_id,
                stream_id=stream_id,
                stream_type=stream_type,
                version=version,
                type=event.type,
                payload=event.payload,
                metadata=hashed_metadata,
            )
            event_ids.append(event.event_id)
            stream_ids.append(stream_id)
            stream_types.append(stream_type)
            versions.append(version)
            types.append(event.type)
            payloads.append(event.payload)
            hashes.append(hash_)
        if stream.events:
            heads[stream_id] = (version, hash_)
    return columns, heads


def _metadata_columns(metadata: Metadata) -> tuple[Any, ...]:
    """The metadata column values, in ``_METADATA_COLUMNS`` order."""
    return (
        metadata.actor_organization_id,
        metadata.actor_token_id,
        metadata.correlation_id,
        metadata.causation_id,
        metadata.request_id,
        metadata.recorded_at,
    )


def _answer(
    waiting: _Waiting, positions: list[int] | None = None, *, error: BaseException | None = None
) -> None:
    if waiting.answer.done():
        return
    if isinstance(error, asyncio.CancelledError):
        waiting.answer.cancel()
    elif error is not None:
        waiting.answer.set_exception(error)
    else:
        assert positions is not None
        waiting.answer.set_result(positions)


def _check_shape(streams: Sequence[StreamAppend]) -> None:
    if not streams:
        raise EventStoreError("an append needs at least one stream")
    seen = set()
    for stream in streams:
        if stream.stream_id in seen:
            raise EventStoreError(f"stream {stream.stream_id} appears twice in one append")
        if stream.expected_version < 0:
            raise EventStoreError(f"stream {stream.stream_id}: expected version is negative")
        seen.add(stream.stream_id)
    if not any(stream.events for stream in streams):
        # Streams without events only guard the others' events: with none to insert,
        # the statement would have nothing to withhold and a stale version would pass.
        raise EventStoreError("an append needs at least one event")
