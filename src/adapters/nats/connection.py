"""A NATS connection the service can live without.

The event log is the outbox: when NATS is down, writes go on and the relay catches up
later. So the service never waits for NATS to start, and this link keeps (re)connecting
in the background for as long as the service runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.client import Client

_log = logging.getLogger(__name__)

_CLOSE_WAIT_SECONDS = 5.0


class NatsLink:
    def __init__(self, url: str, *, name: str = "khoagiao", retry_every: float = 1.0) -> None:
        self.url = url
        self._name = name
        self._retry_every = retry_every
        self._client: Client | None = None
        self._connecting: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def client(self) -> Client | None:
        return self._client

    def start(self) -> None:
        if self._connecting is None:
            self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        warned = False
        while True:
            try:
                self._client = await nats.connect(
                    self.url,
                    name=self._name,
                    connect_timeout=2,
                    reconnect_time_wait=1,
                    max_reconnect_attempts=-1,
                    error_cb=self._on_error,
                )
                _log.info("connected to NATS at %s", self.url)
                return
            except (OSError, TimeoutError, nats.errors.Error) as error:
                if not warned:
                    _log.warning("NATS at %s is unreachable (%s); retrying", self.url, error)
                    warned = True
                await asyncio.sleep(self._retry_every)

    async def _on_error(self, error: Exception) -> None:
        _log.debug("NATS: %s", error)

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            # Bounded: nats-py swallows a cancellation that lands while it sends CONNECT,
            # and a link being closed must never hold its owner's shutdown up.
            await asyncio.wait({self._connecting}, timeout=_CLOSE_WAIT_SECONDS)
        if self._client is not None and not self._client.is_closed:
            with contextlib.suppress(Exception):
                await self._client.close()
