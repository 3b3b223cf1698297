"""Assignments: a unit's list (itself or its subtree, by status or bucket), one
assignment with its submissions, and the lifecycle: acknowledge, submit, accept, return,
extend, waive, cancel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from adapters.http.api import ApiService, Body, Caller, MinPosition, visible_path
from adapters.http.pages import Limit, decode_key, encode_key
from adapters.http.problems import READ_PROBLEMS, WRITE_PROBLEMS, ApiProblem, FieldError
from adapters.http.writes import Sight, sight_of
from application import assignments as handle
from application.commands import (
    AcceptSubmission,
    AcknowledgeAssignment,
    CancelAssignment,
    ExtendDueDate,
    ReturnSubmission,
    SubmitReport,
    WaiveAssignment,
)
from application.results import AssignmentWritten
from domain.assignment import Assignment, Attachment, Bucket, Status
from domain.errors import NotFound
from domain.permissions import can_read
from projections.assignment_status import BUCKET


class AttachmentBody(Body, frozen=True, kw_only=True):
    name: str
    size: Annotated[int, msgspec.Meta(ge=0)]
    sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class NewSubmission(Body, frozen=True, kw_only=True):
    summary: str
    period: str | None = None
    document_number: str | None = None
    """The number of the report document, when it is one (``45-BC/BTGQU``)."""
    attachments: list[AttachmentBody] = msgspec.field(default_factory=list)
    figures: dict[str, Decimal] = msgspec.field(default_factory=dict)
    """Named figures of the report (``so_lop_tap_huan: 12``)."""
    effective_on: date | None = None
    """The date on the report, when entered after the fact; today by default."""


class Acceptance(Body, frozen=True, kw_only=True):
    note: str | None = None
    effective_on: date | None = None


class Reasoned(Body, frozen=True, kw_only=True):
    reason: str
    effective_on: date | None = None


class Extension(Body, frozen=True, kw_only=True):
    due_on: date
    reason: str
    effective_on: date | None = None


class Acknowledgement(Body, frozen=True, kw_only=True):
    effective_on: date | None = None


class AssignmentRow(msgspec.Struct, frozen=True):
    id: UUID
    task_id: UUID
    document_id: UUID
    issuer_id: str
    assignee_id: str
    kind: str
    title: str
    field: str | None
    period: str
    due_on: date
    assigned_on: date
    status: str
    bucket: str | None
    """done_on_time, done_late, open_in_time or open_overdue (judged today); null when
    waived or cancelled."""
    submitted_on: date | None
    accepted_on: date | None
    returns: int


class AssignmentPage(msgspec.Struct, frozen=True):
    assignments: list[AssignmentRow]
    next_after: str | None


class SubmissionView(msgspec.Struct, frozen=True):
    id: UUID
    effective_on: date
    submitted_by: str
    summary: str
    document_number: str | None
    position: int


class AssignmentView(AssignmentRow, frozen=True):
    submissions: list[SubmissionView]


# BUCKET names status, done_on and due_on unqualified: only assignment_status has them.
_COLUMNS = f"""a.id, a.task_id, a.document_id, a.issuer, a.assignee, a.kind, a.title, a.field,
a.period, a.due_on, a.assigned_on, a.status, ({BUCKET}) AS bucket, a.submitted_on,
a.accepted_on, a.returns"""

_LIST = f"""
SELECT {_COLUMNS}
FROM assignment_status a JOIN org_units o ON o.id = a.assignee
WHERE (CASE WHEN $3 THEN o.path @> ARRAY[$2::text] ELSE a.assignee = $2 END)
  AND ($4::text IS NULL OR a.status = $4)
  AND ($5::text IS NULL OR ({BUCKET}) = $5)
  AND ($6::date IS NULL OR a.due_on < $6)
  AND (a.due_on, a.id) > ($7::date, $8::uuid)
