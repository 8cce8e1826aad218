"""Applies ReplayGain to playback as each track loads: track or album gain by the user's mode and
the queue (an album playing through), computed by :mod:`player.replaygain`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from player.albums import album_key
from player.library import TrackRow
from player.playback import Playable, Playback
from player.queue import QueueModel
from player.replaygain import GainMode, album_through, applied_gain

log = logging.getLogger(__name__)


class GainControl(QObject):
    """Sets playback's gain for every track that loads, before it is heard.

    Signals:
        applied(object): the :class:`AppliedGain` of the current track, or None when off.
    """

    applied = Signal(object)

    def __init__(
        self,
        playback: Playback,
        queue: QueueModel,
        lookup: Callable[[int], TrackRow | None],
        mode: GainMode,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._playback = playback
        self._queue = queue
        self._lookup = lookup
        self._mode = mode
        playback.track_loaded.connect(self._on_loaded)

    @property
    def mode(self) -> GainMode:
        """The user's mode."""
        return self._mode

    def set_mode(self, mode: GainMode) -> None:
        """Change the mode; the current track follows at once."""
        self._mode = mode
        current = self._playback.current
        if current is not None:
            self._on_loaded(current)
        elif mode == GainMode.OFF:
            self._playback.set_gain(1.0)

    def _on_loaded(self, playable: Playable) -> None:
        row = self._lookup(playable.track_id)
        gain = row.replaygain if row is not None else None
        applied = applied_gain(gain, self._mode, self._album_through(playable.track_id))
        self._playback.set_gain(applied.factor)
        log.debug("track %d: %s", playable.track_id, applied.describe())
        self.applied.emit(None if self._mode == GainMode.OFF else applied)

    def _album_through(self, track_id: int) -> bool:
        """Whether the queue entry before or after the playing one is on the same album."""
        entries = self._queue.entries()
        row = self._queue.current_row
        if not 0 <= row < len(entries) or entries[row].track_id != track_id:
            return False
        keys = [
            self._album(entries[i].track_id) if 0 <= i < len(entries) else None
            for i in (row - 1, row, row + 1)
        ]
        return album_through(*keys)

    def _album(self, track_id: int) -> tuple[str, str] | None:
        row = self._lookup(track_id)
        return album_key(row) if row is not None else None
