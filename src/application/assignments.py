"""Handlers for assignments: the assignee acknowledges and submits; the issuer accepts,
returns, extends, waives or cancels. The aggregate checks that the unit is the right one;
the handler checks that the actor works for that unit in a role that may act."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from application.commands import (
    AcceptSubmission,
    AcknowledgeAssignment,
    CancelAssignment,
    ExtendDueDate,
    MarkOverdue,
    RemindAssignee,
    ReturnSubmission,
    SubmitReport,
    WaiveAssignment,
)
from application.ports import Aggregates, CommandContext
from application.results import AssignmentWritten, Written
from application.tree import successors
from domain.assignment import Assignment
from domain.calendar import vietnam_date
from domain.errors import NotFound
from domain.permissions import Role, check_acts_for

_SUBMITS = (Role.OFFICER, Role.REPORTER)
_REVIEWS = (Role.OFFICER,)


async def assignment(aggregates: Aggregates, assignment_id: UUID) -> Assignment:
    found = await aggregates.find(Assignment, assignment_id)
    if found is None:
        raise NotFound(f"no assignment {assignment_id}", code="assignment_not_found")
    return found


async def _written(
    aggregates: Aggregates,
    context: CommandContext,
    changed: Assignment,
    submission: UUID | None = None,
) -> AssignmentWritten:
    positions = await aggregates.save(changed, context=context)
    return AssignmentWritten(
        id=changed.id,
        status=changed.status,
        submission_id=submission,
        position=Written.last(positions),
    )


async def acknowledge_assignment(
    command: AcknowledgeAssignment, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    target = await assignment(aggregates, command.assignment_id)
    check_acts_for(context.actor, target.assignee, _SUBMITS, "acknowledge assignments")
    target.acknowledge(target.assignee, context.when(command.effective_on))
    return await _written(aggregates, context, target)


async def submit_report(
    command: SubmitReport, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    target = await assignment(aggregates, command.assignment_id)
    unit = context.actor.organisation if not context.actor.admin else target.assignee
    check_acts_for(context.actor, unit, _SUBMITS, "submit reports")
    submission = target.submit(
        unit,
        command.summary,
        context.when(command.effective_on),
        period=command.period,
        document_number=command.document_number,
        attachments=command.attachments,
        figures=command.figures,
    )
    return await _written(aggregates, context, target, submission.submission_id)


async def _review(
    assignment_id: UUID,
    context: CommandContext,
    aggregates: Aggregates,
    action: str,
    decide: Callable[[Assignment, str, str], None],
) -> AssignmentWritten:
    """The issuer reviews; if it has since been merged, the unit that absorbed it."""
    target = await assignment(aggregates, assignment_id)
    reviewer = (await successors(aggregates, target.issuer))[-1]
    unit = context.actor.organisation if not context.actor.admin else reviewer
    check_acts_for(context.actor, unit, _REVIEWS, action)
    decide(target, unit, reviewer)
    return await _written(aggregates, context, target)


async def accept_submission(
    command: AcceptSubmission, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    when = context.when(command.effective_on)
    return await _review(
        command.assignment_id,
        context,
        aggregates,
        "accept submissions",
        lambda a, by, reviewer: a.accept(by, command.note, when, reviewer=reviewer),
    )


async def return_submission(
    command: ReturnSubmission, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    when = context.when(command.effective_on)
    return await _review(
        command.assignment_id,
        context,
        aggregates,
        "return submissions",
        lambda a, by, reviewer: a.return_for_revision(by, command.reason, when, reviewer=reviewer),
    )


async def extend_due_date(
    command: ExtendDueDate, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    when = context.when(command.effective_on)
    return await _review(
        command.assignment_id,
        context,
        aggregates,
        "extend due dates",
        lambda a, by, reviewer: a.extend(
            by, command.due_on, command.reason, when, reviewer=reviewer
        ),
    )


async def waive_assignment(
    command: WaiveAssignment, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    when = context.when(command.effective_on)
    return await _review(
        command.assignment_id,
        context,
        aggregates,
        "waive assignments",
        lambda a, by, reviewer: a.waive(by, command.reason, when, reviewer=reviewer),
    )


async def cancel_assignment(
    command: CancelAssignment, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    when = context.when(command.effective_on)
    return await _review(
        command.assignment_id,
        context,
        aggregates,
        "cancel assignments",
        lambda a, by, reviewer: a.cancel(by, command.reason, when, reviewer=reviewer),
    )


async def mark_overdue(
    command: MarkOverdue, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    """The watcher runs as the system (an admin actor); "today" is Vietnam's date now."""
    check_acts_for(context.actor, "system", (), "mark assignments overdue")
    target = await assignment(aggregates, command.assignment_id)
    target.mark_overdue(vietnam_date(context.recorded_at), context.recorded_at)
    return await _written(aggregates, context, target)


async def remind_assignee(
    command: RemindAssignee, context: CommandContext, aggregates: Aggregates
) -> AssignmentWritten:
    check_acts_for(context.actor, "system", (), "send reminders")
    target = await assignment(aggregates, command.assignment_id)
    target.remind(command.days_before, vietnam_date(context.recorded_at), context.recorded_at)
    return await _written(aggregates, context, target)
