"""Waking followers of the log the moment something is appended.

Two paths, because followers live in this process and in others:

* in this process, an append wakes waiting followers directly, with no round trip;
* across processes, PostgreSQL LISTEN/NOTIFY on ``khoagiao_events``.

The NOTIFY is sent *after* the append commits, from a separate connection, coalesced
(at most one in flight, one more if appends happened meanwhile). Sending it inside the
appending transaction would be simpler, but PostgreSQL serialises the commits of all
notifying transactions behind one lock, which costs concurrent writers their group
commit. Followers also poll at a slow safety interval, so a lost notification (a
listener reconnecting) delays an event, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from adapters.store.database import connect

CHANNEL = "khoagiao_events"
_log = logging.getLogger(__name__)


class LogWakeup:
    def __init__(self, pool: asyncpg.Pool[Any], dsn: str) -> None:
        self._pool = pool
        self._dsn = dsn
        self._event = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._again = False
        self._listener: asyncpg.Connection[Any] | None = None
        self._closed = False

    # -- waiting -----------------------------------------------------------------
    def ticket(self) -> asyncio.Event:
        """Take before reading the log; ``wait(ticket)`` then returns at once if an
        append happened in between, so no wake-up falls into the gap."""
        return self._event

    async def wait(self, ticket: asyncio.Event, within: float) -> None:
        """Until an append after ``ticket`` was taken, or ``within`` seconds."""
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a cancellation that
        # arrives as the event is set, and the follower's task then never stops.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await ticket.wait()

    def _wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    # -- signalling --------------------------------------------------------------
    def appended(self) -> None:
        """Called after an append committed: wake local followers, tell other processes."""
        self._wake()
        if self._closed:
            return
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._notify())
        else:
            self._again = True

    async def _notify(self) -> None:
        try:
            while True:
                self._again = False
                async with self._pool.acquire() as connection:
                    await connection.execute("SELECT pg_notify($1, '')", CHANNEL)
                if not self._again:
                    return
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            _log.warning("could not notify other processes of new events: %s", error)

    # -- listening ---------------------------------------------------------------
    async def listen(self) -> None:
        """Start receiving other processes' notifications (idempotent)."""
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await connect(self._dsn)
        await self._listener.add_listener(CHANNEL, self._on_notification)

    def _on_notification(self, *_: object) -> None:
        self._wake()

    async def close(self) -> None:
        self._closed = True
        if self._sender is not None:
            with contextlib.suppress(Exception):
                await self._sender
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
