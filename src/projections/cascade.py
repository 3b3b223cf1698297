"""The cascade of a guidance: the tree of documents implementing it, level by level, each
with its issuer, number, date and the days it took after its parent — and the units
that were asked to issue an implementing document and have not, with how late they are.

A ``documents`` table kept by this projection, read with a recursive query; the missing
units come from the assignment status view (implementing-document assignments still
open)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from domain.document import Document
from projections.base import Projected, Statement, StatementProjection, topics

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id          uuid PRIMARY KEY,
    number      text NOT NULL,
    type        text NOT NULL,
    term        text NOT NULL,
    issuer      text NOT NULL,
    title       text NOT NULL,
    issued_on   date NOT NULL,
    plan_year   integer NOT NULL,
    implements  uuid,
    status      text NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_implements ON documents (implements);
CREATE INDEX IF NOT EXISTS documents_number ON documents (number);
CREATE INDEX IF NOT EXISTS documents_issuer ON documents (issuer, issued_on);
"""

_ISSUED = """
INSERT INTO documents (id, number, type, term, issuer, title, issued_on, plan_year,
                       implements, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'in_force')
"""
_STATUS = "UPDATE documents SET status = $2 WHERE id = $1"


def _statements(projected: Projected) -> list[Statement]:
    e, did = projected.event, projected.stream_id
    match projected.name:
        case "Document.Issued":
            return [
                (
                    _ISSUED,
                    (
                        did,
                        e.number,
                        str(e.document_type),
                        e.term,
                        e.issuer.slug,
                        e.title,
                        e.issued_on,
                        e.plan_year,
                        e.implements,
                    ),
                )
            ]
        case "Document.Superseded":
            return [(_STATUS, (did, "superseded"))]
        case "Document.Revoked":
            return [(_STATUS, (did, "revoked"))]
    return []


class DocumentIndex(StatementProjection):
    name = "documents"
    streams_apart = True
    tables = SCHEMA
    topics = topics(Document, "Issued", "Superseded", "Revoked")

    def statements(self, projected: Projected) -> list[Statement]:
        return _statements(projected)


class CascadeNode(msgspec.Struct, frozen=True):
    id: UUID
    number: str
    issuer: str
    issued_on: date
    depth: int
    parent_id: UUID | None
    lag_days: int | None
    """Days after the document it implements (None at the root)."""


class Missing(msgspec.Struct, frozen=True):
    """A unit asked (by ``document_id``) to issue an implementing document that has not."""

    document_id: UUID
    assignee: str
    due_on: date
    days_late: int


class Cascade(msgspec.Struct, frozen=True):
    documents: list[CascadeNode]
    missing: list[Missing]


_TREE = """
WITH RECURSIVE tree AS (
    SELECT id, number, issuer, issued_on, 0 AS depth, NULL::uuid AS parent_id,
           NULL::integer AS lag_days
    FROM documents WHERE id = $1
    UNION ALL
    SELECT d.id, d.number, d.issuer, d.issued_on, tree.depth + 1, tree.id,
           d.issued_on - tree.issued_on
    FROM documents d JOIN tree ON d.implements = tree.id
    WHERE d.status <> 'revoked' AND tree.depth < 8
)
SELECT * FROM tree ORDER BY depth, issued_on, number
"""

_MISSING = """
SELECT document_id, assignee, due_on, greatest($2::date - due_on, 0) AS days_late
FROM assignment_status
WHERE document_id = ANY($1::uuid[]) AND kind = 'implementing_document'
  AND status IN ('assigned', 'acknowledged', 'submitted', 'returned')
ORDER BY days_late DESC, assignee
"""


async def document_cascade(connection: Any, document_id: UUID, today: date) -> Cascade:
    nodes = [CascadeNode(*row) for row in await connection.fetch(_TREE, document_id)]
    missing = await connection.fetch(_MISSING, [n.id for n in nodes], today)
    return Cascade(nodes, [Missing(*row) for row in missing])
