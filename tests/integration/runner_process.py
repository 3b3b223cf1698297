"""Every projection's runner in a process of its own, for the tests that kill it.

    python -m tests.integration.runner_process DSN [--hang NAME:N] [--batch-size B]

Prints ``active NAME`` once a runner holds its projection's lock, and
``batch NAME FIRST LAST`` (the positions of the events it applies) *inside* each batch's
transaction; with ``--hang NAME:N`` the N-th batch of NAME never ends, so a kill lands
in the middle of it.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import Any

from adapters.store.database import create_pool
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.shared_log import SharedLog
from adapters.store.wakeup import LogWakeup
from projections import all_projections
from projections.base import Projected, Projection


class Reporting:
    """A projection that says what it applies, and may hang in the middle of a batch."""

    def __init__(self, real: Projection, hang_at: int | None) -> None:
        self.real = real
        self.name = real.name
        self.revision = real.revision
        self.hang_at = hang_at
        self.batches = 0

    def schema(self) -> str:
        return self.real.schema()

    def handles(self, topic: str) -> bool:
        return self.real.handles(topic)

    async def apply(self, connection: Any, events: Sequence[Projected]) -> None:
        await self.real.apply(connection, events)
        self.batches += 1
        print(f"batch {self.name} {events[0].position} {events[-1].position}", flush=True)
        if self.batches == self.hang_at:
            await asyncio.Event().wait()


async def announce(runner: ProjectionRunner) -> None:
    await runner.active.wait()
    print(f"active {runner.projection.name}", flush=True)


async def run(dsn: str, hang: str | None, batch_size: int) -> None:
    hang_name, _, hang_at = (hang or "").partition(":")
    pool = await create_pool(dsn, min_size=1, max_size=12)
    wakeup = LogWakeup(pool, dsn)
    await wakeup.listen()
    store = PostgresEventStore(pool, wakeup)
    log = SharedLog(store, wakeup)  # as in the service
    runners = [
        ProjectionRunner(
            Reporting(p, int(hang_at) if p.name == hang_name else None),
            store,
            wakeup,
            dsn,
            log=log,
            batch_size=batch_size,
            standby_poll=0.1,
        )
        for p in all_projections()
    ]
    await asyncio.gather(*(r.run() for r in runners), *(announce(r) for r in runners))


if __name__ == "__main__":
    arguments = argparse.ArgumentParser()
    arguments.add_argument("dsn")
    arguments.add_argument("--hang")
    arguments.add_argument("--batch-size", type=int, default=5)
    parsed = arguments.parse_args()
    asyncio.run(run(parsed.dsn, parsed.hang, parsed.batch_size))
