"""The compliance roll-up: for every unit, its own counts and its whole subtree's, by
year, field and task kind — maintained incrementally, so that reading a unit and its
direct children costs O(children), never a scan of the subtree.

Each assignment contributes one to a *state* — open (kept with its due date, because
whether it is overdue depends on the day of the query), done on time, done late — for
its assignee's own row and for the subtree row of every unit on the assignee's path;
and one to *returned* once it has been returned.

Three tables hold the counts, each keyed for the read it serves:

* ``compliance_rollup`` — each unit's own counts by year, field, kind and state;
* ``compliance_subtree`` — each unit's subtree counts, the same way, keyed by the
  unit's *parent* first (``ROOT`` for none): a unit's children are one index range.
  Filtered reads sum these rows; a partial index finds a parent's open rows by due
  date;
* ``compliance_children`` — one row for every unit under its parent, whatever it
  holds: its subtree's open, done-on-time, done-late and returned counts over all
  years, fields and kinds. The unfiltered read — the dashboard's, the common one —
  takes each child's row as it is, plus the child's overdue rows (the open ones due
  before the day, few), and the rows themselves list the children.

Why: after the 2025 merger a province has up to ~2,500 direct children. Keyed by unit
alone, the read sent their names back as an array, probed the index once per child
and summed both scopes of every (year, field, kind, state, due date) row of each —
20 ms at the median, 40 ms at p95 for the provinces at scale 1. Under the parent they
are one range. For the largest province (2,493 children) the old read cost ~63 ms of
CPU (PostgreSQL and Python, on the shared VM); the filtered read now sums its ~6,500
rows by year, field and kind in ~16 ms, and the unfiltered one takes one row per
child, nothing to sum, in ~10 ms. That table adds one upsert row per place a batch
touches — the subtree deltas summed by state —, not one per event. Every text key
compares bytewise (``COLLATE "C"``: slugs, fields and kinds need no linguistic order),
which makes the upserts and the reads cheaper. No index carries the count: an update
then stays on its page (HOT) instead of adding index entries, which keeps the tables
compact even where autovacuum is off. Children are listed by slug in code point
order, as ``ORDER BY id`` listed them under the C and C.UTF-8 collations the
project's databases use.

An event moves an assignment's contribution from one state to another. The batch
first nets each unit's own changes (a report submitted and accepted in one batch is
one move from open to done), then spreads each unit's net change over its path: a few
rows per ancestor. A batch is written in one statement (the rows sent as JSON
documents, ``_json``), which answers the rows that came down to zero; a second
deletes them by ``ctid``. When a unit moves (a merger), its subtree counts — as stored
under its old parent, plus what this batch has added so far — leave the places on its
old path that are not on its new one and join the new ones; its own row changes key
with its parent, and its emptied row under the old parent goes. A batch makes its moves
in memory: it loads the paths of the units it moves and of every unit below them, and
their subtree counts, with the rest of what it needs, and writes the paths as they end
up once, with its rows. (A merger moves thousands of units; one statement each way per
move was most of the roll-up's round trips: rebuilding it alone over the 0.2 national
data set, 9,098 moves, took 18.1 s and 10.3 s of Python CPU, now 12.6 s and 5.5 s.)

The projection keeps its own copy of the paths and of each assignment's state, so it
never depends on another projection having caught up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any
from uuid import UUID

import msgspec

from domain.assignment import Assignment
from domain.organisation import Organisation
from projections.base import Projected, topics
from projections.paths import UnitPaths

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollup_units (
    id        text PRIMARY KEY,
    stream_id uuid NOT NULL UNIQUE,
    parent    text,
    path      text[] NOT NULL
);
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
    org    text COLLATE "C" NOT NULL,
    year   integer NOT NULL,
    field  text COLLATE "C" NOT NULL,
    kind   text COLLATE "C" NOT NULL,
    state  text COLLATE "C" NOT NULL,
    due_on date NOT NULL,
    count  integer NOT NULL,
    PRIMARY KEY (org, year, field, kind, state, due_on)
);
CREATE TABLE IF NOT EXISTS compliance_subtree (
    parent text COLLATE "C" NOT NULL,
    org    text COLLATE "C" NOT NULL,
    year   integer NOT NULL,
    field  text COLLATE "C" NOT NULL,
    kind   text COLLATE "C" NOT NULL,
    state  text COLLATE "C" NOT NULL,
    due_on date NOT NULL,
    count  integer NOT NULL,
    PRIMARY KEY (parent, org, year, field, kind, state, due_on)
);
-- The open rows by due date, for the overdue ones among a unit's children.
CREATE INDEX IF NOT EXISTS compliance_subtree_open ON compliance_subtree (parent, due_on)
    WHERE state = 'open';
CREATE TABLE IF NOT EXISTS compliance_children (
    parent       text COLLATE "C" NOT NULL,
    org          text COLLATE "C" NOT NULL,
    open         integer NOT NULL,
    done_on_time integer NOT NULL,
    done_late    integer NOT NULL,
    returned     integer NOT NULL,
    PRIMARY KEY (parent, org)
);
"""

