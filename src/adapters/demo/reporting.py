"""How the units answer what they are assigned, and how the issuers review it.

For each assignment the odds decide, once, how it will play out: done on time (sent a
few days before the due date), late (sent after it), or never done (overdue at the end
of the year; a few of those sent but never accepted). Some are acknowledged first, some
returned for revision and sent again, some sent on paper and entered a few days later,
a few get their due date extended. The issuer (or the unit that has since absorbed it)
accepts a few days after each submission, and the deadline watcher marks each one
overdue the day after its due date when nothing was accepted by then. Each step is
planned on the agenda and, when its day comes, runs only if the assignment still waits
for it (a merger may have cancelled or transferred it meanwhile).
"""

from __future__ import annotations

import enum
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from adapters.demo.agenda import Action, Agenda
from adapters.demo.recorder import MemoryAggregates
from application import assignments as handle
from application.commands import (
    AcceptSubmission,
    AcknowledgeAssignment,
    ExtendDueDate,
    MarkOverdue,
    ReturnSubmission,
    SubmitReport,
)
from application.results import AssignmentCreated, DocumentIssued
from domain.assignment import Assignment, Attachment, Status
from domain.task import TaskKind


class Outcome(enum.Enum):
    ON_TIME = "on time"
    LATE = "late"
    NEVER = "never"


@dataclass(frozen=True)
class Odds:
    late: float = 0.05
    never: float = 0.03
    never_but_sent: float = 0.2
    """Of the never done: sent, but never accepted."""
    returned: float = 0.05
    acknowledged: float = 0.4
    entered_later: float = 0.1
    extended: float = 0.01

    def outcome(self, rng: random.Random) -> Outcome:
        draw = rng.random()
        if draw < self.never:
            return Outcome.NEVER
        return Outcome.LATE if draw < self.never + self.late else Outcome.ON_TIME


Implement = Callable[[str, UUID], Action]
"""The action of a unit issuing the document that implements a parent (its id)."""


def days(n: int) -> timedelta:
    return timedelta(days=n)


