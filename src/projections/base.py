"""What a projection is: a named read model that applies decoded events in batches.

Projections hold the SQL of their own tables (they are read models in PostgreSQL) but
know nothing of how the log is followed: the runner in ``adapters.projections`` feeds
them and keeps their checkpoint in the same transaction as their rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import msgspec
from eventsourcing.utils import get_topic


class Projected(msgspec.Struct, frozen=True):
    """One event as a projection sees it: where it sits in the log and what it says.
    (A Struct, not a dataclass: one is made for every event of the log.)"""

    position: int
    transaction_id: int
    stream_id: UUID
    version: int
    recorded_at: datetime
    actor_organization_id: str | None
    actor_token_id: str | None
    event: Any
    name: str
    """The event's class as the domain names it, e.g. "Organisation.Registered"."""


class Projection(Protocol):
    name: str
    """Stable: it keys the checkpoint and the advisory lock."""

    revision: int
    """Raise it when ``apply`` comes to write other rows for the same events: the
    service then rebuilds the view before following on (``schema_fingerprint``). A
    change to the DDL needs no new revision: the DDL is fingerprinted as it is."""

    def schema(self) -> str:
        """CREATE statements for the projection's tables (idempotent)."""
        ...

    def handles(self, topic: str) -> bool:
        """Whether events of this topic matter (others are skipped undecoded)."""
        ...

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        """Apply a batch inside the runner's transaction, in few statements."""
        ...


def schema_fingerprint(projection: Projection) -> str:
    """What built a projection's tables: its DDL and its revision. Tables stored under
    another fingerprint were built by another version of the projection's code, and
    reading or extending them with this one could fail or answer wrongly."""
    built_by = f"{projection.revision}\n{projection.schema()}"
    return hashlib.sha256(built_by.encode()).hexdigest()[:16]


def topics(aggregate: type, *events: str) -> frozenset[str]:
    """The stored topics of the named events of an aggregate ("Registered", ...)."""
    module = get_topic(aggregate).split(":")[0]
    return frozenset(f"{module}:{aggregate.__qualname__}.{name}" for name in events)


def move_subtree_sql(table: str, *, set_parent: bool) -> str:
    """SQL moving the unit of stream ``$1`` below unit ``$2`` in a table of unit paths:
    the unit and everything below it take the new parent's path as their prefix (and
    are returned with their new paths)."""
    parent = (
        ", parent = CASE WHEN u.id = (SELECT id FROM unit) THEN $2 ELSE u.parent END"
        if set_parent
        else ""
    )
    return f"""
WITH unit AS (SELECT id, path FROM {table} WHERE stream_id = $1),
     target AS (SELECT path FROM {table} WHERE id = $2)
UPDATE {table} AS u
SET path = (SELECT path FROM target) || u.path[cardinality((SELECT path FROM unit)):]{parent}
WHERE u.path @> ARRAY[(SELECT id FROM unit)]
RETURNING u.id, u.path
"""


Statement = tuple[str, tuple[Any, ...]]


async def execute_grouped(
    connection: Any, statements: Sequence[Statement], *, in_bulk: frozenset[str] = frozenset()
) -> None:
    """Run statements in order, sending each run of the same statement at once: as one
    pipelined ``executemany`` — a batch of a thousand registrations is one round trip,
    not a thousand — or, for a statement of ``in_bulk`` (written over arrays, one
    element per row), as one execution with the run's rows as arrays, which costs the
    server one statement instead of one per row."""
    index = 0
    while index < len(statements):
        sql = statements[index][0]
        end = index
        while end < len(statements) and statements[end][0] == sql:
            end += 1
        rows = [arguments for _, arguments in statements[index:end]]
        if sql in in_bulk:
            await connection.execute(sql, *(list(column) for column in zip(*rows, strict=True)))
        else:
            await connection.executemany(sql, rows)
        index = end


def by_stream_in_layers(
    events: Sequence[Projected], statements: Sequence[list[Statement]]
) -> list[list[Statement]]:
    """The statements of a batch (``statements[i]`` for ``events[i]``) in layers, for
    grouping when each stream's statements touch only that stream's rows: every
    stream's first statement, then every stream's second, ..., each layer sorted by
    statement. Each stream keeps its own order, and has one statement at most in a
    layer; streams do not see each other."""
    queues: dict[Any, list[Statement]] = {}
    for projected, own in zip(events, statements, strict=True):
        queues.setdefault(projected.stream_id, []).extend(own)
    first_seen: dict[str, int] = {}
    layers: list[list[Statement]] = []
    for own in queues.values():
        for depth, statement in enumerate(own):
            first_seen.setdefault(statement[0], len(first_seen))
            if depth == len(layers):
                layers.append([])
            layers[depth].append(statement)
    return [sorted(layer, key=lambda statement: first_seen[statement[0]]) for layer in layers]


class StatementProjection:
    """A projection whose events each become a few SQL statements, sent grouped."""

    name: str
    revision: int = 1
    tables: str
    """CREATE statements (idempotent)."""
    topics: frozenset[str]
    streams_apart: bool = False
    """True when an event's statements touch only rows of its own stream (an
    assignment's row, a document's): then a batch is regrouped across streams
    (``by_stream_in_layers``), so a thousand submissions are a few round trips, not
    two thousand. False when they read or move other rows (a unit's path)."""
    in_bulk: frozenset[str] = frozenset()
    """With ``streams_apart``: statements written over arrays (``unnest``), one element
    per stream, so that a layer's run of one is a single statement (``execute_grouped``);
    each event still gives its own values."""
    last: frozenset[str] = frozenset()
    """Statements sent after all the others of a batch: inserts of rows no statement
    reads, reading only what no statement changes (a unit's dated parent link, which
    needs only the unit's id). Out of the way, they no longer split the runs of the
    others: a thousand registrations go as one pipelined statement, not a thousand
    alternating pairs."""

    def schema(self) -> str:
        return self.tables

    def handles(self, topic: str) -> bool:
        return topic in self.topics

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        per_event = [self.statements(projected) for projected in events]
        if self.streams_apart:
            for layer in by_stream_in_layers(events, per_event):
                await execute_grouped(connection, layer, in_bulk=self.in_bulk)
            return
        statements = [statement for own in per_event for statement in own]
        if self.last:
            statements = [s for s in statements if s[0] not in self.last] + [
                s for s in statements if s[0] in self.last
            ]
        await execute_grouped(connection, statements)

    def statements(self, projected: Projected) -> list[Statement]:
        raise NotImplementedError
