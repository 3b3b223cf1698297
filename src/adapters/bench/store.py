"""``khoagiao bench store``: what the event store costs, against what it could cost.

Each append workload is run three ways against one scratch database on one server, so
the only difference between the figures is the client-side path:

* **ours**: the path a command takes — an eventsourcing aggregate mutated, its pending
  events turned into ``StreamAppend`` by ``AggregateRepository.pending`` (msgspec
  encoding), appended by ``PostgresEventStore.append`` (version check, hash chain).
* **reference**: the same aggregate saved by eventsourcing's own PostgreSQL persistence
  (psycopg 3, synchronous, so concurrent writers are threads). It is the library the
  domain model is written against, hence the yardstick we must beat.
* **raw**: a bare asyncpg INSERT of the same rows into a table shaped like ``events``
  (one statement, autocommit): the floor, i.e. what the server and the driver cost with
  no event-store logic at all.

Then a bulk import (one writer, 1,000 events per append) and a follower reading and
decoding the whole log (``LogFollower``, as the projections follow it, and the
repository's decoding), for which there is no like-for-like reference. Workloads run a
fixed number of appends (scaled by ``scale``) rather than for a fixed time, so every run
writes the same log and the follower always has the same amount to read.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import secrets
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder, PersistenceError, Transcoding

from adapters.bench.measure import Writer, interleaved, looping, per_second, threaded
from adapters.store.codec import MsgspecMapper
from adapters.store.database import create_pool, migrate, with_database
from adapters.store.event_store import PostgresEventStore
from adapters.store.follower import LogFollower
from adapters.store.records import LOG_START, Metadata
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup

Progress = Callable[[str], None]
Results = dict[str, dict[str, float]]


# -- the aggregate every variant writes ------------------------------------------------
class BenchCounter(Aggregate):
    """A minimal aggregate whose events carry the usual field types (str, int, date), so
    encoding costs what a real command's events cost, not what an empty event costs."""

    def __init__(self) -> None:
        self.total = 0

    @event("Counted")
    def count(self, label: str, amount: int, on: date) -> None:
        self.total += amount


_LABEL = "Ban Tuyên giáo Tỉnh ủy — hướng dẫn khoa giáo"
_ON = date(2025, 3, 1)


def _decide(counter: BenchCounter, events: int) -> None:
    for amount in range(events):
        counter.count(_LABEL, amount, _ON)


def _metadata() -> Metadata:
    """What an HTTP command records with its events: hashed and stored with each one."""
    return Metadata(
        recorded_at=datetime.now(UTC),
        actor_organization_id="bench-organization",
        actor_token_id="bench-token",
        correlation_id=uuid.uuid4(),
        request_id="bench-request",
    )


# -- the workloads ---------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    name: str
    writers: int
    events_per_append: int
    appends: int  # per writer, at scale 1
    warmup: int  # per writer, untimed, never scaled

    def scaled(self, scale: float) -> int:
        return max(1, round(self.appends * scale))


COMPARED = (
    Workload("append_1x1", writers=1, events_per_append=1, appends=2000, warmup=50),
    Workload("append_16x1", writers=16, events_per_append=1, appends=400, warmup=10),
    Workload("append_16x10", writers=16, events_per_append=10, appends=100, warmup=5),
)
BULK = Workload("bulk_1x1000", writers=1, events_per_append=1000, appends=50, warmup=2)
FOLLOW_MINIMUM = 50_000  # events in the log the follower reads, at scale 1
FOLLOW_BATCH = 2000

ROUNDS = 4  # slices of each compared workload, taken by the three variants in turn

WriterFactory = Callable[[int], Writer]
"""A fresh writer, on a stream of its own, making appends of the given number of events."""


