"""The compliance roll-up: for every unit, its own counts and its whole subtree's, by
year, field and task kind — maintained incrementally, so that reading a unit and its
direct children costs O(children), never a scan of the subtree.

Each assignment contributes one to a *state* — open (kept with its due date, because
whether it is overdue depends on the day of the query), done on time, done late — for
its assignee's own row and for the subtree row of every unit on the assignee's path;
and one to *returned* once it has been returned. An event moves an assignment's
contribution from one state to another: a few rows per ancestor. When a unit moves (a
merger), its subtree rows are subtracted from its old ancestors and added to its new.

The projection keeps its own copy of the paths and of each assignment's state, so it
never depends on another projection having caught up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from domain.assignment import Assignment
from domain.organisation import Organisation
from projections.base import Projected, topics

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollup_units (
    id        text PRIMARY KEY,
    stream_id uuid NOT NULL UNIQUE,
    parent    text,
    path      text[] NOT NULL
);
CREATE INDEX IF NOT EXISTS rollup_units_parent ON rollup_units (parent);
-- Searched once per move: entries go straight into the index, not into a pending list
-- every search would have to scan.
CREATE INDEX IF NOT EXISTS rollup_units_path ON rollup_units USING gin (path)
    WITH (fastupdate = off);
CREATE TABLE IF NOT EXISTS rollup_assignments (
    id           uuid PRIMARY KEY,
    assignee     text NOT NULL,
    year         integer NOT NULL,
    field        text NOT NULL,
    kind         text NOT NULL,
    state        text NOT NULL,
    due_on       date NOT NULL,
    submitted_on date,
    returned     boolean NOT NULL
);
CREATE TABLE IF NOT EXISTS compliance_rollup (
    org    text NOT NULL,
    scope  text NOT NULL,
    year   integer NOT NULL,
    field  text NOT NULL,
    kind   text NOT NULL,
    state  text NOT NULL,
    due_on date NOT NULL,
    count  integer NOT NULL,
    PRIMARY KEY (org, scope, year, field, kind, state, due_on)
);
"""

SELF, SUBTREE = "self", "subtree"
OPEN, ON_TIME, LATE, GONE, RETURNED = "open", "done_on_time", "done_late", "gone", "returned"
NO_DATE = date(1900, 1, 1)
"""The due date kept for states that do not need one."""

_ORGANISATION = topics(Organisation, "Registered", "Moved")
_ASSIGNMENT = topics(
    Assignment,
    "Assigned",
    "Submitted",
    "Accepted",
    "FulfilledByDocument",
    "Returned",
    "DueDateExtended",
    "Waived",
    "Cancelled",
    "Transferred",
)


@dataclass(frozen=True)
class Tracked:
    """What the roll-up remembers of one assignment."""

    id: UUID
    assignee: str
    year: int
    field: str
    kind: str
    state: str
    due_on: date
    submitted_on: date | None
    returned: bool


Key = tuple[str, str, int, str, str, str, date]
"""A row of the roll-up: organisation, scope, year, field, kind, state, due date."""
Rest = tuple[int, str, str, str, date]
"""A key without its organisation and scope."""


class ComplianceRollup:
    name = "compliance_rollup"
    topics = _ORGANISATION | _ASSIGNMENT

    def schema(self) -> str:
        return SCHEMA

    def handles(self, topic: str) -> bool:
        return topic in self.topics

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        batch = _Batch(connection)
        await batch.load(events)
        for projected in events:
            await batch.apply(projected)
        await batch.flush()


