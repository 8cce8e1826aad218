"""The radio controller: keeps the queue ahead with picks from the recommender, and never stops.

The controller knows the queue and playback only through :class:`RadioQueue` and the plugin host
only through :class:`SuggestionSource`, so it runs (and is tested) without the window. It asks
for picks asynchronously; answers come back on the GUI thread. When the plugin has no answer
(absent, failing, busy past a timeout, or suggesting only excluded or missing files) the
:class:`~player.radio.fallback.FallbackPicker` fills in and a status message says so.

Wiring order matters for skips: relay playback events to the plugin host *before* this
controller's slots, so the plugin sees a skip before the next ``suggest`` (both run on the
plugin's one FIFO worker).
"""

from __future__ import annotations

import itertools
import logging
import os
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from player.albums import seed_order
from player.plugin_api import RECENT_WINDOW, Outcome, Suggestion, TrackInfo, recent_window
from player.radio.fallback import FallbackPicker

log = logging.getLogger(__name__)

DEFAULT_AHEAD = 2
DEFAULT_TIMEOUT_MS = 2500
_MAX_ATTEMPTS = 3
#: Alternatives asked for with each pick: a missing file is replaced without a second round trip
#: to the plugin (with 30% of files missing, all four candidates are missing 0.8% of the time).
SPARES = 3


_FOLLOWING = "Radio: following your listening"
#: The status line for each reason a suggestion gives (see recommender.radio.mixture).
_PICK_MESSAGES = {
    "cold start": "Radio: nothing learned yet — following albums and artists",
    "prior": "Radio: learning your listening — following albums and artists more, for now",
    "model": _FOLLOWING,
}
#: The fallback's ways of picking, as a pick's reason.
_FALLBACK_WHY = {
    "album order": "next on the album (the recommender could not answer)",
    "same artist": "same artist (the recommender could not answer)",
    "shuffle": "shuffled (the recommender could not answer)",
}


class RadioQueue(Protocol):
    """What radio needs from the queue and playback."""

    def current_track_id(self) -> int | None:
        """The track playing (or paused), if any."""
        ...

    def upcoming_track_ids(self) -> Sequence[int]:
        """Queued tracks after the current one, in play order."""
        ...

    def append_radio_track(self, track_id: int, probability: float, why: str = "") -> None:
        """Append a track at the end of the queue, marked as picked by radio (``why``: the
        reason, in plain words)."""
        ...

    def drop_radio_tail(self) -> list[int]:
        """Remove the radio-picked tracks at the end of the queue (not yet played)."""
        ...

    def start_if_idle(self) -> None:
        """Start playing the queue when nothing plays."""
        ...

    def play_now(self, track_id: int) -> None:
        """Play ``track_id`` at once, the queued tracks after it (radio's seed)."""
        ...


class SuggestionSource(Protocol):
    """What radio needs from the plugin host."""

    def request_picks(
        self,
        n: int,
        exclude: frozenset[int],
        on_done: Callable[[list[list[Suggestion]] | None, str | None], None],
        *,
        after: Sequence[int] = (),
        spares: int = 0,
    ) -> bool:
        """Ask for ``n`` slots of picks, each with up to ``spares`` alternatives for a missing
        file (``after``: tracks queued before them); False if nobody can answer."""
        ...

    def set_option(self, name: str, value: float) -> None:
        """Pass an option to the plugins (radio uses ``seed_track``)."""
        ...

    def start_from(self, track_ids: Sequence[int]) -> None:
        """Prime the plugins with a seed (see :meth:`Plugin.start_from`)."""
        ...


@dataclass
class _Request:
    generation: int
    need: int


