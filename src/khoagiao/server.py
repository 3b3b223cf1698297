"""How a process of ``khoagiao serve`` runs: on uvloop, with uvicorn parsing HTTP with
httptools: C where asyncio's transports and callbacks and h11 are Python, paid on every
request and every PostgreSQL round trip (figures in the README, ``bench api``)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

import uvicorn
import uvloop
from litestar.types import ASGIApp

from khoagiao.config import Settings

T = TypeVar("T")


class Terminated(SystemExit):
    """SIGTERM, turned into an exception so that every server we started is stopped."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(0)


def exit_on_sigterm() -> None:
    """SIGTERM raises ``Terminated`` (exit status 0) wherever the process is."""
    signal.signal(signal.SIGTERM, _terminate)


def run(main: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def http_server(app: ASGIApp, settings: Settings) -> uvicorn.Server:
    """No access log: a line per request costs about as much as a cheap request."""
    return uvicorn.Server(
        uvicorn.Config(
            app,
            http="httptools",
            log_level=settings.log_level.lower(),
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
