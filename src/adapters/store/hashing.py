"""The hash chain that makes tampering with stored events evident.

Each event's hash is sha256(previous hash of its stream || canonical bytes of the event),
so altering, removing or reordering any stored event breaks every later link of its
stream. The canonical bytes are a JSON array with a fixed field order; the payload is
embedded verbatim (the ``json`` column keeps the exact bytes that were hashed). UUIDs are
spelled as ``str(uuid)`` spells them (msgspec writes that form directly, without the
intermediate string), instants as ``canonical_instant`` does. These bytes are fixed for
ever: events already stored must keep verifying.
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
    """One spelling per instant, whatever the time zone it was given in:
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    if moment.tzinfo is None:
        raise ValueError("recorded_at must carry a time zone")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    if moment.year < 1000:
        # strftime writes such years unpadded ("999-..."); the chain keeps that spelling.
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same characters as the strftime above, at half the cost: "+00:00" becomes "Z".
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def metadata_bytes(metadata: Metadata) -> bytes:
    """The canonical bytes of an append's metadata, shared by all its events."""
    return _encode(
        [
            metadata.actor_organization_id,
            metadata.actor_token_id,
            metadata.correlation_id,
            metadata.causation_id,
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
            event_id,
            stream_id,
            stream_type,
            version,
            type,
            msgspec.Raw(payload),
            msgspec.Raw(metadata),
        ]
    )
    return hashlib.sha256(previous + canonical).digest()
