"""Reading a projection's tables whole, to compare a view built one way with the same
view built another; and a little activity through the real command handlers to build
them from."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from application import assignments as handle
from application.commands import AcceptSubmission, SubmitReport
from domain.permissions import Role
from projections.base import Projection
from tests.integration.cascade import Cascade, as_unit, report_task

UNITS = ("btg-ngo-quyen", "btg-le-chan", "so-y-te-hai-phong", "phuong-may-to")
_numbers = itertools.count(1)


async def tables_of(connection: Any, projection: Projection) -> list[str]:
    """The tables the projection's DDL creates (found by running it in temporary tables
    that vanish with the transaction)."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute("SET LOCAL search_path TO pg_temp")
        await connection.execute(projection.schema())
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = pg_my_temp_schema()::regnamespace"
            "::text ORDER BY tablename"
        )
        return [row[0] for row in rows]
    finally:
        await transaction.rollback()


async def snapshot(
    connection: Any, projection: Projection, schema: str = "public"
) -> dict[str, list[str]]:
    """Every row of every table of the projection, as text, in a stable order."""
    found = {}
    for table in await tables_of(connection, projection):
        rows = await connection.fetch(
            f'SELECT t::text FROM "{schema}"."{table}" t ORDER BY t::text'
        )
        found[table] = [row[0] for row in rows]
    return found


def document_number() -> str:
    """A number no other document of the test session's log has: tests share a database,
    and the city may issue a number only once a term."""
    return f"{next(_numbers)}-HD/BTGTU"


async def activity(cascade: Cascade, documents: int, day: date = date(2024, 3, 1)) -> None:
    """Guidance issued to the units below the city, each reporting; half accepted."""
    for n in range(documents):
        issued = await cascade.issue(
            "btg-hai-phong",
            document_number(),
            day,
            report_task(*UNITS[: 1 + n % len(UNITS)], due=day + timedelta(days=10)),
        )
        for assignment in issued.tasks[0].assignments[::2]:
            sent = day + timedelta(days=n % 15)
            await handle.submit_report(
                SubmitReport(assignment_id=assignment.id, summary="Báo cáo", effective_on=sent),
                as_unit(assignment.assignee_id, sent, Role.REPORTER),
                cascade.aggregates,
            )
            await handle.accept_submission(
                AcceptSubmission(assignment_id=assignment.id, effective_on=sent),
                as_unit("btg-hai-phong", sent),
                cascade.aggregates,
            )
        day += timedelta(days=1)
