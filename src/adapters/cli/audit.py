"""``khoagiao audit verify``: exit 0 when every hash chain holds, 1 at the first broken link."""

from __future__ import annotations

import asyncio
import uuid

import msgspec

from adapters.store.audit import ChainReport, verify_chains
from khoagiao.config import ConfigError, Settings
from khoagiao.runtime import endpoints
from khoagiao.services import open_database


def verify(settings: Settings, *, stream: str | None, as_json: bool) -> int:
    stream_id = _stream_id(stream)
    with endpoints(settings, nats=False) as found:
        report = asyncio.run(_verify(found.database_url, stream_id))
    if as_json:
        print(msgspec.json.encode(report).decode())
    elif report.intact:
        print(f"intact: {report.events} events in {report.streams} streams verified")
    else:
        first = report.broken[0]
        print(
            f"BROKEN: {len(report.broken)} of {report.streams} streams; first broken link at "
            f"position {first.position}: stream {first.stream_id} version {first.version}: "
            f"{first.reason}"
        )
    return 0 if report.intact else 1


def _stream_id(raw: str | None) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"--stream {raw!r} is not a stream id (a UUID)") from None


async def _verify(url: str, stream_id: uuid.UUID | None) -> ChainReport:
    async with open_database(url) as pool, pool.acquire() as connection:
        return await verify_chains(connection, stream_id)
