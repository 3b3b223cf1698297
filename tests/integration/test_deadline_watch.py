"""The deadline watcher with a settable clock, through the real command handlers, on
PostgreSQL: overdue once, reminders once per configured day, nothing twice however many
watchers run and however often."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import date
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as assignment_handlers
from application import inspections as inspection_handlers
from application.commands import AcceptSubmission, ExtendDueDate, PlanInspection, SubmitReport
from application.deadline_watch import DeadlineWatch, WatchReport
from domain.permissions import Role
from projections.assignment_status import AssignmentStatus
from projections.inspections import InspectionsView
from projections.watch_list import RemindersSent, WatchList
from tests.integration.cascade import Cascade, as_unit, at, report_task
from tests.support import SettableClock

ISSUED = date(2024, 1, 24)
DUE = date(2024, 3, 1)  # 2024 is a leap year: 27/02 is three days before, 29/02 one
UNITS = ("btg-ngo-quyen", "btg-le-chan", "so-y-te-hai-phong")


@pytest.fixture
async def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    built = Cascade(AggregateRepository(store), pool)
    await built.build_tree()
    return built


class Watching:
    """The watcher on its clock, with the views it reads brought up to date on demand."""

    def __init__(
        self, cascade: Cascade, store: PostgresEventStore, wakeup: LogWakeup, dsn: str
    ) -> None:
        self.cascade = cascade
        self.clock = SettableClock(at(ISSUED))
        self.runners = [
            ProjectionRunner(view, store, wakeup, dsn)
            for view in (AssignmentStatus(), InspectionsView(), RemindersSent())
        ]
        self.watch = self.watcher()

    def watcher(self) -> DeadlineWatch:
        return DeadlineWatch(
            WatchList(self.cascade.pool), self.cascade.aggregates, self.clock, remind_days=(3, 1)
        )

    async def on(self, day: date, *, views_caught_up: bool = True) -> WatchReport:
        self.clock.set(at(day))
        if views_caught_up:
            for runner in self.runners:
                await runner.catch_up()
        return await self.watch.run_once()


@pytest.fixture
def watching(
    cascade: Cascade, store: PostgresEventStore, wakeup: LogWakeup, database_url: str
) -> Watching:
    return Watching(cascade, store, wakeup, database_url)


async def assigned(cascade: Cascade) -> dict[str, Any]:
    """A report due 01/03/2024 from three units: {unit: assignment id}."""
    issued = await cascade.issue(
        "btg-hai-phong", "76-HD/BTGTU", ISSUED, report_task(*UNITS, due=DUE)
    )
    return {a.assignee_id: a.id for a in issued.tasks[0].assignments}


async def test_due_yesterday_is_marked_overdue_once_and_a_second_run_changes_nothing(
    cascade: Cascade, watching: Watching
) -> None:
    ids = await assigned(cascade)
    day = date(2024, 2, 20)
    submitted = SubmitReport(assignment_id=ids["btg-le-chan"], summary="Báo cáo", effective_on=day)
    await assignment_handlers.submit_report(
        submitted, as_unit("btg-le-chan", day, Role.REPORTER), cascade.aggregates
    )
    await assignment_handlers.accept_submission(
        AcceptSubmission(assignment_id=ids["btg-le-chan"], effective_on=day),
        as_unit("btg-hai-phong", day),
        cascade.aggregates,
    )
    sent = SubmitReport(
        assignment_id=ids["so-y-te-hai-phong"], summary="Chờ duyệt", effective_on=day
    )
    await assignment_handlers.submit_report(
        sent, as_unit("so-y-te-hai-phong", day, Role.REPORTER), cascade.aggregates
    )

    on_due_day = await watching.on(DUE)
    assert on_due_day.overdue == 0  # due today is not overdue yet
    after = await watching.on(date(2024, 3, 2))
    # Accepted in time: nothing to mark. Sent but not accepted: overdue all the same.
    assert after.overdue == 2
    events_after_first = await cascade.events()
    again = await watching.on(date(2024, 3, 2))
    restarted = await watching.watcher().run_once()
    later = await watching.on(date(2024, 3, 20))

    assert again.overdue == restarted.overdue == later.overdue == 0
    assert await cascade.events() == events_after_first
    marked = await cascade.pool.fetch(
        "SELECT stream_id FROM events WHERE type LIKE '%Assignment.MarkedOverdue' ORDER BY 1"
    )
    assert sorted(row[0] for row in marked) == sorted(
        [ids["btg-ngo-quyen"], ids["so-y-te-hai-phong"]]
    )
    actor = await cascade.pool.fetchval(
        "SELECT actor_token_id FROM events WHERE type LIKE '%MarkedOverdue' LIMIT 1"
    )
    assert actor == "deadline-watch"


async def test_a_reminder_once_per_configured_day_and_none_after_sending(
    cascade: Cascade, watching: Watching
) -> None:
    ids = await assigned(cascade)
    day = date(2024, 2, 28)
    sent = SubmitReport(assignment_id=ids["btg-le-chan"], summary="Đã gửi", effective_on=day)

    three_days = await watching.on(date(2024, 2, 27))
    again = await watching.on(date(2024, 2, 27), views_caught_up=False)  # view not yet caught up
    await assignment_handlers.submit_report(
        sent, as_unit("btg-le-chan", day, Role.REPORTER), cascade.aggregates
    )
    two_days = await watching.on(date(2024, 2, 28))
    one_day = await watching.on(date(2024, 2, 29))
    once_more = await watching.on(date(2024, 2, 29))

    assert three_days.reminders == 3
    assert (again.reminders, again.already_done) == (0, 3)  # the aggregates refused
    assert two_days.reminders == 0  # 2 is not a configured day
    assert one_day.reminders == 2  # Lê Chân has sent its report: it is not urged
    assert once_more.reminders == 0
    rows = await cascade.pool.fetch(
        "SELECT stream_id, payload FROM events WHERE type LIKE '%Assignment.Reminded'"
    )
    reminded = Counter((row["stream_id"], b'"days_before":3' in row["payload"]) for row in rows)
    assert reminded == Counter(
        {
            (ids["btg-ngo-quyen"], True): 1,
            (ids["btg-ngo-quyen"], False): 1,
            (ids["so-y-te-hai-phong"], True): 1,
            (ids["so-y-te-hai-phong"], False): 1,
            (ids["btg-le-chan"], True): 1,
        }
    )


async def test_an_inspection_past_its_due_date_is_marked_overdue_once(
    cascade: Cascade, watching: Watching
) -> None:
    start = date(2024, 9, 2)
    planned = await inspection_handlers.plan_inspection(
        PlanInspection(
            inspector_id="btg-hai-phong",
            target_ids=("btg-ngo-quyen",),
            scope=("38-CT/TW",),
            period_from=date(2021, 1, 1),
            period_to=date(2024, 6, 30),
            starts_on=start,
            effective_on=date(2024, 8, 20),
        ),
        as_unit("btg-hai-phong", start),
        cascade.aggregates,
    )
    assert planned.due_on == "2024-10-17"

    on_due_day = await watching.on(date(2024, 10, 17))
    day_after = await watching.on(date(2024, 10, 18))
    again = await watching.on(date(2024, 10, 19))

    assert (on_due_day.inspections_overdue, day_after.inspections_overdue) == (0, 1)
    assert again.inspections_overdue == 0
    count = await cascade.pool.fetchval(
        "SELECT count(*) FROM events WHERE type LIKE '%Inspection.MarkedOverdue'"
    )
    assert count == 1


async def test_watchers_racing_record_each_fact_once(cascade: Cascade, watching: Watching) -> None:
    ids = await assigned(cascade)
    await watching.on(date(2024, 2, 20))  # views caught up, nothing due
    watching.clock.set(at(date(2024, 2, 27)))
    racing = await asyncio.gather(*(watching.watcher().run_once() for _ in range(4)))
    watching.clock.set(at(date(2024, 3, 2)))
    overdue = await asyncio.gather(*(watching.watcher().run_once() for _ in range(4)))

    assert sum(r.reminders for r in racing) == 3
    assert sum(r.overdue for r in overdue) == 3
    assert sum(r.raced + r.already_done for r in racing + overdue) == 18
    counts = await cascade.pool.fetch(
        """
        SELECT stream_id, count(*) FILTER (WHERE type LIKE '%Reminded') AS reminded,
               count(*) FILTER (WHERE type LIKE '%MarkedOverdue') AS overdue
        FROM events WHERE stream_id = ANY($1) GROUP BY stream_id
        """,
        list(ids.values()),
    )
    assert {(row["reminded"], row["overdue"]) for row in counts} == {(1, 1)}


async def test_the_running_watcher_passes_when_woken(cascade: Cascade, watching: Watching) -> None:
    ids = await assigned(cascade)
    for runner in watching.runners:
        await runner.catch_up()
    watching.clock.set(at(date(2024, 3, 2)))
    watch = watching.watcher()
    watch.interval = 3600  # it would not pass again for an hour unless woken
    running = asyncio.create_task(watch.run())
    try:
        await wait_for_overdue(cascade, 3)
        await assignment_handlers.extend_due_date(
            ExtendDueDate(
                assignment_id=ids["btg-ngo-quyen"],
                due_on=date(2024, 3, 5),
                reason="Gia hạn",
                effective_on=date(2024, 3, 2),
            ),
            as_unit("btg-hai-phong", date(2024, 3, 2)),
            cascade.aggregates,
        )
        for runner in watching.runners:
            await runner.catch_up()
        watching.clock.set(at(date(2024, 3, 6)))
        watch.wake()
        await wait_for_overdue(cascade, 4)  # overdue again after its extended date
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def wait_for_overdue(cascade: Cascade, count: int) -> None:
    for _ in range(200):
        found = await cascade.pool.fetchval(
            "SELECT count(*) FROM events WHERE type LIKE '%Assignment.MarkedOverdue'"
        )
        if found == count:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"{found} overdue marks, not {count}")