class _Batch:
    """Deltas of one batch, accumulated in memory and written in three statements."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.paths: dict[str, list[str]] = {}
        self.new_units: dict[str, tuple[UUID, str | None]] = {}
        self.tracked: dict[UUID, Tracked] = {}
        self.changed: set[UUID] = set()
        self.deltas: defaultdict[tuple[str, str], Counter[Rest]] = defaultdict(Counter)
        """Per (organisation, scope): what this batch adds to each of its rows."""

    async def load(self, events: Sequence[Projected]) -> None:
        """The assignment states the batch will need and the paths of their assignees,
        of the units its events name and of the units it moves, in two queries."""
        units: set[str] = set()
        ids: set[UUID] = set()
        moved: set[UUID] = set()
        for projected in events:
            if projected.name.startswith("Assignment."):
                ids.add(projected.stream_id)
            elif projected.name == "Organisation.Moved":
                moved.add(projected.stream_id)
            for attribute in ("assignee", "to_unit", "parent"):
                value = getattr(projected.event, attribute, None)
                if isinstance(value, str):
                    units.add(value)
        for row in await self.connection.fetch(
            "SELECT * FROM rollup_assignments WHERE id = ANY($1)", list(ids)
        ):
            self.tracked[row["id"]] = Tracked(**dict(row))
            units.add(row["assignee"])
        for row in await self.connection.fetch(
            "SELECT id, path FROM rollup_units WHERE id = ANY($1) OR stream_id = ANY($2)",
            list(units),
            list(moved),
        ):
            self.paths[row["id"]] = list(row["path"])

    async def apply(self, projected: Projected) -> None:
        event, name = projected.event, projected.name
        if name == "Organisation.Registered":
            parent_path = await self.path(event.parent) if event.parent else []
            self.paths[event.slug] = [*parent_path, event.slug]
            self.new_units[event.slug] = (projected.stream_id, event.parent)
            return
        if name == "Organisation.Moved":
            await self.move(projected.stream_id, event.parent)
            return
        if name == "Assignment.Assigned":
            year = int(event.period[:4]) if event.period[:4].isdigit() else event.due_on.year
            await self.change(
                None,
                Tracked(
                    projected.stream_id,
                    event.assignee,
                    year,
                    event.field or "",
                    str(event.kind),
                    OPEN,
                    event.due_on,
                    None,
                    False,
                ),
            )
            return
        old = self.tracked[projected.stream_id]
        await self.change(old, _changed(old, name, event))

    async def change(self, old: Tracked | None, new: Tracked) -> None:
        """Move one assignment's contribution from its old state to its new one."""
        if old is not None:
            for key in self.keys(old, await self.path(old.assignee)):
                self.deltas[key[:2]][key[2:]] -= 1
        for key in self.keys(new, await self.path(new.assignee)):
            self.deltas[key[:2]][key[2:]] += 1
        self.tracked[new.id] = new
        self.changed.add(new.id)

    @staticmethod
    def keys(tracked: Tracked, path: Iterable[str]) -> list[Key]:
        if tracked.state == GONE:
            return []
        due = tracked.due_on if tracked.state == OPEN else NO_DATE
        base = (tracked.year, tracked.field, tracked.kind)
        states = [(tracked.state, due)] + ([(RETURNED, NO_DATE)] if tracked.returned else [])
        keys: list[Key] = [(tracked.assignee, SELF, *base, s, d) for s, d in states]
        keys += [(org, SUBTREE, *base, s, d) for org in path for s, d in states]
        return keys

    async def path(self, unit: str) -> list[str]:
        if unit not in self.paths:
            found = await self.connection.fetchval(
                "SELECT path FROM rollup_units WHERE id = $1", unit
            )
            self.paths[unit] = list(found) if found else [unit]
        return self.paths[unit]

    async def move(self, stream_id: UUID, parent: str) -> None:
        """Shift the unit's subtree counts — as stored, plus what this batch has added
        so far — from its old ancestors to its new ones; then rewrite the paths below
        it, in the table and in the paths this batch remembers."""
        await self._flush_units()
        rows = await self.connection.fetch(_SUBTREE_ROWS, stream_id, SUBTREE)
        unit = rows[0]["id"]
        old_path = await self.path(unit)
        new_path = [*(await self.path(parent)), unit]
        leaving = set(old_path[:-1]) - set(new_path[:-1])
        joining = set(new_path[:-1]) - set(old_path[:-1])
        totals = Counter(self.deltas.get((unit, SUBTREE), {}))
        for row in rows:
            if row["count"]:
                totals[(row["year"], row["field"], row["kind"], row["state"], row["due_on"])] += (
                    row["count"]
                )
        for rest, count in totals.items():
            for org in leaving:
                self.deltas[(org, SUBTREE)][rest] -= count
            for org in joining:
                self.deltas[(org, SUBTREE)][rest] += count
        for below in await self.connection.fetch(
            """
            UPDATE rollup_units SET path = $2::text[] || path[$3:],
                parent = CASE WHEN id = $1 THEN $4 ELSE parent END
            WHERE path @> ARRAY[$1::text]
            RETURNING id, path
            """,
            unit,
            new_path,
            len(old_path) + 1,
            parent,
        ):
            self.paths[below["id"]] = list(below["path"])

    async def _flush_units(self) -> None:
        if not self.new_units:
            return
        units = list(self.new_units)
        await self.connection.execute(
            """
            INSERT INTO rollup_units (id, stream_id, parent, path)
            SELECT u.id, u.stream_id, u.parent, string_to_array(u.path, '/')
            FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])
                AS u(id, stream_id, parent, path)
            """,
            units,
            [self.new_units[u][0] for u in units],
            [self.new_units[u][1] for u in units],
            ["/".join(self.paths[u]) for u in units],  # slugs never hold a slash
        )
        self.new_units.clear()

    async def flush(self) -> None:
        await self._flush_units()
        if self.changed:
            rows = [_row(self.tracked[i]) for i in self.changed]
            await self.connection.execute(
                """
                INSERT INTO rollup_assignments
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[],
                                     $6::text[], $7::date[], $8::date[], $9::bool[])
                ON CONFLICT (id) DO UPDATE SET assignee = EXCLUDED.assignee,
                    state = EXCLUDED.state, due_on = EXCLUDED.due_on,
                    submitted_on = EXCLUDED.submitted_on, returned = EXCLUDED.returned
                """,
                *(list(column) for column in zip(*rows, strict=True)),
            )
            self.changed.clear()
        deltas = [
            ((*place, *rest), delta)
            for place, counts in self.deltas.items()
            for rest, delta in counts.items()
            if delta
        ]
        if deltas:
            await self.connection.execute(
                """
                INSERT INTO compliance_rollup (org, scope, year, field, kind, state, due_on, count)
                SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[],
                                     $6::text[], $7::date[], $8::int[])
                ON CONFLICT (org, scope, year, field, kind, state, due_on)
                DO UPDATE SET count = compliance_rollup.count + EXCLUDED.count
                """,
                *(list(column) for column in zip(*(key for key, _ in deltas), strict=True)),
                [delta for _, delta in deltas],
            )
            await self.connection.execute(
                "DELETE FROM compliance_rollup WHERE count = 0 AND org = ANY($1::text[])",
                list({key[0] for key, _ in deltas}),
            )
        self.deltas.clear()


