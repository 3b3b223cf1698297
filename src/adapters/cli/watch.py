"""``khoagiao watch <organisation> [--since POSITION] [--json]``: the events at and below an
organisation, live, one line each (or the raw messages).

It reads through a durable JetStream consumer named after the organisation
(``watch-<id>``), acknowledging each message once printed, so a restart resumes where the
last run stopped. ``--since`` starts over after a given log position; a first run without
it starts with the next event. The database supplies the organisation's path (its
subject) and unit names; NATS is the running ``khoagiao serve``'s (``runtime.json``) or
``KHOAGIAO_NATS_URL``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from adapters.nats.messages import decode
from adapters.nats.notices import notice
from adapters.nats.subjects import durable_name, stream_name, subtree_subject
from adapters.store.event_store import PostgresEventStore, UnknownPosition
from adapters.store.records import LogCursor
from khoagiao.config import ConfigError, Settings
from khoagiao.runtime import ServiceUnavailable, endpoints
from khoagiao.services import open_database
from projections.organisation_tree import path_on

_FEED = "GET /api/v1/feed?after={}"
_STREAM_NOT_FOUND = 10059  # JetStream's error code; 10014 is "consumer not found"


def watch(settings: Settings, organisation: str, *, since: int | None, as_json: bool) -> int:
    if since is not None and since < 0:
        raise ConfigError(f"--since {since}: a log position is 0 or more")
    with endpoints(settings, nats=False) as found:
        if found.nats_url is None:
            raise ServiceUnavailable(
                "no NATS to watch: start `khoagiao serve` on this data directory "
                "(KHOAGIAO_DATA_DIR) or set KHOAGIAO_NATS_URL"
            )
        asyncio.run(
            _watch(
                found.database_url,
                found.nats_url,
                settings.nats_prefix,
                organisation,
                since,
                as_json,
            )
        )
    return 0


async def _watch(
    database_url: str,
    nats_url: str,
    prefix: str,
    organisation: str,
    since: int | None,
    as_json: bool,
) -> None:
    async with open_database(database_url) as pool:
        store = PostgresEventStore(pool)
        async with pool.acquire() as connection:
            path = await path_on(connection, organisation)
            names = await _names(connection, organisation)
        if not path:
            raise ConfigError(
                f"no organisation {organisation!r}: give an organisation id, e.g. btg-hai-phong"
            )
        try:
            start = await store.cursor_at(since) if since is not None else None
        except UnknownPosition:
            raise ConfigError(f"--since {since}: no event is stored at that position") from None
        client = await _connect(nats_url)
        try:
            js = client.jetstream()
            subscription = await _subscription(js, store, prefix, organisation, path, start)
            while True:
                await _print_next(client, subscription, names, as_json, pool)
        finally:
            with contextlib.suppress(Exception):
                await client.close()


async def _names(connection: Any, organisation: str) -> dict[str, str]:
    rows = await connection.fetch(
        "SELECT id, name FROM org_units WHERE path @> ARRAY[$1::text]", organisation
    )
    return {row["id"]: row["name"] for row in rows}


async def _connect(url: str) -> Client:
    try:
        return await nats.connect(url, name="khoagiao-watch", max_reconnect_attempts=-1)
    except (OSError, TimeoutError, nats.errors.Error) as error:
        raise ServiceUnavailable(
            f"cannot reach NATS at {url} ({error or type(error).__name__}): start it, or "
            "`khoagiao serve`, or fix KHOAGIAO_NATS_URL"
        ) from None


async def _subscription(
    js: JetStreamContext,
    store: PostgresEventStore,
    prefix: str,
    organisation: str,
    path: list[str],
    start: LogCursor | None,
) -> JetStreamContext.PullSubscription:
    """The organisation's durable consumer: kept as it is to resume, made anew from
    ``start`` (or, on a first run, from the next event)."""
    stream, durable, subject = (
        stream_name(prefix),
        durable_name(organisation),
        subtree_subject(prefix, path),
    )
    try:
        existing = await js.consumer_info(stream, durable)
    except NotFoundError as error:
        if error.err_code == _STREAM_NOT_FOUND:
            raise ServiceUnavailable(
                f"NATS has no stream {stream}: no relay has published there yet; is "
                f"`khoagiao serve` running with KHOAGIAO_NATS_PREFIX={prefix}?"
            ) from None
        existing = None
    if existing is not None and existing.config.filter_subject != subject:
        print(
            f"khoagiao: {organisation} has moved in the tree: following {subject} from now on",
            file=sys.stderr,
        )
        await js.delete_consumer(stream, durable)
        existing = None
    elif existing is not None and start is not None:
        await js.delete_consumer(stream, durable)
        existing = None
    if existing is None:
        config = api.ConsumerConfig(
            name=durable,
            durable_name=durable,
            filter_subject=subject,
            ack_policy=api.AckPolicy.EXPLICIT,
            deliver_policy=api.DeliverPolicy.NEW,
        )
        if start is not None:
            config.deliver_policy = api.DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = await _first_after(js, store, stream, start)
        await js.add_consumer(stream, config)
    return await js.pull_subscribe_bind(durable=durable, stream=stream)


async def _first_after(
    js: JetStreamContext, store: PostgresEventStore, stream: str, start: LogCursor
) -> int:
    """The stream sequence of the first message after ``start`` in log order (the relay
    publishes in log order, so a binary search finds it). Warns when the stream no
    longer holds everything after ``start``."""
    state = (await js.stream_info(stream)).state
    if not state.messages:
        return state.last_seq + 1
    low, high = state.first_seq, state.last_seq + 1
    while low < high:
        middle = (low + high) // 2
        if await _cursor_of(js, store, stream, middle) <= start:
            low = middle + 1
        else:
            high = middle
    if low == state.first_seq and state.first_seq > 1:
        print(
            f"khoagiao: events after position {start.position} older than the stream's "
            f"retention are no longer in NATS; read them from "
            f"{_FEED.format(start.position)}",
            file=sys.stderr,
        )
    return low


async def _cursor_of(
    js: JetStreamContext, store: PostgresEventStore, stream: str, sequence: int
) -> LogCursor:
    message = await js.get_msg(stream, sequence)
    position = decode(message.data or b"").position
    try:
        return await store.cursor_at(position)
    except UnknownPosition:
        raise ServiceUnavailable(
            f"stream {stream} holds an event at position {position} this database does not "
            "have: does another deployment share KHOAGIAO_NATS_PREFIX?"
        ) from None


async def _print_next(
    client: Client,
    subscription: JetStreamContext.PullSubscription,
    names: dict[str, str],
    as_json: bool,
    pool: Any,
) -> None:
    """Print what has arrived, then acknowledge it (a restart may repeat a line, never
    skip one)."""
    try:
        messages = await subscription.fetch(256, timeout=5)
    except nats.errors.TimeoutError:
        return
    except nats.errors.Error:
        await asyncio.sleep(1)  # reconnecting
        return
    for message in messages:
        if as_json:
            print(message.data.decode())
            continue
        event = decode(message.data)
        unit = event.organization_id
        if unit is not None and unit not in names:
            async with pool.acquire() as connection:
                names.update(await _names(connection, unit))
        print(notice(event, names))
    sys.stdout.flush()
    for message in messages:
        await message.ack()
    await client.flush()
