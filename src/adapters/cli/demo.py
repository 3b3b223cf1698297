"""``khoagiao demo national|seeds``: demo data in the configured or embedded database.

Both write the log only; a running ``khoagiao serve`` (or the next one started) builds
the views from it.
"""

from __future__ import annotations

import asyncio
import sys

import msgspec

from adapters.clock import SystemClock
from adapters.demo.national import NationalTally, generate_national
from adapters.demo.recorder import DemoRefused
from adapters.demo.seeds import SeedsLoaded, load_seeds
from adapters.store.event_store import PostgresEventStore
from khoagiao.config import ConfigError, Settings
from khoagiao.runtime import endpoints
from khoagiao.services import open_database

HEAD_CACHE = 4_000_000
"""Every stream the generator appends to stays cached: no append re-reads a head."""
_NEXT = "start `khoagiao serve` on this database to build the views"


def national(settings: Settings, *, seed: int, scale: float, as_json: bool) -> int:
    if not 0 < scale <= 10:
        raise ConfigError(f"--scale {scale} must be above 0 and at most 10")
    with endpoints(settings, nats=False) as found:
        try:
            tally = asyncio.run(_national(found.database_url, seed, scale))
        except DemoRefused as refused:
            print(f"khoagiao: error: {refused}", file=sys.stderr)
            return 2
    if as_json:
        print(msgspec.json.encode(tally).decode())
    else:
        print(_summary(tally))
    return 0


async def _national(url: str, seed: int, scale: float) -> NationalTally:
    async with open_database(url) as pool:
        return await generate_national(
            PostgresEventStore(pool, head_cache=HEAD_CACHE),
            seed=seed,
            scale=scale,
            clock=SystemClock(),
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )


def _summary(tally: NationalTally) -> str:
    buckets = ", ".join(f"{name} {count:,}" for name, count in tally.buckets.items())
    return "\n".join(
        [
            f"national demo, seed {tally.seed}, scale {tally.scale}: {tally.events:,} events",
            f"  {tally.units:,} units: {tally.provinces_before} provinces "
            f"({tally.provinces_after} after 01/07/2025), {tally.districts} districts, "
            f"{tally.communes_before:,} communes ({tally.communes_after:,} after)",
            f"  {tally.documents:,} documents, {tally.assignments:,} assignments, "
            f"{tally.inspections:,} inspections",
            f"  on {tally.as_of:%d/%m/%Y}: {buckets}",
            f"  late {tally.share('done_late'):.1%}, overdue {tally.share('open_overdue'):.1%}",
            _NEXT,
        ]
    )


def seeds(settings: Settings) -> int:
    with endpoints(settings, nats=False) as found:
        try:
            loaded = asyncio.run(_seeds(found.database_url))
        except DemoRefused as refused:
            print(f"khoagiao: error: {refused}", file=sys.stderr)
            return 2
    if loaded.already:
        print("the seed cascade is already loaded: nothing written")
    else:
        print(
            f"loaded the seed cascade: {loaded.units} units, {loaded.documents} documents, "
            f"{loaded.assignments} assignments, {loaded.events} events\n{_NEXT}"
        )
    return 0


async def _seeds(url: str) -> SeedsLoaded:
    async with open_database(url) as pool:
        return await load_seeds(PostgresEventStore(pool))
