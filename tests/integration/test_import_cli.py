"""``khoagiao import`` as a user runs it: the draft of each seed as JSON with no database
(timed, and the figure printed), issuing a document on a real database with ``--yes``,
and one-line errors for what cannot be done."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from adapters.store.event_store import PostgresEventStore
from importing import from_json
from tests.e2e.test_serve import assert_one_line_error, run_cli
from tests.integration.test_import_issue import SAMPLES, build

SEEDS = {
    "central-128-HD-BTGTW-2024.txt": "128-HD/BTGTW",
    "town-thi-uy-2024.txt": None,
    "urban-district-25-HD-BTGQU-2024.txt": "25-HD/BTGQU",
}


def test_a_dry_run_prints_only_the_draft_of_each_seed(seeds_dir: Path, tmp_path: Path) -> None:
    for name, number in SEEDS.items():
        started = time.perf_counter()
        result = run_cli(
            "import", "--dry-run", "--json", str(seeds_dir / name), data_dir=str(tmp_path)
        )
        elapsed = time.perf_counter() - started
        print(f"khoagiao import --dry-run --json {name}: {elapsed:.2f} s")
        assert result.returncode == 0, result.stderr
        assert from_json(result.stdout).document.number == number  # one JSON object only
        assert elapsed < 5  # the target is 1 s; this bound only catches a runaway
    assert not (tmp_path / "pg").exists()  # no database was started


async def test_import_issues_the_document_and_refuses_it_twice(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], database_url: str, tmp_path: Path
) -> None:
    await build(store, pool)
    sample = str(SAMPLES / "province-57-HD-BTGTU-2025.txt")
    settings = {"database_url": database_url, "data_dir": str(tmp_path)}

    issued = run_cli("import", "--yes", "--json", sample, **settings)

    assert issued.returncode == 0, issued.stderr
    report = msgspec.json.decode(issued.stdout)
    assert report["resolution"]["issuer"]["id"] == "btg-quang-ngai"
    assert [p["code"] for p in report["resolution"]["problems"]] == ["parent_not_found"]
    assert report["issued"]["number"] == "57-HD/BTGTU" and report["issued"]["position"] > 0
    streams = await pool.fetchval(
        "SELECT count(DISTINCT stream_id) FROM events WHERE stream_type = 'Assignment'"
    )
    assert streams == sum(len(t["assignments"]) for t in report["issued"]["tasks"]) > 0

    again = run_cli("import", "--yes", sample, **settings)
    assert_one_line_error(again, "duplicate_document_number", "57-HD/BTGTU")
    declined = run_cli("import", sample, **settings)  # no --yes, nothing on stdin
    assert declined.returncode == 1 and "not issued" in declined.stderr


def test_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "van-ban.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    assert_one_line_error(
        run_cli("import", "--dry-run", str(tmp_path / "van-ban.doc"), data_dir=str(tmp_path)),
        "save it as .docx",
    )
    assert_one_line_error(
        run_cli("import", "--dry-run", str(tmp_path / "missing.txt"), data_dir=str(tmp_path)),
        "cannot read",
    )
