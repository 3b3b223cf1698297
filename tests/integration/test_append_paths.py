"""The store has two INSERT statements: one for a single event to a single stream, one
(with arrays) for every other shape. Whichever it takes, the rows, the hash chain and
the refusals must be the same."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.store.audit import verify_chains
from adapters.store.database import create_pool
from adapters.store.event_store import EventStoreError, PostgresEventStore
from adapters.store.records import StreamAppend
from application.errors import ConcurrencyError
from tests.support import append_to, metadata, new_event

STORED = (
    "event_id, stream_id, stream_type, version, type, payload::text, hash, "
    "actor_organization_id, actor_token_id, correlation_id, causation_id, request_id, "
    "recorded_at"
)


class _RolledBack(Exception):
    pass


async def test_one_event_is_stored_as_the_general_statement_stores_it(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    stream, witness = uuid.uuid4(), uuid.uuid4()
    await store.append([append_to(stream, 0, 2), append_to(witness, 0)], metadata())
    event = new_event(n=3)
    one = StreamAppend(stream, "Test", 2, [event])
    # The same event with a second, event-less stream (a bare version check) goes
    # through the general statement; that transaction is rolled back.
    general: list[asyncpg.Record] = []
    with pytest.raises(_RolledBack):
        async with store.transaction() as transaction:
            await transaction.append([one, StreamAppend(witness, "Test", 1, [])], metadata())
            general = await transaction.connection.fetch(
                f"SELECT {STORED} FROM events WHERE event_id = $1", event.event_id
            )
            raise _RolledBack

    await store.append([one], metadata())

    single = await pool.fetch(f"SELECT {STORED} FROM events WHERE event_id = $1", event.event_id)
    assert len(general) == 1
    assert [tuple(row) for row in single] == [tuple(row) for row in general]
    async with pool.acquire() as connection:
        assert (await verify_chains(connection)).intact


async def test_a_stale_single_event_is_refused_as_the_general_statement_refuses_it(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    stream, witness = uuid.uuid4(), uuid.uuid4()
    await store.append([append_to(stream, 0, 3), append_to(witness, 0)], metadata())
    fresh = PostgresEventStore(pool)  # no cached heads: the stale check is the server's

    for expected in (0, 2, 4):
        refusals = []
        for companions in ([], [StreamAppend(witness, "Test", 1, [])]):
            with pytest.raises(ConcurrencyError) as refused:
                await fresh.append([append_to(stream, expected), *companions], metadata())
            refusals.append((refused.value.stream_id, refused.value.expected, refused.value.actual))
        assert refusals == [(stream, expected, 3)] * 2
    assert await pool.fetchval("SELECT count(*) FROM events") == 4


async def test_the_server_refuses_a_gap_even_when_the_head_cache_is_wrong(
    pool: asyncpg.Pool[Any],
) -> None:
    """The version check runs in the INSERT itself, not only in the client's head
    lookup: a store whose cache claimed a version the stream never reached (a bug, but
    the log must not trust it) still cannot leave a gap, on either statement."""
    store = PostgresEventStore(pool)
    stream, witness = uuid.uuid4(), uuid.uuid4()
    await store.append([append_to(stream, 0, 2), append_to(witness, 0)], metadata())

    for companions in ([], [StreamAppend(witness, "Test", 1, [])]):
        store._heads.remember(stream, 5, bytes(32))
        with pytest.raises(ConcurrencyError) as refused:
            await store.append([append_to(stream, 5), *companions], metadata())
        assert (refused.value.stream_id, refused.value.expected, refused.value.actual) == (
            stream,
            5,
            2,
        )
    assert await pool.fetchval("SELECT count(*) FROM events") == 3


# -- any sequence of appends, of any shape ------------------------------------------------
Shape = list[tuple[int, int, int]]  # per stream in the append: (stream, offset, events)

appends = st.lists(
    st.tuples(
        st.integers(0, 3),  # which of four streams
        st.sampled_from([0, 0, 0, 0, -1, 1]),  # expected version: right, behind, ahead
        st.sampled_from([1, 1, 1, 0, 2, 5]),  # events for that stream
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda part: part[0],
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(appends, min_size=1, max_size=12))
def test_any_sequence_of_appends_matches_a_model_of_versions(
    database_url: str, sequence: list[Shape]
) -> None:
    asyncio.run(_check_against_model(database_url, sequence))


async def _check_against_model(database_url: str, sequence: Sequence[Shape]) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        caching, forgetful = PostgresEventStore(pool), PostgresEventStore(pool, head_cache=1)
        streams = [uuid.uuid4() for _ in range(4)]
        versions = dict.fromkeys(streams, 0)
        for turn, shape in enumerate(sequence):
            store = caching if turn % 2 == 0 else forgetful
            parts = [
                append_to(streams[index], max(0, versions[streams[index]] + offset), count)
                for index, offset, count in shape
            ]
            stale = {
                p.stream_id: (p.expected_version, versions[p.stream_id])
                for p in parts
                if p.expected_version != versions[p.stream_id]
            }
            before = await pool.fetchval("SELECT count(*) FROM events")
            if not any(p.events for p in parts):
                with pytest.raises(EventStoreError, match="at least one event"):
                    await store.append(parts, metadata())
            elif stale:
                with pytest.raises(ConcurrencyError) as refused:
                    await store.append(parts, metadata())
                error = refused.value
                assert stale[error.stream_id] == (error.expected, error.actual)
            else:
                positions = await store.append(parts, metadata())
                assert len(positions) == sum(len(p.events) for p in parts)
                assert positions == sorted(positions)
                for part in parts:
                    versions[part.stream_id] += len(part.events)
                continue
            assert await pool.fetchval("SELECT count(*) FROM events") == before
        for stream in streams:
            stored = await caching.read_stream(stream)
            assert [e.version for e in stored] == list(range(1, versions[stream] + 1))
        async with pool.acquire() as connection:
            assert (await verify_chains(connection)).intact
    finally:
        await pool.close()
