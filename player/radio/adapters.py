"""Radio's ports on the real player: the window's queue and playback, and the history log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from player.controller import PlayerController
from player.plugin_api import Origin, Outcome
from player.queue import TrackLike

if TYPE_CHECKING:  # the database layer loads after the window is up (see player.app)
    from player.db.engine import Database
    from player.history import History

log = logging.getLogger(__name__)


class PlayerQueue:
    """Implements :class:`player.radio.controller.RadioQueue` for the window's queue and controller.

    Args:
        controller: The queue controller (its queue and playback are used).
        lookup: Library row of a track id (``player.library.get_track`` bound to the db).
    """

    def __init__(
        self, controller: PlayerController, lookup: Callable[[int], TrackLike | None]
    ) -> None:
        self._controller = controller
        self._queue = controller.queue
        self._lookup = lookup

    def current_track_id(self) -> int | None:
        """The playing track, else the queue's current entry."""
        playing = self._controller.playback.current
        if playing is not None:
            return playing.track_id
        entry = self._queue.current_entry()
        return entry.track_id if entry is not None else None

    def upcoming_track_ids(self) -> list[int]:
        """Entries after the current one."""
        return [e.track_id for e in self._queue.upcoming()]

    def append_radio_track(self, track_id: int, probability: float, why: str = "") -> None:
        """Append a radio pick (shown as such in the queue, with its reason)."""
        track = self._lookup(track_id)
        if track is None:
            log.warning("radio picked track %d, which is not in the library", track_id)
            return
        for entry in self._queue.add([track], Origin.RADIO):
            if why:
                self._queue.set_note(entry.entry_id, why)

    def drop_radio_tail(self) -> list[int]:
        """Remove the radio picks at the end of the queue that have not played yet."""
        entries = self._queue.entries()
        rows: list[int] = []
        row = len(entries) - 1
        while row > self._queue.current_row and entries[row].origin == Origin.RADIO:
            rows.append(row)
            row -= 1
        if rows:
            self._queue.remove_rows(rows)
        return [entries[r].track_id for r in reversed(rows)]

    def play_now(self, track_id: int) -> None:
        """Play ``track_id`` now, as the listener's own choice (a radio seed)."""
        track = self._lookup(track_id)
        if track is None:
            log.warning("radio's seed %d is not in the library", track_id)
            return
        if self._queue.insert_next([track], Origin.USER):  # what the user queued stays after it
            self._controller.play_row(self._queue.current_row + 1)

    def start_if_idle(self) -> None:
        """Start the queue when nothing is playing."""
        if self._controller.playback.current is None:
            self._controller.play_pause()


def history_reporter(history: History, db: Database) -> Callable[[int, str], None]:
    """A ``report_missing`` that logs the pick as a failed radio play and marks it unavailable."""
    from player.library import mark_unavailable  # with the database layer (see above)

    def report(track_id: int, message: str) -> None:
        play_id = history.play_started(track_id, Origin.RADIO)
        history.play_ended(play_id, Outcome.FAILED, position_ms=0, played_ms=0, message=message)
        mark_unavailable(db, track_id)

    return report
