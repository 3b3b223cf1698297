"""One row per assignment — task, document, kind, field, period, assignee, due date,
submitted and accepted dates, returns — and its submissions. The status bucket is not
stored: whether an open assignment is overdue depends on the day it is asked, so
queries judge it against the clock (``BUCKET``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.assignment import Assignment
from projections.base import Projected, Statement, StatementProjection, topics

SCHEMA = """
CREATE TABLE IF NOT EXISTS assignment_status (
    id                uuid PRIMARY KEY,
    task_id           uuid NOT NULL,
    document_id       uuid NOT NULL,
    issuer            text NOT NULL,
    assignee          text NOT NULL,
    original_assignee text NOT NULL,
    kind              text NOT NULL,
    title             text NOT NULL,
    field             text,
    period            text NOT NULL,
    year              integer,
    due_on            date NOT NULL,
    assigned_on       date NOT NULL,
    status            text NOT NULL,
    submitted_on      date,
    accepted_on       date,
    done_on           date,
    returns           integer NOT NULL DEFAULT 0,
    marked_overdue    boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS assignment_status_assignee ON assignment_status (assignee, due_on);
CREATE INDEX IF NOT EXISTS assignment_status_issuer ON assignment_status (issuer);
CREATE INDEX IF NOT EXISTS assignment_status_document ON assignment_status (document_id);
CREATE TABLE IF NOT EXISTS assignment_submissions (
    submission_id   uuid PRIMARY KEY,
    assignment_id   uuid NOT NULL,
    effective_on    date NOT NULL,
    submitted_by    text NOT NULL,
    summary         text NOT NULL,
    document_number text,
    position        bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS assignment_submissions_assignment
    ON assignment_submissions (assignment_id);
"""

BUCKET = """
CASE
    WHEN status = 'accepted' AND done_on <= due_on THEN 'done_on_time'
    WHEN status = 'accepted' THEN 'done_late'
    WHEN status IN ('waived', 'cancelled') THEN NULL
    WHEN due_on < $1::date THEN 'open_overdue'
    ELSE 'open_in_time'
END
"""
"""SQL for the bucket of a row on the day bound to ``$1``."""

# Each statement is written over arrays, one element per assignment: a batch's run of
# one (every stream's first statement, then every stream's second, ...) is a single
# statement (``StatementProjection.in_bulk``).
_ASSIGNED = """
INSERT INTO assignment_status (id, task_id, document_id, issuer, assignee, original_assignee,
    kind, title, field, period, year, due_on, assigned_on, status)
SELECT id, task_id, document_id, issuer, assignee, assignee, kind, title, field, period,
    substring(period from '^[0-9]{4}')::integer, due_on, assigned_on, 'assigned'
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::date[], $11::date[])
    AS a(id, task_id, document_id, issuer, assignee, kind, title, field, period, due_on,
         assigned_on)
"""
_STATUS = """
UPDATE assignment_status s SET status = a.status
FROM unnest($1::uuid[], $2::text[]) AS a(id, status) WHERE s.id = a.id
"""
_SUBMISSION = """
INSERT INTO assignment_submissions
    (submission_id, assignment_id, effective_on, submitted_by, summary, document_number, position)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::text[], $5::text[], $6::text[],
                     $7::bigint[])
"""
_SUBMITTED = """
UPDATE assignment_status s SET status = 'submitted', submitted_on = a.submitted_on
FROM unnest($1::uuid[], $2::date[]) AS a(id, submitted_on) WHERE s.id = a.id
"""
_ACCEPTED = """
UPDATE assignment_status s SET status = 'accepted', accepted_on = a.accepted_on,
    done_on = coalesce(
        (SELECT effective_on FROM assignment_submissions WHERE submission_id = a.submission),
        a.accepted_on)
