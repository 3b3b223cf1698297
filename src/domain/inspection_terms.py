"""The vocabulary of inspection and supervision (kiểm tra, giám sát): kinds, findings,
ratings, each target's standing, and the deadlines of the model process.

The model process for advisory commissions (331-QĐ/TW, 2025) caps an inspection by the
level of the body that runs it, and lets that cap be extended once by at most a third.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import refuse
from domain.organisation import Level

REVIEW_PERIOD_YEARS = 5
"""An inspection looks back over at most five years."""

DURATION_DAYS = {
    Level.CENTRAL: 60,
    Level.PROVINCE: 45,
    Level.DISTRICT: 20,  # directly above grassroots
    Level.GRASSROOTS: 20,
}
"""The longest an inspection may run, by the inspector's level (331-QĐ/TW)."""


def max_extension_days(duration_days: int) -> int:
    """An extension adds at most a third of the allowed duration (whole days, rounded
    down): 20 days at central level, 15 at province, 6 directly above grassroots."""
    return duration_days // 3


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_review_period(period_from: date, period_to: date, starts_on: date) -> None:
    """The past, over at most five years."""
    if period_from > period_to:
        raise refuse(
            "review_period_reversed",
            f"the period under review starts ({period_from.isoformat()}) after it ends "
            f"({period_to.isoformat()})",
        )
    if period_to >= add_years(period_from, REVIEW_PERIOD_YEARS):
        raise refuse(
            "review_period_too_long",
            f"an inspection reviews at most {REVIEW_PERIOD_YEARS} years, not "
            f"{period_from.isoformat()} to {period_to.isoformat()}",
        )
    if period_to > starts_on:
        raise refuse(
            "review_period_after_start",
            f"the period under review ends on {period_to.isoformat()}, after the inspection "
            f"starts ({starts_on.isoformat()}): only the past is inspected",
        )


def checked_due_on(level: Level, starts_on: date, due_on: date | None) -> date:
    """331-QĐ/TW: 60 days at central level, 45 at province, 20 directly above grassroots."""
    duration = DURATION_DAYS[level]
    if due_on is None:
        return starts_on + timedelta(days=duration)
    if due_on <= starts_on:
        raise refuse(
            "due_not_after_start",
            f"an inspection starting on {starts_on.isoformat()} cannot be due on "
            f"{due_on.isoformat()}",
        )
    if (due_on - starts_on).days > duration:
        raise refuse(
            "inspection_too_long",
            f"a {level} inspection runs at most {duration} days: {due_on.isoformat()} is "
            f"{(due_on - starts_on).days} days after the start",
        )
    return due_on


class InspectionKind(enum.StrEnum):
    INSPECTION = "inspection"  # kiểm tra: ends in a conclusion (kết luận)
    SUPERVISION = "supervision"  # giám sát: ends in a notice of results (thông báo kết quả)


class InspectionStatus(enum.StrEnum):
    PLANNED = "planned"  # kế hoạch đã ban hành
    UNDER_WAY = "under_way"  # đoàn đã được thành lập
    CLOSED = "closed"  # kết thúc
    ESCALATED = "escalated"  # a supervision turned into an inspection

    @property
    def open(self) -> bool:
        return self in _OPEN


_OPEN = {InspectionStatus.PLANNED, InspectionStatus.UNDER_WAY}


class FindingKind(enum.StrEnum):
    STRENGTH = "strength"  # ưu điểm
    SHORTCOMING = "shortcoming"  # hạn chế, khuyết điểm
    VIOLATION = "violation"  # vi phạm (or, in a supervision, dấu hiệu vi phạm)


class Rating(enum.StrEnum):
    """How a conclusion rates the target's execution of the resolutions in scope."""

    GOOD = "good"  # tốt
    FAIR = "fair"  # khá
    AVERAGE = "average"  # trung bình
    WEAK = "weak"  # yếu, kém
    VIOLATION = "violation"  # có vi phạm: remediation is always required


@dataclass(frozen=True)
class Finding:
    """One thing the team found at one target, with the resolution it concerns."""

    target: str
    kind: FindingKind
    text: str
    document: str | None
    found_on: date
    recorded_by: str


@dataclass(frozen=True)
class TargetState:
    """Where one target stands: its self-assessment, its conclusion, its remediation."""

    self_assessed_on: date | None = None
    draft: str | None = None
    rating: Rating | None = None
    conclusion: str | None = None
    concluded_on: date | None = None
    remediation_due_on: date | None = None
    remediation_reported_on: date | None = None
    remediation_verified_on: date | None = None

    @property
    def concluded(self) -> bool:
        return self.rating is not None

    @property
    def remediation_required(self) -> bool:
        return self.remediation_due_on is not None

    @property
    def remediation_reported(self) -> bool:
        return self.remediation_reported_on is not None

    @property
    def remediation_verified(self) -> bool:
        return self.remediation_verified_on is not None

    @property
    def finished(self) -> bool:
        """Concluded, and any remediation it required verified."""
        return self.concluded and (not self.remediation_required or self.remediation_verified)
