"""Answers kept while the views they were read from stand still.

A dashboard reads the same unit's compliance again and again, and between two writes
the answer cannot change: it is a function of the views' rows and of the day it is
judged on. A view's rows change only in a transaction that also writes the view's
checkpoint row (a runner applying a batch, a rebuild swapping its tables in), so the
checkpoint row as last written — the id of the transaction that wrote it (``xmin``) and
its start time (``updated_at``) — stands for the rows. An answer is kept with those of
its views, and reused only by a request that has just read the same from the database
(one indexed statement, which also brings the unit's path for the sight check): the
moment a view applies an event — any event — or is rebuilt, its answers are recomputed.

An answer computed after reading the checkpoints may include rows that committed in
between (the statements do not share a snapshot, as before the cache): it is then never
older than what the request read and never newer than the database.

Each process keeps its own answers, at most ``limit`` bytes of them: past that they are
all forgotten at once, which costs one recomputation each.
"""

from __future__ import annotations

from collections.abc import Hashable

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
