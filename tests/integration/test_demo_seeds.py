"""``demo seeds``: the real cascade of the seed documents, loaded whole and once, as the
views show it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from adapters.demo.recorder import DemoRefused
from adapters.demo.seed_facts import CASCADE, G25, G128, KH_P1, TREE
from adapters.demo.seeds import load_seeds
from adapters.store.audit import verify_chains
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.wakeup import LogWakeup
from projections import all_projections
from projections.assignment_status import buckets
from projections.cascade import document_cascade
from tests.support import append_to, metadata


async def test_the_seed_cascade_loads_once_and_the_views_show_it(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    loaded = await load_seeds(store)
    assert (loaded.already, loaded.units, loaded.documents) == (False, len(TREE), len(CASCADE))
    assert loaded.events == await store.last_position()
    again = await load_seeds(store)
    assert again.already and again.events == 0
    assert await store.last_position() == loaded.events

    for projection in all_projections():
        await ProjectionRunner(projection, store, wakeup, database_url).catch_up()
    async with pool.acquire() as connection:
        assert (await verify_chains(connection, None)).intact
        numbers = {row["number"]: row["id"] for row in await connection.fetch(
            "SELECT number, id FROM documents")}  # fmt: skip
        assert set(numbers) == {doc.number for doc in CASCADE}
        cascade = await document_cascade(connection, numbers[G128.number], date(2024, 3, 10))
        # A ward's plan was due on 29/02; the last quarterly reports of 2024 are not due yet.
        due = await buckets(connection, date(2024, 3, 1), assignee="phuong-2")
    levels = [(node.number, node.depth, node.lag_days) for node in cascade.documents]
    assert levels == [
        ("128-HD/BTGTW", 0, None),
        ("85-HD/BTGTU", 1, 6),
        ("102-HD/BTGTU", 1, 14),
        ("76-HD/BTGTU", 1, 33),
        ("01-HD/TU", 2, 14),
        ("25-HD/BTGQU", 2, 6),
        ("15-KH/ĐU", 3, (KH_P1.day - G25.day).days),
    ]
    assert [(m.assignee, m.days_late) for m in cascade.missing] == [("phuong-2", 10)]
    assert due == {"open_overdue": 1, "open_in_time": 5}  # the plan; Q1-Q4 and the year


async def test_the_seeds_go_only_into_an_empty_log(store: PostgresEventStore) -> None:
    await store.append([append_to(UUID(int=9), 0)], metadata())
    with pytest.raises(DemoRefused, match="needs an empty log"):
        await load_seeds(store)
    assert await store.last_position() == 1
