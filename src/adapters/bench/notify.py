"""``khoagiao bench notify``: how fast the relay publishes a backlog, and how long an event
takes from its append to a subscriber of the root under a steady load.

Both run in a scratch database on the configured (or embedded) PostgreSQL and on a
stream of their own on the configured (or embedded) NATS, through the real command path:

* **relay_events_per_s** — a national-shaped log (34 provinces, their units, guidance
  with tasks assigned to every unit) is written first, the audit index brought up to
  date, then a relay is started from nothing and timed until its checkpoint reaches the
  end of the log: the rate at which it catches up.
* **end_to_end_ms** — the service's background work runs as ``khoagiao serve`` runs it
  (every projection, the relay), a JetStream consumer subscribes to the root's subtree,
  and units acknowledge their assignments at a steady 200 writes per second, each write
  one command and one event. Each latency runs from just before the command is handled
  to the message's arrival at the subscriber (one clock: the same process).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import nats
import nats.errors
from nats.aio.msg import Msg
from nats.js import api

from adapters.bench.store import scratch_database
from adapters.nats.messages import decode
from adapters.nats.relay import RELAY, NatsRelay
from adapters.nats.stream import StreamPolicy
from adapters.nats.subjects import subtree_subject
from adapters.store.database import create_pool
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application.assignments import acknowledge_assignment
from application.commands import (
    AcknowledgeAssignment,
    IssueDocument,
    RegisterOrganisation,
    TaskInput,
)
from application.documents import issue_document
from application.organisations import register_organisation
from application.ports import CommandContext
from domain.organisation import Kind, Level
from domain.permissions import Actor, Role
from domain.task import TaskKind
from khoagiao.config import Settings
from khoagiao.runtime import endpoints
from projections import all_projections
from projections.audit_index import AuditIndex

Progress = Callable[[str], None]

ROOT = "bench-tw"
PROVINCES = 34
UNITS_PER_PROVINCE = 20
DOCUMENTS_PER_PROVINCE = 14
WRITES_PER_SECOND = 200
WRITES = 3000
ISSUED = date(2024, 1, 10)
_ADMIN = Actor("system", Role.ADMIN, "bench")


def _context(day: date | None = None) -> CommandContext:
    moment = datetime(day.year, day.month, day.day, 2, tzinfo=UTC) if day else datetime.now(UTC)
    return CommandContext(_ADMIN, moment)


async def _populate(repository: AggregateRepository, report: Progress) -> list[UUID]:
    """The tree and the guidance; the ids of every assignment created."""
    context = _context(ISSUED)

    async def register(slug: str, level: Level, parent: str | None, code: str | None) -> None:
        await register_organisation(
            RegisterOrganisation(
                id=slug,
                name=slug,
                level=level,
                kind=Kind.PROPAGANDA_COMMISSION if code else Kind.GRASSROOTS_PARTY,
                parent_id=parent,
                issuer_code=code,
                effective_on=date(2020, 1, 1),
            ),
            context,
            repository,
        )

    await register(ROOT, Level.CENTRAL, None, "BTGTW")
    assignments: list[UUID] = []
    for p in range(PROVINCES):
        province = f"bench-tinh-{p}"
        await register(province, Level.PROVINCE, ROOT, "BTGTU")
        units = [f"{province}-xa-{u}" for u in range(UNITS_PER_PROVINCE)]
        for unit in units:
            await register(unit, Level.GRASSROOTS, province, None)
        for d in range(1, DOCUMENTS_PER_PROVINCE + 1):
            issued = await issue_document(
                IssueDocument(
                    number=f"{d}-HD/BTGTU",
                    title=f"Hướng dẫn {d}",
                    issuer_id=province,
                    effective_on=ISSUED,
                    tasks=(
                        TaskInput(
                            kind=TaskKind.PERIODIC_REPORT,
                            title="Báo cáo kết quả",
                            due_on=date(2024, 12, 31),
                            assignee_ids=tuple(units),
                        ),
                    ),
                ),
                context,
                repository,
            )
            assignments += [a.id for task in issued.tasks for a in task.assignments]
        report(f"province {p + 1}/{PROVINCES} written")
    return assignments


async def _relay_rate(
    store: PostgresEventStore,
    wakeup: LogWakeup,
    dsn: str,
    nats_url: str,
    policy: StreamPolicy,
) -> tuple[int, float]:
    """Events relayed from nothing to the end of the log, and the seconds it took."""
    await ProjectionRunner(AuditIndex(), store, wakeup, dsn).catch_up()
    total = int(await store.pool.fetchval("SELECT count(*) FROM events"))
    relay = NatsRelay(store, dsn, nats_url, policy)
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    try:
        while True:
            relayed = await store.pool.fetchval(
                "SELECT events FROM projection_checkpoints WHERE name = $1", RELAY
            )
            if relayed == total:
                return total, time.perf_counter() - started
            if task.done():
                task.result()
            await asyncio.sleep(0.002)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _end_to_end(
    store: PostgresEventStore,
    wakeup: LogWakeup,
    dsn: str,
    nats_url: str,
    policy: StreamPolicy,
    assignments: list[UUID],
    report: Progress,
) -> list[float]:
    """Milliseconds from each write to its arrival at a subscriber of the root."""
    repository = AggregateRepository(store)
    written: dict[int, float] = {}
    arrivals: dict[int, float] = {}

    async def arrived(message: Msg) -> None:
        arrivals.setdefault(decode(message.data).position, time.perf_counter())
        await message.ack()

    async def write(assignment_id: UUID) -> None:
        started = time.perf_counter()
        result = await acknowledge_assignment(
            AcknowledgeAssignment(assignment_id=assignment_id), _context(), repository
        )
        assert result.position is not None
        written[result.position] = started

    background = [
        ProjectionRunner(projection, store, wakeup, dsn) for projection in all_projections()
    ]
    relay = NatsRelay(store, dsn, nats_url, policy)
    tasks = [asyncio.create_task(runner.run()) for runner in background]
    tasks.append(asyncio.create_task(relay.run()))
    subscriber = await nats.connect(nats_url, name="khoagiao-bench-subscriber")
    try:
        await subscriber.jetstream().subscribe(
            subtree_subject(policy.prefix, [ROOT]),
            stream=policy.name,
            cb=arrived,
            config=api.ConsumerConfig(deliver_policy=api.DeliverPolicy.NEW),
        )
        await _caught_up(store)
        report(f"{WRITES} writes at {WRITES_PER_SECOND}/s")
        writes = []
        start = time.perf_counter()
        for n, assignment_id in enumerate(assignments[:WRITES]):
            await asyncio.sleep(max(0.0, start + n / WRITES_PER_SECOND - time.perf_counter()))
            writes.append(asyncio.create_task(write(assignment_id)))
        await asyncio.gather(*writes)
        deadline = time.perf_counter() + 60
        while missing := set(written) - set(arrivals):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{len(missing)} writes never reached the subscriber")
            await asyncio.sleep(0.05)
    finally:
        await subscriber.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return [(arrivals[position] - started) * 1000 for position, started in written.items()]


async def _caught_up(store: PostgresEventStore) -> None:
    """Until every projection and the relay have read the whole log."""
    names = [p.name for p in all_projections()] + [RELAY]
    last = await store.last_position()
    deadline = time.perf_counter() + 120
    while True:
        behind = await store.pool.fetchval(
            "SELECT count(*) FROM unnest($1::text[]) n LEFT JOIN projection_checkpoints c "
            "ON c.name = n WHERE coalesce(c.position, 0) <> $2",
            names,
            last,
        )
        if not behind:
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{behind} of the views and the relay did not catch up")
        await asyncio.sleep(0.05)


async def run_notify_benchmark(
    admin_dsn: str, nats_url: str, progress: Progress | None = None
) -> dict[str, Any]:
    report = progress or (lambda _: None)
    policy = StreamPolicy(prefix=f"bench{secrets.token_hex(4)}")
    async with scratch_database(admin_dsn) as dsn:
        pool = await create_pool(dsn, min_size=4, max_size=20)
        wakeup = LogWakeup(pool, dsn)
        await wakeup.listen()
        store = PostgresEventStore(pool, wakeup)
        try:
            assignments = await _populate(AggregateRepository(store), report)
            report("relay: catching up the whole log")
            relayed, seconds = await _relay_rate(store, wakeup, dsn, nats_url, policy)
            report(f"relay: {relayed:,} events in {seconds:.2f} s")
            latencies = await _end_to_end(store, wakeup, dsn, nats_url, policy, assignments, report)
        finally:
            await wakeup.close()
            await pool.close()
            await _drop_stream(nats_url, policy)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "relay_events_per_s": round(relayed / seconds),
        "end_to_end_ms": {"p50": round(quantiles[49], 1), "p99": round(quantiles[98], 1)},
    }


async def _drop_stream(nats_url: str, policy: StreamPolicy) -> None:
    client = await nats.connect(nats_url, allow_reconnect=False)
    try:
        await client.jetstream().delete_stream(policy.name)
    finally:
        await client.close()


def notify(settings: Settings, *, as_json: bool) -> int:
    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with endpoints(settings) as found:
        assert found.nats_url is not None
        try:
            results = asyncio.run(
                run_notify_benchmark(found.database_url, found.nats_url, progress)
            )
        except (OSError, RuntimeError, asyncpg.PostgresError, nats.errors.Error) as error:
            print(f"bench notify: {error}", file=sys.stderr)
            return 1
    if as_json:
        print(json.dumps(results))
    else:
        print(f"relay, catching up: {results['relay_events_per_s']:,} events/s")
        e2e = results["end_to_end_ms"]
        print(
            f"end to end at {WRITES_PER_SECOND} writes/s: p50 {e2e['p50']} ms, p99 {e2e['p99']} ms"
        )
    return 0
