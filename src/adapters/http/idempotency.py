"""``Idempotency-Key``: a retried POST gets the first response back and writes nothing.

The key is scoped to the caller's token. A request holds its key (an advisory lock) for
its whole transaction, and the key's row is inserted in the transaction that appends the
command's events, after them: a concurrent request with the same key waits, then finds
the first response and replays it. A key reused with another method, path or body is a
422. Only successful responses are kept: a refused command wrote nothing, so retrying it
is safe.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from adapters.http.problems import ApiProblem
from adapters.store.database import Connection

RETENTION = "48 hours"
"""Longer than the promised 24 hours, so a client's day-old retry is always answered."""
_MAX_KEY_LENGTH = 200
_PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Stored:
    status: int
    body: bytes


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > _MAX_KEY_LENGTH or not key.isprintable():
        raise ApiProblem(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} printable characters",
        )
    return key


class IdempotencyKeys:
    def __init__(self) -> None:
        self._pruned_at = time.monotonic()

    async def find(
        self, connection: Connection, principal: str, key: str, print_: str
    ) -> Stored | None:
        row = await connection.fetchrow(
            "SELECT fingerprint, status, body FROM idempotency_keys"
            " WHERE principal = $1 AND key = $2",
            principal,
            key,
        )
        if row is None:
            return None
        if row["fingerprint"] != print_:
            raise ApiProblem(
                422,
                "idempotency_key_reused",
                f"Idempotency-Key {key!r} was first used with another request (method, path "
                "or body); use a new key for a new request",
            )
        return Stored(row["status"], bytes(row["body"]))

    async def record(
        self, connection: Connection, principal: str, key: str, print_: str, stored: Stored
    ) -> None:
        """Record the response (the caller holds the key: nobody else can insert it)."""
        await connection.execute(
            "INSERT INTO idempotency_keys (principal, key, fingerprint, status, body)"
            " VALUES ($1, $2, $3, $4, $5)",
            principal,
            key,
            print_,
            stored.status,
            stored.body,
        )

    async def prune(self, connection: Connection) -> None:
        """Forget keys past their retention, at most once an hour per instance."""
        if time.monotonic() - self._pruned_at < _PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        await connection.execute(
            f"DELETE FROM idempotency_keys WHERE created_at < now() - interval '{RETENTION}'"
        )
