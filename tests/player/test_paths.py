"""Data locations: --data-dir beats $SEGUE_DATA_DIR beats the platform folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.paths import AppPaths


def test_explicit_dir_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGUE_DATA_DIR", str(tmp_path / "env"))
    paths = AppPaths.resolve(tmp_path / "cli")
    assert paths.data_dir == tmp_path / "cli"
    assert paths.cache_dir == tmp_path / "cli" / "cache"
    assert paths.state_dir == tmp_path / "cli" / "state"
    assert paths.db_path == tmp_path / "cli" / "library.db"
    assert paths.models_dir == tmp_path / "cli" / "models"
    assert paths.covers_dir == tmp_path / "cli" / "cache" / "covers"
    assert paths.log_dir == tmp_path / "cli" / "state" / "logs"


def test_environment_then_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGUE_DATA_DIR", str(tmp_path / "env"))
    assert AppPaths.resolve().data_dir == tmp_path / "env"
    monkeypatch.delenv("SEGUE_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert AppPaths.resolve().data_dir == tmp_path / "xdg" / "segue"


def test_ensure_creates_everything(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "d")
    paths.ensure()
    for folder in (paths.data_dir, paths.models_dir, paths.covers_dir, paths.log_dir):
        assert folder.is_dir()
