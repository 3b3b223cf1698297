"""Answers kept while the views they were read from stand still.

A dashboard reads the same unit's compliance again and again, and between two writes
the answer cannot change: it is a function of the views' rows and of the day it is
judged on. A view's rows change only in a transaction that also writes the view's
checkpoint row (a runner applying a batch, a rebuild swapping its tables in), so the
checkpoint row as last written — the id of the transaction that wrote it (``xmin``) and
its start time (``updated_at``) — stands for the rows. An answer is kept with those of
its views, and reused only by a request that has just read the same from the database
(``ViewStamps``, one statement for all the requests that came while the last one was
out): the moment a view applies an event — any event — or is rebuilt, its answers are
recomputed. The units' paths, for the sight check, are kept the same way.

An answer computed after reading the checkpoints may include rows that committed in
between (the statements do not share a snapshot, as before the cache): it is then never
older than what the request read and never newer than the database.

Each process keeps its own answers, at most ``limit`` bytes of them: past that they are
all forgotten at once, which costs one recomputation each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence
from typing import Any

import asyncpg

_LIMIT_BYTES = 64 * 1024 * 1024


class Answers:
    def __init__(self, *, limit: int = _LIMIT_BYTES) -> None:
        self._limit = limit
        self._kept: dict[Hashable, tuple[Hashable, bytes]] = {}
        self._bytes = 0

    def get(self, question: Hashable, views: Hashable) -> bytes | None:
        """The answer to ``question`` if it was read at exactly ``views``."""
        kept = self._kept.get(question)
        return kept[1] if kept is not None and kept[0] == views else None

    def put(self, question: Hashable, views: Hashable, answer: bytes) -> None:
        replaced = self._kept.pop(question, None)
        if replaced is not None:
            self._bytes -= len(replaced[1])
        if self._bytes + len(answer) > self._limit:
            self._kept.clear()
            self._bytes = 0
        self._kept[question] = (views, answer)
        self._bytes += len(answer)


class ViewStamps:
    """Where some views' checkpoint rows stand (``xmin`` and ``updated_at`` of each), read
    once for many requests.

    Every request that may answer from what is kept must first read where the views
    stand, and under load that read was most of a kept answer's cost (a pooled
    connection and a round trip each). Here at most one such read is at the server at a
    time; requests that arrive meanwhile wait for the next one, which is sent after they
    arrived — so no request gets stamps older than its own arrival (what one read of its
    own would have given it), and one statement serves all who came during the last.
    """

    def __init__(self, views: Sequence[str]) -> None:
        self._views = sorted(views)
        self._next: asyncio.Future[Stamps] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def read(self, pool: asyncpg.Pool[Any]) -> Stamps:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_for_waiters(pool))
        return await asyncio.shield(self._next)

    async def _read_for_waiters(self, pool: asyncpg.Pool[Any]) -> None:
        try:
            while self._next is not None:
                waiting, self._next = self._next, None
                try:
                    stamps = await pool.fetchval(_STAMPS, self._views)
                except asyncio.CancelledError:
                    waiting.cancel()
                    raise
                except Exception as error:  # handed to every request waiting on it
                    waiting.set_exception(error)
                else:
                    waiting.set_result(tuple(stamps))
        finally:
            self._reader = None


Stamps = tuple[str, ...]

_STAMPS = """
SELECT array(
    SELECT c.xmin::text || ' ' || c.updated_at::text FROM projection_checkpoints c
    WHERE c.name = ANY($1::text[]) ORDER BY c.name
)
"""