OPEN, ON_TIME, LATE, GONE, RETURNED = "open", "done_on_time", "done_late", "gone", "returned"
NO_DATE = date(1900, 1, 1)
"""The due date kept for states that do not need one."""
ROOT = ""
"""The parent under which a unit without one keeps its subtree row."""

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
_UNIT_NAMED = {
    "Organisation.Registered": "parent",
    "Organisation.Moved": "parent",
    "Assignment.Assigned": "assignee",
    "Assignment.Transferred": "to_unit",
}
"""The attribute naming a unit whose path the event needs, by event."""


class Tracked(msgspec.Struct, frozen=True, array_like=True):
    """What the roll-up remembers of one assignment: a ``rollup_assignments`` row, its
    columns in order (and so a JSON array, for ``_json``)."""

    id: UUID
    assignee: str
    year: int
    field: str
    kind: str
    state: str
    due_on: date
    submitted_on: date | None
    returned: bool

    def rests(self) -> tuple[Rest, ...]:
        """The rows it counts in, without their place: none once waived or cancelled."""
        if self.state == GONE:
            return ()
        due = self.due_on if self.state == OPEN else NO_DATE
        counted = (self.year, self.field, self.kind, self.state, due)
        if self.returned:
            return (counted, (self.year, self.field, self.kind, RETURNED, NO_DATE))
        return (counted,)


Rest = tuple[int, str, str, str, date]
"""A row of the roll-up without its place: year, field, kind, state, due date."""
Place = tuple[str, str]
"""Where a subtree row sits: the unit's parent (``ROOT`` for none) and the unit."""
Deltas = dict[Rest, int]


class ComplianceRollup:
    name = "compliance_rollup"
    revision = 1
    topics = _ORGANISATION | _ASSIGNMENT

    def schema(self) -> str:
        return SCHEMA

    def handles(self, topic: str) -> bool:
        return topic in self.topics

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        batch = _Batch(connection)
        await batch.load(events)
        for projected in events:
            name = projected.name
            if name == "Organisation.Registered":
                await batch.register(projected)
            elif name == "Organisation.Moved":
                await batch.move(projected.stream_id, projected.event.parent)
            else:
                batch.assignment(projected, name)
        await batch.flush()


