"""Playback: a QMediaPlayer wrapper that emits a few meaningful signals about each track.

The wrapper decides *what happened* to a track (it started, it finished, the user moved on, it
could not be played) and says so once; listeners such as the tracker and the queue controller do
the bookkeeping (the Quod Libet ``song-started`` / ``song-ended`` idea). It knows nothing of the
library, the queue or history.
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

from player.plugin_api import Origin, Outcome

log = logging.getLogger(__name__)

# Position updates further apart than this are seeks or stalls, not listening.
_MAX_LISTEN_STEP_MS = 2000


def settle_notify_lookups(*objects: QObject) -> None:
    """Connect to and disconnect from each object once, here, on the thread holding the GIL.

    QtMultimedia's FFmpeg threads connect to our player and audio output and drop those
    connections when their own objects die; Qt then calls the *sender's* ``disconnectNotify``
    while holding a signal-slot mutex. On an object made from Python that virtual first looks for
    a Python override, which needs the GIL. If the main thread holds the GIL at that moment and
    waits for the same mutex (inside ``stop()`` or ``setSource()``), neither moves again: a hang
    seen once in CI at teardown. Shiboken remembers a lookup that found no override and skips
    the GIL from then on, so one connect / disconnect pair per object, made here, settles it.
    """
    for obj in objects:
        obj.destroyed.connect(_ignore)
        obj.destroyed.disconnect(_ignore)


def _ignore(*_args: object) -> None:
    """The slot :func:`settle_notify_lookups` connects and disconnects at once."""


def media_source(path: str) -> tuple[QUrl, int | None]:
    """The URL QMediaPlayer should open for ``path``, and a descriptor to hold while it plays.

    A URL is text: for a name that is not valid UTF-8 (``str`` with surrogate escapes) Qt keeps
    U+FFFD instead of the raw bytes, and the decoder looks for a file that does not exist. Such a
    file is opened here by its exact bytes and handed over as ``/dev/fd/N``, an ASCII name for
    the same file; the caller closes the descriptor once the player let go of that source.

    Raises:
        OSError: The file could not be opened.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        fd = os.open(path, os.O_RDONLY)
        return QUrl.fromLocalFile(f"/dev/fd/{fd}"), fd
    return QUrl.fromLocalFile(path), None


class PlayState(enum.StrEnum):
    """What the user hears: nothing, music, or a held position."""

    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Playable:
    """One track handed to playback, with who chose it."""

    track_id: int
    path: str
    duration_ms: int | None
    origin: Origin
    title: str = ""
    artist: str = ""
    album: str = ""
    why: str = ""  # why radio chose it, in plain words ("" when radio did not)


@dataclass(frozen=True, slots=True)
class PlaybackEnded:
    """How a track stopped: outcome, where it stood and the raw milliseconds actually heard.

    ``started`` is False when no audio was ever produced (e.g. a missing file).
    """

    playable: Playable
    outcome: Outcome
    position_ms: int
    played_ms: int
    started: bool
    message: str = ""


