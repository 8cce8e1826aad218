"""Fixtures for the window tests: offscreen Qt, a small real library, a fully wired player."""

from __future__ import annotations

import os

# Before any Qt import: widgets render offscreen, no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

from player.db.engine import Database
from player.paths import AppPaths
from tests.audio import make_library


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep Qt's own message handler in window tests.

    QtMultimedia logs warnings from its FFmpeg threads; pytest-qt's Python handler may already be
    uninstalled when one arrives after a test, which crashes the interpreter.
    """
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.no_qt_log)


@pytest.fixture
def music_dir(tmp_path: Path) -> Path:
    """Two albums of three 1-second tracks, real audio, tagged."""
    root = tmp_path / "music"
    make_library(root, 2, 3, seconds=1.0)
    return root


@pytest.fixture
def player_parts(qtbot, app_paths: AppPaths, db: Database) -> Iterator[object]:
    """A wired player (window not shown, folders not watched) whose shutdown runs at teardown."""
    from player.app import build_player
    from player.ui.settings_store import Options

    parts = build_player(app_paths, db)
    # No rescan at start and no folder watcher racing what a test does to its files; the tests
    # of watching turn it on.
    parts.store.set_options(Options(watch=False))
    qtbot.addWidget(parts.window)
    yield parts
    parts.shutdown()
    parts.dispose()
