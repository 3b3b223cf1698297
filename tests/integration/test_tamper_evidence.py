"""Altering the log behind the store's back is detected, with the first broken link."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from adapters.store.audit import verify_chains
from adapters.store.event_store import PostgresEventStore
from tests.support import append_to, metadata


async def behind_the_stores_back(pool: asyncpg.Pool[Any], statement: str, *args: object) -> None:
    """A superuser switching triggers off, as someone tampering with the table would."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL session_replication_role = replica")
        await connection.execute(statement, *args)


async def test_an_untouched_log_verifies(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    for _ in range(3):
        await store.append([append_to(uuid.uuid4(), 0, 4)], metadata())
    async with pool.acquire() as connection:
        report = await verify_chains(connection)
    assert report.intact
    assert (report.streams, report.events) == (3, 12)


async def test_an_altered_payload_breaks_the_chain_at_that_event(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    stream, other = uuid.uuid4(), uuid.uuid4()
    await store.append([append_to(other, 0, 2)], metadata())
    positions = await store.append([append_to(stream, 0, 4)], metadata())

    await behind_the_stores_back(
        pool, "UPDATE events SET payload = '{\"n\": 99}' WHERE position = $1", positions[2]
    )
    async with pool.acquire() as connection:
        report = await verify_chains(connection)

    assert not report.intact
    [link] = report.broken
    assert (link.stream_id, link.version, link.position) == (stream, 3, positions[2])
    assert "altered" in link.reason


async def test_a_removed_event_and_a_changed_actor_are_both_found_earliest_first(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    early = await store.append([append_to(first, 0, 3)], metadata())
    late = await store.append([append_to(second, 0, 3)], metadata())

    await behind_the_stores_back(pool, "DELETE FROM events WHERE position = $1", late[1])
    await behind_the_stores_back(
        pool, "UPDATE events SET actor_organization_id = 'x' WHERE position = $1", early[2]
    )
    async with pool.acquire() as connection:
        report = await verify_chains(connection)
        only_second = await verify_chains(connection, second)

    assert [(b.stream_id, b.version) for b in report.broken] == [(first, 3), (second, 2)]
    assert report.broken[0].position == early[2]
    assert "missing" in report.broken[1].reason
    assert [(b.stream_id, b.version) for b in only_second.broken] == [(second, 2)]
    assert only_second.streams == 1
