"""Running the relay in a test, and reading what reached the stream."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import nats
from nats.js import api

from adapters.nats.messages import EventMessage, decode
from adapters.nats.relay import RELAY, NatsRelay
from adapters.nats.stream import StreamPolicy
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner, lag
from adapters.store.wakeup import LogWakeup
from projections.audit_index import AuditIndex
from tests.support import stopped

_prefixes = itertools.count(1)


def fresh_policy(session_prefix: str) -> StreamPolicy:
    """A prefix, and so a stream, of the test's own on a shared NATS server."""
    return StreamPolicy(prefix=f"{session_prefix}n{next(_prefixes)}", duplicate_window_seconds=120)


async def drop_stream(nats_url: str, policy: StreamPolicy) -> None:
    client = await nats.connect(nats_url, allow_reconnect=False)
    try:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await client.jetstream().delete_stream(policy.name)
    finally:
        await client.close()


@asynccontextmanager
async def background(*runs: Any) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(run) for run in runs]
    try:
        yield
    finally:
        await stopped(*tasks)


@asynccontextmanager
async def relaying(
    store: PostgresEventStore,
    wakeup: LogWakeup,
    database_url: str,
    nats_url: str,
    policy: StreamPolicy,
    **options: Any,
) -> AsyncIterator[NatsRelay]:
    """The audit index (the relay's routing) and a relay, running until the block ends."""
    index = ProjectionRunner(AuditIndex(), store, wakeup, database_url)
    relay = NatsRelay(store, database_url, nats_url, policy, **options)
    async with background(index.run(), relay.run()):
        yield relay


async def relayed_everything(pool: asyncpg.Pool[Any], within: float = 60.0) -> None:
    """Until the relay's checkpoint is at the end of the log."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with pool.acquire() as connection:
            behind = (await lag(connection, RELAY))["behind_events"]
        if behind == 0:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the relay is still {behind} events behind")
        await asyncio.sleep(0.05)


async def stream_messages(
    nats_url: str, policy: StreamPolicy, subject: str
) -> list[tuple[str, EventMessage]]:
    """Everything the stream holds on ``subject``, in stream order, read by a new consumer
    the way a subscriber would (a filtered consumer delivering from the start)."""
    client = await nats.connect(nats_url, allow_reconnect=False)
    try:
        js = client.jetstream()
        subscription = await js.pull_subscribe(
            subject,
            stream=policy.name,
            config=api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.ALL, ack_policy=api.AckPolicy.NONE
            ),
        )
        received: list[tuple[str, EventMessage]] = []
        while (await subscription.consumer_info()).num_pending:
            for message in await subscription.fetch(500, timeout=5):
                received.append((message.subject, decode(message.data)))
        await subscription.unsubscribe()
        return received
    finally:
        await client.close()
