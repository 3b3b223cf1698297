"""Inspections and supervisions as commissioners follow them: which are open (and
overdue), how the conclusions rated their targets, which remediation is due, overdue,
reported or verified — per unit and per subtree — and one inspection in full.

Three tables: the inspection, each (inspection, target) with its self-assessment,
conclusion and remediation, and the findings. Whether an inspection or a remediation is
overdue depends on the day asked, so it is not stored: queries judge it (``OVERDUE``,
``REMEDIATION``) as ``assignment_status.BUCKET`` judges assignments. Subtrees come from
the organisation tree view (``org_units``): a merged or dissolved unit keeps its path,
so its inspections stay reachable under its old ancestors.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

import msgspec

from domain.inspection import Inspection
from projections.base import Projected, Statement, StatementProjection, topics

SCHEMA = """
CREATE TABLE IF NOT EXISTS inspections (
    id                   uuid PRIMARY KEY,
    kind                 text NOT NULL,
    inspector            text NOT NULL,
    scope                text[] NOT NULL,
    period_from          date NOT NULL,
    period_to            date NOT NULL,
    starts_on            date NOT NULL,
    due_on               date NOT NULL,
    planned_on           date NOT NULL,
    status               text NOT NULL,
    team                 text[] NOT NULL DEFAULT '{}',
    team_decision_number text,
    extended_on          date,
    escalated_from       uuid,
    marked_overdue       boolean NOT NULL DEFAULT false,
    ended_on             date
);
CREATE INDEX IF NOT EXISTS inspections_inspector ON inspections (inspector, due_on);
CREATE INDEX IF NOT EXISTS inspections_escalated_from ON inspections (escalated_from);
CREATE TABLE IF NOT EXISTS inspection_targets (
    inspection_id           uuid NOT NULL,
    target                  text NOT NULL,
    self_assessed_on        date,
    self_assessment         text,
    draft                   text,
    rating                  text,
    conclusion              text,
    concluded_on            date,
    remediation_due_on      date,
    remediation_reported_on date,
    remediation_report      text,
    remediation_verified_on date,
    PRIMARY KEY (inspection_id, target)
);
CREATE INDEX IF NOT EXISTS inspection_targets_target ON inspection_targets (target);
CREATE TABLE IF NOT EXISTS inspection_findings (
    inspection_id uuid NOT NULL,
    position      bigint NOT NULL,
    target        text NOT NULL,
    kind          text NOT NULL,
    text          text NOT NULL,
    document      text,
    found_on      date NOT NULL,
    recorded_by   text NOT NULL,
    PRIMARY KEY (inspection_id, position)
);
"""

OPEN_STATUSES = "('planned', 'under_way')"
OVERDUE = f"(i.status IN {OPEN_STATUSES} AND i.due_on < $1::date)"
"""SQL: inspection ``i`` is still open after its due date, on the day bound to ``$1``."""

REMEDIATION = f"""
CASE
    WHEN t.remediation_due_on IS NULL THEN NULL
    WHEN t.remediation_verified_on IS NOT NULL THEN 'verified'
    WHEN i.status NOT IN {OPEN_STATUSES} THEN NULL
    WHEN t.remediation_reported_on IS NOT NULL THEN 'reported'
    WHEN t.remediation_due_on < $1::date THEN 'overdue'
    ELSE 'due'
