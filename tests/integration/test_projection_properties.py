"""Random scenarios from the domain's state machine (its rules and strategies, plus
inspections), with every view built incrementally in small batches:

* the inspections view agrees with the aggregates after every step (overdue judged on
  that day by the SQL as by the domain);
* at the end of every day, the live roll-up's answers are recorded; afterwards, the
  compliance *as of* each of those days, replayed from the log, equals them exactly;
* at the end, every view rebuilt from zero (``projections rebuild``: a shadow schema,
  then the swap) equals the view built incrementally.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from adapters.store.projection_rebuild import rebuild
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.time_travel import compliance_as_of
from application import inspections as handle
from application.commands import (
    CloseInspection,
    DecideInspectionTeam,
    EscalateSupervision,
    ExtendInspection,
    IssueConclusion,
    PlanInspection,
    ReceiveSelfAssessment,
    RecordFinding,
    ReportRemediation,
    VerifyRemediation,
)
from domain.inspection import Inspection
from domain.inspection_terms import FindingKind, InspectionKind, Rating
from domain.permissions import Role
from projections import all_projections
from projections.compliance import UnitCompliance, unit_compliance
from projections.inspections import inspection_detail
from tests.integration.cascade import as_unit
from tests.integration.projection_tables import snapshot
from tests.integration.test_domain_state_machine import ISSUER, UNITS, DomainMachine

WATCHED = ("btg-tw", ISSUER, "btg-ngo-quyen", "phuong-may-to")
"""Units whose compliance is recorded every day and travelled back to."""
VERBS = ("team", "assess", "find", "extend", "escalate", "conclude", "report", "verify", "close")
"""Inspection steps in the order of an inspection's life."""


