"""The extra HTTP processes of ``khoagiao serve`` (``KHOAGIAO_WORKERS``).

``khoagiao serve`` binds one listening socket per process on its port and starts a
worker for each socket but its own: ``python -m khoagiao.worker <socket fd> <lifeline
fd>``. A worker answers requests and does nothing else; the projections, the relay and
the deadline watch run once, in ``khoagiao serve``. It is handed the servers
``khoagiao serve`` resolved (embedded or configured) and the admin token through its
environment, so it starts nothing and writes no file of its own.

Workers run in a session of their own, so Ctrl-C reaches ``khoagiao serve`` alone, which
stops them (SIGTERM) as it stops. A worker also stops when its lifeline closes — the
read end of a pipe whose other end only ``khoagiao serve`` holds — so that workers do
not outlive a ``khoagiao serve`` killed outright. When a worker exits on its own,
``khoagiao serve`` stops too (exit status 1 unless the worker was told to stop):
connections the kernel hands to a dead worker's socket would never be answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import uvicorn

from adapters.clock import SystemClock
from adapters.http.app import create_app
from khoagiao.collector import tune_garbage_collector
from khoagiao.config import Settings
from khoagiao.runtime import Endpoints
from khoagiao.server import Terminated, exit_on_sigterm, http_server, run
from khoagiao.services import build_api, open_services

_log = logging.getLogger("khoagiao")

_STOP_SECONDS = 30.0
"""How long a worker may take to finish its requests and close before it is killed."""
_STOPPED = {0, -signal.SIGTERM, -signal.SIGINT}
"""How a worker ends when it was told to stop (say, systemd's SIGTERM to every process
of the service at once): not a failure."""


@dataclass
class HttpWorkers:
    """The worker processes of one ``khoagiao serve``."""

    processes: list[asyncio.subprocess.Process]
    lifeline: int | None
    failed: bool = False
    _stopping: bool = field(default=False, repr=False)

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls, settings: Settings, found: Endpoints, token: str, sockets: Sequence[socket.socket]
    ) -> AsyncIterator[HttpWorkers]:
        """A worker on each of ``sockets`` (closed here once handed over); all stopped on
        exit."""
        if not sockets:
            yield cls([], None)
            return
        keep, lifeline = os.pipe()
        env = {
            **os.environ,
            "KHOAGIAO_DATABASE_URL": found.database_url,
            "KHOAGIAO_NATS_URL": found.nats_url or "",
            "KHOAGIAO_ADMIN_TOKEN": token,
        }
        workers = cls([], keep)
        try:
            for sock in sockets:
                workers.processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "khoagiao.worker",
                        str(sock.fileno()),
                        str(lifeline),
                        env=env,
                        pass_fds=(sock.fileno(), lifeline),
                        start_new_session=True,  # Ctrl-C is for khoagiao serve to handle
                    )
                )
                sock.close()
            os.close(lifeline)
            yield workers
        finally:
            with contextlib.suppress(OSError):
                os.close(lifeline)
            await workers.stop()

    async def stop_when_one_exits(self, server: uvicorn.Server) -> None:
        """Stop ``server`` (and so the service) when a worker exits on its own."""
        if not self.processes:
            return
        waits = [asyncio.create_task(p.wait()) for p in self.processes]
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if self._stopping:
            return
        code = next(iter(done)).result()
        if code in _STOPPED:
            _log.info("an HTTP worker was stopped: stopping")
        else:
            self.failed = True
            _log.error("an HTTP worker exited with status %s: stopping", code)
        server.should_exit = True

    async def stop(self) -> None:
        """SIGTERM to each worker still running, then wait (SIGKILL after a while)."""
        self._stopping = True
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), _STOP_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self.lifeline is not None:
            os.close(self.lifeline)
            self.lifeline = None


async def _work(settings: Settings, sock: socket.socket, lifeline: int) -> None:
    found = Endpoints(settings.database_url or "", settings.nats_url)
    async with open_services(settings, found, background=False) as services:
        token = settings.admin_token or ""
        app = create_app(api=build_api(services, SystemClock(), token), nats=services.nats)
        server = http_server(app, settings)

        loop = asyncio.get_running_loop()

        def orphaned() -> None:
            loop.remove_reader(lifeline)
            _log.warning("khoagiao serve is gone: stopping")
            server.should_exit = True

        loop.add_reader(lifeline, orphaned)
        await server.serve(sockets=[sock])


def main(argv: Sequence[str]) -> int:
    tune_garbage_collector()
    exit_on_sigterm()
    settings = Settings.from_env(os.environ)
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s[worker %(process)d]: %(message)s",
        stream=sys.stderr,
    )
    sock = socket.socket(fileno=int(argv[0]))
    try:
        run(_work(settings, sock, int(argv[1])))
    except (KeyboardInterrupt, Terminated):
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
