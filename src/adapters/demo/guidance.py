"""What each level's guidance for 2025 asks of the level below it: demo tasks modelled on
the seeds (an implementing document, quarterly and yearly reports, reviews of older
resolutions in given months, an inspection plan, conferences, coordination with the
state bodies), with each level's deadlines a little before the level above needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from application.commands import TaskInput
from domain.calendar import Recurrence, end_of_month
from domain.organisation import Kind
from domain.task import Review, ReviewKind, TaskKind

YEAR = 2025
PC, BLOC, SA = Kind.PROPAGANDA_COMMISSION, Kind.BLOC_COMMITTEE, Kind.STATE_AGENCY
FIELDS = (
    "giáo dục và đào tạo",
    "khoa học và công nghệ",
    "y tế",
    "dân số",
    "thể dục, thể thao",
    "gia đình",
    "trẻ em",
    "an sinh xã hội",
    "phòng, chống tệ nạn xã hội",
    "bảo vệ môi trường",
)
SCIENCE = "khoa học và công nghệ"
IMPLEMENT = "Ban hành văn bản hướng dẫn, kế hoạch thực hiện công tác khoa giáo năm 2025"
NQ57 = "57-NQ/TW"
_REVIEWS = (  # kind, years, resolution, field, month due at central level
    (ReviewKind.TONG_KET, 20, "46-NQ/TW", "y tế", 5),
    (ReviewKind.TONG_KET, 10, "37-CT/TW", None, 8),
    (ReviewKind.SO_KET, 5, "49-KL/TW", None, 10),
)
_WORDS = {ReviewKind.TONG_KET: "Tổng kết", ReviewKind.SO_KET: "Sơ kết"}


@dataclass(frozen=True)
class To:
    """Who a task goes to: named units, and every unit of the kinds directly below."""

    ids: tuple[str, ...] = ()
    kinds: tuple[Kind, ...] = ()


def _review(index: int, months_earlier: int, to: To) -> TaskInput:
    kind, years, resolution, field, month = _REVIEWS[index]
    return TaskInput(
        kind=TaskKind.REVIEW,
        title=f"{_WORDS[kind]} {years:02d} năm thực hiện {resolution}",
        field=field,
        resolution=resolution,
        review=Review(kind, years),
        due_on=end_of_month(YEAR, month - months_earlier),
        assignee_ids=to.ids,
        assignee_kinds=to.kinds,
    )


def _dated(
    kind: TaskKind,
    title: str,
    due: date,
    to: To,
    field: str | None = None,
    period: str | None = None,
) -> TaskInput:
    return TaskInput(
        kind=kind,
        title=title,
        field=field,
        due_on=due,
        period=period,
        assignee_ids=to.ids,
        assignee_kinds=to.kinds,
    )


def _recurring(
    title: str,
    recurrence: Recurrence,
    to: To,
    *,
    last_month_day: int | None = None,
    days_after: int = 10,
) -> TaskInput:
    return TaskInput(
        kind=TaskKind.PERIODIC_REPORT,
        title=title,
        recurrence=recurrence,
        due_day_of_last_month=last_month_day,
        due_days_after_period=days_after,
        assignee_ids=to.ids,
        assignee_kinds=to.kinds,
    )  # fmt: skip


def central_tasks() -> tuple[TaskInput, ...]:
    """The central guidance: twenty tasks for the provinces and the national bodies."""
    provinces = To(kinds=(PC,))
    field_reports = [
        _dated(
            TaskKind.PERIODIC_REPORT,
            f"Báo cáo kết quả công tác {field} năm 2025",
            end_of_month(YEAR, 3 + i),
            provinces,
            field,
        )
        for i, field in enumerate(f for f in FIELDS if f != SCIENCE)
    ]
    return (
        _dated(TaskKind.IMPLEMENTING_DOCUMENT, IMPLEMENT, date(YEAR, 1, 31), provinces),
        _recurring("Báo cáo công tác khoa giáo hằng quý", Recurrence.QUARTERLY, provinces,
                   last_month_day=20),
        _recurring("Báo cáo tổng kết công tác khoa giáo năm 2025", Recurrence.YEARLY, provinces,
                   days_after=15),
        *(_review(i, 0, provinces) for i in range(len(_REVIEWS))),
        _dated(TaskKind.INSPECTION, "Xây dựng kế hoạch kiểm tra, giám sát năm 2025",
               date(YEAR, 3, 31), provinces),
        _dated(TaskKind.ACTIVITY, f"Quán triệt, triển khai Nghị quyết {NQ57}",
               date(YEAR, 3, 31), provinces, SCIENCE),
        _dated(TaskKind.ACTIVITY, "Tập huấn nghiệp vụ công tác khoa giáo",
               date(YEAR, 6, 30), provinces),
        _dated(TaskKind.COORDINATION, "Thực hiện Quy chế phối hợp theo Quy định 238-QĐ/TW",
               date(YEAR, 6, 30), To(kinds=(SA,))),
        _dated(TaskKind.COORDINATION, "Phối hợp tuyên truyền về công tác khoa giáo",
               date(YEAR, 11, 30), To(kinds=(Kind.FRONT, Kind.SOCIO_POLITICAL))),
        *field_reports,
    )  # fmt: skip


def province_tasks(agencies: Sequence[str]) -> tuple[TaskInput, ...]:
    """A province's guidance, for its district-level committees and its bodies
    (``agencies``: the slugs of its UBND, education, health and science bodies)."""
    below = To(kinds=(PC, BLOC))
    ubnd, education, health, science = agencies
    return (
        _dated(TaskKind.IMPLEMENTING_DOCUMENT, IMPLEMENT, date(YEAR, 2, 20), below),
        _recurring("Báo cáo công tác khoa giáo hằng quý", Recurrence.QUARTERLY, below,
                   last_month_day=15),
        _recurring("Báo cáo công tác khoa giáo năm 2025", Recurrence.YEARLY, below),
        _review(0, 1, To(kinds=(PC,))),
        _review(1, 1, To(kinds=(PC,))),
        _dated(TaskKind.INSPECTION, "Xây dựng kế hoạch kiểm tra, giám sát năm 2025",
               date(YEAR, 3, 31), below),
        _dated(TaskKind.ACTIVITY, f"Quán triệt Nghị quyết {NQ57}", date(YEAR, 3, 20), below,
               SCIENCE),
        _dated(TaskKind.PERIODIC_REPORT, "Báo cáo kết quả công tác giáo dục và đào tạo",
               date(YEAR, 6, 30), To(ids=(education,)), "giáo dục và đào tạo"),
        _dated(TaskKind.PERIODIC_REPORT, "Báo cáo kết quả công tác y tế, dân số",
               date(YEAR, 6, 30), To(ids=(health,)), "y tế"),
        _dated(TaskKind.ACTIVITY, f"Chương trình hành động thực hiện Nghị quyết {NQ57}",
               date(YEAR, 9, 30), To(ids=(science,)), SCIENCE),
        _dated(TaskKind.COORDINATION, "Phối hợp thực hiện Quy định 238-QĐ/TW",
               date(YEAR, 11, 30), To(ids=(ubnd,))),
        _dated(TaskKind.COORDINATION, "Phối hợp tuyên truyền về công tác khoa giáo",
               date(YEAR, 10, 31), To(kinds=(Kind.FRONT, Kind.SOCIO_POLITICAL))),
    )  # fmt: skip


def district_tasks(communes: Sequence[str], others: Sequence[str]) -> tuple[TaskInput, ...]:
    """A district's guidance, for its communes, its other grassroots party
    organisations and its bodies."""
    at_communes, at_others = To(ids=tuple(communes)), To(ids=tuple(others))
    tasks = [
        _dated(TaskKind.IMPLEMENTING_DOCUMENT,
               "Xây dựng kế hoạch thực hiện công tác khoa giáo năm 2025",
               date(YEAR, 3, 31), at_communes),
        _recurring("Báo cáo công tác khoa giáo hằng quý", Recurrence.QUARTERLY, at_communes,
                   last_month_day=10),
        _recurring("Báo cáo công tác khoa giáo năm 2025", Recurrence.YEARLY, at_communes,
                   days_after=5),
        _review(0, 2, at_communes),
        _dated(TaskKind.ACTIVITY, f"Tổ chức hội nghị quán triệt Nghị quyết {NQ57}",
               date(YEAR, 5, 31), To(ids=(*communes, *others)), SCIENCE),
        _dated(TaskKind.COORDINATION, "Phối hợp triển khai công tác khoa giáo năm 2025",
               date(YEAR, 6, 15), To(kinds=(SA,))),
    ]  # fmt: skip
    if others:
        tasks.append(_half_year_and_year(at_others))
    return tuple(tasks)


def bloc_tasks(others: Sequence[str]) -> tuple[TaskInput, ...]:
    """A bloc committee's plan, for the party organisations of its agencies and firms."""
    if not others:
        return ()
    at_others = To(ids=tuple(others))
    return (
        _half_year_and_year(at_others),
        _dated(TaskKind.ACTIVITY, f"Tổ chức hội nghị quán triệt Nghị quyết {NQ57}",
               date(YEAR, 5, 31), at_others, SCIENCE),
    )  # fmt: skip


def _half_year_and_year(to: To) -> TaskInput:
    return _recurring(
        "Báo cáo định kỳ 06 tháng, 01 năm", Recurrence.HALF_YEAR_AND_YEAR, to, days_after=5
    )


def second_half_tasks(communes: Sequence[str]) -> tuple[TaskInput, ...]:
    """After 01/07/2025 a province speaks to its merged communes directly."""
    at_communes = To(ids=tuple(communes))
    return (
        _dated(TaskKind.ACTIVITY,
               "Kiện toàn bộ phận tham mưu công tác khoa giáo cấp xã sau sắp xếp",
               date(YEAR, 9, 30), at_communes),
        _dated(TaskKind.PERIODIC_REPORT, "Báo cáo công tác khoa giáo 06 tháng cuối năm 2025",
               date(YEAR, 12, 15), at_communes, period=f"{YEAR}-H2"),
    )  # fmt: skip
