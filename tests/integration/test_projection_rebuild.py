"""``projections rebuild``: a view rebuilt from zero beside the live tables and swapped in
while the runner keeps working — the new tables equal a view built from zero, the runner
carries on after the swap without applying anything twice or skipping anything, and the
checkpoint (what ``projections status`` and /health show) is right after it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_rebuild import RebuildInProgress, rebuild, shadow_schema
from adapters.store.projection_runner import ProjectionRunner, checkpoint, lag
from adapters.store.records import LogBatch, LogCursor
from adapters.store.repository import AggregateRepository
from adapters.store.shared_log import SharedLog
from adapters.store.wakeup import LogWakeup
from projections import all_projections
from projections.base import Projected, Projection, schema_fingerprint
from projections.compliance import ComplianceRollup
from tests.integration.cascade import Cascade
from tests.integration.projection_tables import activity, snapshot
from tests.support import stopped


@pytest.fixture
async def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    built = Cascade(AggregateRepository(store), pool)
    await built.build_tree()
    await activity(built, 6)
    return built


class Interleaved:
    """A projection that runs ``during(n)`` in the middle of its n-th batch (from 1):
    the place to make the rest of the world move while a rebuild is under way."""

    def __init__(self, real: Projection, during: Callable[[int], Awaitable[None]]) -> None:
        self.real = real
        self.name = real.name
        self.revision = real.revision
        self.during = during
        self.batches = 0

    def schema(self) -> str:
        return self.real.schema()

    def handles(self, topic: str) -> bool:
        return self.real.handles(topic)

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        await self.real.apply(connection, events)
        self.batches += 1
        await self.during(self.batches)


async def from_zero(pool: asyncpg.Pool[Any], store: PostgresEventStore, url: str) -> dict[str, Any]:
    """Every projection as a rebuild from zero makes it (with nothing written meanwhile)."""
    found = {}
    for projection in all_projections():
        await rebuild(projection, store, url)
        async with pool.acquire() as connection:
            found[projection.name] = await snapshot(connection, projection)
    return found


async def live(pool: asyncpg.Pool[Any]) -> dict[str, Any]:
    async with pool.acquire() as connection:
        return {p.name: await snapshot(connection, p) for p in all_projections()}


async def caught_up(pool: asyncpg.Pool[Any], names: Sequence[str]) -> None:
    for _ in range(200):
        async with pool.acquire() as connection:
            if all([(await lag(connection, name))["behind_events"] == 0 for name in names]):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the runners did not catch up")


async def test_every_view_rebuilt_while_its_runner_works_and_writes_go_on_equals_one_from_zero(
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
) -> None:
    log = SharedLog(store, wakeup)  # one reading of the log for all, as in the service
    runners = [
        ProjectionRunner(p, store, wakeup, database_url, log=log, batch_size=3)
        for p in all_projections()
    ]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    writing = asyncio.create_task(activity(cascade, 12))
    try:
        for projection in all_projections():
            report = await rebuild(projection, store, database_url, batch_size=7)
            assert report.tables and report.events > 0
        await writing
        await caught_up(pool, [r.projection.name for r in runners])
        assert not [t for t in tasks if t.done()], "a runner died"
        rebuilt_under_load = await live(pool)
    finally:
        await stopped(*tasks)

    assert rebuilt_under_load == await from_zero(pool, store, database_url)
    async with pool.acquire() as connection:
        schemas = await connection.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild_%'"
        )
        assert schemas == 0


class ShortSighted(PostgresEventStore):
    """The log as a rebuild's catch-up sees it when the log grows meanwhile: it seems to
    end at ``end`` to a reader that has not got there yet, while everything after is
    there for one that reads on from ``end`` (the swap's tail, or a runner)."""

    def __init__(self, store: PostgresEventStore, end: LogCursor) -> None:
        super().__init__(store.pool)
        self.end = end

    async def last_position(self) -> int:
        return self.end.position

    async def read_after(self, cursor: LogCursor, limit: int = 1000) -> LogBatch:
        batch = await super().read_after(cursor, limit)
        if cursor >= self.end:
            return batch
        kept = [event for event in batch.events if event.cursor <= self.end]
        return batch if len(kept) == len(batch.events) else LogBatch(kept, held_back=False)


async def test_the_events_the_runner_applied_during_the_catch_up_reach_the_new_tables(
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
) -> None:
    """The shadow caught up to where the log ended when it began; the live runner has
    applied more since: the swap applies that tail to the new tables first."""
    runner = ProjectionRunner(ComplianceRollup(), store, wakeup, database_url)
    await runner.catch_up()
    began = await runner.stored_checkpoint()
    await activity(cascade, 2)
    await runner.catch_up()

    report = await rebuild(ComplianceRollup(), ShortSighted(store, began), database_url)
    async with pool.acquire() as connection:
        last = await connection.fetchval("SELECT max(position) FROM events")
        assert report.position == last > began.position
        assert (await checkpoint(connection, "compliance_rollup")).position == last
        assert (await lag(connection, "compliance_rollup"))["behind_events"] == 0
        swapped = await snapshot(connection, ComplianceRollup())
    assert await runner.catch_up() == 0
    assert swapped == (await from_zero(pool, store, database_url))["compliance_rollup"]


async def swap_waiting_for_a_reader(connection: Any) -> bool:
    """Whether a swap is waiting to drop a table a reader still holds."""
    return bool(
        await connection.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = 'compliance_rollup' AND l.mode = 'AccessExclusiveLock'"
            " AND NOT l.granted"
        )
    )


