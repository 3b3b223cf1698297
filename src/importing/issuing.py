"""From a reviewed draft to the ``IssueDocument`` command, and issuing it through the
normal command path (``application.documents.issue_document``): one append, with the
register entry, every assignment and the parent's assignments it fulfils.

What the text left open is settled here, visibly and the same way every time: a task
with no date is due at the end of the plan year; a report "định kỳ" without a period is
yearly; a task the text addresses to nobody goes to the party organisations and
commissions directly below the issuer; a task that reaches no unit is left out (the
resolution says so). A draft without number, date, title or a resolved issuer is
refused with everything it lacks in one message.
"""

from __future__ import annotations

from datetime import date

from application.commands import IssueDocument, TaskInput
from application.documents import issue_document
from application.ports import Aggregates, CommandContext
from application.results import DocumentIssued
from domain.calendar import Recurrence, end_of_month
from domain.document import Recipient
from domain.task import TaskKind
from importing.addressees import DEFAULT_KINDS
from importing.dates import day_of_last_month, plan_year
from importing.draft import Draft, TaskDraft
from importing.numbers import parse_number
from importing.resolution import Resolution


class ImportRefused(ValueError):
    """The draft cannot be issued as it stands; the message lists what to fix."""


def to_command(draft: Draft, resolution: Resolution) -> IssueDocument:
    document = draft.document
    lacking = []
    number = parse_number(document.number) if document.number else None
    if number is None:
        lacking.append(
            f"a valid number (số), not {document.number!r}" if document.number else "a number (số)"
        )
    if document.issued_on is None:
        lacking.append("a date of issue")
    if not (document.title or "").strip():
        lacking.append("a title")
    if resolution.issuer is None:
        lacking.append("a known issuer (name it with --as, or register it)")
    if len(resolution.assignees) != len(draft.tasks):
        lacking.append("a resolution of this very draft (resolve the reviewed draft again)")
    if lacking:
        raise ImportRefused("the draft cannot be issued: it needs " + "; ".join(lacking))
    assert number is not None and document.issued_on is not None and resolution.issuer
    year = plan_year(document.title) or document.issued_on.year
    return IssueDocument(
        number=str(number),
        title=(document.title or "").strip(),
        issuer_id=resolution.issuer.id,
        effective_on=document.issued_on,
        plan_year=year,
        place=document.place,
        signer=document.signer,
        fields=tuple(document.fields),
        recipients=tuple(
            Recipient(name=r.name, organisation=unit, for_reporting=r.for_reporting)
            for r, unit in zip(document.recipients, resolution.recipients, strict=False)
        ),
        implements=resolution.parent.id if resolution.parent else None,
        references=tuple(dict.fromkeys(r.number for r in document.references)),
        tasks=tuple(
            _task(task, year)
            for task, reached in zip(draft.tasks, resolution.assignees, strict=True)
            if reached
        ),
    )


def _task(task: TaskDraft, year: int) -> TaskInput:
    recurrence = task.recurrence
    if recurrence is None and task.kind is TaskKind.PERIODIC_REPORT and task.due_on is None:
        recurrence = Recurrence.YEARLY
    due_on = None
    if recurrence is None:
        due_on = task.due_on or _month_end(task.due_month) or date(year, 12, 31)
    return TaskInput(
        kind=task.kind,
        title=task.title,
        resolution=task.resolution,
        review=task.review,
        due_on=due_on,
        recurrence=recurrence,
        due_day_of_last_month=day_of_last_month(task.title) if recurrence else None,
        assignee_kinds=tuple(task.assignee_hint or DEFAULT_KINDS),
    )


def _month_end(month: str | None) -> date | None:
    if month is None:
        return None
    year, number = (int(part) for part in month.split("-"))
    return end_of_month(year, number)


async def issue(
    draft: Draft, resolution: Resolution, context: CommandContext, aggregates: Aggregates
) -> DocumentIssued:
    """Issue a reviewed draft as ``context.actor`` (one append, or nothing)."""
    return await issue_document(to_command(draft, resolution), context, aggregates)