class _Batch:
    """Deltas of one batch, accumulated in memory and written in a few statements."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.paths = UnitPaths({})
        self.new_units: dict[str, UUID] = {}
        """Units registered in this batch, with their streams."""
        self.parents: dict[str, str | None] = {}
        """The parents of the units registered or moved in this batch."""
        self.repathed: set[str] = set()
        """Units of the table whose paths this batch's moves changed."""
        self.unit_of_stream: dict[UUID, str] = {}
        """The units this batch moves or registers, by stream."""
        self.stored: dict[str, Deltas] = {}
        """Each moved unit's subtree counts as the table holds them under its parent,
        until its first move in the batch takes them along."""
        self.tracked: dict[UUID, Tracked] = {}
        self.changed: set[UUID] = set()
        self.pending: defaultdict[str, Deltas] = defaultdict(dict)
        """Per assignee: the net change of its own rows not yet spread over its path."""
        self.own: defaultdict[str, Deltas] = defaultdict(dict)
        self.subtree: defaultdict[Place, Deltas] = defaultdict(dict)
        self.placed: set[str] = set()
        """Units registered or moved: each has its row in ``compliance_children``."""
        self.left: set[Place] = set()
        """Where units were before they moved: their emptied rows go."""

    async def load(self, events: Sequence[Projected]) -> None:
        """The assignment states the batch will need; the paths of their assignees, of
        the units its events name and of the units it moves and everything below them
        (so that the batch's moves can be made in memory); and the subtree counts of
        the units it moves: three queries."""
        units: set[str] = set()
        ids: set[UUID] = set()
        moved: set[UUID] = set()
        for projected in events:
            name = projected.name
            if name == "Organisation.Moved":
                moved.add(projected.stream_id)
            elif name.startswith("Assignment.") and name != "Assignment.Assigned":
                ids.add(projected.stream_id)
            attribute = _UNIT_NAMED.get(name)
            if attribute is not None and (unit := getattr(projected.event, attribute)):
                units.add(unit)
        for row in await self.connection.fetch(_TRACKED, list(ids)):
            self.tracked[row[0]] = Tracked(*row)
            units.add(row[1])
        for row in await self.connection.fetch(_PATHS, list(units), list(moved)):
            self.paths.set(row[0], list(row[1]))
        if moved:
            for stream_id, unit, *rest, count in await self.connection.fetch(
                _MOVED_ROWS, list(moved), ROOT
            ):
                self.unit_of_stream[stream_id] = unit
                counts = self.stored.setdefault(unit, {})
                if count:
                    counts[tuple(rest)] = count

    async def register(self, projected: Projected) -> None:
        event = projected.event
        parent_path = await self.path(event.parent) if event.parent else []
        self.paths.set(event.slug, [*parent_path, event.slug])
        self.new_units[event.slug] = projected.stream_id
        self.parents[event.slug] = event.parent
        self.unit_of_stream[projected.stream_id] = event.slug
        self.placed.add(event.slug)

    def assignment(self, projected: Projected, name: str) -> None:
        """Move one assignment's contribution from its old state to its new one."""
        event = projected.event
        if name == "Assignment.Assigned":
            old = None
            year = int(event.period[:4]) if event.period[:4].isdigit() else event.due_on.year
            new = Tracked(
                projected.stream_id,
                event.assignee,
                year,
                event.field or "",
                str(event.kind),
                OPEN,
                event.due_on,
                None,
                False,
            )
        else:
            old = self.tracked[projected.stream_id]
            new = _changed(old, name, event)
            _add(self.pending[old.assignee], old.rests(), -1)
        _add(self.pending[new.assignee], new.rests(), 1)
        self.tracked[new.id] = new
        self.changed.add(new.id)

    async def spread(self) -> None:
        """Add each assignee's pending change to its own rows and to the subtree rows
        of every unit on its path (the paths as they stand now)."""
        for unit, deltas in self.pending.items():
            net = {rest: delta for rest, delta in deltas.items() if delta}
            if not net:
                continue
            _merge(self.own[unit], net)
            for place in _places(await self.path(unit)):
                _merge(self.subtree[place], net)
        self.pending.clear()

    async def path(self, unit: str) -> list[str]:
        """The unit's path as it stands at this point of the batch. One not loaded is
        read from the table, which is right: the batch moves only loaded units and the
        units below them, all loaded too."""
        known = self.paths.get(unit)
        if known is None:
            found = await self.connection.fetchval(
                "SELECT path FROM rollup_units WHERE id = $1", unit
            )
            known = list(found) if found else [unit]
            self.paths.set(unit, known)
        return known

    async def move(self, stream_id: UUID, parent: str) -> None:
        """Shift the unit's subtree counts — as stored, plus what this batch has added
        so far — from the places on its old path to those on its new one; then give it
        and the units below it their new paths (written to the table with the batch)."""
        await self.spread()
        unit = self.unit_of_stream[stream_id]
        old_path = await self.path(unit)
        new_path = [*(await self.path(parent)), unit]
        old_places, new_places = set(_places(old_path)), set(_places(new_path))
        totals = dict(self.subtree.get(_places(old_path)[-1], {}))
        _add_counts(totals, self.stored.pop(unit, {}), 1)
        for place in old_places - new_places:
            _add_counts(self.subtree[place], totals, -1)
        for place in new_places - old_places:
            _add_counts(self.subtree[place], totals, 1)
        self.left.add(_places(old_path)[-1])
        self.placed.add(unit)
        self.parents[unit] = parent
        self.repathed.update(self.paths.move(unit, new_path[:-1]))

    async def _write_units(self) -> None:
        """The units registered in this batch, and the new paths (and parents) of those
        its moves changed, as they stand at its end."""
        new = list(self.new_units)
        if new:
            await self.connection.execute(
                """
                INSERT INTO rollup_units (id, stream_id, parent, path)
                SELECT u.id, u.stream_id, u.parent, string_to_array(u.path, '/')
                FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])
                    AS u(id, stream_id, parent, path)
                """,
                new,
                [self.new_units[u] for u in new],
                [self.parents[u] for u in new],
                [self._stored_path(u) for u in new],
            )
        changed = [u for u in self.repathed if u not in self.new_units]
        if changed:
            await self.connection.execute(
                """
                UPDATE rollup_units AS u
                SET path = string_to_array(x.path, '/'), parent = coalesce(x.parent, u.parent)
                FROM unnest($1::text[], $2::text[], $3::text[]) AS x(id, parent, path)
                WHERE u.id = x.id
                """,
                changed,
                [self.parents.get(u) for u in changed],
                [self._stored_path(u) for u in changed],
            )

    def _stored_path(self, unit: str) -> str:
        """The unit's path as it ends the batch, for ``string_to_array(path, '/')``:
        slugs hold no slash."""
        return "/".join(self.paths.get(unit) or [unit])

    async def flush(self) -> None:
        """Write the batch in one statement (the assignments, then each table's
        deltas), then delete in another the rows that came down to nothing."""
        await self._write_units()
        await self.spread()
        own = [
            (org, *rest, delta)
            for org, deltas in self.own.items()
            for rest, delta in _nonzero(deltas)
        ]
        subtree = [
            (*place, *rest, delta)
            for place, deltas in self.subtree.items()
            for rest, delta in _nonzero(deltas)
        ]
        placed = {_places(self.paths.get(unit) or [unit])[-1] for unit in self.placed}
        left = self.left - placed
        emptied = await self.connection.fetch(
            _WRITE,
            _json(self.tracked[i] for i in self.changed),
            _json(own),
            _json(subtree),
            _json(_children(subtree, placed | left)),
        )
        drop: dict[str, list[Any]] = {"own": [], "subtree": [], "children": []}
        for table, ctid, parent, org in emptied:
            if table != "children" or (parent, org) in left:
                drop[table].append(ctid)
        if any(drop.values()):
            await self.connection.execute(_DROP, drop["own"], drop["subtree"], drop["children"])


