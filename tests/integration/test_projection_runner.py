"""Projections on a real PostgreSQL: rows and checkpoint in one transaction, one active
runner per projection, and the organisation tree read model."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner, checkpoint, lag
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application.commands import MergeOrganisation
from application.organisations import merge_organisation
from projections.base import Projected
from projections.organisation_tree import OrganisationTree, path_on, subtree
from tests.integration.cascade import Cascade, as_admin


@pytest.fixture
async def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    built = Cascade(AggregateRepository(store), pool)
    await built.build_tree()
    return built


def runner(store: PostgresEventStore, wakeup: LogWakeup, url: str, **kw: Any) -> ProjectionRunner:
    return ProjectionRunner(OrganisationTree(), store, wakeup, url, **kw)


async def test_the_tree_view_follows_registrations_and_a_merge(
    cascade: Cascade, store: PostgresEventStore, wakeup: LogWakeup, database_url: str
) -> None:
    tree = runner(store, wakeup, database_url, batch_size=3)
    assert await tree.catch_up() == await cascade.events()
    async with store.pool.acquire() as connection:
        assert await subtree(connection, "btg-ngo-quyen") == [
            "btg-ngo-quyen",
            "phuong-lac-vien",
            "phuong-may-to",
        ]
        assert await path_on(connection, "phuong-may-to") == [
            "btg-tw",
            "btg-hai-phong",
            "btg-ngo-quyen",
            "phuong-may-to",
        ]

    day = date(2025, 7, 1)
    await merge_organisation(
        MergeOrganisation(id="btg-ngo-quyen", into_id="btg-hai-phong", effective_on=day),
        as_admin(day),
        cascade.aggregates,
    )
    await tree.catch_up()
    async with store.pool.acquire() as connection:
        assert await path_on(connection, "phuong-may-to") == [
            "btg-tw",
            "btg-hai-phong",
            "phuong-may-to",
        ]
        assert await path_on(connection, "phuong-may-to", date(2024, 6, 1)) == [
            "btg-tw",
            "btg-hai-phong",
            "btg-ngo-quyen",
            "phuong-may-to",
        ]
        row = await connection.fetchrow(
            "SELECT merged_into, valid_to FROM org_units WHERE id = 'btg-ngo-quyen'"
        )
        assert (row["merged_into"], row["valid_to"]) == ("btg-hai-phong", day)
        last = await connection.fetchval("SELECT max(position) FROM events")
        assert (await checkpoint(connection, "organisation_tree")).position == last
        assert (await lag(connection, "organisation_tree"))["behind_events"] == 0


class Failing(OrganisationTree):
    """Writes its rows, then fails: the batch and its checkpoint must both vanish."""

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        await super().apply(connection, events)
        raise RuntimeError("the runner died in the middle of a batch")


async def test_a_batch_that_fails_half_way_leaves_neither_rows_nor_checkpoint(
    cascade: Cascade, store: PostgresEventStore, wakeup: LogWakeup, database_url: str
) -> None:
    broken = ProjectionRunner(Failing(), store, wakeup, database_url)
    with pytest.raises(RuntimeError, match="middle of a batch"):
        await broken.catch_up()
    async with store.pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM org_units") == 0
        assert (await checkpoint(connection, "organisation_tree")).position == 0

    assert await runner(store, wakeup, database_url).catch_up() == await cascade.events()
    async with store.pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM org_units") == 8
        assert await connection.fetchval("SELECT count(*) FROM org_parent_links") == 8


async def test_of_two_runners_one_works_and_the_other_takes_over_when_it_dies(
    cascade: Cascade, store: PostgresEventStore, wakeup: LogWakeup, database_url: str
) -> None:
    first = runner(store, wakeup, database_url, standby_poll=0.1)
    second = runner(store, wakeup, database_url, standby_poll=0.1)
    running = asyncio.create_task(first.run())
    await asyncio.wait_for(first.active.wait(), 10)
    standing_by = asyncio.create_task(second.run())
    await asyncio.sleep(0.5)
    assert not second.active.is_set()

    running.cancel()  # its lock connection closes with it
    with contextlib.suppress(asyncio.CancelledError):
        await running
    await asyncio.wait_for(second.active.wait(), 5)
    try:
        for _ in range(100):
            async with store.pool.acquire() as connection:
                if (await lag(connection, "organisation_tree"))["behind_events"] == 0:
                    break
            await asyncio.sleep(0.05)
        async with store.pool.acquire() as connection:
            assert await connection.fetchval("SELECT count(*) FROM org_units") == 8
    finally:
        standing_by.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await standing_by
