"""Random sequences of valid and invalid commands, through the real handlers and a real
PostgreSQL, keep the domain's invariants:

* a refused command stores nothing;
* every stream's versions are contiguous from 1;
* replaying a stream rebuilds exactly the state the command left in memory;
* no assignment is both accepted and open, and the status buckets agree with the status;
* a merged unit holds no open assignment;
* the assignment status view, built incrementally in small batches, agrees with the
  aggregates after every step (bucket judged on that day), and a rebuild from zero gives
  the same rows.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import asyncpg
import msgspec
import pytest
from eventsourcing.domain import BaseAggregate
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from adapters.store.database import create_pool, with_database
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application.commands import (
    AcceptSubmission,
    CancelAssignment,
    ExtendDueDate,
    MergeOrganisation,
    ReturnSubmission,
    SubmitReport,
    WaiveAssignment,
)
from application.organisations import merge_organisation
from application.ports import CommandContext
from domain.assignment import Assignment, Bucket, Status
from domain.errors import DomainError
from domain.organisation import Organisation, organisation_id
from domain.permissions import Role
from projections.assignment_status import BUCKET, AssignmentStatus
from projections.compliance import ComplianceRollup, UnitCompliance, unit_compliance
from tests.integration.cascade import TREE, Cascade, as_admin, as_unit, report_task

A = TypeVar("A", bound=BaseAggregate[uuid.UUID])
BELOW = ["btg-ngo-quyen", "btg-le-chan", "so-y-te-hai-phong", "phuong-may-to"]
UNITS = [*BELOW, "btg-binh-dinh"]  # the last is outside the issuer's subtree
ISSUER = "btg-hai-phong"
START = date(2024, 2, 1)
_databases = itertools.count(1)


class RecordingAggregates(AggregateRepository):
    """The real repository, remembering every aggregate a command saved."""

    saved: dict[uuid.UUID, BaseAggregate[uuid.UUID]]

    async def save(  # type: ignore[override]
        self, *aggregates: BaseAggregate[uuid.UUID], context: CommandContext, **kw: Any
    ) -> list[int]:
        positions = await super().save(*aggregates, context=context, **kw)
        for aggregate in aggregates:
            self.saved[aggregate.id] = aggregate
        return positions


class DomainMachine(RuleBasedStateMachine):
    admin_url: str
    template: str

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.name = f"{self.template}_sm{next(_databases)}"
        self.run(self._admin(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"'))
        self.pool: asyncpg.Pool[Any] = self.run(
            create_pool(with_database(self.admin_url, self.name), min_size=1, max_size=4)
        )
        store = PostgresEventStore(self.pool)
        self.aggregates = RecordingAggregates(store)
        url = with_database(self.admin_url, self.name)
        wakeup = LogWakeup(self.pool, url)
        self.status_view = ProjectionRunner(AssignmentStatus(), store, wakeup, url, batch_size=3)
        self.rollup = ProjectionRunner(ComplianceRollup(), store, wakeup, url, batch_size=4)
        self.aggregates.saved = {}
        self.cascade = Cascade(self.aggregates, self.pool)
        self.day = START
        self.assignments: list[uuid.UUID] = []
        self.numbers = itertools.count(1)

    def run(self, awaitable: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(awaitable)

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def teardown(self) -> None:
        self.run(self._rebuild_equals_incremental())
        self.run(self.pool.close())
        self.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.loop.close()

    def attempt(self, command: Awaitable[Any]) -> None:
        """Run a command; if the domain refuses it, the log must not have changed."""
        before = self.run(self.cascade.events())
        try:
            self.run(command)
        except DomainError:
            assert self.run(self.cascade.events()) == before, "a refused command stored events"

    # -- rules --------------------------------------------------------------------
    @initialize()
    def build(self) -> None:
        self.run(self.cascade.build_tree())
        self.issue(UNITS[:3], 30)
        assert len(self.assignments) == 3

    @rule(
        units=st.lists(
            st.sampled_from(BELOW) | st.sampled_from(UNITS), min_size=1, max_size=3, unique=True
        ),
        due=st.integers(-5, 60),
    )
    def issue(self, units: list[str], due: int) -> None:
        number = f"{next(self.numbers)}-HD/BTGTU"
        before = len(self.cascade.documents)
        self.attempt(
            self.cascade.issue(
                ISSUER, number, self.day, report_task(*units, due=self.day + timedelta(days=due))
            )
        )
        if len(self.cascade.documents) > before:
            self.assignments += [a.id for a in self.cascade.documents[number].tasks[0].assignments]

    @rule(data=st.data(), own=st.booleans(), back=st.integers(0, 3))
    def submit(self, data: st.DataObject, own: bool, back: int) -> None:
        target = self._assignment(data)
        if target is None:
            return
        unit = target.assignee if own else data.draw(st.sampled_from(UNITS))
        self.attempt(
            handle.submit_report(
                SubmitReport(
                    assignment_id=target.id,
                    summary="Báo cáo",
                    effective_on=self.day - timedelta(days=back),
                ),
                as_unit(unit, self.day, Role.REPORTER),
                self.aggregates,
            )
        )

    @rule(
        data=st.data(),
        verb=st.sampled_from(["accept", "return", "extend", "waive", "cancel"]),
        by_issuer=st.booleans(),
    )
    def review(self, data: st.DataObject, verb: str, by_issuer: bool) -> None:
        target = self._assignment(data)
        if target is None:
            return
        who = as_unit(ISSUER if by_issuer else "btg-binh-dinh", self.day)
        aid, day = target.id, self.day
        command = {
            "accept": lambda: handle.accept_submission(
                AcceptSubmission(assignment_id=aid, effective_on=day), who, self.aggregates
            ),
            "return": lambda: handle.return_submission(
                ReturnSubmission(assignment_id=aid, reason="bổ sung", effective_on=day),
                who,
                self.aggregates,
            ),
            "extend": lambda: handle.extend_due_date(
                ExtendDueDate(
                    assignment_id=aid,
                    due_on=target.due_on + timedelta(days=7),
                    reason="lý do",
                    effective_on=day,
                ),
                who,
                self.aggregates,
            ),
            "waive": lambda: handle.waive_assignment(
                WaiveAssignment(assignment_id=aid, reason="miễn", effective_on=day),
                who,
                self.aggregates,
            ),
            "cancel": lambda: handle.cancel_assignment(
                CancelAssignment(assignment_id=aid, reason="hủy", effective_on=day),
                who,
                self.aggregates,
            ),
        }[verb]
        self.attempt(command())

    @rule(merged=st.sampled_from(UNITS[:3]), survivor=st.sampled_from([ISSUER, *UNITS[:3]]))
    def merge(self, merged: str, survivor: str) -> None:
        self.attempt(
            merge_organisation(
                MergeOrganisation(id=merged, into_id=survivor, effective_on=self.day),
                as_admin(self.day),
                self.aggregates,
            )
        )

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        self.day += timedelta(days=days)

    def _assignment(self, data: st.DataObject) -> Assignment | None:
        if not self.assignments:
            return None
        chosen = data.draw(st.sampled_from(self.assignments))
        found: Assignment = self.run(self.aggregates.get(Assignment, chosen))
        return found

    # -- invariants -----------------------------------------------------------------
    @invariant()
    def versions_are_contiguous(self) -> None:
        gaps = self.run(
            self.pool.fetch(
                "SELECT stream_id FROM events GROUP BY stream_id"
                " HAVING min(version) <> 1 OR max(version) <> count(*)"
            )
        )
        assert gaps == []

    @invariant()
    def replay_rebuilds_the_saved_state(self) -> None:
        for aggregate_id, live in self.aggregates.saved.items():
            replayed = self.run(self.aggregates.get(type(live), aggregate_id))
            assert _state(replayed) == _state(live), type(live).__name__
        self.aggregates.saved.clear()

    @invariant()
    def statuses_and_buckets_agree(self) -> None:
        for assignment in self._all(Assignment, self.assignments):
            bucket = assignment.bucket(self.day)
            accepted = assignment.status is Status.ACCEPTED
            assert not (accepted and assignment.status.open)
            assert accepted == (bucket in (Bucket.DONE_ON_TIME, Bucket.DONE_LATE))
            assert (accepted or assignment.status.open) == (bucket is not None)
            assert (assignment.accepted_on is not None) == accepted

    @invariant()
    def a_merged_unit_holds_no_open_assignment(self) -> None:
        units = self._all(Organisation, [organisation_id(u) for u in UNITS])
        merged = {u.slug for u in units if u.merged_into is not None}
        for assignment in self._all(Assignment, self.assignments):
            assert not (assignment.status.open and assignment.assignee in merged)

    @invariant()
    def the_status_view_agrees_with_the_aggregates(self) -> None:
        self.run(self.status_view.catch_up())
        rows = {
            row["id"]: row
            for row in self.run(
                self.pool.fetch(f"SELECT *, {BUCKET} AS bucket FROM assignment_status", self.day)
            )
        }
        assert set(rows) == set(self.assignments)
        for assignment in self._all(Assignment, self.assignments):
            row = rows[assignment.id]
            bucket = assignment.bucket(self.day)
            assert (row["status"], row["assignee"], row["due_on"], row["returns"]) == (
                assignment.status,
                assignment.assignee,
                assignment.due_on,
                assignment.returns,
            )
            assert row["bucket"] == (bucket.value if bucket else None)

    @invariant()
    def the_rollup_counts_what_the_aggregates_say(self) -> None:
        self.run(self.rollup.catch_up())
        units = {u.slug: u for u in self._all(Organisation, [organisation_id(t[0]) for t in TREE])}

        def path(slug: str) -> list[str]:
            parent = units[slug].parent
            return [*path(parent), slug] if parent else [slug]

        expected: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for assignment in self._all(Assignment, self.assignments):
            bucket = assignment.bucket(self.day)
            if bucket is None:
                continue
            counted = ["assigned", bucket.value] + (["returned"] if assignment.returns else [])
            places = [(assignment.assignee, "self")]
            places += [(org, "subtree") for org in path(assignment.assignee)]
            for place in places:
                expected[place].update(counted)
        for slug in units:
            found = self.run(self._compliance(slug))
            for scope, counts in (("self", found.self), ("subtree", found.subtree)):
                actual = {k: v for k, v in msgspec.structs.asdict(counts).items() if v}
                assert actual == dict(expected[(slug, scope)]), (slug, scope)

    async def _compliance(self, unit: str) -> UnitCompliance:
        async with self.pool.acquire() as connection:
            return await unit_compliance(connection, unit, self.day)

    async def _rebuild_equals_incremental(self) -> None:
        for runner, tables in (
            (self.status_view, ("assignment_status", "assignment_submissions")),
            (
                self.rollup,
                (
                    "compliance_rollup",
                    "compliance_subtree",
                    "compliance_children",
                    "rollup_units",
                    "rollup_assignments",
                ),
            ),
        ):
            await runner.catch_up()
            snapshot = [
                sorted(map(tuple, await self.pool.fetch(f"SELECT * FROM {table}")))
                for table in tables
            ]
            name = runner.projection.name
            await self.pool.execute(
                f"DROP TABLE {', '.join(tables)};"
                f" DELETE FROM projection_checkpoints WHERE name = '{name}'"
            )
            rebuild = ProjectionRunner(runner.projection, runner.store, runner.wakeup, runner.dsn)
            await rebuild.catch_up()
            rebuilt = [
                sorted(map(tuple, await self.pool.fetch(f"SELECT * FROM {table}")))
                for table in tables
            ]
            assert rebuilt == snapshot, name

    def _all(self, cls: type[A], ids: Sequence[uuid.UUID]) -> list[A]:
        return [self.run(self.aggregates.get(cls, i)) for i in ids]


def _state(aggregate: BaseAggregate[uuid.UUID]) -> dict[str, Any]:
    return {k: v for k, v in aggregate.__dict__.items() if k != "_pending_events"}


def test_random_command_sequences_keep_the_invariants(
    postgres_admin_url: str, template_database: str
) -> None:
    DomainMachine.admin_url = postgres_admin_url
    DomainMachine.template = template_database
    machine = DomainMachine.TestCase
    machine.settings = settings(
        max_examples=25,
        stateful_step_count=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
