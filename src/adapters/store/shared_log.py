"""One reading of the log for every projection of a process.

Each runner follows the log on its own, and each used to read its batches and decode
what it handles itself: the same rows fetched, parsed and decoded up to seven times
over. Yet the runners are mostly at the same place — all of them at position zero when
a service starts on empty views, all of them at the log's end while they tail it — and
then they ask for the same batch. ``SharedLog`` reads such a batch once, hands it to
every runner there, and decodes each of its events at most once, for whichever
projection asks first.

What is shared, and why no runner can tell (it gets what a read of its own would have
returned, had it begun with the shared one):

* A read in flight serves every runner asking for the same batch (same cursor, same
  size) meanwhile. If something was appended after it began (its wake-up ticket is
  spent) and it comes back short, a runner that joined late reads again: the newer
  events may be missing from it.
* A *full* batch, once read, serves every runner that asks for it later: the events
  after a cursor below the horizon are final (see "Following the log" in
  docs/design.md), so a full batch is what any later read at that cursor returns. A
  short one is done with once it has come back: a later read may find more — events
  appended, or held back until then behind a transaction that has since ended, which
  no wake-up announces.
* Nothing else: each runner keeps its own checkpoint, lock and transaction per batch. A
  runner elsewhere in the log (it has just taken over, or a rebuild moved its
  checkpoint) reads batches no other runner asks for, and so reads alone. Without a
  wake-up nothing tells whether anything was appended, so only full batches are shared.

Kept batches cost memory, and are kept only for the runners on their way to them: the
reader furthest ahead waits before reading a new batch while it is ``window`` batches
ahead of the slowest runner on its way along the same batches — at most ``patience``
seconds, so that one stalled projection cannot stall the others — and no more than
``kept`` batches are kept (the oldest go first; a runner then finds its batch gone and
reads it again).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from eventsourcing.persistence import StoredEvent

from adapters.store.codec import MsgspecMapper
from adapters.store.event_store import PostgresEventStore
from adapters.store.records import LogCursor, RecordedEvent
from adapters.store.wakeup import LogWakeup
from projections.base import Projected, Projection

Key = tuple[LogCursor, int]
"""A batch of the log: the cursor it starts after, and how many events it may hold."""


class SharedBatch:
    """Events after a cursor, as ``read_after`` returns them, decoded on demand: each
    event once, whichever projection asks first."""

    __slots__ = ("_by_type", "_decoded", "_mapper", "events", "held_back")

    def __init__(self, events: list[RecordedEvent], held_back: bool, mapper: MsgspecMapper) -> None:
        self.events = events
        self.held_back = held_back
        self._mapper = mapper
        self._decoded: list[Projected | None] = [None] * len(events)
        self._by_type: dict[str, list[int]] | None = None

    def projected(self, projection: Projection) -> list[Projected]:
        """The events the projection handles, decoded, in log order; the others are
        not decoded for it."""
        if self._by_type is None:  # once per batch: a projection asks per type, not per event
            self._by_type = {}
            for index, record in enumerate(self.events):
                self._by_type.setdefault(record.type, []).append(index)
        chosen = [indices for kind, indices in self._by_type.items() if projection.handles(kind)]
        if len(chosen) == len(self._by_type):
            indices: Iterable[int] = range(len(self.events))
        else:
            indices = sorted(itertools.chain.from_iterable(chosen))
        return [self._projected(index) for index in indices]

    def _projected(self, index: int) -> Projected:
        decoded = self._decoded[index]
        if decoded is None:
            decoded = self._decoded[index] = projected(self._mapper, self.events[index])
        return decoded


def projected_events(
    projection: Projection, mapper: MsgspecMapper, batch: Sequence[RecordedEvent]
) -> list[Projected]:
    """The events of a batch the projection handles, decoded; the others are skipped
    without decoding (for a reader on its own, without a ``SharedLog``)."""
    return [projected(mapper, record) for record in batch if projection.handles(record.type)]


def projected(mapper: MsgspecMapper, record: RecordedEvent) -> Projected:
    """One stored event as a projection sees it."""
    event = mapper.to_domain_event(
        StoredEvent(record.stream_id, record.version, record.type, record.payload)
    )
    return Projected(
        record.position,
        record.transaction_id,
        record.stream_id,
        record.version,
        record.metadata.recorded_at,
        record.metadata.actor_organization_id,
        record.metadata.actor_token_id,
        event,
        type(event).__qualname__,
    )


@dataclass(eq=False)
class _Read:
    key: Key
    future: asyncio.Future[SharedBatch]
    ticket: asyncio.Event | None
    """The wake-up ticket taken as it began: spent once anything is appended."""
    serial: int
    """Order of reading, for dropping the oldest kept batches first."""

    @property
    def final(self) -> bool:
        """Came back full: what every later read at its cursor returns."""
        return (
            self.future.done()
            and not self.future.cancelled()
            and self.future.exception() is None
            and len(self.future.result().events) == self.key[1]
        )

    @property
    def end(self) -> LogCursor:
        return self.future.result().events[-1].cursor

    def current(self) -> bool:
        """Nothing appended since it began (that this process has heard of)."""
        return self.ticket is not None and not self.ticket.is_set()


class SharedLog:
    """The log as read by the followers of one process (``reader()`` for each)."""

    def __init__(
        self,
        store: PostgresEventStore,
        wakeup: LogWakeup | None = None,
        mapper: MsgspecMapper | None = None,
        *,
        window: int = 4,
        kept: int = 16,
        patience: float = 5.0,
    ) -> None:
        self.store = store
        self.wakeup = wakeup
        self.mapper = mapper or MsgspecMapper()
        self.window = window
        self.kept = kept
        self.patience = patience
        self._reads: dict[Key, _Read] = {}
        self._readers: set[SharedReader] = set()
        self._serial = itertools.count()
        self._progress = asyncio.Event()

    def reader(self) -> SharedReader:
        """A follower's way into the shared log; close it when the follower stops.
        Until its first read, everything read is kept for it (up to ``kept`` batches):
        taken before a runner prepares, it lets runners starting together read
        together."""
        reader = SharedReader(self)
        self._readers.add(reader)
        return reader

    async def _read_after(self, reader: SharedReader, key: Key) -> SharedBatch:
        reader.at = key
        self._moved()
        if key not in self._reads:
            await self._room_for(key)
        while True:
            read = self._reads.get(key)
            mine = read is None or (read.future.done() and not read.final)
            if mine:
                read = self._start(key)
            assert read is not None
            # A read this reader began is what a read of its own returns; one it joined
            # must have seen nothing appended since it began (without a wake-up, nothing
            # says so, and only a full batch is taken).
            current = mine or read.current()
            batch = await asyncio.shield(read.future)
            if current or read.final:
                return batch
            # Joined after an append, and it came back short: the append may be missing.

    def _start(self, key: Key) -> _Read:
        ticket = self.wakeup.ticket() if self.wakeup is not None else None
        read = _Read(key, asyncio.ensure_future(self._fetch(key)), ticket, next(self._serial))
        self._reads[key] = read
        read.future.add_done_callback(lambda _: self._came_back(read))
        return read

    async def _fetch(self, key: Key) -> SharedBatch:
        batch = await self.store.read_after(*key)
        return SharedBatch(batch.events, batch.held_back, self.mapper)

    def _came_back(self, read: _Read) -> None:
        if not read.future.cancelled():
            read.future.exception()  # retrieved: a read nobody awaits any more is no error
        self._moved()

    def _leave(self, reader: SharedReader) -> None:
        self._readers.discard(reader)
        self._moved()

    def _moved(self) -> None:
        """A reader moved, came or left, or a read came back: drop the batches no
        reader will ask for, and let a reader waiting for room look again."""
        wanted: set[Key] = set()
        for reader in self._readers:
            wanted.update(self._ahead_of(reader))
        unplaced = any(reader.at is None for reader in self._readers)
        done = sorted(
            (read for read in self._reads.values() if read.future.done()),
            key=lambda read: read.serial,
        )
        kept = [read for read in done if read.final and (unplaced or read.key in wanted)]
        dropped = [read for read in done if read not in kept]
        for read in dropped + kept[: max(0, len(kept) - self.kept)]:
            if self._reads.get(read.key) is read:
                del self._reads[read.key]
        progress, self._progress = self._progress, asyncio.Event()
        progress.set()

    def _ahead_of(self, reader: SharedReader) -> list[Key]:
        """The batches read or being read from where the reader is, one after another."""
        chain: list[Key] = []
        key = reader.at
        while key is not None and (read := self._reads.get(key)) is not None:
            chain.append(key)
            key = (read.end, key[1]) if read.final else None
        return chain

    def _has_room_for(self, key: Key) -> bool:
        """Whether no reader would still be ``window`` kept batches behind ``key``."""
        for reader in self._readers:
            chain = self._ahead_of(reader)
            if len(chain) >= self.window and self._next_after(chain) == key:
                return False
        return True

    def _next_after(self, chain: Sequence[Key]) -> Key:
        last = self._reads[chain[-1]]
        return (last.end, last.key[1]) if last.final else last.key

    async def _room_for(self, key: Key) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.patience):
                while not self._has_room_for(key):
                    await self._progress.wait()


@dataclass(eq=False)
class SharedReader:
    """One follower's reads of a ``SharedLog``: where it reads next says which kept
    batches it will still want."""

    log: SharedLog
    at: Key | None = field(default=None)

    async def read_after(self, cursor: LogCursor, limit: int = 1000) -> SharedBatch:
        return await self.log._read_after(self, (cursor, limit))

    def close(self) -> None:
        self.log._leave(self)

    def __enter__(self) -> SharedReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["SharedBatch", "SharedLog", "SharedReader", "projected", "projected_events"]