ORDER BY a.due_on, a.id
LIMIT $9
"""

_ONE = f"""
SELECT {_COLUMNS}, o.path AS assignee_path, i.path AS issuer_path
FROM assignment_status a JOIN org_units o ON o.id = a.assignee JOIN org_units i ON i.id = a.issuer
WHERE a.id = $2
"""

_STATUSES = {s.value for s in Status}
_BUCKETS = {b.value for b in Bucket}


def _status_filter(status: str | None) -> tuple[str | None, str | None]:
    if status is None or status in _STATUSES:
        return status, None
    if status in _BUCKETS:
        return None, status
    allowed = ", ".join(sorted(_STATUSES | _BUCKETS))
    raise ApiProblem(
        400,
        "invalid_request",
        f"status {status!r} is neither a status nor a bucket",
        errors=[FieldError("query.status", f"must be one of {allowed}")],
    )


def _sight(assignment_id: UUID) -> Sight:
    return sight_of(Assignment, assignment_id)


class AssignmentsController(Controller):
    path = "/api/v1"
    tags = ["assignments"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @get(
        "/organizations/{organization_id:str}/assignments",
        operation_id="listAssignments",
        summary="A unit's assignments (or its subtree's), soonest due first",
        responses=READ_PROBLEMS,
    )
    async def list_for(
        self,
        api: ApiService,
        actor: Caller,
        organization_id: FromPath[str],
        status: Annotated[
            str | None,
            QueryParameter(
                description="A status (assigned, acknowledged, submitted, returned, accepted, "
                "waived, cancelled) or a bucket (done_on_time, done_late, open_in_time, "
                "open_overdue — judged today)."
            ),
        ] = None,
        subtree: Annotated[
            bool, QueryParameter(description="Include every unit below it.")
        ] = False,
        due_before: Annotated[
            date | None, QueryParameter(description="Only those due before this date.")
        ] = None,
        after: FromQuery[str | None] = None,
        limit: Limit = 100,
        min_position: MinPosition = None,
    ) -> AssignmentPage:
        by_status, by_bucket = _status_filter(status)
        due, last_id = decode_key(after, date.min, UUID(int=0), date.fromisoformat, UUID)
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            await visible_path(connection, actor, organization_id)
            rows = await connection.fetch(
                _LIST,
                api.today(),
                organization_id,
                subtree,
                by_status,
                by_bucket,
                due_before,
                due,
                last_id,
                limit,
            )
        page = [AssignmentRow(*row) for row in rows]
        next_after = (
            encode_key(page[-1].due_on.isoformat(), page[-1].id) if len(page) == limit else None
        )
        return AssignmentPage(page, next_after)

    @get(
        "/assignments/{assignment_id:uuid}",
        operation_id="getAssignment",
        summary="One assignment with its submissions",
        responses=READ_PROBLEMS,
    )
    async def read(
        self,
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        min_position: MinPosition = None,
    ) -> AssignmentView:
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            row = await connection.fetchrow(_ONE, api.today(), assignment_id)
            if row is None or not (
                can_read(actor, row["assignee_path"]) or can_read(actor, row["issuer_path"])
            ):
                raise NotFound(f"no assignment {assignment_id}", code="assignment_not_found")
            submissions = await connection.fetch(
                "SELECT submission_id, effective_on, submitted_by, summary, document_number,"
                " position FROM assignment_submissions WHERE assignment_id = $1"
                " ORDER BY position",
                assignment_id,
            )
        summary = msgspec.structs.asdict(AssignmentRow(*row[:16]))
        return AssignmentView(**summary, submissions=[SubmissionView(*s) for s in submissions])

    @post(
        "/assignments/{assignment_id:uuid}/acknowledgement",
        status_code=200,
        operation_id="acknowledgeAssignment",
        summary="Acknowledge receipt (the assignee)",
        responses=WRITE_PROBLEMS,
    )
    async def acknowledge(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        data: JSONBody[Acknowledgement],
    ) -> Response[AssignmentWritten]:
        command = AcknowledgeAssignment(assignment_id=assignment_id, effective_on=data.effective_on)
        return await api.writer.run(
            request, actor, handle.acknowledge_assignment, command, sight=_sight(assignment_id)
        )

    @post(
        "/assignments/{assignment_id:uuid}/submissions",
        operation_id="submitReport",
        summary="Submit a report (the assignee)",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        data: JSONBody[NewSubmission],
    ) -> Response[AssignmentWritten]:
        """On time or late is judged on `effective_on` (the date on the report) once the
        submission is accepted."""
        command = SubmitReport(
            assignment_id=assignment_id,
            summary=data.summary,
            period=data.period,
            document_number=data.document_number,
            attachments=tuple(Attachment(a.name, a.size, a.sha256) for a in data.attachments),
            figures=data.figures,
            effective_on=data.effective_on,
        )
        return await api.writer.run(
            request, actor, handle.submit_report, command, sight=_sight(assignment_id), status=201
        )

    @post(
        "/assignments/{assignment_id:uuid}/acceptance",
        status_code=200,
        operation_id="acceptSubmission",
        summary="Accept the latest submission (the issuer)",
        responses=WRITE_PROBLEMS,
    )
    async def accept(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        data: JSONBody[Acceptance],
    ) -> Response[AssignmentWritten]:
        command = AcceptSubmission(
            assignment_id=assignment_id, note=data.note, effective_on=data.effective_on
        )
        return await api.writer.run(
            request, actor, handle.accept_submission, command, sight=_sight(assignment_id)
        )

    @post(
        "/assignments/{assignment_id:uuid}/return",
        status_code=200,
        operation_id="returnSubmission",
        summary="Return the latest submission for revision (the issuer)",
        responses=WRITE_PROBLEMS,
    )
    async def return_(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        data: JSONBody[Reasoned],
    ) -> Response[AssignmentWritten]:
        command = ReturnSubmission(
            assignment_id=assignment_id, reason=data.reason, effective_on=data.effective_on
        )
        return await api.writer.run(
            request, actor, handle.return_submission, command, sight=_sight(assignment_id)
        )

    @post(
        "/assignments/{assignment_id:uuid}/extension",
        status_code=200,
        operation_id="extendDueDate",
        summary="Extend the due date, with a reason (the issuer)",
        responses=WRITE_PROBLEMS,
    )
    async def extend(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        data: JSONBody[Extension],
    ) -> Response[AssignmentWritten]:
        command = ExtendDueDate(
            assignment_id=assignment_id,
            due_on=data.due_on,
            reason=data.reason,
            effective_on=data.effective_on,
        )
        return await api.writer.run(
            request, actor, handle.extend_due_date, command, sight=_sight(assignment_id)
        )

    @post(
        "/assignments/{assignment_id:uuid}/waiver",
        status_code=200,
        operation_id="waiveAssignment",
        summary="Waive the assignment, with a reason (the issuer)",
        responses=WRITE_PROBLEMS,
    )
    async def waive(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        data: JSONBody[Reasoned],
    ) -> Response[AssignmentWritten]:
        command = WaiveAssignment(
            assignment_id=assignment_id, reason=data.reason, effective_on=data.effective_on
        )
        return await api.writer.run(
            request, actor, handle.waive_assignment, command, sight=_sight(assignment_id)
        )

    @post(
        "/assignments/{assignment_id:uuid}/cancellation",
        status_code=200,
        operation_id="cancelAssignment",
        summary="Cancel the assignment, with a reason (the issuer)",
        responses=WRITE_PROBLEMS,
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        assignment_id: FromPath[UUID],
        data: JSONBody[Reasoned],
    ) -> Response[AssignmentWritten]:
        command = CancelAssignment(
            assignment_id=assignment_id, reason=data.reason, effective_on=data.effective_on
        )
        return await api.writer.run(
            request, actor, handle.cancel_assignment, command, sight=_sight(assignment_id)
        )