_SUBTREE_ROWS = """
SELECT u.id, r.year, r.field, r.kind, r.state, r.due_on, r.count
FROM rollup_units u
LEFT JOIN compliance_rollup r ON r.org = u.id AND r.scope = $2 AND r.count <> 0
WHERE u.stream_id = $1
"""
"""A unit (by stream) and its subtree rows: at least one row, with nulls when none."""


def _changed(old: Tracked, name: str, event: Any) -> Tracked:
    """The assignment's state after one of its events."""
    match name:
        case "Assignment.Submitted":
            return replace(old, submitted_on=event.submission.effective_on)
        case "Assignment.Accepted" | "Assignment.FulfilledByDocument":
            # An acceptance takes the pending submission, the last one sent.
            done = event.effective_on if name.endswith("Document") else old.submitted_on
            assert done is not None
            return replace(old, state=ON_TIME if done <= old.due_on else LATE)
        case "Assignment.Returned":
            return replace(old, returned=True)
        case "Assignment.DueDateExtended":
            return replace(old, due_on=event.due_on)
        case "Assignment.Waived" | "Assignment.Cancelled":
            return replace(old, state=GONE)
        case "Assignment.Transferred":
            return replace(old, assignee=event.to_unit)
    return old


def _row(t: Tracked) -> tuple[Any, ...]:
    return (t.id, t.assignee, t.year, t.field, t.kind, t.state, t.due_on, t.submitted_on,
            t.returned)  # fmt: skip


class Counts(msgspec.Struct, frozen=True):
    """The counts commissioners read; ``on_time_rate`` is done on time over everything
    that is done or already due (None while nothing is)."""

    assigned: int = 0
    done_on_time: int = 0
    done_late: int = 0
    open_in_time: int = 0
    open_overdue: int = 0
    returned: int = 0

    @property
    def on_time_rate(self) -> float | None:
        due = self.done_on_time + self.done_late + self.open_overdue
        return round(self.done_on_time / due, 4) if due else None


class UnitCompliance(msgspec.Struct, frozen=True):
    organization_id: str
    self: Counts
    subtree: Counts
    children: dict[str, Counts]
    """Each direct child's subtree counts."""


_COUNTS = """
SELECT org, scope,
       coalesce(sum(count) FILTER (WHERE state <> 'returned'), 0) AS assigned,
       coalesce(sum(count) FILTER (WHERE state = 'done_on_time'), 0) AS done_on_time,
       coalesce(sum(count) FILTER (WHERE state = 'done_late'), 0) AS done_late,
       coalesce(sum(count) FILTER (WHERE state = 'open' AND due_on >= $2), 0) AS open_in_time,
       coalesce(sum(count) FILTER (WHERE state = 'open' AND due_on < $2), 0) AS open_overdue,
       coalesce(sum(count) FILTER (WHERE state = 'returned'), 0) AS returned
FROM compliance_rollup
WHERE org = ANY($1::text[])
  AND ($3::int IS NULL OR year = $3) AND ($4::text IS NULL OR field = $4)
  AND ($5::text IS NULL OR kind = $5)
GROUP BY org, scope
"""


async def unit_compliance(
    connection: Any,
    unit: str,
    today: date,
    *,
    year: int | None = None,
    field: str | None = None,
    kind: str | None = None,
) -> UnitCompliance:
    """One unit and its direct children, in two indexed queries: O(children)."""
    children = [
        row["id"]
        for row in await connection.fetch(
            "SELECT id FROM rollup_units WHERE parent = $1 ORDER BY id", unit
        )
    ]
    found: dict[tuple[str, str], Counts] = {}
    for row in await connection.fetch(_COUNTS, [unit, *children], today, year, field, kind):
        found[(row["org"], row["scope"])] = Counts(*(int(row[i]) for i in range(2, 8)))
    return UnitCompliance(
        organization_id=unit,
        self=found.get((unit, SELF), Counts()),
        subtree=found.get((unit, SUBTREE), Counts()),
        children={child: found.get((child, SUBTREE), Counts()) for child in children},
    )