END
"""
"""SQL: where the remediation of target row ``t`` of inspection ``i`` stands on the day
bound to ``$1``: ``due`` (not yet reported, still in time), ``overdue`` (not reported by
its due date), ``reported`` (awaiting the inspector's verification), ``verified``;
None when none is required, or when the inspection ended without it (an escalated
supervision). A remediation reported in time and not yet verified is the inspector's
to act on, so it is not overdue."""

_PLANNED = """
INSERT INTO inspections (id, kind, inspector, scope, period_from, period_to, starts_on,
                         due_on, planned_on, status, escalated_from)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned', $10)
"""
_TARGETS = """
INSERT INTO inspection_targets (inspection_id, target) SELECT $1, unnest($2::text[])
"""
_TEAM = """
UPDATE inspections SET team = $2, team_decision_number = $3, status = 'under_way' WHERE id = $1
"""
_EXTENDED = """
UPDATE inspections SET due_on = $2, extended_on = $3, marked_overdue = false WHERE id = $1
"""
_FINDING = "INSERT INTO inspection_findings VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
_TARGET = "UPDATE inspection_targets SET {} WHERE inspection_id = $1 AND target = $2"
_SELF_ASSESSED = _TARGET.format("self_assessed_on = $3, self_assessment = $4")
_DRAFTED = _TARGET.format("draft = $3")
_CONCLUDED = _TARGET.format(
    "rating = $3, conclusion = $4, concluded_on = $5, remediation_due_on = $6"
)
_REMEDIATION_REPORTED = _TARGET.format("remediation_reported_on = $3, remediation_report = $4")
_REMEDIATION_VERIFIED = _TARGET.format("remediation_verified_on = $3")
_ENDED = "UPDATE inspections SET status = $2, ended_on = $3 WHERE id = $1"
_OVERDUE_MARK = "UPDATE inspections SET marked_overdue = true WHERE id = $1"

_TOPICS = topics(
    Inspection,
    "Planned",
    "TeamDecided",
    "DueDateExtended",
    "FindingRecorded",
    "ConclusionDrafted",
    "ConclusionIssued",
    "SelfAssessmentReceived",
    "RemediationReported",
    "RemediationVerified",
    "Closed",
    "Escalated",
    "MarkedOverdue",
)


def _statements(projected: Projected) -> list[Statement]:
    e, iid = projected.event, projected.stream_id
    match projected.name:
        case "Inspection.Planned":
            planned = (
                iid,
                str(e.kind),
                e.inspector,
                list(e.scope),
                e.period_from,
                e.period_to,
                e.starts_on,
                e.due_on,
                e.effective_on,
                e.escalated_from,
            )
            return [(_PLANNED, planned), (_TARGETS, (iid, list(e.targets)))]
        case "Inspection.TeamDecided":
            return [(_TEAM, (iid, list(e.members), e.decision_number))]
        case "Inspection.DueDateExtended":
            return [(_EXTENDED, (iid, e.due_on, e.effective_on))]
        case "Inspection.FindingRecorded":
            f = e.finding
            row = (
                iid,
                projected.position,
                f.target,
                str(f.kind),
                f.text,
                f.document,
                f.found_on,
                f.recorded_by,
            )
            return [(_FINDING, row)]
        case "Inspection.SelfAssessmentReceived":
            return [(_SELF_ASSESSED, (iid, e.target, e.effective_on, e.summary))]
        case "Inspection.ConclusionDrafted":
            return [(_DRAFTED, (iid, e.target, e.text))]
        case "Inspection.ConclusionIssued":
            concluded = (iid, e.target, str(e.rating), e.text, e.effective_on, e.remediation_due_on)
            return [(_CONCLUDED, concluded)]
        case "Inspection.RemediationReported":
            return [(_REMEDIATION_REPORTED, (iid, e.target, e.effective_on, e.text))]
        case "Inspection.RemediationVerified":
            return [(_REMEDIATION_VERIFIED, (iid, e.target, e.effective_on))]
        case "Inspection.Closed":
            return [(_ENDED, (iid, "closed", e.effective_on))]
        case "Inspection.Escalated":
            return [(_ENDED, (iid, "escalated", e.effective_on))]
        case "Inspection.MarkedOverdue":
            return [(_OVERDUE_MARK, (iid,))]
    return []


class InspectionsView(StatementProjection):
    name = "inspections"
    streams_apart = True
    tables = SCHEMA
    topics = _TOPICS

    def statements(self, projected: Projected) -> list[Statement]:
        return _statements(projected)


# -- one inspection --------------------------------------------------------------------


class FindingView(msgspec.Struct, frozen=True):
    kind: str
    text: str
    document: str | None
    found_on: date
    recorded_by: str
    position: int


class TargetView(msgspec.Struct, frozen=True):
    """One target: its self-assessment, its findings, its conclusion, its remediation."""

    target: str
    self_assessed_on: date | None
    self_assessment: str | None
    draft_conclusion: str | None
    rating: str | None
    conclusion: str | None
    concluded_on: date | None
    remediation_due_on: date | None
    remediation_reported_on: date | None
    remediation_report: str | None
    remediation_verified_on: date | None
    remediation: str | None
    """``due``, ``overdue``, ``reported``, ``verified`` on the day asked (``REMEDIATION``)."""
    findings: list[FindingView]


class InspectionDetail(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    inspector: str
    status: str
    scope: list[str]
    period_from: date
    period_to: date
    planned_on: date
    starts_on: date
    due_on: date
    extended_on: date | None
    overdue: bool
    """Still open after its due date, on the day asked."""
    marked_overdue: bool
    team: list[str]
    team_decision_number: str | None
    escalated_from: UUID | None
    escalated_into: list[UUID]
    """Inspections planned from this supervision after it was escalated."""
    ended_on: date | None
    targets: list[TargetView]


_DETAIL = f"""
SELECT i.id, i.kind, i.inspector, i.status, i.scope, i.period_from, i.period_to,
       i.planned_on, i.starts_on, i.due_on, i.extended_on, {OVERDUE} AS overdue,
       i.marked_overdue, i.team, i.team_decision_number, i.escalated_from,
       array(SELECT e.id FROM inspections e WHERE e.escalated_from = i.id ORDER BY e.id)
           AS escalated_into,
       i.ended_on
FROM inspections i WHERE i.id = $2
"""
_DETAIL_TARGETS = f"""
SELECT t.target, t.self_assessed_on, t.self_assessment, t.draft AS draft_conclusion,
       t.rating, t.conclusion, t.concluded_on, t.remediation_due_on,
       t.remediation_reported_on, t.remediation_report, t.remediation_verified_on,
       {REMEDIATION} AS remediation
FROM inspection_targets t JOIN inspections i ON i.id = t.inspection_id
WHERE t.inspection_id = $2
ORDER BY t.target
"""
_DETAIL_FINDINGS = """
SELECT target, kind, text, document, found_on, recorded_by, position
FROM inspection_findings WHERE inspection_id = $1 ORDER BY position
"""


async def inspection_detail(
    connection: Any, inspection_id: UUID, today: date
) -> InspectionDetail | None:
    """One inspection with its targets, each with its findings, conclusion and
    remediation; overdue judged on ``today``. None when there is no such inspection."""
    row = await connection.fetchrow(_DETAIL, today, inspection_id)
    if row is None:
        return None
    findings: dict[str, list[FindingView]] = {}
    for found in await connection.fetch(_DETAIL_FINDINGS, inspection_id):
        fields = dict(found)
        findings.setdefault(fields.pop("target"), []).append(FindingView(**fields))
    targets = [
        TargetView(**dict(target), findings=findings.get(target["target"], []))
        for target in await connection.fetch(_DETAIL_TARGETS, today, inspection_id)
    ]
    return InspectionDetail(**dict(row), targets=targets)


# -- lists and counts per unit or subtree ----------------------------------------------

Role = Literal["inspector", "target", "any"]
"""Whose inspections: those the unit runs, those it undergoes, or both."""


def _in_unit(column: str, unit: int = 2) -> str:
    """SQL: ``column`` names the unit bound to ``$unit`` or, when ``$unit+1`` is true, a
    unit of its subtree."""
    return f"""
EXISTS (SELECT 1 FROM org_units o WHERE o.id = {column}
        AND (CASE WHEN ${unit + 1} THEN o.path @> ARRAY[${unit}::text] ELSE o.id = ${unit} END))
"""


_RUN_BY = _in_unit("i.inspector")
_UNDERGONE_BY = (
    "EXISTS (SELECT 1 FROM inspection_targets t WHERE t.inspection_id = i.id AND "
    + _in_unit("t.target")
    + ")"
)
_CONCERNS = {
    "inspector": _RUN_BY,
    "target": _UNDERGONE_BY,
    "any": f"({_RUN_BY} OR {_UNDERGONE_BY})",
}


class InspectionSummary(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    inspector: str
    status: str
    starts_on: date
    due_on: date
    overdue: bool
    ended_on: date | None
    targets: list[str]
    concluded: int
    """Targets whose conclusion is issued."""


_LIST = """
SELECT i.id, i.kind, i.inspector, i.status, i.starts_on, i.due_on, {overdue} AS overdue,
       i.ended_on,
       array(SELECT t.target FROM inspection_targets t WHERE t.inspection_id = i.id
             ORDER BY t.target) AS targets,
       (SELECT count(*) FROM inspection_targets t
         WHERE t.inspection_id = i.id AND t.rating IS NOT NULL) AS concluded
FROM inspections i
WHERE {concerns}
  AND (NOT $4 OR i.status IN {open})
  AND (i.due_on, i.id) > ($5::date, $6::uuid)
ORDER BY i.due_on, i.id
LIMIT $7
"""
_NO_UUID = UUID(int=0)


async def inspections_of(
    connection: Any,
    unit: str,
    today: date,
    *,
    subtree: bool = True,
    role: Role = "any",
    open_only: bool = False,
    after: tuple[date, UUID] | None = None,
    limit: int = 100,
) -> list[InspectionSummary]:
    """Inspections run by (``role="inspector"``) or undergone by (``"target"``) the unit
    or, with ``subtree``, any unit below it; soonest due first, paged by the
    ``(due_on, id)`` of the last one seen (``after``). Overdue judged on ``today``."""
    query = _LIST.format(overdue=OVERDUE, concerns=_CONCERNS[role], open=OPEN_STATUSES)
    since = after or (date.min, _NO_UUID)
    rows = await connection.fetch(query, today, unit, subtree, open_only, *since, limit)
    return [InspectionSummary(*row) for row in rows]


class InspectionCounts(msgspec.Struct, frozen=True):
    open_in_time: int = 0
    open_overdue: int = 0
    closed: int = 0
    escalated: int = 0


class RemediationCounts(msgspec.Struct, frozen=True):
    due: int = 0
    overdue: int = 0
    reported: int = 0
    verified: int = 0


class InspectionOverview(msgspec.Struct, frozen=True):
    """A unit's (or its subtree's) inspections at a glance, on the day asked."""

    organization_id: str
    run: InspectionCounts
    """Inspections the unit runs (with ``subtree``: any unit below it)."""
    undergone: InspectionCounts
    """Inspections of the unit (of a unit below it), each counted once."""
    ratings: dict[str, int]
    """Conclusions issued to its targets, by rating."""
    remediation: RemediationCounts
    """Remediation its targets owe or owed."""


_STATE = f"""
CASE WHEN i.status = 'closed' THEN 'closed' WHEN i.status = 'escalated' THEN 'escalated'
     WHEN {OVERDUE} THEN 'open_overdue' ELSE 'open_in_time' END
