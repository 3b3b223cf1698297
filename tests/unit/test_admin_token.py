"""The first admin token: from the environment, or generated once into the data dir."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from khoagiao.admin_token import admin_token
from khoagiao.config import ConfigError, Settings


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"KHOAGIAO_DATA_DIR": str(tmp_path / "data"), **env})


def test_a_generated_token_is_private_and_reused(tmp_path: Path) -> None:
    first = admin_token(settings(tmp_path))
    path = tmp_path / "data" / "admin-token"

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first and len(first) >= 40
    assert admin_token(settings(tmp_path)) == first


def test_the_configured_token_wins_and_must_be_long(tmp_path: Path) -> None:
    token = "configured-admin-token-0123456789"
    assert admin_token(settings(tmp_path, KHOAGIAO_ADMIN_TOKEN=token)) == token
    assert not (tmp_path / "data" / "admin-token").exists()
    with pytest.raises(ConfigError, match="at least 24"):
        admin_token(settings(tmp_path, KHOAGIAO_ADMIN_TOKEN="short"))


def test_an_unusable_data_dir_is_a_config_error(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("")
    unusable = Settings.from_env({"KHOAGIAO_DATA_DIR": str(occupied / "data")})
    with pytest.raises(ConfigError, match="KHOAGIAO_DATA_DIR"):
        admin_token(unusable)
