"""The event store on a real PostgreSQL: atomic appends, optimistic concurrency,
stream reads, time travel and the append-only table."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import msgspec
import pytest

from adapters.store.event_store import EventStoreError, PostgresEventStore, UnknownPosition
from adapters.store.hashing import GENESIS, chain_hash, metadata_bytes
from adapters.store.records import LOG_START, StreamAppend
from application.errors import ConcurrencyError
from tests.support import append_to, metadata, new_event


async def count_events(pool: asyncpg.Pool[Any]) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def test_an_append_is_stored_with_every_field(store: PostgresEventStore) -> None:
    stream = uuid.uuid4()
    positions = await store.append([append_to(stream, 0, 3, "Document")], metadata())

    events = await store.read_stream(stream)

    assert [e.position for e in events] == positions
    assert [e.version for e in events] == [1, 2, 3]
    assert {e.stream_type for e in events} == {"Document"}
    assert [msgspec.json.decode(e.payload) for e in events] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert events[0].metadata == metadata()
    previous = GENESIS
    for event in events:
        expected = chain_hash(
            previous,
            event_id=event.event_id,
            stream_id=stream,
            stream_type="Document",
            version=event.version,
            type=event.type,
            payload=event.payload,
            metadata=metadata_bytes(event.metadata),
        )
        assert event.hash == expected
        previous = event.hash


async def test_an_append_across_streams_is_all_or_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    await store.append([append_to(second, 0, 2)], metadata())

    with pytest.raises(ConcurrencyError) as refused:
        await store.append([append_to(first, 0, 2), append_to(second, 1)], metadata())

    assert (refused.value.stream_id, refused.value.expected, refused.value.actual) == (second, 1, 2)
    assert str(second) in str(refused.value)
    assert await count_events(pool) == 2
    assert await store.read_stream(first) == []


async def test_a_stale_version_is_refused_even_by_a_store_that_never_saw_the_stream(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    stream = uuid.uuid4()
    await store.append([append_to(stream, 0, 2)], metadata())
    other = PostgresEventStore(pool)

    for expected in (0, 1, 3):
        with pytest.raises(ConcurrencyError) as refused:
            await other.append([append_to(stream, expected)], metadata())
        assert (refused.value.expected, refused.value.actual) == (expected, 2)
    assert await count_events(pool) == 2
    await other.append([append_to(stream, 2)], metadata())
    assert [e.version for e in await store.read_stream(stream)] == [1, 2, 3]


async def test_of_concurrent_writers_to_one_stream_exactly_one_wins(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    stream = uuid.uuid4()
    await store.append([append_to(stream, 0)], metadata())
    writers = [PostgresEventStore(pool) for _ in range(8)]

    results = await asyncio.gather(
        *(w.append([append_to(stream, 1)], metadata()) for w in writers), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ConcurrencyError) for r in results if isinstance(r, BaseException))
    assert [e.version for e in await store.read_stream(stream)] == [1, 2]


async def test_a_stream_reads_as_it_stood_at_a_past_position(store: PostgresEventStore) -> None:
    stream, other = uuid.uuid4(), uuid.uuid4()
    [first] = await store.append([append_to(stream, 0)], metadata())
    [between] = await store.append([append_to(other, 0)], metadata())
    await store.append([append_to(stream, 1, 2)], metadata())

    assert [e.version for e in await store.read_stream(stream, up_to_position=first)] == [1]
    assert [e.version for e in await store.read_stream(stream, up_to_position=between)] == [1]
    assert [e.version for e in await store.read_stream(stream, from_version=2)] == [2, 3]
    assert [e.version for e in await store.read_stream(stream, to_version=2)] == [1, 2]
    with pytest.raises(UnknownPosition):
        await store.read_stream(stream, up_to_position=10_000)


async def test_the_log_refuses_update_delete_and_truncate(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    await store.append([append_to(uuid.uuid4(), 0)], metadata())
    for statement in (
        "UPDATE events SET type = 'Forged'",
        "DELETE FROM events",
        "TRUNCATE events",
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await pool.execute(statement)
    assert await count_events(pool) == 1
    assert await pool.fetchval("SELECT type FROM events") == "Tested"


async def test_an_append_after_another_write_in_its_transaction_is_refused(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    await pool.execute("CREATE TABLE side (x int)")
    with pytest.raises(EventStoreError, match="first write"):
        async with store.transaction() as transaction:
            await transaction.connection.execute("INSERT INTO side VALUES (1)")
            await transaction.append([append_to(uuid.uuid4(), 0)], metadata())
    assert await count_events(pool) == 0
    assert await pool.fetchval("SELECT count(*) FROM side") == 0


async def test_a_rolled_back_transaction_leaves_no_event_and_no_stale_cache(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    stream = uuid.uuid4()
    await store.append([append_to(stream, 0)], metadata())

    with pytest.raises(RuntimeError, match="abandon"):
        async with store.transaction() as transaction:
            await transaction.append([append_to(stream, 1)], metadata())
            raise RuntimeError("abandon")

    other = PostgresEventStore(pool)
    await other.append([append_to(stream, 1)], metadata())
    await store.append([append_to(stream, 2)], metadata())  # chains on the other's event
    events = await store.read_stream(stream)
    assert [e.version for e in events] == [1, 2, 3]
    assert events[2].hash == chain_hash(
        events[1].hash,
        event_id=events[2].event_id,
        stream_id=stream,
        stream_type="Test",
        version=3,
        type=events[2].type,
        payload=events[2].payload,
        metadata=metadata_bytes(events[2].metadata),
    )


async def test_misshapen_appends_are_refused_before_anything_is_written(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    stream = uuid.uuid4()
    naive = metadata(recorded_at=metadata().recorded_at.replace(tzinfo=None))
    with pytest.raises(ValueError, match="time zone"):
        await store.append([append_to(stream, 0)], naive)
    with pytest.raises(EventStoreError, match="twice"):
        await store.append([append_to(stream, 0), append_to(stream, 0)], metadata())
    with pytest.raises(EventStoreError, match="at least one stream"):
        await store.append([], metadata())
    with pytest.raises(EventStoreError, match="at least one event"):
        await store.append([append_to(stream, 0, count=0)], metadata())
    duplicate = new_event()
    await store.append([StreamAppend(stream, "Test", 0, [duplicate])], metadata())
    with pytest.raises(EventStoreError, match="event id"):
        await store.append([StreamAppend(uuid.uuid4(), "Test", 0, [duplicate])], metadata())
    assert await count_events(pool) == 1


async def test_read_after_returns_the_log_in_order_in_batches(store: PostgresEventStore) -> None:
    streams = [uuid.uuid4() for _ in range(5)]
    for stream in streams:
        await store.append([append_to(stream, 0, 3)], metadata())

    seen = []
    cursor = LOG_START
    while True:
        batch = await store.read_after(cursor, limit=4)
        if not batch.events:
            if batch.held_back:  # another transaction on the server holds the horizon
                await asyncio.sleep(0.01)
                continue
            break
        assert len(batch.events) <= 4
        seen.extend(batch.events)
        cursor = batch.events[-1].cursor

    assert [e.position for e in seen] == sorted(e.position for e in seen)
    assert len(seen) == 15
    assert await store.last_position() == seen[-1].position
    assert await store.cursor_at(seen[3].position) == seen[3].cursor
