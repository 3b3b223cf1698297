"""Settings, read once from the environment (``KHOAGIAO_*``).

Every default runs the service on embedded servers in ``./.khoagiao/``, so that
``make run`` needs no configuration at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    """A setting has a value the service cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None
    nats_url: str | None
    host: str
    port: int
    admin_token: str | None
    log_level: str
    nats_prefix: str
    event_retention_days: int
    remind_days: tuple[int, ...]
    backdate_tolerance_days: int
    nats_duplicate_window_seconds: int = 600
    deadline_watch_seconds: int = 60
    workers: int = 1
    """HTTP server processes sharing the port; the first also runs the projections, the
    relay and the deadline watch."""

    def __post_init__(self) -> None:
        if self.nats_duplicate_window_seconds > self.event_retention_days * 86_400:
            raise ConfigError(
                f"KHOAGIAO_NATS_DUPLICATE_WINDOW_SECONDS={self.nats_duplicate_window_seconds} "
                "must not be longer than the retention (KHOAGIAO_EVENT_RETENTION_DAYS)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str, default: str = "") -> str:
            return env.get(f"KHOAGIAO_{name}", default).strip()

        return cls(
            data_dir=Path(get("DATA_DIR", ".khoagiao")),
            database_url=get("DATABASE_URL") or None,
            nats_url=get("NATS_URL") or None,
            host=get("HOST", "127.0.0.1"),
            port=_integer("KHOAGIAO_PORT", get("PORT", "8000"), low=0, high=65535),
            admin_token=get("ADMIN_TOKEN") or None,
            log_level=_choice("KHOAGIAO_LOG_LEVEL", get("LOG_LEVEL", "INFO").upper(), _LEVELS),
            nats_prefix=_subject_token("KHOAGIAO_NATS_PREFIX", get("NATS_PREFIX", "khoagiao")),
            event_retention_days=_integer(
                "KHOAGIAO_EVENT_RETENTION_DAYS", get("EVENT_RETENTION_DAYS", "30"), low=1
            ),
            remind_days=tuple(
                _integer("KHOAGIAO_REMIND_DAYS", part, low=0)
                for part in get("REMIND_DAYS", "3,1").split(",")
                if part.strip()
            ),
            backdate_tolerance_days=_integer(
                "KHOAGIAO_BACKDATE_TOLERANCE_DAYS", get("BACKDATE_TOLERANCE_DAYS", "30"), low=0
            ),
            nats_duplicate_window_seconds=_integer(
                "KHOAGIAO_NATS_DUPLICATE_WINDOW_SECONDS",
                get("NATS_DUPLICATE_WINDOW_SECONDS", "600"),
                low=1,
            ),
            deadline_watch_seconds=_integer(
                "KHOAGIAO_DEADLINE_WATCH_SECONDS", get("DEADLINE_WATCH_SECONDS", "60"), low=1
            ),
            workers=_integer(
                "KHOAGIAO_WORKERS", get("WORKERS", str(default_workers())), low=1, high=64
            ),
        )


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def default_workers() -> int:
    """One HTTP process per two cores, at most four: the embedded PostgreSQL shares the
    machine. On two cores a second process made no difference on a quiet machine
    (``bench api``), and with one a revoked token is refused at once."""
    return max(1, min((os.cpu_count() or 1) // 2, 4))


def _integer(name: str, raw: str, *, low: int, high: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{name}={raw!r} must be {bounds}")
    return value


def _choice(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    if raw not in allowed:
        raise ConfigError(f"{name}={raw!r} must be one of {', '.join(allowed)}")
    return raw


def _subject_token(name: str, raw: str) -> str:
    if not raw or any(ch in raw for ch in " .*>\t\r\n"):
        raise ConfigError(
            f"{name}={raw!r} must be one NATS subject token (no dots, spaces, * or >)"
        )
    return raw