async def measure(
    workload: Workload, variants: dict[str, WriterFactory], scale: float
) -> dict[str, float]:
    """Events per second of each variant on ``workload``, the variants interleaved."""
    appends = workload.scaled(scale)
    seconds = await interleaved(
        {
            name: [new_writer(workload.events_per_append) for _ in range(workload.writers)]
            for name, new_writer in variants.items()
        },
        appends,
        warmup=workload.warmup,
        rounds=ROUNDS if len(variants) > 1 else 1,
    )
    events = workload.writers * appends * workload.events_per_append
    return {name: per_second(events, spent) for name, spent in seconds.items()}


# -- ours ------------------------------------------------------------------------------
class Ours:
    """Appends through the repository and the event store, as a command handler does."""

    def __init__(self, pool: asyncpg.Pool[Any], dsn: str) -> None:
        self.store = PostgresEventStore(pool)
        self.repository = AggregateRepository(self.store, MsgspecMapper())
        self.dsn = dsn

    def writer(self, events_per_append: int) -> Writer:
        counter = BenchCounter()

        async def append() -> None:
            _decide(counter, events_per_append)
            await self.store.append(self.repository.pending([counter]), _metadata())

        return looping(append)

    async def follow(self, stored: int) -> tuple[int, float]:
        """Read the log from the start and decode every event, through the follower the
        projections use, until ``stored`` events came; (events, seconds)."""
        follower = LogFollower(
            self.store, LogWakeup(self.store.pool, self.dsn), LOG_START, batch_size=FOLLOW_BATCH
        )
        count = 0
        started = time.perf_counter()
        batches = follower.batches()
        try:
            async for batch in batches:
                for record in batch:
                    self.repository.decode(record)
                count += len(batch)
                if count >= stored:
                    break
        finally:
            await batches.aclose()
        return count, time.perf_counter() - started


# -- reference: eventsourcing's own PostgreSQL persistence -----------------------------
class _DateAsISO(Transcoding):
    """eventsourcing's JSON transcoder knows datetime but not date."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class BenchReference(Application[UUID]):
    """Stores in ``benchreference_events``, beside our ``events`` table."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(_DateAsISO())


def reference_env(dsn: str, pool_size: int) -> dict[str, str]:
    """eventsourcing's settings for the database of ``dsn``.

    The keys carry the application's name as a prefix: eventsourcing reads those first,
    so POSTGRES_* variables set in the shell cannot redirect the reference elsewhere.
    A unix-socket DSN gives its directory as the host, which libpq accepts as such.
    """
    try:
        from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415 - optional extra
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "the reference needs eventsourcing's PostgreSQL persistence: "
            "install khoagiao with the 'bench' extra"
        ) from error
    parts = conninfo_to_dict(dsn)
    settings = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "CREATE_TABLE": "y",
        "POSTGRES_DBNAME": str(parts["dbname"]),
        "POSTGRES_HOST": str(parts.get("host", "")),
        "POSTGRES_PORT": str(parts.get("port", "5432")),
        "POSTGRES_USER": str(parts.get("user") or getpass.getuser()),
        "POSTGRES_PASSWORD": str(parts.get("password", "")),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "4",
    }
    prefix = BenchReference.name.upper()
    return {f"{prefix}_{key}": value for key, value in settings.items()}


class Reference:
    """Saves through ``Application.save``; each writer is a thread, as eventsourcing is
    synchronous (its pool hands each thread a connection of its own)."""

    def __init__(self, dsn: str, writers: int) -> None:
        self.app = BenchReference(env=reference_env(dsn, writers))
        self.executor = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="reference")

    def writer(self, events_per_append: int) -> Writer:
        counter = BenchCounter()

        def append() -> None:
            _decide(counter, events_per_append)
            self.app.save(counter)

        return threaded(append, self.executor)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.app.close()


# -- raw: the floor --------------------------------------------------------------------
_RAW_TABLE = "CREATE TABLE raw_events (LIKE events INCLUDING ALL)"  # triggers are not copied

_RAW_ONE = """
INSERT INTO raw_events (event_id, stream_id, stream_type, version, type, payload, hash,
                        actor_organization_id, actor_token_id, correlation_id, causation_id,
                        request_id, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
"""

