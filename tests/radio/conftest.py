"""Fixtures for radio tests: a real library of short audio files, history, host, controller."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from audio import make_library
from pytestqt.qtbot import QtBot
from radio_sim import SimPlayer, add_library

from player.db.engine import Database
from player.history import History
from player.library import track_infos
from player.paths import AppPaths
from player.plugin_api import Plugin, PluginContext, Suggestion, TrackInfo
from player.plugin_host import PluginHost, PluginState
from player.radio import RadioController, history_reporter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class ShufflePlugin(Plugin):
    """A tiny real plugin: suggests uniformly; records which thread ran it."""

    name = "shuffle"

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.threads: set[int] = set()
        self.tracks: list[int] = []
        self.calls: list[str] = []

    def load(self, context: PluginContext) -> None:
        self.threads.add(threading.get_ident())
        self.tracks = [t.track_id for t in context.load_library() if t.available]

    def on_track_started(self, event: object) -> None:
        self.threads.add(threading.get_ident())
        self.calls.append("started")

    def suggest(self, n: int, exclude: frozenset[int]) -> list[Suggestion]:
        self.threads.add(threading.get_ident())
        allowed = [t for t in self.tracks if t not in exclude]
        self.rng.shuffle(allowed)
        return [Suggestion(t, 1.0 / max(1, len(allowed))) for t in allowed[:n]]


class BrokenPlugin(Plugin):
    """Raises in every method."""

    name = "broken"

    def __getattribute__(self, name: str) -> object:
        if name in ("name", "__class__", "suggest") or name.startswith("__"):
            return object.__getattribute__(self, name)
        raise RuntimeError(f"broken plugin: {name}")

    def suggest(self, n: int, exclude: frozenset[int]) -> list[Suggestion]:
        raise RuntimeError("broken plugin: suggest")


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


def make_context(app_paths: AppPaths, db: Database, history: History) -> PluginContext:
    return PluginContext(
        data_dir=app_paths.data_dir,
        load_library=lambda: track_infos(db),
        load_sessions=lambda: history.closed_sessions_since(0),
        settings={},
    )


def start_host(
    qtbot: QtBot, context: PluginContext, plugins: Sequence[Plugin], discover: bool = False
) -> PluginHost:
    host = PluginHost(context, plugins=plugins, discover=discover)
    host.start()
    qtbot.waitUntil(
        lambda: all(host.state(n) is not PluginState.LOADING for n in host.names()), timeout=60000
    )
    return host


@pytest.fixture
def hosts() -> Iterator[list[PluginHost]]:
    """Hosts registered here are shut down after the test."""
    made: list[PluginHost] = []
    yield made
    for host in made:
        host.shutdown()


def make_radio(
    sim: SimPlayer,
    host: PluginHost | None,
    db: Database,
    history: History,
    *,
    timeout_ms: int = 5000,
) -> RadioController:
    radio = RadioController(
        sim,
        host,
        recent_tracks=history.recent_track_ids,
        report_missing=history_reporter(history, db),
        timeout_ms=timeout_ms,
        rng=random.Random(7),
    )
    radio.set_library(track_infos(db))
    sim.host, sim.radio = host, radio
    return radio
