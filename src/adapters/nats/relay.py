"""The relay: every fact of the log published to NATS JetStream, on the subject of the unit
it concerns, in log order, none lost.

* **Routing comes from the audit index.** The audit index already records, for every
  domain event, the unit it concerns and that unit's path *when the event happened*; the
  relay reads each event together with its index row, and so follows the log only as
  far as the audit index has got. A trigger (migration 0003) notifies
  ``khoagiao_audit_index`` whenever the index's checkpoint moves, and the relay listens
  on the connection that holds its lock, so it moves the moment the index does. Events
  the index does not hold (not facts of the domain: written by tools or tests) are
  passed over.
* **Pipelined, checkpointed after the acks.** A batch is published without waiting, then
  the relay waits for the acks and moves its checkpoint (``projection_checkpoints``, name
  ``nats_relay``) to the last event of the acknowledged prefix — never past an event whose
  ack is missing. Anything sent but not checkpointed is sent again after a failure, and
  JetStream drops the repeat by its ``Nats-Msg-Id`` within the duplicate window.
* **A connection of its own that never reconnects by itself.** nats-py buffers what is
  published while it reconnects and sends the buffer first once it is back, ahead of the
  messages lost on the dead socket that the relay will republish: out of order. So on any
  failure the relay drops its connection and republishes from the checkpoint on a fresh
  one. What a connection got stored is a prefix of what it sent, so order holds.
* **One active relay.** Like a projection runner it holds a PostgreSQL advisory lock on a
  connection of its own; other instances stand by and take over when that connection (and
  so the lock) dies. While NATS is down the log keeps growing — it is the outbox — and
  the relay retries every ``retry_every`` seconds, then catches up in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck

from adapters.disclosure import served
from adapters.nats.messages import MSG_ID, EventMessage, MessageActor, encode
from adapters.nats.stream import StreamPolicy, ensure_stream
from adapters.nats.subjects import event_subject
from adapters.store.database import Connection, connect
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import checkpoint
from adapters.store.records import LogCursor
from projections.audit_index import AuditIndex

RELAY = "nats_relay"
"""The relay's checkpoint name and advisory lock key."""

_log = logging.getLogger(__name__)

_READ = """
SELECT e.transaction_id, e.position, e.event_id, e.stream_id, e.payload,
       e.actor_organization_id, e.actor_token_id, e.recorded_at,
       a.type, a.organisation, a.path
FROM events e
LEFT JOIN audit_index a ON a.position = e.position
WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
  AND (e.transaction_id, e.position) <= ($3::xid8, $4::bigint)
ORDER BY e.transaction_id, e.position
LIMIT $5
"""

_SAVE = """
INSERT INTO projection_checkpoints (name, transaction_id, position, events, recorded_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name) DO UPDATE SET
    transaction_id = EXCLUDED.transaction_id,
    position = EXCLUDED.position,
    events = projection_checkpoints.events + EXCLUDED.events,
    recorded_at = EXCLUDED.recorded_at,
    updated_at = now()
WHERE (projection_checkpoints.transaction_id, projection_checkpoints.position)
    < (EXCLUDED.transaction_id, EXCLUDED.position)
"""
"""The relay's checkpoint, beside the projections' (so ``lag`` reads it alike); it never
moves back, even if a relay that lost its lock is still finishing a batch."""

INDEX_ADVANCED = "khoagiao_audit_index"
"""Notified by migration 0003's trigger when the audit index commits a batch."""


class NatsUnavailable(Exception):
    """Publishing stopped short: NATS went away, refused, or did not acknowledge in time."""


class LockLost(Exception):
    """The connection holding the relay's advisory lock is gone: another may be active."""


@dataclass(frozen=True)
class Outgoing:
    """One event as the relay sends it; ``message`` is None for an event it passes over."""

    cursor: LogCursor
    subject: str
    message: EventMessage | None
    recorded_at: datetime


