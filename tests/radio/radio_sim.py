"""A queue + playback stand-in for radio tests: real History, real files, no window.

It plays the queue the way the player does (start the next queued track, end it as finished /
skipped / failed, a missing file is a failure and playback moves on) and relays each event to
the real plugin host first and to the radio controller second, like ``app.py`` wires them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from player.db.engine import Database
from player.db.models import Track
from player.history import History
from player.library import mark_unavailable, track_infos
from player.plugin_api import Origin, Outcome, TrackEnded, TrackInfo, TrackStarted
from player.plugin_host import PluginHost
from player.radio import RadioController


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

    # RadioQueue ------------------------------------------------------------------------------
    def current_track_id(self) -> int | None:
        return self.current

    def upcoming_track_ids(self) -> list[int]:
        return [t for t, _ in self.queue]

    def append_radio_track(self, track_id: int, probability: float) -> None:
        self.queue.append((track_id, True))

    def drop_radio_tail(self) -> list[int]:
        dropped = []
        while self.queue and self.queue[-1][1]:
            dropped.append(self.queue.pop()[0])
        return dropped[::-1]

    def start_if_idle(self) -> None:
        pass  # tests move playback on themselves

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