class Reporting:
    def __init__(
        self, agenda: Agenda, aggregates: MemoryAggregates, rng: random.Random, odds: Odds
    ) -> None:
        self.agenda = agenda
        self.aggregates = aggregates
        self.rng = rng
        self.odds = odds
        self._watched: dict[date, list[UUID]] = defaultdict(list)

    def follow(
        self,
        issued: DocumentIssued,
        day: date,
        implement: Implement | None,
        *,
        latest: date | None = None,
        implementing: Odds | None = None,
    ) -> None:
        """Plan how every assignment of a document just issued on ``day`` plays out;
        ``implement`` is how an assignee issues its implementing document, at the latest
        on ``latest``, with the ``implementing`` odds (the usual ones by default)."""
        for task in issued.tasks:
            for created in task.assignments:
                self.watch(created.id, created.due_on)
                if task.kind == TaskKind.IMPLEMENTING_DOCUMENT:
                    if implement is not None:
                        outcome = (implementing or self.odds).outcome(self.rng)
                        done = self.done_day(outcome, day + days(2), created.due_on, latest)
                        if done is not None:
                            self.agenda.at(done, implement(created.assignee_id, issued.id))
                else:
                    self._plan_report(created, day)

    def done_day(
        self, outcome: Outcome, after: date, due: date, latest: date | None = None
    ) -> date | None:
        """The day a thing asked on ``after`` and due on ``due`` is done (at the latest
        on ``latest``, and never before the day after it was asked)."""
        if outcome is Outcome.NEVER:
            return None
        if outcome is Outcome.LATE:
            done = due + days(self.rng.randint(1, 20))
        else:
            done = due - days(self.rng.randint(0, 12))
        done = max(done, after + days(1))
        return min(done, latest) if latest is not None else done

    # -- reports --------------------------------------------------------------------
    def _plan_report(self, created: AssignmentCreated, day: date) -> None:
        rng, odds, due = self.rng, self.odds, created.due_on
        if rng.random() < odds.acknowledged:
            self.agenda.after(day, rng.randint(1, 4), self._acknowledge(created.id))
        if rng.random() < odds.extended and (due - day).days > 10:
            extended_to = due + days(15)
            self.agenda.at(due - days(3), self._extend(created.id, extended_to))
            due = extended_to
        outcome = odds.outcome(rng)
        sent = self.done_day(outcome, day, due)
        if sent is None:
            if rng.random() < odds.never_but_sent:
                self.agenda.after(due, rng.randint(5, 30), self._submit(created.id))
            return
        if rng.random() < odds.returned and (sent - day).days > 6:
            first = sent - days(rng.randint(3, 5))
            self.agenda.at(first, self._submit(created.id))
            self.agenda.at(first + days(1), self._return(created.id))
        entered = sent + days(rng.randint(1, 3) if rng.random() < odds.entered_later else 0)
        self.agenda.at(entered, self._submit(created.id, sent))
        self.agenda.at(entered + days(rng.randint(1, 6)), self._accept(created.id))

    async def _open(self, assignment_id: UUID, *statuses: Status) -> Assignment | None:
        """The assignment, if it is (still) in one of ``statuses`` (any open one)."""
        found = await self.aggregates.get(Assignment, assignment_id)
        wanted = statuses or tuple(s for s in Status if s.open)
        return found if found.status in wanted else None

    def _acknowledge(self, assignment_id: UUID) -> Action:
        async def act(day: date) -> None:
            if await self._open(assignment_id, Status.ASSIGNED):
                command = AcknowledgeAssignment(assignment_id=assignment_id, effective_on=day)
                await handle.acknowledge_assignment(
                    command, self.agenda.context(day), self.aggregates
                )

        return act

    def _extend(self, assignment_id: UUID, due_on: date) -> Action:
        async def act(day: date) -> None:
            if await self._open(assignment_id):
                command = ExtendDueDate(
                    assignment_id=assignment_id,
                    due_on=due_on,
                    reason="Đơn vị đề nghị gia hạn để hoàn thiện số liệu",
                    effective_on=day,
                )
                await handle.extend_due_date(command, self.agenda.context(day), self.aggregates)
                self.watch(assignment_id, due_on)

        return act

    def _submit(self, assignment_id: UUID, sent_on: date | None = None) -> Action:
        """Send the report dated ``sent_on`` (the day it is entered when None)."""
        attach = self.rng.random() < 0.5
        digest, size = self.rng.randbytes(32).hex(), self.rng.randint(40_000, 4_000_000)
        held = self.rng.randint(1, 12)

        async def act(day: date) -> None:
            target = await self._open(
                assignment_id, Status.ASSIGNED, Status.ACKNOWLEDGED, Status.RETURNED
            )
            if target is None:
                return
            command = SubmitReport(
                assignment_id=assignment_id,
                summary=f"{target.title} ({target.period})",
                effective_on=sent_on or day,
                attachments=(Attachment(f"bao-cao-{target.period}.pdf", size, digest),)
                if attach
                else (),
                figures={"hoat_dong": Decimal(held)} if target.kind == TaskKind.ACTIVITY else {},
            )
            await handle.submit_report(command, self.agenda.context(day), self.aggregates)

        return act

    def _return(self, assignment_id: UUID) -> Action:
        async def act(day: date) -> None:
            if await self._open(assignment_id, Status.SUBMITTED):
                command = ReturnSubmission(
                    assignment_id=assignment_id,
                    reason="Đề nghị bổ sung số liệu và đánh giá kết quả",
                    effective_on=day,
                )
                await handle.return_submission(command, self.agenda.context(day), self.aggregates)

        return act

    def _accept(self, assignment_id: UUID) -> Action:
        async def act(day: date) -> None:
            if await self._open(assignment_id, Status.SUBMITTED):
                command = AcceptSubmission(assignment_id=assignment_id, effective_on=day)
                await handle.accept_submission(command, self.agenda.context(day), self.aggregates)

        return act

    # -- the deadline watcher -------------------------------------------------------
    def watch(self, assignment_id: UUID, due_on: date) -> None:
        """The watcher looks at the assignment the day after ``due_on``."""
        if not self._watched[due_on]:
            self.agenda.at(due_on + days(1), self._mark_overdue(due_on))
        self._watched[due_on].append(assignment_id)

    def _mark_overdue(self, due_on: date) -> Action:
        async def act(day: date) -> None:
            for assignment_id in self._watched.pop(due_on):
                target = await self._open(assignment_id)
                if target is not None and not target.marked_overdue and target.due_on < day:
                    await handle.mark_overdue(
                        MarkOverdue(assignment_id=assignment_id),
                        self.agenda.context(day),
                        self.aggregates,
                    )

        return act
