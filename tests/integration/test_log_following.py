"""Following the log: nothing committed is ever skipped or seen twice, however the
writers' transactions interleave, and a waiting follower is woken at once."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from typing import Any

import asyncpg

from adapters.store.database import create_pool
from adapters.store.event_store import PostgresEventStore
from adapters.store.follower import LogFollower
from adapters.store.records import LOG_START, LogBatch, LogCursor, RecordedEvent
from adapters.store.wakeup import LogWakeup
from application.errors import ConcurrencyError
from tests.support import append_to, metadata

WRITERS = 16
APPENDS_PER_WRITER = 25


async def test_a_follower_sees_every_committed_event_once_while_writers_commit_out_of_order(
    store: PostgresEventStore, wakeup: LogWakeup, pool: asyncpg.Pool[Any]
) -> None:
    rng = random.Random(20240105)
    shared_streams = [uuid.uuid4() for _ in range(4)]
    committed: set[uuid.UUID] = set()

    async def writer(index: int) -> None:
        own = uuid.uuid4()
        own_version = 0
        for _ in range(APPENDS_PER_WRITER):
            use_shared = rng.random() < 0.3
            stream = rng.choice(shared_streams) if use_shared else own
            expected = len(await store.read_stream(stream)) if use_shared else own_version
            batch = append_to(stream, expected, rng.randint(1, 3))
            try:
                async with store.transaction() as transaction:
                    await asyncio.sleep(rng.uniform(0, 0.02))  # before the append
                    await transaction.append([batch], metadata())
                    await asyncio.sleep(rng.uniform(0, 0.03))  # holding the commit back
                    if rng.random() < 0.1:
                        raise _Abandon
            except (_Abandon, ConcurrencyError):
                continue
            committed.update(e.event_id for e in batch.events)
            if not use_shared:
                own_version += len(batch.events)

    seen: list[RecordedEvent] = []
    follower = LogFollower(store, wakeup, LOG_START, batch_size=7, safety_poll=0.2)

    async def follow() -> None:
        async for batch in follower.batches():
            seen.extend(batch)

    following = asyncio.create_task(follow())
    await asyncio.gather(*(writer(i) for i in range(WRITERS)))
    last = await pool.fetchrow(
        "SELECT transaction_id, position FROM events ORDER BY 1 DESC, 2 DESC LIMIT 1"
    )
    for _ in range(200):  # until the follower has passed the last event of the log
        if follower.cursor == (last[0], last[1]):
            break
        await asyncio.sleep(0.05)
    following.cancel()

    seen_ids = [e.event_id for e in seen]
    assert len(committed) > WRITERS * APPENDS_PER_WRITER // 2
    assert len(seen_ids) == len(set(seen_ids)), "an event was delivered twice"
    assert set(seen_ids) == committed
    stored = {row[0] for row in await pool.fetch("SELECT event_id FROM events")}
    assert stored == committed
    versions: dict[uuid.UUID, list[int]] = defaultdict(list)
    for event in seen:
        versions[event.stream_id].append(event.version)
    for stream_versions in versions.values():
        assert stream_versions == list(range(1, len(stream_versions) + 1))


class _Abandon(Exception):
    """A writer rolling its transaction back."""


async def test_a_waiting_follower_is_woken_by_an_append_in_another_process(
    store: PostgresEventStore, wakeup: LogWakeup, pool: asyncpg.Pool[Any], database_url: str
) -> None:
    # Another "process": its own pool and wake-up, sharing nothing but the database.
    other_pool = await create_pool(database_url, min_size=1, max_size=2)
    other_wakeup = LogWakeup(other_pool, database_url)
    other = PostgresEventStore(other_pool, other_wakeup)
    follower = LogFollower(store, wakeup, LOG_START, safety_poll=30.0)
    batches = follower.batches()
    try:
        latencies = []
        for _ in range(5):
            waiting = asyncio.ensure_future(anext(batches))
            await asyncio.sleep(0.2)  # the follower is now asleep on the wake-up
            assert not waiting.done()
            started = time.perf_counter()
            await other.append([append_to(uuid.uuid4(), 0)], metadata())
            batch = await asyncio.wait_for(waiting, timeout=5)
            latencies.append(time.perf_counter() - started)
            assert len(batch) == 1
        # Woken by the notification, not by the 30 s safety poll.
        assert max(latencies) < 1.0, latencies
    finally:
        await batches.aclose()
        await other_wakeup.close()
        await other_pool.close()


class _CountingStore(PostgresEventStore):
    """The real store, counting the reads a follower makes."""

    reads: list[LogCursor]

    async def read_after(self, cursor: LogCursor, limit: int = 1000) -> LogBatch:
        self.reads.append(cursor)
        return await super().read_after(cursor, limit)


async def test_a_follower_catching_up_reads_the_next_batch_while_this_one_is_handled(
    pool: asyncpg.Pool[Any], wakeup: LogWakeup
) -> None:
    streams = [uuid.uuid4() for _ in range(5)]
    for stream in streams:
        await PostgresEventStore(pool).append([append_to(stream, 0, 4)], metadata())
    store = _CountingStore(pool)
    store.reads = []
    follower = LogFollower(store, wakeup, LOG_START, batch_size=6, safety_poll=30.0)
    batches = follower.batches()
    seen: list[RecordedEvent] = []
    try:
        first = await anext(batches)
        await asyncio.sleep(0.05)  # the consumer is busy with the first batch
        # (Reads repeat at one cursor while another transaction holds the horizon.)
        assert store.reads[-1] == first[-1].cursor, "the second batch was not read ahead"
        seen.extend(first)
        while len(seen) < 20:
            seen.extend(await asyncio.wait_for(anext(batches), timeout=5))
    finally:
        await batches.aclose()

    assert [e.version for e in seen if e.stream_id == streams[0]] == [1, 2, 3, 4]
    assert [e.cursor for e in seen] == sorted(e.cursor for e in seen)
    assert len({e.event_id for e in seen}) == len(seen) == 20
    assert set(store.reads) == {LOG_START, *(seen[i].cursor for i in (5, 11, 17))}
    assert follower.cursor == seen[-1].cursor
