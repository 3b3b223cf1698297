"""The hash chain that makes tampering with stored events evident.

Each event's hash is sha256(previous hash of its stream || canonical bytes of the event),
so altering, removing or reordering any stored event breaks every later link of its
stream. The canonical bytes are a JSON array with a fixed field order; the payload is
embedded verbatim (the ``json`` column keeps the exact bytes that were hashed).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from uuid import UUID

import msgspec

from adapters.store.records import Metadata

GENESIS = bytes(32)
_encode = msgspec.json.Encoder().encode


def canonical_instant(moment: datetime) -> str:
    """One spelling per instant, whatever the time zone it was given in."""
    if moment.tzinfo is None:
        raise ValueError("recorded_at must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def metadata_bytes(metadata: Metadata) -> bytes:
    """The canonical bytes of an append's metadata, shared by all its events."""
    return _encode(
        [
            metadata.actor_organization_id,
            metadata.actor_token_id,
            None if metadata.correlation_id is None else str(metadata.correlation_id),
            None if metadata.causation_id is None else str(metadata.causation_id),
            metadata.request_id,
            canonical_instant(metadata.recorded_at),
        ]
    )


def chain_hash(
    previous: bytes,
    *,
    event_id: UUID,
    stream_id: UUID,
    stream_type: str,
    version: int,
    type: str,
    payload: bytes,
    metadata: bytes,
) -> bytes:
    """``metadata`` is ``metadata_bytes(...)`` of the event's metadata."""
    canonical = _encode(
        [
            str(event_id),
            str(stream_id),
            stream_type,
            version,
            type,
            msgspec.Raw(payload),
            msgspec.Raw(metadata),
        ]
    )
    return hashlib.sha256(previous + canonical).digest()
