"""The queue controller: moves through the queue as playback reports what happened.

It listens to :class:`player.playback.Playback` (a finished or failed track advances the queue)
and carries out the user's transport commands (play, next, previous, play these now). The window
and MPRIS call it; it never touches widgets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from player.playback import Playback, PlaybackEnded, PlayState
from player.plugin_api import Origin, Outcome
from player.queue import QueueEntry, QueueModel, TrackLike

log = logging.getLogger(__name__)


class PlayerController(QObject):
    """Plays the queue: advances on finish or failure, stops cleanly at the end.

    Signals:
        track_failed(PlaybackEnded): a track could not be played (playback moved on).
        track_missing(int): the file of this track id is gone (mark it unavailable).
        queue_ended(): the last entry ended and nothing follows (the radio may refill).
        message(str): a line for the status bar.
    """

    track_failed = Signal(object)
    track_missing = Signal(int)
    queue_ended = Signal()
    message = Signal(str)

    def __init__(
        self,
        playback: Playback,
        queue: QueueModel,
        *,
        restart_after_ms: int = 3000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._playback = playback
        self._queue = queue
        self._restart_after_ms = restart_after_ms
        # True once the current entry ended: pressing play then moves on instead of replaying.
        self._current_done = False
        playback.track_ended.connect(self._on_track_ended)

    @property
    def playback(self) -> Playback:
        """The playback object this controller drives."""
        return self._playback

    @property
    def queue(self) -> QueueModel:
        """The queue this controller walks."""
        return self._queue

    # -- user commands ---------------------------------------------------------------------
    def play_tracks(self, tracks: Sequence[TrackLike], origin: Origin = Origin.USER) -> None:
        """Play ``tracks[0]`` now and queue the rest right after it (double-click)."""
        entries = self._queue.insert_next(tracks, origin)
        if entries:
            self._play_row(self._queue.current_row + 1, origin)

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
        """Skip to the next entry; at the end, stop."""
        entry = self._queue.advance()
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
        entry = self._queue.advance()
        if entry is None:
            log.info("end of queue")
            if self._playback.state != PlayState.STOPPED:
                self._playback.stop()
            self.queue_ended.emit()
            return
        self._play_entry(entry, self._auto_origin(entry))

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