class Playback(QObject):
    """Plays one track at a time through QtMultimedia and reports its life cycle.

    Signals:
        track_loaded(Playable): a track became current (playing or held paused).
        track_started(Playable): audio for the current track began for the first time.
        track_ended(PlaybackEnded): the current track finished, was left, or failed (once).
        state_changed(str): a :class:`PlayState` value.
        position_changed(int): position in ms.
        duration_changed(int): duration in ms as the decoder knows it.
        volume_changed(float): 0.0 to 1.0 (the user's volume; ReplayGain is applied beneath it).
    """

    track_loaded = Signal(object)
    track_started = Signal(object)
    track_ended = Signal(object)
    state_changed = Signal(str)
    position_changed = Signal(int)
    duration_changed = Signal(int)
    volume_changed = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player = QMediaPlayer(self)
        self._output = QAudioOutput(self)
        self._player.setAudioOutput(self._output)
        settle_notify_lookups(self, self._player, self._output)
        self._volume = float(self._output.volume())
        self._gain = 1.0
        self._current: Playable | None = None
        self._started = False
        self._ended = True
        self._played_ms = 0
        self._last_pos = 0
        self._pending_seek: int | None = None
        self._start_ms = 0
        self._held_fd: int | None = None  # see media_source
        self._switching = False
        self._state = PlayState.STOPPED
        self._player.mediaStatusChanged.connect(self._on_status)
        self._player.playbackStateChanged.connect(self._on_qt_state)
        self._player.positionChanged.connect(self._on_position)
        self._player.durationChanged.connect(self._on_duration)
        self._player.errorOccurred.connect(self._on_error)

    # -- queries ---------------------------------------------------------------------------
    @property
    def current(self) -> Playable | None:
        """The loaded track, if any."""
        return self._current

    @property
    def state(self) -> PlayState:
        """Playing, paused or stopped."""
        return self._state

    @property
    def position_ms(self) -> int:
        """Where playback stands in the current track."""
        return int(self._player.position()) if self._current else 0

    @property
    def duration_ms(self) -> int:
        """Duration of the current track (decoder first, library tags second)."""
        d = int(self._player.duration())
        if d <= 0 and self._current and self._current.duration_ms:
            d = self._current.duration_ms
        return d

    @property
    def played_ms(self) -> int:
        """Raw milliseconds heard of the current track, seeks excluded."""
        return self._played_ms

    @property
    def start_ms(self) -> int:
        """Where the current track was loaded to start (a restored position, else 0)."""
        return self._start_ms if self._current else 0

    @property
    def has_started(self) -> bool:
        """Whether the current track produced audio yet."""
        return self._started

    @property
    def volume(self) -> float:
        """The user's volume, 0.0 to 1.0."""
        return self._volume

    @property
    def gain(self) -> float:
        """The factor (ReplayGain) the user's volume is multiplied by for the current track."""
        return self._gain

    @property
    def output_volume(self) -> float:
        """What the audio output plays at: volume x gain, at most 1.0."""
        return float(self._output.volume())

    # -- commands --------------------------------------------------------------------------
    def play(self, playable: Playable, *, start_ms: int = 0, paused: bool = False) -> None:
        """Make ``playable`` current; the previous track, if heard, ends as skipped.

        Args:
            playable: The track.
            start_ms: Where to start (restoring the last position).
            paused: Load and hold at ``start_ms`` instead of playing.
        """
        self._end_current(Outcome.SKIPPED, "")
        self._current = playable
        self._started = False
        self._ended = False
        self._played_ms = 0
        self._last_pos = start_ms
        self._start_ms = start_ms
        self._pending_seek = start_ms if start_ms > 0 else None
        self.track_loaded.emit(playable)
        if not os.path.isfile(playable.path):
            self._fail_later(f"File not found: {playable.path}")
            return
        try:
            url, fd = media_source(playable.path)
        except OSError as error:
            self._fail_later(f"Cannot open file: {error.strerror}")
            return
        self._switching = True
        try:
            if self._player.source() == url:
                # Same file again (queued twice, replayed): setSource would be a no-op.
                self._player.setSource(QUrl())
            self._player.setSource(url)
        finally:
            self._switching = False
        self._hold(fd)
        if paused:
            self._player.pause()
        else:
            self._player.play()

    def toggle(self) -> None:
        """Play when paused or stopped with a track loaded, pause when playing."""
        if self._state == PlayState.PLAYING:
            self.pause()
        else:
            self.resume()

    def pause(self) -> None:
        """Hold the current position."""
        if self._current is not None:
            self._player.pause()

    def resume(self) -> None:
        """Continue (or start) the current track."""
        if self._current is not None:
            self._player.play()

    def stop(self) -> None:
        """Stop and unload; a track that was heard ends as skipped."""
        self._end_current(Outcome.SKIPPED, "")
        self._unload()

    def restart(self) -> None:
        """Go back to the start of the current track (a restart is not a new play)."""
        self.seek(0)

    def seek(self, position_ms: int) -> None:
        """Jump to ``position_ms``; the jump does not count as listening."""
        if self._current is None:
            return
        position_ms = max(0, position_ms)
        self._last_pos = position_ms
        self._player.setPosition(position_ms)

    def set_volume(self, volume: float) -> None:
        """Set the user's volume (0.0 to 1.0)."""
        self._volume = min(1.0, max(0.0, volume))
        self._output.setVolume(min(1.0, self._volume * self._gain))
        self.volume_changed.emit(self._volume)

    def set_gain(self, factor: float) -> None:
        """Multiply the user's volume by ``factor`` (ReplayGain; 1.0 for none)."""
        self._gain = max(0.0, factor)
        self._output.setVolume(min(1.0, self._volume * self._gain))

    def unload_without_ending(self) -> None:
        """Release the media without reporting an outcome (used on quit: nobody skipped; the
        tracker records the play as interrupted first)."""
        self._ended = True
        self._unload()

    # -- internals -------------------------------------------------------------------------
    def _unload(self) -> None:
        self._current = None
        self._started = False
        self._switching = True
        try:
            self._player.stop()
            self._player.setSource(QUrl())
        finally:
            self._switching = False
        self._hold(None)
        self._set_state(PlayState.STOPPED)

    def _hold(self, fd: int | None) -> None:
        """Keep ``fd`` open for the current source; the previous one is no longer read."""
        previous, self._held_fd = self._held_fd, fd
        if previous is not None:
            os.close(previous)

    def _end_current(self, outcome: Outcome, message: str) -> None:
        current = self._current
        if current is None or self._ended:
            return
        self._ended = True
        if outcome == Outcome.SKIPPED and not self._started:
            # Loaded (e.g. restored paused) but never heard: nothing happened to it.
            return
        pos = int(self._player.position())
        ended = PlaybackEnded(current, outcome, pos, self._played_ms, self._started, message)
        log.debug("track %s ended: %s after %d ms", current.track_id, outcome, self._played_ms)
        self.track_ended.emit(ended)

    def _fail(self, message: str) -> None:
        current = self._current
        if current is None or self._ended:
            return
        log.warning("cannot play %s: %s", current.path, message)
        self._ended = True
        ended = PlaybackEnded(
            current, Outcome.FAILED, self.position_ms, self._played_ms, self._started, message
        )
        self._unload()
        self.track_ended.emit(ended)

    def _set_state(self, state: PlayState) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(str(state))

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if self._current is None:
            return
        if self._switching and status != QMediaPlayer.MediaStatus.InvalidMedia:
            return  # the previous source winding down
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self._pending_seek is not None:
            self._player.setPosition(self._pending_seek)
            self._pending_seek = None
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._fail_later(self._player.errorString() or "Unsupported or damaged file")
        elif status == QMediaPlayer.MediaStatus.EndOfMedia and not self._ended:
            self._count_listening(int(self._player.duration()) or self._last_pos)
            # Deferred: listeners start the next track, which must not happen inside
            # QMediaPlayer's own signal emission.
            current = self._current
            QTimer.singleShot(0, lambda: self._finish(current))

    def _finish(self, playable: Playable) -> None:
        if self._current is not playable or self._ended:
            return
        self._end_current(Outcome.FINISHED, "")
        if self._current is playable:  # no listener started another track
            self._unload()

    def _fail_later(self, message: str) -> None:
        current = self._current

        def fail() -> None:
            if self._current is current:
                self._fail(message)

        QTimer.singleShot(0, fail)

    def _on_qt_state(self, state: QMediaPlayer.PlaybackState) -> None:
        if self._switching or self._current is None:
            return
        if state == QMediaPlayer.PlaybackState.PlayingState:
            if self._pending_seek is not None:
                self._player.setPosition(self._pending_seek)
                self._pending_seek = None
            self._set_state(PlayState.PLAYING)
            if not self._started:
                self._started = True
                self.track_started.emit(self._current)
        elif state == QMediaPlayer.PlaybackState.PausedState:
            self._set_state(PlayState.PAUSED)

    def _on_position(self, position: int) -> None:
        if self._current is None:
            return
        if self._state == PlayState.PLAYING:
            self._count_listening(int(position))
        self._last_pos = int(position)
        self.position_changed.emit(int(position))

    def _count_listening(self, position: int) -> None:
        step = position - self._last_pos
        if 0 < step <= _MAX_LISTEN_STEP_MS:
            self._played_ms += step
        self._last_pos = position

    def _on_duration(self, duration: int) -> None:
        if self._current is not None:
            self.duration_changed.emit(int(duration))

    def _on_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if self._current is None or error == QMediaPlayer.Error.NoError:
            return
        self._fail_later(message or str(error))
