"""The deadline watcher: records, through the ordinary command handlers, that an
assignment or an inspection ran past its due date with nothing accepted, and reminds
(*đôn đốc*) assignees a configured number of days before their due date.

Facts go through the command path, so they reach the log, the views, the audit trail and
NATS like any other. "Today" is the Vietnam date of the injected clock.

Each fact is recorded once, whoever runs the watcher and however often: the aggregates
refuse a second overdue mark or a second reminder for the same day (a refusal here means
"already done" or "no longer due"), and when two watchers decide the same fact at once the
event store lets only one append to the stream — the other's concurrency error means
someone else did it. So every instance may run a watcher, and a restart repeats nothing.
A reminder belongs to its day: a watcher that was down on that day does not send it late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from uuid import UUID

from application.assignments import mark_overdue, remind_assignee
from application.commands import MarkInspectionOverdue, MarkOverdue, RemindAssignee
from application.errors import ConcurrencyError
from application.inspections import mark_inspection_overdue
from application.ports import Aggregates, Clock, CommandContext
from domain.calendar import vietnam_date
from domain.errors import DomainError
from domain.permissions import Actor, Role

WATCHER = Actor("system", Role.ADMIN, "deadline-watch")
"""Who the audit trail names for the watcher's facts."""

_log = logging.getLogger(__name__)


class DueFacts(Protocol):
    """What is due on a day, from the read models (they may lag; the aggregates decide)."""

    async def overdue_assignments(self, today: date, limit: int) -> list[UUID]: ...

    async def reminders_due(self, today: date, days_before: int, limit: int) -> list[UUID]: ...

    async def overdue_inspections(self, today: date, limit: int) -> list[UUID]: ...


@dataclass
class WatchReport:
    """What one pass recorded, and what it found done already."""

    day: date
    overdue: int = 0
    inspections_overdue: int = 0
    reminders: int = 0
    already_done: int = 0
    """Refused by the aggregate (recorded before, or no longer due)."""
    raced: int = 0
    """Recorded meanwhile by another watcher (the store's concurrency error)."""
    more: bool = False
    """A query returned a full page and this pass recorded something: another pass should
    follow at once (when nothing was recorded, the views are behind; wait for them)."""

    @property
    def recorded(self) -> int:
        return self.overdue + self.inspections_overdue + self.reminders


class DeadlineWatch:
    def __init__(
        self,
        due: DueFacts,
        aggregates: Aggregates,
        clock: Clock,
        *,
        remind_days: Sequence[int] = (3, 1),
        interval: float = 60.0,
        page: int = 500,
    ) -> None:
        self.due = due
        self.aggregates = aggregates
        self.clock = clock
        self.remind_days = tuple(sorted(set(remind_days), reverse=True))
        self.interval = interval
        self.page = page
        self._woken = asyncio.Event()

    async def run_once(self) -> WatchReport:
        """One pass over everything due today."""
        now = self.clock.now()
        report = WatchReport(vietnam_date(now))
        context = CommandContext(WATCHER, now, correlation_id=uuid.uuid4())
        overdue = await self.due.overdue_assignments(report.day, self.page)
        for assignment_id in overdue:
            command = MarkOverdue(assignment_id=assignment_id)
            if await self._record(report, mark_overdue(command, context, self.aggregates)):
                report.overdue += 1
        late = await self.due.overdue_inspections(report.day, self.page)
        for inspection_id in late:
            marked = MarkInspectionOverdue(inspection_id=inspection_id)
            attempt = mark_inspection_overdue(marked, context, self.aggregates)
            if await self._record(report, attempt):
                report.inspections_overdue += 1
        pages = [overdue, late]
        for days in self.remind_days:
            due = await self.due.reminders_due(report.day, days, self.page)
            pages.append(due)
            for assignment_id in due:
                remind = RemindAssignee(assignment_id=assignment_id, days_before=days)
                if await self._record(report, remind_assignee(remind, context, self.aggregates)):
                    report.reminders += 1
        report.more = report.recorded > 0 and any(len(found) == self.page for found in pages)
        return report

    @staticmethod
    async def _record(report: WatchReport, attempt: Awaitable[object]) -> bool:
        try:
            await attempt
        except ConcurrencyError:
            report.raced += 1
            return False
        except DomainError as refused:
            _log.debug("deadline watch: %s (%s)", refused, refused.code)
            report.already_done += 1
            return False
        return True

    def wake(self) -> None:
        """Run a pass now rather than at the end of the interval."""
        self._woken.set()

    async def run(self) -> None:
        """Forever: a pass, then wait ``interval`` seconds or until woken. A failed pass
        (the database away, say) is logged and retried at the next one."""
        while True:
            self._woken.clear()
            more = False
            try:
                report = await self.run_once()
                more = report.more
                if report.recorded:
                    _log.info("deadline watch: %s", report)
            except Exception:
                _log.exception("deadline watch: the pass failed; trying again later")
            if not more:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):  # not wait_for: see LogWakeup
                        await self._woken.wait()
