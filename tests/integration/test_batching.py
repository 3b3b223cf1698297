"""A view is the same however the log is cut into batches: applied one event at a time
(each statement alone, every path read from the tables as they stand at that event)
and in one batch (statements regrouped across streams and sent as arrays, paths
followed in memory through the batch's registrations and moves)."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_rebuild import rebuild
from adapters.store.repository import AggregateRepository
from application.assignments import remind_assignee
from application.commands import (
    MergeOrganisation,
    PlanInspection,
    RegisterOrganisation,
    RemindAssignee,
)
from application.inspections import plan_inspection
from application.organisations import merge_organisation, register_organisation
from domain.organisation import Kind, Level
from projections import all_projections
from projections.base import Projection
from tests.integration.cascade import Cascade, as_admin, as_unit, report_task
from tests.integration.projection_tables import activity, document_number, snapshot


@pytest.fixture
async def history(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> None:
    """Activity; a ward registered, an inspection of its district, then the ward moved
    with the district's others by a merger; the moved wards' facts after it, and
    reminders."""
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    await activity(cascade, 3)
    await register_organisation(
        RegisterOrganisation(
            id="phuong-moi",
            name="Đảng ủy phường Mới",
            level=Level.GRASSROOTS,
            kind=Kind.GRASSROOTS_PARTY,
            parent_id="btg-ngo-quyen",
        ),
        as_admin(date(2024, 6, 1)),
        cascade.aggregates,
    )
    await plan_inspection(
        PlanInspection(
            inspector_id="btg-hai-phong",
            target_ids=("btg-ngo-quyen", "phuong-may-to"),
            scope=("38-CT/TW",),
            period_from=date(2024, 1, 1),
            period_to=date(2024, 6, 30),
            starts_on=date(2024, 9, 1),
            effective_on=date(2024, 8, 1),
        ),
        as_unit("btg-hai-phong", date(2024, 8, 1)),
        cascade.aggregates,
    )
    merger = date(2025, 7, 1)
    await merge_organisation(
        MergeOrganisation(id="btg-ngo-quyen", into_id="btg-le-chan", effective_on=merger),
        as_admin(merger),
        cascade.aggregates,
    )
    issued = await cascade.issue(
        "btg-hai-phong",
        document_number(),
        date(2025, 8, 1),
        report_task("phuong-may-to", "phuong-moi", due=date(2025, 9, 1)),
    )
    for assigned in issued.tasks[0].assignments:
        await remind_assignee(
            RemindAssignee(assignment_id=assigned.id, days_before=3),
            as_admin(date(2025, 8, 29)),
            cascade.aggregates,
        )


@pytest.mark.parametrize("projection", all_projections(), ids=lambda p: p.name)
async def test_a_view_applied_event_by_event_equals_the_view_applied_in_one_batch(
    history: None,
    projection: Projection,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    database_url: str,
) -> None:
    await rebuild(projection, store, database_url, batch_size=1)
    async with pool.acquire() as connection:
        event_by_event = await snapshot(connection, projection)
    await rebuild(projection, store, database_url, batch_size=10_000)
    async with pool.acquire() as connection:
        assert await snapshot(connection, projection) == event_by_event
    assert any(event_by_event.values())