_RAW_MANY = """
INSERT INTO raw_events (event_id, stream_id, stream_type, version, type, payload, hash,
                        actor_organization_id, actor_token_id, correlation_id, causation_id,
                        request_id, recorded_at)
SELECT r.event_id, r.stream_id, r.stream_type, r.version, r.type, r.payload, r.hash,
       $8, $9, $10, $11, $12, $13
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::json[], $7::bytea[])
     AS r(event_id, stream_id, stream_type, version, type, payload, hash)
"""


class Raw:
    """One autocommit INSERT per append of rows as big as ours, with nothing computed:
    the payload is encoded once up front and the hash is a constant. It borrows ours's
    pool (same acquire, same reset on release), so ours / raw isolates the event store's
    own work from what the pool and the server cost anyway."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self.pool = pool
        sample = BenchCounter()
        _decide(sample, 1)
        stored = MsgspecMapper().to_stored_event(sample.collect_events()[-1])
        self.type = stored.topic
        self.payload = stored.state
        self.hash = secrets.token_bytes(32)

    def writer(self, events_per_append: int) -> Writer:
        stream_id = uuid.uuid4()
        versions = _counting(events_per_append)

        async def append() -> None:
            metadata = _metadata()
            tail = (
                metadata.actor_organization_id,
                metadata.actor_token_id,
                metadata.correlation_id,
                metadata.causation_id,
                metadata.request_id,
                metadata.recorded_at,
            )
            batch = next(versions)
            if events_per_append == 1:
                row = (uuid.uuid4(), stream_id, "BenchCounter", batch[0], self.type)
                await self.pool.execute(_RAW_ONE, *row, self.payload, self.hash, *tail)
                return
            count = len(batch)
            await self.pool.execute(
                _RAW_MANY,
                [uuid.uuid4() for _ in batch],
                [stream_id] * count,
                ["BenchCounter"] * count,
                batch,
                [self.type] * count,
                [self.payload] * count,
                [self.hash] * count,
                *tail,
            )

        return looping(append)


def _counting(step: int) -> Iterator[list[int]]:
    """The versions of a stream's successive appends of ``step`` events."""
    version = 0
    while True:
        yield list(range(version + 1, version + step + 1))
        version += step


# -- the run ---------------------------------------------------------------------------
@asynccontextmanager
async def scratch_database(admin_dsn: str) -> AsyncIterator[str]:
    """A new, migrated database on the server of ``admin_dsn``, dropped afterwards even
    if the benchmark fails (FORCE: a connection left behind must not keep it alive)."""
    name = f"khoagiao_bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = with_database(admin_dsn, name)
    try:
        connection = await asyncpg.connect(dsn)
        try:
            await migrate(connection)
            await connection.execute(_RAW_TABLE)
        finally:
            await connection.close()
        yield dsn
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def run_store_benchmark(
    admin_dsn: str, *, scale: float = 1.0, progress: Progress | None = None
) -> Results:
    """Run every workload in a scratch database of the server of ``admin_dsn``; events
    per second for each, plus the reference's and the floor's where they apply."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    report = progress or (lambda _: None)
    writers = max(w.writers for w in COMPARED)
    results: Results = {}
    async with scratch_database(admin_dsn) as dsn:
        report(f"scratch database {urlsplit(dsn).path.lstrip('/')}")
        pool = await create_pool(dsn, min_size=writers, max_size=writers + 4)
        reference: Reference | None = None
        try:
            ours, raw = Ours(pool, dsn), Raw(pool)
            reference = await asyncio.to_thread(Reference, dsn, writers)
            for workload in COMPARED:
                report(f"{workload.name}: ours, reference and raw in {ROUNDS} rounds")
                figures = await measure(
                    workload,
                    {
                        "events_per_s": ours.writer,
                        "reference_events_per_s": reference.writer,
                        "raw_events_per_s": raw.writer,
                    },
                    scale,
                )
                figures["vs_reference"] = (
                    figures["events_per_s"] / figures["reference_events_per_s"]
                )
                figures["vs_raw"] = figures["events_per_s"] / figures["raw_events_per_s"]
                results[workload.name] = figures
                report(_line(workload.name, figures))
            report(f"{BULK.name}: ours")
            results[BULK.name] = await measure(BULK, {"events_per_s": ours.writer}, scale)
            report(_line(BULK.name, results[BULK.name]))
            await _fill(ours, round(FOLLOW_MINIMUM * scale), report)
            results["follow"] = {"events_per_s": await _follow(ours, report)}
        finally:
            if reference is not None:
                await asyncio.to_thread(reference.close)
            await pool.close()
    return results


async def _fill(ours: Ours, minimum: int, report: Progress) -> None:
    """Top the log up to ``minimum`` events (only needed when scaled down), untimed."""
    missing = minimum - await _stored(ours)
    if missing > 0:
        report(f"pre-filling the log with {missing:,} events")
        await ours.writer(BULK.events_per_append)(-(-missing // BULK.events_per_append))


async def _follow(ours: Ours, report: Progress) -> float:
    """The follower's rate, once it is known to have read every stored event."""
    stored = await _stored(ours)
    count, seconds = await ours.follow(stored)
    if count != stored:
        raise RuntimeError(f"the follower read {count} events of the {stored} stored")
    rate = per_second(count, seconds)
    report(f"follow: {count:,} events read and decoded, {rate:,.0f} events/s")
    return rate


