"""Inspections and supervisions (kiểm tra, giám sát) of how lower units carry out
resolutions: one aggregate per plan, with its targets, findings, conclusions and the
remediation those require.

planned → team decided → self-assessments → findings → conclusion per target (may require
remediation by a date) → remediation reported → verified → closed. The deadline follows
the model process (331-QĐ/TW): by the inspector's level, extendable once by at most a
third. A supervision that finds signs of violation is escalated: it ends, and an
inspection is planned from it. An inspector acts only below itself in the tree; a target
that was later merged or dissolved can still be inspected for its past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import PermissionDenied, refuse
from domain.inspection_terms import (
    DURATION_DAYS,
    Finding,
    FindingKind,
    InspectionKind,
    InspectionStatus,
    Rating,
    TargetState,
    check_review_period,
    checked_due_on,
    max_extension_days,
)
from domain.organisation import Level, Organisation
from domain.timing import When

TargetInTree = tuple[Organisation, Sequence[str]]
"""A target and its ancestry on the start date, root first (as ``tree.path_on`` gives)."""


class Inspection(Aggregate):
    @classmethod
    def plan(
        cls,
        kind: InspectionKind,
        inspector: Organisation,
        targets: Sequence[TargetInTree],
        scope: Sequence[str],
        period_from: date,
        period_to: date,
        starts_on: date,
        due_on: date | None,
        when: When,
        *,
        escalated_from: Inspection | None = None,
    ) -> Inspection:
        """``scope``: the documents and resolutions whose execution is reviewed. The plan
        may be entered after the fact, so ``starts_on`` may precede ``when``."""
        if not targets:
            raise refuse("targets_required", "an inspection needs at least one target")
        documents = tuple(dict.fromkeys(s.strip() for s in scope if s.strip()))
        if not documents:
            raise refuse(
                "scope_required", "name the documents or resolutions whose execution is reviewed"
            )
        check_review_period(period_from, period_to, starts_on)
        if not inspector.active_on(starts_on):
            raise refuse(
                "inspector_not_active",
                f"{inspector.slug} does not exist on {starts_on.isoformat()} and cannot inspect",
            )
        slugs = [target.slug for target, _ in targets]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise refuse("duplicate_target", f"targets listed twice: {', '.join(duplicates)}")
        for target, path in targets:
            _check_target_placement(inspector.slug, target, path, period_from, period_to)
        duration = DURATION_DAYS[inspector.level]
        due_on = checked_due_on(inspector.level, starts_on, due_on)
        if escalated_from is not None:
            escalated_from.check_escalates_into(kind, slugs)
        return cls(
            kind=kind,
            inspector=inspector.slug,
            inspector_level=inspector.level,
            targets=tuple(slugs),
            target_paths={target.slug: tuple(path) for target, path in targets},
            scope=documents,
            period_from=period_from,
            period_to=period_to,
            starts_on=starts_on,
            due_on=due_on,
            duration_days=duration,
            escalated_from=escalated_from.id if escalated_from else None,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Planned")
    def __init__(
        self,
        kind: InspectionKind,
        inspector: str,
        inspector_level: Level,
        targets: tuple[str, ...],
        target_paths: dict[str, tuple[str, ...]],
        scope: tuple[str, ...],
        period_from: date,
        period_to: date,
        starts_on: date,
        due_on: date,
        duration_days: int,
        escalated_from: UUID | None,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.kind = kind
        self.inspector = inspector
        self.inspector_level = inspector_level
        self.targets = targets
        self.target_paths = dict(target_paths)
        self.scope = scope
        self.period_from = period_from
        self.period_to = period_to
        self.starts_on = starts_on
        self.due_on = due_on
        self.duration_days = duration_days
        self.escalated_from = escalated_from
        self.planned_on = effective_on
        self.status = InspectionStatus.PLANNED
        self.team: tuple[str, ...] = ()
        self.team_decision_number: str | None = None
        self.extended_on: date | None = None
        self.findings: list[Finding] = []
        self.target_states = {target: TargetState() for target in targets}
        self.marked_overdue = False
        self.ended_on: date | None = None

    # -- reading ----------------------------------------------------------------
    @property
    def open(self) -> bool:
        """Neither closed nor escalated."""
        return self.status.open

    def overdue_on(self, today: date) -> bool:
        return self.open and today > self.due_on

    def target_state(self, target: str) -> TargetState:
        """Refuses (``not_a_target``) a unit this inspection does not look at."""
        self._check_target(target)
        return self.target_states[target]

    def remediation_due(self, target: str) -> date | None:
        return self.target_state(target).remediation_due_on

    def findings_for(self, target: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.target == target]

    def has_violation(self, target: str) -> bool:
        return any(f.kind is FindingKind.VIOLATION for f in self.findings_for(target))

    def unfinished(self) -> list[str]:
        """What still stands between the inspection and its closing."""
        missing = []
        for target, state in self.target_states.items():
            if not state.concluded:
                missing.append(f"no conclusion for {target}")
            elif state.remediation_required and not state.remediation_verified:
                missing.append(f"remediation by {target} not verified")
        return missing

    def check_escalates_into(self, kind: InspectionKind, targets: Sequence[str]) -> None:
        """An inspection planned from this supervision: the supervision was escalated for
        signs of violation, and the inspection looks at units it supervised."""
        if self.kind is not InspectionKind.SUPERVISION:
            raise refuse("only_supervision_escalates", "only a supervision escalates")
        if kind is not InspectionKind.INSPECTION:
            raise refuse("escalation_is_an_inspection", "a supervision escalates to an inspection")
        if self.status is not InspectionStatus.ESCALATED:
            raise refuse(
                "supervision_not_escalated",
                f"supervision {self.id} was not escalated ({self.status}): escalate it first",
            )
        outside = sorted(set(targets) - set(self.targets))
        if outside:
            raise refuse(
                "target_not_supervised",
                f"{', '.join(outside)} were not targets of supervision {self.id}",
            )

    # -- the inspector ----------------------------------------------------------
    def decide_team(
        self,
        by: str,
        members: Sequence[str],
        decision_number: str | None,
        when: When,
        *,
        successor: str | None = None,
    ) -> None:
        """Quyết định thành lập đoàn. A later decision replaces the team."""
        self._check_inspector(by, "decide the team of", successor)
        self._check_open("decide the team of")
        team = tuple(dict.fromkeys(m.strip() for m in members if m.strip()))
        if not team:
            raise refuse("team_members_required", "a team has at least one member")
        self._team_decided(
            by=by,
            members=team,
            decision_number=(decision_number or "").strip() or None,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("TeamDecided")
    def _team_decided(
        self,
        by: str,
        members: tuple[str, ...],
        decision_number: str | None,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.team = members
        self.team_decision_number = decision_number
        self.status = InspectionStatus.UNDER_WAY

    def extend(
        self, by: str, due_on: date, reason: str, when: When, *, successor: str | None = None
    ) -> None:
        """Once, by at most a third of the allowed duration (331-QĐ/TW)."""
        self._check_inspector(by, "extend", successor)
        self._check_open("extend")
        if self.extended_on is not None:
            raise refuse(
                "already_extended",
                f"this {self.kind} was already extended (on {self.extended_on.isoformat()}); "
                "it may be extended only once",
            )
        if due_on <= self.due_on:
            raise refuse(
                "extension_not_later",
                f"the new due date {due_on.isoformat()} must be after the current one "
                f"({self.due_on.isoformat()})",
            )
        allowed = max_extension_days(self.duration_days)
        if (due_on - self.due_on).days > allowed:
            raise refuse(
                "extension_too_long",
                f"an extension adds at most {allowed} days (a third of {self.duration_days}): "
                f"{due_on.isoformat()} is {(due_on - self.due_on).days} days later",
            )
        self._extended(
            by=by,
            due_on=due_on,
            previous_due_on=self.due_on,
            reason=_required(reason, "reason_required", "an extension states its reason"),
            effective_on=when.effective_on,
            backdated=when.backdated,
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
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.due_on = due_on
        self.extended_on = effective_on
        self.marked_overdue = False

    def record_finding(
        self,
        by: str,
        target: str,
        kind: FindingKind,
        text: str,
        document: str | None,
        when: When,
        *,
        successor: str | None = None,
    ) -> Finding:
        self._check_inspector(by, "record findings of", successor)
        self._check_open("record findings of")
        self._check_not_concluded(target, "record a finding")
        finding = Finding(
            target=target,
            kind=kind,
            text=_required(text, "text_required", "a finding states what was found"),
            document=(document or "").strip() or None,
            found_on=when.effective_on,
            recorded_by=by,
        )
        self._finding_recorded(
            finding=finding,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )
        return finding

    @event("FindingRecorded")
    def _finding_recorded(
        self, finding: Finding, effective_on: date, backdated: bool, timestamp: datetime
    ) -> None:
        self.findings.append(finding)

    def draft_conclusion(
        self, by: str, target: str, text: str, when: When, *, successor: str | None = None
    ) -> None:
        """Dự thảo kết luận: may be redrafted until the conclusion is issued."""
        self._check_inspector(by, "draft a conclusion of", successor)
        self._check_open("draft a conclusion of")
        self._check_not_concluded(target, "draft a conclusion")
        self._conclusion_drafted(
            by=by,
            target=target,
            text=_required(text, "text_required", "a draft conclusion needs a text"),
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("ConclusionDrafted")
    def _conclusion_drafted(
        self,
        by: str,
        target: str,
        text: str,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.target_states[target] = replace(self.target_states[target], draft=text)

    def issue_conclusion(
        self,
        by: str,
        target: str,
        rating: Rating,
        text: str,
        remediation_due_on: date | None,
        when: When,
        *,
        successor: str | None = None,
    ) -> None:
        """Once per target. A violation must be remedied (khắc phục) by a date."""
        self._check_inspector(by, "issue a conclusion of", successor)
        self._check_open("issue a conclusion of")
        self._check_not_concluded(target, "issue a conclusion")
        text = _required(text, "text_required", "a conclusion needs a text")
        if remediation_due_on is None and (
            rating is Rating.VIOLATION or self.has_violation(target)
        ):
            raise refuse(
                "remediation_required",
                f"{target} committed a violation: the conclusion sets a date by which it must "
                "be remedied (thời hạn khắc phục)",
            )
        if remediation_due_on is not None and remediation_due_on <= when.effective_on:
            raise refuse(
                "remediation_due_too_early",
                f"remediation due on {remediation_due_on.isoformat()} must come after the "
                f"conclusion ({when.effective_on.isoformat()})",
            )
        self._conclusion_issued(
            by=by,
            target=target,
            rating=rating,
            text=text,
            remediation_due_on=remediation_due_on,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("ConclusionIssued")
    def _conclusion_issued(
        self,
        by: str,
        target: str,
        rating: Rating,
        text: str,
        remediation_due_on: date | None,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.target_states[target] = replace(
            self.target_states[target],
            rating=rating,
            conclusion=text,
            concluded_on=effective_on,
            remediation_due_on=remediation_due_on,
        )

    def verify_remediation(
        self, by: str, target: str, when: When, *, successor: str | None = None
    ) -> None:
        self._check_inspector(by, "verify remediation in", successor)
        self._check_open("verify remediation in")
        state = self._remediation_pending(target)
        if not state.remediation_reported:
            raise refuse(
                "remediation_not_reported", f"{target} has not yet reported its remediation"
            )
        self._remediation_verified(
            by=by,
            target=target,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("RemediationVerified")
    def _remediation_verified(
        self, by: str, target: str, effective_on: date, backdated: bool, timestamp: datetime
    ) -> None:
        self.target_states[target] = replace(
            self.target_states[target], remediation_verified_on=effective_on
        )

    def close(self, by: str, when: When, *, successor: str | None = None) -> None:
        """Every target concluded, every remediation required verified."""
        self._check_inspector(by, "close", successor)
        self._check_open("close")
        missing = self.unfinished()
        if missing:
            raise refuse(
                "inspection_not_finished",
                f"this {self.kind} cannot be closed yet: {'; '.join(missing)}",
            )
        self._closed(
            by=by,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Closed")
    def _closed(self, by: str, effective_on: date, backdated: bool, timestamp: datetime) -> None:
        self.status = InspectionStatus.CLOSED
        self.ended_on = effective_on

    def escalate(self, by: str, when: When, *, successor: str | None = None) -> None:
        """A supervision that found signs of violation ends here; an inspection is then
        planned with ``escalated_from`` naming it."""
        self._check_inspector(by, "escalate", successor)
        self._check_open("escalate")
        if self.kind is not InspectionKind.SUPERVISION:
            raise refuse("only_supervision_escalates", "only a supervision is escalated")
        violating = tuple(t for t in self.targets if self.has_violation(t))
        if not violating:
            raise refuse(
                "escalation_needs_violation",
                "a supervision is escalated to an inspection only on signs of violation: "
                "record a violation finding first",
            )
        self._escalated(
            by=by,
            targets=violating,
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("Escalated")
    def _escalated(
        self,
        by: str,
        targets: tuple[str, ...],
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.status = InspectionStatus.ESCALATED
        self.ended_on = effective_on

    # -- the targets ------------------------------------------------------------
    def receive_self_assessment(
        self, by: str, target: str, summary: str, when: When, *, successor: str | None = None
    ) -> None:
        """Báo cáo tự kiểm tra: the target's own report; a later one supersedes it."""
        self._check_target_acts(by, target, "send a self-assessment", successor)
        self._check_open("send a self-assessment to")
        self._check_not_concluded(target, "send a self-assessment")
        self._self_assessment_received(
            by=by,
            target=target,
            summary=_required(summary, "summary_required", "a self-assessment needs a summary"),
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("SelfAssessmentReceived")
    def _self_assessment_received(
        self,
        by: str,
        target: str,
        summary: str,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.target_states[target] = replace(
            self.target_states[target], self_assessed_on=effective_on
        )

    def report_remediation(
        self, by: str, target: str, text: str, when: When, *, successor: str | None = None
    ) -> None:
        """What the target did about the conclusion; reported again until verified."""
        self._check_target_acts(by, target, "report remediation", successor)
        self._check_open("report remediation to")
        self._remediation_pending(target)
        self._remediation_reported(
            by=by,
            target=target,
            text=_required(text, "text_required", "a remediation report says what was done"),
            effective_on=when.effective_on,
            backdated=when.backdated,
            timestamp=when.recorded_at,
        )

    @event("RemediationReported")
    def _remediation_reported(
        self,
        by: str,
        target: str,
        text: str,
        effective_on: date,
        backdated: bool,
        timestamp: datetime,
    ) -> None:
        self.target_states[target] = replace(
            self.target_states[target], remediation_reported_on=effective_on
        )

    # -- the system -------------------------------------------------------------
    def mark_overdue(self, today: date, timestamp: datetime) -> None:
        """Recorded once by the deadline watcher when the due date has passed."""
        self._check_open("mark overdue")
        if self.marked_overdue:
            raise refuse("already_marked_overdue", f"this {self.kind} is already marked overdue")
        if today <= self.due_on:
            raise refuse(
                "not_yet_due", f"this {self.kind} is due on {self.due_on.isoformat()}, not yet"
            )
        self._marked_overdue(due_on=self.due_on, effective_on=today, timestamp=timestamp)

    @event("MarkedOverdue")
    def _marked_overdue(self, due_on: date, effective_on: date, timestamp: datetime) -> None:
        self.marked_overdue = True

    # -- guards -----------------------------------------------------------------
    def _check_open(self, what: str) -> None:
        if not self.status.open:
            raise refuse(
                f"inspection_{self.status}",
                f"cannot {what} a {self.kind} that is {self.status} (since "
                f"{self.ended_on}); its record can be read but not changed",
            )

    def _check_inspector(self, unit: str, what: str, successor: str | None) -> None:
        """The inspector acts; once it is merged, the unit that absorbed it (``successor``,
        found by the handler) answers for it."""
        answering = successor or self.inspector
        if unit != answering:
            raise PermissionDenied(
                f"{unit} cannot {what} this {self.kind}: only the inspector {self.inspector}"
                + (f", or {successor} which absorbed it," if successor else "")
                + " does",
                code="not_the_inspector",
            )

    def _check_target(self, target: str) -> None:
        if target not in self.target_states:
            raise refuse(
                "not_a_target",
                f"{target} is not a target of this {self.kind} "
                f"(targets: {', '.join(self.targets)})",
            )

    def _check_target_acts(self, unit: str, target: str, what: str, successor: str | None) -> None:
        """A target reports only for itself (or, once merged, its ``successor`` does)."""
        self._check_target(target)
        answering = successor or target
        if unit != answering:
            raise PermissionDenied(
                f"{unit} cannot {what} for {target}: a target reports only for itself",
                code="not_the_target",
            )

    def _check_not_concluded(self, target: str, what: str) -> None:
        state = self.target_state(target)
        if state.concluded:
            assert state.concluded_on is not None
            raise refuse(
                "conclusion_already_issued",
                f"cannot {what} for {target}: its conclusion was issued on "
                f"{state.concluded_on.isoformat()}",
            )

    def _remediation_pending(self, target: str) -> TargetState:
        state = self.target_state(target)
        if not state.remediation_required:
            raise refuse(
                "no_remediation_required",
                f"no conclusion requires {target} to remedy anything"
                + ("" if state.concluded else " (it has no conclusion yet)"),
            )
        if state.remediation_verified:
            raise refuse(
                "remediation_already_verified", f"the remediation by {target} is already verified"
            )
        return state


def _required(text: str, code: str, message: str) -> str:
    if not text.strip():
        raise refuse(code, message)
    return text.strip()


def _check_target_placement(
    inspector: str, target: Organisation, path: Sequence[str], period_from: date, period_to: date
) -> None:
    """Strictly below the inspector on the start date; a unit merged or dissolved since
    may still be inspected for its past, but only for a period in which it existed."""
    if inspector not in [slug for slug in path if slug != target.slug]:
        raise PermissionDenied(
            f"{inspector} cannot inspect {target.slug}: an inspector acts only in its own "
            f"subtree ({' > '.join(path)})",
            code="inspector_outside_subtree",
        )
    if target.valid_from > period_to or (
        target.valid_to is not None and target.valid_to <= period_from
    ):
        raise refuse(
            "target_not_in_period",
            f"{target.slug} did not exist between {period_from.isoformat()} and "
            f"{period_to.isoformat()}, the period under review",
        )
