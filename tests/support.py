"""Small builders shared by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from adapters.store.records import Metadata, NewEvent, StreamAppend
from application.ports import CommandContext
from domain.permissions import Actor, Role

T0 = datetime(2024, 1, 5, 8, 0, tzinfo=UTC)


def context(
    organisation: str = "ban-tuyen-giao-tw", role: Role = Role.ADMIN, at: datetime = T0
) -> CommandContext:
    return CommandContext(Actor(organisation, role, "token-1"), at, uuid.UUID(int=1))


def metadata(**overrides: object) -> Metadata:
    fields: dict[str, object] = {
        "recorded_at": T0,
        "actor_organization_id": "ban-tuyen-giao-tw",
        "actor_token_id": "token-1",
        "correlation_id": uuid.UUID(int=1),
        "causation_id": None,
        "request_id": "req-1",
    }
    fields.update(overrides)
    return Metadata(**fields)  # type: ignore[arg-type]


def new_event(type_: str = "Tested", **payload: object) -> NewEvent:
    return NewEvent(uuid.uuid4(), type_, msgspec.json.encode(payload or {"n": 1}))


def append_to(
    stream_id: uuid.UUID, expected: int, count: int = 1, stream_type: str = "Test"
) -> StreamAppend:
    return StreamAppend(
        stream_id, stream_type, expected, [new_event(n=expected + i + 1) for i in range(count)]
    )


class SettableClock:
    """A clock a test sets and advances; passed in, never patched in."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


async def stopped(*tasks: asyncio.Task[None]) -> None:
    """Cancel the tasks, then wait for each to end (a runner, a relay)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
