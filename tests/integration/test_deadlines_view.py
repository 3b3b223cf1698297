"""The deadlines a commission watches: open assignments below it, soonest first."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application.commands import WaiveAssignment
from projections.assignment_status import AssignmentStatus
from projections.deadlines import open_deadlines
from projections.organisation_tree import OrganisationTree
from tests.integration.cascade import Cascade, as_unit, report_task


async def test_open_deadlines_below_a_unit_soonest_first_with_the_overdue(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    day = date(2024, 1, 24)
    late = await cascade.issue(
        "btg-hai-phong", "76-HD/BTGTU", day, report_task("phuong-may-to", due=date(2024, 2, 1))
    )
    soon = await cascade.issue(
        "btg-hai-phong",
        "77-HD/BTGTU",
        day,
        report_task("btg-ngo-quyen", "btg-le-chan", due=date(2024, 3, 1)),
    )
    waived = soon.tasks[0].assignments[1].id
    await handle.waive_assignment(
        WaiveAssignment(assignment_id=waived, reason="không áp dụng", effective_on=day),
        as_unit("btg-hai-phong", day),
        cascade.aggregates,
    )
    for projection in (OrganisationTree(), AssignmentStatus()):
        await ProjectionRunner(projection, store, wakeup, database_url).catch_up()

    async with pool.acquire() as connection:
        below_province = await open_deadlines(connection, "btg-hai-phong", date(2024, 2, 5))
        district_only = await open_deadlines(
            connection, "btg-ngo-quyen", date(2024, 2, 5), subtree=False
        )
        due_soon = await open_deadlines(
            connection, "btg-hai-phong", date(2024, 1, 25), due_by=date(2024, 2, 10)
        )

    assert [(d.assignee, d.due_on, d.overdue) for d in below_province] == [
        ("phuong-may-to", date(2024, 2, 1), True),
        ("btg-ngo-quyen", date(2024, 3, 1), False),
    ]
    assert [d.assignee for d in district_only] == ["btg-ngo-quyen"]
    assert [(d.assignment_id, d.overdue) for d in due_soon] == [
        (late.tasks[0].assignments[0].id, False)
    ]
