"""Runners as real processes, killed with SIGKILL in the middle of a batch: the batch
leaves no trace, the next runner — the same one restarted, or one standing by in
another process — goes on from the checkpoint, and every view ends equal to a view
rebuilt from zero (no event applied twice, none skipped)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import checkpoint
from adapters.store.repository import AggregateRepository
from projections import all_projections
from tests.integration.cascade import Cascade
from tests.integration.projection_tables import activity
from tests.integration.test_projection_rebuild import caught_up, from_zero, live

REPOSITORY = Path(__file__).resolve().parents[2]
HUNG = "compliance_rollup"


class RunnerProcess:
    """``tests.integration.runner_process`` as a child process, read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.unmatched: list[str] = []
        """Lines read while waiting for another kind, kept for whoever waits for them."""

    async def line_starting(self, prefix: str, within: float = 30) -> str:
        """The first line not yet taken that starts with ``prefix``."""
        for index, line in enumerate(self.unmatched):
            if line.startswith(prefix):
                return self.unmatched.pop(index)
        assert self.process.stdout is not None
        deadline = time.monotonic() + within
        while True:
            raw = await asyncio.wait_for(
                self.process.stdout.readline(), deadline - time.monotonic()
            )
            assert raw, f"the runner process ended: {self.unmatched[-5:]}"
            line = raw.decode().strip()
            if line.startswith(prefix):
                return line
            self.unmatched.append(line)

    async def all_active(self, within: float = 30) -> None:
        names = {p.name for p in all_projections()}
        while names:
            names.discard((await self.line_starting("active ", within)).split()[1])

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


@pytest.fixture
async def runner_processes(database_url: str) -> AsyncIterator[Any]:
    started: list[RunnerProcess] = []

    async def start(*options: str) -> RunnerProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.runner_process",
            database_url,
            *options,
            cwd=REPOSITORY,
            stdout=asyncio.subprocess.PIPE,
        )
        started.append(RunnerProcess(process))
        return started[-1]

    yield start
    for runner in started:
        runner.kill()
        with contextlib.suppress(Exception):
            await runner.process.wait()


@pytest.fixture
async def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    built = Cascade(AggregateRepository(store), pool)
    await built.build_tree()
    await activity(built, 8)
    return built


async def killed_in_the_middle_of_a_batch(runner: RunnerProcess, pool: asyncpg.Pool[Any]) -> None:
    """Wait until the runner hangs inside its third roll-up batch, kill it, and check
    that batch left nothing: the checkpoint is still before its first event."""
    for _ in range(3):
        hung = await runner.line_starting(f"batch {HUNG} ")
    first = int(hung.split()[2])
    runner.kill()
    await runner.process.wait()
    async with pool.acquire() as connection:
        assert (await checkpoint(connection, HUNG)).position < first


async def test_a_runner_killed_in_the_middle_of_a_batch_and_restarted_applies_each_event_once(
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    database_url: str,
    runner_processes: Any,
) -> None:
    first = await runner_processes("--hang", f"{HUNG}:3")
    await killed_in_the_middle_of_a_batch(first, pool)

    restarted = await runner_processes()
    await restarted.all_active()
    await caught_up(pool, [p.name for p in all_projections()])
    restarted.kill()
    await restarted.process.wait()
    assert await live(pool) == await from_zero(pool, store, database_url)


async def test_a_standby_runner_process_takes_over_within_seconds_when_the_active_one_is_killed(
    cascade: Cascade,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    database_url: str,
    runner_processes: Any,
) -> None:
    active = await runner_processes("--hang", f"{HUNG}:3")
    await active.all_active()
    standby = await runner_processes()
    with pytest.raises(TimeoutError):
        await standby.line_starting("active ", within=1.5)

    await killed_in_the_middle_of_a_batch(active, pool)
    killed_at = time.monotonic()
    await standby.all_active(within=10)
    assert time.monotonic() - killed_at < 5
    await caught_up(pool, [p.name for p in all_projections()])
    assert await live(pool) == await from_zero(pool, store, database_url)
