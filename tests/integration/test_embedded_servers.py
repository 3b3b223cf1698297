"""The embedded PostgreSQL and NATS servers: real processes in a temporary data directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js.api import StorageType

from adapters.embedded import EmbeddedNats, EmbeddedPostgres, EmbeddedServerError

SRC = Path(__file__).resolve().parents[2] / "src"


def _with_src_on_path() -> dict[str, str]:
    """The environment for a child Python that imports the project from ``src``."""
    paths = [str(SRC), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}


def is_running(pid: int) -> bool:
    """Alive and not a zombie (an orphan reparented to a PID 1 that never reaps stays one)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    pids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(child) for child in (task / "children").read_text().split()]
    return pids


def _pid_of_a_finished_process() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """The pids still running after waiting up to ``timeout`` seconds for all to exit."""
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid in pids if is_running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


async def test_postgres_keeps_rows_across_a_restart_and_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path)
    dsn = server.start()
    pid = server.pid
    assert pid is not None
    backends = children(pid)
    assert backends  # checkpointer, walwriter, ...: they must go too

    connection = await asyncpg.connect(dsn)
    try:
        assert await connection.fetchval("SELECT current_database()") == "khoagiao"
        assert await connection.fetchval("SHOW listen_addresses") == ""  # no TCP at all
        await connection.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
        await connection.execute("INSERT INTO notes VALUES (1, 'kept')")
    finally:
        await connection.close()
    server.stop()
    server.stop()  # idempotent

    assert server.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert wait_gone(backends, timeout=5) == []

    # A lock file left by a server that died without cleaning up must not block a start.
    lock_file = tmp_path / "postgres" / "postmaster.pid"
    lock_file.write_text(f"{_pid_of_a_finished_process()}\n{tmp_path}\n")

    with EmbeddedPostgres(tmp_path) as again:
        assert again.dsn() == dsn
        connection = await asyncpg.connect(dsn)
        try:
            assert await connection.fetchval("SELECT body FROM notes WHERE id = 1") == "kept"
        finally:
            await connection.close()


def test_a_second_postgres_on_a_running_data_dir_names_the_running_pid(tmp_path: Path) -> None:
    with EmbeddedPostgres(tmp_path) as first:
        with pytest.raises(EmbeddedServerError) as refused:
            EmbeddedPostgres(tmp_path).start()
        message = str(refused.value)
        assert f"in use by PostgreSQL process {first.pid}" in message
        assert "KHOAGIAO_DATA_DIR" in message
        assert "\n" not in message
        assert first.pid is not None and is_running(first.pid)  # the refusal did no harm


async def test_nats_keeps_jetstream_messages_across_restarts_and_kills(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path)
    url = server.start()
    assert url == f"nats://127.0.0.1:{server.port}" == server.url
    pid = server.pid
    assert pid is not None

    client = await nats.connect(url)
    try:
        jetstream = client.jetstream()
        await jetstream.add_stream(name="NOTES", subjects=["notes.>"], storage=StorageType.FILE)
        ack = await jetstream.publish("notes.1", b"kept")
        assert ack.seq == 1
    finally:
        await client.close()
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    again = EmbeddedNats(tmp_path)
    try:
        assert await _stored_message(again.start()) == b"kept"

        # An outage: killed outright, then back on the same port with the same data.
        port, killed = again.port, again.pid
        assert killed is not None
        again.kill()
        assert not is_running(killed)
        assert again.start() == f"nats://127.0.0.1:{port}"
        assert await _stored_message(again.url) == b"kept"
    finally:
        again.stop()


async def _stored_message(url: str) -> bytes:
    client = await nats.connect(url)
    try:
        message = await client.jetstream().get_msg("NOTES", 1)
        assert message.data is not None
        return message.data
    finally:
        await client.close()


def test_a_second_nats_on_a_running_data_dir_is_refused(tmp_path: Path) -> None:
    with EmbeddedNats(tmp_path) as first:
        with pytest.raises(EmbeddedServerError) as refused:
            EmbeddedNats(tmp_path).start()
        assert f"in use by NATS process {first.pid}" in str(refused.value)
        assert "\n" not in str(refused.value)


_HOLDER = """
import sys, time
from pathlib import Path
from adapters.embedded import EmbeddedNats, EmbeddedPostgres
data_dir = Path(sys.argv[1])
postgres, nats = EmbeddedPostgres(data_dir), EmbeddedNats(data_dir)
postgres.start()
nats.start()
print(postgres.pid, nats.pid, flush=True)
time.sleep(600)
"""


def test_servers_die_with_the_process_that_started_them(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_with_src_on_path(),
    )
    try:
        assert holder.stdout is not None and holder.stderr is not None
        line = holder.stdout.readline()
        assert line, holder.stderr.read()
        postgres_pid, nats_pid = (int(part) for part in line.split())
        servers = [postgres_pid, nats_pid, *children(postgres_pid)]
        assert all(is_running(pid) for pid in servers)

        holder.send_signal(signal.SIGKILL)  # no Python cleanup can run
        holder.wait()

        assert wait_gone(servers, timeout=10) == []
    finally:
        holder.kill()
        holder.wait()

    # Nothing left behind blocks the next start on the same data directory.
    with EmbeddedPostgres(tmp_path) as postgres, EmbeddedNats(tmp_path) as nats_server:
        assert postgres.pid is not None and nats_server.pid is not None


@pytest.mark.parametrize("server", [EmbeddedPostgres, EmbeddedNats])
def test_a_data_dir_that_is_a_file_is_refused_in_one_line(
    tmp_path: Path, server: type[EmbeddedPostgres] | type[EmbeddedNats]
) -> None:
    data_file = tmp_path / "data"
    data_file.write_text("not a directory")
    with pytest.raises(EmbeddedServerError) as refused:
        server(data_file).start()
    message = str(refused.value)
    assert message.startswith(f"data directory {data_file} ")
    assert "KHOAGIAO_DATA_DIR" in message
    assert "\n" not in message

    with pytest.raises(EmbeddedServerError) as refused:
        server(data_file / "below").start()
    message = str(refused.value)
    assert message.startswith(f"data directory {data_file / 'below'} cannot be created")
    assert "KHOAGIAO_DATA_DIR" in message
    assert "\n" not in message


@pytest.mark.parametrize("server", [EmbeddedPostgres, EmbeddedNats])
def test_a_data_dir_without_write_permission_is_refused_in_one_line(
    tmp_path: Path, server: type[EmbeddedPostgres] | type[EmbeddedNats]
) -> None:
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o500)
    if os.geteuid() == 0:
        # Root writes through any permission bits; procfs takes no new file even from root.
        read_only = Path(f"/proc/{os.getpid()}")
    try:
        with pytest.raises(EmbeddedServerError) as refused:
            server(read_only).start()
    finally:
        (tmp_path / "read-only").chmod(0o700)
    message = str(refused.value)
    assert message.startswith(f"data directory {read_only} is not writable"), message
    assert message.endswith("choose another with KHOAGIAO_DATA_DIR or fix its permissions")
    assert "\n" not in message
