"""``khoagiao serve``: the HTTP service, on embedded servers unless told otherwise."""

from __future__ import annotations

import errno
import logging
import signal
import socket
from types import FrameType

from adapters.clock import SystemClock
from adapters.http.app import create_app
from khoagiao.admin_token import admin_token
from khoagiao.config import Settings
from khoagiao.runtime import Endpoints, ServiceUnavailable, endpoints, redacted
from khoagiao.server import http_server, run
from khoagiao.services import build_api, open_services

_log = logging.getLogger("khoagiao")


class Terminated(SystemExit):
    """SIGTERM, turned into an exception so that every server we started is stopped."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(0)


def bind(settings: Settings) -> socket.socket:
    """Take the HTTP port first, so a busy port fails before any server starts."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
    # without it every small answer waits ~40 ms for the client's delayed ACK.
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ServiceUnavailable(
                f"port {settings.port} on {settings.host} is in use: stop the program using "
                "it or choose another port with KHOAGIAO_PORT"
            ) from None
        raise ServiceUnavailable(
            f"cannot listen on {settings.host}:{settings.port} ({error.strerror}): "
            "check KHOAGIAO_HOST and KHOAGIAO_PORT"
        ) from None
    sock.listen(1024)
    return sock


def serve(settings: Settings) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    token = admin_token(settings)
    sock = bind(settings)
    try:
        with endpoints(settings, serving=True) as found:
            _log.info("database %s", redacted(found.database_url))
            _log.info("NATS %s", found.nats_url)
            run(_serve(settings, found, sock, token))
    except (KeyboardInterrupt, Terminated):
        pass
    finally:
        sock.close()
    _log.info("stopped")
    return 0


async def _serve(settings: Settings, found: Endpoints, sock: socket.socket, token: str) -> None:
    async with open_services(settings, found) as services:
        app = create_app(api=build_api(services, SystemClock(), token), nats=services.nats)
        server = http_server(app, settings)
        host, port = sock.getsockname()[:2]
        _log.info("serving on http://%s:%s (API docs at /schema)", host, port)
        await server.serve(sockets=[sock])
