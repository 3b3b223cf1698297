"""``demo national`` at a small scale: a valid log that the views agree with, the merger
of 01/07/2025 carried out, the generator's own tallies matched, the same seed giving the
same year."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest

from adapters.demo.national import NationalTally, generate_national, record_national_year
from adapters.demo.recorder import BatchedLog, DemoRefused
from adapters.demo.timeline import ENDS, MERGER
from adapters.store.audit import verify_chains
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.records import Metadata, StreamAppend
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from projections import all_projections
from projections.cascade import document_cascade
from projections.compliance import unit_compliance
from tests.support import SettableClock, append_to, metadata

AFTER_THE_YEAR = SettableClock(datetime(2026, 3, 1, tzinfo=UTC))


async def test_a_small_national_year_is_a_valid_log_that_the_views_agree_with(
    store: PostgresEventStore, pool: asyncpg.Pool[Any], wakeup: LogWakeup, database_url: str
) -> None:
    tally = await generate_national(store, seed=3, scale=0.01, clock=AFTER_THE_YEAR)

    async with pool.acquire() as connection:
        chains = await verify_chains(connection, None)
    assert chains.intact and chains.events == tally.events == await store.last_position()
    for projection in all_projections():
        runner = ProjectionRunner(projection, store, wakeup, database_url)
        assert await runner.catch_up() == tally.events

    async with pool.acquire() as connection:
        central = await unit_compliance(connection, "btg-tw", ENDS)
        await the_merger_happened(connection, tally)
        await the_cascade_reaches_the_communes(connection)
    counted = {
        bucket: getattr(central.subtree, bucket)
        for bucket in ("done_on_time", "done_late", "open_in_time", "open_overdue")
    }
    assert counted == {b: tally.buckets.get(b, 0) for b in counted}
    assert tally.assignments > 1500
    assert 0.03 <= tally.share("done_late") <= 0.08
    assert 0.015 <= tally.share("open_overdue") <= 0.05
    assert tally.buckets["cancelled"] > 0 and tally.buckets["waived"] > 0  # by the merger


async def the_merger_happened(connection: Any, tally: NationalTally) -> None:
    rows = await connection.fetch("SELECT * FROM org_units")
    units = {row["id"]: row for row in rows}
    in_force = [row for row in rows if row["valid_to"] is None]

    def count(level: str, kind: str, among: list[Any]) -> int:
        return sum(1 for row in among if (row["level"], row["kind"]) == (level, kind))

    commission = "propaganda_commission"
    assert count("province", commission, rows) == tally.provinces_before == 3
    assert count("province", commission, in_force) == tally.provinces_after == 2
    communes = [row for row in in_force if row["issuer_code"] == "ĐU"]
    assert len(communes) == tally.communes_after < tally.communes_before
    district_level = [row for row in rows if row["level"] == "district" and row["kind"] in (
        commission, "bloc_committee")]  # fmt: skip
    assert district_level and all(row["valid_to"] == MERGER for row in district_level)
    for row in district_level:  # abolished into the province that survived
        survivor = units[row["merged_into"]]
        assert (survivor["level"], survivor["valid_to"]) == ("province", None)
    for commune in communes:  # every commune now sits directly below a province
        assert units[commune["parent"]]["level"] == "province"
    merged = await connection.fetch(
        "SELECT id, merged_into FROM org_units WHERE level = 'grassroots' AND valid_to IS NOT NULL"
    )
    assert merged and all(units[row["merged_into"]]["valid_to"] is None for row in merged)


async def the_cascade_reaches_the_communes(connection: Any) -> None:
    central = await connection.fetchval(
        "SELECT id FROM documents WHERE issuer = 'btg-tw' AND implements IS NULL"
    )
    cascade = await document_cascade(connection, central, ENDS)
    depths = {node.depth for node in cascade.documents}
    assert depths == {0, 1, 2, 3}  # central, provinces, districts, communes
    assert all(node.lag_days is not None and node.lag_days >= 0 for node in cascade.documents[1:])
    assert cascade.missing  # some never implemented


async def test_a_national_year_goes_only_into_an_empty_log(store: PostgresEventStore) -> None:
    await store.append([append_to(UUID(int=7), 0)], metadata())
    with pytest.raises(DemoRefused, match="needs an empty log"):
        await generate_national(store, seed=1, scale=0.002, clock=AFTER_THE_YEAR)
    early = SettableClock(datetime(2025, 12, 31, tzinfo=UTC))
    with pytest.raises(DemoRefused, match="after today"):
        await generate_national(store, seed=1, scale=0.002, clock=early)
    assert await store.last_position() == 1


async def test_the_same_seed_makes_the_same_year(store: PostgresEventStore) -> None:
    """Equal up to the ids the domain draws at random: each id is replaced by the order
    in which it first appears."""
    first, again, other = [await _recorded(store, seed) for seed in (5, 5, 6)]
    assert first == again
    assert first != other


async def _recorded(store: PostgresEventStore, seed: int) -> list[Any]:
    written: list[tuple[list[StreamAppend], Metadata]] = []

    async def append(streams: Any, metadata: Metadata) -> list[int]:
        written.append((list(streams), metadata))
        return []

    log = BatchedLog(append)
    await record_national_year(log, AggregateRepository(store), seed=seed, scale=0.002)
    return _canonical(written)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _canonical(written: list[tuple[list[StreamAppend], Metadata]]) -> list[Any]:
    names: dict[str, str] = {}

    def name(found: re.Match[str] | UUID) -> str:
        key = str(found.group(0) if isinstance(found, re.Match) else found)
        return names.setdefault(key, f"id{len(names)}")

    canonical = []
    for streams, meta in written:
        batch = [msgspec.json.encode(meta).decode()]
        for stream in streams:
            batch.append(f"{name(stream.stream_id)} {stream.stream_type} {stream.expected_version}")
            for event in stream.events:
                name(event.event_id)
                batch.append(event.type + _UUID.sub(name, event.payload.decode()))
        canonical.append(batch)
    return canonical
