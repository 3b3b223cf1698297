"""Time travel: a unit's compliance as of a past day, computed from the log afterwards,
equals what the live roll-up answered on that day; and the organisation tree as it
stood on a past date."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.time_travel import compliance_as_of
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application.commands import (
    AcceptSubmission,
    ExtendDueDate,
    MergeOrganisation,
    MoveOrganisation,
    ReturnSubmission,
    SubmitReport,
    TaskInput,
    WaiveAssignment,
)
from application.organisations import merge_organisation, move_organisation
from domain.calendar import Recurrence
from domain.permissions import Role
from domain.task import TaskKind
from projections.compliance import ComplianceRollup, UnitCompliance, unit_compliance
from projections.organisation_tree import OrganisationTree, subtree_on
from tests.integration.cascade import Cascade, as_admin, as_unit

UNITS = ("btg-tw", "btg-hai-phong", "btg-ngo-quyen", "phuong-may-to", "so-y-te-hai-phong")
FILTERS: list[dict[str, Any]] = [
    {},
    {"year": 2024},
    {"year": 2025},
    {"field": "y tế"},
    {"kind": "activity"},
]
CITY = "btg-hai-phong"


class Recorded:
    """What the live roll-up answered at the end of each day of the scenario."""

    def __init__(self, pool: asyncpg.Pool[Any], runner: ProjectionRunner) -> None:
        self.pool = pool
        self.runner = runner
        self.answers: dict[tuple[date, str, int], UnitCompliance] = {}

    async def end_of(self, day: date) -> None:
        await self.runner.catch_up()
        async with self.pool.acquire() as connection:
            for unit in UNITS:
                for n, filters in enumerate(FILTERS):
                    found = await unit_compliance(connection, unit, day, **filters)
                    self.answers[(day, unit, n)] = found


async def test_the_compliance_as_of_each_past_day_is_what_the_live_view_answered_then(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    live = Recorded(pool, ProjectionRunner(ComplianceRollup(), store, wakeup, database_url))
    aggregates = cascade.aggregates

    issued_on = date(2024, 1, 24)
    issued = await cascade.issue(
        CITY,
        "76-HD/BTGTU",
        issued_on,
        TaskInput(
            kind=TaskKind.PERIODIC_REPORT,
            title="Báo cáo quý",
            field="y tế",
            recurrence=Recurrence.QUARTERLY,
            due_day_of_last_month=10,
            assignee_ids=("btg-ngo-quyen", "phuong-may-to", "btg-le-chan"),
        ),
        TaskInput(
            kind=TaskKind.ACTIVITY,
            title="Tập huấn công tác khoa giáo",
            field="giáo dục",
            due_on=date(2024, 4, 30),
            assignee_ids=("so-y-te-hai-phong", "btg-ngo-quyen"),
        ),
        plan_year=2024,
    )
    await live.end_of(issued_on)
    quarter = {(a.assignee_id, a.period): a.id for a in issued.tasks[0].assignments}
    training = {a.assignee_id: a.id for a in issued.tasks[1].assignments}

    async def submit(unit: str, assignment: Any, day: date) -> None:
        await handle.submit_report(
            SubmitReport(assignment_id=assignment, summary="Báo cáo", effective_on=day),
            as_unit(unit, day, Role.REPORTER),
            aggregates,
        )

    async def accept(assignment: Any, day: date) -> None:
        accepted = AcceptSubmission(assignment_id=assignment, effective_on=day)
        await handle.accept_submission(accepted, as_unit(CITY, day), aggregates)

    day = date(2024, 3, 8)  # the ward reports the first quarter in time
    await submit("phuong-may-to", quarter[("phuong-may-to", "2024-Q1")], day)
    await accept(quarter[("phuong-may-to", "2024-Q1")], day)
    await live.end_of(day)

    day = date(2024, 3, 20)  # the district reports late, and is sent back
    await submit("btg-ngo-quyen", quarter[("btg-ngo-quyen", "2024-Q1")], day)
    await handle.return_submission(
        ReturnSubmission(
            assignment_id=quarter[("btg-ngo-quyen", "2024-Q1")], reason="bổ sung", effective_on=day
        ),
        as_unit(CITY, day),
        aggregates,
    )
    await live.end_of(day)

    day = date(2024, 3, 21)
    await submit("btg-ngo-quyen", quarter[("btg-ngo-quyen", "2024-Q1")], day)
    await accept(quarter[("btg-ngo-quyen", "2024-Q1")], day)
    await handle.extend_due_date(
        ExtendDueDate(
            assignment_id=quarter[("btg-le-chan", "2024-Q2")],
            due_on=date(2024, 7, 31),
            reason="lý do",
            effective_on=day,
        ),
        as_unit(CITY, day),
        aggregates,
    )
    await handle.waive_assignment(
        WaiveAssignment(
            assignment_id=training["so-y-te-hai-phong"], reason="miễn", effective_on=day
        ),
        as_unit(CITY, day),
        aggregates,
    )
    await live.end_of(day)
    await live.end_of(date(2024, 5, 2))  # nothing recorded; more is overdue

    day = date(2025, 7, 1)  # the district merges into the city; its ward moves up
    await merge_organisation(
        MergeOrganisation(id="btg-ngo-quyen", into_id=CITY, effective_on=day),
        as_admin(day),
        aggregates,
    )
    await live.end_of(day)
    await live.end_of(date(2025, 8, 1))

    city = [a.subtree for (_, unit, n), a in live.answers.items() if unit == CITY and n == 0]
    assert len(set(city)) >= 5, "the scenario should change the city's answer"
    for (day, unit, n), answer in live.answers.items():
        as_of = await compliance_as_of(pool, unit, day, **FILTERS[n])
        assert as_of == answer, (day, unit, FILTERS[n])


async def test_a_day_before_anything_was_recorded_counts_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool[Any]
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    async with pool.acquire() as connection:
        found = await compliance_as_of(connection, CITY, date(2019, 12, 31))
        assert await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'compliance_rollup'"
        ) == 0, "the replay left a table behind"  # fmt: skip
    assert found == UnitCompliance(CITY, found.self, found.subtree, {})
    assert found.subtree.assigned == 0


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (
            date(2024, 6, 1),
            [
                (CITY, None, 0),
                ("btg-le-chan", CITY, 1),
                ("btg-ngo-quyen", CITY, 1),
                ("so-y-te-hai-phong", CITY, 1),
                ("phuong-lac-vien", "btg-ngo-quyen", 2),
                ("phuong-may-to", "btg-ngo-quyen", 2),
            ],
        ),
        (
            date(2024, 9, 1),  # the ward moved to the other district that day
            [
                (CITY, None, 0),
                ("btg-le-chan", CITY, 1),
                ("btg-ngo-quyen", CITY, 1),
                ("so-y-te-hai-phong", CITY, 1),
                ("phuong-lac-vien", "btg-le-chan", 2),
                ("phuong-may-to", "btg-ngo-quyen", 2),
            ],
        ),
        (
            date(2025, 7, 1),  # the district merged into the city that day
            [
                (CITY, None, 0),
                ("btg-le-chan", CITY, 1),
                ("phuong-may-to", CITY, 1),
                ("so-y-te-hai-phong", CITY, 1),
                ("phuong-lac-vien", "btg-le-chan", 2),
            ],
        ),
        (date(2019, 12, 31), []),
    ],
)
async def test_the_tree_as_it_stood_before_and_after_a_move_and_the_merger(
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
    day: date,
    expected: list[tuple[str, str | None, int]],
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    moved_on, merged_on = date(2024, 9, 1), date(2025, 7, 1)
    await move_organisation(
        MoveOrganisation(id="phuong-lac-vien", parent_id="btg-le-chan", effective_on=moved_on),
        as_admin(moved_on),
        cascade.aggregates,
    )
    await merge_organisation(
        MergeOrganisation(id="btg-ngo-quyen", into_id=CITY, effective_on=merged_on),
        as_admin(merged_on),
        cascade.aggregates,
    )
    await ProjectionRunner(OrganisationTree(), store, wakeup, database_url).catch_up()
    async with pool.acquire() as connection:
        units = await subtree_on(connection, CITY, day)
    assert [(u.id, u.parent, u.depth) for u in units] == expected
