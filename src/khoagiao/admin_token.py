"""The first admin token: ``KHOAGIAO_ADMIN_TOKEN`` when set; otherwise one generated on
the first start, kept in ``<data dir>/admin-token`` (mode 0600) and reused afterwards,
so a fresh ``make run`` can create organisations and tokens with nothing configured."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from khoagiao.config import ConfigError, Settings

_log = logging.getLogger("khoagiao")

_MIN_LENGTH = 24


def admin_token(settings: Settings) -> str:
    if settings.admin_token is not None:
        if len(settings.admin_token) < _MIN_LENGTH:
            raise ConfigError(
                f"KHOAGIAO_ADMIN_TOKEN must be at least {_MIN_LENGTH} characters long"
            )
        return settings.admin_token
    path = settings.data_dir / "admin-token"
    try:
        if path.exists():
            token = path.read_text().strip()
            if len(token) >= _MIN_LENGTH:
                _log.info("admin token in %s", path.resolve())
                return token
        return _generate(path)
    except OSError as error:
        raise ConfigError(
            f"cannot keep the admin token in {path} ({error.strerror or error}): choose a "
            "writable directory with KHOAGIAO_DATA_DIR or set KHOAGIAO_ADMIN_TOKEN"
        ) from None


def _generate(path: Path) -> str:
    token = "kg_admin_" + secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    os.chmod(path, 0o600)
    print(f"khoagiao: generated an admin token in {path.resolve()}", flush=True)
    return token
