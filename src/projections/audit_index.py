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

from projections.base import Projected, move_subtree_sql
from projections.concerns import concerned_unit, stream_unit_after

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


class AuditIndex:
    name = "audit_index"

    def schema(self) -> str:
        return SCHEMA

    def handles(self, topic: str) -> bool:
        """Every event of the domain (others, written by tools or tests, are not facts)."""
        return topic.startswith("domain.")

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        streams: dict[UUID, str | None] = {}
        paths: dict[str, list[str]] = {}
        for row in await connection.fetch(_STREAMS, list({e.stream_id for e in events})):
            streams[row["stream_id"]] = row["organisation"]
            if row["path"] is not None:
                paths[row["organisation"]] = list(row["path"])
        units: list[tuple[str, UUID, list[str]]] = []
        """Registered in this batch, not yet written."""
        rows = []
        for projected in events:
            name, event = projected.name, projected.event
            if name == "Organisation.Registered":
                parent = await _path(connection, paths, event.parent) if event.parent else []
                paths[event.slug] = [*parent, event.slug]
                units.append((event.slug, projected.stream_id, paths[event.slug]))
            elif name == "Organisation.Moved":
                await _write_units(connection, units)
                for moved in await connection.fetch(_MOVE, projected.stream_id, event.parent):
                    paths[moved["id"]] = list(moved["path"])
            before = streams.get(projected.stream_id)
            unit = concerned_unit(name, event, before)
            streams[projected.stream_id] = stream_unit_after(name, event, before, unit)
            rows.append(
                (
                    projected.transaction_id,
                    projected.position,
                    projected.stream_id,
                    name,
                    unit,
                    await _path(connection, paths, unit) if unit else [],
                    projected.actor_organization_id,
                    projected.actor_token_id,
                    projected.recorded_at,
                )
            )
        await _write_units(connection, units)
        await connection.executemany(
            "INSERT INTO audit_index VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", rows
        )
        await connection.executemany(
            "INSERT INTO audit_streams VALUES ($1, $2)"
            " ON CONFLICT (stream_id) DO UPDATE SET organisation = EXCLUDED.organisation",
            list(streams.items()),
        )


_STREAMS = """
SELECT s.stream_id, s.organisation, u.path
FROM audit_streams s LEFT JOIN audit_units u ON u.id = s.organisation
WHERE s.stream_id = ANY($1)
"""
"""The unit each stream of a batch is about, with its path: most events need no other."""


async def _write_units(connection: Any, units: list[tuple[str, UUID, list[str]]]) -> None:
    if units:
        await connection.executemany(
            "INSERT INTO audit_units (id, stream_id, path) VALUES ($1, $2, $3)", units
        )
        units.clear()


async def _path(connection: Any, paths: dict[str, list[str]], unit: str) -> list[str]:
    if unit not in paths:
        found = await connection.fetchval("SELECT path FROM audit_units WHERE id = $1", unit)
        paths[unit] = list(found) if found else [unit]
    return paths[unit]


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
