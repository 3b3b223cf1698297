"""Inspections and supervisions (kiểm tra, giám sát) as the upper commissions run them.

A plan is decided a few weeks ahead; on the start date the team is formed; each target
sends its self-assessment; the team records findings (a few with a violation), drafts
and issues a conclusion per target; a violation must be remedied within thirty days,
reported and verified before the inspection closes. Some run late: extended once by
the most the rules allow (331-QĐ/TW), or left to run past the due date, which the
deadline watcher marks. A supervision that finds a violation is escalated, and an
inspection of those targets is planned from it.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import TypeVar
from uuid import UUID

from adapters.demo.agenda import Action, Agenda
from adapters.demo.recorder import MemoryAggregates
from application import inspections as handle
from application.commands import (
    CloseInspection,
    DecideInspectionTeam,
    DraftConclusion,
    EscalateSupervision,
    ExtendInspection,
    InspectionCommand,
    IssueConclusion,
    MarkInspectionOverdue,
    PlanInspection,
    ReceiveSelfAssessment,
    RecordFinding,
    ReportRemediation,
    VerifyRemediation,
)
from application.ports import Aggregates, CommandContext
from domain.inspection import Inspection
from domain.inspection_terms import (
    DURATION_DAYS,
    FindingKind,
    InspectionKind,
    Rating,
    max_extension_days,
)
from domain.organisation import Level

C = TypeVar("C", bound=InspectionCommand)
Handler = Callable[[C, CommandContext, Aggregates], Awaitable[object]]

REVIEWED = (date(2023, 1, 1), date(2024, 12, 31))
"""The period under review: the two years before the demo year."""
VIOLATION_ODDS, OVERRUN_ODDS = 0.12, 0.12
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
_MIDDLE = ("Văn", "Thị", "Minh", "Thanh", "Hữu", "Ngọc", "Quốc", "Thu")
_GIVEN = ("An", "Bình", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Mai", "Nam", "Sơn", "Tâm")
_RATINGS = (Rating.GOOD, Rating.FAIR, Rating.AVERAGE)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


class Inspections:
    def __init__(self, agenda: Agenda, aggregates: MemoryAggregates, rng: random.Random) -> None:
        self.agenda = agenda
        self.aggregates = aggregates
        self.rng = rng
        self.planned = 0

    def plan(
        self,
        inspector: str,
        level: Level,
        targets: Sequence[str],
        scope: Sequence[str],
        starts_on: date,
        *,
        kind: InspectionKind = InspectionKind.INSPECTION,
        escalated_from: UUID | None = None,
    ) -> None:
        """Decide the plan three weeks before ``starts_on`` and run it from then."""
        planned_on = max(self.agenda.today or starts_on, starts_on - _days(21))
        command = PlanInspection(
            inspector_id=inspector,
            target_ids=tuple(targets),
            scope=tuple(scope),
            period_from=REVIEWED[0],
            period_to=REVIEWED[1],
            starts_on=starts_on,
            kind=kind,
            escalated_from=escalated_from,
            effective_on=planned_on,
        )
        violators = [t for t in targets if self.rng.random() < VIOLATION_ODDS]
        duration = DURATION_DAYS[level]
        overrun = self.rng.random() < OVERRUN_ODDS
        extended = overrun and self.rng.random() < 0.5
        due = starts_on + _days(duration)
        if extended:
            due += _days(max_extension_days(duration))
        concluded = due + _days(self.rng.randint(1, 10) if overrun and not extended else -2)
        run = _Run(self, command, level, violators, extended, concluded)
        self.agenda.at(planned_on, run.start)
        self.planned += 1


class _Run:
    """One inspection from its plan to its end."""

    def __init__(
        self,
        inspections: Inspections,
        command: PlanInspection,
        level: Level,
        violators: list[str],
        extended: bool,
        concluded: date,
    ) -> None:
        self.agenda = inspections.agenda
        self.aggregates = inspections.aggregates
        self.inspections = inspections
        self.rng = inspections.rng
        self.command = command
        self.level = level
        self.violators = violators
        self.extended = extended
        self.concluded = concluded
        self.id: UUID | None = None

    async def start(self, day: date) -> None:
        written = await handle.plan_inspection(
            self.command, self.agenda.context(day), self.aggregates
        )
        self.id = written.id
        starts = self.command.starts_on
        team = tuple(_person(self.rng) for _ in range(3))
        number = self.rng.randint(10, 250)
        self.agenda.at(
            starts,
            self._act(
                handle.decide_team,
                lambda d: DecideInspectionTeam(
                    inspection_id=self._id,
                    members=team,
                    decision_number=f"Quyết định số {number}",
                    effective_on=d,
                ),
            ),
        )
        due = date.fromisoformat(written.due_on)
        self.agenda.at(due + _days(1), self._watch(due))
        if self.extended:
            self.agenda.at(due - _days(2), self._extend(due))
        for target in self.command.target_ids:
            self._plan_target(target, starts)
        supervision = self.command.kind is InspectionKind.SUPERVISION
        if supervision and self.violators:
            self.agenda.at(self.concluded, self._escalate)
            return
        ends = self.concluded + _days(2)
        if self.violators:
            ends = self.concluded + _days(36)
        self.agenda.at(ends, self._act(handle.close_inspection, self._close))

    def _plan_target(self, target: str, starts: date) -> None:
        rng, at = self.rng, self.agenda.at
        at(
            starts + _days(rng.randint(2, 6)),
            self._act(
                handle.receive_self_assessment,
                lambda d: ReceiveSelfAssessment(
                    inspection_id=self._id,
                    target_id=target,
                    summary="Báo cáo tự kiểm tra việc thực hiện các nghị quyết, chỉ thị",
                    effective_on=d,
                ),
            ),
        )
        kinds = [FindingKind.STRENGTH, FindingKind.SHORTCOMING]
        if target in self.violators:
            kinds.append(FindingKind.VIOLATION)
        for finding in kinds:
            at(
                starts + _days(rng.randint(7, 12)),
                self._act(handle.record_finding, self._finding(target, finding)),
            )
        if self.command.kind is InspectionKind.SUPERVISION and self.violators:
            return
        at(
            self.concluded - _days(3),
            self._act(
                handle.draft_conclusion,
                lambda d: DraftConclusion(
                    inspection_id=self._id,
                    target_id=target,
                    text="Dự thảo kết luận kiểm tra",
                    effective_on=d,
                ),
            ),
        )
        violator = target in self.violators
        rating = Rating.VIOLATION if violator else rng.choice(_RATINGS)
        remedy_by = self.concluded + _days(30) if violator else None
        at(
            self.concluded,
            self._act(
                handle.issue_conclusion,
                lambda d: IssueConclusion(
                    inspection_id=self._id,
                    target_id=target,
                    rating=rating,
                    text="Kết luận kiểm tra việc thực hiện công tác khoa giáo",
                    remediation_due_on=remedy_by,
                    effective_on=d,
                ),
            ),
        )
        if violator:
            reported = self.concluded + _days(rng.randint(20, 28))
            at(
                reported,
                self._act(
                    handle.report_remediation,
                    lambda d: ReportRemediation(
                        inspection_id=self._id,
                        target_id=target,
                        text="Đã khắc phục các vi phạm theo kết luận",
                        effective_on=d,
                    ),
                ),
            )
            at(
                reported + _days(rng.randint(3, 7)),
                self._act(
                    handle.verify_remediation,
                    lambda d: VerifyRemediation(
                        inspection_id=self._id, target_id=target, effective_on=d
                    ),
                ),
            )

    def _finding(self, target: str, kind: FindingKind) -> Callable[[date], RecordFinding]:
        texts = {
            FindingKind.STRENGTH: "Ban hành kịp thời kế hoạch thực hiện",
            FindingKind.SHORTCOMING: "Báo cáo định kỳ chưa đầy đủ số liệu",
            FindingKind.VIOLATION: "Chưa tổ chức quán triệt, triển khai theo quy định",
        }
        return lambda d: RecordFinding(
            inspection_id=self._id,
            target_id=target,
            kind=kind,
            text=texts[kind],
            document=self.command.scope[0],
            effective_on=d,
        )

    @property
    def _id(self) -> UUID:
        assert self.id is not None, "the inspection is planned before it runs"
        return self.id

    def _act(self, handler: Handler[C], command: Callable[[date], C]) -> Action:
        """Send the command made for the day to the handler."""

        async def act(day: date) -> None:
            await handler(command(day), self.agenda.context(day), self.aggregates)

        return act

    def _close(self, day: date) -> CloseInspection:
        return CloseInspection(inspection_id=self._id, effective_on=day)

    def _extend(self, due: date) -> Action:
        async def act(day: date) -> None:
            added = max_extension_days(DURATION_DAYS[self.level])
            command = ExtendInspection(
                inspection_id=self._id,
                due_on=due + _days(added),
                reason="Mở rộng phạm vi xác minh",
                effective_on=day,
            )
            written = await handle.extend_inspection(
                command, self.agenda.context(day), self.aggregates
            )
            extended_to = date.fromisoformat(written.due_on)
            self.agenda.at(extended_to + _days(1), self._watch(extended_to))

        return act

    def _watch(self, due: date) -> Action:
        """The deadline watcher's look the day after the due date."""

        async def act(day: date) -> None:
            found = await self.aggregates.get(Inspection, self._id)
            if found.open and found.due_on == due and not found.marked_overdue:
                await handle.mark_inspection_overdue(
                    MarkInspectionOverdue(inspection_id=self._id),
                    self.agenda.context(day),
                    self.aggregates,
                )

        return act

    async def _escalate(self, day: date) -> None:
        command = EscalateSupervision(inspection_id=self._id, effective_on=day)
        await handle.escalate_supervision(command, self.agenda.context(day), self.aggregates)
        self.inspections.plan(
            self.command.inspector_id,
            self.level,
            self.violators,
            self.command.scope,
            day + _days(10),
            escalated_from=self._id,
        )


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
