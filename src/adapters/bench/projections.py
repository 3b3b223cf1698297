"""``khoagiao bench projections``: what the views cost over the national data set.

In a scratch database of its own, the benchmark generates the national demo year
(``demo national`` at the given scale, untimed), then measures:

* **rebuild**: every projection from checkpoint zero, all at once as a service does on
  an empty database (one ``ProjectionRunner.catch_up`` each, concurrently): events in
  the log over the wall time until the last one is done;
* **roll-up reads**: ``unit_compliance`` (a unit and all its direct children) for the
  central commission, for every province and for communes after the 2025 merger,
  read one after another on one connection (after ANALYZE, as autovacuum would have
  run on a live database): p50 and p95 per level, in ms;
* **catch-up lag**: with every runner following the log as in the service, a steady
  load of reports sent and accepted through the real command path (the repository,
  the handlers, the store); for each command, the time from its append returning to
  its events being visible in the compliance view (the view's checkpoint, written in
  the same transaction as its rows, has passed them): p50 and p95, in ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg

from adapters.bench.store import scratch_database
from adapters.clock import SystemClock
from adapters.demo.national import NationalTally, generate_national
from adapters.store.database import Connection, connect, create_pool
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner, checkpoint
from adapters.store.records import LogCursor
from adapters.store.repository import AggregateRepository
from adapters.store.shared_log import SharedLog
from adapters.store.wakeup import LogWakeup
from application.assignments import accept_submission, submit_report
from application.commands import AcceptSubmission, SubmitReport
from application.ports import CommandContext
from domain.permissions import Actor, Role
from projections import all_projections
from projections.compliance import ComplianceRollup, unit_compliance

Progress = Callable[[str], None]

READS_PER_LEVEL = 300
LOAD_PER_SECOND = 20
"""Commands per second of the steady write load (a busy day nationally)."""
LOAD_COMMANDS = 400
SEED = 1
TARGETS = {"rebuild_events_per_s": 20_000, "rollup_read_p95_ms": 10, "catch_up_lag_p95_ms": 100}


async def run_projection_benchmark(
    admin_dsn: str, *, scale: float = 1.0, progress: Progress | None = None
) -> dict[str, Any]:
    report = progress or (lambda _: None)
    async with scratch_database(admin_dsn) as dsn:
        report(f"scratch database {urlsplit(dsn).path.lstrip('/')}")
        pool = await create_pool(dsn, min_size=4, max_size=24)
        try:
            store = PostgresEventStore(pool, head_cache=4_000_000)
            started = time.perf_counter()
            tally = await generate_national(
                store, seed=SEED, scale=scale, clock=SystemClock(), progress=report
            )
            report(
                f"national data set: {tally.events:,} events in "
                f"{time.perf_counter() - started:,.0f} s"
            )
            wakeup = LogWakeup(pool, dsn)
            await wakeup.listen()
            store = PostgresEventStore(pool, wakeup)
            try:
                rebuild = await _rebuild(store, wakeup, dsn, report)
                async with pool.acquire() as connection:
                    await connection.execute("ANALYZE")
                    reads = await _rollup_reads(connection, tally, report)
                lag = await _catch_up_lag(store, wakeup, dsn, report)
            finally:
                await wakeup.close()
        finally:
            await pool.close()
    return {"rebuild": rebuild, "rollup_read_ms": reads, "catch_up_lag_ms": lag}


async def _rebuild(
    store: PostgresEventStore, wakeup: LogWakeup, dsn: str, report: Progress
) -> dict[str, float]:
    events = await store.last_position()
    report(f"rebuilding every projection from zero over {events:,} events")
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    async def one(runner: ProjectionRunner) -> None:
        await runner.catch_up()
        seconds[runner.projection.name] = time.perf_counter() - started
        report(f"  {runner.projection.name} done after {seconds[runner.projection.name]:,.1f} s")

    log = SharedLog(store, wakeup)
    await asyncio.gather(
        *(one(ProjectionRunner(p, store, wakeup, dsn, log=log)) for p in all_projections())
    )
    wall = time.perf_counter() - started
    report(f"rebuild: {events:,} events in {wall:,.1f} s")
    return {"events": events, "events_per_s": round(events / wall, 1)}


async def _rollup_reads(
    connection: Connection, tally: NationalTally, report: Progress
) -> dict[str, dict[str, float]]:
    """The compliance of a unit and its direct children, level by level."""
    # The commune committees are the grassroots units that number their plans (ĐU).
    communes = await _in_force(connection, "grassroots", "grassroots_party", "ĐU")
    units = {
        "central": ["btg-tw"],
        "province": await _in_force(connection, "province", "propaganda_commission"),
        "commune": random.Random(SEED).sample(communes, k=min(READS_PER_LEVEL, len(communes))),
    }
    figures = {}
    for level, ids in units.items():
        spent = []
        for index in range(READS_PER_LEVEL):
            began = time.perf_counter()
            await unit_compliance(connection, ids[index % len(ids)], tally.as_of)
            spent.append((time.perf_counter() - began) * 1000)
        figures[level] = _percentiles(spent)
        report(f"roll-up read, {level} ({len(ids)} units): {figures[level]}")
    return figures


async def _in_force(
    connection: Connection, level: str, kind: str, code: str | None = None
) -> list[str]:
    """The units of a level and kind in force after the merger (with an issuer code)."""
    rows = await connection.fetch(
        """
        SELECT id FROM org_units
        WHERE valid_to IS NULL AND level = $1 AND kind = $2
          AND ($3::text IS NULL OR issuer_code = $3)
        ORDER BY id
        """,
        level,
        kind,
        code,
    )
    return [row["id"] for row in rows]


async def _catch_up_lag(
    store: PostgresEventStore, wakeup: LogWakeup, dsn: str, report: Progress
) -> dict[str, float]:
    log = SharedLog(store, wakeup)
    runners = [ProjectionRunner(p, store, wakeup, dsn, log=log) for p in all_projections()]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    watcher = await connect(dsn)
    try:
        await asyncio.wait_for(asyncio.gather(*(r.active.wait() for r in runners)), 30)
        open_ones = await _open_assignments(watcher, LOAD_COMMANDS // 2)
        report(
            f"steady load: {LOAD_PER_SECOND} commands/s, {2 * len(open_ones)} commands "
            "(reports sent, then accepted)"
        )
        lags = await _steady_load(store, watcher, open_ones, report)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await watcher.close()
    figures = _percentiles(lags)
    report(f"catch-up lag of the compliance view: {figures}")
    return figures


async def _open_assignments(connection: Connection, count: int) -> list[UUID]:
    """Assignments never reported on: the load sends their reports, then accepts them."""
    rows = await connection.fetch(
        "SELECT id FROM assignment_status WHERE status IN ('assigned', 'acknowledged')"
        " ORDER BY due_on, id LIMIT $1",
        count,
    )
    if len(rows) < 20:
        raise RuntimeError(
            f"only {len(rows)} open assignments for the write load: use a larger --scale"
        )
    return [row["id"] for row in rows]


async def _steady_load(
    store: PostgresEventStore,
    watcher: Connection,
    assignments: Sequence[UUID],
    report: Progress,
) -> list[float]:
    """Send each report, then accept each, one command every 1/LOAD_PER_SECOND s;
    measure each command's append-to-visible time while the next ones go on."""
    repository = AggregateRepository(store)
    actor = Actor("system", Role.ADMIN, "bench")
    commands: list[SubmitReport | AcceptSubmission] = [
        SubmitReport(assignment_id=a, summary="Báo cáo bổ sung") for a in assignments
    ]
    commands += [AcceptSubmission(assignment_id=a) for a in assignments]
    lags: list[float] = []
    handled: list[float] = []
    visible = _Visibility(watcher, ComplianceRollup.name)
    measuring: list[asyncio.Task[None]] = []
    interval = 1 / LOAD_PER_SECOND
    next_at = time.perf_counter()
    for command in commands:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += interval
        began = time.perf_counter()
        context = CommandContext(actor, datetime.now(UTC))
        if isinstance(command, SubmitReport):
            written = await submit_report(command, context, repository)
        else:
            written = await accept_submission(command, context, repository)
        appended = time.perf_counter()
        handled.append((appended - began) * 1000)
        assert written.position is not None
        cursor = await store.cursor_at(written.position)
        measuring.append(asyncio.create_task(visible.measure(cursor, appended, lags)))
    await asyncio.wait_for(asyncio.gather(*measuring), 60)
    report(f"the commands themselves (load, decide, append): {_percentiles(handled)} ms")
    return lags


