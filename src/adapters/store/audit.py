"""Proving the log unaltered: recompute every stream's hash chain from the stored rows."""

from __future__ import annotations

from uuid import UUID

import msgspec

from adapters.store.database import Connection
from adapters.store.event_store import COLUMNS, recorded_event
from adapters.store.hashing import GENESIS, chain_hash, metadata_bytes
from adapters.store.records import RecordedEvent


class BrokenLink(msgspec.Struct, frozen=True):
    """Where a stream's chain first fails, and why."""

    stream_id: UUID
    version: int
    position: int
    reason: str


class ChainReport(msgspec.Struct, frozen=True):
    streams: int
    events: int
    broken: list[BrokenLink]
    """The first broken link of each broken stream, earliest position first."""

    @property
    def intact(self) -> bool:
        return not self.broken


class _Chain:
    """One stream's chain as it is walked in version order."""

    def __init__(self, stream_id: UUID) -> None:
        self.stream_id = stream_id
        self.version = 0
        self.hash = GENESIS
        self.broken: BrokenLink | None = None

    def follow(self, event: RecordedEvent) -> None:
        if self.broken is not None:
            return
        if event.version != self.version + 1:
            self.broken = BrokenLink(
                event.stream_id,
                self.version + 1,
                event.position,
                f"version {self.version + 1} is missing: the next stored event is "
                f"version {event.version}",
            )
            return
        expected = chain_hash(
            self.hash,
            event_id=event.event_id,
            stream_id=event.stream_id,
            stream_type=event.stream_type,
            version=event.version,
            type=event.type,
            payload=event.payload,
            metadata=metadata_bytes(event.metadata),
        )
        if expected != event.hash:
            reason = "the stored hash does not match the event's content: it was altered"
            self.broken = BrokenLink(event.stream_id, event.version, event.position, reason)
            return
        self.version = event.version
        self.hash = event.hash


async def verify_chains(connection: Connection, stream_id: UUID | None = None) -> ChainReport:
    """Walk every stream (or one) in version order in one consistent snapshot."""
    where, arguments = ("WHERE stream_id = $1", [stream_id]) if stream_id else ("", [])
    query = f"SELECT {COLUMNS} FROM events {where} ORDER BY stream_id, version"
    streams = events = 0
    broken: list[BrokenLink] = []
    chain: _Chain | None = None
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        async for row in connection.cursor(query, *arguments, prefetch=5000):
            event = recorded_event(row)
            if chain is None or chain.stream_id != event.stream_id:
                if chain is not None and chain.broken is not None:
                    broken.append(chain.broken)
                chain = _Chain(event.stream_id)
                streams += 1
            chain.follow(event)
            events += 1
    if chain is not None and chain.broken is not None:
        broken.append(chain.broken)
    return ChainReport(streams, events, sorted(broken, key=lambda link: link.position))
