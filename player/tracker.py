"""The listening tracker: turns playback signals into history (started / finished / skipped /
failed, with raw played milliseconds) and re-emits them as plugin_api records.

It is a listener of :class:`player.playback.Playback`, not code inside the window (Quod Libet's
``qltk/tracker.py`` idea). Position is written every few seconds so a crash loses little; on quit
the playing track is recorded as interrupted (nobody skipped it) and the session is closed. When
the next run resumes that track from its saved position, the same play continues: its end is
written once, with everything heard in both runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

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

if TYPE_CHECKING:  # not at run time: SQLAlchemy loads after the window is up (see app.py)
    from player.history import InterruptedPlay

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
    def play_interrupted(self, play_id: int, *, position_ms: int, played_ms: int) -> None: ...
    def interrupted_play(self) -> InterruptedPlay | None: ...
    def play_resumed(self, play_id: int, *, position_ms: int) -> int | None: ...
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
        self._heard_before_ms = 0  # of a resumed play: what the last run heard
        self._may_resume = True  # only the first track started in this run can continue a play
        playback.track_started.connect(self._on_started)
        playback.track_ended.connect(self._on_ended)
        playback.position_changed.connect(self._on_position)

    @property
    def play_id(self) -> int | None:
        """History id of the play in progress."""
        return self._play_id

    def shutdown(self) -> None:
        """On quit: record the playing track as interrupted and close the listening session."""
        if self._play_id is not None:
            self._guard(
                self._history.play_interrupted,
                self._play_id,
                position_ms=self._playback.position_ms,
                played_ms=self._heard_ms(),
            )
        self._play_id = None
        self._playing = None
        self._guard(self._history.close_session)

    def _on_started(self, playable: Playable) -> None:
        resumed = self._resume(playable) if self._may_resume else None
        self._may_resume = False
        if resumed is not None:
            self._play_id, self._heard_before_ms = resumed
        else:
            play_id = self._guard(self._history.play_started, playable.track_id, playable.origin)
            self._play_id = play_id if isinstance(play_id, int) else None
            self._heard_before_ms = 0
        self._playing = playable
        self._last_saved_played = self._heard_before_ms
        started = TrackStarted(
            playable.track_id, playable.origin, self._clock(), resumed is not None
        )
        self.track_started.emit(started)

    def _on_ended(self, ended: PlaybackEnded) -> None:
        playable = ended.playable
        if self._playing is not playable:
            # Failed before any audio: the play still goes into history, as failed.
            play_id = self._guard(self._history.play_started, playable.track_id, playable.origin)
            self._play_id = play_id if isinstance(play_id, int) else None
            self._heard_before_ms = 0
        played_ms = self._heard_before_ms + ended.played_ms
        if self._play_id is not None:
            self._guard(
                self._history.play_ended,
                self._play_id,
                ended.outcome,
                position_ms=ended.position_ms,
                played_ms=played_ms,
                message=ended.message,
            )
        self._play_id = None
        self._playing = None
        self._heard_before_ms = 0
        self.track_ended.emit(
            TrackEnded(
                playable.track_id,
                ended.outcome,
                played_ms,
                playable.duration_ms,
                playable.origin,
                self._clock(),
            )
        )

    def _on_position(self, position_ms: int) -> None:
        if self._play_id is None:
            return
        played = self._heard_ms()
        if played - self._last_saved_played >= self._position_every_ms:
            self._last_saved_played = played
            self._guard(self._history.play_position, self._play_id, position_ms, played)

    def _heard_ms(self) -> int:
        return self._heard_before_ms + self._playback.played_ms

    def _resume(self, playable: Playable) -> tuple[int, int] | None:
        """Continue the play the last quit interrupted, if this is that track at its saved spot.

        Returns the play id and the milliseconds heard before, or ``None`` for a new play.
        """
        start_ms = self._playback.start_ms
        if start_ms <= 0:  # played from the top: a new listen, not a resumed one
            return None
        found = cast("InterruptedPlay | None", self._guard(self._history.interrupted_play))
        if found is None or found.track_id != playable.track_id:
            return None
        heard = self._guard(self._history.play_resumed, found.play_id, position_ms=start_ms)
        if not isinstance(heard, int):
            return None
        log.debug("play %d resumed at %d ms (%d ms heard before)", found.play_id, start_ms, heard)
        return found.play_id, heard

    def _guard(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        # History failing (disk full, locked db) must never stop the music.
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            log.exception("history write failed")
            self.history_failed.emit(f"Could not write listening history: {exc}")
            return None
