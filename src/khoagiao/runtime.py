"""Which PostgreSQL and NATS this process talks to, and starting them when it must.

Configured URLs win. Otherwise ``khoagiao serve`` starts embedded servers in the data
directory and writes their URLs to ``<data dir>/runtime.json`` for as long as it runs,
so that other commands (``audit verify``, ``bench``, ``watch``) attach to those servers
instead of failing to start a second server on the same data.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from adapters.embedded.nats import EmbeddedNats
from adapters.embedded.postgres import EmbeddedPostgres
from khoagiao.config import Settings


class ServiceUnavailable(RuntimeError):
    """A server this command needs cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    nats_url: str | None


def runtime_file(settings: Settings) -> Path:
    return settings.data_dir / "runtime.json"


def redacted(url: str) -> str:
    """The URL without its password, fit for an error message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _running_serve(settings: Settings) -> Endpoints | None:
    try:
        recorded = json.loads(runtime_file(settings).read_text())
        os.kill(int(recorded["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Endpoints(recorded["database_url"], recorded["nats_url"])


@contextlib.contextmanager
def endpoints(
    settings: Settings, *, serving: bool = False, nats: bool = True
) -> Iterator[Endpoints]:
    """The servers to use, starting embedded ones (and stopping them on exit) if needed.

    With ``serving`` this process is ``khoagiao serve`` and publishes its endpoints for
    the other commands; otherwise a running ``serve`` on the same data dir is joined.
    Without ``nats`` no NATS server is started for a command that does not need one.
    """
    if not serving:
        joined = _running_serve(settings)
        if joined is not None:
            yield Endpoints(
                settings.database_url or joined.database_url, settings.nats_url or joined.nats_url
            )
            return
    with contextlib.ExitStack() as stack:
        database_url = settings.database_url
        if database_url is None:
            postgres = EmbeddedPostgres(settings.data_dir)
            database_url = postgres.start()
            stack.callback(postgres.stop)
        nats_url = settings.nats_url
        if nats_url is None and nats:
            embedded_nats = EmbeddedNats(settings.data_dir)
            nats_url = embedded_nats.start()
            stack.callback(embedded_nats.stop)
        found = Endpoints(database_url, nats_url)
        if serving:
            path = runtime_file(settings)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"pid": os.getpid(), **found.__dict__}))
            stack.callback(path.unlink, missing_ok=True)
        yield found


async def check_database(url: str, *, within: float = 5.0) -> None:
    """Fail early, in one sentence, when the database cannot be reached."""
    try:
        connection: asyncpg.Connection[Any] = await asyncpg.connect(url, timeout=within)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ServiceUnavailable(
            f"cannot reach PostgreSQL at {redacted(url)}: {reason}; start it or fix "
            "KHOAGIAO_DATABASE_URL (unset it to use the embedded server)"
        ) from None
    await connection.close()
