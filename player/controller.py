"""The queue controller: moves through the queue as playback reports what happened.

It listens to :class:`player.playback.Playback` (a finished or failed track advances the queue)
and carries out the user's transport commands (play, next, previous, play these now). The window
and MPRIS call it; it never touches widgets.
"""

from __future__ import annotations

import enum
import logging
import os
import random
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from player.playback import Playback, PlaybackEnded, PlayState
from player.plugin_api import Origin, Outcome
from player.queue import QueueEntry, QueueModel, TrackLike

log = logging.getLogger(__name__)

#: Most tracks a double-click queues from the view (a whole library would be a long queue).
PLAY_THROUGH_LIMIT = 1000


class Repeat(enum.StrEnum):
    """What happens at the end of a track or of the queue."""

    OFF = "off"
    ALL = "all"  # after the last entry, the queue starts again from its first
    ONE = "one"  # a finished track plays again


class PlayerController(QObject):
    """Plays the queue: advances on finish or failure, stops cleanly at the end.

    Signals:
        track_failed(PlaybackEnded): a track could not be played (playback moved on).
        track_missing(int): the file of this track id is gone (mark it unavailable).
        queue_ended(): the last entry ended and nothing follows (the radio may refill).
        message(str): a line for the status bar.
        mode_changed(): shuffle or repeat changed.
    """

    track_failed = Signal(object)
    track_missing = Signal(int)
    queue_ended = Signal()
    message = Signal(str)
    mode_changed = Signal()

    def __init__(
        self,
        playback: Playback,
        queue: QueueModel,
        *,
        restart_after_ms: int = 3000,
        rng: random.Random | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._playback = playback
        self._queue = queue
        self._restart_after_ms = restart_after_ms
        # True once the current entry ended: pressing play then moves on instead of replaying.
        self._current_done = False
        self._shuffle = False
        self._repeat = Repeat.OFF
        self._rng = rng or random.Random()
        playback.track_ended.connect(self._on_track_ended)

    @property
    def playback(self) -> Playback:
        """The playback object this controller drives."""
        return self._playback

    @property
    def queue(self) -> QueueModel:
        """The queue this controller walks."""
        return self._queue

    # -- shuffle and repeat ----------------------------------------------------------------
    @property
    def shuffle(self) -> bool:
        """Whether upcoming entries play in a random order."""
        return self._shuffle

    def set_shuffle(self, on: bool) -> None:
        """Shuffle the upcoming entries (on), or put them back in their queued order (off)."""
        if on == self._shuffle:
            return
        self._shuffle = on
        if on:
            self._queue.shuffle_upcoming(self._rng)
        else:
            self._queue.unshuffle_upcoming()
        self.mode_changed.emit()

    @property
    def repeat(self) -> Repeat:
        """Repeat mode."""
        return self._repeat

    def set_repeat(self, mode: Repeat) -> None:
        """Set the repeat mode."""
        if mode != self._repeat:
            self._repeat = Repeat(mode)
            self.mode_changed.emit()

    # -- user commands ---------------------------------------------------------------------
    def play_through(self, tracks: Sequence[TrackLike]) -> None:
        """Play ``tracks[0]`` now and the rest after it, in place of what was upcoming
        (double-click: an album or a search result plays through; radio follows them)."""
        tracks = list(tracks[:PLAY_THROUGH_LIMIT])
        if not tracks:
            return
        self._queue.clear_upcoming()
        self._queue.add(tracks[:1], Origin.USER)
        self._queue.add(tracks[1:], Origin.QUEUE)
        self._play_row(self._queue.current_row + 1, Origin.USER)
        if self._shuffle:
            self._queue.shuffle_upcoming(self._rng)

    def play(self) -> None:
        """Play: resume a paused track, else start the queue (no toggle)."""
        if self._playback.current is not None:
            if self._playback.state != PlayState.PLAYING:
                self._playback.toggle()
            return
        self.play_pause()

    def play_row(self, row: int) -> None:
        """Play the queue entry at ``row`` now (double-click in the queue)."""
        self._play_row(row, Origin.USER)

    def play_pause(self) -> None:
        """Toggle; when stopped, start the current entry or the next one."""
        if self._playback.current is not None:
            self._playback.toggle()
            return
        entry = self._queue.current_entry()
        if entry is not None and not self._current_done:
            self._play_row(self._queue.current_row, entry.origin)
        elif self._queue.upcoming():
            self.next()
        elif entry is not None:
            self._play_row(self._queue.current_row, Origin.USER)

    def next(self) -> None:
        """Skip to the next entry; at the end, stop (or start again with repeat all)."""
        entry = self._queue.advance() or self._wrap()
        if entry is None:
            self._playback.stop()
            self._current_done = True
            self.queue_ended.emit()
            return
        self._play_entry(entry, self._auto_origin(entry))

    def previous(self) -> None:
        """Restart the track when past a few seconds, else go to the previous entry."""
        if self._playback.current is not None and (
            self._playback.position_ms > self._restart_after_ms
        ):
            self._playback.restart()
            return
        entry = self._queue.back()
        if entry is None:
            if self._playback.current is not None:
                self._playback.restart()
            return
        self._play_entry(entry, Origin.USER)

    def stop(self) -> None:
        """Stop; the current entry stays current."""
        self._playback.stop()

    def restore(self, position_ms: int) -> None:
        """Load the current entry held paused at ``position_ms`` (start-up)."""
        entry = self._queue.current_entry()
        if entry is None or not os.path.isfile(entry.path):
            return
        self._current_done = False
        self._playback.play(entry.playable(), start_ms=position_ms, paused=True)

    # -- reacting to playback --------------------------------------------------------------
    def _on_track_ended(self, ended: PlaybackEnded) -> None:
        if ended.outcome == Outcome.SKIPPED:
            return  # we (or the user) already chose what comes next
        if ended.outcome == Outcome.FAILED:
            self._report_failure(ended)
        current = self._queue.current_entry()
        if current is None or current.track_id != ended.playable.track_id:
            return
        self._current_done = True
        if self._repeat == Repeat.ONE and ended.outcome == Outcome.FINISHED:
            self._play_entry(current, self._auto_origin(current))
            return
        entry = self._queue.advance()
        if entry is None and ended.outcome == Outcome.FINISHED:
            entry = self._wrap()
        if entry is None:
            log.info("end of queue")
            if self._playback.state != PlayState.STOPPED:
                self._playback.stop()
            self.queue_ended.emit()
            return
        self._play_entry(entry, self._auto_origin(entry))

    def _wrap(self) -> QueueEntry | None:
        """With repeat all, the queue's first entry (made current), else None."""
        if self._repeat != Repeat.ALL or self._queue.rowCount() == 0:
            return None
        return self._queue.set_current(0)

    def _report_failure(self, ended: PlaybackEnded) -> None:
        track = ended.playable
        name = track.title or os.path.basename(track.path)
        self.message.emit(f"Could not play “{name}”: {ended.message}")
        self.track_failed.emit(ended)
        if not os.path.exists(track.path):
            self._queue.mark_unavailable(track.track_id)
            self.track_missing.emit(track.track_id)

    def _play_row(self, row: int, origin: Origin) -> None:
        entry = self._queue.set_current(row)
        if entry is not None:
            self._play_entry(entry, origin)

    def _play_entry(self, entry: QueueEntry, origin: Origin) -> None:
        self._current_done = False
        self._playback.play(entry.playable(origin))

    @staticmethod
    def _auto_origin(entry: QueueEntry) -> Origin:
        return Origin.RADIO if entry.origin == Origin.RADIO else Origin.QUEUE
