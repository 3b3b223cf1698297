"""Tailing the log from a cursor: catch up in batches, then wait to be woken."""

from __future__ import annotations

from collections.abc import AsyncIterator

from adapters.store.event_store import PostgresEventStore
from adapters.store.records import LogCursor, RecordedEvent
from adapters.store.wakeup import LogWakeup


class LogFollower:
    """Yields every committed event after ``cursor`` exactly once, in log order.

    While catching up it reads full batches back to back. Once caught up it sleeps until
    an append wakes it, or ``safety_poll`` seconds pass. When newer events are held back
    behind a transaction still running (see ``read_after``) it re-reads after a short,
    growing pause instead: that transaction's end sends no notification of its own.
    """

    def __init__(
        self,
        store: PostgresEventStore,
        wakeup: LogWakeup,
        cursor: LogCursor,
        *,
        batch_size: int = 1000,
        safety_poll: float = 1.0,
    ) -> None:
        self.store = store
        self.wakeup = wakeup
        self.cursor = cursor
        self.batch_size = batch_size
        self.safety_poll = safety_poll

    async def batches(self) -> AsyncIterator[list[RecordedEvent]]:
        held_back_pause = 0.001
        while True:
            ticket = self.wakeup.ticket()
            batch = await self.store.read_after(self.cursor, self.batch_size)
            if batch.events:
                self.cursor = batch.events[-1].cursor
                yield batch.events
            if len(batch.events) == self.batch_size:
                continue
            if batch.held_back:
                await self.wakeup.wait(ticket, held_back_pause)
                held_back_pause = min(held_back_pause * 2, 0.05)
                continue
            held_back_pause = 0.001
            if not batch.events:
                await self.wakeup.wait(ticket, self.safety_poll)
