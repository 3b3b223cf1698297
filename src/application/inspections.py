"""Handlers for inspections and supervisions. The inspecting unit's officers and
inspectors act for the inspection; a target's officers and reporters send its
self-assessment and remediation reports. After a merge, the unit that absorbed the
inspector (or a target) acts for it."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from application.commands import (
    CloseInspection,
    DecideInspectionTeam,
    DraftConclusion,
    EscalateSupervision,
    ExtendInspection,
    InspectionCommand,
    IssueConclusion,
    MarkInspectionOverdue,
    PlanInspection,
    ReceiveSelfAssessment,
    RecordFinding,
    ReportRemediation,
    VerifyRemediation,
)
from application.ports import Aggregates, CommandContext
from application.results import Written
from application.tree import organisation, path_on, successors
from domain.calendar import vietnam_date
from domain.errors import NotFound
from domain.inspection import Inspection
from domain.permissions import Role, check_acts_for
from domain.timing import When

_INSPECTS = (Role.OFFICER, Role.INSPECTOR)
_REPORTS = (Role.OFFICER, Role.REPORTER)


class InspectionWritten(Written, frozen=True, kw_only=True):
    id: UUID
    status: str
    due_on: str


async def inspection(aggregates: Aggregates, inspection_id: UUID) -> Inspection:
    found = await aggregates.find(Inspection, inspection_id)
    if found is None:
        raise NotFound(f"no inspection {inspection_id}", code="inspection_not_found")
    return found


async def plan_inspection(
    command: PlanInspection, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    inspector = await organisation(aggregates, command.inspector_id)
    check_acts_for(context.actor, inspector.slug, _INSPECTS, "plan inspections")
    targets = []
    for slug in command.target_ids:
        target = await organisation(aggregates, slug)
        targets.append((target, await path_on(aggregates, target, command.starts_on)))
    escalated = (
        await inspection(aggregates, command.escalated_from) if command.escalated_from else None
    )
    planned = Inspection.plan(
        command.kind,
        inspector,
        targets,
        command.scope,
        command.period_from,
        command.period_to,
        command.starts_on,
        command.due_on,
        context.when(command.effective_on),
        escalated_from=escalated,
    )
    return await _written(aggregates, context, planned)


async def _written(
    aggregates: Aggregates, context: CommandContext, changed: Inspection
) -> InspectionWritten:
    positions = await aggregates.save(changed, context=context)
    return InspectionWritten(
        id=changed.id,
        status=changed.status,
        due_on=changed.due_on.isoformat(),
        position=Written.last(positions),
    )


Decision = Callable[[Inspection, str, When, str], object]


async def _act(
    command: InspectionCommand,
    context: CommandContext,
    aggregates: Aggregates,
    *,
    for_unit: Callable[[Inspection], str],
    roles: tuple[Role, ...],
    action: str,
    decide: Decision,
) -> InspectionWritten:
    """Load, find who answers today for the acting side, check the actor, decide, save."""
    target = await inspection(aggregates, command.inspection_id)
    answering = (await successors(aggregates, for_unit(target)))[-1]
    unit = context.actor.organisation if not context.actor.admin else answering
    check_acts_for(context.actor, unit, roles, action)
    decide(target, unit, context.when(command.effective_on), answering)
    return await _written(aggregates, context, target)


def _inspector(i: Inspection) -> str:
    return i.inspector


async def decide_team(
    command: DecideInspectionTeam, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="decide teams",
        decide=lambda i, by, when, s: i.decide_team(
            by, command.members, command.decision_number, when, successor=s
        ),
    )


async def extend_inspection(
    command: ExtendInspection, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="extend inspections",
        decide=lambda i, by, when, s: i.extend(
            by, command.due_on, command.reason, when, successor=s
        ),
    )


async def record_finding(
    command: RecordFinding, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="record findings",
        decide=lambda i, by, when, s: i.record_finding(
            by,
            command.target_id,
            command.kind,
            command.text,
            command.document,
            when,
            successor=s,
        ),
    )


async def draft_conclusion(
    command: DraftConclusion, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="draft conclusions",
        decide=lambda i, by, when, s: i.draft_conclusion(
            by, command.target_id, command.text, when, successor=s
        ),
    )


async def issue_conclusion(
    command: IssueConclusion, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="issue conclusions",
        decide=lambda i, by, when, s: i.issue_conclusion(
            by,
            command.target_id,
            command.rating,
            command.text,
            command.remediation_due_on,
            when,
            successor=s,
        ),
    )


async def verify_remediation(
    command: VerifyRemediation, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="verify remediation",
        decide=lambda i, by, when, s: i.verify_remediation(
            by, command.target_id, when, successor=s
        ),
    )


async def close_inspection(
    command: CloseInspection, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="close inspections",
        decide=lambda i, by, when, s: i.close(by, when, successor=s),
    )


async def escalate_supervision(
    command: EscalateSupervision, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=_inspector,
        roles=_INSPECTS,
        action="escalate supervisions",
        decide=lambda i, by, when, s: i.escalate(by, when, successor=s),
    )


async def receive_self_assessment(
    command: ReceiveSelfAssessment, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=lambda _: command.target_id,
        roles=_REPORTS,
        action="send self-assessments",
        decide=lambda i, by, when, s: i.receive_self_assessment(
            by, command.target_id, command.summary, when, successor=s
        ),
    )


async def report_remediation(
    command: ReportRemediation, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    return await _act(
        command,
        context,
        aggregates,
        for_unit=lambda _: command.target_id,
        roles=_REPORTS,
        action="report remediation",
        decide=lambda i, by, when, s: i.report_remediation(
            by, command.target_id, command.text, when, successor=s
        ),
    )


async def mark_inspection_overdue(
    command: MarkInspectionOverdue, context: CommandContext, aggregates: Aggregates
) -> InspectionWritten:
    """The watcher runs as the system; "today" is Vietnam's date now."""
    check_acts_for(context.actor, "system", (), "mark inspections overdue")
    target = await inspection(aggregates, command.inspection_id)
    target.mark_overdue(vietnam_date(context.recorded_at), context.recorded_at)
    return await _written(aggregates, context, target)