@pytest.mark.parametrize("shadow_ahead", [False, True])
async def test_a_runner_batch_waiting_on_the_swap_applies_once_to_the_new_tables(
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
    shadow_ahead: bool,
) -> None:
    """Events arrive that neither the runner nor (unless ``shadow_ahead``) the shadow
    has applied. A reader holds the old table, so the swap waits inside its transaction
    with the checkpoint row locked; a runner batch of those events starts and waits on
    the row. After the swap the runner goes on from the same checkpoint into the new
    tables — or, the shadow being ahead of it, finds the checkpoint moved, writes
    nothing and resumes from there."""
    runner = ProjectionRunner(ComplianceRollup(), store, wakeup, database_url, batch_size=5)
    await runner.catch_up()
    began = await runner.stored_checkpoint()
    await activity(cascade, 2)
    seen = store if shadow_ahead else ShortSighted(store, began)
    reader = await pool.acquire()
    reading = reader.transaction()
    await reading.start()
    await reader.fetch("SELECT * FROM compliance_rollup LIMIT 1")
    rebuilding = asyncio.create_task(rebuild(ComplianceRollup(), seen, database_url))
    try:
        async with pool.acquire() as connection:
            while not await swap_waiting_for_a_reader(connection):
                assert not rebuilding.done(), rebuilding.exception()
                await asyncio.sleep(0.01)
        waiting = asyncio.create_task(runner.catch_up())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the runner did not wait for the swap"
    finally:
        await reading.rollback()
        await pool.release(reader)
    report = await rebuilding
    applied = await waiting
    async with pool.acquire() as connection:
        last = await connection.fetchval("SELECT max(position) FROM events")
        assert (await checkpoint(connection, "compliance_rollup")).position == last
        incremental = await snapshot(connection, ComplianceRollup())
    assert (report.position, applied > 0) == (
        (last, False) if shadow_ahead else (began.position, True)
    )
    assert incremental == (await from_zero(pool, store, database_url))["compliance_rollup"]


