"""Deadlines: the open assignments of a unit or its subtree, soonest due first — the
overdue ones (judged on the day asked) first of all. A query over the assignment status
and organisation tree views; it keeps no table of its own."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from projections.assignment_status import BUCKET


class Deadline(msgspec.Struct, frozen=True):
    assignment_id: UUID
    assignee: str
    issuer: str
    title: str
    kind: str
    period: str
    due_on: date
    status: str
    overdue: bool


_QUERY = f"""
SELECT a.id, a.assignee, a.issuer, a.title, a.kind, a.period, a.due_on, a.status,
       ({BUCKET}) = 'open_overdue' AS overdue
FROM assignment_status a
JOIN org_units o ON o.id = a.assignee
WHERE a.status IN ('assigned', 'acknowledged', 'submitted', 'returned')
  AND (CASE WHEN $3 THEN o.path @> ARRAY[$2::text] ELSE a.assignee = $2 END)
  AND ($4::date IS NULL OR a.due_on <= $4)
ORDER BY a.due_on, a.assignee, a.id
LIMIT $5
"""


async def open_deadlines(
    connection: Any,
    unit: str,
    today: date,
    *,
    subtree: bool = True,
    due_by: date | None = None,
    limit: int = 500,
) -> list[Deadline]:
    """Open assignments due by ``due_by`` (all when None), soonest first."""
    rows = await connection.fetch(_QUERY, today, unit, subtree, due_by, limit)
    return [Deadline(*row) for row in rows]
