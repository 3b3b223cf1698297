"""``khoagiao serve`` as a user runs it: a real process, real servers, real signals."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from adapters.store.database import create_pool
from adapters.store.event_store import PostgresEventStore
from projections import all_projections
from tests.support import append_to, metadata

KHOAGIAO = str(Path(sys.executable).parent / "khoagiao")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHOAGIAO_")}
    env.update({f"KHOAGIAO_{k.upper()}": v for k, v in settings.items()})
    return env


def health(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_health(process: subprocess.Popen[str], port: int, status: int = 200) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            code, body = health(port)
        except OSError:
            time.sleep(0.2)
            continue
        if code == status:
            return body
        time.sleep(0.2)
    raise AssertionError(f"/health never answered {status}")


def descendants(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = next(line.split()[1] for line in text.splitlines() if line.startswith("PPid:"))
        if int(ppid) == pid:
            child = int(status.parent.name)
            found |= {child} | descendants(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(port: int, **settings: str) -> subprocess.Popen[str]:
        env = environment(data_dir=str(tmp_path / "data"), port=str(port), **settings)
        process = subprocess.Popen(
            [KHOAGIAO, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    if process.wait(timeout=30) != 0:
        raise AssertionError(f"khoagiao serve exited {process.returncode}: {stderr_tail(process)}")


def stderr_tail(process: subprocess.Popen[str]) -> str:
    """The end of what a stopped ``serve`` (and its workers) wrote to stderr."""
    _, err = process.communicate()
    return err[-4000:]


async def test_serve_runs_on_embedded_servers_keeps_data_and_leaves_no_orphans(
    serve: Any, tmp_path: Path
) -> None:
    port = free_port()
    first = serve(port)
    body = wait_for_health(first, port)
    assert body["database"]["connected"] and body["nats"]["connected"]
    assert body["database"]["last_position"] == 0
    runtime = json.loads((tmp_path / "data" / "runtime.json").read_text())
    children = descendants(first.pid)
    assert len(children) >= 2  # the postmaster (and its workers) and nats-server

    pool: asyncpg.Pool[Any] = await create_pool(runtime["database_url"], min_size=1, max_size=2)
    try:
        [position] = await PostgresEventStore(pool).append([append_to(uuid.uuid4(), 0)], metadata())
    finally:
        await pool.close()

    stop(first)
    await asyncio.sleep(0.5)
    assert not [pid for pid in children if alive(pid)], "a server outlived khoagiao serve"
    assert not (tmp_path / "data" / "runtime.json").exists()

    second = serve(port)
    body = wait_for_health(second, port)
    assert body["database"]["last_position"] == position
    assert {p["name"] for p in body["projections"]} == {p.name for p in all_projections()}
    for _ in range(50):  # the runners catch up past the event neither handles
        if all(p["behind_events"] == 0 for p in body["projections"]):
            break
        await asyncio.sleep(0.1)
        body = health(port)[1]
    assert {(p["position"], p["behind_events"]) for p in body["projections"]} == {(position, 0)}
    stop(second)


async def test_health_is_503_while_nats_is_unreachable(serve: Any, database_url: str) -> None:
    port = free_port()
    process = serve(port, database_url=database_url, nats_url=f"nats://127.0.0.1:{free_port()}")
    body = wait_for_health(process, port, status=503)
    assert body["status"] == "degraded"
    assert body["database"]["connected"] is True
    assert body["nats"]["connected"] is False
    stop(process)


def workers_of(process: subprocess.Popen[str]) -> set[int]:
    """The HTTP workers of a ``khoagiao serve``: its children running Python."""
    python = Path(f"/proc/{process.pid}/exe").resolve()
    found = set()
    for pid in descendants(process.pid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/exe").resolve() == python:
                found.add(pid)
    return found


def until_gone(pids: set[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running: {[p for p in pids if alive(p)]}"
        time.sleep(0.1)


def with_workers(
    serve: Any, workers: int, database_url: str, nats_url: str, nats_prefix: str
) -> tuple[Any, int]:
    """``khoagiao serve`` with that many HTTP processes, healthy: it and its port."""
    port = free_port()
    process = serve(
        port,
        database_url=database_url,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        workers=str(workers),
    )
    wait_for_health(process, port)
    return process, port


async def test_workers_share_the_port_and_stop_with_the_service(
    serve: Any, database_url: str, nats_url: str, nats_prefix: str
) -> None:
    process, port = with_workers(serve, 3, database_url, nats_url, nats_prefix)
    workers = workers_of(process)
    assert len(workers) == 2

    # 30 connections at once: the kernel spreads them over the three sockets, so each
    # process answers some (a socket nobody served would leave its connections hanging).
    answers = await asyncio.gather(*(asyncio.to_thread(health, port) for _ in range(30)))
    assert [status for status, _ in answers] == [200] * 30

    stop(process)
    until_gone(workers, seconds=5)


async def test_a_worker_that_dies_stops_the_service(
    serve: Any, database_url: str, nats_url: str, nats_prefix: str
) -> None:
    process, _ = with_workers(serve, 2, database_url, nats_url, nats_prefix)
    (worker,) = workers_of(process)

    os.kill(worker, signal.SIGKILL)

    assert process.wait(timeout=30) == 1
    assert "an HTTP worker exited" in process.communicate()[1]


async def test_workers_stop_when_serve_is_killed_outright(
    serve: Any, database_url: str, nats_url: str, nats_prefix: str
) -> None:
    process, _ = with_workers(serve, 2, database_url, nats_url, nats_prefix)
    workers = workers_of(process)

    process.kill()

    until_gone(workers, seconds=30)


def run_cli(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KHOAGIAO, *args],
        env=environment(**settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "error" in line]
    assert line.startswith("khoagiao: error: ")
    for phrase in phrases:
        assert phrase in line, line


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", data_dir=str(tmp_path), port=str(port))
    assert_one_line_error(result, f"port {port}", "in use", "KHOAGIAO_PORT")


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(
        "serve",
        data_dir=str(tmp_path),
        port=str(free_port()),
        database_url=f"postgresql://postgres:secret@127.0.0.1:{free_port()}/khoagiao",
        nats_url=f"nats://127.0.0.1:{free_port()}",
    )
    assert_one_line_error(result, "cannot reach PostgreSQL", "KHOAGIAO_DATABASE_URL")
    assert "secret" not in result.stderr


def test_a_data_dir_that_cannot_be_used_is_one_clear_line(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("")
    result = run_cli("serve", data_dir=str(occupied / "data"), port=str(free_port()))
    assert_one_line_error(result, str(occupied), "KHOAGIAO_DATA_DIR")


def test_a_bad_setting_names_the_variable() -> None:
    assert_one_line_error(run_cli("serve", port="eighty"), "KHOAGIAO_PORT", "eighty")
    assert_one_line_error(run_cli("serve", log_level="LOUD"), "KHOAGIAO_LOG_LEVEL")
    assert_one_line_error(run_cli("serve", workers="0"), "KHOAGIAO_WORKERS", "between 1 and 64")
