"""Tailing the log from a cursor: catch up in batches, then wait to be woken."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from adapters.store.event_store import PostgresEventStore
from adapters.store.records import LogBatch, LogCursor, RecordedEvent
from adapters.store.wakeup import LogWakeup


class LogFollower:
    """Yields every committed event after ``cursor`` exactly once, in log order.

    While catching up it reads full batches back to back, each read starting as soon as
    the batch before it came back (so the server fetches the next batch while the
    consumer handles this one). Once caught up it sleeps until an append wakes it, or
    ``safety_poll`` seconds pass. When newer events are held back behind a transaction
    still running (see ``read_after``) it re-reads after a short, growing pause instead:
    that transaction's end sends no notification of its own.
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

    async def batches(self) -> AsyncGenerator[list[RecordedEvent], None]:
        held_back_pause = 0.001
        ticket = self.wakeup.ticket()  # taken before each read: no wake-up is missed
        reading = self._read()
        try:
            while True:
                batch = await reading
                if len(batch.events) == self.batch_size:
                    # Catching up: the log below the horizon is final, so the next
                    # batch can be read while the consumer handles this one.
                    self.cursor = batch.events[-1].cursor
                    ticket = self.wakeup.ticket()
                    reading = self._read()
                    yield batch.events
                    continue
                if batch.events:
                    self.cursor = batch.events[-1].cursor
                    yield batch.events
                if batch.held_back:
                    await self.wakeup.wait(ticket, held_back_pause)
                    held_back_pause = min(held_back_pause * 2, 0.05)
                else:
                    held_back_pause = 0.001
                    if not batch.events:
                        await self.wakeup.wait(ticket, self.safety_poll)
                ticket = self.wakeup.ticket()
                reading = self._read()
        finally:
            if not reading.done():
                # Let a read-ahead nobody wants finish on its own: cancelling a query
                # in flight costs asyncpg a cancel request on a new connection.
                reading.add_done_callback(_discard)

    def _read(self) -> asyncio.Task[LogBatch]:
        return asyncio.ensure_future(self.store.read_after(self.cursor, self.batch_size))


def _discard(read: asyncio.Task[LogBatch]) -> None:
    if not read.cancelled():
        read.exception()  # retrieved, so an error of an abandoned read is not reported
