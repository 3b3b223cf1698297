"""One reading of the log for all the runners of a process (``SharedLog``): runners at
the same place get each batch from one read and each event from one decoding, and
runners anywhere else — behind, ahead, moved by a rebuild — still apply every event
exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import pytest
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import StoredEvent

from adapters.store.codec import MsgspecMapper
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_rebuild import rebuild
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.records import LOG_START, LogBatch, LogCursor
from adapters.store.repository import AggregateRepository
from adapters.store.shared_log import SharedLog
from adapters.store.wakeup import LogWakeup
from projections import all_projections
from projections.assignment_status import AssignmentStatus
from projections.base import Projection
from projections.compliance import ComplianceRollup
from projections.organisation_tree import OrganisationTree
from tests.integration.cascade import Cascade
from tests.integration.projection_tables import activity, snapshot
from tests.integration.test_projection_rebuild import caught_up, from_zero, live
from tests.support import append_to, metadata, stopped


@pytest.fixture
async def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    built = Cascade(AggregateRepository(store), pool)
    await built.build_tree()
    await activity(built, 4)
    return built


class SteadyStore(PostgresEventStore):
    """The real store, counting the log's reads, each of which waits out any
    transaction elsewhere on the server that holds the horizon back (so that what a
    read returns depends on this test alone); with a gate, holding what it read until
    the gate opens."""

    def __init__(self, store: PostgresEventStore, *, gated: bool = False) -> None:
        super().__init__(store.pool, store.wakeup)
        self.reads: list[LogCursor] = []
        self.gate = asyncio.Event()
        self.held = asyncio.Event()
        if not gated:
            self.gate.set()

    async def read_after(self, cursor: LogCursor, limit: int = 1000) -> LogBatch:
        batch = await super().read_after(cursor, limit)
        while batch.held_back:
            await asyncio.sleep(0.01)
            batch = await super().read_after(cursor, limit)
        self.reads.append(cursor)
        self.held.set()
        await self.gate.wait()
        return batch


class CountingMapper(MsgspecMapper):
    """The real mapper, counting the events it decodes."""

    def __init__(self) -> None:
        super().__init__()
        self.decoded: list[int] = []

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[uuid.UUID]:
        self.decoded.append(stored_event.originator_version)
        return super().to_domain_event(stored_event)


async def test_runners_at_one_place_read_each_batch_once_and_decode_each_event_once(
    cascade: Cascade, store: PostgresEventStore, wakeup: LogWakeup, database_url: str
) -> None:
    domain_events = await cascade.events()
    padding = -domain_events % 10  # events of no projection, so that every batch is full
    await store.append([append_to(uuid.uuid4(), 0, padding)], metadata())
    counting, mapper = SteadyStore(store), CountingMapper()
    log = SharedLog(counting, wakeup, mapper)
    runners = [
        ProjectionRunner(p, counting, wakeup, database_url, log=log, batch_size=10)
        for p in all_projections()
    ]
    applied = await asyncio.gather(*(runner.catch_up() for runner in runners))

    events = domain_events + padding
    assert applied == [events] * len(runners)
    full = [cursor for cursor in counting.reads if cursor.position < events]
    assert len(full) == len(set(full)) == events // 10  # each full batch read once
    assert len(mapper.decoded) == domain_events  # each event decoded once
    assert await live(store.pool) == await from_zero(store.pool, store, database_url)


async def _apply_some(runner: ProjectionRunner, batches: int) -> None:
    """The runner's first ``batches`` batches, as its own run would apply them."""
    with SharedLog(runner.store, runner.wakeup).reader() as reader:
        cursor = LOG_START
        for _ in range(batches):
            batch = await reader.read_after(cursor, runner.batch_size)
            assert await runner.apply(batch, after=cursor)
            cursor = batch.events[-1].cursor


