"""Concurrent callers of one store share statements (``PostgresEventStore.append``):
appends that arrive while others are at the server go together. Each caller must still
get exactly what appending alone gives it: its own positions, its own refusal, and
nothing of another caller's fate."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.store.audit import verify_chains
from adapters.store.database import create_pool
from adapters.store.event_store import PostgresEventStore
from application.errors import ConcurrencyError
from tests.support import append_to, metadata


async def test_concurrent_appends_share_statements_and_each_gets_its_own_positions(
    pool: asyncpg.Pool[Any],
) -> None:
    store = PostgresEventStore(pool, in_flight=1)
    streams = [uuid.uuid4() for _ in range(16)]
    actors = [f"unit-{n}" for n in range(16)]

    answers = await asyncio.gather(
        *(
            store.append([append_to(stream, 0, 1 + n % 3)], metadata(actor_organization_id=actor))
            for n, (stream, actor) in enumerate(zip(streams, actors, strict=True))
        )
    )

    for n, (stream, positions) in enumerate(zip(streams, answers, strict=True)):
        stored = await store.read_stream(stream)
        assert [event.position for event in stored] == positions
        assert [event.version for event in stored] == list(range(1, 2 + n % 3))
        assert {event.metadata.actor_organization_id for event in stored} == {actors[n]}
    transactions = await pool.fetchval(
        "SELECT count(DISTINCT transaction_id) FROM events WHERE stream_id = ANY($1)", streams
    )
    assert transactions < len(streams)  # the first went alone, the others waited for it
    async with pool.acquire() as connection:
        assert (await verify_chains(connection)).intact


async def test_a_stale_append_in_a_group_fails_alone(pool: asyncpg.Pool[Any]) -> None:
    store = PostgresEventStore(pool, in_flight=1)
    stale_stream = uuid.uuid4()
    await store.append([append_to(stale_stream, 0, 2)], metadata())
    others = [uuid.uuid4() for _ in range(8)]
    blocker = uuid.uuid4()

    results = await asyncio.gather(
        store.append([append_to(blocker, 0)], metadata()),  # in flight: the rest wait
        *(store.append([append_to(stream, 0)], metadata()) for stream in others[:4]),
        store.append([append_to(stale_stream, 1)], metadata()),
        *(store.append([append_to(stream, 0)], metadata()) for stream in others[4:]),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1
    assert isinstance(refused[0], ConcurrencyError)
    assert (refused[0].stream_id, refused[0].expected, refused[0].actual) == (stale_stream, 1, 2)
    for stream in [blocker, *others]:
        assert [event.version for event in await store.read_stream(stream)] == [1]
    assert [event.version for event in await store.read_stream(stale_stream)] == [1, 2]


async def test_appends_to_one_stream_never_share_a_statement(pool: asyncpg.Pool[Any]) -> None:
    """Two waiting appends to one stream, the second building on the first: they must
    go one after the other, or the second's expected version could never hold."""
    store = PostgresEventStore(pool, in_flight=1)
    stream, blocker = uuid.uuid4(), uuid.uuid4()

    await asyncio.gather(
        store.append([append_to(blocker, 0)], metadata()),
        store.append([append_to(stream, 0)], metadata()),
        store.append([append_to(stream, 1)], metadata()),
    )

    assert [event.version for event in await store.read_stream(stream)] == [1, 2]


async def test_a_caller_cancelled_while_waiting_writes_nothing(pool: asyncpg.Pool[Any]) -> None:
    store = PostgresEventStore(pool, in_flight=1)
    blocker, cancelled, kept = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = asyncio.ensure_future(store.append([append_to(blocker, 0)], metadata()))
    await asyncio.sleep(0)  # the first is now in flight
    waiting = asyncio.ensure_future(store.append([append_to(cancelled, 0)], metadata()))
    other = asyncio.ensure_future(store.append([append_to(kept, 0)], metadata()))
    await asyncio.sleep(0)
    waiting.cancel()

    await asyncio.gather(first, other)

    assert await store.read_stream(cancelled) == []
    assert [event.version for event in await store.read_stream(kept)] == [1]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(1, 3)), min_size=1, max_size=24
    ),
    in_flight=st.integers(1, 3),
)
def test_grouped_appends_refuse_and_store_exactly_what_appends_alone_would(
    database_url: str, plan: list[tuple[int, int, int]], in_flight: int
) -> None:
    """Random concurrent appends (stream, expected version, events) on six streams:
    whatever the grouping, each stream ends as a gap-free chain, every accepted append
    is stored under the positions it was given, and every refusal is a stale version."""

    async def run() -> None:
        pool = await create_pool(database_url, min_size=1, max_size=4)
        try:
            await check(PostgresEventStore(pool, in_flight=in_flight))
        finally:
            await pool.close()

    async def check(store: PostgresEventStore) -> None:
        streams = [uuid.uuid4() for _ in range(6)]
        appends = [append_to(streams[s], expected, count) for s, expected, count in plan]
        results = await asyncio.gather(
            *(store.append([a], metadata()) for a in appends), return_exceptions=True
        )
        for append, result in zip(appends, results, strict=True):
            stored = {e.event_id: e for e in await store.read_stream(append.stream_id)}
            if isinstance(result, BaseException):
                assert isinstance(result, ConcurrencyError), result
                assert not any(event.event_id in stored for event in append.events)
                continue
            mine = [stored[event.event_id] for event in append.events]
            assert [event.position for event in mine] == result
            assert [event.version for event in mine] == [
                append.expected_version + n for n in range(1, len(append.events) + 1)
            ]
        for stream in streams:
            versions = [event.version for event in await store.read_stream(stream)]
            assert versions == list(range(1, len(versions) + 1))

    asyncio.run(run())
