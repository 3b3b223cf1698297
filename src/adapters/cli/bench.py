"""``khoagiao bench ...``: benchmarks against the configured or embedded servers."""

from __future__ import annotations

from adapters.bench.store import main_store
from khoagiao.config import Settings
from khoagiao.runtime import endpoints


def store(settings: Settings, *, as_json: bool, scale: float) -> int:
    """The benchmark creates and drops a scratch database of its own on the same server."""
    with endpoints(settings, nats=False) as found:
        return main_store(found.database_url, as_json, scale)
