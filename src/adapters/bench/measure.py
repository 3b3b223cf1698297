"""Timing W concurrent writers × N appends each, whatever client does the appending.

Every variant of a workload goes through the same driver so that the figures differ only
by what one append costs: the warm-up, the start line and the stopwatch are shared. A
writer is "run this many appends back to back"; asyncio clients loop on the event loop,
synchronous clients loop inside one worker thread each (a thread hop per append would
charge them for our harness rather than for their own design).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor

Writer = Callable[[int], Awaitable[None]]
"""Runs the given number of appends one after another, each to the writer's own stream."""


def looping(append: Callable[[], Awaitable[None]]) -> Writer:
    """A writer for an asyncio client: the appends are awaited in turn on the event loop."""

    async def run(appends: int) -> None:
        for _ in range(appends):
            await append()

    return run


def threaded(append: Callable[[], None], executor: Executor) -> Writer:
    """A writer for a blocking client: the whole loop runs in one thread of ``executor``."""

    def loop(appends: int) -> None:
        for _ in range(appends):
            append()

    async def run(appends: int) -> None:
        await asyncio.get_running_loop().run_in_executor(executor, loop, appends)

    return run


async def timed_appends(writers: Sequence[Writer], appends: int) -> float:
    """Seconds for every writer to make ``appends`` appends, all writers at once."""
    started = time.perf_counter()
    await asyncio.gather(*(writer(appends) for writer in writers))
    return time.perf_counter() - started


async def interleaved(
    variants: Mapping[str, Sequence[Writer]], appends: int, *, warmup: int, rounds: int
) -> dict[str, float]:
    """Seconds each variant's writers took to make ``appends`` appends apiece.

    Every variant is warmed up first (connections opened, statements prepared, streams
    created: ``warmup`` untimed appends per writer). The timed appends are then cut into
    ``rounds`` slices taken by the variants in turn, the first to go changing each round,
    so that a disturbance of the machine (autovacuum, a checkpoint, a noisy neighbour)
    is shared out instead of landing on whichever variant happened to be running.
    """
    for writers in variants.values():
        if warmup:
            await asyncio.gather(*(writer(warmup) for writer in writers))
    names = list(variants)
    seconds = dict.fromkeys(names, 0.0)
    for turn, share in enumerate(_shares(appends, rounds)):
        first = turn % len(names)
        for name in names[first:] + names[:first]:
            seconds[name] += await timed_appends(variants[name], share)
    return seconds


def _shares(total: int, parts: int) -> list[int]:
    """``total`` cut into at most ``parts`` near-equal positive slices."""
    parts = max(1, min(parts, total))
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")
