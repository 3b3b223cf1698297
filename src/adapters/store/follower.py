"""Tailing the log from a cursor: catch up in batches, then wait to be woken."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Generic, Protocol, TypeVar

from adapters.store.records import LogCursor, RecordedEvent
from adapters.store.wakeup import LogWakeup


class Batch(Protocol):
    """What a read of the log returns (``LogBatch``, ``SharedBatch``)."""

    @property
    def events(self) -> Sequence[RecordedEvent]: ...

    @property
    def held_back(self) -> bool: ...


B = TypeVar("B", bound=Batch)
B_co = TypeVar("B_co", bound=Batch, covariant=True)


class LogSource(Protocol[B_co]):
    """Where a follower reads: the store itself, or a ``SharedReader`` of the log."""

    async def read_after(self, cursor: LogCursor, limit: int) -> B_co: ...


class LogFollower(Generic[B]):
    """Yields every committed event after ``cursor`` exactly once, in log order.

    While catching up it reads full batches back to back, each read starting as soon as
    the batch before it came back (so the server fetches the next batch while the
    consumer handles this one). Once caught up it sleeps until an append wakes it, or
    ``safety_poll`` seconds pass. When newer events are held back behind a transaction
    still running (see ``read_after``) it re-reads after a short, growing pause instead:
    that transaction's end sends no notification of its own. Without a ``wakeup`` it
    only polls (enough for reading up to the end of the log).
    """

    def __init__(
        self,
        source: LogSource[B],
        wakeup: LogWakeup | None,
        cursor: LogCursor,
        *,
        batch_size: int = 1000,
        safety_poll: float = 1.0,
    ) -> None:
        self.source = source
        self.wakeup = wakeup
        self.cursor = cursor
        self.batch_size = batch_size
        self.safety_poll = safety_poll

    async def batches(self) -> AsyncGenerator[Sequence[RecordedEvent], None]:
        """The events of each batch, for ever."""
        async for batch in self.reads():
            yield batch.events

    async def reads(self, *, until_caught_up: bool = False) -> AsyncGenerator[B, None]:
        """Each batch read, without its empty reads; with ``until_caught_up``, ending
        after the first read that finds nothing newer committed (nothing held back)."""
        held_back_pause = 0.001
        ticket = self._ticket()  # taken before each read: no wake-up is missed
        reading = self._read()
        try:
            while True:
                batch = await reading
                events = batch.events
                if len(events) == self.batch_size:
                    # Catching up: the log below the horizon is final, so the next
                    # batch can be read while the consumer handles this one.
                    self.cursor = events[-1].cursor
                    ticket = self._ticket()
                    reading = self._read()
                    yield batch
                    continue
                if events:
                    self.cursor = events[-1].cursor
                    yield batch
                if batch.held_back:
                    await self._wait(ticket, held_back_pause)
                    held_back_pause = min(held_back_pause * 2, 0.05)
                else:
                    if until_caught_up:
                        return
                    held_back_pause = 0.001
                    if not events:
                        await self._wait(ticket, self.safety_poll)
                ticket = self._ticket()
                reading = self._read()
        finally:
            if not reading.done():
                # Let a read-ahead nobody wants finish on its own: cancelling a query
                # in flight costs asyncpg a cancel request on a new connection.
                reading.add_done_callback(_discard)

    def _read(self) -> asyncio.Task[B]:
        return asyncio.ensure_future(self.source.read_after(self.cursor, self.batch_size))

    def _ticket(self) -> asyncio.Event | None:
        return self.wakeup.ticket() if self.wakeup is not None else None

    async def _wait(self, ticket: asyncio.Event | None, within: float) -> None:
        if self.wakeup is None or ticket is None:
            await asyncio.sleep(within)
        else:
            await self.wakeup.wait(ticket, within)


def _discard(read: asyncio.Task[B]) -> None:
    if not read.cancelled():
        read.exception()  # retrieved, so an error of an abandoned read is not reported
