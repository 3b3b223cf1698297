"""What the command handlers need from the world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain.permissions import Actor
from domain.timing import When

A = TypeVar("A", bound=BaseAggregate[UUID])


@dataclass(frozen=True)
class CommandContext:
    """Who issues a command, when it is recorded, and what it answers (for the audit trail)."""

    actor: Actor
    recorded_at: datetime
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    request_id: str | None = None
    backdate_tolerance_days: int = 30

    def when(self, effective_on: date | None) -> When:
        return When.of(self.recorded_at, effective_on, tolerance_days=self.backdate_tolerance_days)


class Clock(Protocol):
    """Where "now" comes from: the system clock in the service, a settable one in tests
    (the deadline watcher and the HTTP layer record facts at ``now()``)."""

    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class Aggregates(Protocol):
    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        """The aggregate now; raises domain NotFound when there is none."""
        ...

    async def find(self, cls: type[A], aggregate_id: UUID) -> A | None: ...

    async def save(
        self, *aggregates: BaseAggregate[UUID], context: CommandContext
    ) -> Sequence[int]:
        """Append every pending event of ``aggregates`` in one transaction."""
        ...