_TRACKED = """
SELECT id, assignee, year, field, kind, state, due_on, submitted_on, returned
FROM rollup_assignments WHERE id = ANY($1)
"""

_COLUMN = {OPEN: 0, ON_TIME: 1, LATE: 2, RETURNED: 3}
"""Where a state counts in a ``compliance_children`` row."""

_WRITE = """
WITH assignments AS (
    INSERT INTO rollup_assignments
    SELECT (r->>0)::uuid, r->>1, (r->>2)::int, r->>3, r->>4, r->>5, (r->>6)::date,
           (r->>7)::date, (r->>8)::boolean
    FROM jsonb_array_elements($1::jsonb) AS r
    ON CONFLICT (id) DO UPDATE SET assignee = EXCLUDED.assignee,
        state = EXCLUDED.state, due_on = EXCLUDED.due_on,
        submitted_on = EXCLUDED.submitted_on, returned = EXCLUDED.returned
),
own AS (
    INSERT INTO compliance_rollup AS t (org, year, field, kind, state, due_on, count)
    SELECT r->>0, (r->>1)::int, r->>2, r->>3, r->>4, (r->>5)::date, (r->>6)::int
    FROM jsonb_array_elements($2::jsonb) AS r
    ON CONFLICT (org, year, field, kind, state, due_on)
    DO UPDATE SET count = t.count + EXCLUDED.count
    RETURNING ctid, count
),
subtree AS (
    INSERT INTO compliance_subtree AS t (parent, org, year, field, kind, state, due_on, count)
    SELECT r->>0, r->>1, (r->>2)::int, r->>3, r->>4, r->>5, (r->>6)::date, (r->>7)::int
    FROM jsonb_array_elements($3::jsonb) AS r
    ON CONFLICT (parent, org, year, field, kind, state, due_on)
    DO UPDATE SET count = t.count + EXCLUDED.count
    RETURNING ctid, count
),
children AS (
    INSERT INTO compliance_children AS c (parent, org, open, done_on_time, done_late, returned)
    SELECT r->>0, r->>1, (r->>2)::int, (r->>3)::int, (r->>4)::int, (r->>5)::int
    FROM jsonb_array_elements($4::jsonb) AS r
    ON CONFLICT (parent, org) DO UPDATE SET
        open = c.open + EXCLUDED.open,
        done_on_time = c.done_on_time + EXCLUDED.done_on_time,
        done_late = c.done_late + EXCLUDED.done_late,
        returned = c.returned + EXCLUDED.returned
    RETURNING ctid, parent, org, open + done_on_time + done_late + returned AS count
)
SELECT 'own', ctid, NULL, NULL FROM own WHERE count = 0
UNION ALL
SELECT 'subtree', ctid, NULL, NULL FROM subtree WHERE count = 0
UNION ALL
SELECT 'children', ctid, parent, org FROM children WHERE count = 0
"""
"""A batch's rows, each table's deltas added in one statement; it answers the rows that
came down to nothing (``ctid`` and, for ``compliance_children``, the place)."""

