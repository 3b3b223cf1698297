"""Assignments: one task, one unit, one period, and its whole lifecycle.

assigned → (acknowledged) → submitted → accepted, or returned → resubmitted → ...; the
due date may be extended with a reason; the issuer may waive or cancel it; after a merge
it is transferred to the surviving unit. It is *overdue* when its due date passes with
nothing accepted, and *late* when accepted after the due date. On time and late are
judged on the effective date of the accepted submission (the date on the report).
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import PermissionDenied, refuse
from domain.task import AssignmentRef, Task, TaskKind
from domain.timing import When

_SHA256 = re.compile(r"[0-9a-f]{64}")


class Status(enum.StrEnum):
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    WAIVED = "waived"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self in _OPEN


_OPEN = {Status.ASSIGNED, Status.ACKNOWLEDGED, Status.SUBMITTED, Status.RETURNED}


class Bucket(enum.StrEnum):
    """The four counts commissioners (and the Government's task tracker) use."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN_IN_TIME = "open_in_time"
    OPEN_OVERDUE = "open_overdue"


@dataclass(frozen=True)
class Attachment:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Submission:
    """What a unit sent up: immutable; a revision is a new submission."""

    submission_id: UUID
    summary: str
    period: str
    submitted_by: str
    effective_on: date
    document_number: str | None = None
    attachments: tuple[Attachment, ...] = ()
    figures: dict[str, Decimal] = field(default_factory=dict)


class Assignment(Aggregate):
    @staticmethod
    def create_id(assignment_id: UUID, **_: object) -> UUID:
        """The id was chosen when the task was planned, so the document can list it."""
        return assignment_id

    @classmethod
    def assign(
        cls, ref: AssignmentRef, task: Task, document_id: UUID, issuer: str, when: When
    ) -> Assignment:
        return cls(
            assignment_id=ref.assignment_id,
            task_id=task.task_id,
            document_id=document_id,
            issuer=issuer,
            assignee=ref.assignee,
            kind=task.kind,
            title=task.title,
            field=task.field,
            period=ref.period,
            due_on=ref.due_on,
            effective_on=when.effective_on,
            timestamp=when.recorded_at,
        )

    @event("Assigned")
    def __init__(
        self,
        assignment_id: UUID,
        task_id: UUID,
        document_id: UUID,
        issuer: str,
        assignee: str,
        kind: TaskKind,
        title: str,
        field: str | None,
        period: str,
        due_on: date,
        effective_on: date,
        timestamp: datetime,
    ) -> None:
        self.task_id = task_id
        self.document_id = document_id
        self.issuer = issuer
        self.assignee = assignee
        self.original_assignee = assignee
        self.kind = kind
        self.title = title
        self.field = field
        self.period = period
        self.due_on = due_on
        self.assigned_on = effective_on
        self.status = Status.ASSIGNED
        self.submissions: list[Submission] = []
        self.returns = 0
        self.accepted_on: date | None = None
        self.accepted_submission: UUID | None = None
        self.marked_overdue = False
        self.reminded: set[int] = set()

    # -- reading ----------------------------------------------------------------
    def bucket(self, today: date) -> Bucket | None:
        """Where this assignment counts on ``today``; None once waived or cancelled."""
        if self.status is Status.ACCEPTED:
            done = self.done_on
            assert done is not None
            return Bucket.DONE_ON_TIME if done <= self.due_on else Bucket.DONE_LATE
        if not self.status.open:
            return None
        return Bucket.OPEN_OVERDUE if today > self.due_on else Bucket.OPEN_IN_TIME

    @property
    def done_on(self) -> date | None:
        """The effective date of the accepted submission (the report's date)."""
        for submission in self.submissions:
            if submission.submission_id == self.accepted_submission:
                return submission.effective_on
        return self.accepted_on

    # -- the assignee -----------------------------------------------------------
    def acknowledge(self, by: str, when: When) -> None:
        self._check_assignee(by, "acknowledge")
        if self.status is not Status.ASSIGNED:
            raise refuse("already_acknowledged", f"this assignment is already {self.status}")
        self._acknowledged(by=by, effective_on=when.effective_on, timestamp=when.recorded_at)

    @event("Acknowledged")
    def _acknowledged(self, by: str, effective_on: date, timestamp: datetime) -> None:
        self.status = Status.ACKNOWLEDGED

    def submit(
        self,
        by: str,
        summary: str,
        when: When,
        *,
        period: str | None = None,
        document_number: str | None = None,
        attachments: tuple[Attachment, ...] = (),
        figures: dict[str, Decimal] | None = None,
    ) -> Submission:
        self._check_assignee(by, "submit")
        self._check_open("submit to")
        if not summary.strip():
            raise refuse("summary_required", "a submission needs a summary of what was done")
        if period is not None and period != self.period:
            raise refuse(
                "wrong_period", f"this assignment is for period {self.period}, not {period}"
            )
        for attachment in attachments:
            if attachment.size < 0 or not _SHA256.fullmatch(attachment.sha256):
                raise refuse(
                    "invalid_attachment",
                    f"attachment {attachment.name!r} needs a size of at least 0 and a sha256 "
                    "of 64 hex digits",
                )
        submission = Submission(
            submission_id=uuid.uuid4(),
            summary=summary.strip(),
            period=self.period,
            submitted_by=by,
            effective_on=when.effective_on,
            document_number=document_number,
            attachments=attachments,
            figures=dict(figures or {}),
        )
        self._submitted(
            submission=submission,
            resubmission=bool(self.submissions),
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )
        return submission

    @event("Submitted")
    def _submitted(
        self, submission: Submission, resubmission: bool, backdated: bool, timestamp: datetime
    ) -> None:
        self.submissions.append(submission)
        self.status = Status.SUBMITTED

    # -- the issuer -------------------------------------------------------------
    def accept(self, by: str, note: str | None, when: When, *, reviewer: str | None = None) -> None:
        self._check_issuer(by, "accept", reviewer)
        if self.status is Status.ACCEPTED:
            raise refuse("already_accepted", "this assignment was already accepted")
        if self.status is not Status.SUBMITTED:
            raise refuse(
                "nothing_to_accept", f"there is no pending submission to accept ({self.status})"
            )
        self._accepted(
            by=by,
            note=note,
            submission_id=self.submissions[-1].submission_id,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Accepted")
    def _accepted(
        self,
        by: str,
        note: str | None,
        submission_id: UUID | None,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.status = Status.ACCEPTED
        self.accepted_on = effective_on
        self.accepted_submission = submission_id

    def fulfil_by_document(
        self, document_id: UUID, number: str, issued_by: str, when: When
    ) -> None:
        """An implementing document issued by the assignee fulfils the task by itself."""
        if self.kind is not TaskKind.IMPLEMENTING_DOCUMENT or issued_by != self.assignee:
            raise refuse(
                "not_fulfilled_by_document",
                "only the assignee's implementing document fulfils this assignment",
            )
        self._check_open("fulfil")
        self._fulfilled_by_document(
            document_id=document_id,
            number=number,
            effective_on=when.effective_on,
            timestamp=when.recorded_at,
        )

    @event("FulfilledByDocument")
    def _fulfilled_by_document(
        self, document_id: UUID, number: str, effective_on: date, timestamp: datetime
    ) -> None:
        self.status = Status.ACCEPTED
        self.accepted_on = effective_on
        self.accepted_submission = None

    def return_for_revision(
        self, by: str, reason: str, when: When, *, reviewer: str | None = None
    ) -> None:
        self._check_issuer(by, "return", reviewer)
        if self.status is not Status.SUBMITTED:
            raise refuse(
                "nothing_to_return", f"there is no pending submission to return ({self.status})"
            )
        if not reason.strip():
            raise refuse("reason_required", "a returned report states what must be revised")
        self._returned(
            by=by, reason=reason.strip(), effective_on=when.effective_on, timestamp=when.recorded_at
        )

    @event("Returned")
    def _returned(self, by: str, reason: str, effective_on: date, timestamp: datetime) -> None:
        self.status = Status.RETURNED
        self.returns += 1

    def extend(
        self, by: str, due_on: date, reason: str, when: When, *, reviewer: str | None = None
    ) -> None:
        self._check_issuer(by, "extend", reviewer)
        self._check_open("extend")
        if due_on <= self.due_on:
            raise refuse(
                "extension_not_later",
                f"the new due date {due_on.isoformat()} must be after the current one "
                f"({self.due_on.isoformat()})",
            )
        if not reason.strip():
            raise refuse("reason_required", "an extension states its reason")
        self._extended(
            by=by,
            due_on=due_on,
            previous_due_on=self.due_on,
            reason=reason.strip(),
            effective_on=when.effective_on,
            timestamp=when.recorded_at,
        )

    @event("DueDateExtended")
    def _extended(
        self,
        by: str,
        due_on: date,
        previous_due_on: date,
        reason: str,
        effective_on: date,
        timestamp: datetime,
    ) -> None:
        self.due_on = due_on
        self.marked_overdue = False
        self.reminded = set()

    def waive(self, by: str, reason: str, when: When, *, reviewer: str | None = None) -> None:
        self._close_by_issuer(by, reason, when, "waive", self._waived, reviewer)

    @event("Waived")
    def _waived(self, by: str, reason: str, effective_on: date, timestamp: datetime) -> None:
        self.status = Status.WAIVED

    def cancel(self, by: str, reason: str, when: When, *, reviewer: str | None = None) -> None:
        self._close_by_issuer(by, reason, when, "cancel", self._cancelled, reviewer)

    @event("Cancelled")
    def _cancelled(self, by: str, reason: str, effective_on: date, timestamp: datetime) -> None:
        self.status = Status.CANCELLED

    def _close_by_issuer(
        self,
        by: str,
        reason: str,
        when: When,
        what: str,
        record: Callable[..., None],
        reviewer: str | None,
    ) -> None:
        self._check_issuer(by, what, reviewer)
        self._check_open(what)
        if not reason.strip():
            raise refuse("reason_required", f"to {what} an assignment, state the reason")
        record(
            by=by, reason=reason.strip(), effective_on=when.effective_on, timestamp=when.recorded_at
        )

    # -- the system -------------------------------------------------------------
    def transfer(self, to: str, reason: str, when: When) -> None:
        """After a merge: the survivor inherits the open obligation."""
        self._check_open("transfer")
        self._transferred(
            from_unit=self.assignee,
            to_unit=to,
            reason=reason,
            effective_on=when.effective_on,
            timestamp=when.recorded_at,
        )

    @event("Transferred")
    def _transferred(
        self, from_unit: str, to_unit: str, reason: str, effective_on: date, timestamp: datetime
    ) -> None:
        self.assignee = to_unit

    def mark_overdue(self, today: date, timestamp: datetime) -> None:
        """Recorded once by the deadline watcher when the due date has passed."""
        self._check_open("mark overdue")
        if self.marked_overdue:
            raise refuse("already_marked_overdue", "this assignment is already marked overdue")
        if today <= self.due_on:
            raise refuse(
                "not_yet_due",
                f"the assignment is due on {self.due_on.isoformat()}, not yet overdue",
            )
        self._marked_overdue(due_on=self.due_on, on=today, timestamp=timestamp)

    @event("MarkedOverdue")
    def _marked_overdue(self, due_on: date, on: date, timestamp: datetime) -> None:
        self.marked_overdue = True

    def remind(self, days_before: int, today: date, timestamp: datetime) -> None:
        """Đôn đốc: once per configured number of days before the due date."""
        self._check_open("remind about")
        if days_before in self.reminded:
            raise refuse("already_reminded", f"a {days_before}-day reminder was already sent")
        if (self.due_on - today).days != days_before:
            raise refuse(
                "not_reminder_day",
                f"{today.isoformat()} is not {days_before} days before {self.due_on.isoformat()}",
            )
        self._reminded(days_before=days_before, due_on=self.due_on, timestamp=timestamp)

    @event("Reminded")
    def _reminded(self, days_before: int, due_on: date, timestamp: datetime) -> None:
        self.reminded.add(days_before)

    # -- guards -----------------------------------------------------------------
    def _check_open(self, what: str) -> None:
        if not self.status.open:
            raise refuse(
                f"assignment_{self.status}",
                f"cannot {what} an assignment that is {self.status}"
                + (" (đã hủy)" if self.status is Status.CANCELLED else ""),
            )

    def _check_assignee(self, unit: str, what: str) -> None:
        if unit != self.assignee:
            raise PermissionDenied(
                f"{unit} cannot {what} for {self.assignee}: a unit submits only for itself",
                code="not_the_assignee",
            )

    def _check_issuer(self, unit: str, what: str, reviewer: str | None) -> None:
        """The issuer reviews; once the issuer is merged, the unit that absorbed it
        (``reviewer``, found by the handler) answers for it."""
        answering = reviewer or self.issuer
        if unit != answering:
            raise PermissionDenied(
                f"{unit} cannot {what} this assignment: only {answering}, which answers for "
                f"its issuer {self.issuer}, reviews it",
                code="not_the_issuer",
            )
