"""What of a stored event may leave the service (the HTTP feed and audit trail, NATS).

The log keeps some fields only so that it can be verified — a token's secret digest —
and every way out serves the payload without them."""

from __future__ import annotations

import msgspec

SECRET_FIELDS = {"AccessToken.Issued": "secret_digest"}


def served(event_type: str, payload: bytes) -> msgspec.Raw:
    """The payload (JSON bytes as stored) as callers and subscribers may see it."""
    secret = SECRET_FIELDS.get(event_type)
    if secret is None:
        return msgspec.Raw(payload)
    fields = msgspec.json.decode(payload)
    fields.pop(secret, None)
    return msgspec.Raw(msgspec.json.encode(fields))
