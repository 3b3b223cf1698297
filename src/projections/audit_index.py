"""The audit index: every domain event with the unit it concerns and that unit's path
*when the event was recorded*, its actor and its time, so an inspector can page, in log
order, through everything a subtree did over a period — a district's 2024 reports stay
under the district (and its old province path) after the 2025 merger.

It keeps its own copy of the unit paths and of the unit each stream is about, so its
rows never depend on another projection having caught up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.base import Projected, Statement, execute_grouped, move_subtree_sql
from projections.concerns import concerned_unit, stream_unit_after
from projections.paths import UnitPaths

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_index (
    transaction_id xid8 NOT NULL,
    position       bigint PRIMARY KEY,
    stream_id      uuid NOT NULL,
    type           text NOT NULL,
    organisation   text,
    path           text[] NOT NULL,
    actor          text,
    token          text,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_index_order ON audit_index (transaction_id, position);
CREATE INDEX IF NOT EXISTS audit_index_path ON audit_index USING gin (path);
CREATE INDEX IF NOT EXISTS audit_index_actor ON audit_index (actor, transaction_id, position);
CREATE INDEX IF NOT EXISTS audit_index_time ON audit_index (recorded_at);
CREATE TABLE IF NOT EXISTS audit_streams (
    stream_id    uuid PRIMARY KEY,
    organisation text
);
CREATE TABLE IF NOT EXISTS audit_units (
    id        text PRIMARY KEY,
    stream_id uuid NOT NULL UNIQUE,
    path      text[] NOT NULL
);
-- Searched by every move (see organisation_tree.org_units_path).
CREATE INDEX IF NOT EXISTS audit_units_path ON audit_units USING gin (path)
    WITH (fastupdate = off);
"""

_MOVE = move_subtree_sql("audit_units", set_parent=False)
_REGISTER = "INSERT INTO audit_units (id, stream_id, path) VALUES ($1, $2, $3)"
_ROW_COLUMNS = (
    "transaction_id",
    "position",
    "stream_id",
    "type",
    "organisation",
    "path",
    "actor",
    "token",
    "recorded_at",
)


class AuditIndex:
    name = "audit_index"
    revision = 1

    def schema(self) -> str:
        return SCHEMA

    def handles(self, topic: str) -> bool:
        """Every event of the domain (others, written by tools or tests, are not facts)."""
        return topic.startswith("domain.")

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        """Two reads and a few writes a batch, whatever it holds. The unit each event
        concerns follows from the units of the streams alone; the paths those units
        (and the parents of the units registered or moved) had before the batch are
        read at once, and kept up to date in memory through the batch's registrations
        and moves exactly as ``_MOVE`` changes them in the table — so each row takes
        its unit's path as it stood at its event without asking the table again, and
        the registrations and moves are sent in order in a few pipelined runs."""
        stored = {
            row[0]: row[1]
            for row in await connection.fetch(_STREAMS, list({e.stream_id for e in events}))
        }
        streams = dict(stored)
        units: list[str | None] = []
        for projected in events:
            before = streams.get(projected.stream_id)
            unit = concerned_unit(projected.name, projected.event, before)
            streams[projected.stream_id] = stream_unit_after(
                projected.name, projected.event, before, unit
            )
            units.append(unit)
        paths = _Paths(await _paths_before(connection, events, units))
        changes: list[Statement] = []
        rows = []
        for projected, unit in zip(events, units, strict=True):
            name, event = projected.name, projected.event
            if name == "Organisation.Registered":
                path = paths.register(event.slug, event.parent)
                changes.append((_REGISTER, (event.slug, projected.stream_id, path)))
            elif name == "Organisation.Moved":
                paths.move_under(unit, event.parent)
                changes.append((_MOVE, (projected.stream_id, event.parent)))
            rows.append(
                (
                    projected.transaction_id,
                    projected.position,
                    projected.stream_id,
                    name,
                    unit,
                    paths.of(unit) if unit else [],
                    projected.actor_organization_id,
                    projected.actor_token_id,
                    projected.recorded_at,
                )
            )
        await execute_grouped(connection, changes)
        await connection.copy_records_to_table("audit_index", records=rows, columns=_ROW_COLUMNS)
        changed = [(s, unit) for s, unit in streams.items() if s not in stored or stored[s] != unit]
        if changed:
            await connection.executemany(_STREAM_UNIT, changed)


_STREAMS = "SELECT stream_id, organisation FROM audit_streams WHERE stream_id = ANY($1)"
_STREAM_UNIT = """
INSERT INTO audit_streams VALUES ($1, $2)
ON CONFLICT (stream_id) DO UPDATE SET organisation = EXCLUDED.organisation
"""


async def _paths_before(
    connection: Any, events: Sequence[Projected], units: list[str | None]
) -> dict[str, list[str]]:
    """The paths, as the batch finds them, of the units its events concern and of the
    parents its registrations and moves name (units the table lacks are left out)."""
    wanted = {unit for unit in units if unit}
    wanted.update(
        e.event.parent
        for e in events
        if e.name in ("Organisation.Registered", "Organisation.Moved") and e.event.parent
    )
    rows = await connection.fetch(
        "SELECT id, path FROM audit_units WHERE id = ANY($1::text[])", list(wanted)
    )
    return {row[0]: list(row[1]) for row in rows}


class _Paths(UnitPaths):
    """The paths of the units a batch needs, changed in memory as its registrations
    and moves change them in ``audit_units``."""

    def of(self, unit: str) -> list[str]:
        """Its path; a unit the table lacks stands alone."""
        return self.get(unit) or [unit]

    def register(self, unit: str, parent: str | None) -> list[str]:
        """The new unit's path: its parent's, and itself."""
        path = [*self.of(parent), unit] if parent else [unit]
        self.set(unit, path)
        return path

    def move_under(self, unit: str | None, parent: str) -> None:
        """As ``_MOVE``: the unit and every unit below it take the new parent's path
        (none when the table lacks the parent) in place of the unit's ancestors."""
        if unit is not None:
            self.move(unit, self.get(parent) or [])


class AuditEntry(msgspec.Struct, frozen=True):
    position: int
    stream_id: UUID
    type: str
    organisation: str | None
    actor: str | None
    recorded_at: datetime


async def audit_page(
    connection: Any,
    *,
    subtree: str | None = None,
    actor: str | None = None,
    stream_id: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[AuditEntry]:
    """A page of the trail in log order, after the entry at position ``after``."""
    rows = await connection.fetch(
        """
        SELECT position, stream_id, type, organisation, actor, recorded_at FROM audit_index
        WHERE ($1::text IS NULL OR path @> ARRAY[$1::text])
          AND ($2::text IS NULL OR actor = $2)
          AND ($3::uuid IS NULL OR stream_id = $3)
          AND ($4::timestamptz IS NULL OR recorded_at >= $4)
          AND ($5::timestamptz IS NULL OR recorded_at < $5)
          AND (transaction_id, position) > (
                coalesce((SELECT transaction_id FROM events WHERE position = $6), '0'::xid8),
                $6::bigint)
        ORDER BY transaction_id, position
        LIMIT $7
        """,
        subtree,
        actor,
        stream_id,
        since,
        until,
        after,
        limit,
    )
    return [AuditEntry(*row) for row in rows]
