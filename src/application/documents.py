"""Handlers for documents: issue (with its tasks and assignments), amend, supersede, revoke."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import BaseAggregate

from application.commands import (
    AmendDocument,
    IssueDocument,
    RevokeDocument,
    SupersedeDocument,
    TaskInput,
)
from application.ports import Aggregates, CommandContext
from application.results import AssignmentCreated, DocumentIssued, TaskCreated, Written
from application.tree import organisation, path_on, successors
from domain.assignment import Assignment
from domain.document import Document, DocumentRegister, register_id
from domain.errors import NotFound, refuse
from domain.numbers import DocumentNumber, committee_term
from domain.organisation import Organisation
from domain.permissions import Role, check_acts_for
from domain.task import Task, TaskSpec, plan_task
from domain.timing import When

_ISSUES = (Role.OFFICER,)


async def document(aggregates: Aggregates, document_id: UUID) -> Document:
    found = await aggregates.find(Document, document_id)
    if found is None:
        raise NotFound(f"no document {document_id}", code="document_not_found")
    return found


async def issue_document(
    command: IssueDocument, context: CommandContext, aggregates: Aggregates
) -> DocumentIssued:
    """One append: the document, its register entry, every assignment it creates, the
    assignees' obligations, and the parent's assignments this document fulfils."""
    issuer = await organisation(aggregates, command.issuer_id)
    check_acts_for(context.actor, issuer.slug, _ISSUES, "issue documents")
    when = context.when(command.effective_on)
    number = DocumentNumber.parse(command.number)
    term = command.term or committee_term(issuer.level, when.effective_on)
    issuer_path = await path_on(aggregates, issuer, when.effective_on)
    parent = await document(aggregates, command.implements) if command.implements else None
    plan_year = command.plan_year or when.effective_on.year
    assignees: dict[str, Organisation] = {}
    tasks = []
    for task_input in command.tasks:
        units = await _assignees(aggregates, issuer, task_input, when)
        assignees.update((unit.slug, unit) for unit in units)
        tasks.append(
            plan_task(_spec(task_input), [u.slug for u in units], when.effective_on, plan_year)
        )
    issued = Document.issue(
        number=number,
        term=term,
        title=command.title,
        issuer=issuer,
        issuer_path=issuer_path,
        when=when,
        tasks=tasks,
        place=command.place,
        signer=command.signer,
        fields=command.fields,
        recipients=command.recipients,
        implements=parent,
        parent_issuer_successors=(
            await successors(aggregates, parent.issuer.slug) if parent else ()
        ),
        references=command.references,
        plan_year=plan_year,
    )
    register = await aggregates.find(DocumentRegister, register_id(issuer.slug))
    if register is None:
        register = DocumentRegister.open(issuer.slug, when.recorded_at)
    register.enter(number, term, issued.id, when.recorded_at)
    changed: list[BaseAggregate[UUID]] = [issued, register]
    changed += _assign(issued, tasks, assignees, when)
    fulfilled = await _fulfil(aggregates, parent, issuer, issued, when) if parent else []
    changed += fulfilled
    positions = await aggregates.save(*changed, context=context)
    return DocumentIssued(
        id=issued.id,
        number=issued.number,
        term=term,
        tasks=[
            TaskCreated(
                task.task_id,
                task.kind,
                task.title,
                [
                    AssignmentCreated(r.assignment_id, r.assignee, r.period, r.due_on)
                    for r in task.assignments
                ],
            )
            for task in tasks
        ],
        fulfilled=[a.id for a in fulfilled],
        position=Written.last(positions),
    )


def _spec(task: TaskInput) -> TaskSpec:
    return TaskSpec(
        kind=task.kind,
        title=task.title,
        field=task.field,
        resolution=task.resolution,
        review=task.review,
        due_on=task.due_on,
        recurrence=task.recurrence,
        due_days_after_period=task.due_days_after_period,
        due_day_of_last_month=task.due_day_of_last_month,
        period=task.period,
        assignees=task.assignee_ids,
        assignee_kinds=task.assignee_kinds,
    )


async def _assignees(
    aggregates: Aggregates, issuer: Organisation, task: TaskInput, when: When
) -> list[Organisation]:
    """Named units (each below the issuer on the issue date) and every unit of the named
    kinds directly below the issuer; each must be able to receive tasks."""
    chosen: dict[str, Organisation] = {}
    for slug in task.assignee_ids:
        unit = await organisation(aggregates, slug)
        if issuer.slug not in (await path_on(aggregates, unit, when.effective_on))[:-1]:
            raise refuse(
                "assignee_not_below_issuer",
                f"{slug} is not below {issuer.slug}: a document assigns tasks to the units "
                "below its issuer",
            )
        chosen[slug] = unit
    for slug, kind in sorted(issuer.children.items()):
        if kind in task.assignee_kinds and slug not in chosen:
            unit = await organisation(aggregates, slug)
            if unit.active_on(when.effective_on):
                chosen[slug] = unit
    for unit in chosen.values():
        unit.check_can_receive_tasks(when.effective_on)
    return list(chosen.values())


def _assign(
    issued: Document, tasks: list[Task], assignees: dict[str, Organisation], when: When
) -> list[BaseAggregate[UUID]]:
    created: list[BaseAggregate[UUID]] = []
    received: dict[str, list[UUID]] = {}
    for task in tasks:
        for ref in task.assignments:
            created.append(Assignment.assign(ref, task, issued.id, issued.issuer.slug, when))
            received.setdefault(ref.assignee, []).append(ref.assignment_id)
    for slug, ids in received.items():
        assignees[slug].receive(ids, when, document_id=issued.id)
        created.append(assignees[slug])
    return created


async def _fulfil(
    aggregates: Aggregates, parent: Document, issuer: Organisation, issued: Document, when: When
) -> list[Assignment]:
    """Issuing a document that implements ``parent`` fulfils the issuer's open
    implementing-document assignments of it (including ones inherited by a merger)."""
    held = set(issuer.assignment_ids)
    fulfilled = []
    for assignment_id in parent.implementing_assignments():
        if assignment_id not in held:
            continue
        assignment = await aggregates.get(Assignment, assignment_id)
        if assignment.status.open and assignment.assignee == issuer.slug:
            assignment.fulfil_by_document(issued.id, issued.number, issuer.slug, when)
            fulfilled.append(assignment)
    return fulfilled


async def amend_document(
    command: AmendDocument, context: CommandContext, aggregates: Aggregates
) -> Written:
    amended = await document(aggregates, command.document_id)
    check_acts_for(context.actor, amended.issuer.slug, _ISSUES, "amend documents")
    amended.amend(command.summary, command.reason, context.when(command.effective_on))
    return Written(position=Written.last(await aggregates.save(amended, context=context)))


async def supersede_document(
    command: SupersedeDocument, context: CommandContext, aggregates: Aggregates
) -> Written:
    old = await document(aggregates, command.document_id)
    check_acts_for(context.actor, old.issuer.slug, _ISSUES, "supersede documents")
    old.supersede(
        await document(aggregates, command.by_document_id), context.when(command.effective_on)
    )
    return Written(position=Written.last(await aggregates.save(old, context=context)))


async def revoke_document(
    command: RevokeDocument, context: CommandContext, aggregates: Aggregates
) -> Written:
    revoked = await document(aggregates, command.document_id)
    check_acts_for(context.actor, revoked.issuer.slug, _ISSUES, "revoke documents")
    revoked.revoke(command.reason, context.when(command.effective_on))
    return Written(position=Written.last(await aggregates.save(revoked, context=context)))
