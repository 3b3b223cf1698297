"""Commands: what a user asks the system to do (imperative names, msgspec Structs).

Each carries the date it takes effect in the world (``effective_on``; today when left
out); the moment it is recorded comes from the clock.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec

from domain.assignment import Attachment
from domain.calendar import Recurrence
from domain.document import Recipient
from domain.inspection_terms import FindingKind, InspectionKind, Rating
from domain.organisation import Kind, Level
from domain.permissions import Role
from domain.task import Review, TaskKind


class Command(msgspec.Struct, frozen=True, kw_only=True):
    effective_on: date | None = None


class RegisterOrganisation(Command, frozen=True, kw_only=True):
    id: str
    name: str
    level: Level
    kind: Kind
    parent_id: str | None = None
    issuer_code: str | None = None


class RenameOrganisation(Command, frozen=True, kw_only=True):
    id: str
    name: str
    issuer_code: str | None = None
    """A new issuer code from the effective date, when the reorganisation changed it."""


class MoveOrganisation(Command, frozen=True, kw_only=True):
    id: str
    parent_id: str


class MergeOrganisation(Command, frozen=True, kw_only=True):
    id: str
    into_id: str


class DissolveOrganisation(Command, frozen=True, kw_only=True):
    id: str


class TaskInput(msgspec.Struct, frozen=True, kw_only=True):
    kind: TaskKind
    title: str
    field: str | None = None
    resolution: str | None = None
    review: Review | None = None
    due_on: date | None = None
    recurrence: Recurrence | None = None
    due_days_after_period: int = 10
    due_day_of_last_month: int | None = None
    period: str | None = None
    assignee_ids: tuple[str, ...] = ()
    assignee_kinds: tuple[Kind, ...] = ()


class IssueDocument(Command, frozen=True, kw_only=True):
    """``effective_on`` is the issue date (ngày ban hành)."""

    number: str
    title: str
    issuer_id: str
    term: str | None = None
    plan_year: int | None = None
    place: str | None = None
    signer: str | None = None
    fields: tuple[str, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    implements: UUID | None = None
    references: tuple[str, ...] = ()
    tasks: tuple[TaskInput, ...] = ()


class AmendDocument(Command, frozen=True, kw_only=True):
    document_id: UUID
    summary: str
    reason: str


class SupersedeDocument(Command, frozen=True, kw_only=True):
    document_id: UUID
    by_document_id: UUID


class RevokeDocument(Command, frozen=True, kw_only=True):
    document_id: UUID
    reason: str


class AcknowledgeAssignment(Command, frozen=True, kw_only=True):
    assignment_id: UUID


class SubmitReport(Command, frozen=True, kw_only=True):
    assignment_id: UUID
    summary: str
    period: str | None = None
    document_number: str | None = None
    attachments: tuple[Attachment, ...] = ()
    figures: dict[str, Decimal] = msgspec.field(default_factory=dict)


class AcceptSubmission(Command, frozen=True, kw_only=True):
    assignment_id: UUID
    note: str | None = None


class ReturnSubmission(Command, frozen=True, kw_only=True):
    assignment_id: UUID
    reason: str


class ExtendDueDate(Command, frozen=True, kw_only=True):
    assignment_id: UUID
    due_on: date
    reason: str


class WaiveAssignment(Command, frozen=True, kw_only=True):
    assignment_id: UUID
    reason: str


class CancelAssignment(Command, frozen=True, kw_only=True):
    assignment_id: UUID
    reason: str


class MarkOverdue(msgspec.Struct, frozen=True, kw_only=True):
    """From the deadline watcher: the due date has passed with nothing accepted."""

    assignment_id: UUID


class RemindAssignee(msgspec.Struct, frozen=True, kw_only=True):
    """From the deadline watcher: đôn đốc, ``days_before`` the due date."""

    assignment_id: UUID
    days_before: int


class PlanInspection(Command, frozen=True, kw_only=True):
    """``effective_on`` is when the plan was decided; ``starts_on`` when work begins."""

    inspector_id: str
    target_ids: tuple[str, ...]
    scope: tuple[str, ...]
    period_from: date
    period_to: date
    starts_on: date
    due_on: date | None = None
    kind: InspectionKind = InspectionKind.INSPECTION
    escalated_from: UUID | None = None


class InspectionCommand(Command, frozen=True, kw_only=True):
    inspection_id: UUID


class DecideInspectionTeam(InspectionCommand, frozen=True, kw_only=True):
    members: tuple[str, ...]
    decision_number: str | None = None


class ExtendInspection(InspectionCommand, frozen=True, kw_only=True):
    due_on: date
    reason: str


class ReceiveSelfAssessment(InspectionCommand, frozen=True, kw_only=True):
    target_id: str
    summary: str


class RecordFinding(InspectionCommand, frozen=True, kw_only=True):
    target_id: str
    kind: FindingKind
    text: str
    document: str | None = None


class DraftConclusion(InspectionCommand, frozen=True, kw_only=True):
    target_id: str
    text: str


class IssueConclusion(InspectionCommand, frozen=True, kw_only=True):
    target_id: str
    rating: Rating
    text: str
    remediation_due_on: date | None = None


class ReportRemediation(InspectionCommand, frozen=True, kw_only=True):
    target_id: str
    text: str


class VerifyRemediation(InspectionCommand, frozen=True, kw_only=True):
    target_id: str


class CloseInspection(InspectionCommand, frozen=True, kw_only=True):
    pass


class EscalateSupervision(InspectionCommand, frozen=True, kw_only=True):
    pass


class MarkInspectionOverdue(msgspec.Struct, frozen=True, kw_only=True):
    """From the deadline watcher: the inspection ran past its due date."""

    inspection_id: UUID


class IssueToken(msgspec.Struct, frozen=True, kw_only=True):
    organization_id: str
    role: Role
    label: str


class RevokeToken(msgspec.Struct, frozen=True, kw_only=True):
    token_id: UUID