class ProjectionMachine(DomainMachine):
    def __init__(self) -> None:
        super().__init__()
        store, wakeup, url = self.rollup.store, self.rollup.wakeup, self.rollup.dsn
        kept = {self.status_view.projection.name, self.rollup.projection.name}
        self.views = [self.status_view, self.rollup] + [
            ProjectionRunner(p, store, wakeup, url, batch_size=3)
            for p in all_projections()
            if p.name not in kept
        ]
        self.inspections: list[uuid.UUID] = []
        self.seen: dict[tuple[date, str], UnitCompliance] = {}

    # -- rules ----------------------------------------------------------------------
    @rule(
        units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=2, unique=True),
        supervision=st.booleans(),
    )
    def plan_inspection(self, units: list[str], supervision: bool) -> None:
        kind = InspectionKind.SUPERVISION if supervision else InspectionKind.INSPECTION
        self.attempt(
            handle.plan_inspection(
                PlanInspection(
                    inspector_id=ISSUER,
                    target_ids=tuple(units),
                    scope=("38-CT/TW",),
                    period_from=date(2022, 1, 1),
                    period_to=date(2023, 12, 31),
                    starts_on=self.day,
                    kind=kind,
                    effective_on=self.day,
                ),
                as_unit(ISSUER, self.day),
                self.aggregates,
            )
        )
        for saved in self.aggregates.saved.values():
            if isinstance(saved, Inspection) and saved.id not in self.inspections:
                self.inspections.append(saved.id)

    @rule(data=st.data(), first=st.integers(0, len(VERBS) - 1), count=st.integers(1, 6))
    def inspect(self, data: st.DataObject, first: int, count: int) -> None:
        """A few steps of one inspection, in the order of its life (each may be refused)."""
        if not self.inspections:
            return
        iid = data.draw(st.sampled_from(self.inspections))
        for verb in VERBS[first : first + count]:
            self._inspect_once(
                iid,
                verb,
                data.draw(st.sampled_from(FindingKind)),
                data.draw(st.sampled_from(Rating)),
                data.draw(st.none() | st.integers(1, 40)),
                data,
            )

    def _inspect_once(
        self,
        iid: uuid.UUID,
        verb: str,
        kind: FindingKind,
        rating: Rating,
        remedy_days: int | None,
        data: st.DataObject,
    ) -> None:
        inspection = self.run(self.aggregates.get(Inspection, iid))
        target = data.draw(st.sampled_from(inspection.targets))
        day = self.day
        remedy_by = date.fromordinal(day.toordinal() + remedy_days) if remedy_days else None
        later = date.fromordinal(inspection.due_on.toordinal() + 5)
        on = {"inspection_id": iid, "effective_on": day}
        officer = as_unit(ISSUER, day, Role.INSPECTOR)
        reporter = as_unit(target, day, Role.REPORTER)
        commands: dict[str, tuple[Any, Any, Any]] = {
            "team": (handle.decide_team, DecideInspectionTeam(members=("Đoàn",), **on), officer),
            "assess": (
                handle.receive_self_assessment,
                ReceiveSelfAssessment(target_id=target, summary="Tự kiểm tra", **on),
                reporter,
            ),
            "find": (
                handle.record_finding,
                RecordFinding(target_id=target, kind=kind, text="Phát hiện", **on),
                officer,
            ),
            "conclude": (
                handle.issue_conclusion,
                IssueConclusion(
                    target_id=target,
                    rating=rating,
                    text="Kết luận",
                    remediation_due_on=remedy_by,
                    **on,
                ),
                officer,
            ),
            "report": (
                handle.report_remediation,
                ReportRemediation(target_id=target, text="Đã khắc phục", **on),
                reporter,
            ),
            "verify": (
                handle.verify_remediation,
                VerifyRemediation(target_id=target, **on),
                officer,
            ),
            "close": (handle.close_inspection, CloseInspection(**on), officer),
            "escalate": (handle.escalate_supervision, EscalateSupervision(**on), officer),
            "extend": (
                handle.extend_inspection,
                ExtendInspection(due_on=later, reason="Gia hạn", **on),
                officer,
            ),
        }
        handler, command, actor = commands[verb]
        self.attempt(handler(command, actor, self.aggregates))

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        self._record_the_day()
        super().time_passes(days)

    # -- invariants -------------------------------------------------------------------
    @invariant()
    def the_inspections_view_agrees_with_the_aggregates(self) -> None:
        for view in self.views:
            self.run(view.catch_up())
        for iid in self.inspections:
            inspection = self.run(self.aggregates.get(Inspection, iid))
            detail = self.run(self._inspection(iid))
            assert detail is not None
            assert (detail.status, detail.due_on, detail.ended_on) == (
                inspection.status,
                inspection.due_on,
                inspection.ended_on,
            )
            assert (detail.marked_overdue, detail.overdue) == (
                inspection.marked_overdue,
                inspection.overdue_on(self.day),
            )
            for row in detail.targets:
                state = inspection.target_state(row.target)
                assert (
                    row.rating,
                    row.concluded_on,
                    row.remediation_due_on,
                    row.remediation_reported_on,
                    row.remediation_verified_on,
                    row.self_assessed_on,
                    len(row.findings),
                ) == (
                    state.rating,
                    state.concluded_on,
                    state.remediation_due_on,
                    state.remediation_reported_on,
                    state.remediation_verified_on,
                    state.self_assessed_on,
                    len(inspection.findings_for(row.target)),
                )

    async def _inspection(self, iid: uuid.UUID) -> Any:
        async with self.pool.acquire() as connection:
            return await inspection_detail(connection, iid, self.day)

    # -- at the end -------------------------------------------------------------------
    def _record_the_day(self) -> None:
        self.run(self.rollup.catch_up())
        for unit in WATCHED:
            self.seen[(self.day, unit)] = self.run(self._live(unit))

    async def _live(self, unit: str) -> UnitCompliance:
        async with self.pool.acquire() as connection:
            return await unit_compliance(connection, unit, self.day)

    def teardown(self) -> None:
        try:
            self._record_the_day()
            for (day, unit), seen in self.seen.items():
                assert self.run(compliance_as_of(self.pool, unit, day)) == seen, (day, unit)
            for view in self.views:
                self.run(self._rebuilt_equals_incremental(view))
        finally:
            super().teardown()

    async def _rebuilt_equals_incremental(self, view: ProjectionRunner) -> None:
        await view.catch_up()
        async with self.pool.acquire() as connection:
            incremental = await snapshot(connection, view.projection)
        await rebuild(view.projection, view.store, view.dsn)
        async with self.pool.acquire() as connection:
            assert await snapshot(connection, view.projection) == incremental, view.projection.name


def test_random_scenarios_keep_views_rebuildable_and_the_past_as_it_was_seen(
    postgres_admin_url: str, template_database: str
) -> None:
    ProjectionMachine.admin_url = postgres_admin_url
    ProjectionMachine.template = template_database
    machine = ProjectionMachine.TestCase
    machine.settings = settings(
        max_examples=10,
        stateful_step_count=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
