"""Importing a guidance document: upload it (Word, PDF, text or Markdown) or paste its
text, get back a draft to review, commit the reviewed draft to issue the document and its
tasks through the normal command path."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody

from adapters.http.api import Api, ApiService, Body, Caller, MinPosition
from adapters.http.problems import READ_PROBLEMS, WRITE_PROBLEMS, ApiProblem, FieldError
from adapters.http.writes import sight_of_units
from adapters.store.database import Connection
from application.documents import issue_document
from application.results import DocumentIssued
from domain.errors import NotFound
from domain.permissions import Actor, Role, check_acts_for
from importing import (
    Draft,
    ImportRefused,
    Resolution,
    UnreadableDocument,
    extract,
    read_text,
    resolve,
    to_command,
    to_json,
)

MAX_UPLOAD_BYTES = 20_000_000
"""A scanned guidance in PDF can be several megabytes; commands stay under 1 MB."""


class TextImport(Body, frozen=True, kw_only=True):
    text: str
    """The document's text, pasted (line wraps, Markdown and footnotes are tidied)."""
    filename: str | None = None
    issuer_id: str | None = None
    """The issuing unit, when the text does not make it clear."""


class ImportDraft(msgspec.Struct, frozen=True):
    id: UUID
    filename: str | None
    created_at: datetime
    draft: Draft
    """What was read; review and correct it, then commit it."""
    resolution: Resolution
    """What the draft resolves to in the system now: the issuer, the parent, who each
    task would reach, and what could not be resolved."""
    document_id: UUID | None
    """The issued document, once committed."""


class CommitImport(Body, frozen=True, kw_only=True):
    draft: Draft | None = None
    """The reviewed draft; the stored one when left out."""
    issuer_id: str | None = None


def _check_may_import(actor: Actor) -> None:
    check_acts_for(actor, actor.organisation, (Role.OFFICER,), "import documents")


async def _upload(request: Request[Any, Any, Any]) -> tuple[str | None, str, str | None]:
    """The filename, the text and the issuer of a multipart upload or a JSON body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiProblem(
                400,
                "invalid_request",
                "a multipart import needs the document in a part named 'file'",
                errors=[FieldError("file", "required: the document to import")],
            )
        issuer = form.get("issuer_id")
        data = await upload.read()
        return (
            upload.filename,
            _read(upload.filename, data),
            issuer if isinstance(issuer, str) else None,
        )
    try:
        body = msgspec.json.decode(await request.body(), type=TextImport)
    except msgspec.DecodeError as error:
        raise ApiProblem(400, "malformed_body", f"the body is not JSON: {error}") from None
    except msgspec.ValidationError as error:
        raise ApiProblem(
            400, "invalid_request", str(error), errors=[FieldError("body", str(error))]
        ) from None
    return body.filename, body.text, body.issuer_id


def _read(filename: str, data: bytes) -> str:
    try:
        return read_text(filename, data)
    except UnreadableDocument as error:
        raise ApiProblem(422, "unreadable_document", str(error)) from None


async def _stored(connection: Connection, actor: Actor, import_id: UUID) -> Any:
    row = await connection.fetchrow("SELECT * FROM import_drafts WHERE id = $1", import_id)
    if row is None or not (actor.admin or row["organisation"] == actor.organisation):
        raise NotFound(f"no import {import_id}", code="import_not_found")
    return row


class ImportsController(Controller):
    path = "/api/v1/imports"
    tags = ["imports"]  # noqa: RUF012 (Litestar reads it as an instance attribute)

    @post(
        "/",
        operation_id="importDocument",
        summary="Read a guidance document into a draft",
        status_code=201,
        request_max_body_size=MAX_UPLOAD_BYTES,
        responses=WRITE_PROBLEMS,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        min_position: MinPosition = None,
    ) -> ImportDraft:
        """Either `multipart/form-data` with the file in a part named `file` (.docx,
        .pdf, .txt, .md) and optionally `issuer_id`, or JSON `{"text", "filename"?,
        "issuer_id"?}`. Nothing is issued yet: the draft is kept for review. The draft is
        resolved against the organisations and documents the views hold: pass the
        position of your last write as `min_position` to resolve against it."""
        _check_may_import(actor)
        filename, text, issuer_id = await _upload(request)
        draft = extract(text)
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            resolution = await resolve(connection, draft, issuer_id=issuer_id)
            row = await connection.fetchrow(
                "INSERT INTO import_drafts (id, organisation, filename, draft)"
                " VALUES ($1, $2, $3, $4) RETURNING id, created_at",
                uuid4(),
                actor.organisation,
                filename,
                to_json(draft),
            )
        assert row is not None  # INSERT ... RETURNING always returns its row
        return ImportDraft(row["id"], filename, row["created_at"], draft, resolution, None)

    @get("/{import_id:uuid}", operation_id="getImport", summary="A draft", responses=READ_PROBLEMS)
    async def read(
        self,
        api: ApiService,
        actor: Caller,
        import_id: FromPath[UUID],
        min_position: MinPosition = None,
    ) -> ImportDraft:
        """The stored draft, resolved against the system as it is now."""
        async with api.store.pool.acquire() as connection:
            await api.caught_up(connection, min_position)
            row = await _stored(connection, actor, import_id)
            draft = msgspec.json.decode(row["draft"], type=Draft)
            resolution = await resolve(connection, draft)
        return ImportDraft(
            row["id"], row["filename"], row["created_at"], draft, resolution, row["document_id"]
        )

    @post(
        "/{import_id:uuid}/commit",
        operation_id="commitImport",
        summary="Issue the reviewed draft as a document with its tasks",
        status_code=201,
        responses=WRITE_PROBLEMS,
    )
    async def commit(
        self,
        request: Request[Any, Any, Any],
        api: ApiService,
        actor: Caller,
        import_id: FromPath[UUID],
        data: JSONBody[CommitImport],
        min_position: MinPosition = None,
    ) -> Response[DocumentIssued]:
        """One append through the normal command path (the same rules as `POST
        /api/v1/documents`). 422 `draft_incomplete` lists everything the draft lacks.
        `min_position` as for the upload."""
        return await _commit(request, api, actor, import_id, data, min_position)


async def _commit(
    request: Request[Any, Any, Any],
    api: Api,
    actor: Actor,
    import_id: UUID,
    data: CommitImport,
    min_position: int | None,
) -> Response[DocumentIssued]:
    async with api.store.pool.acquire() as connection:
        await api.caught_up(connection, min_position)
        row = await _stored(connection, actor, import_id)
        if row["document_id"] is not None:
            raise ApiProblem(
                422,
                "import_committed",
                f"import {import_id} was already issued as document {row['document_id']}",
            )
        draft = data.draft or msgspec.json.decode(row["draft"], type=Draft)
        resolution = await resolve(connection, draft, issuer_id=data.issuer_id)
    try:
        command = to_command(draft, resolution)
    except ImportRefused as error:
        raise ApiProblem(422, "draft_incomplete", str(error)) from None

    response = await api.writer.run(
        request,
        actor,
        issue_document,
        command,
        sight=sight_of_units(command.issuer_id),
        status=201,
    )
    issued = msgspec.json.decode(response.content, type=DocumentIssued)
    async with api.store.pool.acquire() as connection:
        await connection.execute(
            "UPDATE import_drafts SET document_id = $2, draft = $3 WHERE id = $1",
            import_id,
            issued.id,
            to_json(draft),
        )
    return response
