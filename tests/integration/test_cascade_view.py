"""The cascade of a guidance as a commissioner reads it: who implemented it, how many
days each level took, and who still has not, how late."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application.commands import TaskInput
from domain.organisation import Kind
from domain.task import TaskKind
from projections.assignment_status import AssignmentStatus
from projections.cascade import DocumentIndex, document_cascade
from tests.integration.cascade import Cascade


def implement(due: date) -> TaskInput:
    return TaskInput(
        kind=TaskKind.IMPLEMENTING_DOCUMENT,
        title="Ban hành hướng dẫn thực hiện",
        due_on=due,
        assignee_kinds=(Kind.PROPAGANDA_COMMISSION,),
    )


async def test_the_cascade_of_a_guidance_with_lags_and_the_units_late(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    central = await cascade.issue(
        "btg-tw", "128-HD/BTGTW", date(2023, 12, 22), implement(date(2024, 1, 31)), plan_year=2024
    )
    city = await cascade.issue(
        "btg-hai-phong",
        "76-HD/BTGTU",
        date(2024, 1, 24),
        implement(date(2024, 2, 15)),
        implements=central.id,
    )
    district = await cascade.issue(
        "btg-ngo-quyen", "25-HD/BTGQU", date(2024, 1, 30), implements=city.id
    )
    for projection in (DocumentIndex(), AssignmentStatus()):
        await ProjectionRunner(projection, store, wakeup, database_url).catch_up()

    async with pool.acquire() as connection:
        tree = await document_cascade(connection, central.id, date(2024, 2, 20))

    assert [(n.number, n.depth, n.lag_days) for n in tree.documents] == [
        ("128-HD/BTGTW", 0, None),
        ("76-HD/BTGTU", 1, 33),
        ("25-HD/BTGQU", 2, 6),
    ]
    assert tree.documents[2].parent_id == city.id and tree.documents[2].id == district.id
    # Bình Định never implemented 128 (due 31/01); Lê Chân never implemented 76 (15/02).
    assert [(m.assignee, m.days_late) for m in tree.missing] == [
        ("btg-binh-dinh", 20),
        ("btg-le-chan", 5),
    ]