FROM unnest($1::uuid[], $2::date[], $3::uuid[]) AS a(id, accepted_on, submission)
WHERE s.id = a.id
"""
_RETURNED = """
UPDATE assignment_status s SET status = 'returned', returns = s.returns + 1
FROM unnest($1::uuid[]) AS a(id) WHERE s.id = a.id
"""
_EXTENDED = """
UPDATE assignment_status s SET due_on = a.due_on, marked_overdue = false
FROM unnest($1::uuid[], $2::date[]) AS a(id, due_on) WHERE s.id = a.id
"""
_TRANSFERRED = """
UPDATE assignment_status s SET assignee = a.assignee
FROM unnest($1::uuid[], $2::text[]) AS a(id, assignee) WHERE s.id = a.id
"""
_OVERDUE = """
UPDATE assignment_status s SET marked_overdue = true
FROM unnest($1::uuid[]) AS a(id) WHERE s.id = a.id
"""

_TOPICS = topics(
    Assignment,
    "Assigned",
    "Acknowledged",
    "Submitted",
    "Accepted",
    "FulfilledByDocument",
    "Returned",
    "DueDateExtended",
    "Waived",
    "Cancelled",
    "Transferred",
    "MarkedOverdue",
)


def _statements(projected: Projected) -> list[Statement]:
    e, aid = projected.event, projected.stream_id
    match projected.name:
        case "Assignment.Assigned":
            return [
                (
                    _ASSIGNED,
                    (
                        aid,
                        e.task_id,
                        e.document_id,
                        e.issuer,
                        e.assignee,
                        str(e.kind),
                        e.title,
                        e.field,
                        e.period,
                        e.due_on,
                        e.effective_on,
                    ),
                )
            ]
        case "Assignment.Acknowledged":
            return [(_STATUS, (aid, "acknowledged"))]
        case "Assignment.Submitted":
            s = e.submission
            return [
                (
                    _SUBMISSION,
                    (
                        s.submission_id,
                        aid,
                        s.effective_on,
                        s.submitted_by,
                        s.summary,
                        s.document_number,
                        projected.position,
                    ),
                ),
                (_SUBMITTED, (aid, s.effective_on)),
            ]
        case "Assignment.Accepted":
            return [(_ACCEPTED, (aid, e.effective_on, e.submission_id))]
        case "Assignment.FulfilledByDocument":
            return [(_ACCEPTED, (aid, e.effective_on, None))]
        case "Assignment.Returned":
            return [(_RETURNED, (aid,))]
        case "Assignment.DueDateExtended":
            return [(_EXTENDED, (aid, e.due_on))]
        case "Assignment.Waived":
            return [(_STATUS, (aid, "waived"))]
        case "Assignment.Cancelled":
            return [(_STATUS, (aid, "cancelled"))]
        case "Assignment.Transferred":
            return [(_TRANSFERRED, (aid, e.to_unit))]
        case "Assignment.MarkedOverdue":
            return [(_OVERDUE, (aid,))]
    return []


async def buckets(connection: Any, today: date, **where: str) -> dict[str, int]:
    """Counts by bucket on ``today`` for rows matching ``where`` (e.g. assignee=...)."""
    conditions = " AND ".join(f"{column} = ${i}" for i, column in enumerate(where, 2)) or "true"
    rows = await connection.fetch(
        f"SELECT {BUCKET} AS bucket, count(*) FROM assignment_status WHERE {conditions} GROUP BY 1",
        today,
        *where.values(),
    )
    return {row["bucket"]: row["count"] for row in rows if row["bucket"] is not None}


class AssignmentStatus(StatementProjection):
    name = "assignment_status"
    streams_apart = True
    in_bulk = frozenset(
        {
            _ASSIGNED,
            _STATUS,
            _SUBMISSION,
            _SUBMITTED,
            _ACCEPTED,
            _RETURNED,
            _EXTENDED,
            _TRANSFERRED,
            _OVERDUE,
        }
    )
    tables = SCHEMA
    topics = _TOPICS

    def statements(self, projected: Projected) -> list[Statement]:
        return _statements(projected)