async def test_a_second_rebuild_of_the_same_view_is_refused_while_the_first_runs(
    cascade: Cascade, store: PostgresEventStore, database_url: str
) -> None:
    second: list[BaseException] = []

    async def meanwhile(batch: int) -> None:
        if batch == 1:
            with pytest.raises(RebuildInProgress, match="already being rebuilt") as refused:
                await rebuild(ComplianceRollup(), store, database_url)
            second.append(refused.value)

    await rebuild(Interleaved(ComplianceRollup(), meanwhile), store, database_url)
    assert second
    async with store.pool.acquire() as connection:
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                shadow_schema(ComplianceRollup()),
            )
            == 0
        )


async def run_until_current(
    runner: ProjectionRunner, pool: asyncpg.Pool[Any]
) -> asyncio.Task[None]:
    """Start the runner; return once its checkpoint, under its own fingerprint, has
    reached the end of the log."""
    task = asyncio.create_task(runner.run())
    for _ in range(400):
        assert not task.done(), "the runner died"
        async with pool.acquire() as connection:
            stored = await connection.fetchval(
                "SELECT schema_fingerprint FROM projection_checkpoints WHERE name = $1",
                runner.projection.name,
            )
            behind = (await lag(connection, runner.projection.name))["behind_events"]
        if stored == schema_fingerprint(runner.projection) and behind == 0:
            return task
        await asyncio.sleep(0.05)
    task.cancel()
    raise AssertionError(f"{runner.projection.name} did not become current")


@pytest.fixture
async def rollup(
    cascade: Cascade, store: PostgresEventStore, wakeup: LogWakeup, database_url: str
) -> ComplianceRollup:
    """The roll-up, built by this version up to the end of the cascade's log."""
    built = ComplianceRollup()
    await ProjectionRunner(built, store, wakeup, database_url).catch_up()
    return built


async def rollup_table(pool: asyncpg.Pool[Any]) -> int:
    """The oid of the roll-up's main table: a rebuild swaps in another."""
    return int(await pool.fetchval("SELECT 'compliance_rollup'::regclass::oid"))


async def test_a_view_another_version_built_is_rebuilt_before_the_runner_follows_on(
    rollup: ComplianceRollup,
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
) -> None:
    async with pool.acquire() as connection:
        # As an older version left it: no per-child totals table (it came later), a
        # checkpoint without a fingerprint (kept since), and counts of its own making.
        await connection.execute(
            "DROP TABLE compliance_children;"
            " UPDATE compliance_rollup SET count = count + 100;"
            " UPDATE projection_checkpoints SET schema_fingerprint = NULL"
            " WHERE name = 'compliance_rollup'"
        )
    task = await run_until_current(ProjectionRunner(rollup, store, wakeup, database_url), pool)
    try:
        await activity(cascade, 3)  # and it follows on from where the rebuild left it
        await caught_up(pool, [rollup.name])
        async with pool.acquire() as connection:
            followed = await snapshot(connection, rollup)
    finally:
        await stopped(task)

    assert followed["compliance_children"], "the rebuilt view has the table it lacked"
    await rebuild(rollup, store, database_url)
    async with pool.acquire() as connection:
        assert followed == await snapshot(connection, rollup)


async def test_a_view_this_version_built_is_followed_as_it_is(
    rollup: ComplianceRollup,
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
) -> None:
    built = await rollup_table(pool)
    before = await checkpoint(pool, rollup.name)
    task = await run_until_current(ProjectionRunner(rollup, store, wakeup, database_url), pool)
    try:
        await activity(cascade, 1)
        await caught_up(pool, [rollup.name])
    finally:
        await stopped(task)
    assert await rollup_table(pool) == built  # the same table: no rebuild
    assert await checkpoint(pool, rollup.name) > before


async def test_a_new_revision_of_a_projection_rebuilds_its_view(
    rollup: ComplianceRollup,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
) -> None:
    revised = ComplianceRollup()
    revised.revision = rollup.revision + 1
    assert schema_fingerprint(revised) != schema_fingerprint(rollup)
    built = await rollup_table(pool)
    runner = ProjectionRunner(revised, store, wakeup, database_url)
    await stopped(await run_until_current(runner, pool))
    assert await rollup_table(pool) != built
