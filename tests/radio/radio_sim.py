"""Radio test helpers: a queue + playback stand-in (real History, real files), test plugins.

It plays the queue the way the player does (start the next queued track, end it as finished /
skipped / failed, a missing file is a failure and playback moves on) and relays each event to
the real plugin host first and to the radio controller second, like ``app.py`` wires them.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytestqt.qtbot import QtBot

from player.db.engine import Database
from player.db.models import Track
from player.history import History
from player.library import mark_unavailable, track_infos
from player.paths import AppPaths
from player.plugin_api import (
    Origin,
    Outcome,
    Plugin,
    PluginContext,
    Suggestion,
    TrackEnded,
    TrackInfo,
    TrackStarted,
)
from player.plugin_host import PluginHost, PluginState
from player.radio.adapters import history_reporter
from player.radio.controller import RadioController


def add_library(db: Database, paths: list[Path]) -> list[TrackInfo]:
    """Insert rows for files made by ``tests.audio.make_library`` (tags from the folder names)."""
    with db.session() as s, s.begin():
        for path in paths:
            artist, album = path.parent.parent.name, path.parent.name
            number = int(path.name.split(" ")[0])
            s.add(
                Track(
                    path=str(path),
                    title=path.stem,
                    artist=artist,
                    album_artist=artist,
                    album=album,
                    track_number=number,
                    genre="Rock" if int(artist.split()[-1]) % 2 else "Jazz",
                    year=1990 + int(artist.split()[-1]) % 7,
                    duration_ms=1000,
                )
            )
    return track_infos(db)


@dataclass
class SimPlayer:
    """Implements :class:`player.radio.RadioQueue`; ``play_next`` moves playback on."""

    history: History
    db: Database
    host: PluginHost | None = None
    radio: RadioController | None = None
    queue: list[tuple[int, bool]] = field(default_factory=list)
    current: int | None = None
    current_play: int | None = None
    current_origin: Origin = Origin.USER
    played: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    whys: dict[int, str] = field(default_factory=dict)  # radio's reason for each pick

    # RadioQueue ------------------------------------------------------------------------------
    def current_track_id(self) -> int | None:
        return self.current

    def upcoming_track_ids(self) -> list[int]:
        return [t for t, _ in self.queue]

    def append_radio_track(self, track_id: int, probability: float, why: str = "") -> None:
        self.queue.append((track_id, True))
        self.whys[track_id] = why

    def drop_radio_tail(self) -> list[int]:
        dropped = []
        while self.queue and self.queue[-1][1]:
            dropped.append(self.queue.pop()[0])
        return dropped[::-1]

    def start_if_idle(self) -> None:
        pass  # tests move playback on themselves

    def play_now(self, track_id: int) -> None:
        if self.current is not None:
            self.end(Outcome.SKIPPED, 10)
        self.play(track_id)

    # playback ---------------------------------------------------------------------------------
    def play(self, track_id: int, origin: Origin = Origin.USER) -> None:
        """Start ``track_id`` now (a user pick)."""
        self._start(track_id, origin)

    def end(self, outcome: Outcome = Outcome.FINISHED, played_ms: int = 1000) -> None:
        """End the current track with ``outcome``."""
        assert self.current is not None and self.current_play is not None
        self.history.play_ended(
            self.current_play, outcome, position_ms=played_ms, played_ms=played_ms
        )
        event = TrackEnded(self.current, outcome, played_ms, 1000, self.current_origin, time.time())
        if self.host is not None:
            self.host.track_ended(event)
        if self.radio is not None:
            self.radio.on_track_ended(self.current, outcome.value)
        self.current = None

    def play_next(self) -> int | None:
        """Start the next queued track (missing files fail and are passed over)."""
        while self.queue:
            track_id, by_radio = self.queue.pop(0)
            origin = Origin.RADIO if by_radio else Origin.QUEUE
            if self._start(track_id, origin):
                return track_id
        return None

    def _start(self, track_id: int, origin: Origin) -> bool:
        info = next(t for t in track_infos(self.db) if t.track_id == track_id)
        play_id = self.history.play_started(track_id, origin)
        if not os.path.exists(info.path):
            self.history.play_ended(
                play_id, Outcome.FAILED, position_ms=0, played_ms=0, message="missing"
            )
            mark_unavailable(self.db, track_id)
            self.failed.append(track_id)
            if self.radio is not None:
                self.radio.on_track_ended(track_id, Outcome.FAILED.value)
            return False
        self.current, self.current_play, self.current_origin = track_id, play_id, origin
        self.played.append(track_id)
        if self.host is not None:
            self.host.track_started(TrackStarted(track_id, origin, time.time()))
        if self.radio is not None:
            self.radio.on_track_started(track_id)
        return True


class ShufflePlugin(Plugin):
    """A tiny real plugin: suggests uniformly; records which thread ran it."""

    name = "shuffle"
    suggests = True

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

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        self.threads.add(threading.get_ident())
        allowed = [t for t in self.tracks if t not in exclude]
        self.rng.shuffle(allowed)
        return [[Suggestion(t, 1.0 / max(1, len(allowed)))] for t in allowed[:n]]


class BrokenPlugin(Plugin):
    """Raises in every method."""

    name = "broken"
    suggests = True

    def __getattribute__(self, name: str) -> object:
        if name in ("name", "suggests", "__class__", "suggest") or name.startswith("__"):
            return object.__getattribute__(self, name)
        raise RuntimeError(f"broken plugin: {name}")

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        raise RuntimeError("broken plugin: suggest")


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
