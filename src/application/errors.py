"""Errors the write path raises whatever the storage behind it."""

from __future__ import annotations

from uuid import UUID


class ConcurrencyError(Exception):
    """Another writer appended to a stream since it was read (optimistic concurrency).

    Nothing of the refused append was stored; the caller may reload and retry.
    """

    code = "stale_version"

    def __init__(self, stream_id: UUID, expected: int, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id} is at version {actual}, not the expected {expected}: "
            "it changed since it was read; reload and retry"
        )
