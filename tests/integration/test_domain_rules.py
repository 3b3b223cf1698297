"""Every rule of the domain, through the real command path on PostgreSQL: each refusal
has its stable code, and a refused command stores nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from application import assignments as handle
from application.commands import (
    AcceptSubmission,
    AcknowledgeAssignment,
    AmendDocument,
    CancelAssignment,
    DissolveOrganisation,
    ExtendDueDate,
    IssueDocument,
    MarkOverdue,
    MergeOrganisation,
    RegisterOrganisation,
    RemindAssignee,
    RenameOrganisation,
    ReturnSubmission,
    RevokeDocument,
    SubmitReport,
    SupersedeDocument,
    TaskInput,
)
from application.documents import (
    amend_document,
    issue_document,
    revoke_document,
    supersede_document,
)
from application.organisations import (
    dissolve_organisation,
    merge_organisation,
    register_organisation,
    rename_organisation,
)
from domain.assignment import Assignment, Bucket, Status
from domain.calendar import Recurrence
from domain.document import Document
from domain.errors import DomainError
from domain.organisation import Kind, Level, Organisation, organisation_id
from domain.permissions import Role
from domain.task import TaskKind
from tests.integration.cascade import Cascade, as_admin, as_unit, report_task

JAN_24 = date(2024, 1, 24)
DUE = date(2024, 3, 31)


@pytest.fixture
async def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    built = Cascade(AggregateRepository(store), pool)
    await built.build_tree()
    return built


async def refused(cascade: Cascade, code: str, attempt: Awaitable[Any]) -> DomainError:
    before = await cascade.events()
    with pytest.raises(DomainError) as error:
        await attempt
    assert error.value.code == code, str(error.value)
    assert await cascade.events() == before, "a refused command stored something"
    return error.value


async def an_assignment(cascade: Cascade, unit: str = "btg-ngo-quyen") -> Assignment:
    issued = await cascade.issue("btg-hai-phong", "76-HD/BTGTU", JAN_24, report_task(unit, due=DUE))
    assignment_id = issued.tasks[0].assignments[0].id
    return await cascade.aggregates.get(Assignment, assignment_id)


async def submit(cascade: Cascade, assignment: Assignment, unit: str, day: date) -> Any:
    return await handle.submit_report(
        SubmitReport(assignment_id=assignment.id, summary="Đã thực hiện", effective_on=day),
        as_unit(unit, day, Role.REPORTER),
        cascade.aggregates,
    )


async def test_issuing_a_guidance_creates_its_assignments_and_obligations(cascade: Cascade) -> None:
    issued = await cascade.issue(
        "btg-hai-phong",
        "76-HD/BTGTU",
        JAN_24,
        TaskInput(
            kind=TaskKind.PERIODIC_REPORT,
            title="Báo cáo định kỳ hàng quý",
            recurrence=Recurrence.QUARTERLY,
            assignee_kinds=(Kind.PROPAGANDA_COMMISSION,),
        ),
        plan_year=2024,
    )
    [task] = issued.tasks
    assert {(a.assignee_id, a.period, a.due_on) for a in task.assignments} == {
        (unit, f"2024-Q{q}", due)
        for unit in ("btg-le-chan", "btg-ngo-quyen")
        for q, due in enumerate(
            [date(2024, 4, 10), date(2024, 7, 10), date(2024, 10, 10), date(2025, 1, 10)], 1
        )
    }
    unit = await cascade.aggregates.get(Organisation, organisation_id("btg-ngo-quyen"))
    assert len(unit.assignment_ids) == 4
    assert issued.term == "2020-2025"
    assert issued.position is not None


async def test_submitting_to_a_cancelled_assignment_is_refused(cascade: Cascade) -> None:
    assignment = await an_assignment(cascade)
    await handle.cancel_assignment(
        CancelAssignment(assignment_id=assignment.id, reason="trùng nhiệm vụ", effective_on=JAN_24),
        as_unit("btg-hai-phong", JAN_24),
        cascade.aggregates,
    )
    await refused(
        cascade, "assignment_cancelled", submit(cascade, assignment, "btg-ngo-quyen", JAN_24)
    )


async def test_accepting_twice_is_refused_and_on_time_is_judged_on_the_report_date(
    cascade: Cascade,
) -> None:
    assignment = await an_assignment(cascade)
    await submit(cascade, assignment, "btg-ngo-quyen", date(2024, 3, 30))
    accept = AcceptSubmission(assignment_id=assignment.id, effective_on=date(2024, 4, 5))
    await handle.accept_submission(
        accept, as_unit("btg-hai-phong", date(2024, 4, 5)), cascade.aggregates
    )
    done = await cascade.aggregates.get(Assignment, assignment.id)
    assert done.status is Status.ACCEPTED
    assert done.bucket(date(2024, 12, 31)) is Bucket.DONE_ON_TIME  # reported 30/3, due 31/3
    await refused(
        cascade,
        "already_accepted",
        handle.accept_submission(
            accept, as_unit("btg-hai-phong", date(2024, 4, 6)), cascade.aggregates
        ),
    )


async def test_a_unit_submitting_for_another_unit_is_refused(cascade: Cascade) -> None:
    assignment = await an_assignment(cascade)
    await refused(cascade, "not_the_assignee", submit(cascade, assignment, "btg-le-chan", JAN_24))


async def test_only_the_issuer_reviews_and_only_an_officer(cascade: Cascade) -> None:
    assignment = await an_assignment(cascade)
    await submit(cascade, assignment, "btg-ngo-quyen", JAN_24)
    back = ReturnSubmission(
        assignment_id=assignment.id, reason="thiếu số liệu", effective_on=JAN_24
    )
    await refused(
        cascade,
        "not_the_issuer",
        handle.return_submission(back, as_unit("btg-binh-dinh", JAN_24), cascade.aggregates),
    )
    await refused(
        cascade,
        "role_not_allowed",
        handle.return_submission(
            back, as_unit("btg-hai-phong", JAN_24, Role.REPORTER), cascade.aggregates
        ),
    )
    await handle.return_submission(back, as_unit("btg-hai-phong", JAN_24), cascade.aggregates)
    returned = await cascade.aggregates.get(Assignment, assignment.id)
    assert (returned.status, returned.returns) == (Status.RETURNED, 1)


async def test_a_due_date_before_the_issue_date_is_refused(cascade: Cascade) -> None:
    await refused(
        cascade,
        "due_before_issue",
        cascade.issue(
            "btg-hai-phong",
            "76-HD/BTGTU",
            JAN_24,
            report_task("btg-ngo-quyen", due=date(2024, 1, 10)),
        ),
    )


async def test_an_extension_must_be_later_and_give_a_reason(cascade: Cascade) -> None:
    assignment = await an_assignment(cascade)
    officer = as_unit("btg-hai-phong", JAN_24)
    for due, reason, code in [
        (date(2024, 3, 1), "x", "extension_not_later"),
        (date(2024, 4, 30), " ", "reason_required"),
    ]:
        await refused(
            cascade,
            code,
            handle.extend_due_date(
                ExtendDueDate(
                    assignment_id=assignment.id, due_on=due, reason=reason, effective_on=JAN_24
                ),
                officer,
                cascade.aggregates,
            ),
        )


async def test_implementing_a_parent_from_outside_its_issuers_subtree_is_refused(
    cascade: Cascade,
) -> None:
    central = await cascade.issue("btg-tw", "128-HD/BTGTW", date(2023, 12, 22))
    await cascade.issue("btg-hai-phong", "76-HD/BTGTU", JAN_24, implements=central.id)
    hai_phong = cascade.documents["76-HD/BTGTU"]
    await refused(
        cascade,
        "not_below_parent_issuer",
        cascade.issue("btg-binh-dinh", "85-HD/BTGTU", JAN_24, implements=hai_phong.id),
    )


async def test_an_implementing_document_fulfils_the_parents_assignment(cascade: Cascade) -> None:
    parent = await cascade.issue(
        "btg-hai-phong",
        "76-HD/BTGTU",
        JAN_24,
        TaskInput(
            kind=TaskKind.IMPLEMENTING_DOCUMENT,
            title="Ban hành hướng dẫn thực hiện",
            due_on=date(2024, 2, 15),
            assignee_kinds=(Kind.PROPAGANDA_COMMISSION,),
        ),
    )
    child = await cascade.issue(
        "btg-ngo-quyen", "25-HD/BTGQU", date(2024, 1, 30), implements=parent.id
    )
    mine = next(a.id for a in parent.tasks[0].assignments if a.assignee_id == "btg-ngo-quyen")
    assert child.fulfilled == [mine]
    fulfilled = await cascade.aggregates.get(Assignment, mine)
    assert fulfilled.status is Status.ACCEPTED
    assert fulfilled.bucket(date(2024, 12, 31)) is Bucket.DONE_ON_TIME


async def test_a_duplicate_number_in_the_same_term_names_the_existing_document(
    cascade: Cascade,
) -> None:
    first = await cascade.issue("btg-hai-phong", "76-HD/BTGTU", JAN_24)
    error = await refused(
        cascade,
        "duplicate_document_number",
        cascade.issue("btg-hai-phong", "76- hd/btgtu", date(2024, 2, 1)),
    )
    assert str(first.id) in str(error)
    # Numbers restart per term: the same number in the next term is another document.
    await cascade.issue("btg-hai-phong", "76-HD/BTGTU", date(2025, 11, 3))


async def test_document_types_follow_the_issuing_rules_and_the_issuer_code(
    cascade: Cascade,
) -> None:
    await refused(
        cascade, "document_type_not_allowed", cascade.issue("btg-hai-phong", "12-NQ/BTGTU", JAN_24)
    )
    await refused(
        cascade, "number_issuer_mismatch", cascade.issue("btg-hai-phong", "12-HD/BTGQU", JAN_24)
    )
    await refused(
        cascade, "invalid_document_number", cascade.issue("btg-hai-phong", "HD 12", JAN_24)
    )


async def test_a_task_for_a_dissolved_or_merged_unit_is_refused(cascade: Cascade) -> None:
    day = date(2024, 2, 1)
    await dissolve_organisation(
        DissolveOrganisation(id="so-y-te-hai-phong", effective_on=day),
        as_unit("btg-hai-phong", day),
        cascade.aggregates,
    )
    await refused(
        cascade,
        "unit_dissolved",
        cascade.issue(
            "btg-hai-phong",
            "80-HD/BTGTU",
            date(2024, 2, 2),
            report_task("so-y-te-hai-phong", due=DUE),
        ),
    )
    await merge_organisation(
        MergeOrganisation(id="btg-le-chan", into_id="btg-ngo-quyen", effective_on=day),
        as_unit("btg-hai-phong", day),
        cascade.aggregates,
    )
    await refused(
        cascade,
        "unit_merged",
        cascade.issue(
            "btg-hai-phong", "81-HD/BTGTU", date(2024, 2, 2), report_task("btg-le-chan", due=DUE)
        ),
    )


async def merge(cascade: Cascade, merged: str, survivor: str, day: date) -> None:
    await merge_organisation(
        MergeOrganisation(id=merged, into_id=survivor, effective_on=day),
        as_admin(day),
        cascade.aggregates,
    )


async def test_a_merge_passes_open_assignments_and_units_below_to_the_survivor(
    cascade: Cascade,
) -> None:
    assignment = await an_assignment(cascade, "btg-ngo-quyen")
    await merge(cascade, "btg-ngo-quyen", "btg-le-chan", date(2025, 7, 1))

    moved = await cascade.aggregates.get(Assignment, assignment.id)
    assert (moved.assignee, moved.original_assignee) == ("btg-le-chan", "btg-ngo-quyen")
    assert moved.status is Status.ASSIGNED
    ward = await cascade.aggregates.get(Organisation, organisation_id("phuong-may-to"))
    assert ward.parent == "btg-le-chan"
    assert ward.parent_on(date(2024, 6, 1)) == "btg-ngo-quyen"
    merged = await cascade.aggregates.get(Organisation, organisation_id("btg-ngo-quyen"))
    assert merged.merged_into == "btg-le-chan" and merged.children == {}
    survivor = await cascade.aggregates.get(Organisation, organisation_id("btg-le-chan"))
    assert assignment.id in survivor.assignment_ids


async def test_merging_into_the_issuer_ends_the_obligation_instead_of_owing_itself(
    cascade: Cascade,
) -> None:
    assignment = await an_assignment(cascade, "btg-ngo-quyen")
    await merge(cascade, "btg-ngo-quyen", "btg-hai-phong", date(2025, 7, 1))
    ended = await cascade.aggregates.get(Assignment, assignment.id)
    assert (ended.status, ended.assignee) == (Status.CANCELLED, "btg-ngo-quyen")


async def test_after_its_issuer_merged_the_survivor_reviews_and_is_implemented(
    cascade: Cascade,
) -> None:
    await register_organisation(
        RegisterOrganisation(
            id="dang-uy-phuong-cau-dat",
            name="Đảng ủy phường Cầu Đất",
            level=Level.GRASSROOTS,
            kind=Kind.GRASSROOTS_PARTY,
            parent_id="btg-ngo-quyen",
            issuer_code="DU",
            effective_on=date(2020, 1, 1),
        ),
        as_admin(date(2020, 1, 1)),
        cascade.aggregates,
    )
    parent = await cascade.issue(
        "btg-ngo-quyen",
        "25-HD/BTGQU",
        date(2024, 1, 30),
        report_task("phuong-may-to", due=DUE),
        TaskInput(
            kind=TaskKind.IMPLEMENTING_DOCUMENT,
            title="Xây dựng kế hoạch thực hiện",
            due_on=date(2025, 12, 31),
            assignee_ids=("dang-uy-phuong-cau-dat",),
        ),
    )
    report = await cascade.aggregates.get(Assignment, parent.tasks[0].assignments[0].id)
    await submit(cascade, report, "phuong-may-to", date(2024, 3, 20))
    day = date(2025, 7, 1)
    await merge(cascade, "btg-ngo-quyen", "btg-hai-phong", day)

    accept = AcceptSubmission(assignment_id=report.id, effective_on=day)
    await refused(
        cascade,
        "not_the_issuer",
        handle.accept_submission(accept, as_unit("btg-ngo-quyen", day), cascade.aggregates),
    )
    await handle.accept_submission(accept, as_unit("btg-hai-phong", day), cascade.aggregates)
    assert (await cascade.aggregates.get(Assignment, report.id)).status is Status.ACCEPTED

    plan = await cascade.issue(
        "dang-uy-phuong-cau-dat", "03-KH/DU", date(2025, 7, 5), implements=parent.id
    )
    assert plan.fulfilled == [parent.tasks[1].assignments[0].id]


async def test_the_tree_refuses_misplaced_units(cascade: Cascade) -> None:
    def register(unit: str, level: Level, kind: Kind, parent: str | None) -> Any:
        return register_organisation(
            RegisterOrganisation(
                id=unit, name=unit, level=level, kind=kind, parent_id=parent, effective_on=JAN_24
            ),
            as_admin(JAN_24),
            cascade.aggregates,
        )

    await refused(
        cascade,
        "parent_level_too_low",
        register("btg-x", Level.PROVINCE, Kind.PROPAGANDA_COMMISSION, "btg-ngo-quyen"),
    )
    await refused(
        cascade,
        "parent_cannot_have_children",
        register("khoa-x", Level.PROVINCE, Kind.STATE_AGENCY, "so-y-te-hai-phong"),
    )
    await refused(
        cascade, "parent_required", register("tinh-x", Level.PROVINCE, Kind.PARTY_COMMITTEE, None)
    )
    await refused(
        cascade,
        "invalid_organisation_id",
        register("Tỉnh X", Level.CENTRAL, Kind.PARTY_COMMITTEE, None),
    )
    await refused(
        cascade,
        "organisation_exists",
        register("btg-tw", Level.CENTRAL, Kind.PARTY_COMMITTEE, None),
    )


async def test_an_effective_date_in_the_future_is_refused_and_a_late_entry_is_backdated(
    cascade: Cascade,
) -> None:
    assignment = await an_assignment(cascade)
    tomorrow = date(2024, 1, 25)
    await refused(
        cascade,
        "effective_date_in_future",
        handle.submit_report(
            SubmitReport(assignment_id=assignment.id, summary="x", effective_on=tomorrow),
            as_unit("btg-ngo-quyen", JAN_24, Role.REPORTER),
            cascade.aggregates,
        ),
    )
    late_entry = as_unit("btg-ngo-quyen", date(2024, 5, 20), Role.REPORTER)
    await handle.submit_report(
        SubmitReport(
            assignment_id=assignment.id, summary="Báo cáo giấy", effective_on=date(2024, 3, 28)
        ),
        late_entry,
        cascade.aggregates,
    )
    row = await cascade.pool.fetchrow(
        "SELECT payload->>'backdated' AS backdated FROM events"
        " WHERE type LIKE '%Assignment.Submitted'"
    )
    assert row["backdated"] == "true"


async def test_a_unit_acts_only_for_itself(cascade: Cascade) -> None:
    await refused(
        cascade,
        "acts_only_for_itself",
        issue_document(
            IssueDocument(
                number="76-HD/BTGTU", title="x", issuer_id="btg-hai-phong", effective_on=JAN_24
            ),
            as_unit("btg-ngo-quyen", JAN_24),
            cascade.aggregates,
        ),
    )
    await refused(
        cascade,
        "acts_only_for_itself",
        register_organisation(
            RegisterOrganisation(
                id="x",
                name="x",
                level=Level.GRASSROOTS,
                kind=Kind.GRASSROOTS_PARTY,
                parent_id="btg-ngo-quyen",
            ),
            as_unit("btg-le-chan", JAN_24),
            cascade.aggregates,
        ),
    )


async def test_the_watcher_marks_overdue_once_and_reminds_once_per_day(cascade: Cascade) -> None:
    assignment = await an_assignment(cascade)  # due 31/03/2024
    watcher = as_admin(date(2024, 3, 29))
    remind = RemindAssignee(assignment_id=assignment.id, days_before=2)
    await handle.remind_assignee(remind, watcher, cascade.aggregates)
    await refused(
        cascade, "already_reminded", handle.remind_assignee(remind, watcher, cascade.aggregates)
    )
    await refused(
        cascade,
        "not_yet_due",
        handle.mark_overdue(MarkOverdue(assignment_id=assignment.id), watcher, cascade.aggregates),
    )
    later = as_admin(date(2024, 4, 1))
    overdue = MarkOverdue(assignment_id=assignment.id)
    await handle.mark_overdue(overdue, later, cascade.aggregates)
    await refused(
        cascade, "already_marked_overdue", handle.mark_overdue(overdue, later, cascade.aggregates)
    )
    await refused(
        cascade,
        "acts_only_for_itself",
        handle.mark_overdue(
            overdue, as_unit("btg-hai-phong", date(2024, 4, 1)), cascade.aggregates
        ),
    )
    marked = await cascade.aggregates.get(Assignment, assignment.id)
    assert marked.marked_overdue and marked.bucket(date(2024, 4, 1)) is Bucket.OPEN_OVERDUE


async def test_a_renamed_commission_issues_under_its_new_code_from_that_date(
    cascade: Cascade,
) -> None:
    day = date(2025, 3, 1)
    await rename_organisation(
        RenameOrganisation(
            id="btg-hai-phong",
            name="Ban Tuyên giáo và Dân vận Thành ủy Hải Phòng",
            issuer_code="BTGDVTU",
            effective_on=day,
        ),
        as_admin(day),
        cascade.aggregates,
    )
    await refused(
        cascade,
        "number_issuer_mismatch",
        cascade.issue("btg-hai-phong", "05-HD/BTGTU", date(2025, 3, 2)),
    )
    new = await cascade.issue("btg-hai-phong", "05-HD/BTGDVTU", date(2025, 3, 2))
    old = await cascade.issue("btg-hai-phong", "76-HD/BTGTU", date(2024, 1, 24))  # entered late
    assert (new.number, old.number) == ("05-HD/BTGDVTU", "76-HD/BTGTU")


async def test_a_document_is_amended_then_superseded_and_then_refuses_changes(
    cascade: Cascade,
) -> None:
    first = await cascade.issue("btg-hai-phong", "76-HD/BTGTU", JAN_24)
    officer = as_unit("btg-hai-phong", date(2024, 2, 1))
    await amend_document(
        AmendDocument(
            document_id=first.id, summary="Bổ sung mục II.3", reason="theo góp ý của cấp dưới"
        ),
        officer,
        cascade.aggregates,
    )
    await refused(
        cascade,
        "amendment_needs_reason",
        amend_document(
            AmendDocument(document_id=first.id, summary="x", reason=" "),
            officer,
            cascade.aggregates,
        ),
    )
    second = await cascade.issue("btg-hai-phong", "80-HD/BTGTU", date(2024, 2, 1))
    await refused(
        cascade,
        "acts_only_for_itself",
        supersede_document(
            SupersedeDocument(document_id=first.id, by_document_id=second.id),
            as_unit("btg-ngo-quyen", date(2024, 2, 1)),
            cascade.aggregates,
        ),
    )
    await supersede_document(
        SupersedeDocument(document_id=first.id, by_document_id=second.id),
        officer,
        cascade.aggregates,
    )
    old = await cascade.aggregates.get(Document, first.id)
    assert (old.amendments, old.superseded_by, old.in_force) == (
        ["Bổ sung mục II.3"],
        second.id,
        False,
    )
    await refused(
        cascade,
        "document_not_in_force",
        revoke_document(
            RevokeDocument(document_id=first.id, reason="x"), officer, cascade.aggregates
        ),
    )
    await refused(
        cascade,
        "parent_not_in_force",
        cascade.issue("btg-ngo-quyen", "25-HD/BTGQU", date(2024, 2, 1), implements=first.id),
    )
    await revoke_document(
        RevokeDocument(document_id=second.id, reason="ban hành nhầm"), officer, cascade.aggregates
    )
    assert (await cascade.aggregates.get(Document, second.id)).revoked


async def test_the_assignee_acknowledges_once(cascade: Cascade) -> None:
    assignment = await an_assignment(cascade)
    acknowledge = AcknowledgeAssignment(assignment_id=assignment.id)
    reporter = as_unit("btg-ngo-quyen", JAN_24, Role.REPORTER)
    await refused(
        cascade,
        "acts_only_for_itself",
        handle.acknowledge_assignment(
            acknowledge, as_unit("btg-le-chan", JAN_24, Role.REPORTER), cascade.aggregates
        ),
    )
    await handle.acknowledge_assignment(acknowledge, reporter, cascade.aggregates)
    await refused(
        cascade,
        "already_acknowledged",
        handle.acknowledge_assignment(acknowledge, reporter, cascade.aggregates),
    )
    assert (await cascade.aggregates.get(Assignment, assignment.id)).status is Status.ACKNOWLEDGED