async def test_runners_at_different_checkpoints_on_one_log_end_equal_to_their_rebuilds(
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
) -> None:
    """The tree is caught up, the roll-up part of the way, the status view at zero;
    then all three follow one shared log while commands go on, and the roll-up's
    runner is killed on the way and replaced by one standing by."""
    await ProjectionRunner(OrganisationTree(), store, wakeup, database_url).catch_up()
    rollup = ProjectionRunner(ComplianceRollup(), store, wakeup, database_url, batch_size=7)
    await rollup.prepare()
    await _apply_some(rollup, batches=3)
    await activity(cascade, 3)

    log = SharedLog(store, wakeup)
    projections: list[Projection] = [OrganisationTree(), ComplianceRollup(), AssignmentStatus()]

    def runner(projection: Projection) -> ProjectionRunner:
        return ProjectionRunner(
            projection, store, wakeup, database_url, log=log, batch_size=5, standby_poll=0.05
        )

    runners = [runner(p) for p in projections]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    standby = runner(ComplianceRollup())
    try:
        writing = asyncio.create_task(activity(cascade, 4))
        await asyncio.wait_for(runners[1].active.wait(), 10)
        tasks.append(asyncio.create_task(standby.run()))
        await asyncio.sleep(0.1)
        tasks[1].cancel()  # the roll-up's active runner dies
        await asyncio.wait_for(standby.active.wait(), 10)
        await writing
        await caught_up(pool, [p.name for p in projections])
        assert not [t for t in tasks if t.done() and not t.cancelled()], "a runner died"
        followed = await views(pool, projections)
    finally:
        await stopped(*tasks)

    for projection in projections:
        await rebuild(projection, store, database_url)
    assert followed == await views(pool, projections)


async def views(pool: asyncpg.Pool[Any], projections: list[Projection]) -> dict[str, Any]:
    async with pool.acquire() as connection:
        return {p.name: await snapshot(connection, p) for p in projections}


async def test_a_read_serves_the_followers_joining_it_only_until_something_is_appended(
    store: PostgresEventStore, wakeup: LogWakeup
) -> None:
    await store.append([append_to(uuid.uuid4(), 0, 3)], metadata())
    await wakeup.wait(wakeup.ticket(), 1.0)  # the append's own notification, heard back
    gated = SteadyStore(store, gated=True)
    log = SharedLog(gated, wakeup)
    with log.reader() as first, log.reader() as second, log.reader() as late:
        reading = asyncio.ensure_future(first.read_after(LOG_START, 10))
        await asyncio.wait_for(gated.held.wait(), 5)  # read, and held at the gate
        joining = asyncio.ensure_future(second.read_after(LOG_START, 10))
        await asyncio.sleep(0.01)
        await store.append([append_to(uuid.uuid4(), 0)], metadata())
        joining_late = asyncio.ensure_future(late.read_after(LOG_START, 10))
        await asyncio.sleep(0.01)
        gated.gate.set()
        batch, joined, read_again = await asyncio.gather(reading, joining, joining_late)
        after_it = await first.read_after(LOG_START, 10)

    assert len(batch.events) == 3
    assert joined is batch  # one read for both
    assert len(read_again.events) == len(after_it.events) == 4
    assert after_it is not read_again  # a short batch is read again: more may have come
    assert len(gated.reads) == 3


async def test_the_reader_furthest_ahead_waits_for_the_slowest_but_not_for_ever(
    store: PostgresEventStore, wakeup: LogWakeup
) -> None:
    await store.append([append_to(uuid.uuid4(), 0, 12)], metadata())
    log = SharedLog(SteadyStore(store), wakeup, window=2, patience=0.5)
    with log.reader() as slow, log.reader() as fast:
        kept = await slow.read_after(LOG_START, 2)
        cursor = LOG_START
        for _ in range(2):  # two batches ahead of the slow reader
            cursor = (await fast.read_after(cursor, 2)).events[-1].cursor
        waiting = asyncio.ensure_future(fast.read_after(cursor, 2))
        await asyncio.sleep(0.2)
        assert not waiting.done(), "the fast reader went on beyond the window"
        assert await slow.read_after(kept.events[-1].cursor, 2)  # one step on
        third = await asyncio.wait_for(waiting, 0.1)

        began = time.perf_counter()  # the slow reader stalls: the fast one waits 0.5 s
        fourth = await fast.read_after(third.events[-1].cursor, 2)
        assert time.perf_counter() - began >= 0.45
        assert fourth.events[0].position == third.events[-1].position + 1


async def test_a_runner_without_a_wake_up_catches_up_to_a_short_last_batch(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], database_url: str
) -> None:
    """Tools (``khoagiao import``) catch a view up with no wake-up: the log's last batch
    comes back short, and the read the runner began itself must be taken as it is."""
    plain = PostgresEventStore(pool)
    for _ in range(3):
        await plain.append([append_to(uuid.uuid4(), 0)], metadata())
    runner = ProjectionRunner(OrganisationTree(), plain, None, database_url, batch_size=2)

    applied = await asyncio.wait_for(runner.catch_up(), 10)

    assert applied == await pool.fetchval("SELECT count(*) FROM events")
