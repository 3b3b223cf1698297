"""The compliance roll-up as a dashboard reads it: a unit, its subtree, its children."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application.commands import AcceptSubmission, SubmitReport, TaskInput
from domain.calendar import Recurrence
from domain.permissions import Role
from domain.task import TaskKind
from projections.compliance import ComplianceRollup, Counts, unit_compliance
from tests.integration.cascade import Cascade, as_unit


async def test_a_unit_reads_itself_its_subtree_and_each_child(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    issued = await cascade.issue(
        "btg-hai-phong",
        "76-HD/BTGTU",
        date(2024, 1, 24),
        TaskInput(
            kind=TaskKind.PERIODIC_REPORT,
            title="Báo cáo quý",
            field="y tế",
            recurrence=Recurrence.QUARTERLY,
            due_day_of_last_month=10,
            assignee_ids=("btg-ngo-quyen", "phuong-may-to"),
        ),
        plan_year=2024,
    )
    q1 = {a.assignee_id: a.id for a in issued.tasks[0].assignments if a.period == "2024-Q1"}
    sent = date(2024, 3, 8)
    await handle.submit_report(
        SubmitReport(assignment_id=q1["phuong-may-to"], summary="Q1", effective_on=sent),
        as_unit("phuong-may-to", sent, Role.REPORTER),
        cascade.aggregates,
    )
    await handle.accept_submission(
        AcceptSubmission(assignment_id=q1["phuong-may-to"], effective_on=sent),
        as_unit("btg-hai-phong", sent),
        cascade.aggregates,
    )
    await ProjectionRunner(ComplianceRollup(), store, wakeup, database_url).catch_up()

    async with pool.acquire() as connection:
        province = await unit_compliance(connection, "btg-hai-phong", date(2024, 3, 11))
        district = await unit_compliance(connection, "btg-ngo-quyen", date(2024, 3, 11))
        earlier = await unit_compliance(connection, "btg-ngo-quyen", date(2024, 3, 1))
        other_field = await unit_compliance(
            connection, "btg-hai-phong", date(2024, 3, 11), field="giáo dục"
        )
        other_year = await unit_compliance(
            connection, "btg-hai-phong", date(2024, 3, 11), year=2025
        )

    assert province.self == Counts()
    assert province.subtree == Counts(assigned=8, done_on_time=1, open_in_time=6, open_overdue=1)
    assert set(province.children) == {"btg-le-chan", "btg-ngo-quyen", "so-y-te-hai-phong"}
    assert province.children["btg-ngo-quyen"] == province.subtree
    assert province.children["btg-le-chan"] == Counts()
    assert district.self == Counts(assigned=4, open_in_time=3, open_overdue=1)
    assert district.children["phuong-may-to"] == Counts(assigned=4, done_on_time=1, open_in_time=3)
    assert district.subtree.on_time_rate == 0.5  # one on time, one overdue
    assert earlier.self == Counts(assigned=4, open_in_time=4)  # nothing overdue yet on 01/03
    assert other_field.subtree == Counts() and other_year.subtree == Counts()
