"""Documents (văn bản): issued, amended, superseded, revoked; and each issuer's register.

A document's issuer is frozen at issue time: a guidance sent by a district in 2024 stays
the district's, whatever later happens to the district.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import refuse
from domain.issuing_rules import check_may_issue
from domain.numbers import DocumentNumber, DocumentType
from domain.organisation import NAMESPACE, Organisation
from domain.task import Task, TaskKind
from domain.timing import When


@dataclass(frozen=True)
class Recipient:
    """A line of *Nơi nhận*; ``for_reporting`` when it carries "(b/c)" (to an upper body)."""

    name: str
    organisation: str | None = None
    for_reporting: bool = False


@dataclass(frozen=True)
class IssuerSnapshot:
    """The issuer as it was when the document was issued."""

    slug: str
    name: str
    level: str
    kind: str
    issuer_code: str | None


class DocumentRegister(Aggregate):
    """One per issuer: the numbers it has used, so that (type, term, number) is unique.

    Issuing a document appends to the register and to the new document in one append;
    two concurrent issues of the same number cannot both commit.
    """

    @staticmethod
    def create_id(issuer: str, **_: object) -> UUID:
        return register_id(issuer)

    @classmethod
    def open(cls, issuer: str, timestamp: datetime) -> DocumentRegister:
        return cls(issuer=issuer, timestamp=timestamp)

    @event("Opened")
    def __init__(self, issuer: str, timestamp: datetime) -> None:
        self.issuer = issuer
        self.entries: dict[str, UUID] = {}

    def enter(
        self, number: DocumentNumber, term: str, document_id: UUID, timestamp: datetime
    ) -> None:
        key = _register_key(number, term)
        existing = self.entries.get(key)
        if existing is not None:
            raise refuse(
                "duplicate_document_number",
                f"{number} of term {term} is already issued by {self.issuer} as document "
                f"{existing}",
            )
        self._entered(key=key, document_id=document_id, timestamp=timestamp)

    @event("Entered")
    def _entered(self, key: str, document_id: UUID, timestamp: datetime) -> None:
        self.entries[key] = document_id


def register_id(issuer: str) -> UUID:
    return uuid.uuid5(NAMESPACE, f"document-register:{issuer}")


def _register_key(number: DocumentNumber, term: str) -> str:
    return f"{number.type}|{term}|{number.sequence}"


class Document(Aggregate):
    @classmethod
    def issue(
        cls,
        *,
        number: DocumentNumber,
        term: str,
        title: str,
        issuer: Organisation,
        issuer_path: Sequence[str],
        when: When,
        tasks: Sequence[Task],
        place: str | None = None,
        signer: str | None = None,
        fields: Sequence[str] = (),
        recipients: Sequence[Recipient] = (),
        implements: Document | None = None,
        parent_issuer_successors: Sequence[str] = (),
        references: Sequence[str] = (),
        plan_year: int | None = None,
    ) -> Document:
        """``issuer_path`` is the issuer's ancestry (root first) on the issue date;
        ``parent_issuer_successors`` the parent's issuer and the units it was merged into."""
        issued_on = when.effective_on
        if not title.strip():
            raise refuse("title_required", "a document needs a title (trích yếu)")
        if not issuer.active_on(issued_on) or issuer.merged_into is not None:
            raise refuse(
                "issuer_not_active",
                f"{issuer.slug} does not exist on {issued_on.isoformat()} and cannot issue",
            )
        code = issuer.issuer_code_on(issued_on)
        if code != number.issuer_code:
            raise refuse(
                "number_issuer_mismatch",
                f"number {number} carries issuer code {number.issuer_code}, but on "
                f"{issued_on.isoformat()} {issuer.slug} issued as {code or '(no code)'}",
            )
        check_may_issue(issuer.kind, number.type, issued_on)
        if implements is not None:
            implements.check_implementable_by(
                issuer.slug, issuer_path, issued_on, parent_issuer_successors
            )
        for reference in references:
            DocumentNumber.parse(reference)
        return cls(
            number=str(number),
            document_type=number.type,
            term=term,
            title=title.strip(),
            place=place,
            issued_on=issued_on,
            plan_year=plan_year or issued_on.year,
            issuer=IssuerSnapshot(issuer.slug, issuer.name, issuer.level, issuer.kind, code),
            signer=signer,
            fields=tuple(fields),
            recipients=tuple(recipients),
            implements=implements.id if implements else None,
            implements_number=implements.number if implements else None,
            references=tuple(dict.fromkeys(references)),
            tasks=tuple(tasks),
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Issued")
    def __init__(
        self,
        number: str,
        document_type: DocumentType,
        term: str,
        title: str,
        place: str | None,
        issued_on: date,
        plan_year: int,
        issuer: IssuerSnapshot,
        signer: str | None,
        fields: tuple[str, ...],
        recipients: tuple[Recipient, ...],
        implements: UUID | None,
        implements_number: str | None,
        references: tuple[str, ...],
        tasks: tuple[Task, ...],
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.number = number
        self.document_type = document_type
        self.term = term
        self.title = title
        self.place = place
        self.issued_on = issued_on
        self.plan_year = plan_year
        self.issuer = issuer
        self.signer = signer
        self.fields = fields
        self.recipients = recipients
        self.implements = implements
        self.references = references
        self.tasks = tasks
        self.amendments: list[str] = []
        self.superseded_by: UUID | None = None
        self.revoked = False

    # -- reading ----------------------------------------------------------------
    @property
    def in_force(self) -> bool:
        return not self.revoked and self.superseded_by is None

    @property
    def addressed_to(self) -> frozenset[str]:
        """The units this document is addressed to: its recipients and its assignees
        (each may read it, wherever it sits in the tree)."""
        recipients = {r.organisation for r in self.recipients if r.organisation}
        assignees = {ref.assignee for task in self.tasks for ref in task.assignments}
        return frozenset(recipients | assignees)

    def check_implementable_by(
        self, slug: str, path: Sequence[str], on: date, successors: Sequence[str] = ()
    ) -> None:
        """Only units below an issuer implement its documents; after the issuer merged,
        units below the unit that absorbed it do."""
        if not self.in_force:
            raise refuse(
                "parent_not_in_force",
                f"{self.number} is no longer in force and cannot be implemented",
            )
        answering = {self.issuer.slug, *successors}
        if not answering.intersection(path[:-1]):
            raise refuse(
                "not_below_parent_issuer",
                f"{slug} is not below {self.issuer.slug}, the issuer of {self.number}, on "
                f"{on.isoformat()}: only units below an issuer implement its documents",
            )
        if on < self.issued_on:
            raise refuse(
                "implements_later_document",
                f"a document of {on.isoformat()} cannot implement {self.number}, issued "
                f"later ({self.issued_on.isoformat()})",
            )

    def implementing_assignments(self) -> list[UUID]:
        """The assignments that an implementing document of a lower unit fulfils."""
        return [
            ref.assignment_id
            for task in self.tasks
            if task.kind is TaskKind.IMPLEMENTING_DOCUMENT
            for ref in task.assignments
        ]

    # -- changing ---------------------------------------------------------------
    def amend(self, summary: str, reason: str, when: When) -> None:
        self._check_in_force()
        if not summary.strip() or not reason.strip():
            raise refuse(
                "amendment_needs_reason", "an amendment says what changed and why, both required"
            )
        self._amended(
            summary=summary.strip(),
            reason=reason.strip(),
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Amended")
    def _amended(
        self, summary: str, reason: str, effective_on: date, backdated: bool, timestamp: datetime
    ) -> None:
        self.amendments.append(summary)

    def supersede(self, successor: Document, when: When) -> None:
        self._check_in_force()
        if successor.id == self.id or successor.issuer.slug != self.issuer.slug:
            raise refuse(
                "invalid_successor",
                f"{self.number} can only be superseded by another document of its issuer",
            )
        self._superseded(
            by=successor.id,
            by_number=successor.number,
            effective_on=when.effective_on,
            timestamp=when.recorded_at,
        )

    @event("Superseded")
    def _superseded(
        self, by: UUID, by_number: str, effective_on: date, timestamp: datetime
    ) -> None:
        self.superseded_by = by

    def revoke(self, reason: str, when: When) -> None:
        self._check_in_force()
        if not reason.strip():
            raise refuse("revocation_needs_reason", "a revocation states its reason")
        self._revoked(
            reason=reason.strip(), effective_on=when.effective_on, timestamp=when.recorded_at
        )

    @event("Revoked")
    def _revoked(self, reason: str, effective_on: date, timestamp: datetime) -> None:
        self.revoked = True

    def _check_in_force(self) -> None:
        if not self.in_force:
            raise refuse(
                "document_not_in_force",
                f"{self.number} was " + ("revoked" if self.revoked else "superseded"),
            )
