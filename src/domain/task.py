"""Tasks (nhiệm vụ) a document creates, and their plan of assignments.

A task goes to one or more units; each (task, unit, period) is an assignment with its
own lifecycle. A dated task has one period; a recurring one (quarterly, half-yearly,
yearly) one assignment per period of the plan year, due N days after the period ends.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.calendar import Recurrence, periods_of_year
from domain.errors import refuse
from domain.organisation import Kind


class TaskKind(enum.StrEnum):
    IMPLEMENTING_DOCUMENT = "implementing_document"  # ban hành văn bản thực hiện
    PERIODIC_REPORT = "periodic_report"  # báo cáo định kỳ
    REVIEW = "review"  # sơ kết / tổng kết
    INSPECTION = "inspection"  # kiểm tra, giám sát
    ACTIVITY = "activity"  # hội nghị, tập huấn
    COORDINATION = "coordination"  # chương trình phối hợp


class ReviewKind(enum.StrEnum):
    SO_KET = "so_ket"  # interim review
    TONG_KET = "tong_ket"  # final review


@dataclass(frozen=True)
class Review:
    kind: ReviewKind
    years: int


@dataclass(frozen=True)
class TaskSpec:
    """A task as the issuer states it. Assignees are named units, or every unit of the
    given kinds directly below the issuer (``assignee_kinds``).

    A dated task is one period (``period``, default the plan year, e.g. "2024-Q1").
    A recurring one is due ``due_days_after_period`` days after each period ends, or on
    day ``due_day_of_last_month`` of the period's last month ("trước ngày 10 của tháng
    cuối quý": before the 10th of the quarter's last month).
    """

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
    assignees: tuple[str, ...] = ()
    assignee_kinds: tuple[Kind, ...] = ()


@dataclass(frozen=True)
class AssignmentRef:
    assignment_id: UUID
    assignee: str
    period: str
    due_on: date


@dataclass(frozen=True)
class Task:
    task_id: UUID
    kind: TaskKind
    title: str
    field: str | None
    resolution: str | None
    review: Review | None
    due_on: date | None
    recurrence: Recurrence | None
    due_days_after_period: int
    due_day_of_last_month: int | None = None
    assignments: tuple[AssignmentRef, ...] = ()


def _due(spec: TaskSpec, period_end: date) -> date:
    if spec.due_day_of_last_month is not None:
        if not 1 <= spec.due_day_of_last_month <= 28:
            raise refuse(
                "due_day_out_of_range",
                "a day of the period's last month is between 1 and 28 (every month has it)",
            )
        return period_end.replace(day=spec.due_day_of_last_month)
    if not 0 <= spec.due_days_after_period <= 90:
        raise refuse(
            "due_days_out_of_range", "a periodic report is due 0 to 90 days after its period"
        )
    return period_end + timedelta(days=spec.due_days_after_period)


def plan_task(spec: TaskSpec, assignees: list[str], issued_on: date, plan_year: int) -> Task:
    """Check a task and lay out its assignments (one per assignee and period)."""
    if not spec.title.strip():
        raise refuse("task_title_required", "every task needs a title")
    if spec.period is not None and spec.recurrence is not None:
        raise refuse(
            "period_with_recurrence", "a recurring task names its periods itself; drop 'period'"
        )
    if (spec.due_on is None) == (spec.recurrence is None):
        raise refuse(
            "task_due_required",
            f"task {spec.title!r} needs either a due date or a recurrence, not both",
        )
    if spec.kind is TaskKind.REVIEW and (spec.review is None or not spec.resolution):
        raise refuse(
            "review_needs_resolution",
            f"review task {spec.title!r} names its kind (sơ kết / tổng kết), its years and "
            "the resolution under review",
        )
    if spec.review is not None and not 1 <= spec.review.years <= 50:
        raise refuse("review_years_out_of_range", "a review covers between 1 and 50 years")
    if not assignees:
        raise refuse("task_without_assignee", f"task {spec.title!r} is assigned to no unit")
    if spec.due_on is not None:
        periods = [(spec.period or str(plan_year), spec.due_on)]
    else:
        assert spec.recurrence is not None
        periods = [
            (label, _due(spec, end)) for label, end in periods_of_year(plan_year, spec.recurrence)
        ]
    for _, due in periods:
        if due < issued_on:
            raise refuse(
                "due_before_issue",
                f"task {spec.title!r} would be due on {due.isoformat()}, before the document "
                f"was issued ({issued_on.isoformat()})",
            )
    return Task(
        task_id=uuid.uuid4(),
        kind=spec.kind,
        title=spec.title.strip(),
        field=spec.field,
        resolution=spec.resolution,
        review=spec.review,
        due_on=spec.due_on,
        recurrence=spec.recurrence,
        due_days_after_period=spec.due_days_after_period,
        due_day_of_last_month=spec.due_day_of_last_month,
        assignments=tuple(
            AssignmentRef(uuid.uuid4(), unit, period, due)
            for unit in assignees
            for period, due in periods
        ),
    )
