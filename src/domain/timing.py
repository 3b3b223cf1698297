"""Two dates on every fact: when it was recorded and when it took effect in the world.

They differ when a paper report is entered late or history is imported from another
system. On-time and late are judged on the effective date; a fact cannot take effect in
the future; one entered more than a tolerated number of days after it took effect is
marked *backdated* so the audit trail shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.calendar import vietnam_date
from domain.errors import refuse

DEFAULT_BACKDATE_TOLERANCE_DAYS = 30


@dataclass(frozen=True)
class When:
    """The moment a command is recorded, and the date it takes effect."""

    recorded_at: datetime
    effective_on: date
    backdated: bool

    @classmethod
    def of(
        cls,
        recorded_at: datetime,
        effective_on: date | None = None,
        *,
        tolerance_days: int = DEFAULT_BACKDATE_TOLERANCE_DAYS,
    ) -> When:
        today = vietnam_date(recorded_at)
        effective = effective_on or today
        if effective > today:
            raise refuse(
                "effective_date_in_future",
                f"a fact cannot take effect in the future: {effective.isoformat()} is after "
                f"today ({today.isoformat()}, Vietnam time)",
            )
        return cls(recorded_at, effective, (today - effective).days > tolerance_days)
