"""Inspections through the real command path on PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from application import inspections as handle
from application.commands import (
    CloseInspection,
    DecideInspectionTeam,
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
from domain.inspection import Inspection
from domain.inspection_terms import FindingKind, InspectionStatus, Rating
from domain.permissions import Role
from tests.integration.cascade import Cascade, as_admin, as_unit
from tests.integration.test_domain_rules import refused

START = date(2024, 9, 2)


@pytest.fixture
async def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    built = Cascade(AggregateRepository(store), pool)
    await built.build_tree()
    return built


def plan(*targets: str, inspector: str = "btg-hai-phong") -> PlanInspection:
    return PlanInspection(
        inspector_id=inspector,
        target_ids=targets,
        scope=("38-CT/TW", "76-HD/BTGTU"),
        period_from=date(2021, 1, 1),
        period_to=date(2024, 6, 30),
        starts_on=START,
        effective_on=date(2024, 8, 20),
    )


async def test_an_inspection_runs_from_plan_to_close(cascade: Cascade) -> None:
    def officer(day: date) -> Any:
        return as_unit("btg-hai-phong", day, Role.INSPECTOR)

    planned = await handle.plan_inspection(
        plan("btg-ngo-quyen", "btg-le-chan"), as_unit("btg-hai-phong", START), cascade.aggregates
    )
    assert planned.due_on == "2024-10-17"  # a province inspects for 45 days
    iid = planned.id
    await handle.decide_team(
        DecideInspectionTeam(
            inspection_id=iid, members=("Nguyễn Văn A", "Trần Thị B"), effective_on=START
        ),
        officer(START),
        cascade.aggregates,
    )
    day = date(2024, 9, 10)
    await handle.receive_self_assessment(
        ReceiveSelfAssessment(
            inspection_id=iid, target_id="btg-ngo-quyen", summary="Tự kiểm tra", effective_on=day
        ),
        as_unit("btg-ngo-quyen", day, Role.REPORTER),
        cascade.aggregates,
    )
    await handle.record_finding(
        RecordFinding(
            inspection_id=iid,
            target_id="btg-ngo-quyen",
            kind=FindingKind.VIOLATION,
            text="Chưa sơ kết 38-CT/TW",
            document="38-CT/TW",
            effective_on=day,
        ),
        officer(day),
        cascade.aggregates,
    )
    await refused(
        cascade,
        "remediation_required",
        handle.issue_conclusion(
            IssueConclusion(
                inspection_id=iid,
                target_id="btg-ngo-quyen",
                rating=Rating.WEAK,
                text="x",
                effective_on=day,
            ),
            officer(day),
            cascade.aggregates,
        ),
    )
    for target, rating, due in (
        ("btg-ngo-quyen", Rating.WEAK, date(2024, 12, 31)),
        ("btg-le-chan", Rating.GOOD, None),
    ):
        await handle.issue_conclusion(
            IssueConclusion(
                inspection_id=iid,
                target_id=target,
                rating=rating,
                text="Kết luận",
                remediation_due_on=due,
                effective_on=day,
            ),
            officer(day),
            cascade.aggregates,
        )
    await refused(
        cascade,
        "inspection_not_finished",
        handle.close_inspection(
            CloseInspection(inspection_id=iid, effective_on=day), officer(day), cascade.aggregates
        ),
    )
    later = date(2024, 11, 5)
    await handle.report_remediation(
        ReportRemediation(
            inspection_id=iid,
            target_id="btg-ngo-quyen",
            text="Đã tổ chức sơ kết",
            effective_on=later,
        ),
        as_unit("btg-ngo-quyen", later, Role.REPORTER),
        cascade.aggregates,
    )
    await handle.verify_remediation(
        VerifyRemediation(inspection_id=iid, target_id="btg-ngo-quyen", effective_on=later),
        as_unit("btg-hai-phong", later, Role.INSPECTOR),
        cascade.aggregates,
    )
    await handle.close_inspection(
        CloseInspection(inspection_id=iid, effective_on=later),
        as_unit("btg-hai-phong", later),
        cascade.aggregates,
    )
    closed = await cascade.aggregates.get(Inspection, iid)
    assert closed.status is InspectionStatus.CLOSED
    assert closed.target_state("btg-ngo-quyen").remediation_verified


async def test_an_inspector_acts_only_in_its_subtree_and_only_for_itself(cascade: Cascade) -> None:
    await refused(
        cascade,
        "inspector_outside_subtree",
        handle.plan_inspection(
            plan("btg-binh-dinh"), as_unit("btg-hai-phong", START), cascade.aggregates
        ),
    )
    await refused(
        cascade,
        "acts_only_for_itself",
        handle.plan_inspection(
            plan("btg-ngo-quyen"), as_unit("btg-binh-dinh", START), cascade.aggregates
        ),
    )
    await refused(
        cascade,
        "role_not_allowed",
        handle.plan_inspection(
            plan("btg-ngo-quyen"), as_unit("btg-hai-phong", START, Role.READER), cascade.aggregates
        ),
    )


async def test_a_merged_target_remains_inspectable_and_its_survivor_answers(
    cascade: Cascade,
) -> None:
    merger = date(2025, 7, 1)
    await merge_organisation(
        MergeOrganisation(id="btg-ngo-quyen", into_id="btg-hai-phong", effective_on=merger),
        as_admin(merger),
        cascade.aggregates,
    )
    day = date(2025, 8, 1)
    command = PlanInspection(
        inspector_id="btg-tw",
        target_ids=("btg-ngo-quyen",),
        scope=("76-HD/BTGTU",),
        period_from=date(2024, 1, 1),
        period_to=date(2025, 6, 30),
        starts_on=day,
        effective_on=day,
    )
    planned = await handle.plan_inspection(command, as_unit("btg-tw", day), cascade.aggregates)
    assert planned.due_on == "2025-09-30"  # central: 60 days
    await handle.receive_self_assessment(
        ReceiveSelfAssessment(
            inspection_id=planned.id,
            target_id="btg-ngo-quyen",
            summary="Báo cáo của đơn vị kế thừa",
            effective_on=day,
        ),
        as_unit("btg-hai-phong", day, Role.REPORTER),
        cascade.aggregates,
    )
    received = await cascade.aggregates.get(Inspection, planned.id)
    assert received.target_state("btg-ngo-quyen").self_assessed_on == day


async def test_the_watcher_marks_an_inspection_overdue_once(cascade: Cascade) -> None:
    planned = await handle.plan_inspection(
        plan("btg-ngo-quyen"), as_unit("btg-hai-phong", START), cascade.aggregates
    )
    overdue = MarkInspectionOverdue(inspection_id=planned.id)
    await refused(
        cascade,
        "not_yet_due",
        handle.mark_inspection_overdue(overdue, as_admin(date(2024, 10, 17)), cascade.aggregates),
    )
    await handle.mark_inspection_overdue(overdue, as_admin(date(2024, 10, 18)), cascade.aggregates)
    await refused(
        cascade,
        "already_marked_overdue",
        handle.mark_inspection_overdue(overdue, as_admin(date(2024, 10, 19)), cascade.aggregates),
    )
    assert (await cascade.aggregates.get(Inspection, planned.id)).overdue_on(date(2024, 10, 18))