_DROP = """
WITH own AS (DELETE FROM compliance_rollup WHERE ctid = ANY($1::tid[])),
     subtree AS (DELETE FROM compliance_subtree WHERE ctid = ANY($2::tid[]))
DELETE FROM compliance_children WHERE ctid = ANY($3::tid[])
"""
"""The rows a batch emptied, found where they are rather than searched by key: zero
counts, and the rows of places their units left."""

_PATHS = """
SELECT id, path FROM rollup_units
WHERE id = ANY($1)
   OR path && (SELECT coalesce(array_agg(id), '{}') FROM rollup_units WHERE stream_id = ANY($2))
"""
"""The paths of the units named ($1), and of the units moved (by stream, $2) and of
every unit below them."""

_MOVED_ROWS = """
SELECT u.stream_id, u.id, r.year, r.field, r.kind, r.state, r.due_on, r.count
FROM rollup_units u
LEFT JOIN compliance_subtree r ON r.parent = coalesce(u.parent, $2) AND r.org = u.id
WHERE u.stream_id = ANY($1)
"""
"""Each unit moved (by stream) and its subtree rows under its parent: at least one row
each, with nulls when it has none."""


def _places(path: Sequence[str]) -> list[Place]:
    """The subtree rows a unit's change counts in: every unit on its path, each under
    its own parent."""
    return list(zip([ROOT, *path[:-1]], path, strict=True))


def _children(subtree: list[tuple[Any, ...]], places: set[Place]) -> list[tuple[Any, ...]]:
    """The ``compliance_children`` deltas: each place's subtree deltas summed by state,
    and a row for each of ``places`` even without any — the units placed in this batch
    (each has a row, if an empty one) and the places units left (emptied, they go)."""
    sums = {place: [0, 0, 0, 0] for place in places}
    for parent, org, _, _, _, state, _, delta in subtree:
        sums.setdefault((parent, org), [0, 0, 0, 0])[_COLUMN[state]] += delta
    return [(*place, *deltas) for place, deltas in sums.items() if any(deltas) or place in places]


def _add(deltas: Deltas, rests: Iterable[Rest], delta: int) -> None:
    for rest in rests:
        deltas[rest] = deltas.get(rest, 0) + delta


def _merge(deltas: Deltas, more: Deltas) -> None:
    for rest, delta in more.items():
        deltas[rest] = deltas.get(rest, 0) + delta


def _add_counts(deltas: Deltas, counts: Deltas, sign: int) -> None:
    for rest, count in counts.items():
        deltas[rest] = deltas.get(rest, 0) + sign * count


def _nonzero(deltas: Deltas) -> list[tuple[Rest, int]]:
    return [(rest, delta) for rest, delta in deltas.items() if delta]


def _json(rows: Iterable[Any]) -> str:
    """Rows for ``jsonb_array_elements``: one JSON array of arrays. asyncpg checks every
    element of an array parameter against ``collections.abc`` types (~0.5 µs each, tens
    of thousands a batch as ``unnest`` columns); msgspec writes the same rows as one
    document in about a tenth of that, and PostgreSQL unpacks it as fast."""
    return msgspec.json.encode(list(rows)).decode()