class NatsRelay:
    def __init__(
        self,
        store: PostgresEventStore,
        dsn: str,
        nats_url: str,
        policy: StreamPolicy,
        *,
        batch_size: int = 1000,
        standby_poll: float = 1.0,
        retry_every: float = 1.0,
        ack_timeout: float = 10.0,
        safety_poll: float = 1.0,
    ) -> None:
        self.store = store
        self.dsn = dsn
        self.nats_url = nats_url
        self.policy = policy
        self.batch_size = batch_size
        self.standby_poll = standby_poll
        self.retry_every = retry_every
        self.ack_timeout = ack_timeout
        self.safety_poll = safety_poll
        self.active = asyncio.Event()
        """Set while this relay holds the lock and relays."""
        self._index_advanced = asyncio.Event()

    async def run(self) -> None:
        """Forever: wait for the lock, then relay; start over after losing the database."""
        while True:
            try:
                await self._run_locked()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, LockLost) as error:
                _log.warning("relay: database connection lost (%s); starting over", error)
                await asyncio.sleep(self.retry_every)

    async def _run_locked(self) -> None:
        lock = await connect(self.dsn)
        try:
            await self._stand_by_until_locked(lock)
            await lock.add_listener(INDEX_ADVANCED, self._on_index_advanced)
            self.active.set()
            _log.info("relay: active, publishing to stream %s", self.policy.name)
            warned = False
            while True:
                try:
                    await self._session(lock)
                except (OSError, TimeoutError, nats.errors.Error, NatsUnavailable) as error:
                    if not warned:
                        _log.warning("relay: NATS unavailable (%s); the log keeps events", error)
                        warned = True
                    await asyncio.sleep(self.retry_every)
        finally:
            self.active.clear()
            with contextlib.suppress(Exception):
                await lock.close()

    def _on_index_advanced(self, *_: object) -> None:
        advanced, self._index_advanced = self._index_advanced, asyncio.Event()
        advanced.set()

    async def _stand_by_until_locked(self, lock: Connection) -> None:
        """A lock can only be polled for: PostgreSQL says nothing when one is freed."""
        while True:
            if await lock.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", RELAY):
                return
            await asyncio.sleep(self.standby_poll)

    async def _session(self, lock: Connection) -> None:
        """One connection to NATS, relaying until it fails."""
        lost = asyncio.Event()

        async def gone() -> None:
            lost.set()

        async def failed(error: Exception) -> None:
            _log.debug("relay: NATS: %s", error)

        client: Client = await nats.connect(
            self.nats_url,
            name="khoagiao-relay",
            allow_reconnect=False,
            connect_timeout=2,
            disconnected_cb=gone,
            closed_cb=gone,
            error_cb=failed,
        )
        try:
            js = client.jetstream(publish_async_max_pending=2 * self.batch_size)
            await ensure_stream(js, self.policy)
            async with self.store.pool.acquire() as connection:
                cursor = await checkpoint(connection, RELAY)
            _log.info("relay: connected to NATS, relaying after position %d", cursor.position)
            await self._follow(js, lost, lock, cursor)
        finally:
            with contextlib.suppress(Exception):
                await client.close()

    async def _follow(
        self, js: JetStreamContext, lost: asyncio.Event, lock: Connection, cursor: LogCursor
    ) -> None:
        """Relay what the index holds, then wait for it to move on (or ``safety_poll``
        seconds: a notification lost while a connection was down delays, never loses)."""
        while True:
            if lock.is_closed():
                raise LockLost("the advisory lock's connection closed")
            advanced = self._index_advanced
            batch = await self._read(cursor)
            if batch:
                cursor = await self._publish(js, lost, batch)
            if len(batch) < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.safety_poll):  # not wait_for: see LogWakeup
                        await advanced.wait()

    async def _read(self, cursor: LogCursor) -> list[Outgoing]:
        """Events after ``cursor`` as far as the audit index holds them."""
        async with self.store.pool.acquire() as connection:
            bound = await checkpoint(connection, AuditIndex.name)
            if bound <= cursor:
                return []
            rows = await connection.fetch(_READ, *cursor, *bound, self.batch_size)
        return [self._outgoing(row) for row in rows]

    def _outgoing(self, row: asyncpg.Record) -> Outgoing:
        cursor = LogCursor(row[0], row[1])
        if row["type"] is None:
            return Outgoing(cursor, "", None, row["recorded_at"])
        message = EventMessage(
            id=row["event_id"],
            position=row["position"],
            type=row["type"],
            stream_id=row["stream_id"],
            organization_id=row["organisation"],
            actor=MessageActor(row["actor_organization_id"], row["actor_token_id"]),
            recorded_at=row["recorded_at"],
            data=served(row["type"], row["payload"]),
        )
        subject = event_subject(self.policy.prefix, row["path"] or (), row["type"])
        return Outgoing(cursor, subject, message, row["recorded_at"])

    async def _publish(
        self, js: JetStreamContext, lost: asyncio.Event, batch: list[Outgoing]
    ) -> LogCursor:
        """Send the batch without waiting, then checkpoint the acknowledged prefix."""
        acks: list[asyncio.Future[PubAck] | None] = []
        failure: Exception | None = None
        try:
            for event in batch:
                if event.message is None:
                    acks.append(None)
                    continue
                acks.append(
                    await js.publish_async(
                        event.subject,
                        encode(event.message),
                        headers={MSG_ID: str(event.message.id)},
                    )
                )
        except (OSError, nats.errors.Error) as error:
            failure = error
        done = await self._acknowledged(acks, lost)
        if done:
            await self._save(batch[:done])
        if done < len(batch):
            raise NatsUnavailable(
                f"{len(batch) - done} of {len(batch)} events not acknowledged"
                + (f" ({failure})" if failure else "")
            ) from failure
        return batch[-1].cursor

    async def _acknowledged(
        self, acks: list[asyncio.Future[PubAck] | None], lost: asyncio.Event
    ) -> int:
        """How many leading events of the batch are safely in the stream."""
        pending = [ack for ack in acks if ack is not None]
        if pending:
            everything = asyncio.gather(*pending, return_exceptions=True)
            disconnected = asyncio.ensure_future(lost.wait())
            either: set[asyncio.Future[Any]] = {everything, disconnected}
            await asyncio.wait(
                either,
                timeout=self.ack_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            disconnected.cancel()
            if not everything.done():
                everything.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await everything
        done = 0
        for ack in acks:
            if ack is not None and (ack.cancelled() or ack.exception() is not None):
                break
            done += 1
        return done

    async def _save(self, relayed: list[Outgoing]) -> None:
        last = relayed[-1]
        async with self.store.pool.acquire() as connection:
            await connection.execute(
                _SAVE,
                RELAY,
                last.cursor.transaction_id,
                last.cursor.position,
                len(relayed),
                last.recorded_at,
            )
