"""The message the relay publishes for each event, as integrators read it.

``data`` is the event's payload as the log stores it (and as the audit hash covers it),
less the fields kept only for verification (a token's secret digest); ``position`` is
the event's place in the log, the cursor of the HTTP feed
(``GET /api/v1/feed?after=<position>``) from which a consumer fills any gap.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

MSG_ID = "Nats-Msg-Id"
"""JetStream drops a second message with the same id inside the stream's duplicate window."""


class MessageActor(msgspec.Struct, frozen=True):
    organization_id: str | None
    token_id: str | None


class EventMessage(msgspec.Struct, frozen=True):
    id: UUID
    position: int
    type: str
    """The domain's name of the fact, e.g. ``Assignment.Submitted``."""
    stream_id: UUID
    organization_id: str | None
    """The unit the event concerns (its subject ends with this unit's path)."""
    actor: MessageActor
    recorded_at: datetime
    data: msgspec.Raw


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(EventMessage)


def encode(message: EventMessage) -> bytes:
    return _encoder.encode(message)


def decode(body: bytes) -> EventMessage:
    return _decoder.decode(body)
