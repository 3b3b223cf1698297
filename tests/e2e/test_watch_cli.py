"""``khoagiao watch`` as a commissioner runs it: a real process reading a durable consumer,
against KHOAGIAO_NATS_URL and against a running ``khoagiao serve``."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest

from adapters.nats.stream import ensure_stream
from adapters.store.event_store import PostgresEventStore
from adapters.store.projection_runner import ProjectionRunner
from adapters.store.repository import AggregateRepository
from adapters.store.wakeup import LogWakeup
from application import assignments as handle
from application.commands import ReturnSubmission
from projections.audit_index import audit_page
from projections.organisation_tree import OrganisationTree
from tests.e2e.test_serve import (
    KHOAGIAO,
    assert_one_line_error,
    environment,
    free_port,
    health,
    run_cli,
    serve,
    stop,
    wait_for_health,
)
from tests.integration.cascade import Cascade, as_unit
from tests.integration.relaying import (
    drop_stream,
    fresh_policy,
    relayed_everything,
    relaying,
)
from tests.integration.test_relay import two_provinces_at_work

__all__ = ["serve"]  # the fixture, shared with test_serve

RETURNED_ON = date(2024, 2, 5)


@asynccontextmanager
async def watching(*args: str, **settings: str) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        KHOAGIAO,
        "watch",
        *args,
        env=environment(**settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def lines(process: asyncio.subprocess.Process, count: int) -> list[str]:
    assert process.stdout is not None
    read = []
    for _ in range(count):
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line:
            assert process.stderr is not None
            raise AssertionError((await process.stderr.read()).decode())
        read.append(line.decode().rstrip("\n"))
    return read


async def interrupted(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGINT)
    return await asyncio.wait_for(process.wait(), 30)


async def a_report_is_returned(cascade: Cascade) -> None:
    issued = cascade.documents["76-HD/BTGTU"]
    await handle.return_submission(
        ReturnSubmission(
            assignment_id=issued.tasks[0].assignments[0].id,
            reason="Thiếu số liệu",
            effective_on=RETURNED_ON,
        ),
        as_unit("btg-hai-phong", RETURNED_ON),
        cascade.aggregates,
    )


async def test_watch_prints_a_subtree_in_words_and_a_restart_resumes(
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
    nats_url: str,
    nats_prefix: str,
    tmp_path: Path,
) -> None:
    cascade = Cascade(AggregateRepository(store), pool)
    policy = fresh_policy(nats_prefix)
    settings = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_prefix": policy.prefix,
        "data_dir": str(tmp_path),
    }
    try:
        async with relaying(store, wakeup, database_url, nats_url, policy):
            await two_provinces_at_work(cascade)
            await ProjectionRunner(OrganisationTree(), store, wakeup, database_url).catch_up()
            await relayed_everything(pool)
            async with pool.acquire() as connection:
                below = await audit_page(connection, subtree="btg-hai-phong", limit=1000)
                sibling = await audit_page(connection, subtree="btg-binh-dinh", limit=1000)

            async with watching("btg-hai-phong", "--since", "0", **settings) as first:
                printed = await lines(first, len(below))
                assert await interrupted(first) == 130

            await a_report_is_returned(cascade)
            await relayed_everything(pool)
            async with watching("btg-hai-phong", **settings) as resumed:
                [after_restart] = await lines(resumed, 1)
                await interrupted(resumed)
            async with watching("btg-binh-dinh", "--since", "0", "--json", **settings) as raw:
                messages = [json.loads(line) for line in await lines(raw, len(sibling))]
    finally:
        await drop_stream(nats_url, policy)

    assert (
        "24/01/2024 09:00  Ban Tuyên giáo Quận ủy Ngô Quyền (btg-ngo-quyen)  "
        "gửi báo cáo kỳ 2024 (ngày 24/01/2024): Q1"
    ) in printed
    assert (
        "24/01/2024 09:00  Ban Tuyên giáo Thành ủy Hải Phòng (btg-hai-phong)  "
        "ban hành văn bản 76-HD/BTGTU: Hướng dẫn 76-HD/BTGTU"
    ) in printed
    assert (
        "24/01/2024 09:00  Đảng ủy phường Máy Tơ (phuong-may-to)  "
        "được giao nhiệm vụ «Báo cáo kết quả» kỳ 2024, hạn 01/03/2024"
    ) in printed
    assert not [line for line in printed if "Bình Định" in line]
    assert after_restart == (
        "05/02/2024 09:00  Ban Tuyên giáo Quận ủy Ngô Quyền (btg-ngo-quyen)  "
        "báo cáo bị btg-hai-phong trả lại: Thiếu số liệu"
    )
    assert [(m["position"], m["type"]) for m in messages] == [(e.position, e.type) for e in sibling]
    [issued] = [m for m in messages if m["type"] == "Document.Issued"]
    assert issued["organization_id"] == "btg-binh-dinh"
    assert issued["data"]["number"] == "85-HD/BTGTU"


async def test_watch_joins_a_running_serve_through_its_runtime_file(
    serve: Any,
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    database_url: str,
    nats_prefix: str,
    tmp_path: Path,
) -> None:
    settings = {
        "database_url": database_url,
        "nats_prefix": fresh_policy(nats_prefix).prefix,
        "data_dir": str(tmp_path / "data"),  # the serve fixture's data directory
    }
    port = free_port()
    service = serve(port, **{k: v for k, v in settings.items() if k != "data_dir"})
    wait_for_health(service, port)  # on an embedded NATS in the data directory
    await two_provinces_at_work(Cascade(AggregateRepository(store), pool))
    await relayed_everything(pool)  # by the service's relay
    async with pool.acquire() as connection:
        below = await audit_page(connection, subtree="btg-ngo-quyen", limit=1000)
    async with watching("btg-ngo-quyen", "--since", "0", **settings) as watcher:
        printed = await lines(watcher, len(below))
    relay = health(port)[1]["relay"]
    stop(service)

    unit = "Ban Tuyên giáo Quận ủy Ngô Quyền"
    assert printed[0].endswith(f"{unit} (btg-ngo-quyen)  được đăng ký: {unit}")
    assert f"24/01/2024 09:00  {unit} (btg-ngo-quyen)  ban hành văn bản 25-HD/BTGQU: " in "\n".join(
        printed
    )
    assert relay == {
        "name": "nats_relay",
        "position": await store.last_position(),
        "behind_events": 0,
        "behind_seconds": 0.0,
    }


async def test_watch_waits_on_an_empty_stream_and_prints_events_as_they_come(
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
    nats_url: str,
    nats_prefix: str,
    tmp_path: Path,
) -> None:
    policy = fresh_policy(nats_prefix)
    settings = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_prefix": policy.prefix,
        "data_dir": str(tmp_path),
    }
    await Cascade(AggregateRepository(store), pool).build_tree()
    await ProjectionRunner(OrganisationTree(), store, wakeup, database_url).catch_up()
    nowhere = await asyncio.to_thread(run_cli, "watch", "btg-hai-phong", **settings)
    assert_one_line_error(nowhere, f"no stream {policy.name}", "KHOAGIAO_NATS_PREFIX")
    client = await nats.connect(nats_url)
    await ensure_stream(client.jetstream(), policy)  # empty: the relay has not run yet
    await client.close()
    try:
        async with watching("btg-hai-phong", "--since", "0", **settings) as watcher:
            await asyncio.sleep(1)  # it waits on the empty stream
            async with relaying(store, wakeup, database_url, nats_url, policy):
                printed = await lines(watcher, 3)
    finally:
        await drop_stream(nats_url, policy)

    province, district = "Ban Tuyên giáo Thành ủy Hải Phòng", "Ban Tuyên giáo Quận ủy Ngô Quyền"
    assert printed == [
        f"01/01/2020 09:00  {province} (btg-hai-phong)  được đăng ký: {province}",
        f"01/01/2020 09:00  {district} (btg-ngo-quyen)  được đăng ký: {district}",
        f"01/01/2020 09:00  {province} (btg-hai-phong)  có đơn vị trực thuộc mới: btg-ngo-quyen",
    ]


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (("nowhere",), ("no organisation 'nowhere'",)),
        (("btg-tw", "--since", "999999"), ("--since 999999", "no event")),
    ],
)
async def test_watch_refuses_what_it_cannot_follow_in_one_line(
    store: PostgresEventStore,
    pool: asyncpg.Pool[Any],
    wakeup: LogWakeup,
    database_url: str,
    nats_url: str,
    tmp_path: Path,
    args: tuple[str, ...],
    phrases: tuple[str, ...],
) -> None:
    await Cascade(AggregateRepository(store), pool).build_tree()
    await ProjectionRunner(OrganisationTree(), store, wakeup, database_url).catch_up()
    result = await asyncio.to_thread(
        run_cli,
        "watch",
        *args,
        database_url=database_url,
        nats_url=nats_url,
        data_dir=str(tmp_path),
    )
    assert_one_line_error(result, *phrases)


def test_watch_without_nats_says_how_to_get_one(database_url: str, tmp_path: Path) -> None:
    result = run_cli("watch", "btg-tw", database_url=database_url, data_dir=str(tmp_path))
    assert_one_line_error(result, "no NATS to watch", "KHOAGIAO_NATS_URL")
