"""``khoagiao bench ...``: benchmarks against the configured or embedded servers."""

from __future__ import annotations

from adapters.bench.api import main_api
from adapters.bench.projections import main_projections
from adapters.bench.store import main_store
from khoagiao.config import ConfigError, Settings
from khoagiao.runtime import endpoints


def store(settings: Settings, *, as_json: bool, scale: float) -> int:
    """The benchmark creates and drops a scratch database of its own on the same server."""
    with endpoints(settings, nats=False) as found:
        return main_store(found.database_url, as_json, scale)


def projections(settings: Settings, *, as_json: bool, scale: float) -> int:
    """Generates the national data set in a scratch database of its own, then measures
    the views over it; the database is dropped afterwards."""
    if not 0 < scale <= 10:
        raise ConfigError(f"--scale {scale} must be above 0 and at most 10")
    with endpoints(settings, nats=False) as found:
        return main_projections(found.database_url, as_json, scale)


def api(settings: Settings, *, as_json: bool, count: int, clients: int) -> int:
    """Starts ``khoagiao serve`` on a scratch database of the same server (and the same
    NATS) and drives it over HTTP from this process; the database is dropped afterwards."""
    if count < 1 or clients < 1:
        raise ConfigError(f"--count {count} and --clients {clients} must be positive")
    with endpoints(settings) as found:
        return main_api(
            found.database_url, found.nats_url, as_json=as_json, count=count, clients=clients
        )