def _changed(old: Tracked, name: str, event: Any) -> Tracked:
    """The assignment's state after one of its events."""
    replace = msgspec.structs.replace
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


_SUMS = """
       coalesce(sum(count) FILTER (WHERE state <> 'returned'), 0) AS assigned,
       coalesce(sum(count) FILTER (WHERE state = 'done_on_time'), 0) AS done_on_time,
       coalesce(sum(count) FILTER (WHERE state = 'done_late'), 0) AS done_late,
       coalesce(sum(count) FILTER (WHERE state = 'open' AND due_on >= $2), 0) AS open_in_time,
       coalesce(sum(count) FILTER (WHERE state = 'open' AND due_on < $2), 0) AS open_overdue,
       coalesce(sum(count) FILTER (WHERE state = 'returned'), 0) AS returned"""
_FILTERS = """
  AND ($3::int IS NULL OR year = $3) AND ($4::text IS NULL OR field = $4)
  AND ($5::text IS NULL OR kind = $5)"""


def _unit_counts(filters: str = "") -> str:
    """The unit's own counts and its subtree's, from its few rows."""
    return f"""
SELECT 'self' AS scope, {_SUMS} FROM compliance_rollup WHERE org = $1 {filters}
UNION ALL
SELECT 'subtree', {_SUMS} FROM compliance_subtree
WHERE parent = (SELECT coalesce(parent, '{ROOT}') FROM rollup_units WHERE id = $1)
  AND org = $1 {filters}
"""


_UNIT = _unit_counts()
_UNIT_FILTERED = _unit_counts(_FILTERS)

_CHILDREN = """
SELECT c.org, c.open + c.done_on_time + c.done_late AS assigned, c.done_on_time,
       c.done_late, c.open - coalesce(o.overdue, 0) AS open_in_time,
       coalesce(o.overdue, 0) AS open_overdue, c.returned
FROM compliance_children c
LEFT JOIN (
    SELECT org, sum(count)::int AS overdue FROM compliance_subtree
    WHERE parent = $1 AND state = 'open' AND due_on < $2
    GROUP BY org
) o ON o.org = c.org
WHERE c.parent = $1
"""
"""Every child's subtree counts: its one row, and its overdue rows (few: the open ones
due before the day, found through the partial index)."""

_CHILDREN_FILTERED = f"""
SELECT c.org, s.assigned, s.done_on_time, s.done_late, s.open_in_time, s.open_overdue,
       s.returned
FROM compliance_children c
LEFT JOIN (
    SELECT org AS child, {_SUMS} FROM compliance_subtree WHERE parent = $1 {_FILTERS}
    GROUP BY org
) s ON s.child = c.org
WHERE c.parent = $1
"""
"""Every child's subtree counts by its rows of the year, field and kind asked (nulls
for a child with none)."""

_NOTHING = Counts()


async def unit_compliance(
    connection: Any,
    unit: str,
    today: date,
    *,
    year: int | None = None,
    field: str | None = None,
    kind: str | None = None,
) -> UnitCompliance:
    """One unit and its direct children: O(children), in two queries. Without a filter
    (the common dashboard read) each child is one row of ``compliance_children``;
    with one, its rows of ``compliance_subtree`` are summed."""
    if year is None and field is None and kind is None:
        unit_rows = await connection.fetch(_UNIT, unit, today)
        child_rows = await connection.fetch(_CHILDREN, unit, today)
    else:
        filters = (today, year, field, kind)
        unit_rows = await connection.fetch(_UNIT_FILTERED, unit, *filters)
        child_rows = await connection.fetch(_CHILDREN_FILTERED, unit, *filters)
    found = {row[0]: Counts(*row[1:]) for row in unit_rows}
    # By code point: the order of ``ORDER BY id`` under the C and C.UTF-8 collations,
    # sorted here in a fraction of what PostgreSQL's sort took.
    child_rows.sort(key=itemgetter(0))
    return UnitCompliance(
        organization_id=unit,
        self=found["self"],
        subtree=found["subtree"],
        children={row[0]: _NOTHING if row[1] is None else Counts(*row[1:]) for row in child_rows},
    )
