"""The shapes that cross the event store's boundary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

import msgspec


class Metadata(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Who recorded a fact, when, and in answer to what; stored and hashed with every event."""

    recorded_at: datetime
    actor_organization_id: str | None = None
    actor_token_id: str | None = None
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    request_id: str | None = None


class NewEvent(msgspec.Struct, frozen=True):
    """An event not yet stored: its id, its type (topic) and its JSON payload."""

    event_id: UUID
    type: str
    payload: bytes


class StreamAppend(msgspec.Struct, frozen=True):
    """New events for one stream, stored only if it is still at ``expected_version``."""

    stream_id: UUID
    stream_type: str
    expected_version: int
    events: Sequence[NewEvent]


class LogCursor(NamedTuple):
    """A place in the log: the log is ordered by (transaction_id, position)."""

    transaction_id: int
    position: int


LOG_START = LogCursor(0, 0)


class RecordedEvent(msgspec.Struct, frozen=True, gc=False):
    """One stored event, exactly as the log holds it.

    Neither this nor its ``Metadata`` is tracked by the garbage collector (``gc=False``):
    their fields are numbers, strings, bytes, UUIDs and a datetime, so they can hold no
    reference cycle, and a follower makes one per event read. Tracked, they set off a
    young-generation collection every few hundred events: the follower read and decoded
    84,000 events/s with them tracked and 116,000 without (median of 9 reads of a 78,001
    event log, 10.9 → 7.6 µs of client CPU per event).
    """

    position: int
    transaction_id: int
    event_id: UUID
    stream_id: UUID
    stream_type: str
    version: int
    type: str
    payload: bytes
    metadata: Metadata
    hash: bytes

    @property
    def cursor(self) -> LogCursor:
        return LogCursor(self.transaction_id, self.position)


class LogBatch(NamedTuple):
    """Events after a cursor, and whether newer ones are committed but not yet safe to read."""

    events: list[RecordedEvent]
    held_back: bool
