"""Inspections and supervisions (kiểm tra, giám sát), as pure aggregates: a whole
inspection step by step, each rule's refusal (which records nothing and changes nothing),
and random command sequences whose events rebuild exactly the state they left."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.store.codec import MsgspecMapper
from domain.errors import DomainError, PermissionDenied, RuleBroken
from domain.inspection import Inspection
from domain.inspection_terms import (
    Finding,
    FindingKind,
    InspectionKind,
    InspectionStatus,
    Rating,
    TargetState,
)
from domain.organisation import Kind, Level, Organisation
from domain.timing import When

CENTRAL = "ban-tuyen-giao-tw"
HAI_PHONG = "btg-hai-phong"
LE_CHAN = "btg-le-chan"
BINH_DINH = "btg-binh-dinh"
MAY_TO = "dang-uy-phuong-may-to"
HONG_BANG = "btg-hong-bang"

FOUNDED = date(2015, 1, 1)
START = date(2025, 3, 3)
SCOPE = ["128-HD/BTGTW", "Chỉ thị 38-CT/TW"]


def moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)  # 10:00 in Vietnam


def at(day: date) -> When:
    """Recorded on the day it takes effect."""
    return When.of(moment(day), day)


def build_tree() -> dict[str, Organisation]:
    """The central commission; Hải Phòng with Lê Chân and Hồng Bàng below it, and the
    ward Máy Tơ below Lê Chân; Bình Định, a sibling province."""
    registered = When.of(moment(START), FOUNDED)
    units: dict[str, Organisation] = {}

    def register(slug: str, level: Level, kind: Kind, parent: str | None) -> None:
        units[slug] = Organisation.register(
            slug, slug, level, kind, units[parent] if parent else None, registered
        )

    register(CENTRAL, Level.CENTRAL, Kind.PROPAGANDA_COMMISSION, None)
    register(HAI_PHONG, Level.PROVINCE, Kind.PROPAGANDA_COMMISSION, CENTRAL)
    register(BINH_DINH, Level.PROVINCE, Kind.PROPAGANDA_COMMISSION, CENTRAL)
    register(LE_CHAN, Level.DISTRICT, Kind.PROPAGANDA_COMMISSION, HAI_PHONG)
    register(HONG_BANG, Level.DISTRICT, Kind.PROPAGANDA_COMMISSION, HAI_PHONG)
    register(MAY_TO, Level.GRASSROOTS, Kind.GRASSROOTS_PARTY, LE_CHAN)
    return units


UNITS = build_tree()


def in_tree(
    slug: str, day: date = START, units: dict[str, Organisation] = UNITS
) -> tuple[Organisation, list[str]]:
    """A target and its ancestry on ``day``, root first (as ``tree.path_on`` gives)."""
    path = [slug]
    parent = units[slug].parent_on(day)
    while parent is not None:
        path.append(parent)
        parent = units[parent].parent_on(day)
    return units[slug], path[::-1]


def plan(
    kind: InspectionKind = InspectionKind.INSPECTION,
    inspector: str = CENTRAL,
    targets: tuple[str, ...] = (HAI_PHONG, LE_CHAN),
    units: dict[str, Organisation] = UNITS,
    **overrides: Any,
) -> Inspection:
    """Central inspects Hải Phòng and Lê Chân for 2022-2024, from ``START``."""
    starts_on = overrides.get("starts_on", START)
    arguments: dict[str, Any] = {
        "kind": kind,
        "inspector": units[inspector],
        "targets": [in_tree(t, starts_on, units) for t in targets],
        "scope": SCOPE,
        "period_from": date(2022, 1, 1),
        "period_to": date(2024, 12, 31),
        "starts_on": starts_on,
        "due_on": None,
        "when": at(date(2025, 3, 1)),
    }
    arguments.update(overrides)
    return Inspection.plan(**arguments)


def state(inspection: Inspection) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(inspection).items() if k != "_pending_events"})


def names(inspection: Inspection) -> list[str]:
    return [type(e).__name__ for e in inspection.collect_events()]


def refused(inspection: Inspection, command: Callable[[], object], code: str) -> DomainError:
    """The command is refused with ``code``, records nothing and changes nothing."""
    inspection.collect_events()
    before = state(inspection)
    with pytest.raises(DomainError) as caught:
        command()
    assert caught.value.code == code, caught.value
    assert inspection.collect_events() == []
    assert state(inspection) == before
    return caught.value


def plan_refused(code: str, **arguments: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        plan(**arguments)
    assert caught.value.code == code, caught.value
    return caught.value


def concluded(
    inspection: Inspection, target: str, day: date, remediation_due_on: date | None = None
) -> None:
    inspection.issue_conclusion(
        CENTRAL, target, Rating.FAIR, "Kết luận", remediation_due_on, at(day)
    )


# -- the whole lifecycle ----------------------------------------------------------------


def test_an_inspection_from_plan_to_close() -> None:  # noqa: PLR0915 - one scenario, checked at every step
    inspection = plan()
    assert names(inspection) == ["Planned"]
    assert inspection.kind is InspectionKind.INSPECTION
    assert inspection.inspector == CENTRAL
    assert inspection.targets == (HAI_PHONG, LE_CHAN)
    assert inspection.target_paths[LE_CHAN] == (CENTRAL, HAI_PHONG, LE_CHAN)
    assert inspection.scope == tuple(SCOPE)
    assert inspection.due_on == START + timedelta(days=60)
    assert (inspection.status, inspection.open) == (InspectionStatus.PLANNED, True)
    assert inspection.target_state(LE_CHAN) == TargetState()
    assert inspection.unfinished() == [
        f"no conclusion for {HAI_PHONG}",
        f"no conclusion for {LE_CHAN}",
    ]

    inspection.decide_team(CENTRAL, ["Nguyễn Văn An", " Trần Thị Bình "], "15-QĐ/BTGTW", at(START))
    assert names(inspection) == ["TeamDecided"]
    assert inspection.team == ("Nguyễn Văn An", "Trần Thị Bình")
    assert inspection.team_decision_number == "15-QĐ/BTGTW"
    assert (inspection.status, inspection.open) == (InspectionStatus.UNDER_WAY, True)

    inspection.receive_self_assessment(
        LE_CHAN, LE_CHAN, "Báo cáo tự kiểm tra", at(date(2025, 3, 10))
    )
    assert names(inspection) == ["SelfAssessmentReceived"]
    assert inspection.target_state(LE_CHAN).self_assessed_on == date(2025, 3, 10)
    assert inspection.target_state(HAI_PHONG).self_assessed_on is None

    strength = inspection.record_finding(
        CENTRAL, HAI_PHONG, FindingKind.STRENGTH, "Ban hành kịp thời", None, at(date(2025, 3, 20))
    )
    violation = inspection.record_finding(
        CENTRAL,
        LE_CHAN,
        FindingKind.VIOLATION,
        " Không tổ chức sơ kết ",
        "128-HD/BTGTW",
        at(date(2025, 3, 21)),
    )
    assert names(inspection) == ["FindingRecorded", "FindingRecorded"]
    assert violation == Finding(
        LE_CHAN,
        FindingKind.VIOLATION,
        "Không tổ chức sơ kết",
        "128-HD/BTGTW",
        date(2025, 3, 21),
        CENTRAL,
    )
    assert inspection.findings == [strength, violation]
    assert inspection.findings_for(LE_CHAN) == [violation]
    assert inspection.has_violation(LE_CHAN)
    assert not inspection.has_violation(HAI_PHONG)

    inspection.draft_conclusion(CENTRAL, LE_CHAN, "Dự thảo", at(date(2025, 4, 1)))
    assert names(inspection) == ["ConclusionDrafted"]
    assert inspection.target_state(LE_CHAN).draft == "Dự thảo"
    assert not inspection.target_state(LE_CHAN).concluded

    inspection.issue_conclusion(
        CENTRAL, HAI_PHONG, Rating.GOOD, "Thực hiện tốt", None, at(date(2025, 4, 10))
    )
    inspection.issue_conclusion(
        CENTRAL, LE_CHAN, Rating.WEAK, "Còn vi phạm", date(2025, 6, 30), at(date(2025, 4, 10))
    )
    assert names(inspection) == ["ConclusionIssued", "ConclusionIssued"]
    assert inspection.target_state(HAI_PHONG).rating is Rating.GOOD
    assert inspection.target_state(HAI_PHONG).finished
    assert inspection.remediation_due(HAI_PHONG) is None
    le_chan = inspection.target_state(LE_CHAN)
    assert (le_chan.rating, le_chan.conclusion, le_chan.concluded_on) == (
        Rating.WEAK,
        "Còn vi phạm",
        date(2025, 4, 10),
    )
    assert le_chan.remediation_required and not le_chan.remediation_reported
    assert inspection.remediation_due(LE_CHAN) == date(2025, 6, 30)
    assert inspection.unfinished() == [f"remediation by {LE_CHAN} not verified"]

    inspection.report_remediation(LE_CHAN, LE_CHAN, "Đã tổ chức sơ kết", at(date(2025, 4, 25)))
    assert names(inspection) == ["RemediationReported"]
    assert inspection.target_state(LE_CHAN).remediation_reported_on == date(2025, 4, 25)
    assert not inspection.target_state(LE_CHAN).remediation_verified

    inspection.verify_remediation(CENTRAL, LE_CHAN, at(date(2025, 4, 28)))
    assert names(inspection) == ["RemediationVerified"]
    assert inspection.target_state(LE_CHAN).remediation_verified_on == date(2025, 4, 28)
    assert inspection.target_state(LE_CHAN).finished
    assert inspection.unfinished() == []

    inspection.close(CENTRAL, at(date(2025, 4, 30)))
    assert names(inspection) == ["Closed"]
    assert inspection.status is InspectionStatus.CLOSED
    assert inspection.ended_on == date(2025, 4, 30)
    assert not inspection.open
    assert not inspection.overdue_on(date(2026, 1, 1))
    refused(
        inspection, lambda: inspection.close(CENTRAL, at(date(2025, 5, 1))), "inspection_closed"
    )


def test_every_event_carries_its_effective_date_and_survives_the_codec() -> None:
    inspection = plan(when=When.of(moment(START), date(2025, 1, 2)))
    events = list(inspection.collect_events())
    inspection.decide_team(CENTRAL, ["An"], None, at(START))
    inspection.receive_self_assessment(HAI_PHONG, HAI_PHONG, "Tự kiểm tra", at(START))
    inspection.record_finding(CENTRAL, LE_CHAN, FindingKind.VIOLATION, "Vi phạm", None, at(START))
    inspection.draft_conclusion(CENTRAL, LE_CHAN, "Dự thảo", at(START))
    concluded(inspection, HAI_PHONG, START)
    concluded(inspection, LE_CHAN, START, date(2025, 4, 1))
    inspection.report_remediation(LE_CHAN, LE_CHAN, "Đã khắc phục", at(START))
    inspection.verify_remediation(CENTRAL, LE_CHAN, at(START))
    inspection.extend(CENTRAL, inspection.due_on + timedelta(days=1), "Thêm hồ sơ", at(START))
    inspection.mark_overdue(date(2025, 6, 1), moment(date(2025, 6, 1)))
    inspection.close(CENTRAL, at(START))
    events += inspection.collect_events()

    assert events[0].__dict__["backdated"] is True
    mapper = MsgspecMapper()
    for event in events:
        assert "effective_on" in event.__dict__, event
        back = mapper.to_domain_event(mapper.to_stored_event(event))
        assert type(back) is type(event)
        assert back.__dict__ == event.__dict__


# -- planning ---------------------------------------------------------------------------


def test_an_inspector_acts_only_in_its_own_subtree() -> None:
    error = plan_refused(
        "inspector_outside_subtree", inspector=HAI_PHONG, targets=(LE_CHAN, BINH_DINH)
    )
    assert isinstance(error, PermissionDenied)
    assert BINH_DINH in str(error)
    plan_refused("inspector_outside_subtree", inspector=HAI_PHONG, targets=(HAI_PHONG,))
    plan_refused("inspector_outside_subtree", inspector=LE_CHAN, targets=(HAI_PHONG,))
    assert plan(inspector=HAI_PHONG, targets=(LE_CHAN, MAY_TO)).targets == (LE_CHAN, MAY_TO)


def test_a_merged_unit_can_still_be_inspected_for_its_past() -> None:
    units = build_tree()
    units[LE_CHAN].merge_into(units[HONG_BANG], at(date(2025, 7, 1)))
    starts_on = date(2025, 8, 1)
    inspection = plan(
        inspector=HAI_PHONG,
        targets=(LE_CHAN,),
        units=units,
        starts_on=starts_on,
        when=at(starts_on),
    )
    assert inspection.targets == (LE_CHAN,)
    # The unit that absorbed it answers for it.
    inspection.receive_self_assessment(
        HONG_BANG, LE_CHAN, "Báo cáo", at(starts_on), successor=HONG_BANG
    )
    assert inspection.target_state(LE_CHAN).self_assessed_on == starts_on
    with pytest.raises(DomainError) as caught:
        plan(
            inspector=HAI_PHONG,
            targets=(LE_CHAN,),
            units=units,
            period_from=date(2025, 7, 1),
            period_to=date(2025, 7, 31),
            starts_on=starts_on,
            when=at(starts_on),
        )
    assert caught.value.code == "target_not_in_period"


def test_a_plan_names_targets_once_and_a_scope() -> None:
    plan_refused("targets_required", targets=())
    plan_refused("duplicate_target", targets=(LE_CHAN, HAI_PHONG, LE_CHAN))
    plan_refused("scope_required", scope=["", "  "])
    assert plan(scope=["128-HD/BTGTW", " 128-HD/BTGTW "]).scope == ("128-HD/BTGTW",)


def test_the_period_under_review_is_the_past_and_at_most_five_years() -> None:
    assert plan(period_from=date(2020, 1, 1), period_to=date(2024, 12, 31)).period_from == date(
        2020, 1, 1
    )
    plan_refused("review_period_too_long", period_from=date(2020, 1, 1), period_to=date(2025, 1, 1))
    plan_refused("review_period_too_long", period_from=date(2015, 1, 1))
    plan_refused("review_period_reversed", period_from=date(2025, 1, 1), period_to=date(2024, 1, 1))
    plan_refused("review_period_after_start", period_to=START + timedelta(days=1))
    backdated = plan(starts_on=date(2025, 1, 15), when=at(date(2025, 3, 1)))
    assert backdated.starts_on == date(2025, 1, 15)


@pytest.mark.parametrize(
    ("inspector", "target", "days"),
    [(CENTRAL, HAI_PHONG, 60), (HAI_PHONG, LE_CHAN, 45), (LE_CHAN, MAY_TO, 20)],
)
def test_the_default_due_date_follows_the_inspectors_level(
    inspector: str, target: str, days: int
) -> None:
    inspection = plan(inspector=inspector, targets=(target,))
    assert inspection.due_on == START + timedelta(days=days)
    assert inspection.duration_days == days
    at_most = plan(inspector=inspector, targets=(target,), due_on=START + timedelta(days=days))
    assert at_most.due_on == START + timedelta(days=days)
    plan_refused(
        "inspection_too_long",
        inspector=inspector,
        targets=(target,),
        due_on=START + timedelta(days=days + 1),
    )


def test_a_given_due_date_comes_after_the_start() -> None:
    assert plan(due_on=START + timedelta(days=10)).due_on == START + timedelta(days=10)
    plan_refused("due_not_after_start", due_on=START)


# -- the deadline -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inspector", "target", "most"),
    [(CENTRAL, HAI_PHONG, 20), (HAI_PHONG, LE_CHAN, 15), (LE_CHAN, MAY_TO, 6)],
)
def test_an_inspection_is_extended_once_by_at_most_a_third(
    inspector: str, target: str, most: int
) -> None:
    inspection = plan(inspector=inspector, targets=(target,))
    due = inspection.due_on
    day = at(START)
    refused(
        inspection,
        lambda: inspection.extend(inspector, due + timedelta(days=most + 1), "Lý do", day),
        "extension_too_long",
    )
    refused(
        inspection, lambda: inspection.extend(inspector, due, "Lý do", day), "extension_not_later"
    )
    refused(
        inspection,
        lambda: inspection.extend(inspector, due + timedelta(days=1), " ", day),
        "reason_required",
    )
    error = refused(
        inspection,
        lambda: inspection.extend(BINH_DINH, due + timedelta(days=1), "Lý do", day),
        "not_the_inspector",
    )
    assert isinstance(error, PermissionDenied)

    inspection.extend(inspector, due + timedelta(days=most), "Cần thêm thời gian", day)
    assert names(inspection) == ["DueDateExtended"]
    assert inspection.due_on == due + timedelta(days=most)
    assert inspection.extended_on == START
    refused(
        inspection,
        lambda: inspection.extend(inspector, inspection.due_on + timedelta(days=1), "Lý do", day),
        "already_extended",
    )


def test_overdue_is_marked_once() -> None:
    inspection = plan()
    due = inspection.due_on
    assert not inspection.overdue_on(due)
    assert inspection.overdue_on(due + timedelta(days=1))
    refused(inspection, lambda: inspection.mark_overdue(due, moment(due)), "not_yet_due")

    late = due + timedelta(days=1)
    inspection.mark_overdue(late, moment(late))
    assert names(inspection) == ["MarkedOverdue"]
    assert inspection.marked_overdue
    refused(
        inspection, lambda: inspection.mark_overdue(late, moment(late)), "already_marked_overdue"
    )

    # An extension sets a new deadline, which may pass in its turn.
    inspection.extend(CENTRAL, due + timedelta(days=5), "Bổ sung hồ sơ", at(late))
    assert not inspection.marked_overdue
    assert not inspection.overdue_on(late)


# -- the targets ------------------------------------------------------------------------


def test_a_target_reports_only_for_itself() -> None:
    inspection = plan()
    day = at(START)
    refused(
        inspection,
        lambda: inspection.receive_self_assessment(BINH_DINH, BINH_DINH, "Báo cáo", day),
        "not_a_target",
    )
    error = refused(
        inspection,
        lambda: inspection.receive_self_assessment(HAI_PHONG, LE_CHAN, "Báo cáo", day),
        "not_the_target",
    )
    assert isinstance(error, PermissionDenied)
    refused(
        inspection,
        lambda: inspection.receive_self_assessment(LE_CHAN, LE_CHAN, "  ", day),
        "summary_required",
    )


def test_findings_are_recorded_by_the_inspector_until_the_conclusion() -> None:
    inspection = plan()
    day = at(START)
    refused(
        inspection,
        lambda: inspection.record_finding(
            HAI_PHONG, LE_CHAN, FindingKind.SHORTCOMING, "Chậm", None, day
        ),
        "not_the_inspector",
    )
    refused(
        inspection,
        lambda: inspection.record_finding(
            CENTRAL, BINH_DINH, FindingKind.SHORTCOMING, "Chậm", None, day
        ),
        "not_a_target",
    )
    refused(
        inspection,
        lambda: inspection.record_finding(CENTRAL, LE_CHAN, FindingKind.SHORTCOMING, "", None, day),
        "text_required",
    )
    concluded(inspection, LE_CHAN, START)
    refused(
        inspection,
        lambda: inspection.record_finding(
            CENTRAL, LE_CHAN, FindingKind.SHORTCOMING, "Chậm", None, day
        ),
        "conclusion_already_issued",
    )
    refused(
        inspection,
        lambda: inspection.draft_conclusion(CENTRAL, LE_CHAN, "Dự thảo", day),
        "conclusion_already_issued",
    )


# -- conclusions and remediation --------------------------------------------------------


def test_a_conclusion_is_issued_once_per_target() -> None:
    inspection = plan()
    concluded(inspection, LE_CHAN, START)
    refused(inspection, lambda: concluded(inspection, LE_CHAN, START), "conclusion_already_issued")
    concluded(inspection, HAI_PHONG, START)
    assert inspection.unfinished() == []


def test_a_violation_must_be_remedied_by_a_date() -> None:
    inspection = plan()
    inspection.record_finding(CENTRAL, LE_CHAN, FindingKind.VIOLATION, "Vi phạm", None, at(START))
    refused(inspection, lambda: concluded(inspection, LE_CHAN, START), "remediation_required")
    refused(
        inspection,
        lambda: inspection.issue_conclusion(
            CENTRAL, HAI_PHONG, Rating.VIOLATION, "Có vi phạm", None, at(START)
        ),
        "remediation_required",
    )
    refused(
        inspection,
        lambda: concluded(inspection, LE_CHAN, START, START),
        "remediation_due_too_early",
    )
    refused(
        inspection,
        lambda: inspection.issue_conclusion(CENTRAL, LE_CHAN, Rating.WEAK, " ", START, at(START)),
        "text_required",
    )
    concluded(inspection, LE_CHAN, START, START + timedelta(days=1))
    assert inspection.remediation_due(LE_CHAN) == START + timedelta(days=1)


def test_remediation_is_reported_then_verified_once() -> None:
    inspection = plan()
    day = at(START)
    refused(
        inspection,
        lambda: inspection.report_remediation(LE_CHAN, LE_CHAN, "Đã sửa", day),
        "no_remediation_required",
    )
    concluded(inspection, HAI_PHONG, START)
    refused(
        inspection,
        lambda: inspection.report_remediation(HAI_PHONG, HAI_PHONG, "Đã sửa", day),
        "no_remediation_required",
    )
    concluded(inspection, LE_CHAN, START, date(2025, 5, 1))
    refused(
        inspection,
        lambda: inspection.verify_remediation(CENTRAL, LE_CHAN, day),
        "remediation_not_reported",
    )
    refused(
        inspection,
        lambda: inspection.report_remediation(CENTRAL, LE_CHAN, "Đã sửa", day),
        "not_the_target",
    )
    inspection.report_remediation(LE_CHAN, LE_CHAN, "Đã sửa", day)
    refused(
        inspection,
        lambda: inspection.verify_remediation(LE_CHAN, LE_CHAN, day),
        "not_the_inspector",
    )
    inspection.verify_remediation(CENTRAL, LE_CHAN, day)
    refused(
        inspection,
        lambda: inspection.verify_remediation(CENTRAL, LE_CHAN, day),
        "remediation_already_verified",
    )
    refused(
        inspection,
        lambda: inspection.report_remediation(LE_CHAN, LE_CHAN, "Lại", day),
        "remediation_already_verified",
    )


def test_an_inspection_closes_only_when_every_target_is_finished() -> None:
    inspection = plan()
    day = at(START)
    error = refused(inspection, lambda: inspection.close(CENTRAL, day), "inspection_not_finished")
    assert isinstance(error, RuleBroken)
    assert HAI_PHONG in str(error) and LE_CHAN in str(error)
    concluded(inspection, HAI_PHONG, START)
    concluded(inspection, LE_CHAN, START, date(2025, 5, 1))
    error = refused(inspection, lambda: inspection.close(CENTRAL, day), "inspection_not_finished")
    assert f"remediation by {LE_CHAN} not verified" in str(error)
    assert HAI_PHONG not in str(error)
    refused(inspection, lambda: inspection.close(HAI_PHONG, day), "not_the_inspector")
    inspection.report_remediation(LE_CHAN, LE_CHAN, "Đã sửa", day)
    inspection.verify_remediation(CENTRAL, LE_CHAN, day)
    inspection.close(CENTRAL, day)
    assert inspection.status is InspectionStatus.CLOSED


# -- supervision ------------------------------------------------------------------------


def test_a_supervision_escalates_to_an_inspection_only_on_signs_of_violation() -> None:
    supervision = plan(InspectionKind.SUPERVISION)
    day = at(START)
    refused(supervision, lambda: supervision.escalate(CENTRAL, day), "escalation_needs_violation")
    supervision.record_finding(CENTRAL, HAI_PHONG, FindingKind.SHORTCOMING, "Chậm", None, day)
    refused(supervision, lambda: supervision.escalate(CENTRAL, day), "escalation_needs_violation")
    refused(
        supervision,
        lambda: plan(escalated_from=supervision, targets=(LE_CHAN,)),
        "supervision_not_escalated",
    )
    supervision.record_finding(
        CENTRAL, LE_CHAN, FindingKind.VIOLATION, "Dấu hiệu vi phạm", None, day
    )
    refused(supervision, lambda: supervision.escalate(LE_CHAN, day), "not_the_inspector")

    supervision.escalate(CENTRAL, day)
    assert names(supervision) == ["Escalated"]
    assert supervision.status is InspectionStatus.ESCALATED
    assert not supervision.open
    refused(
        supervision,
        lambda: supervision.record_finding(CENTRAL, LE_CHAN, FindingKind.VIOLATION, "x", None, day),
        "inspection_escalated",
    )
    refused(supervision, lambda: supervision.escalate(CENTRAL, day), "inspection_escalated")

    inspection = plan(escalated_from=supervision, targets=(LE_CHAN,))
    assert inspection.escalated_from == supervision.id
    assert inspection.kind is InspectionKind.INSPECTION
    plan_refused(
        "escalation_is_an_inspection",
        kind=InspectionKind.SUPERVISION,
        escalated_from=supervision,
    )
    plan_refused(
        "target_not_supervised",
        inspector=HAI_PHONG,
        targets=(MAY_TO,),
        escalated_from=supervision,
    )
    plan_refused("only_supervision_escalates", escalated_from=inspection)


def test_an_inspection_is_not_escalated() -> None:
    inspection = plan()
    inspection.record_finding(CENTRAL, LE_CHAN, FindingKind.VIOLATION, "Vi phạm", None, at(START))
    refused(
        inspection, lambda: inspection.escalate(CENTRAL, at(START)), "only_supervision_escalates"
    )


# -- replay -----------------------------------------------------------------------------

RIGHTFUL = None
"""In a generated command: the unit that may give it (the inspector, or the target)."""
ACTORS = st.sampled_from([*[RIGHTFUL] * 6, CENTRAL, HAI_PHONG, LE_CHAN, BINH_DINH])
TARGETS = st.sampled_from([*[LE_CHAN] * 4, HAI_PHONG, BINH_DINH])
TEXTS = st.sampled_from(["", "Nội dung", "Nội dung", "Nội dung"])
DAYS = st.integers(0, 90).map(lambda n: START + timedelta(days=n))
COMMANDS = st.one_of(
    st.tuples(st.just("team"), ACTORS, st.lists(TEXTS, max_size=2), DAYS),
    st.tuples(st.just("extend"), ACTORS, st.integers(-2, 25), TEXTS, DAYS),
    st.tuples(st.just("self"), ACTORS, TARGETS, TEXTS, DAYS),
    st.tuples(st.just("find"), ACTORS, TARGETS, st.sampled_from(FindingKind), TEXTS, DAYS),
    st.tuples(st.just("draft"), ACTORS, TARGETS, TEXTS, DAYS),
    st.tuples(
        st.just("conclude"),
        ACTORS,
        TARGETS,
        st.sampled_from(Rating),
        TEXTS,
        st.one_of(st.none(), st.integers(1, 40), st.integers(1, 40), st.integers(-3, 0)),
        DAYS,
    ),
    st.tuples(st.just("report"), ACTORS, TARGETS, TEXTS, DAYS),
    st.tuples(st.just("verify"), ACTORS, TARGETS, DAYS),
    st.tuples(st.just("close"), ACTORS, DAYS),
    st.tuples(st.just("escalate"), ACTORS, DAYS),
    st.tuples(st.just("overdue"), st.integers(0, 120).map(lambda n: START + timedelta(days=n))),
)


def run(inspection: Inspection, command: tuple[Any, ...]) -> None:
    def inspector(by: str | None) -> str:
        return inspection.inspector if by is RIGHTFUL else by

    def target_itself(by: str | None, target: str) -> str:
        return target if by is RIGHTFUL else by

    match command:
        case ("team", by, members, day):
            inspection.decide_team(inspector(by), members, None, at(day))
        case ("extend", by, days, reason, day):
            due_on = inspection.due_on + timedelta(days=days)
            inspection.extend(inspector(by), due_on, reason, at(day))
        case ("self", by, target, summary, day):
            inspection.receive_self_assessment(target_itself(by, target), target, summary, at(day))
        case ("find", by, target, kind, text, day):
            inspection.record_finding(inspector(by), target, kind, text, None, at(day))
        case ("draft", by, target, text, day):
            inspection.draft_conclusion(inspector(by), target, text, at(day))
        case ("conclude", by, target, rating, text, remedy_in, day):
            remedy = None if remedy_in is None else day + timedelta(days=remedy_in)
            inspection.issue_conclusion(inspector(by), target, rating, text, remedy, at(day))
        case ("report", by, target, text, day):
            inspection.report_remediation(target_itself(by, target), target, text, at(day))
        case ("verify", by, target, day):
            inspection.verify_remediation(inspector(by), target, at(day))
        case ("close", by, day):
            inspection.close(inspector(by), at(day))
        case ("escalate", by, day):
            inspection.escalate(inspector(by), at(day))
        case ("overdue", day):
            inspection.mark_overdue(day, moment(day))
        case _:
            raise AssertionError(command)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(InspectionKind),
    st.sampled_from([(LE_CHAN,), (LE_CHAN, HAI_PHONG)]),
    st.lists(COMMANDS, min_size=20, max_size=80),
)
def test_replaying_the_events_rebuilds_the_state(
    kind: InspectionKind, targets: tuple[str, ...], commands: list[tuple[Any, ...]]
) -> None:
    inspection = plan(kind, targets=targets)
    events = list(inspection.collect_events())
    for command in commands:
        try:
            run(inspection, command)
        except DomainError:
            assert inspection.collect_events() == [], command
        else:
            recorded = inspection.collect_events()
            assert len(recorded) == 1, command
            events += recorded

    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    replayed: Inspection | None = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.version == inspection.version
    assert state(replayed) == state(inspection)
