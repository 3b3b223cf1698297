"""``khoagiao projections rebuild`` beside a running ``khoagiao serve`` while commands keep
being written: every view is swapped in, the service's runners carry on after the swap,
/health shows each view at the head with no lag, and the views equal views built from
zero."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg

from adapters.store.event_store import PostgresEventStore
from adapters.store.repository import AggregateRepository
from projections import all_projections
from tests.e2e.test_serve import (
    KHOAGIAO,
    assert_one_line_error,
    environment,
    free_port,
    health,
    run_cli,
    serve,
    wait_for_health,
)
from tests.integration.cascade import Cascade
from tests.integration.projection_tables import activity
from tests.integration.test_projection_rebuild import from_zero, live

__all__ = ["serve"]  # a fixture, imported for pytest to find


async def rebuild_cli(*args: str, **settings: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        KHOAGIAO,
        "projections",
        "rebuild",
        *args,
        env=environment(**settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def at_the_head(port: int, last: int) -> list[dict[str, Any]]:
    for _ in range(200):
        projections: list[dict[str, Any]] = health(port)[1]["projections"]
        if all((p["position"], p["behind_events"]) == (last, 0) for p in projections):
            return projections
        await asyncio.sleep(0.05)
    raise AssertionError(f"the views did not reach position {last}: {projections}")


async def test_rebuild_beside_a_running_service_under_writes(
    serve: Any,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    database_url: str,
    nats_url: str,
    nats_prefix: str,
    tmp_path: Path,
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    await cascade.build_tree()
    await activity(cascade, 4)
    port = free_port()
    service = serve(port, database_url=database_url, nats_url=nats_url, nats_prefix=nats_prefix)
    wait_for_health(service, port)
    settings = {"database_url": database_url, "data_dir": str(tmp_path / "cli")}

    writing = asyncio.create_task(activity(cascade, 8))
    code, out, err = await rebuild_cli("--json", **settings)
    await writing
    assert code == 0, err
    reports = json.loads(out)
    assert [r["name"] for r in reports] == [p.name for p in all_projections()]
    assert all(r["events"] > 0 and r["tables"] for r in reports)

    last = await store.last_position()
    await at_the_head(port, last)
    await activity(cascade, 1)  # the service's runners go on after the swap
    await at_the_head(port, await store.last_position())
    assert service.poll() is None
    views = await live(pool)

    code, out, err = await rebuild_cli("compliance_rollup", **settings)
    assert code == 0, err
    assert out.startswith("compliance_rollup") and "swapped in at position" in out
    assert views == await from_zero(pool, store, database_url)


def test_an_unknown_projection_is_one_clear_line(database_url: str, tmp_path: Path) -> None:
    result = run_cli(
        "projections", "rebuild", "rollup", database_url=database_url, data_dir=str(tmp_path)
    )
    assert result.returncode == 2
    assert_one_line_error(result, "no projection 'rollup'", "compliance_rollup")
