"""The inspections view as a commission reads it: one inspection in full, the inspections
a unit runs or undergoes, conclusions by rating, remediation due and overdue on the day
asked — before and after the 2025 merger."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import inspections as handle
from application.commands import (
    CloseInspection,
    DecideInspectionTeam,
    EscalateSupervision,
    ExtendInspection,
    IssueConclusion,
    MarkInspectionOverdue,
    MergeOrganisation,
    PlanInspection,
    ReceiveSelfAssessment,
    RecordFinding,
    ReportRemediation,
    VerifyRemediation,
)
from application.organisations import merge_organisation
from domain.inspection_terms import FindingKind, InspectionKind, Rating
from domain.permissions import Role
from projections.inspections import (
    InspectionCounts,
    InspectionsView,
    RemediationCounts,
    inspection_detail,
    inspection_overview,
    inspections_of,
    remediation_due,
)
from projections.organisation_tree import OrganisationTree
from tests.integration.cascade import Cascade, as_admin, as_unit


class Scenario:
    """Drives inspections through the real handlers and keeps both views caught up."""

    def __init__(self, cascade: Cascade, runners: list[ProjectionRunner]) -> None:
        self.cascade = cascade
        self.runners = runners

    async def plan(
        self,
        inspector: str,
        *targets: str,
        starts_on: date,
        kind: InspectionKind = InspectionKind.INSPECTION,
        escalated_from: UUID | None = None,
    ) -> UUID:
        planned = await handle.plan_inspection(
            PlanInspection(
                inspector_id=inspector,
                target_ids=targets,
                scope=("38-CT/TW",),
                period_from=date(2022, 1, 1),
                period_to=date(2024, 6, 30),
                starts_on=starts_on,
                kind=kind,
                escalated_from=escalated_from,
                effective_on=starts_on,
            ),
            as_unit(inspector, starts_on),
            self.cascade.aggregates,
        )
        return planned.id

    async def inspector(self, handler: Any, command: Any, unit: str) -> None:
        day = command.effective_on
        await handler(command, as_unit(unit, day, Role.INSPECTOR), self.cascade.aggregates)

    async def target(self, handler: Any, command: Any) -> None:
        day = command.effective_on
        unit = as_unit(command.target_id, day, Role.REPORTER)
        await handler(command, unit, self.cascade.aggregates)

    async def caught_up(self) -> None:
        for runner in self.runners:
            await runner.catch_up()


@pytest.fixture
async def scenario(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> Scenario:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    runners = [
        ProjectionRunner(p, store, wakeup, database_url, batch_size=4)
        for p in (OrganisationTree(), InspectionsView())
    ]
    return Scenario(cascade, runners)


async def test_an_inspection_reads_in_full_and_remediation_is_judged_on_the_day_asked(
    scenario: Scenario, pool: asyncpg.Pool[Any]
) -> None:
    province, district = "btg-hai-phong", "btg-ngo-quyen"
    a = await scenario.plan(province, district, "btg-le-chan", starts_on=date(2024, 9, 2))
    await scenario.inspector(
        handle.decide_team,
        DecideInspectionTeam(
            inspection_id=a,
            members=("Nguyễn Văn A",),
            decision_number="12-QĐ/BTGTU",
            effective_on=date(2024, 9, 2),
        ),
        province,
    )
    day = date(2024, 9, 10)
    await scenario.target(
        handle.receive_self_assessment,
        ReceiveSelfAssessment(
            inspection_id=a, target_id=district, summary="Tự kiểm tra", effective_on=day
        ),
    )
    for target, kind, text in (
        (district, FindingKind.VIOLATION, "Chưa sơ kết 38-CT/TW"),
        ("btg-le-chan", FindingKind.STRENGTH, "Sơ kết đúng hạn"),
        (district, FindingKind.SHORTCOMING, "Báo cáo chậm"),
    ):
        await scenario.inspector(
            handle.record_finding,
            RecordFinding(
                inspection_id=a,
                target_id=target,
                kind=kind,
                text=text,
                document="38-CT/TW",
                effective_on=day,
            ),
            province,
        )
    for target, rating, due in (
        (district, Rating.WEAK, date(2024, 12, 31)),
        ("btg-le-chan", Rating.GOOD, None),
    ):
        await scenario.inspector(
            handle.issue_conclusion,
            IssueConclusion(
                inspection_id=a,
                target_id=target,
                rating=rating,
                text="Kết luận",
                remediation_due_on=due,
                effective_on=day,
            ),
            province,
        )
    await scenario.caught_up()

    async with pool.acquire() as connection:
        in_time = await inspection_detail(connection, a, date(2024, 10, 17))
        late = await inspection_detail(connection, a, date(2025, 1, 1))
        assert await inspection_detail(connection, UUID(int=7), date(2025, 1, 1)) is None
    assert in_time is not None and late is not None
    assert (in_time.status, in_time.due_on, in_time.overdue) == (
        "under_way",
        date(2024, 10, 17),  # a province inspects for 45 days
        False,
    )
    assert (in_time.team, in_time.team_decision_number) == (["Nguyễn Văn A"], "12-QĐ/BTGTU")
    assert [t.target for t in in_time.targets] == ["btg-le-chan", district]
    le_chan, ngo_quyen = in_time.targets
    assert (le_chan.rating, le_chan.remediation, le_chan.remediation_due_on) == ("good", None, None)
    assert [f.kind for f in le_chan.findings] == ["strength"]
    assert (ngo_quyen.rating, ngo_quyen.remediation) == ("weak", "due")
    assert (ngo_quyen.self_assessed_on, ngo_quyen.self_assessment) == (day, "Tự kiểm tra")
    assert [(f.kind, f.text) for f in ngo_quyen.findings] == [
        ("violation", "Chưa sơ kết 38-CT/TW"),
        ("shortcoming", "Báo cáo chậm"),
    ]
    assert late.overdue and late.targets[1].remediation == "overdue"

    await scenario.target(
        handle.report_remediation,
        ReportRemediation(
            inspection_id=a, target_id=district, text="Đã sơ kết", effective_on=date(2025, 1, 3)
        ),
    )
    await scenario.caught_up()
    async with pool.acquire() as connection:
        reported = await inspection_detail(connection, a, date(2025, 1, 5))
    assert reported is not None
    assert (reported.targets[1].remediation, reported.targets[1].remediation_report) == (
        "reported",
        "Đã sơ kết",
    )

    verified_on = date(2025, 1, 6)
    await scenario.inspector(
        handle.verify_remediation,
        VerifyRemediation(inspection_id=a, target_id=district, effective_on=verified_on),
        province,
    )
    await scenario.inspector(
        handle.close_inspection,
        CloseInspection(inspection_id=a, effective_on=verified_on),
        province,
    )
    await scenario.caught_up()
    async with pool.acquire() as connection:
        closed = await inspection_detail(connection, a, date(2025, 3, 1))
    assert closed is not None
    assert (closed.status, closed.ended_on, closed.overdue) == ("closed", verified_on, False)
    assert closed.targets[1].remediation == "verified"


PROVINCE, DISTRICT, WARD = "btg-hai-phong", "btg-ngo-quyen", "phuong-may-to"


async def province_and_district_inspections(scenario: Scenario) -> tuple[UUID, UUID, UUID]:
    """The province inspects two districts (A); the district supervises two wards, finds
    signs of violation at one, escalates, and inspects it (C), concluding a violation to
    be remedied by 30/11/2024."""
    a = await scenario.plan(PROVINCE, DISTRICT, "btg-le-chan", starts_on=date(2024, 9, 2))
    supervision = await scenario.plan(
        DISTRICT,
        WARD,
        "phuong-lac-vien",
        starts_on=date(2024, 10, 1),
        kind=InspectionKind.SUPERVISION,
    )
    found_on = date(2024, 10, 5)
    await scenario.inspector(
        handle.record_finding,
        RecordFinding(
            inspection_id=supervision,
            target_id=WARD,
            kind=FindingKind.VIOLATION,
            text="Dấu hiệu vi phạm",
            effective_on=found_on,
        ),
        DISTRICT,
    )
    await scenario.inspector(
        handle.escalate_supervision,
        EscalateSupervision(inspection_id=supervision, effective_on=found_on),
        DISTRICT,
    )
    c = await scenario.plan(DISTRICT, WARD, starts_on=date(2024, 10, 7), escalated_from=supervision)
    await scenario.inspector(
        handle.issue_conclusion,
        IssueConclusion(
            inspection_id=c,
            target_id=WARD,
            rating=Rating.VIOLATION,
            text="Có vi phạm",
            remediation_due_on=date(2024, 11, 30),
            effective_on=date(2024, 10, 20),
        ),
        DISTRICT,
    )
    await scenario.caught_up()
    return a, supervision, c


async def test_a_commission_counts_and_lists_what_it_runs_and_what_its_units_undergo(
    scenario: Scenario, pool: asyncpg.Pool[Any]
) -> None:
    a, supervision, c = await province_and_district_inspections(scenario)
    await scenario.plan("btg-tw", "btg-binh-dinh", starts_on=date(2024, 10, 1))
    await scenario.caught_up()

    on = date(2024, 11, 1)
    async with pool.acquire() as connection:
        whole = await inspection_overview(connection, PROVINCE, on)
        own = await inspection_overview(connection, DISTRICT, on, subtree=False)
        detail = await inspection_detail(connection, supervision, on)
        escalated = await inspection_detail(connection, c, on)
        undergone = await inspections_of(connection, PROVINCE, on, role="target")
        last_seen = (undergone[0].due_on, undergone[0].id)
        page = await inspections_of(
            connection, PROVINCE, on, role="target", after=last_seen, limit=1
        )
        run_here = await inspections_of(connection, PROVINCE, on, role="inspector", subtree=False)
        overdue_before = await remediation_due(connection, PROVINCE, on, state="overdue")
        overdue_after = await remediation_due(connection, PROVINCE, date(2024, 12, 5))

    # A (due 17/10) and C (due 27/10) are open past their due dates; the supervision ended.
    assert whole.run == InspectionCounts(open_overdue=2, escalated=1)
    assert whole.undergone == InspectionCounts(open_overdue=2, escalated=1)
    assert whole.ratings == {"violation": 1}
    assert whole.remediation == RemediationCounts(due=1)
    assert own.run == InspectionCounts(open_overdue=1, escalated=1)
    assert own.undergone == InspectionCounts(open_overdue=1)
    assert detail is not None and escalated is not None
    assert (detail.status, detail.ended_on, detail.escalated_into) == (
        "escalated",
        date(2024, 10, 5),
        [c],
    )
    assert escalated.escalated_from == supervision
    assert [i.id for i in undergone] == [a, supervision, c]
    assert [(i.targets, i.concluded) for i in undergone] == [
        (["btg-le-chan", DISTRICT], 0),
        (["phuong-lac-vien", WARD], 0),
        ([WARD], 1),
    ]
    assert [i.id for i in page] == [supervision]
    assert [i.id for i in run_here] == [a]
    assert overdue_before == []
    assert [(r.inspection_id, r.target, r.state) for r in overdue_after] == [(c, WARD, "overdue")]


async def test_an_inspection_marked_overdue_and_extended_is_in_time_again(
    scenario: Scenario, pool: asyncpg.Pool[Any]
) -> None:
    d = await scenario.plan("btg-tw", "btg-binh-dinh", starts_on=date(2024, 10, 1))
    watcher = as_admin(date(2024, 12, 5))
    await handle.mark_inspection_overdue(
        MarkInspectionOverdue(inspection_id=d), watcher, scenario.cascade.aggregates
    )
    await scenario.caught_up()
    async with pool.acquire() as connection:
        marked = await inspection_detail(connection, d, date(2024, 12, 5))
    assert marked is not None
    assert (marked.due_on, marked.marked_overdue, marked.overdue) == (
        date(2024, 11, 30),  # central level: 60 days
        True,
        True,
    )

    await scenario.inspector(
        handle.extend_inspection,
        ExtendInspection(
            inspection_id=d,
            due_on=date(2024, 12, 20),
            reason="Bổ sung hồ sơ",
            effective_on=date(2024, 12, 6),
        ),
        "btg-tw",
    )
    await scenario.caught_up()
    async with pool.acquire() as connection:
        extended = await inspection_detail(connection, d, date(2024, 12, 6))
        open_nationally = await inspections_of(
            connection, "btg-tw", date(2024, 12, 6), open_only=True
        )
    assert extended is not None
    assert (extended.due_on, extended.extended_on, extended.marked_overdue, extended.overdue) == (
        date(2024, 12, 20),
        date(2024, 12, 6),
        False,
        False,
    )
    assert [(i.id, i.overdue) for i in open_nationally] == [(d, False)]


async def test_after_the_merger_a_merged_units_inspections_stay_under_its_old_ancestors(
    scenario: Scenario, pool: asyncpg.Pool[Any]
) -> None:
    """01/07/2025: the district is merged into the province and its wards move up."""
    a, supervision, c = await province_and_district_inspections(scenario)
    merged_on = date(2025, 7, 1)
    await merge_organisation(
        MergeOrganisation(id=DISTRICT, into_id=PROVINCE, effective_on=merged_on),
        as_admin(merged_on),
        scenario.cascade.aggregates,
    )
    await scenario.caught_up()
    async with pool.acquire() as connection:
        undergone = await inspections_of(connection, PROVINCE, merged_on, role="target")
        run_by_district = await inspections_of(
            connection, DISTRICT, merged_on, role="inspector", subtree=False
        )
        ward = await inspection_overview(connection, WARD, merged_on, subtree=False)
    assert [i.id for i in undergone] == [a, supervision, c]
    assert [i.id for i in run_by_district] == [supervision, c]
    assert ward.ratings == {"violation": 1}
    assert ward.remediation == RemediationCounts(overdue=1)
