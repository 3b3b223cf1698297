"""``khoagiao audit verify`` on a real database: 0 when intact, 1 at a broken link."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from adapters.store.event_store import PostgresEventStore
from tests.e2e.test_serve import assert_one_line_error, run_cli
from tests.integration.test_tamper_evidence import behind_the_stores_back
from tests.support import append_to, metadata


async def test_verify_passes_then_fails_after_tampering(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], database_url: str, tmp_path: Any
) -> None:
    stream = uuid.uuid4()
    positions = await store.append([append_to(stream, 0, 3)], metadata())
    settings = {"database_url": database_url, "data_dir": str(tmp_path)}

    intact = run_cli("audit", "verify", **settings)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 events in 1 streams" in intact.stdout

    await behind_the_stores_back(
        pool,
        "UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE position = $1",
        positions[1],
    )
    broken = run_cli("audit", "verify", **settings)
    assert broken.returncode == 1
    assert f"position {positions[1]}" in broken.stdout
    assert f"stream {stream} version 2" in broken.stdout

    as_json = run_cli("audit", "verify", "--json", "--stream", str(stream), **settings)
    assert as_json.returncode == 1
    assert f'"position":{positions[1]}' in as_json.stdout

    assert_one_line_error(run_cli("audit", "verify", "--stream", "nope", **settings), "--stream")


async def test_projections_status_shows_checkpoint_and_lag(
    store: PostgresEventStore, database_url: str, tmp_path: Any
) -> None:
    await store.append([append_to(uuid.uuid4(), 0, 2)], metadata())
    result = run_cli(
        "projections", "status", "--json", database_url=database_url, data_dir=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert '"name":"organisation_tree"' in result.stdout
    assert '"behind_events":2' in result.stdout
