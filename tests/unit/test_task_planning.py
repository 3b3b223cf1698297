"""How a task's periods and deadlines are laid out (pure, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import Recurrence
from domain.errors import DomainError
from domain.task import TaskKind, TaskSpec, plan_task

ISSUED = date(2024, 1, 5)


def periods(**spec: object) -> list[tuple[str, date]]:
    task = plan_task(
        TaskSpec(kind=TaskKind.PERIODIC_REPORT, title="Báo cáo", **spec),  # type: ignore[arg-type]
        ["co-so-1"],
        ISSUED,
        2024,
    )
    return [(a.period, a.due_on) for a in task.assignments]


def test_six_monthly_and_yearly_reports_are_the_first_half_and_the_year() -> None:
    assert periods(recurrence=Recurrence.HALF_YEAR_AND_YEAR) == [
        ("2024-H1", date(2024, 7, 10)),
        ("2024", date(2025, 1, 10)),
    ]
    assert [p for p, _ in periods(recurrence=Recurrence.HALF_YEARLY)] == ["2024-H1", "2024-H2"]


def test_before_a_day_of_the_periods_last_month() -> None:
    assert periods(recurrence=Recurrence.QUARTERLY, due_day_of_last_month=10) == [
        (f"2024-Q{q}", date(2024, 3 * q, 10)) for q in range(1, 5)
    ]


def test_a_dated_task_carries_its_period_label() -> None:
    assert periods(due_on=date(2024, 3, 10), period="2024-Q1") == [("2024-Q1", date(2024, 3, 10))]
    assert periods(due_on=date(2024, 3, 10)) == [("2024", date(2024, 3, 10))]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"recurrence": Recurrence.QUARTERLY, "due_day_of_last_month": 31}, "due_day_out_of_range"),
        (
            {"recurrence": Recurrence.QUARTERLY, "due_days_after_period": 120},
            "due_days_out_of_range",
        ),
        ({"recurrence": Recurrence.YEARLY, "period": "2024"}, "period_with_recurrence"),
        ({"due_on": date(2024, 3, 1), "recurrence": Recurrence.YEARLY}, "task_due_required"),
        ({}, "task_due_required"),
        ({"due_on": date(2024, 1, 4)}, "due_before_issue"),
    ],
)
def test_malformed_deadlines_are_refused(spec: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as error:
        periods(**spec)
    assert error.value.code == code
