"""``khoagiao demo national|seeds`` as a user runs them: the tally on stdout, a refusal in
one line on stderr, nothing written twice."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.store.event_store import PostgresEventStore
from tests.e2e.test_serve import assert_one_line_error, run_cli


async def test_demo_national_prints_its_tally_and_refuses_a_second_run(
    store: PostgresEventStore, database_url: str, tmp_path: Path
) -> None:
    settings = {"database_url": database_url, "data_dir": str(tmp_path)}
    result = run_cli("demo", "national", "--scale", "0.002", "--seed", "4", "--json", **settings)
    assert result.returncode == 0, result.stderr
    tally = json.loads(result.stdout)
    assert tally["events"] == await store.last_position() > 0
    assert (tally["seed"], tally["provinces_before"], tally["provinces_after"]) == (4, 3, 2)
    assert "events so far" in result.stderr  # progress, month by month

    again = run_cli("demo", "national", "--scale", "0.002", **settings)
    assert_one_line_error(again, "needs an empty log")
    seeds = run_cli("demo", "seeds", **settings)
    assert_one_line_error(seeds, "needs an empty log")
    assert_one_line_error(run_cli("demo", "national", "--scale", "-1", **settings), "--scale")
    assert await store.last_position() == tally["events"]


async def test_demo_seeds_loads_once(
    store: PostgresEventStore, database_url: str, tmp_path: Path
) -> None:
    settings = {"database_url": database_url, "data_dir": str(tmp_path)}
    first = run_cli("demo", "seeds", **settings)
    assert first.returncode == 0, first.stderr
    assert "loaded the seed cascade: 13 units, 7 documents" in first.stdout
    written = await store.last_position()
    second = run_cli("demo", "seeds", **settings)
    assert second.returncode == 0 and "already loaded" in second.stdout
    assert await store.last_position() == written
