"""The audit trail an inspector pages through: a subtree's facts, by actor and time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application.commands import MergeOrganisation, SubmitReport
from application.organisations import merge_organisation
from domain.permissions import Role
from projections.audit_index import AuditIndex, audit_page
from tests.integration.cascade import Cascade, as_admin, as_unit, report_task


async def test_a_subtrees_facts_stay_its_own_after_a_merger_and_page_in_log_order(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    day = date(2024, 1, 24)
    issued = await cascade.issue(
        "btg-hai-phong", "76-HD/BTGTU", day, report_task("phuong-may-to", due=date(2024, 3, 1))
    )
    sent = date(2024, 2, 20)
    await handle.submit_report(
        SubmitReport(
            assignment_id=issued.tasks[0].assignments[0].id, summary="Q1", effective_on=sent
        ),
        as_unit("phuong-may-to", sent, Role.REPORTER),
        cascade.aggregates,
    )
    merger = date(2025, 7, 1)
    await merge_organisation(
        MergeOrganisation(id="btg-ngo-quyen", into_id="btg-le-chan", effective_on=merger),
        as_admin(merger),
        cascade.aggregates,
    )
    await ProjectionRunner(AuditIndex(), store, wakeup, database_url, batch_size=5).catch_up()

    async with pool.acquire() as connection:
        district = await audit_page(connection, subtree="btg-ngo-quyen", limit=1000)
        by_ward = await audit_page(connection, actor="phuong-may-to")
        sibling = await audit_page(connection, subtree="btg-binh-dinh")
        first = await audit_page(connection, subtree="btg-hai-phong", limit=3)
        rest = await audit_page(
            connection, subtree="btg-hai-phong", after=first[-1].position, limit=1000
        )
        everything = await audit_page(connection, subtree="btg-hai-phong", limit=1000)
        in_2024 = await audit_page(
            connection,
            since=datetime(2024, 1, 1, tzinfo=UTC),
            until=datetime(2025, 1, 1, tzinfo=UTC),
            limit=1000,
        )

    facts = [(e.type, e.organisation) for e in district]
    assert ("Assignment.Assigned", "phuong-may-to") in facts
    assert ("Assignment.Submitted", "phuong-may-to") in facts
    # After the merger the ward moved under Lê Chân; its 2024 facts stay under Ngô Quyền.
    assert ("Organisation.Moved", "phuong-may-to") not in facts
    assert [(e.type, e.organisation) for e in by_ward] == [
        ("Assignment.Submitted", "phuong-may-to")
    ]
    assert [e.organisation for e in sibling] == ["btg-binh-dinh"]
    assert [e.position for e in first + rest] == [e.position for e in everything]
    assert len(everything) > 3
    assert {e.type for e in in_2024} >= {"Document.Issued", "Assignment.Submitted"}
    assert "Organisation.Merged" not in {e.type for e in in_2024}
