"""The compliance roll-up as a dashboard reads it: a unit, its subtree, its children —
also after the merger moves whole subtrees."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_rebuild import rebuild
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application import organisations
from application.commands import (
    AcceptSubmission,
    MergeOrganisation,
    MoveOrganisation,
    SubmitReport,
    TaskInput,
)
from application.results import DocumentIssued
from domain.calendar import Recurrence
from domain.permissions import Role
from domain.task import TaskKind
from projections.compliance import ComplianceRollup, Counts, UnitCompliance, unit_compliance
from tests.integration.cascade import Cascade, as_admin, as_unit, report_task
from tests.integration.projection_tables import snapshot


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


async def reported_and_accepted(
    cascade: Cascade, issued: DocumentIssued, ward: str, day: date
) -> None:
    """The ward's assignment of the city's document reported on ``day``, and accepted."""
    assignment = next(a.id for a in issued.tasks[0].assignments if a.assignee_id == ward)
    await handle.submit_report(
        SubmitReport(assignment_id=assignment, summary="Báo cáo", effective_on=day),
        as_unit(ward, day, Role.REPORTER),
        cascade.aggregates,
    )
    await handle.accept_submission(
        AcceptSubmission(assignment_id=assignment, effective_on=day),
        as_unit("btg-hai-phong", day),
        cascade.aggregates,
    )


async def test_children_totals_follow_the_units_a_merger_and_a_move_carry(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    wards = ("phuong-lac-vien", "phuong-may-to")
    issued = await cascade.issue(
        "btg-hai-phong",
        "12-HD/BTGTU",
        date(2024, 3, 1),
        report_task(*wards, "btg-ngo-quyen", "btg-le-chan", due=date(2024, 3, 10)),
    )
    await reported_and_accepted(cascade, issued, "phuong-may-to", date(2024, 3, 8))
    runner = ProjectionRunner(ComplianceRollup(), store, wakeup, database_url, batch_size=2)
    day = date(2024, 3, 11)
    overdue, on_time = Counts(assigned=1, open_overdue=1), Counts(assigned=1, done_on_time=1)

    async def read(unit: str, **filters: Any) -> UnitCompliance:
        await runner.catch_up()
        async with pool.acquire() as connection:
            return await unit_compliance(connection, unit, day, **filters)

    before = await read("btg-ngo-quyen")
    assert before.children == {"phuong-lac-vien": overdue, "phuong-may-to": on_time}
    assert (await read("btg-hai-phong")).children == {
        "btg-le-chan": overdue,
        "btg-ngo-quyen": Counts(assigned=3, done_on_time=1, open_overdue=2),
        "so-y-te-hai-phong": Counts(),
    }

    # Ngô Quyền merges into Lê Chân: its wards move there, its open assignment passes on.
    await organisations.merge_organisation(
        MergeOrganisation(id="btg-ngo-quyen", into_id="btg-le-chan", effective_on=day),
        as_admin(day),
        cascade.aggregates,
    )
    le_chan = Counts(assigned=4, done_on_time=1, open_overdue=3)
    survivor = await read("btg-le-chan")
    assert survivor.children == before.children
    assert survivor.self == Counts(assigned=2, open_overdue=2)
    assert survivor.subtree == le_chan
    assert (await read("btg-ngo-quyen")).children == {}
    city = await read("btg-hai-phong")
    assert city.children == {
        "btg-le-chan": le_chan,
        "btg-ngo-quyen": Counts(),
        "so-y-te-hai-phong": Counts(),
    }
    assert city.subtree == le_chan

    # Lê Chân, wards and all, moves to another province: the totals leave one branch
    # of the tree for the other, and the centre sees the same sum.
    await organisations.move_organisation(
        MoveOrganisation(id="btg-le-chan", parent_id="btg-binh-dinh", effective_on=day),
        as_admin(day),
        cascade.aggregates,
    )
    assert (await read("btg-hai-phong")).subtree == Counts()
    assert (await read("btg-binh-dinh")).children == {"btg-le-chan": le_chan}
    centre = await read("btg-tw")
    assert centre.children == {"btg-binh-dinh": le_chan, "btg-hai-phong": Counts()}
    assert centre.subtree == le_chan
    # A ward of Lê Chân reports after the move: it counts in its new province alone
    # (the ward moved with Lê Chân, its path with it).
    await reported_and_accepted(cascade, issued, "phuong-lac-vien", date(2024, 3, 12))
    le_chan = Counts(assigned=4, done_on_time=1, done_late=1, open_overdue=2)
    assert (await read("btg-binh-dinh")).children == {"btg-le-chan": le_chan}
    assert (await read("btg-hai-phong")).subtree == Counts()
    centre = await read("btg-tw")
    # A filter that keeps every task answers the same; one that keeps none lists the
    # children with nothing.
    assert await read("btg-tw", year=2024, kind="periodic_report") == centre
    nothing = await read("btg-binh-dinh", field="y tế")
    assert nothing.children == {"btg-le-chan": Counts()} and nothing.subtree == Counts()

    async with pool.acquire() as connection:
        incremental = await snapshot(connection, runner.projection)
        await rebuild(runner.projection, store, database_url)
        assert await snapshot(connection, runner.projection) == incremental
        # One row of children's totals for every unit, under its parent of today.
        units = await connection.fetch("SELECT coalesce(parent, ''), id FROM rollup_units")
        rows = await connection.fetch("SELECT parent, org FROM compliance_children")
        assert sorted(map(tuple, rows)) == sorted(map(tuple, units))
