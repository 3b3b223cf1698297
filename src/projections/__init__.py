"""Read models. ``all_projections`` lists those the service keeps up to date."""

from __future__ import annotations

from projections.assignment_status import AssignmentStatus
from projections.audit_index import AuditIndex
from projections.base import Projection
from projections.cascade import DocumentIndex
from projections.compliance import ComplianceRollup
from projections.inspections import InspectionsView
from projections.organisation_tree import OrganisationTree
from projections.watch_list import RemindersSent


def all_projections() -> list[Projection]:
    return [
        OrganisationTree(),
        DocumentIndex(),
        AssignmentStatus(),
        ComplianceRollup(),
        InspectionsView(),
        AuditIndex(),
        RemindersSent(),
    ]
