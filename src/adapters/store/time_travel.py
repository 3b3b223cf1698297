"""Time travel: a unit's compliance as it stood on a past day, computed from the log.

The answer must be the one the live roll-up gave on that day, so it is computed by the
roll-up's own code: the events recorded up to the end of that day (Vietnam time) are
replayed, in log order, through ``ComplianceRollup`` into temporary tables that take
the place of the live ones for one transaction (``pg_temp`` first in the search path),
read with ``unit_compliance`` judging overdue on that day, and the transaction is
rolled back — nothing is written, nothing lingers, the live tables are not touched.
No second copy of the bucket rules exists to drift from the live view's.

The cost is a replay of the roll-up's events up to that day: the log is filtered in SQL
to the roll-up's event types, so it is O(organisation and assignment events before
the day), whatever the unit. "Up to the end of that day" is by ``recorded_at``, the
time the fact was recorded, not the day it took effect: that is what the live view
had seen then. A day not over yet gives what has been recorded so far.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg

from adapters.store.codec import MsgspecMapper
from adapters.store.database import Connection
from adapters.store.event_store import COLUMNS, recorded_event
from adapters.store.shared_log import projected_events
from domain.calendar import VIETNAM
from projections.base import Projection
from projections.compliance import ComplianceRollup, UnitCompliance, unit_compliance

_BATCH = 2000

_RECORDED_BEFORE = f"""
SELECT {COLUMNS} FROM events
WHERE recorded_at < $1 AND type = ANY($2::text[])
ORDER BY transaction_id, position
"""


def end_of_day(day: date) -> datetime:
    """The first moment after ``day`` in Vietnam."""
    return datetime.combine(day + timedelta(days=1), time(), VIETNAM)


async def compliance_as_of(
    source: Connection | asyncpg.Pool[Any],
    unit: str,
    day: date,
    *,
    year: int | None = None,
    field: str | None = None,
    kind: str | None = None,
) -> UnitCompliance:
    """``unit_compliance`` as the log stood at the end of ``day``, judged on ``day``.

    ``source`` is a pool or a connection that is not inside a read-only transaction
    (the replay creates temporary tables)."""
    rollup = ComplianceRollup()
    async with (
        _connection(source) as connection,
        replayed(connection, rollup, rollup.topics, recorded_before=end_of_day(day)),
    ):
        return await unit_compliance(connection, unit, day, year=year, field=field, kind=kind)


@asynccontextmanager
async def replayed(
    connection: Connection,
    projection: Projection,
    topics: frozenset[str],
    *,
    recorded_before: datetime,
    mapper: MsgspecMapper | None = None,
) -> AsyncIterator[None]:
    """Inside: the projection's tables, for ``connection`` alone, as the events of
    ``topics`` recorded before ``recorded_before`` make them."""
    mapper = mapper or MsgspecMapper()
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute(
            "SELECT set_config('search_path', 'pg_temp, ' || current_setting('search_path'), true)"
        )
        await connection.execute(projection.schema())
        cursor = await connection.cursor(_RECORDED_BEFORE, recorded_before, list(topics))
        while rows := await cursor.fetch(_BATCH):
            records = [recorded_event(row) for row in rows]
            projected = projected_events(projection, mapper, records)
            if projected:
                await projection.apply(connection, projected)
        yield
    finally:
        await transaction.rollback()


@asynccontextmanager
async def _connection(source: Connection | asyncpg.Pool[Any]) -> AsyncIterator[Connection]:
    if isinstance(source, asyncpg.Pool):
        async with source.acquire() as connection:
            yield connection
    else:
        yield source


__all__ = ["compliance_as_of", "end_of_day", "replayed"]
