"""Documents: issue one with its tasks (creating every assignment), read it, find it, and
follow its cascade of implementing documents down the tree."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from adapters.http.api import ApiService, Body, Caller, MinPosition
from adapters.http.pages import Limit, decode_key, encode_key
from adapters.http.problems import READ_PROBLEMS, WRITE_PROBLEMS
from adapters.http.writes import sight_of_units
from adapters.store.database import Connection
from application.commands import IssueDocument, TaskInput
from application.documents import issue_document
from application.results import DocumentIssued
from domain.calendar import Recurrence
from domain.document import Recipient
from domain.errors import NotFound
from domain.organisation import Kind
from domain.permissions import Actor
from domain.task import Review, ReviewKind, TaskKind
from projections.cascade import CascadeNode, Missing, document_cascade


class ReviewBody(Body, frozen=True, kw_only=True):
    kind: ReviewKind
    years: int


class NewTask(Body, frozen=True, kw_only=True):
    kind: TaskKind
    title: str
    field: str | None = None
    resolution: str | None = None
    """The resolution or directive the task carries out (``29-NQ/TW``)."""
    review: ReviewBody | None = None
    due_on: date | None = None
    """A one-off task's due date; give this or ``recurrence``."""
    recurrence: Recurrence | None = None
    due_days_after_period: int = 10
    due_day_of_last_month: int | None = None
    period: str | None = None
    assignee_ids: list[str] = msgspec.field(default_factory=list)
    assignee_kinds: list[Kind] = msgspec.field(default_factory=list)
    """Instead of naming units: every unit of these kinds directly below the issuer."""


class RecipientBody(Body, frozen=True, kw_only=True):
    name: str
    organization_id: str | None = None
    for_reporting: bool = False
    """The line carries "(b/c)": the document is reported up to this recipient."""


class NewDocument(Body, frozen=True, kw_only=True):
    number: str
    """``102-HD/BTGTU``: number, type and issuer code."""
    title: str
    issued_on: date
    issuer_id: str
    term: str | None = None
    plan_year: int | None = None
    place: str | None = None
    signer: str | None = None
    fields: list[str] = msgspec.field(default_factory=list)
    implements: UUID | None = None
    """The parent document this one carries out (``Thực hiện Hướng dẫn số ...``)."""
    references: list[str] = msgspec.field(default_factory=list)
    recipients: list[RecipientBody] = msgspec.field(default_factory=list)
    tasks: list[NewTask] = msgspec.field(default_factory=list)

    def command(self) -> IssueDocument:
        return IssueDocument(
            number=self.number,
            title=self.title,
            issuer_id=self.issuer_id,
            effective_on=self.issued_on,
            term=self.term,
            plan_year=self.plan_year,
            place=self.place,
            signer=self.signer,
            fields=tuple(self.fields),
            recipients=tuple(
                Recipient(r.name, r.organization_id, r.for_reporting) for r in self.recipients
            ),
            implements=self.implements,
            references=tuple(self.references),
            tasks=tuple(_task(t) for t in self.tasks),
        )


def _task(task: NewTask) -> TaskInput:
    return TaskInput(
        kind=task.kind,
        title=task.title,
        field=task.field,
        resolution=task.resolution,
        review=Review(task.review.kind, task.review.years) if task.review else None,
        due_on=task.due_on,
        recurrence=task.recurrence,
        due_days_after_period=task.due_days_after_period,
        due_day_of_last_month=task.due_day_of_last_month,
        period=task.period,
        assignee_ids=tuple(task.assignee_ids),
        assignee_kinds=tuple(task.assignee_kinds),
    )


class AssignmentSummary(msgspec.Struct, frozen=True):
    id: UUID
    assignee_id: str
    period: str
    due_on: date
    status: str