class RadioController(QObject):
    """Radio on/off; keeps at least ``ahead`` tracks queued while on.

    Args:
        queue: The queue/playback it fills.
        source: Where picks come from (the plugin host).
        recent_tracks: ``recent_tracks(n)`` → the last ``n`` started track ids, newest first.
        report_missing: ``report_missing(track_id, message)`` logs a failed play in history and
            marks the track unavailable.
        window: Recently played tracks excluded (capped at a quarter of the library, as
            :func:`~player.plugin_api.recent_window` says).
        ahead: Tracks kept queued after the current one.
        timeout_ms: How long a suggestion may take before the fallback fills in.
        file_exists: Checks a picked file before it is queued.
        rng: Random source of the fallback (seed in tests).
    """

    enabled_changed = Signal(bool)
    status_message = Signal(str)
    track_picked = Signal(int, float, str)  # track id, probability, why (plain words)
    replanned = Signal(str)  # a note for the queue: radio replaced its queued picks, and why

    def __init__(
        self,
        queue: RadioQueue,
        source: SuggestionSource | None,
        *,
        recent_tracks: Callable[[int], Sequence[int]],
        report_missing: Callable[[int, str], None],
        window: int = RECENT_WINDOW,
        ahead: int = DEFAULT_AHEAD,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        file_exists: Callable[[str], bool] = os.path.exists,
        rng: random.Random | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._queue = queue
        self._source = source
        self._recent_tracks = recent_tracks
        self._report_missing = report_missing
        self._window = window
        self._ahead = ahead
        self._file_exists = file_exists
        self._rng = rng or random.Random()
        self._fallback = FallbackPicker((), self._rng)
        # Recently started tracks, oldest first: read from history once, then kept here, so a
        # refill never waits for the database (history also counts failed attempts).
        self._played: deque[int] = deque(
            reversed(recent_tracks(max(1, window))), maxlen=max(1, window)
        )
        self._unreported: list[tuple[int, str]] = []
        self._never: frozenset[int] = frozenset()
        self._enabled = False
        self._generation = 0
        self._pending: _Request | None = None
        self._attempts = 0
        self._mode = ""
        self._start_when_filled = False
        # A child timer, not QTimer.singleShot: it dies with the controller, so no refill can
        # run after the window (and this controller) are gone.
        self._refill_timer = QTimer(self)
        self._refill_timer.setSingleShot(True)
        self._refill_timer.setInterval(0)
        self._refill_timer.timeout.connect(self._refill)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self._on_timeout)

    # ---- public -----------------------------------------------------------------------------

    def set_library(self, tracks: Sequence[TrackInfo]) -> None:
        """Give radio the current library (call at start and after every scan)."""
        self._fallback = FallbackPicker(tracks, self._rng, self._fallback.missing)
        self._schedule_refill()

    def set_never(self, track_ids: frozenset[int]) -> None:
        """Tracks the listener said never to play: radio never picks them, nor the fallback;
        queued radio picks of them are dropped and replaced."""
        self._never = frozenset(track_ids)
        if self._enabled and any(t in self._never for t in self._queue.upcoming_track_ids()):
            self._queue.drop_radio_tail()
            self._generation += 1
            self._pending = None
            self._timer.stop()
        self._schedule_refill()

    def is_enabled(self) -> bool:
        """Whether radio is on."""
        return self._enabled

    @Slot(bool)
    def set_enabled(self, on: bool) -> None:
        """Turn radio on (seeded from the playing track, else the last played) or off."""
        if on == self._enabled:
            return
        self._enabled = on
        self._generation += 1
        self._pending = None
        self._timer.stop()
        self._mode = ""
        if on:
            seed = self.seed_track()
            if seed is not None and self._source is not None:
                self._source.set_option("seed_track", float(seed))
            self._start_when_filled = True
            self._schedule_refill()
            self.status_message.emit("Radio on")
        else:
            self.status_message.emit("Radio off")
        self.enabled_changed.emit(on)

    def shutdown(self) -> None:
        """Stop for good (quit): no refill, no answer handled, missing files still recorded."""
        self._enabled = False
        self._pending = None
        self._refill_timer.stop()
        self._timer.stop()
        self._flush_reports()

    def start_from(self, seed: Sequence[int], name: str = "") -> None:
        """Radio from a seed: ``seed[0]`` plays now, the rest of the seed (a whole album, an
        artist's tracks) primes the plugin's state with it, and radio follows. Radio's queued
        picks are replaced; tracks the user queued stay after the seed."""
        if not seed:
            return
        first = seed[0]
        self._queue.drop_radio_tail()
        if self._source is not None:
            self._source.start_from(seed_order(seed))
        self._generation += 1
        self._pending = None
        self._timer.stop()
        self._mode = ""
        was_on, self._enabled = self._enabled, True
        self._queue.play_now(first)
        self._schedule_refill()
        self.status_message.emit(f"Radio from {name}" if name else "Radio on")
        if not was_on:
            self.enabled_changed.emit(True)

    @Slot()
    def toggle(self) -> None:
        """Flip radio on/off."""
        self.set_enabled(not self._enabled)

    def seed_track(self) -> int | None:
        """The track radio continues from: the one playing, else the last played."""
        current = self._queue.current_track_id()
        if current is not None:
            return current
        recent = self._recent_tracks(1)
        return recent[0] if recent else None

    def window_size(self) -> int:
        """How many recently played tracks are excluded: ``window``, at most a quarter of the
        library."""
        return min(self._window, recent_window(len(self._fallback.available)))

    # ---- playback events (connect after the plugin host's) -----------------------------------

    @Slot(int)
    def on_track_started(self, track_id: int) -> None:
        """A track began: the queue shrank by one."""
        self._played.append(track_id)
        self._schedule_refill()

    @Slot(int, str)
    def on_track_ended(self, track_id: int, outcome: str) -> None:
        """A track ended; a skip replaces radio's queued picks so the next ones feel it."""
        if outcome == Outcome.SKIPPED and self._enabled:
            dropped = self._queue.drop_radio_tail()
            if dropped:
                log.debug("skip of %d: dropped queued radio picks %s", track_id, dropped)
                n = len(dropped)
                self.replanned.emit(
                    f"Radio re-planned after the skip: {n} queued {'pick' if n == 1 else 'picks'}"
                    " replaced"
                )
            self._generation += 1  # an answer computed before the skip is stale
            self._pending = None
            self._timer.stop()
        elif outcome == Outcome.FAILED:
            self._fallback.mark_missing(track_id)
        self._schedule_refill()

    @Slot()
    def on_queue_changed(self) -> None:
        """The user edited the queue."""
        self._schedule_refill()

    @Slot()
    def on_queue_ended(self) -> None:
        """Playback ran off the end of the queue (every pick failed): refill and play on."""
        if not self._enabled:
            return
        if self._queue.upcoming_track_ids():
            self._queue.start_if_idle()
            return
        self._start_when_filled = True
        self._schedule_refill()

    # ---- refill -----------------------------------------------------------------------------

    def _schedule_refill(self) -> None:
        # Coalesce the burst of events around a track change (ended, started, queue changed).
        if self._enabled and not self._refill_timer.isActive():
            self._refill_timer.start()

    def _need(self) -> int:
        return self._ahead - len(self._queue.upcoming_track_ids())

    def _exclusion(self, relax: bool = False) -> set[int]:
        blocked = set(self._fallback.missing)
        blocked.update(self._never)
        blocked.update(self._queue.upcoming_track_ids())
        current = self._queue.current_track_id()
        if current is not None:
            blocked.add(current)
        window = self.window_size()
        if window and not relax:
            blocked.update(itertools.islice(reversed(self._played), window))
        return blocked

    def _refill(self) -> None:
        if not self._enabled or self._pending is not None:
            return
        need = self._need()
        if need <= 0:
            self._attempts = 0
            self._flush_reports()
            return
        if self._source is None or self._attempts >= _MAX_ATTEMPTS:
            reason = "no recommender" if self._source is None else "its picks were unusable"
            self._fill_from_fallback(need, reason)
            return
        request = _Request(self._generation, need)
        exclude = frozenset(self._exclusion())
        upcoming = tuple(self._queue.upcoming_track_ids())
        self._pending = request

        def done(result: list[list[Suggestion]] | None, error: str | None) -> None:
            self._on_suggestions(request, result, error)

        if not self._source.request_picks(need, exclude, done, after=upcoming, spares=SPARES):
            self._pending = None
            self._fill_from_fallback(need, "no recommender plugin is loaded")
            return
        self._timer.start()
        self._flush_reports()

    def _flush_reports(self) -> None:
        reports, self._unreported = self._unreported, []
        for track_id, message in reports:
            try:
                self._report_missing(track_id, message)
            except Exception:
                log.exception("could not record that track %d is missing", track_id)

    def _on_suggestions(
        self, request: _Request, result: list[list[Suggestion]] | None, error: str | None
    ) -> None:
        if request is not self._pending:
            return  # timed out or made stale by a skip; a fresh request follows
        self._pending = None
        self._timer.stop()
        if request.generation != self._generation or not self._enabled:
            self._schedule_refill()
            return
        if error or not result:
            self._fill_from_fallback(self._need(), f"recommender: {error or 'no suggestion'}")
            return
        blocked = self._exclusion()
        rejected = False
        for slot in result:
            if self._need() <= 0:
                break
            chosen = next((s for s in slot if self._acceptable(s.track_id, blocked)), None)
            if chosen is None:
                rejected = True
                break
            self._append(chosen.track_id, chosen.probability, chosen.reason)
            blocked.add(chosen.track_id)
            self._set_mode(f"model:{chosen.source}", _PICK_MESSAGES.get(chosen.source, _FOLLOWING))
            if chosen is not slot[0]:
                break  # later slots were drawn as if slot[0] had played: ask again for them
        self._attempts = self._attempts + 1 if rejected else 0
        self._schedule_refill()

    @Slot()
    def _on_timeout(self) -> None:
        if self._pending is None:
            return
        self._pending = None
        self._fill_from_fallback(self._need(), "recommender is busy")

    def _fill_from_fallback(self, need: int, reason: str) -> None:
        self._attempts = 0
        try:
            self._fill_by_library(need, reason)
        finally:
            self._flush_reports()

    def _fill_by_library(self, need: int, reason: str) -> None:
        how = ""
        for _ in range(need):
            upcoming = self._queue.upcoming_track_ids()
            previous = upcoming[-1] if upcoming else self.seed_track()
            pick = self._fallback_pick(previous)
            if pick is None:
                self._set_mode("empty", "Radio: no playable track left in the library")
                return
            track_id, how = pick
            self._append(track_id, 0.0, _FALLBACK_WHY.get(how, how))
        if how:
            self._set_mode(f"fallback:{reason}", f"Radio: {reason}; picking by {how} for now")

    def _fallback_pick(self, previous: int | None) -> tuple[int, str] | None:
        # Strict first; then without the recent window; then even the current track may come
        # back (a one- or two-track library). Radio never stops while something is playable.
        current = self._queue.current_track_id()
        for level in range(3):
            blocked = self._exclusion(relax=level > 0)
            if level == 2 and current is not None:
                blocked.discard(current)
            while (pick := self._fallback.pick(previous, blocked)) is not None:
                if self._acceptable(pick[0], blocked):
                    return pick
                blocked.add(pick[0])  # missing on disk (reported): try another
        return None

    def _acceptable(self, track_id: int, blocked: set[int]) -> bool:
        if track_id in blocked:
            return False
        info = self._fallback.get(track_id)
        if info is None or not info.available:
            return False
        if not self._file_exists(info.path):
            self._fallback.mark_missing(track_id)
            log.warning("radio pick %d is missing on disk: %s", track_id, info.path)
            # Written to history after the replacement is requested (off the critical path).
            self._unreported.append((track_id, f"file not found: {info.path}"))
            return False
        return True

    def _append(self, track_id: int, probability: float, why: str) -> None:
        self._queue.append_radio_track(track_id, probability, why)
        self.track_picked.emit(track_id, probability, why)
        if self._start_when_filled:
            self._start_when_filled = False
            self._queue.start_if_idle()

    def _set_mode(self, mode: str, message: str) -> None:
        if mode != self._mode:
            self._mode = mode
            log.info("%s", message)
            self.status_message.emit(message)
