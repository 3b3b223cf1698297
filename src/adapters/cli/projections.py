"""``khoagiao projections status``: each projection's checkpoint and lag.
``khoagiao projections rebuild [NAME]``: rebuild from zero beside the live tables and
swap them in (``adapters.store.projection_rebuild``); a running service keeps answering
from the old tables until the swap and its runners carry on after it."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import msgspec

from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_rebuild import RebuildInProgress, RebuildReport, rebuild
from adapters.store.projection_runner import lag
from khoagiao.config import Settings
from khoagiao.runtime import endpoints
from khoagiao.services import open_database
from projections import all_projections
from projections.base import Projection


def status(settings: Settings, *, as_json: bool) -> int:
    with endpoints(settings, nats=False) as found:
        rows = asyncio.run(_status(found.database_url))
    if as_json:
        print(msgspec.json.encode(rows).decode())
        return 0
    print(f"{'projection':<24}{'position':>12}{'behind (events)':>18}{'behind (s)':>12}")
    for row in rows:
        print(
            f"{row['name']:<24}{row['position']:>12}{row['behind_events']:>18}"
            f"{row['behind_seconds']:>12.1f}"
        )
    return 0


async def _status(url: str) -> list[dict[str, Any]]:
    async with open_database(url) as pool, pool.acquire() as connection:
        return [await lag(connection, p.name) for p in all_projections()]


def rebuild_projections(settings: Settings, name: str | None, *, as_json: bool) -> int:
    """Rebuild the projection ``name``, or every one, in turn."""
    chosen = _chosen(name)
    if chosen is None:
        known = ", ".join(p.name for p in all_projections())
        print(f"khoagiao: error: no projection {name!r} (known: {known})", file=sys.stderr)
        return 2
    with endpoints(settings, nats=False) as found:
        try:
            reports = asyncio.run(_rebuild(found.database_url, chosen, quiet=as_json))
        except RebuildInProgress as error:
            print(f"khoagiao: error: {error}", file=sys.stderr)
            return 2
    if as_json:
        print(msgspec.json.encode([_as_dict(report) for report in reports]).decode())
    return 0


def _chosen(name: str | None) -> list[Projection] | None:
    projections = all_projections()
    if name is None:
        return projections
    found = [p for p in projections if p.name == name]
    return found or None


async def _rebuild(url: str, projections: list[Projection], *, quiet: bool) -> list[RebuildReport]:
    reports = []
    async with open_database(url) as pool:
        store = PostgresEventStore(pool)
        for projection in projections:
            report = await rebuild(projection, store, url)
            reports.append(report)
            if not quiet:
                print(
                    f"{report.name:<24}{report.events:>10} events in {report.seconds:.1f} s"
                    f" ({report.events_per_s:,.0f}/s), swapped in at position {report.position}"
                )
    return reports


def _as_dict(report: RebuildReport) -> dict[str, Any]:
    return {
        "name": report.name,
        "events": report.events,
        "seconds": round(report.seconds, 3),
        "events_per_s": round(report.events_per_s, 1),
        "position": report.position,
        "tables": report.tables,
    }
