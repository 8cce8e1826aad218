"""The listening tracker: turns playback signals into history (started / finished / skipped /
failed, with raw played milliseconds) and re-emits them as plugin_api records.

It is a listener of :class:`player.playback.Playback`, not code inside the window (Quod Libet's
``qltk/tracker.py`` idea). Position is written every few seconds so a crash loses little; on quit
the playing track gets a last position (nobody skipped it) and the session is closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from player.playback import Playable, Playback, PlaybackEnded
from player.plugin_api import (
    Origin,
    Outcome,
    SessionClosed,
    SessionRecord,
    TrackEnded,
    TrackStarted,
)

log = logging.getLogger(__name__)


class HistoryLike(Protocol):
    """The part of ``player.history.History`` the tracker calls."""

    def play_started(self, track_id: int, origin: Origin) -> int: ...
    def play_position(self, play_id: int, position_ms: int, played_ms: int) -> None: ...
    def play_ended(
        self,
        play_id: int,
        outcome: Outcome,
        *,
        position_ms: int,
        played_ms: int,
        message: str = "",
    ) -> None: ...
    def close_session(self) -> SessionRecord | None: ...


class SessionRelay(QObject):
    """Carries ``History``'s ``on_session_closed`` callback onto a Qt signal.

    Build it first and pass :meth:`relay` as ``History(on_session_closed=...)``.

    Signals:
        session_closed(SessionClosed): a listening session closed (gap or quit).
    """

    session_closed = Signal(object)

    def relay(self, record: SessionRecord) -> None:
        """Emit ``session_closed`` for ``record``."""
        self.session_closed.emit(SessionClosed(record))


class ListeningTracker(QObject):
    """Writes each play's life to history and announces it as plugin records.

    Signals:
        track_started(TrackStarted): a track began playing (the radio's hidden state advances).
        track_ended(TrackEnded): it finished, was skipped or failed, with raw played ms.
        history_failed(str): history could not be written (the message says why).
    """

    track_started = Signal(object)
    track_ended = Signal(object)
    history_failed = Signal(str)

    def __init__(
        self,
        playback: Playback,
        history: HistoryLike,
        *,
        clock: Callable[[], float] = time.time,
        position_every_ms: int = 5000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._playback = playback
        self._history = history
        self._clock = clock
        self._position_every_ms = position_every_ms
        self._play_id: int | None = None
        self._playing: Playable | None = None
        self._last_saved_played = 0
        playback.track_started.connect(self._on_started)
        playback.track_ended.connect(self._on_ended)
        playback.position_changed.connect(self._on_position)

    @property
    def play_id(self) -> int | None:
        """History id of the play in progress."""
        return self._play_id

    def shutdown(self) -> None:
        """On quit: save the playing track's position and close the listening session."""
        if self._play_id is not None:
            self._guard(
                self._history.play_position,
                self._play_id,
                self._playback.position_ms,
                self._playback.played_ms,
            )
        self._play_id = None
        self._playing = None
        self._guard(self._history.close_session)

    def _on_started(self, playable: Playable) -> None:
        play_id = self._guard(self._history.play_started, playable.track_id, playable.origin)
        self._play_id = play_id if isinstance(play_id, int) else None
        self._playing = playable
        self._last_saved_played = 0
        self.track_started.emit(TrackStarted(playable.track_id, playable.origin, self._clock()))

    def _on_ended(self, ended: PlaybackEnded) -> None:
        playable = ended.playable
        if self._playing is not playable:
            # Failed before any audio: the play still goes into history, as failed.
            play_id = self._guard(self._history.play_started, playable.track_id, playable.origin)
            self._play_id = play_id if isinstance(play_id, int) else None
        if self._play_id is not None:
            self._guard(
                self._history.play_ended,
                self._play_id,
                ended.outcome,
                position_ms=ended.position_ms,
                played_ms=ended.played_ms,
                message=ended.message,
            )
        self._play_id = None
        self._playing = None
        self.track_ended.emit(
            TrackEnded(
                playable.track_id,
                ended.outcome,
                ended.played_ms,
                playable.duration_ms,
                playable.origin,
                self._clock(),
            )
        )

    def _on_position(self, position_ms: int) -> None:
        if self._play_id is None:
            return
        played = self._playback.played_ms
        if played - self._last_saved_played >= self._position_every_ms:
            self._last_saved_played = played
            self._guard(self._history.play_position, self._play_id, position_ms, played)

    def _guard(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        # History failing (disk full, locked db) must never stop the music.
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            log.exception("history write failed")
            self.history_failed.emit(f"Could not write listening history: {exc}")
            return None