class _Visibility:
    """Polls one view's checkpoint (a few ms apart) for all the commands in flight."""

    def __init__(self, connection: Connection, name: str) -> None:
        self.connection = connection
        self.name = name
        self.seen = LogCursor(0, 0)
        self._lock = asyncio.Lock()

    async def measure(self, cursor: LogCursor, appended: float, lags: list[float]) -> None:
        while self.seen < cursor:
            async with self._lock:
                if self.seen < cursor:
                    self.seen = await checkpoint(self.connection, self.name)
            if self.seen < cursor:
                await asyncio.sleep(0.002)
        lags.append((time.perf_counter() - appended) * 1000)


def _percentiles(milliseconds: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(milliseconds, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2)}


def format_report(results: dict[str, Any]) -> str:
    rebuild, reads, lag = results["rebuild"], results["rollup_read_ms"], results["catch_up_lag_ms"]
    lines = [
        f"rebuild: {rebuild['events']:,} events, {rebuild['events_per_s']:,.0f} events/s "
        f"(target ≥ {TARGETS['rebuild_events_per_s']:,}): "
        + _verdict(rebuild["events_per_s"] >= TARGETS["rebuild_events_per_s"])
    ]
    for level, figures in reads.items():
        lines.append(
            f"roll-up read {level:<9} p50 {figures['p50']:>7.2f} ms  p95 {figures['p95']:>7.2f} ms"
            f" (target p95 ≤ {TARGETS['rollup_read_p95_ms']} ms): "
            + _verdict(figures["p95"] <= TARGETS["rollup_read_p95_ms"])
        )
    lines.append(
        f"catch-up lag      p50 {lag['p50']:>7.2f} ms  p95 {lag['p95']:>7.2f} ms"
        f" (target p95 ≤ {TARGETS['catch_up_lag_p95_ms']} ms): "
        + _verdict(lag["p95"] <= TARGETS["catch_up_lag_p95_ms"])
    )
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def main_projections(admin_dsn: str, as_json: bool, scale: float) -> int:
    """The CLI's ``bench projections``: progress on stderr, the figures on stdout."""

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        results = asyncio.run(run_projection_benchmark(admin_dsn, scale=scale, progress=progress))
    except (OSError, RuntimeError, asyncpg.PostgresError) as error:
        print(f"bench projections: {error}", file=sys.stderr)
        return 1
    print(json.dumps(results) if as_json else format_report(results))
    return 0


__all__ = ["main_projections", "run_projection_benchmark"]
