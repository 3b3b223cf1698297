"""``khoagiao serve``: the HTTP service, on embedded servers unless told otherwise.

With ``KHOAGIAO_WORKERS`` above one, the port is served by that many processes: this
one, which also starts the embedded servers and runs the projections, the relay and the
deadline watch, and ``workers - 1`` HTTP processes it starts (``khoagiao.worker``). Each
has a listening socket of its own on the same port (``SO_REUSEPORT``), so the kernel
spreads the connections between them; one Python process uses one core at most.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket

from adapters.clock import SystemClock
from adapters.http.app import create_app
from khoagiao.admin_token import admin_token
from khoagiao.config import Settings
from khoagiao.runtime import Endpoints, ServiceUnavailable, endpoints, redacted
from khoagiao.server import Terminated, exit_on_sigterm, http_server, run
from khoagiao.services import build_api, open_services
from khoagiao.worker import HttpWorkers

_log = logging.getLogger("khoagiao")


def bind(settings: Settings, count: int = 1) -> list[socket.socket]:
    """Take the HTTP port first, so a busy port fails before any server starts. Several
    sockets share it through ``SO_REUSEPORT``; a probe without it first makes sure that
    nobody else holds the port (a second ``khoagiao serve`` would otherwise join in)."""
    port = settings.port
    if count > 1:
        _listening(settings.host, port, reuse_port=False).close()
    sockets: list[socket.socket] = []
    try:
        while len(sockets) < count:
            sockets.append(_listening(settings.host, port, reuse_port=count > 1))
            port = sockets[0].getsockname()[1]  # port 0: the others join the one it got
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _listening(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
    # without it every small answer waits ~40 ms for the client's delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ServiceUnavailable(
                f"port {port} on {host} is in use: stop the program using "
                "it or choose another port with KHOAGIAO_PORT"
            ) from None
        raise ServiceUnavailable(
            f"cannot listen on {host}:{port} ({error.strerror}): "
            "check KHOAGIAO_HOST and KHOAGIAO_PORT"
        ) from None
    sock.listen(1024)
    return sock


def serve(settings: Settings) -> int:
    exit_on_sigterm()
    token = admin_token(settings)
    sockets = bind(settings, settings.workers)
    status = 0
    try:
        with endpoints(settings, serving=True) as found:
            _log.info("database %s", redacted(found.database_url))
            _log.info("NATS %s", found.nats_url)
            status = run(_serve(settings, found, sockets, token))
    except (KeyboardInterrupt, Terminated):
        pass
    finally:
        for sock in sockets:
            sock.close()
    _log.info("stopped")
    return status


async def _serve(
    settings: Settings, found: Endpoints, sockets: list[socket.socket], token: str
) -> int:
    async with open_services(settings, found) as services:
        app = create_app(api=build_api(services, SystemClock(), token), nats=services.nats)
        server = http_server(app, settings)
        host, port = sockets[0].getsockname()[:2]
        async with HttpWorkers.start(settings, found, token, sockets[1:]) as workers:
            _log.info(
                "serving on http://%s:%s (API docs at /schema), %d process(es)",
                host,
                port,
                len(sockets),
            )
            stop_on_failure = asyncio.create_task(workers.stop_when_one_exits(server))
            try:
                await server.serve(sockets=sockets[:1])
            finally:
                stop_on_failure.cancel()
        return 1 if workers.failed else 0