class TaskSummary(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    title: str
    field: str | None
    assignments: list[AssignmentSummary]


class DocumentSummary(msgspec.Struct, frozen=True):
    id: UUID
    number: str
    type: str
    term: str
    issuer_id: str
    title: str
    issued_on: date
    plan_year: int
    implements: UUID | None
    status: str


class DocumentView(DocumentSummary, frozen=True):
    tasks: list[TaskSummary]
    """Tasks with the assignments the caller may see (all of them for the issuer's
    subtree; a unit addressed from above sees its own subtree's)."""


class DocumentPage(msgspec.Struct, frozen=True):
    documents: list[DocumentSummary]
    next_after: str | None
    """Pass as ``after`` for the next page; null on the last page."""


class CascadeView(msgspec.Struct, frozen=True):
    document_id: UUID
    as_of: date
    documents: list[CascadeNode]
    """The document (depth 0) and the documents implementing it, level by level, with
    each one's lag in days behind its parent."""
    missing: list[Missing]
    """Units asked to issue an implementing document that have not, most days late first."""


_COLUMNS = "id number type term issuer title issued_on plan_year implements status"
_SUMMARY = ", ".join(f"d.{column}" for column in _COLUMNS.split())

_SEES_ASSIGNMENT = """
EXISTS (SELECT 1 FROM assignment_status a JOIN org_units u ON u.id = a.assignee
        WHERE a.document_id = d.id AND u.path @> ARRAY[$1::text])
"""

_FIND = f"""
SELECT {_SUMMARY}
FROM documents d JOIN org_units o ON o.id = d.issuer
WHERE ($1::text IS NULL OR o.path @> ARRAY[$1::text] OR {_SEES_ASSIGNMENT})
  AND ($2::text IS NULL OR d.number = $2)
  AND ($3::text IS NULL OR d.issuer = $3)
  AND ($4::int IS NULL OR d.plan_year = $4)
  AND (d.issued_on, d.id) > ($5::date, $6::uuid)
ORDER BY d.issued_on, d.id
LIMIT $7
"""

_ASSIGNMENTS = """
SELECT a.task_id, a.kind, a.title, a.field, a.id, a.assignee, a.period, a.due_on, a.status
FROM assignment_status a JOIN org_units u ON u.id = a.assignee
WHERE a.document_id = $1 AND ($2::text IS NULL OR u.path @> ARRAY[$2::text])
ORDER BY a.kind, a.title, a.task_id, a.due_on, a.assignee
"""


def _scope(actor: Actor) -> str | None:
    """The subtree a caller reads (None: everything, for an admin)."""
    return None if actor.admin else actor.organisation


async def _visible_document(connection: Connection, actor: Actor, document_id: UUID) -> Any:
    row = await connection.fetchrow(
        f"SELECT {_SUMMARY}, o.path FROM documents d JOIN org_units o ON o.id = d.issuer"
        " WHERE d.id = $1",
        document_id,
    )
    if row is None:
        raise NotFound(f"no document {document_id}", code="document_not_found")
    if actor.admin or actor.organisation in row["path"]:
        return row
    sees = await connection.fetchval(
        f"SELECT {_SEES_ASSIGNMENT} FROM documents d WHERE d.id = $2",
        actor.organisation,
        document_id,
    )
    if not sees:
        raise NotFound(f"no document {document_id}", code="document_not_found")
    return row


class DocumentsController(Controller):
    path = "/api/v1/documents"
    tags = ["documents"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @post(
        "/",
        operation_id="issueDocument",
        summary="Issue a document with its tasks",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def issue(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        data: JSONBody[NewDocument],
    ) -> Response[DocumentIssued]:
        """One atomic write: the document, its number in the issuer's register, every task
        and assignment (one per assignee and period), and the parent's assignments it
        fulfils. The response lists every created task and assignment."""
        return await api.writer.run(
            request,
            actor,
            issue_document,
            data.command(),
            sight=sight_of_units(data.issuer_id),
            status=201,
        )

    @get("/", operation_id="findDocuments", summary="Find documents", responses=READ_PROBLEMS)
    async def find(
        self,
        api: ApiService,
        actor: Caller,
        number: FromQuery[str | None] = None,
        issuer_id: FromQuery[str | None] = None,
        year: Annotated[
            int | None,
            QueryParameter(ge=1900, le=2200, description="The plan year the document is for."),
        ] = None,
        after: FromQuery[str | None] = None,
        limit: Limit = 100,
        min_position: MinPosition = None,
    ) -> DocumentPage:
        """Documents the caller may see, oldest issue date first."""
        issued_on, last_id = decode_key(after, date.min, UUID(int=0), date.fromisoformat, UUID)
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            rows = await connection.fetch(
                _FIND, _scope(actor), number, issuer_id, year, issued_on, last_id, limit
            )
        documents = [DocumentSummary(*row) for row in rows]
        next_after = (
            encode_key(documents[-1].issued_on.isoformat(), documents[-1].id)
            if len(documents) == limit
            else None
        )
        return DocumentPage(documents, next_after)

    @get(
        "/{document_id:uuid}",
        operation_id="getDocument",
        summary="One document",
        responses=READ_PROBLEMS,
    )
    async def read(
        self,
        api: ApiService,
        actor: Caller,
        document_id: FromPath[UUID],
        min_position: MinPosition = None,
    ) -> DocumentView:
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            row = await _visible_document(connection, actor, document_id)
            sees_all = actor.admin or actor.organisation in row["path"]
            assignments = await connection.fetch(
                _ASSIGNMENTS, document_id, None if sees_all else actor.organisation
            )
        tasks: dict[UUID, TaskSummary] = {}
        for a in assignments:
            task = tasks.setdefault(a[0], TaskSummary(a[0], a[1], a[2], a[3], []))
            task.assignments.append(AssignmentSummary(*a[4:]))
        summary = DocumentSummary(*row[:10])
        return DocumentView(**msgspec.structs.asdict(summary), tasks=list(tasks.values()))

    @get(
        "/{document_id:uuid}/cascade",
        operation_id="getDocumentCascade",
        summary="Implementing documents below a document, and who is late to issue one",
        responses=READ_PROBLEMS,
    )
    async def cascade(
        self,
        api: ApiService,
        actor: Caller,
        document_id: FromPath[UUID],
        min_position: MinPosition = None,
    ) -> CascadeView:
        """Lags and days late are judged today (Vietnam time). A unit sees the part of
        the cascade issued or owed within its subtree."""
        today = api.today()
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            await _visible_document(connection, actor, document_id)
            cascade = await document_cascade(connection, document_id, today)
            if not actor.admin:
                units = {n.issuer for n in cascade.documents} | {
                    m.assignee for m in cascade.missing
                }
                inside = {
                    row["id"]
                    for row in await connection.fetch(
                        "SELECT id FROM org_units WHERE id = ANY($1::text[])"
                        " AND path @> ARRAY[$2::text]",
                        list(units),
                        actor.organisation,
                    )
                }
                cascade = type(cascade)(
                    [n for n in cascade.documents if n.depth == 0 or n.issuer in inside],
                    [m for m in cascade.missing if m.assignee in inside],
                )
        return CascadeView(document_id, today, cascade.documents, cascade.missing)
