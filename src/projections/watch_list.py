"""What the deadline watcher has to do on a given day: assignments and inspections past
their due date that are not yet marked overdue, and assignments owed a reminder (*đôn
đốc*) that has not been sent.

The first two are queries over the assignment status and inspections views, which
already keep the overdue mark. Reminders need a table of their own (``reminders``): one
row per reminder sent, keyed by the due date it counted down to, so that an extended
assignment is reminded again before its new date. The views only spare the watcher
from loading aggregates that have nothing to do: the aggregates themselves refuse a
second overdue mark or reminder, so a view that lags can cost a refused command, never
a repeated fact.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.assignment import Assignment
from projections.base import Projected, Statement, StatementProjection, topics
from projections.inspections import OVERDUE

SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    assignment_id uuid NOT NULL,
    due_on        date NOT NULL,
    days_before   integer NOT NULL,
    position      bigint NOT NULL,
    PRIMARY KEY (assignment_id, due_on, days_before)
);
"""

_REMINDED = "INSERT INTO reminders VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"


class RemindersSent(StatementProjection):
    name = "reminders"
    tables = SCHEMA
    topics = topics(Assignment, "Reminded")

    def statements(self, projected: Projected) -> list[Statement]:
        event = projected.event
        return [
            (_REMINDED, (projected.stream_id, event.due_on, event.days_before, projected.position))
        ]


_OVERDUE_ASSIGNMENTS = """
SELECT id FROM assignment_status
WHERE status IN ('assigned', 'acknowledged', 'submitted', 'returned')
  AND due_on < $1 AND NOT marked_overdue
ORDER BY due_on, id
LIMIT $2
"""

# A unit that has sent its report and awaits the issuer's review is not urged.
_REMINDERS_DUE = """
SELECT a.id FROM assignment_status a
WHERE a.status IN ('assigned', 'acknowledged', 'returned')
  AND a.due_on = $1::date + $2::integer
  AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.assignment_id = a.id
                  AND r.due_on = a.due_on AND r.days_before = $2)
ORDER BY a.id
LIMIT $3
"""

_OVERDUE_INSPECTIONS = f"""
SELECT i.id FROM inspections i
WHERE {OVERDUE} AND NOT i.marked_overdue
ORDER BY i.due_on, i.id
LIMIT $2
"""


async def overdue_assignments(connection: Any, today: date, limit: int) -> list[UUID]:
    """Open assignments due before ``today`` and not yet marked overdue, oldest first."""
    return [row[0] for row in await connection.fetch(_OVERDUE_ASSIGNMENTS, today, limit)]


async def reminders_due(connection: Any, today: date, days_before: int, limit: int) -> list[UUID]:
    """Assignments due ``days_before`` days after ``today``, with nothing sent yet and no
    reminder sent for that day."""
    rows = await connection.fetch(_REMINDERS_DUE, today, days_before, limit)
    return [row[0] for row in rows]


async def overdue_inspections(connection: Any, today: date, limit: int) -> list[UUID]:
    """Open inspections due before ``today`` and not yet marked overdue, oldest first."""
    return [row[0] for row in await connection.fetch(_OVERDUE_INSPECTIONS, today, limit)]


class WatchList:
    """The watcher's port onto these queries, over a connection pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def overdue_assignments(self, today: date, limit: int) -> list[UUID]:
        async with self._pool.acquire() as connection:
            return await overdue_assignments(connection, today, limit)

    async def reminders_due(self, today: date, days_before: int, limit: int) -> list[UUID]:
        async with self._pool.acquire() as connection:
            return await reminders_due(connection, today, days_before, limit)

    async def overdue_inspections(self, today: date, limit: int) -> list[UUID]:
        async with self._pool.acquire() as connection:
            return await overdue_inspections(connection, today, limit)