"""
_COUNT_INSPECTIONS = f"SELECT {_STATE} AS state, count(*) FROM inspections i WHERE {{}} GROUP BY 1"
_TARGET_ROWS = f"""
FROM inspection_targets t JOIN inspections i ON i.id = t.inspection_id
WHERE {_in_unit("t.target")}
"""
_COUNT_RATINGS = f"""
SELECT t.rating, count(*) FROM inspection_targets t
WHERE {_in_unit("t.target", unit=1)} AND t.rating IS NOT NULL GROUP BY 1
"""
_COUNT_REMEDIATION = f"""
SELECT state, count(*) FROM (SELECT {REMEDIATION} AS state {_TARGET_ROWS}) s
WHERE state IS NOT NULL GROUP BY 1
"""


async def inspection_overview(
    connection: Any, unit: str, today: date, *, subtree: bool = True
) -> InspectionOverview:
    """Open (in time, overdue), closed and escalated inspections the unit runs and
    undergoes; its targets' conclusions by rating; their remediation due, overdue,
    reported and verified."""

    async def counted(query: str, *arguments: Any) -> dict[str, int]:
        return {row[0]: row[1] for row in await connection.fetch(query, *arguments)}

    on_day = (today, unit, subtree)
    return InspectionOverview(
        organization_id=unit,
        run=InspectionCounts(**await counted(_COUNT_INSPECTIONS.format(_RUN_BY), *on_day)),
        undergone=InspectionCounts(
            **await counted(_COUNT_INSPECTIONS.format(_UNDERGONE_BY), *on_day)
        ),
        ratings=await counted(_COUNT_RATINGS, unit, subtree),
        remediation=RemediationCounts(**await counted(_COUNT_REMEDIATION, *on_day)),
    )


class RemediationDue(msgspec.Struct, frozen=True):
    inspection_id: UUID
    inspector: str
    target: str
    rating: str
    due_on: date
    reported_on: date | None
    state: str
    """``due``, ``overdue`` or ``reported`` on the day asked."""


_REMEDIATION_LIST = f"""
SELECT * FROM (
    SELECT t.inspection_id, i.inspector, t.target, t.rating, t.remediation_due_on,
           t.remediation_reported_on, {REMEDIATION} AS state
    {_TARGET_ROWS}
) s
WHERE state IN ('due', 'overdue', 'reported') AND ($4::text IS NULL OR state = $4)
ORDER BY remediation_due_on, target, inspection_id
LIMIT $5
"""


async def remediation_due(
    connection: Any,
    unit: str,
    today: date,
    *,
    subtree: bool = True,
    state: Literal["due", "overdue", "reported"] | None = None,
    limit: int = 500,
) -> list[RemediationDue]:
    """Remediation the unit's targets still owe (or await verification of), soonest due
    first; ``state="overdue"`` gives the overdue list."""
    rows = await connection.fetch(_REMEDIATION_LIST, today, unit, subtree, state, limit)
    return [RemediationDue(*row) for row in rows]
