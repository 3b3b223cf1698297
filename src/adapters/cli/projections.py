"""``khoagiao projections status``: each projection's checkpoint and lag."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from adapters.store.projection_runner import lag
from khoagiao.config import Settings
from khoagiao.runtime import endpoints
from khoagiao.services import open_database
from projections import all_projections


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
