"""Matching a draft against what the system knows: the issuing unit, the parent
document, the recipients, and which units below the issuer each task would reach.

Everything is read from the read models (``org_units`` of the organisation tree,
``documents`` of the document index), never by loading aggregates. A document number
alone names nothing (numbers restart every term and every province has its BTGTU), so
candidates are narrowed by date, by issuer code, by the parent's issuer (the issuer
sits below it), then by name. What stays unresolved, or ambiguous, is named in
``problems``; the import can still go on without a parent link, not without an issuer.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from domain.organisation import Kind
from importing.addressees import DEFAULT_KINDS
from importing.draft import Concern, Draft
from importing.numbers import parse_number
from projections.organisation_tree import path_on


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    kind: Kind


class ParentDocument(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    number: str
    issued_on: date
    issuer_id: str


class Resolution(msgspec.Struct, frozen=True, kw_only=True):
    issuer: Unit | None
    parent: ParentDocument | None
    recipients: list[str | None]
    """Per recipient of the draft, in order: the unit it names, when one unit matches."""
    assignees: list[list[str]]
    """Per task of the draft, in order: the units below the issuer it would reach."""
    problems: list[Concern]


_UNITS = """
SELECT id, name, kind, issuer_code FROM org_units
WHERE ($1::date IS NULL OR (valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)))
"""
_PARENTS = """
SELECT id, number, issued_on, issuer FROM documents
WHERE number = $1 AND ($2::date IS NULL OR issued_on = $2) AND status = 'in_force'
ORDER BY issued_on DESC
"""
_CHILDREN = """
SELECT id, name, kind FROM org_units
WHERE parent = $1 AND merged_into IS NULL
  AND ($2::date IS NULL OR (valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)))
ORDER BY id
"""


async def resolve(connection: Any, draft: Draft, *, issuer_id: str | None = None) -> Resolution:
    """``issuer_id`` names the issuing unit outright (``--as``); otherwise it is found by
    the draft's issuer code and name."""
    document = draft.document
    day = document.issued_on
    problems: list[Concern] = []
    parents = await _parent_candidates(connection, draft)
    issuer = await _issuer(connection, draft, issuer_id, parents, problems)
    parent = await _parent(connection, draft, parents, issuer, problems)
    lineage = await path_on(connection, issuer.id, day) if issuer else []
    children = (
        [
            Unit(id=r["id"], name=r["name"], kind=Kind(r["kind"]))
            for r in await connection.fetch(_CHILDREN, issuer.id, day)
        ]
        if issuer
        else []
    )
    assignees = []
    for task in draft.tasks:
        kinds = task.assignee_hint or DEFAULT_KINDS
        reached = [unit.id for unit in children if unit.kind in kinds]
        if issuer and not reached:
            problems.append(
                Concern(
                    code="task_reaches_no_unit",
                    message=f"{task.title!r} is addressed to "
                    + ", ".join(str(kind) for kind in kinds)
                    + f" units and {issuer.id} has none directly below it: it is left out",
                )
            )
        assignees.append(reached)
    recipients = await _recipients(connection, draft, lineage, issuer)
    return Resolution(
        issuer=issuer,
        parent=parent,
        recipients=recipients,
        assignees=assignees,
        problems=problems,
    )


async def _parent_candidates(connection: Any, draft: Draft) -> list[ParentDocument]:
    implements = draft.document.implements
    number = parse_number(implements.number) if implements else None
    if implements is None or number is None:
        return []
    rows = await connection.fetch(_PARENTS, str(number), implements.issued_on)
    return [
        ParentDocument(
            id=r["id"], number=r["number"], issued_on=r["issued_on"], issuer_id=r["issuer"]
        )
        for r in rows
    ]


async def _issuer(
    connection: Any,
    draft: Draft,
    issuer_id: str | None,
    parents: list[ParentDocument],
    problems: list[Concern],
) -> Unit | None:
    document = draft.document
    rows = await connection.fetch(_UNITS, document.issued_on)
    if issuer_id is not None:
        named = [r for r in rows if r["id"] == issuer_id]
        if not named:
            problems.append(
                Concern(
                    code="issuer_unknown",
                    message=f"no organisation {issuer_id} exists"
                    + (f" on {document.issued_on.isoformat()}" if document.issued_on else ""),
                )
            )
            return None
        return Unit(id=named[0]["id"], name=named[0]["name"], kind=Kind(named[0]["kind"]))
    candidates = [
        r for r in rows if document.issuer_code and r["issuer_code"] == document.issuer_code
    ]
    if len(candidates) > 1 and parents:
        above = {p.issuer_id for p in parents}
        below_parent = [
            r
            for r in candidates
            if above & set((await path_on(connection, r["id"], document.issued_on))[:-1])
        ]
        candidates = below_parent or candidates
    if len(candidates) > 1 and document.issuer_name:
        wanted = document.issuer_name.casefold()
        named = [r for r in candidates if r["name"].casefold().startswith(wanted)]
        candidates = named or candidates
    if len(candidates) == 1:
        row = candidates[0]
        return Unit(id=row["id"], name=row["name"], kind=Kind(row["kind"]))
    who = f"{document.issuer_name or 'the issuer'} ({document.issuer_code or 'no code'})"
    if candidates:
        ids = ", ".join(sorted(r["id"] for r in candidates)[:5])
        problems.append(
            Concern(
                code="issuer_ambiguous",
                message=f"{who} may be any of {ids}: name the issuer (--as)",
            )
        )
    else:
        problems.append(
            Concern(
                code="issuer_not_found",
                message=f"no organisation matches {who}: register it, or name the issuer (--as)",
            )
        )
    return None


async def _parent(
    connection: Any,
    draft: Draft,
    candidates: list[ParentDocument],
    issuer: Unit | None,
    problems: list[Concern],
) -> ParentDocument | None:
    implements = draft.document.implements
    if implements is None:
        return None
    if len(candidates) > 1 and issuer:
        lineage = set(await path_on(connection, issuer.id, draft.document.issued_on))
        candidates = [c for c in candidates if c.issuer_id in lineage] or candidates
    if len(candidates) == 1:
        return candidates[0]
    dated = f" of {implements.issued_on.isoformat()}" if implements.issued_on else ""
    if candidates:
        problems.append(
            Concern(
                code="parent_ambiguous",
                message=f"{implements.number}{dated} names {len(candidates)} documents in the "
                "system: it is issued without its parent link",
            )
        )
    else:
        problems.append(
            Concern(
                code="parent_not_found",
                message=f"{implements.number}{dated} is not in the system yet: the document "
                "is issued without its parent link (import the parent first to link them)",
            )
        )
    return None


async def _recipients(
    connection: Any, draft: Draft, lineage: list[str], issuer: Unit | None
) -> list[str | None]:
    """A recipient is a unit above the issuer or below it whose name starts with the
    recipient's words ("Ban Tuyên giáo Tỉnh ủy" → "Ban Tuyên giáo Tỉnh ủy Bình Định")."""
    if issuer is None:
        return [None for _ in draft.document.recipients]
    rows = await connection.fetch(
        "SELECT id, name FROM org_units WHERE id = ANY($1::text[]) OR path @> ARRAY[$2::text]",
        lineage,
        issuer.id,
    )
    found: list[str | None] = []
    for recipient in draft.document.recipients:
        wanted = recipient.name.casefold()
        matches = [
            r["id"]
            for r in rows
            if r["id"] != issuer.id and r["name"].casefold().startswith(wanted)
        ]
        found.append(matches[0] if len(matches) == 1 else None)
    return found
