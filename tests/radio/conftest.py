"""Fixtures for radio tests: a real library of short audio files, history, host, controller."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from radio_sim import add_library

from player.db.engine import Database
from player.history import History
from player.plugin_api import TrackInfo
from player.plugin_host import PluginHost
from tests.audio import make_library

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def library(tmp_path: Path, db: Database) -> list[TrackInfo]:
    """20 albums x 5 tracks of real (short) audio files, in the database."""
    paths = make_library(tmp_path / "music", 20, 5, seconds=0.5)
    return add_library(db, paths)


@pytest.fixture
def history(db: Database) -> History:
    h = History(db)
    h.start_app_session()
    return h


@pytest.fixture
def hosts() -> Iterator[list[PluginHost]]:
    """Hosts registered here are shut down after the test."""
    made: list[PluginHost] = []
    yield made
    for host in made:
        host.shutdown()