async def _stored(ours: Ours) -> int:
    return int(await ours.store.pool.fetchval("SELECT count(*) FROM events"))


def _line(name: str, figures: dict[str, float]) -> str:
    return f"{name}: " + ", ".join(
        f"{key} {value:,.2f}" if key.startswith("vs_") else f"{key} {value:,.0f}"
        for key, value in figures.items()
    )


# -- reporting -------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    workload: str
    key: str
    minimum: float
    label: str

    def met(self, results: Results) -> bool:
        return results[self.workload][self.key] >= self.minimum


TARGETS = (
    Target("append_1x1", "vs_reference", 2.5, "ours ≥ 2.5× reference"),
    Target("append_16x1", "vs_reference", 5.0, "ours ≥ 5× reference"),
    Target("append_16x1", "vs_raw", 0.7, "ours ≥ 0.7× raw"),
    Target("bulk_1x1000", "events_per_s", 25_000, "≥ 25,000 events/s"),
    Target("follow", "events_per_s", 100_000, "≥ 100,000 events/s"),
)


def format_table(results: Results) -> str:
    lines = [
        f"{'workload':<14}{'ours ev/s':>12}{'reference':>12}{'raw':>12}"
        f"{'ours/ref':>10}{'ours/raw':>10}"
    ]
    for name, figures in results.items():
        cells = [f"{figures['events_per_s']:>12,.0f}"]
        for key in ("reference_events_per_s", "raw_events_per_s"):
            cells.append(f"{figures[key]:>12,.0f}" if key in figures else f"{'—':>12}")
        for key in ("vs_reference", "vs_raw"):
            cells.append(f"{figures[key]:>9.2f}×" if key in figures else f"{'—':>10}")
        lines.append(f"{name:<14}{''.join(cells)}")
    lines += ["", "targets (this 2-core machine):"]
    for target in TARGETS:
        value = results[target.workload][target.key]
        shown = f"{value:,.0f}" if target.key == "events_per_s" else f"{value:.2f}×"
        verdict = "PASS" if target.met(results) else "MISS"
        lines.append(f"  {target.workload:<13} {target.label:<22} {shown:>10}  {verdict}")
    return "\n".join(lines)


def main_store(admin_dsn: str, as_json: bool, scale: float) -> int:
    """The CLI's ``bench store``: progress on stderr, the figures on stdout."""

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        results = asyncio.run(run_store_benchmark(admin_dsn, scale=scale, progress=progress))
    except (OSError, RuntimeError, asyncpg.PostgresError, PersistenceError) as error:
        print(f"bench store: {error}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(results))
    else:
        print(format_table(results))
    return 0


__all__ = ["BenchCounter", "main_store", "run_store_benchmark"]
