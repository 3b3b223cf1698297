"""What a command hands back: ids it created and the log position of its last event
(so that a dashboard can wait for its views to catch up)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import msgspec


class Written(msgspec.Struct, frozen=True, kw_only=True):
    position: int | None
    """The global position of the command's last event (None when nothing was written)."""

    @staticmethod
    def last(positions: Sequence[int]) -> int | None:
        return max(positions) if positions else None


class AssignmentCreated(msgspec.Struct, frozen=True):
    id: UUID
    assignee_id: str
    period: str
    due_on: date


class TaskCreated(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    title: str
    assignments: list[AssignmentCreated]


class DocumentIssued(Written, frozen=True, kw_only=True):
    id: UUID
    number: str
    term: str
    tasks: list[TaskCreated]
    fulfilled: list[UUID]
    """Assignments of the parent document that this implementing document fulfilled."""


class OrganisationWritten(Written, frozen=True, kw_only=True):
    id: str


class AssignmentWritten(Written, frozen=True, kw_only=True):
    id: UUID
    status: str
    submission_id: UUID | None = None


class TokenIssued(Written, frozen=True, kw_only=True):
    id: UUID
    token: str
    """Shown once: only its digest is kept."""
    organization_id: str
    role: str
    label: str
