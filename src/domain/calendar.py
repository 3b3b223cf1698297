"""Dates as commissioners count them: Vietnam time, reporting periods, month deadlines.

Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact
and needs no time zone database on the user's machine.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def vietnam_date(moment: datetime) -> date:
    """The calendar day in Vietnam at ``moment`` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("a moment must carry a time zone")
    return moment.astimezone(VIETNAM).date()


def end_of_month(year: int, month: int) -> date:
    """ "tháng 10/2024" means due by the end of October 2024."""
    return date(year, month, calendar.monthrange(year, month)[1])


class Recurrence(enum.StrEnum):
    """How often a periodic report (báo cáo định kỳ) is due."""

    QUARTERLY = "quarterly"  # hàng quý
    HALF_YEARLY = "half_yearly"  # 6 tháng: H1 and H2
    HALF_YEAR_AND_YEAR = "half_year_and_year"  # "định kỳ 06 tháng, 01 năm": H1 and the year
    YEARLY = "yearly"  # hằng năm


def periods_of_year(year: int, recurrence: Recurrence) -> list[tuple[str, date]]:
    """The reporting periods of ``year`` with the last day of each: ("2024-Q1", 31/3) ..."""
    if recurrence is Recurrence.QUARTERLY:
        return [(f"{year}-Q{q}", end_of_month(year, 3 * q)) for q in range(1, 5)]
    first_half = (f"{year}-H1", date(year, 6, 30))
    whole_year = (str(year), date(year, 12, 31))
    if recurrence is Recurrence.HALF_YEARLY:
        return [first_half, (f"{year}-H2", date(year, 12, 31))]
    if recurrence is Recurrence.HALF_YEAR_AND_YEAR:
        return [first_half, whole_year]
    return [whole_year]
