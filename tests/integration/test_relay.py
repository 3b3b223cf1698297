"""The relay on real PostgreSQL and a real nats-server: subtree subjects, outages, restarts,
one active relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest

from adapters.embedded.nats import EmbeddedNats
from adapters.nats.messages import EventMessage
from adapters.nats.relay import RELAY, NatsRelay
from adapters.nats.stream import StreamPolicy
from adapters.nats.subjects import subtree_subject
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner, lag
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application.access import issue_token
from application.commands import IssueToken, RegisterOrganisation, SubmitReport
from application.organisations import register_organisation
from domain.organisation import Kind, Level
from domain.permissions import Role
from projections.audit_index import AuditIndex, audit_page
from tests.integration.cascade import SINCE, Cascade, as_admin, as_unit, report_task
from tests.integration.relaying import (
    background,
    drop_stream,
    fresh_policy,
    relayed_everything,
    relaying,
    stream_messages,
)

HAI_PHONG = ["btg-tw", "btg-hai-phong"]
BINH_DINH = ["btg-tw", "btg-binh-dinh"]


@pytest.fixture
async def policy(nats_url: str, nats_prefix: str) -> AsyncIterator[StreamPolicy]:
    policy = fresh_policy(nats_prefix)
    yield policy
    await drop_stream(nats_url, policy)


@pytest.fixture
def cascade(store: PostgresEventStore, pool: asyncpg.Pool[Any]) -> Cascade:
    return Cascade(AggregateRepository(store), pool)


async def two_provinces_at_work(cascade: Cascade) -> None:
    """Both provinces issue guidance to units below them; a ward in Hải Phòng reports."""
    await cascade.build_tree()
    day = date(2024, 1, 24)
    issued = await cascade.issue(
        "btg-hai-phong",
        "76-HD/BTGTU",
        day,
        report_task("btg-ngo-quyen", "so-y-te-hai-phong", due=date(2024, 3, 1)),
    )
    await cascade.issue(
        "btg-ngo-quyen", "25-HD/BTGQU", day, report_task("phuong-may-to", due=date(2024, 3, 1))
    )
    await cascade.issue("btg-binh-dinh", "85-HD/BTGTU", day)
    await handle.submit_report(
        SubmitReport(
            assignment_id=issued.tasks[0].assignments[0].id, summary="Q1", effective_on=day
        ),
        as_unit("btg-ngo-quyen", day, Role.REPORTER),
        cascade.aggregates,
    )


async def test_a_province_receives_exactly_its_subtree_and_nothing_of_its_sibling(
    cascade: Cascade,
    store: PostgresEventStore,
    wakeup: LogWakeup,
    pool: asyncpg.Pool[Any],
    database_url: str,
    nats_url: str,
    policy: StreamPolicy,
) -> None:
    async with relaying(store, wakeup, database_url, nats_url, policy):
        await two_provinces_at_work(cascade)
        await relayed_everything(pool)

    hai_phong = await stream_messages(nats_url, policy, subtree_subject(policy.prefix, HAI_PHONG))
    binh_dinh = await stream_messages(nats_url, policy, subtree_subject(policy.prefix, BINH_DINH))
    async with pool.acquire() as connection:
        indexed = await audit_page(connection, subtree="btg-hai-phong", limit=10_000)
        everything = await audit_page(connection, limit=10_000)

    assert [m.position for _, m in hai_phong] == [e.position for e in indexed]
    assert {m.organization_id for _, m in hai_phong} == {
        "btg-hai-phong",
        "btg-ngo-quyen",
        "btg-le-chan",
        "so-y-te-hai-phong",
        "phuong-may-to",
        "phuong-lac-vien",
    }
    assert {m.organization_id for _, m in binh_dinh} == {"btg-binh-dinh"}
    assert not {m.id for _, m in hai_phong} & {m.id for _, m in binh_dinh}
    submitted = [(s, m) for s, m in hai_phong if m.type == "Assignment.Submitted"]
    [(subject, message)] = submitted
    assert (
        subject == f"{policy.prefix}.events.btg-tw.btg-hai-phong.btg-ngo-quyen.AssignmentSubmitted"
    )
    assert message.actor.organization_id == "btg-ngo-quyen"
    ward = [s for s, m in hai_phong if m.organization_id == "phuong-may-to"]
    assert (
        f"{policy.prefix}.events.btg-tw.btg-hai-phong.btg-ngo-quyen.phuong-may-to.AssignmentAssigned"
        in ward
    )
    root = await stream_messages(nats_url, policy, subtree_subject(policy.prefix, ["btg-tw"]))
    assert [m.position for _, m in root] == [e.position for e in everything]


WARD_PARENTS = ("btg-hai-phong", "btg-binh-dinh", "btg-ngo-quyen", "btg-le-chan")


async def register_wards(cascade: Cascade, count: int, start: int = 0) -> None:
    """``count`` wards spread below four units: two events each (the ward, its parent)."""
    for n in range(start, start + count):
        await register_organisation(
            RegisterOrganisation(
                id=f"phuong-{n}",
                name=f"Đảng ủy phường {n}",
                level=Level.GRASSROOTS,
                kind=Kind.GRASSROOTS_PARTY,
                parent_id=WARD_PARENTS[n % len(WARD_PARENTS)],
                effective_on=SINCE,
            ),
            as_admin(SINCE),
            cascade.aggregates,
        )


async def domain_events(pool: asyncpg.Pool[Any]) -> list[tuple[UUID, UUID, int]]:
    """(event id, stream id, position) of every event of the log, in log order."""
    rows = await pool.fetch(
        "SELECT event_id, stream_id, position FROM events ORDER BY transaction_id, position"
    )
    return [(row[0], row[1], row[2]) for row in rows]


def in_log_order_per_stream(messages: list[EventMessage]) -> bool:
    last: dict[UUID, int] = {}
    for message in messages:
        if message.position <= last.get(message.stream_id, 0):
            return False
        last[message.stream_id] = message.position
    return True


async def relay_position(pool: asyncpg.Pool[Any]) -> int:
    return int(
        await pool.fetchval(
            "SELECT coalesce(max(events), 0) FROM projection_checkpoints WHERE name = $1", RELAY
        )
    )


async def test_nats_killed_while_a_thousand_events_are_written_loses_and_repeats_nothing(
    cascade: Cascade,
    store: PostgresEventStore,
    wakeup: LogWakeup,
    pool: asyncpg.Pool[Any],
    database_url: str,
    tmp_path: Path,
) -> None:
    await cascade.build_tree()
    await register_wards(cascade, 200)  # a backlog: the relay starts behind and pipelines
    server = EmbeddedNats(tmp_path / "nats")
    url = server.start()
    policy = fresh_policy("outage")
    try:
        async with relaying(
            store, wakeup, database_url, url, policy, batch_size=100, retry_every=0.2
        ):
            writing = asyncio.create_task(register_wards(cascade, 300, start=200))
            while True:  # killed with publishes in flight
                if await relay_position(pool) >= 150:
                    break
                await asyncio.sleep(0.005)
            server.kill()
            written_at_kill = await store.last_position()
            await asyncio.sleep(1.0)
            async with pool.acquire() as connection:
                assert (await lag(connection, RELAY))["behind_events"] > 0
            assert await store.last_position() > written_at_kill  # writes went on
            server.start()
            await writing
            await relayed_everything(pool)
        received = [m for _, m in await stream_messages(url, policy, f"{policy.prefix}.>")]
    finally:
        server.stop()

    logged = await domain_events(pool)
    assert len(logged) >= 1000
    assert sorted(m.id for m in received) == sorted(event_id for event_id, _, _ in logged)
    assert in_log_order_per_stream(received)
    assert [m.position for m in received] == [position for _, _, position in logged]


async def test_a_relay_that_died_before_its_checkpoint_republishes_without_duplicates(
    cascade: Cascade,
    store: PostgresEventStore,
    wakeup: LogWakeup,
    pool: asyncpg.Pool[Any],
    database_url: str,
    nats_url: str,
    policy: StreamPolicy,
) -> None:
    async with relaying(store, wakeup, database_url, nats_url, policy):
        await two_provinces_at_work(cascade)
        await relayed_everything(pool)
    # What a crash between the acks and the checkpoint leaves: published, not recorded.
    await pool.execute("DELETE FROM projection_checkpoints WHERE name = $1", RELAY)
    await register_wards(cascade, 5)
    async with relaying(store, wakeup, database_url, nats_url, policy):
        await relayed_everything(pool)

    received = [m for _, m in await stream_messages(nats_url, policy, f"{policy.prefix}.>")]
    logged = await domain_events(pool)
    assert [m.id for m in received] == [event_id for event_id, _, _ in logged]


async def test_of_two_relays_one_is_active_and_the_other_takes_over(
    cascade: Cascade,
    store: PostgresEventStore,
    wakeup: LogWakeup,
    pool: asyncpg.Pool[Any],
    database_url: str,
    nats_url: str,
    policy: StreamPolicy,
) -> None:
    index = ProjectionRunner(AuditIndex(), store, wakeup, database_url)
    relays = [NatsRelay(store, database_url, nats_url, policy, standby_poll=0.1) for _ in range(2)]
    runs = {relay: asyncio.create_task(relay.run()) for relay in relays}
    try:
        async with background(index.run()):
            await asyncio.wait(
                [asyncio.ensure_future(relay.active.wait()) for relay in relays],
                timeout=10,
                return_when=asyncio.FIRST_COMPLETED,
            )
            await asyncio.sleep(0.3)  # three standby polls: the other would have got the lock
            [active] = [relay for relay in relays if relay.active.is_set()]
            [standing_by] = [relay for relay in relays if relay is not active]
            await two_provinces_at_work(cascade)
            await relayed_everything(pool)

            runs[active].cancel()
            await asyncio.wait_for(standing_by.active.wait(), 10)
            await register_wards(cascade, 5)
            await relayed_everything(pool)
    finally:
        for run in runs.values():
            run.cancel()
        await asyncio.gather(*runs.values(), return_exceptions=True)

    received = [m for _, m in await stream_messages(nats_url, policy, f"{policy.prefix}.>")]
    assert [m.id for m in received] == [event_id for event_id, _, _ in await domain_events(pool)]


async def test_a_tokens_secret_digest_never_reaches_nats(
    cascade: Cascade,
    store: PostgresEventStore,
    wakeup: LogWakeup,
    pool: asyncpg.Pool[Any],
    database_url: str,
    nats_url: str,
    policy: StreamPolicy,
) -> None:
    await cascade.build_tree()
    command = IssueToken(organization_id="btg-hai-phong", role=Role.REPORTER, label="DMS")
    issued = await issue_token(command, as_admin(SINCE), cascade.aggregates)
    async with relaying(store, wakeup, database_url, nats_url, policy):
        await relayed_everything(pool)

    subject = subtree_subject(policy.prefix, HAI_PHONG)
    [token] = [
        m
        for _, m in await stream_messages(nats_url, policy, subject)
        if m.type == "AccessToken.Issued"
    ]
    data = msgspec.json.decode(token.data)
    assert token.stream_id == issued.id and token.organization_id == "btg-hai-phong"
    assert data["label"] == "DMS"
    assert "secret_digest" not in data
    stored = await pool.fetchval("SELECT payload FROM events WHERE stream_id = $1", issued.id)
    assert b"secret_digest" in stored  # kept in the log, for verification only
