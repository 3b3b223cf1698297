"""Dates as guidance documents write them: "ngày 22 tháng 12 năm 2023", "05/01/2024",
"ngày 4/5/2023", a due month "(tháng 10/2024)", a deadline inside each reporting period
"trước ngày 10 của tháng cuối quý", and the plan year of a title ("... năm 2024")."""

from __future__ import annotations

import re
from datetime import date

DATE = (
    r"(?:ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
    r"|(?:ngày\s+)?\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}(?!\d))"
)
"""A date in either spelling, for use inside larger patterns (one group-free fragment)."""

_SPELLED = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)")
_MONTH = re.compile(r"\btháng\s+(\d{1,2})\s*(?:/|-|năm)\s*(\d{4})(?!\d)", re.IGNORECASE)
_DAY_OF_LAST_MONTH = re.compile(
    r"trước\s+ngày\s+(\d{1,2})\s+(?:của\s+)?tháng\s+cuối\s+(?:mỗi\s+)?(?:quý|kỳ)", re.IGNORECASE
)
_DEADLINE = re.compile(
    rf"(?:trước|chậm nhất(?:\s+là)?|hạn chót|hoàn thành trong)\s+({DATE})", re.IGNORECASE
)
_YEAR = re.compile(r"\bnăm\s+(\d{4})\b", re.IGNORECASE)


def calendar_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when the numbers name no day (31/02) or an implausible year."""
    if not 1930 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """The first date in ``text``, in either spelling."""
    spelled, numeric = _SPELLED.search(text), _NUMERIC.search(text)
    if spelled and (numeric is None or spelled.start() <= numeric.start()):
        return calendar_date(int(spelled[3]), int(spelled[2]), int(spelled[1]))
    if numeric:
        return calendar_date(int(numeric[4]), int(numeric[3]), int(numeric[1]))
    return None


def due_month(text: str) -> str | None:
    """ "(tháng 10/2024)", "trong tháng 7 năm 2024" → "2024-10"; full dates do not count."""
    without_days = _NUMERIC.sub(" ", _SPELLED.sub(" ", text))
    found = _MONTH.search(without_days)
    if found and 1 <= int(found[1]) <= 12 and calendar_date(int(found[2]), 1, 1):
        return f"{int(found[2]):04d}-{int(found[1]):02d}"
    return None


def deadline(text: str) -> date | None:
    """A stated due date: "trước ngày 15/6/2024", "chậm nhất ngày 30 tháng 11 năm 2024"."""
    found = _DEADLINE.search(text)
    return parse_date(found[1]) if found else None


def day_of_last_month(text: str) -> int | None:
    """ "trước ngày 10 của tháng cuối quý": reports due on the 10th of each period's last
    month (as ``TaskInput.due_day_of_last_month``)."""
    found = _DAY_OF_LAST_MONTH.search(text)
    return int(found[1]) if found and 1 <= int(found[1]) <= 28 else None


def plan_year(title: str | None) -> int | None:
    """The year a title plans for: "công tác khoa giáo năm 2024" → 2024."""
    years = [int(y) for y in _YEAR.findall(title or "") if calendar_date(int(y), 1, 1)]
    return years[-1] if years else None
