"""The organisation tree as a read model: every unit with its path from the root (for
subtree queries through a GIN index on the path), and the dated parent links that let a
query see the tree as it was on a past date (``path_on``, ``subtree_on``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from domain.organisation import Organisation
from projections.base import (
    Projected,
    Statement,
    StatementProjection,
    move_subtree_sql,
    topics,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS org_units (
    id          text PRIMARY KEY,
    stream_id   uuid NOT NULL UNIQUE,
    name        text NOT NULL,
    level       text NOT NULL,
    kind        text NOT NULL,
    issuer_code text,
    parent      text,
    path        text[] NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date,
    merged_into text
);
CREATE INDEX IF NOT EXISTS org_units_path ON org_units USING gin (path);
-- A move searches it: entries go straight into the index rather than into a pending
-- list that every search would scan (a merger moves thousands of units in a row).
ALTER INDEX org_units_path SET (fastupdate = off);
CREATE TABLE IF NOT EXISTS org_parent_links (
    id     text NOT NULL,
    parent text,
    since  date NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (id, position)
);
CREATE INDEX IF NOT EXISTS org_parent_links_parent ON org_parent_links (parent);
"""

_REGISTER = """
INSERT INTO org_units (id, stream_id, name, level, kind, issuer_code, parent, path, valid_from)
SELECT $1, $2, $3, $4, $5, $6, $7,
       coalesce((SELECT path FROM org_units WHERE id = $7), '{}') || $1::text, $8
"""
# Later events carry the stream id, not the slug.
_LINK = """
INSERT INTO org_parent_links (id, parent, since, position)
SELECT id, $2, $3, $4 FROM org_units WHERE stream_id = $1
"""
_RENAME = """
UPDATE org_units SET name = $2, issuer_code = coalesce($3, issuer_code) WHERE stream_id = $1
"""
_MOVE = move_subtree_sql("org_units", set_parent=True)
_CLOSE = "UPDATE org_units SET valid_to = $2, merged_into = $3 WHERE stream_id = $1"


_TOPICS = topics(Organisation, "Registered", "Renamed", "Moved", "Merged", "Dissolved")


def _statements(projected: Projected) -> list[Statement]:
    event = projected.event
    match projected.name:
        case "Organisation.Registered":
            return [
                (
                    _REGISTER,
                    (
                        event.slug,
                        projected.stream_id,
                        event.name,
                        str(event.level),
                        str(event.kind),
                        event.issuer_code,
                        event.parent,
                        event.valid_from,
                    ),
                ),
                (_LINK, (projected.stream_id, event.parent, event.valid_from, projected.position)),
            ]
        case "Organisation.Renamed":
            return [(_RENAME, (projected.stream_id, event.name, event.issuer_code))]
        case "Organisation.Moved":
            return [
                (_MOVE, (projected.stream_id, event.parent)),
                (
                    _LINK,
                    (projected.stream_id, event.parent, event.effective_on, projected.position),
                ),
            ]
        case "Organisation.Merged":
            return [(_CLOSE, (projected.stream_id, event.effective_on, event.into))]
        case "Organisation.Dissolved":
            return [(_CLOSE, (projected.stream_id, event.effective_on, None))]
    return []


async def subtree(connection: Any, unit: str) -> list[str]:
    """The unit and every unit below it now."""
    rows = await connection.fetch(
        "SELECT id FROM org_units WHERE path @> ARRAY[$1::text] ORDER BY path", unit
    )
    return [row["id"] for row in rows]


async def path_on(connection: Any, unit: str, day: date | None = None) -> list[str]:
    """The unit's path from the root, now or as it was on ``day``."""
    if day is None:
        found = await connection.fetchval("SELECT path FROM org_units WHERE id = $1", unit)
        return list(found or [])
    rows = await connection.fetch(
        """
        WITH RECURSIVE up(id, depth) AS (
            SELECT $1::text, 0
            UNION ALL
            SELECT link.parent, up.depth + 1
            FROM up
            CROSS JOIN LATERAL (
                SELECT parent FROM org_parent_links l
                WHERE l.id = up.id
                -- the last link in force on the day; before the unit existed, its first
                ORDER BY (l.since <= $2) DESC,
                         CASE WHEN l.since <= $2 THEN l.since END DESC NULLS LAST,
                         CASE WHEN l.since <= $2 THEN -l.position ELSE l.position END
                LIMIT 1
            ) link
            WHERE link.parent IS NOT NULL AND up.depth < 8
        )
        SELECT id FROM up ORDER BY depth DESC
        """,
        unit,
        day,
    )
    return [row["id"] for row in rows]


class UnitOnDay(msgspec.Struct, frozen=True):
    id: str
    parent: str | None
    """Its parent on that day (None for the unit asked about)."""
    depth: int
    """0 for the unit asked about, 1 for its children then, ..."""
    name: str
    """Its name now (renames are not kept by date)."""
    level: str
    kind: str


_SUBTREE_ON = """
WITH RECURSIVE tree(id, parent, depth) AS (
    SELECT u.id, NULL::text, 0 FROM org_units u
    WHERE u.id = $1 AND u.valid_from <= $2 AND (u.valid_to IS NULL OR $2 < u.valid_to)
    UNION ALL
    SELECT child.id, tree.id, tree.depth + 1
    FROM tree
    JOIN org_parent_links l ON l.parent = tree.id AND l.since <= $2
    JOIN org_units child ON child.id = l.id
        AND child.valid_from <= $2 AND (child.valid_to IS NULL OR $2 < child.valid_to)
    WHERE tree.depth < 8
      -- the link in force on the day is the last one made by then
      AND l.position = (SELECT x.position FROM org_parent_links x
                        WHERE x.id = l.id AND x.since <= $2
                        ORDER BY x.since DESC, x.position DESC LIMIT 1)
)
SELECT tree.id, tree.parent, tree.depth, u.name, u.level, u.kind
FROM tree JOIN org_units u ON u.id = tree.id
ORDER BY tree.depth, tree.parent, tree.id
"""


async def subtree_on(connection: Any, unit: str, day: date) -> list[UnitOnDay]:
    """The unit and every unit below it as the tree stood on ``day`` (by the dates the
    registrations, moves, mergers and dissolutions took effect): the units that existed
    that day, each under the parent it had then. Empty when the unit did not exist."""
    return [UnitOnDay(*row) for row in await connection.fetch(_SUBTREE_ON, unit, day)]


class OrganisationTree(StatementProjection):
    name = "organisation_tree"
    tables = SCHEMA
    topics = _TOPICS
    last = frozenset({_LINK})

    def statements(self, projected: Projected) -> list[Statement]:
        return _statements(projected)
